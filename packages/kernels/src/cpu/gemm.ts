/**
 * Packed, cache-blocked single-precision GEMM on `Float32Array`s: `C[M, N] += A[M, K] · B[K, N]`.
 *
 * The operands are never read directly: the caller supplies `packA`/`packB` callbacks that copy a
 * block of the logical operand into a contiguous panel layout (BLIS style). That lets the
 * convolution kernels gather im2col patches straight from the NHWC input while packing (implicit
 * GEMM, no im2col buffer) and lets transposed operands cost nothing extra.
 *
 * Panel layouts (MR = 4, NR = 8):
 * - A block rows `[i0, i0 + mc)`, depth `[p0, p0 + kc)`: panel `r` (rows `i0 + 4r …`) starts at
 *   `r · 4 · kc`; inside it element `(i, p)` sits at `p · 4 + i`; rows past `mc` are zero.
 * - B block depth `[p0, p0 + kc)`, columns `[0, n)`: panel `s` (columns `8s …`) starts at
 *   `s · 8 · kc`; inside it element `(p, j)` sits at `p · 8 + j`; columns past `n` are zero.
 *
 * The 4×8 micro-kernel is WebAssembly SIMD (`wasm-microkernel.ts`, float32 accumulation over one
 * `kc` block); the packed panels live in its memory. Where WebAssembly SIMD is unavailable a
 * scalar JS micro-kernel (float64 accumulation) is used instead.
 */
import { instantiateMicroKernel } from './wasm-microkernel';

/** Rows of A (and of C) handled by one micro-kernel call. */
export const MR = 4;
/** Columns of B (and of C) handled by one micro-kernel call. */
export const NR = 8;
/** Depth of one packed block (shared dimension K). */
export const KC = 256;
/** Rows of A packed at once (L2-sized A block: MC · KC · 4 B = 64 KiB). */
export const MC = 64;

/** Fills `Ap` with the rows `[i0, i0 + mc)` × depth `[p0, p0 + kc)` of A in panel layout. */
export type PackA = (Ap: Float32Array, i0: number, mc: number, p0: number, kc: number) => void;
/** Fills `Bp` with depth `[p0, p0 + kc)` × all `n` columns of B in panel layout. */
export type PackB = (Bp: Float32Array, p0: number, kc: number) => void;

const wasm = instantiateMicroKernel();

/** Byte offsets in the wasm memory: the 4×8 output tile, then the A block, then the B block. */
const TILE_BYTES = MR * NR * 4;
const A_BYTES = MC * KC * 4;
const A_OFFSET = TILE_BYTES;
const B_OFFSET = A_OFFSET + A_BYTES;

/** Scratch views (on the wasm memory when available), reused across calls. */
let tile = new Float32Array(MR * NR);
let scratchA = new Float32Array(MC * KC);
let scratchB = new Float32Array(0);

function ensureScratch(n: number): void {
  const floatsB = Math.ceil(n / NR) * NR * KC;
  if (scratchB.length >= floatsB) return;
  if (wasm == null) {
    scratchB = new Float32Array(floatsB);
    return;
  }
  const needBytes = B_OFFSET + floatsB * 4;
  const page = 65536;
  const have = wasm.memory.buffer.byteLength;
  if (needBytes > have) wasm.memory.grow(Math.ceil((needBytes - have) / page));
  const buf = wasm.memory.buffer;
  tile = new Float32Array(buf, 0, MR * NR);
  scratchA = new Float32Array(buf, A_OFFSET, MC * KC);
  scratchB = new Float32Array(buf, B_OFFSET, (buf.byteLength - B_OFFSET) >> 2);
}

/** Whether the WebAssembly SIMD micro-kernel is in use (else the scalar JS one). */
export function usesWasmSimd(): boolean {
  return wasm != null;
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
  const t = tile;
  const kernel = wasm?.kernel;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packB(Bp, p0, kc);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = Math.min(MC, m - i0);
      packA(Ap, i0, mc, p0, kc);
      for (let jr = 0; jr < n; jr += NR) {
        const nr = Math.min(NR, n - jr);
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = Math.min(MR, mc - ir);
          if (kernel !== undefined) {
            kernel(kc, A_OFFSET + ir * kc * 4, B_OFFSET + jr * kc * 4, 0);
          } else {
            microKernelJs(kc, Ap, ir * kc, Bp, jr * kc, t);
          }
          let o = cOff + (i0 + ir) * ldc + jr;
          if (nr === NR) {
            for (let i = 0; i < mr; i++, o += ldc) {
              const ti = i * NR;
              C[o] += t[ti];
              C[o + 1] += t[ti + 1];
              C[o + 2] += t[ti + 2];
              C[o + 3] += t[ti + 3];
              C[o + 4] += t[ti + 4];
              C[o + 5] += t[ti + 5];
              C[o + 6] += t[ti + 6];
              C[o + 7] += t[ti + 7];
            }
          } else {
            for (let i = 0; i < mr; i++, o += ldc) {
              for (let j = 0; j < nr; j++) C[o + j] += t[i * NR + j];
            }
          }
        }
      }
    }
  }
}

/** Scalar fallback of the 4×8 micro-kernel: writes the tile (row-major, 4 × 8) to `out`. */
function microKernelJs(
  kc: number,
  Ap: Float32Array,
  aOff: number,
  Bp: Float32Array,
  bOff: number,
  out: Float32Array,
): void {
  const acc = new Float64Array(MR * NR);
  let ai = aOff;
  let bi = bOff;
  for (let p = 0; p < kc; p++) {
    for (let i = 0; i < MR; i++) {
      const a = Ap[ai + i];
      const row = i * NR;
      for (let j = 0; j < NR; j++) acc[row + j] += a * Bp[bi + j];
    }
    ai += MR;
    bi += NR;
  }
  for (let i = 0; i < MR * NR; i++) out[i] = acc[i];
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
