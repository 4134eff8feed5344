/**
 * Packed, cache-blocked single-precision GEMM on `Float32Array`s: `C[M, N] += A[M, K] · B[K, N]`.
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
 * `kc` block); the packed panels live in its memory ({@link GemmScratch}). Where WebAssembly SIMD
 * is unavailable a scalar JS micro-kernel (float64 accumulation) is used instead.
 *
 * Every element `C(i, j)` is reduced the same way whatever rows or columns a call covers:
 * `((C + T₀) + T₁) + …` over the depth blocks in order, each `T_b` summed in `p` order. So
 * splitting rows or columns across threads gives bit-identical results.
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

/** `k(kc, aByteOffset, bByteOffset, outByteOffset)`: the 4×8 micro-kernel (`wasm-microkernel.ts`). */
export type MicroKernel = (kc: number, a: number, b: number, out: number) => void;

/**
 * One thread's GEMM workspace: the micro-kernel and, in `heap` (a view of the kernel's memory,
 * or a plain array for the JS kernel), the float offsets of the 4×8 output tile, the A block
 * (`MC · KC` floats) and the B block (`⌈n / NR⌉ · NR · KC` floats for the widest `n` used).
 */
export interface GemmScratch {
  kernel: MicroKernel | undefined;
  heap: Float32Array;
  tile: number;
  a: number;
  b: number;
}

/** Floats of scratch a {@link GemmScratch} needs for products with `n` columns. */
export function gemmScratchFloats(n: number): number {
  const { MR, NR, KC, MC } = gemmBlocking();
  return MR * NR + MC * KC + Math.ceil(n / NR) * NR * KC;
}

/** Fills `Ap` with the rows `[i0, i0 + mc)` × depth `[p0, p0 + kc)` of A in panel layout. */
export type PackA = (Ap: Float32Array, i0: number, mc: number, p0: number, kc: number) => void;
/** Fills `Bp` with depth `[p0, p0 + kc)` × all `n` columns of B in panel layout. */
export type PackB = (Bp: Float32Array, p0: number, kc: number) => void;

/**
 * `C[cOff + i · ldc + j] += Σ_p A(i, p) · B(p, j)` for `i < m`, `j < n`, `p < k`.
 *
 * @param s the thread's workspace (its B block must hold `n` columns).
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
  if (m === 0 || n === 0 || k === 0) return;
  const { MR, NR, KC, MC } = gemmBlocking();
  const heap = s.heap;
  const Ap = heap.subarray(s.a, s.a + MC * KC);
  const Bp = heap.subarray(s.b, s.b + Math.ceil(n / NR) * NR * KC);
  const t = s.tile;
  const kernel = s.kernel;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packB(Bp, p0, kc);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = Math.min(MC, m - i0);
      packA(Ap, i0, mc, p0, kc);
      for (let jr = 0; jr < n; jr += NR) {
        const nr = Math.min(NR, n - jr);
        for (let ir = 0; ir < mc; ir += MR) {
          if (kernel !== undefined) {
            kernel(kc, 4 * (s.a + ir * kc), 4 * (s.b + jr * kc), 4 * t);
          } else {
            microKernelJs(kc, heap, s.a + ir * kc, s.b + jr * kc, t);
          }
          addTile(heap, t, C, cOff + (i0 + ir) * ldc + jr, ldc, Math.min(MR, mc - ir), nr);
        }
      }
    }
  }
}

/** `C[o + i · ldc + j] += tile[i · 8 + j]` for the `mr × nr` valid part of a 4×8 tile. */
function addTile(
  heap: Float32Array,
  t: number,
  C: Float32Array,
  o: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  if (nr === 8) {
    for (let i = 0; i < mr; i++, o += ldc) {
      const ti = t + i * 8;
      C[o]! += heap[ti]!;
      C[o + 1]! += heap[ti + 1]!;
      C[o + 2]! += heap[ti + 2]!;
      C[o + 3]! += heap[ti + 3]!;
      C[o + 4]! += heap[ti + 4]!;
      C[o + 5]! += heap[ti + 5]!;
      C[o + 6]! += heap[ti + 6]!;
      C[o + 7]! += heap[ti + 7]!;
    }
    return;
  }
  for (let i = 0; i < mr; i++, o += ldc) {
    for (let j = 0; j < nr; j++) C[o + j]! += heap[t + i * 8 + j]!;
  }
}

/** Scalar fallback of the 4×8 micro-kernel: writes the tile (row-major, 4 × 8) to `heap[t…]`. */
function microKernelJs(kc: number, heap: Float32Array, aOff: number, bOff: number, t: number) {
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
  for (let i = 0; i < 32; i++) heap[t + i] = acc[i]!;
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
  gemm,
  addTile,
  microKernelJs,
  stridedPackA,
  stridedPackB,
];
