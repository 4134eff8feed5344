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
 */
import type { ConvGeometry, PatchTable, PixelTable } from './conv-geometry';
import { patchTable, pixelTable } from './conv-geometry';
import { gemm, MR, type PackA, stridedPackA, stridedPackB } from './gemm';

/** Output pixels per col2im chunk of the input gradient (bounds the `col` scratch buffer). */
const COL_CHUNK = 256;

/**
 * Packs im2col rows (pixels) × patch columns: A(m, q) = X[m, q].
 * Pixel geometry is computed per panel row; interior pixels skip the bounds checks.
 */
function im2colRowsPack(x: Float32Array, g: ConvGeometry, patch: PatchTable): PackA {
  let pix: PixelTable | undefined;
  return (Ap, i0, mc, p0, kc) => {
    pix = pixelTable(g, i0, mc, pix);
    const { dy: qdy, dx: qdx, off: qoff } = patch;
    let o = 0;
    for (let ir = 0; ir < mc; ir += MR) {
      for (let i = 0; i < MR; i++) {
        const r = ir + i;
        if (r >= mc) {
          for (let p = 0; p < kc; p++) Ap[o + p * MR + i] = 0;
          continue;
        }
        const base = pix.base[r];
        if (pix.interior[r] === 1) {
          for (let p = 0; p < kc; p++) Ap[o + p * MR + i] = x[base + qoff[p0 + p]];
        } else {
          const iy0 = pix.iy[r];
          const ix0 = pix.ix[r];
          for (let p = 0; p < kc; p++) {
            const q = p0 + p;
            const iy = iy0 + qdy[q];
            const ix = ix0 + qdx[q];
            Ap[o + p * MR + i] =
              iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW ? x[base + qoff[q]] : 0;
          }
        }
      }
      o += MR * kc;
    }
  };
}

/**
 * Packs patch columns (as rows) × pixels (as depth): A(q, m) = X[m, q], i.e. the transposed
 * im2col matrix for the filter gradient. Pixel geometry is cached per depth block.
 */
function im2colTransposedPack(x: Float32Array, g: ConvGeometry, patch: PatchTable): PackA {
  let pix: PixelTable | undefined;
  let cachedP0 = -1;
  let cachedKc = -1;
  return (Ap, i0, mc, p0, kc) => {
    if (p0 !== cachedP0 || kc !== cachedKc) {
      pix = pixelTable(g, p0, kc, pix);
      cachedP0 = p0;
      cachedKc = kc;
    }
    const px = pix as PixelTable;
    const { dy: qdy, dx: qdx, off: qoff } = patch;
    const inH = g.inH;
    const inW = g.inW;
    let o = 0;
    for (let ir = 0; ir < mc; ir += MR) {
      for (let i = 0; i < MR; i++) {
        const r = ir + i;
        if (r >= mc) {
          for (let p = 0; p < kc; p++) Ap[o + p * MR + i] = 0;
          continue;
        }
        const q = i0 + r;
        const qo = qoff[q];
        const fy = qdy[q];
        const fx = qdx[q];
        for (let p = 0; p < kc; p++) {
          if (px.interior[p] === 1) {
            Ap[o + p * MR + i] = x[px.base[p] + qo];
          } else {
            const iy = px.iy[p] + fy;
            const ix = px.ix[p] + fx;
            Ap[o + p * MR + i] =
              iy >= 0 && iy < inH && ix >= 0 && ix < inW ? x[px.base[p] + qo] : 0;
          }
        }
      }
      o += MR * kc;
    }
  };
}

/**
 * Forward convolution. Shapes: x `[batch, inH, inW, inC]`, w `[fh, fw, inC, outC]` →
 * y `[batch, outH, outW, outC]` (all flat NHWC `Float32Array`s).
 */
export function conv2dForward(x: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array {
  const P = g.batch * g.outH * g.outW;
  const Q = g.fh * g.fw * g.inC;
  const y = new Float32Array(P * g.outC);
  gemm(
    P,
    g.outC,
    Q,
    im2colRowsPack(x, g, patchTable(g)),
    stridedPackB(w, 0, g.outC, 1, g.outC),
    y,
    0,
    g.outC,
  );
  return y;
}

/**
 * Filter gradient. Shapes: x `[batch, inH, inW, inC]`, dy `[batch, outH, outW, outC]` →
 * dW `[fh, fw, inC, outC]`.
 */
export function conv2dBackpropFilter(
  x: Float32Array,
  dy: Float32Array,
  g: ConvGeometry,
): Float32Array {
  const P = g.batch * g.outH * g.outW;
  const Q = g.fh * g.fw * g.inC;
  const dw = new Float32Array(Q * g.outC);
  gemm(
    Q,
    g.outC,
    P,
    im2colTransposedPack(x, g, patchTable(g)),
    stridedPackB(dy, 0, g.outC, 1, g.outC),
    dw,
    0,
    g.outC,
  );
  return dw;
}

/**
 * Input gradient (also the forward pass of a transposed convolution). Shapes: dy
 * `[batch, outH, outW, outC]`, w `[fh, fw, inC, outC]` → dx `[batch, inH, inW, inC]`.
 */
export function conv2dBackpropInput(
  dy: Float32Array,
  w: Float32Array,
  g: ConvGeometry,
): Float32Array {
  const P = g.batch * g.outH * g.outW;
  const Q = g.fh * g.fw * g.inC;
  const dx = new Float32Array(g.batch * g.inH * g.inW * g.inC);
  const chunk = Math.min(COL_CHUNK, P);
  const col = new Float32Array(chunk * Q);
  const packB = stridedPackB(w, 0, 1, g.outC, Q);
  let pix: PixelTable | undefined;
  const { inH, inW, inC, fh, fw } = g;
  for (let m0 = 0; m0 < P; m0 += chunk) {
    const rows = Math.min(chunk, P - m0);
    col.fill(0, 0, rows * Q);
    gemm(rows, Q, g.outC, stridedPackA(dy, m0 * g.outC, g.outC, 1), packB, col, 0, Q);
    pix = pixelTable(g, m0, rows, pix);
    for (let r = 0; r < rows; r++) {
      const iy0 = pix.iy[r];
      const ix0 = pix.ix[r];
      const base = pix.base[r];
      const interior = pix.interior[r] === 1;
      let src = r * Q;
      for (let fy = 0; fy < fh; fy++) {
        const iy = iy0 + fy;
        const rowOk = interior || (iy >= 0 && iy < inH);
        for (let fx = 0; fx < fw; fx++) {
          const ix = ix0 + fx;
          if (rowOk && (interior || (ix >= 0 && ix < inW))) {
            const dst = base + (fy * inW + fx) * inC;
            for (let c = 0; c < inC; c++) dx[dst + c] += col[src + c];
          }
          src += inC;
        }
      }
    }
  }
  return dx;
}
