/**
 * Packed, cache-blocked single-precision GEMM on `Float32Array`s: `C[M, N] = A[M, K] · B[K, N]`.
 *
 * The operands are never read directly: the caller supplies `packA`/`packB` callbacks that copy a
 * block of the logical operand into a contiguous panel layout (BLIS style). That lets the
 * convolution kernels gather im2col patches straight from the NHWC input while packing (implicit
 * GEMM, no im2col buffer) and lets transposed operands cost nothing extra.
 *
 * Panel layouts (MR = 4, NR = 8, see {@link gemmBlocking}):
 * - A block rows `[i0, i0 + mc)`, depth `[p0, p0 + kc)`: panel `r` (rows `i0 + 4r …`) starts at
 *   `r · 4 · kc`; inside it element `(i, p)` sits at `p · 4 + i`; rows past `mc` are zero.
 * - B block depth `[p0, p0 + kc)`, columns `[0, n)`: panel `s` (columns `8s …`) starts at
 *   `s · 8 · kc`; inside it element `(p, j)` sits at `p · 8 + j`; columns past `n` are zero.
 *
 * The 4×8 micro-kernel is WebAssembly SIMD (`wasm-microkernel.ts`, float32 accumulation over one
 * `kc` block) and adds its tile into a padded row-major C block in its memory; the packed panels
 * and that block live in its memory ({@link GemmScratch}), and the block is copied into `C` once
 * at the end. Where WebAssembly SIMD is unavailable a scalar JS micro-kernel (float64
 * accumulation per block) is used instead.
 *
 * Every element `C(i, j)` is reduced the same way whatever rows or columns a call covers:
 * `((0 + T₀) + T₁) + …` over the depth blocks in order (float32 adds), each `T_b` summed in `p`
 * order. So splitting rows or columns across threads gives bit-identical results.
 *
 * The functions here also run inside the worker threads (their source is shipped there, see
 * `worker-source.ts`): they reference nothing at module level except other shipped functions.
 */

/** The blocking constants of {@link gemm} (a function so worker threads get them too). */
export function gemmBlocking() {
  return {
    /** Rows of A (and of C) handled by one micro-kernel call. */
    MR: 4,
    /** Columns of B (and of C) handled by one micro-kernel call. */
    NR: 8,
    /** Depth of one packed block (shared dimension K). */
    KC: 256,
    /** Rows of A packed at once (L2-sized A block: MC · KC · 4 B = 64 KiB). */
    MC: 64,
  } as const;
}

/** `k(kc, aByteOffset, bByteOffset, cByteOffset, ldcBytes)`: the 4×8 micro-kernel (`wasm-microkernel.ts`). */
export type MicroKernel = (kc: number, a: number, b: number, c: number, ldc: number) => void;

/**
 * One thread's GEMM workspace: the micro-kernel and, in `heap` (a view of the kernel's memory,
 * or a plain array for the JS kernel), the float offsets of the A block (`MC · KC` floats), the
 * B block and the C block (see {@link gemmScratchFloats}).
 */
export interface GemmScratch {
  kernel: MicroKernel | undefined;
  heap: Float32Array;
  a: number;
  b: number;
  c: number;
}

/** Floats of the B block for `n` columns. */
export function gemmBFloats(n: number): number {
  const { NR, KC } = gemmBlocking();
  return Math.ceil(n / NR) * NR * KC;
}

/** Floats of the C block for `m × n` (rows padded to a multiple of 4, columns of 8). */
export function gemmCFloats(m: number, n: number): number {
  const { MR, NR } = gemmBlocking();
  return Math.ceil(m / MR) * MR * Math.ceil(n / NR) * NR;
}

/** Floats of scratch a {@link GemmScratch} needs for products of up to `m × n` (A, B, C blocks in that order). */
export function gemmScratchFloats(m: number, n: number): number {
  const { KC, MC } = gemmBlocking();
  return MC * KC + gemmBFloats(n) + gemmCFloats(m, n);
}

/** Fills `Ap` with the rows `[i0, i0 + mc)` × depth `[p0, p0 + kc)` of A in panel layout. */
export type PackA = (Ap: Float32Array, i0: number, mc: number, p0: number, kc: number) => void;
/** Fills `Bp` with depth `[p0, p0 + kc)` × all `n` columns of B in panel layout. */
export type PackB = (Bp: Float32Array, p0: number, kc: number) => void;

