/**
 * Packed, cache-blocked single-precision GEMM on `Float32Array`s: `C[M, N] += A[M, K] · B[K, N]`.
 *
 * The operands are never read directly: the caller supplies `packA`/`packB` callbacks that copy a
 * block of the logical operand into a contiguous panel layout (BLIS style). That lets the
 * convolution kernels gather im2col patches straight from the NHWC input while packing (implicit
 * GEMM, no im2col buffer) and lets transposed operands cost nothing extra.
 *
 * Panel layouts (MR = NR = 4):
 * - A block rows `[i0, i0 + mc)`, depth `[p0, p0 + kc)`: panel `r` (rows `i0 + 4r …`) starts at
 *   `r · 4 · kc`; inside it element `(i, p)` sits at `p · 4 + i`; rows past `mc` are zero.
 * - B block depth `[p0, p0 + kc)`, columns `[0, n)`: panel `s` (columns `4s …`) starts at
 *   `s · 4 · kc`; inside it element `(p, j)` sits at `p · 4 + j`; columns past `n` are zero.
 *
 * Accumulation happens in float64 registers (JS numbers) and is rounded once per `kc` block.
 */

/** Rows of A (and of C) handled by one micro-kernel call. */
export const MR = 4;
/** Columns of B (and of C) handled by one micro-kernel call. */
export const NR = 4;
/** Depth of one packed block (shared dimension K). */
export const KC = 256;
/** Rows of A packed at once (L2-sized A block: MC · KC · 4 B = 64 KiB). */
export const MC = 64;

/** Fills `Ap` with the rows `[i0, i0 + mc)` × depth `[p0, p0 + kc)` of A in panel layout. */
export type PackA = (Ap: Float32Array, i0: number, mc: number, p0: number, kc: number) => void;
/** Fills `Bp` with depth `[p0, p0 + kc)` × all `n` columns of B in panel layout. */
export type PackB = (Bp: Float32Array, p0: number, kc: number) => void;

/** Scratch buffers reused across calls (the kernels are synchronous and single-threaded). */
let scratchA = new Float32Array(MC * KC);
let scratchB = new Float32Array(64 * KC);

function ensureScratch(n: number): void {
  if (scratchA.length < MC * KC) scratchA = new Float32Array(MC * KC);
  const needB = Math.ceil(n / NR) * NR * KC;
  if (scratchB.length < needB) scratchB = new Float32Array(needB);
}

/**
 * `C[cOff + i · ldc + j] += Σ_p A(i, p) · B(p, j)` for `i < m`, `j < n`, `p < k`.
 *
 * @param m rows of A and C.
 * @param n columns of B and C.
 * @param k shared dimension.
 * @param packA gathers blocks of A (see the module comment for the layout).
 * @param packB gathers blocks of B.
 * @param C output, accumulated into (zero it first for a plain product).
 * @param cOff offset of `C(0, 0)`.
 * @param ldc row stride of C.
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  packA: PackA,
  packB: PackB,
  C: Float32Array,
  cOff: number,
  ldc: number,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  ensureScratch(n);
  const Ap = scratchA;
  const Bp = scratchB;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packB(Bp, p0, kc);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = Math.min(MC, m - i0);
      packA(Ap, i0, mc, p0, kc);
      for (let jr = 0; jr < n; jr += NR) {
        const nr = Math.min(NR, n - jr);
        const bOff = jr * kc;
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = Math.min(MR, mc - ir);
          microKernel4x4(kc, Ap, ir * kc, Bp, bOff, C, cOff + (i0 + ir) * ldc + jr, ldc, mr, nr);
        }
      }
    }
  }
}

/** 4×4 register-tiled rank-kc update of one C tile; `mr`/`nr` < 4 only on the edges. */
function microKernel4x4(
  kc: number,
  Ap: Float32Array,
  aOff: number,
  Bp: Float32Array,
  bOff: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  let c33 = 0;
  let ai = aOff;
  let bi = bOff;
  for (let p = 0; p < kc; p++) {
    const a0 = Ap[ai];
    const a1 = Ap[ai + 1];
    const a2 = Ap[ai + 2];
    const a3 = Ap[ai + 3];
    const b0 = Bp[bi];
    const b1 = Bp[bi + 1];
    const b2 = Bp[bi + 2];
    const b3 = Bp[bi + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
    ai += 4;
    bi += 4;
  }
  if (mr === 4 && nr === 4) {
    let o = cOff;
    C[o] += c00;
    C[o + 1] += c01;
    C[o + 2] += c02;
    C[o + 3] += c03;
    o += ldc;
    C[o] += c10;
    C[o + 1] += c11;
    C[o + 2] += c12;
    C[o + 3] += c13;
    o += ldc;
    C[o] += c20;
    C[o + 1] += c21;
    C[o + 2] += c22;
    C[o + 3] += c23;
    o += ldc;
    C[o] += c30;
    C[o + 1] += c31;
    C[o + 2] += c32;
    C[o + 3] += c33;
    return;
  }
  storeEdge(C, cOff, ldc, mr, nr, [
    c00,
    c01,
    c02,
    c03,
    c10,
    c11,
    c12,
    c13,
    c20,
    c21,
    c22,
    c23,
    c30,
    c31,
    c32,
    c33,
  ]);
}

function storeEdge(
  C: Float32Array,
  cOff: number,
  ldc: number,
  mr: number,
  nr: number,
  tile: number[],
): void {
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) C[cOff + i * ldc + j] += tile[i * 4 + j];
  }
}

/**
 * Packs a plain strided matrix `M(i, j) = src[off + i · rs + j · cs]` as the A operand.
 * @returns a {@link PackA} for rows `i` (of C) and depth `j`.
 */
export function stridedPackA(src: Float32Array, off: number, rs: number, cs: number): PackA {
  return (Ap, i0, mc, p0, kc) => {
    let o = 0;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      const rowBase = off + (i0 + ir) * rs + p0 * cs;
      for (let p = 0; p < kc; p++) {
        const base = rowBase + p * cs;
        let i = 0;
        for (; i < mr; i++) Ap[o + i] = src[base + i * rs];
        for (; i < MR; i++) Ap[o + i] = 0;
        o += MR;
      }
    }
  };
}

/**
 * Packs a plain strided matrix `M(p, j) = src[off + p · rs + j · cs]` with `n` columns as the
 * B operand.
 */
export function stridedPackB(
  src: Float32Array,
  off: number,
  rs: number,
  cs: number,
  n: number,
): PackB {
  return (Bp, p0, kc) => {
    let o = 0;
    for (let jr = 0; jr < n; jr += NR) {
      const nr = Math.min(NR, n - jr);
      const colBase = off + p0 * rs + jr * cs;
      for (let p = 0; p < kc; p++) {
        const base = colBase + p * rs;
        let j = 0;
        for (; j < nr; j++) Bp[o + j] = src[base + j * cs];
        for (; j < NR; j++) Bp[o + j] = 0;
        o += NR;
      }
    }
  };
}
