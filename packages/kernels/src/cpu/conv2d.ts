/**
 * Convolution kernels for the cpu backend as implicit GEMMs over {@link gemm}: the im2col matrix is
 * never materialised, its blocks are gathered from the NHWC input while packing.
 *
 * With `P = batch · outH · outW` output pixels and `Q = fh · fw · inC` patch entries:
 * - forward:         `y[P, outC]  = X[P, Q] · W[Q, outC]`
 * - filter gradient: `dW[Q, outC] = X[P, Q]ᵀ · dy[P, outC]`
 * - input gradient:  `col[P, Q]   = dy[P, outC] · W[Q, outC]ᵀ`, then col2im (scatter-add) into dx
 *
 * where `X` is the im2col matrix of x (zero where a patch reaches into the padding).
 *
 * Each kernel is written as a *unit* over part of its output — rows of y, a block of dW, a band
 * of dx rows of one image — that computes every element of that part exactly as the whole-output
 * computation does (same depth blocks in the same order; for dx the same contributions in the
 * same pixel order). The worker pool hands units to threads; one thread runs them all. Either
 * way the result is bit-identical. These functions are shipped to the worker threads
 * (`worker-source.ts`): no module-level references except other shipped functions.
 */
import type { ConvGeometry, PatchTable, PixelTable } from './conv-geometry';
import { patchTable, pixelTable } from './conv-geometry';
import { type GemmScratch, gemm, type PackA, stridedPackA, stridedPackB } from './gemm';

/** Output pixels per col2im chunk of the input gradient (bounds the `col` scratch buffer). */
export function colChunkPixels(): number {
  return 256;
}

/**
 * The patch columns `[p0, p0 + kc)` as runs of consecutive channels of one filter tap: run `r`
 * covers columns `start[r] … start[r] + len[r] − 1` (relative to `p0`), tap `(fy[r], fx[r])`,
 * input offset `off[r]` of its first column relative to the patch origin.
 */
interface TapRuns {
  count: number;
  start: Int32Array;
  len: Int32Array;
  fy: Int32Array;
  fx: Int32Array;
  off: Int32Array;
}

function tapRuns(g: ConvGeometry, patch: PatchTable, p0: number, kc: number): TapRuns {
  const runs = {
    count: 0,
    start: new Int32Array(kc),
    len: new Int32Array(kc),
    fy: new Int32Array(kc),
    fx: new Int32Array(kc),
    off: new Int32Array(kc),
  };
  for (let p = 0; p < kc; ) {
    const q = p0 + p;
    const len = Math.min(kc - p, g.inC - (q % g.inC));
    const r = runs.count++;
    runs.start[r] = p;
    runs.len[r] = len;
    runs.fy[r] = patch.dy[q]!;
    runs.fx[r] = patch.dx[q]!;
    runs.off[r] = patch.off[q]!;
    p += len;
  }
  return runs;
}

/**
 * Packs im2col rows (pixels, offset by `m0`) × patch columns: A(m, q) = X[m0 + m, q]. Pixel
 * geometry is computed per block, the columns are split into runs of one filter tap (contiguous
 * channels in x) once per depth block; a run inside the image is one strided copy.
 */
function im2colRowsPack(x: Float32Array, g: ConvGeometry, patch: PatchTable, m0: number): PackA {
  let pix: PixelTable | undefined;
  let runs: TapRuns | undefined;
  let cachedP0 = -1;
  let cachedKc = -1;
  return (Ap, i0, mc, p0, kc) => {
    const px = pixelTable(g, m0 + i0, mc, pix);
    pix = px;
    if (runs === undefined || p0 !== cachedP0 || kc !== cachedKc) {
      runs = tapRuns(g, patch, p0, kc);
      cachedP0 = p0;
      cachedKc = kc;
    }
    for (let ir = 0; ir < mc; ir += 4) {
      for (let i = 0; i < 4; i++) {
        const o = ir * kc + i;
        if (ir + i < mc) packPixelRow(x, g, px, ir + i, runs, Ap, o);
        else for (let p = 0; p < kc; p++) Ap[o + 4 * p] = 0;
      }
    }
  };
}