/**
 * `C[cOff + i · ldc + j] = Σ_p A(i, p) · B(p, j)` for `i < m`, `j < n`, `p < k`.
 *
 * @param s the thread's workspace (its B and C blocks must hold `n` columns and `m` rows).
 * @param m rows of A and C.
 * @param n columns of B and C.
 * @param k shared dimension.
 * @param packA gathers blocks of A (see the module comment for the layout).
 * @param packB gathers blocks of B.
 * @param C output (rows of `n` elements written, the rest untouched).
 * @param cOff offset of `C(0, 0)`.
 * @param ldc row stride of C.
 */
export function gemm(
  s: GemmScratch,
  m: number,
  n: number,
  k: number,
  packA: PackA,
  packB: PackB,
  C: Float32Array,
  cOff: number,
  ldc: number,
): void {
  if (m === 0 || n === 0) return;
  const { MR, NR, KC, MC } = gemmBlocking();
  const heap = s.heap;
  const ldp = Math.ceil(n / NR) * NR;
  heap.fill(0, s.c, s.c + gemmCFloats(m, n));
  const Ap = heap.subarray(s.a, s.a + MC * KC);
  const Bp = heap.subarray(s.b, s.b + gemmBFloats(n));
  const kernel = s.kernel;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packB(Bp, p0, kc);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = Math.min(MC, m - i0);
      packA(Ap, i0, mc, p0, kc);
      for (let jr = 0; jr < n; jr += NR) {
        for (let ir = 0; ir < mc; ir += MR) {
          const c = s.c + (i0 + ir) * ldp + jr;
          if (kernel !== undefined) {
            kernel(kc, 4 * (s.a + ir * kc), 4 * (s.b + jr * kc), 4 * c, 4 * ldp);
          } else {
            microKernelJs(kc, heap, s.a + ir * kc, s.b + jr * kc, c, ldp);
          }
        }
      }
    }
  }
  for (let i = 0; i < m; i++)
    C.set(heap.subarray(s.c + i * ldp, s.c + i * ldp + n), cOff + i * ldc);
}

/**
 * Scalar fallback of the 4×8 micro-kernel: the tile summed in float64, then added into the C
 * block at `heap[c…]` (row stride `ldp`) in float32.
 */
function microKernelJs(
  kc: number,
  heap: Float32Array,
  aOff: number,
  bOff: number,
  c: number,
  ldp: number,
): void {
  const acc = new Float64Array(32);
  let ai = aOff;
  let bi = bOff;
  for (let p = 0; p < kc; p++) {
    for (let i = 0; i < 4; i++) {
      const a = heap[ai + i]!;
      const row = i * 8;
      for (let j = 0; j < 8; j++) acc[row + j]! += a * heap[bi + j]!;
    }
    ai += 4;
    bi += 8;
  }
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 8; j++) heap[c + i * ldp + j]! += Math.fround(acc[i * 8 + j]!);
  }
}

/**
 * Packs a plain strided matrix `M(i, j) = src[off + i · rs + j · cs]` as the A operand.
 * @returns a {@link PackA} for rows `i` (of C) and depth `j`.
 */
export function stridedPackA(src: Float32Array, off: number, rs: number, cs: number): PackA {
  const MR = gemmBlocking().MR;
  return (Ap, i0, mc, p0, kc) => {
    let o = 0;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      const rowBase = off + (i0 + ir) * rs + p0 * cs;
      for (let p = 0; p < kc; p++) {
        const base = rowBase + p * cs;
        let i = 0;
        for (; i < mr; i++) Ap[o + i] = src[base + i * rs]!;
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
  const NR = gemmBlocking().NR;
  return (Bp, p0, kc) => {
    let o = 0;
    for (let jr = 0; jr < n; jr += NR) {
      const nr = Math.min(NR, n - jr);
      const colBase = off + p0 * rs + jr * cs;
      for (let p = 0; p < kc; p++) {
        const base = colBase + p * rs;
        let j = 0;
        for (; j < nr; j++) Bp[o + j] = src[base + j * cs]!;
        for (; j < NR; j++) Bp[o + j] = 0;
        o += NR;
      }
    }
  };
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const GEMM_WORKER_FUNCTIONS = [
  gemmBlocking,
  gemmBFloats,
  gemmCFloats,
  gemm,
  microKernelJs,
  stridedPackA,
  stridedPackB,
];
