import type { backend_util } from '@tensorflow/tfjs-core';

/**
 * Geometry of a 2-D convolution in NHWC with filter `[fh, fw, inC, outC]`, dilation 1:
 * `y[b, oy, ox, o] = Σ_{fy, fx, c} x[b, oy·sh + fy − padTop, ox·sw + fx − padLeft, c] · w[fy, fx, c, o]`
 * with out-of-range input positions reading as zero.
 */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
}

/** Reads the geometry from tfjs's `Conv2DInfo` (so padding, rounding and output sizes match tfjs). */
export function geometryOf(info: backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Whether the vqkit cpu path handles this convolution: channels-last, dilation 1, non-empty.
 * Everything else goes to the stock tfjs kernel.
 */
export function isFastPathSupported(info: backend_util.Conv2DInfo): boolean {
  return (
    info.dataFormat === 'channelsLast' &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.batchSize > 0 &&
    info.outHeight > 0 &&
    info.outWidth > 0 &&
    info.inChannels > 0 &&
    info.outChannels > 0
  );
}

/**
 * Per patch index `q = (fy · fw + fx) · inC + c` (the im2col column), the filter row and column and
 * the offset of `x[·, fy, fx, c]` relative to the patch origin.
 */
export interface PatchTable {
  dy: Int32Array;
  dx: Int32Array;
  off: Int32Array;
}

export function patchTable(g: ConvGeometry): PatchTable {
  const n = g.fh * g.fw * g.inC;
  const dy = new Int32Array(n);
  const dx = new Int32Array(n);
  const off = new Int32Array(n);
  let q = 0;
  for (let fy = 0; fy < g.fh; fy++) {
    for (let fx = 0; fx < g.fw; fx++) {
      const tapOff = (fy * g.inW + fx) * g.inC;
      for (let c = 0; c < g.inC; c++) {
        dy[q] = fy;
        dx[q] = fx;
        off[q] = tapOff + c;
        q++;
      }
    }
  }
  return { dy, dx, off };
}

/**
 * Per output pixel `m = (b · outH + oy) · outW + ox` in `[m0, m0 + count)`: the input offset of
 * the patch origin `(b, oy·sh − padTop, ox·sw − padLeft)` (may point outside the image when
 * padded), its row and column, and whether the whole patch lies inside the image.
 */
export interface PixelTable {
  base: Int32Array;
  iy: Int32Array;
  ix: Int32Array;
  interior: Uint8Array;
}

export function pixelTable(
  g: ConvGeometry,
  m0: number,
  count: number,
  into?: PixelTable,
): PixelTable {
  const t =
    into && into.base.length >= count
      ? into
      : {
          base: new Int32Array(count),
          iy: new Int32Array(count),
          ix: new Int32Array(count),
          interior: new Uint8Array(count),
        };
  const perImage = g.outH * g.outW;
  let b = Math.floor(m0 / perImage);
  const rem = m0 - b * perImage;
  let oy = Math.floor(rem / g.outW);
  let ox = rem - oy * g.outW;
  for (let i = 0; i < count; i++) {
    const iy = oy * g.sh - g.padTop;
    const ix = ox * g.sw - g.padLeft;
    t.base[i] = ((b * g.inH + iy) * g.inW + ix) * g.inC;
    t.iy[i] = iy;
    t.ix[i] = ix;
    t.interior[i] = iy >= 0 && ix >= 0 && iy + g.fh <= g.inH && ix + g.fw <= g.inW ? 1 : 0;
    if (++ox === g.outW) {
      ox = 0;
      if (++oy === g.outH) {
        oy = 0;
        b++;
      }
    }
  }
  return t;
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const GEOMETRY_WORKER_FUNCTIONS = [patchTable, pixelTable];