/** Row `r` of the pixel table into `Ap[o + 4p]`, run by run (zeros where a tap is outside the image). */
function packPixelRow(
  x: Float32Array,
  g: ConvGeometry,
  px: PixelTable,
  r: number,
  runs: TapRuns,
  Ap: Float32Array,
  o: number,
): void {
  const base = px.base[r]!;
  const interior = px.interior[r] === 1;
  const iy0 = px.iy[r]!;
  const ix0 = px.ix[r]!;
  for (let k = 0; k < runs.count; k++) {
    const len = runs.len[k]!;
    let a = o + 4 * runs.start[k]!;
    const iy = iy0 + runs.fy[k]!;
    const ix = ix0 + runs.fx[k]!;
    if (interior || (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW)) {
      const src = base + runs.off[k]!;
      for (let t = 0; t < len; t++, a += 4) Ap[a] = x[src + t]!;
    } else {
      for (let t = 0; t < len; t++, a += 4) Ap[a] = 0;
    }
  }
}

/**
 * Packs patch columns (as rows, offset by `q0`) × pixels (as depth): A(q, m) = X[m, q0 + q], i.e.
 * the transposed im2col matrix for the filter gradient. Pixel geometry is cached per depth block;
 * each panel of four rows is filled pixel by pixel (the four rows are usually adjacent channels
 * of one filter tap: one contiguous read of x per pixel).
 */
function im2colTransposedPack(
  x: Float32Array,
  g: ConvGeometry,
  patch: PatchTable,
  q0: number,
): PackA {
  let pix: PixelTable | undefined;
  let cachedP0 = -1;
  let cachedKc = -1;
  return (Ap, i0, mc, p0, kc) => {
    if (pix === undefined || p0 !== cachedP0 || kc !== cachedKc) {
      pix = pixelTable(g, p0, kc, pix);
      cachedP0 = p0;
      cachedKc = kc;
    }
    for (let ir = 0; ir < mc; ir += 4) {
      transposedPanel(x, g, patch, pix, q0 + i0 + ir, Math.min(4, mc - ir), Ap, ir * kc, kc);
    }
  };
}

/** One 4-row panel of {@link im2colTransposedPack}: rows `q … q + rows − 1` (rows ≤ 4; zero past them). */
function transposedPanel(
  x: Float32Array,
  g: ConvGeometry,
  patch: PatchTable,
  pix: PixelTable,
  q: number,
  rows: number,
  Ap: Float32Array,
  o: number,
  kc: number,
): void {
  const { base, iy: piy, ix: pixx, interior } = pix;
  const { dy: qdy, dx: qdx, off: qoff } = patch;
  const last = q + rows - 1;
  // Rows past the panel's end repeat the last row's tap; their values are overwritten with 0.
  const at = (i: number) => Math.min(q + i, last);
  const [o0, o1, o2, o3] = [qoff[at(0)]!, qoff[at(1)]!, qoff[at(2)]!, qoff[at(3)]!];
  const [y0, y1, y2, y3] = [qdy[at(0)]!, qdy[at(1)]!, qdy[at(2)]!, qdy[at(3)]!];
  const [x0, x1, x2, x3] = [qdx[at(0)]!, qdx[at(1)]!, qdx[at(2)]!, qdx[at(3)]!];
  const { inH, inW } = g;
  const inside = (iy: number, ix: number) => iy >= 0 && iy < inH && ix >= 0 && ix < inW;
  for (let p = 0, a = o; p < kc; p++, a += 4) {
    const b = base[p]!;
    if (interior[p] === 1) {
      Ap[a] = x[b + o0]!;
      Ap[a + 1] = x[b + o1]!;
      Ap[a + 2] = x[b + o2]!;
      Ap[a + 3] = x[b + o3]!;
    } else {
      const iy = piy[p]!;
      const ix = pixx[p]!;
      Ap[a] = inside(iy + y0, ix + x0) ? x[b + o0]! : 0;
      Ap[a + 1] = inside(iy + y1, ix + x1) ? x[b + o1]! : 0;
      Ap[a + 2] = inside(iy + y2, ix + x2) ? x[b + o2]! : 0;
      Ap[a + 3] = inside(iy + y3, ix + x3) ? x[b + o3]! : 0;
    }
  }
  for (let i = rows; i < 4; i++) for (let p = 0; p < kc; p++) Ap[o + 4 * p + i] = 0;
}

/**
 * Forward convolution, output pixels `[m0, m1)`: `y[m, :] = X[m, :] · W`.
 * Shapes: x `[batch, inH, inW, inC]`, w `[fh, fw, inC, outC]`, y `[batch, outH, outW, outC]`
 * (flat NHWC); `s` must hold an `(m1 − m0) × outC` product.
 */
export function convForwardRows(
  s: GemmScratch,
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  g: ConvGeometry,
  m0: number,
  m1: number,
): void {
  const Q = g.fh * g.fw * g.inC;
  const packA = im2colRowsPack(x, g, patchTable(g), m0);
  gemm(s, m1 - m0, g.outC, Q, packA, stridedPackB(w, 0, g.outC, 1, g.outC), y, m0 * g.outC, g.outC);
}

