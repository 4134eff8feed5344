/**
 * Float32 element-wise arithmetic over index ranges, for the cpu kernels of
 * `elementwise-kernels.ts`: the calling thread runs a whole array, the worker pool runs ranges
 * (whole periods of a repeating operand) on several threads. Each element is computed the same
 * way either way (in float64, rounded once to float32 on store), so the results are bit-identical.
 * Shipped to the worker threads (`worker-source.ts`).
 */

/** Binary operations, as the codes the worker pool passes around. */
export function binaryOps() {
  return { add: 0, sub: 1, mul: 2, div: 3 } as const;
}

/** Unary operations. */
export function unaryOps() {
  return { relu: 0, step: 1 } as const;
}

/**
 * `out[i] = a[i mod |a|] op b[i mod |b|]` for `i ∈ [i0, i1)`, where one of a, b has the full
 * length and the other repeats (its length divides the output's; with a repeating operand longer
 * than 1, `i0` must be a multiple of its length).
 */
export function binaryRange(
  op: number,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  i0: number,
  i1: number,
): void {
  const ops = binaryOps();
  if (a.length === b.length) {
    if (op === ops.add) for (let i = i0; i < i1; i++) out[i] = a[i]! + b[i]!;
    else if (op === ops.sub) for (let i = i0; i < i1; i++) out[i] = a[i]! - b[i]!;
    else if (op === ops.mul) for (let i = i0; i < i1; i++) out[i] = a[i]! * b[i]!;
    else for (let i = i0; i < i1; i++) out[i] = a[i]! / b[i]!;
  } else if (b.length === 1 || a.length === 1) {
    scalarRange(op, a, b, out, i0, i1);
  } else if (b.length < a.length) {
    const m = b.length;
    for (let o = i0; o < i1; o += m) {
      if (op === ops.add) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! + b[j]!;
      else if (op === ops.sub) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! - b[j]!;
      else if (op === ops.mul) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! * b[j]!;
      else for (let j = 0; j < m; j++) out[o + j] = a[o + j]! / b[j]!;
    }
  } else {
    const m = a.length;
    for (let o = i0; o < i1; o += m) {
      if (op === ops.add) for (let j = 0; j < m; j++) out[o + j] = a[j]! + b[o + j]!;
      else if (op === ops.sub) for (let j = 0; j < m; j++) out[o + j] = a[j]! - b[o + j]!;
      else if (op === ops.mul) for (let j = 0; j < m; j++) out[o + j] = a[j]! * b[o + j]!;
      else for (let j = 0; j < m; j++) out[o + j] = a[j]! / b[o + j]!;
    }
  }
}

/** {@link binaryRange} where `a` or `b` is a single value. */
function scalarRange(
  op: number,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  i0: number,
  i1: number,
): void {
  const ops = binaryOps();
  if (b.length === 1) {
    const s = b[0]!;
    if (op === ops.add) for (let i = i0; i < i1; i++) out[i] = a[i]! + s;
    else if (op === ops.sub) for (let i = i0; i < i1; i++) out[i] = a[i]! - s;
    else if (op === ops.mul) for (let i = i0; i < i1; i++) out[i] = a[i]! * s;
    else for (let i = i0; i < i1; i++) out[i] = a[i]! / s;
    return;
  }
  const s = a[0]!;
  if (op === ops.add) for (let i = i0; i < i1; i++) out[i] = s + b[i]!;
  else if (op === ops.sub) for (let i = i0; i < i1; i++) out[i] = s - b[i]!;
  else if (op === ops.mul) for (let i = i0; i < i1; i++) out[i] = s * b[i]!;
  else for (let i = i0; i < i1; i++) out[i] = s / b[i]!;
}

/**
 * `out[i] = relu(x[i]) = max(0, x[i])` or `step(x[i]) = x[i] > 0 ? 1 : alpha` (NaN stays NaN)
 * for `i ∈ [i0, i1)`.
 */
export function unaryRange(
  op: number,
  x: Float32Array,
  out: Float32Array,
  alpha: number,
  i0: number,
  i1: number,
): void {
  if (op === unaryOps().relu) {
    for (let i = i0; i < i1; i++) out[i] = Math.max(0, x[i]!);
    return;
  }
  for (let i = i0; i < i1; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? 1 : Number.isNaN(v) ? Number.NaN : alpha;
  }
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const ELEMENTWISE_WORKER_FUNCTIONS = [
  binaryOps,
  unaryOps,
  binaryRange,
  scalarRange,
  unaryRange,
];
