/**
 * Sums over the middle axis of `x` seen as `[outer, R, inner]`, for the cpu Sum and Mean kernels
 * (`reduce-kernels.ts`): the calling thread runs the whole output, the worker pool runs blocks of
 * it — ranges of `outer` and of `inner` — on several threads. Each output element is the same sum
 * either way (float64 over `r` in order, rounded once to float32), so the results are
 * bit-identical for any split. Shipped to the worker threads (`worker-source.ts`).
 */

/**
 * `out[o · inner + i] = Σ_r x[(o · R + r) · inner + i]` for `o ∈ [o0, o1)`, `i ∈ [i0, i1)`:
 * accumulated in float64 in the order of `r` (of `fround(x / divisor)` when `divisor` is not 0,
 * the stock Mean's arithmetic), rounded once to float32. Reads `x` row by row (`i` innermost).
 */
export function reduceRange(
  x: Float32Array,
  out: Float32Array,
  R: number,
  inner: number,
  divisor: number,
  range: [o0: number, o1: number, i0: number, i1: number],
): void {
  const [o0, o1, i0, i1] = range;
  const width = i1 - i0;
  const acc = new Float64Array(width);
  for (let o = o0; o < o1; o++) {
    acc.fill(0);
    let at = o * R * inner + i0;
    for (let r = 0; r < R; r++, at += inner) {
      if (divisor === 0) for (let i = 0; i < width; i++) acc[i]! += x[at + i]!;
      else for (let i = 0; i < width; i++) acc[i]! += Math.fround(x[at + i]! / divisor);
    }
    out.set(acc, o * inner + i0);
  }
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const REDUCE_WORKER_FUNCTIONS = [reduceRange];