/**
 * Filter gradient, block rows `[q0, q1)` × columns `[n0, n1)` of `dW[Q, outC]`:
 * `dW[q, n] = Σ_m X[m, q] · dy[m, n]`. Shapes: x `[batch, inH, inW, inC]`, dy
 * `[batch, outH, outW, outC]`, dW `[fh, fw, inC, outC]`; `s` must hold a `(q1 − q0) × (n1 − n0)`
 * product.
 */
export function convFilterBlock(
  s: GemmScratch,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
  q0: number,
  q1: number,
  n0: number,
  n1: number,
): void {
  const P = g.batch * g.outH * g.outW;
  const packA = im2colTransposedPack(x, g, patchTable(g), q0);
  const packB = stridedPackB(dy, n0, g.outC, 1, n1 - n0);
  gemm(s, q1 - q0, n1 - n0, P, packA, packB, dw, q0 * g.outC + n0, g.outC);
}

/** Output rows `[oyStart, oyEnd)` whose patches reach input rows `[y0, y1)`. */
export function outputRowsReaching(g: ConvGeometry, y0: number, y1: number): [number, number] {
  const oyStart = Math.max(0, Math.ceil((y0 + g.padTop - g.fh + 1) / g.sh));
  const oyEnd = Math.min(g.outH, Math.floor((y1 - 1 + g.padTop) / g.sh) + 1);
  return [oyStart, Math.max(oyStart, oyEnd)];
}

/**
 * Input gradient (also the forward pass of a transposed convolution) for input rows `[y0, y1)`
 * of image `b` (dx freshly zeroed). Every output pixel whose patch reaches those rows is recomputed
 * here (`col = dy · Wᵀ`, {@link colChunkPixels} pixels at a time into `col`) and scattered into
 * the band only, in increasing pixel order — the order the whole-image computation adds them in.
 * Shapes: dy `[batch, outH, outW, outC]`, w `[fh, fw, inC, outC]`, dx `[batch, inH, inW, inC]`;
 * `col` holds `colChunkPixels() · Q` floats; `s` must hold a `colChunkPixels() × Q` product.
 */
export function convInputBand(
  s: GemmScratch,
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  col: Float32Array,
  g: ConvGeometry,
  b: number,
  y0: number,
  y1: number,
): void {
  const Q = g.fh * g.fw * g.inC;
  const [oyStart, oyEnd] = outputRowsReaching(g, y0, y1);
  const m1 = (b * g.outH + oyEnd) * g.outW;
  const chunk = colChunkPixels();
  const packB = stridedPackB(w, 0, 1, g.outC, Q);
  let pix: PixelTable | undefined;
  for (let m0 = (b * g.outH + oyStart) * g.outW; m0 < m1; m0 += chunk) {
    const rows = Math.min(chunk, m1 - m0);
    gemm(s, rows, Q, g.outC, stridedPackA(dy, m0 * g.outC, g.outC, 1), packB, col, 0, Q);
    pix = pixelTable(g, m0, rows, pix);
    scatterBand(col, rows, pix, dx, g, y0, y1);
  }
}

/** col2im of `rows` pixels into dx, keeping only input rows `[y0, y1)`. */
function scatterBand(
  col: Float32Array,
  rows: number,
  pix: PixelTable,
  dx: Float32Array,
  g: ConvGeometry,
  y0: number,
  y1: number,
): void {
  const { inW, inC, fh, fw } = g;
  const Q = fh * fw * inC;
  for (let r = 0; r < rows; r++) {
    const iy0 = pix.iy[r]!;
    const ix0 = pix.ix[r]!;
    const base = pix.base[r]!;
    const interior = pix.interior[r] === 1;
    let src = r * Q;
    for (let fy = 0; fy < fh; fy++) {
      const iy = iy0 + fy;
      if (iy < y0 || iy >= y1) {
        src += fw * inC;
        continue;
      }
      for (let fx = 0; fx < fw; fx++) {
        const ix = ix0 + fx;
        if (interior || (ix >= 0 && ix < inW)) {
          const dst = base + (fy * inW + fx) * inC;
          for (let c = 0; c < inC; c++) dx[dst + c]! += col[src + c]!;
        }
        src += inC;
      }
    }
  }
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const CONV_WORKER_FUNCTIONS = [
  colChunkPixels,
  tapRuns,
  im2colRowsPack,
  packPixelRow,
  im2colTransposedPack,
  transposedPanel,
  convForwardRows,
  convFilterBlock,
  outputRowsReaching,
  convInputBand,
  scatterBand,
];
