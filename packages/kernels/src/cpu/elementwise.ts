/**
 * Float32 element-wise arithmetic over index ranges, for the cpu kernels of
 * `elementwise-kernels.ts`: the calling thread runs a whole array, the worker pool runs ranges
 * (whole periods of a repeating operand) on several threads. Each element is computed the same
 * way either way (in float64, rounded once to float32 on store), so the results are bit-identical.
 * Shipped to the worker threads (`worker-source.ts`).
 */

/** Binary operations, as the codes the worker pool passes around. */
export function binaryOps() {
  return { add: 0, sub: 1, mul: 2, div: 3, sqdiff: 4 } as const;
}

/** Unary operations. */
export function unaryOps() {
  return { relu: 0, step: 1, square: 2, sqrt: 3 } as const;
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
    else if (op === ops.div) for (let i = i0; i < i1; i++) out[i] = a[i]! / b[i]!;
    else for (let i = i0; i < i1; i++) out[i] = sqdiff(a[i]!, b[i]!);
  } else if (b.length === 1 || a.length === 1) {
    scalarRange(op, a, b, out, i0, i1);
  } else if (b.length < a.length) {
    const m = b.length;
    for (let o = i0; o < i1; o += m) {
      if (op === ops.add) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! + b[j]!;
      else if (op === ops.sub) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! - b[j]!;
      else if (op === ops.mul) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! * b[j]!;
      else if (op === ops.div) for (let j = 0; j < m; j++) out[o + j] = a[o + j]! / b[j]!;
      else for (let j = 0; j < m; j++) out[o + j] = sqdiff(a[o + j]!, b[j]!);
    }
  } else {
    const m = a.length;
    for (let o = i0; o < i1; o += m) {
      if (op === ops.add) for (let j = 0; j < m; j++) out[o + j] = a[j]! + b[o + j]!;
      else if (op === ops.sub) for (let j = 0; j < m; j++) out[o + j] = a[j]! - b[o + j]!;
      else if (op === ops.mul) for (let j = 0; j < m; j++) out[o + j] = a[j]! * b[o + j]!;
      else if (op === ops.div) for (let j = 0; j < m; j++) out[o + j] = a[j]! / b[o + j]!;
      else for (let j = 0; j < m; j++) out[o + j] = sqdiff(a[j]!, b[o + j]!);
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
    else if (op === ops.div) for (let i = i0; i < i1; i++) out[i] = a[i]! / s;
    else for (let i = i0; i < i1; i++) out[i] = sqdiff(a[i]!, s);
    return;
  }
  const s = a[0]!;
  if (op === ops.add) for (let i = i0; i < i1; i++) out[i] = s + b[i]!;
  else if (op === ops.sub) for (let i = i0; i < i1; i++) out[i] = s - b[i]!;
  else if (op === ops.mul) for (let i = i0; i < i1; i++) out[i] = s * b[i]!;
  else if (op === ops.div) for (let i = i0; i < i1; i++) out[i] = s / b[i]!;
  else for (let i = i0; i < i1; i++) out[i] = sqdiff(s, b[i]!);
}

/**
 * `(a − b)²` as the stock SquaredDifference kernel computes it: the difference and the square in
 * float64, rounded once to float32 when stored (bit-identical).
 */
function sqdiff(a: number, b: number): number {
  const d = a - b;
  return d * d;
}

/**
 * `out[i] = relu(x[i]) = max(0, x[i])`, `step(x[i]) = x[i] > 0 ? 1 : alpha` (NaN stays NaN),
 * `x[i]²` or `√x[i]` for `i ∈ [i0, i1)`; the square and the root in float64, rounded once to
 * float32 on store as the stock kernels do (a float32's square is exact in float64, and a float64
 * root of a float32 rounds correctly to float32), so both are bit-identical to the stock ones.
 * Relu and step decide on the float's bits (as int32: the sign is the sign bit, and a
 * non-NaN float is `> 0` exactly when its bits are), with no branch on the sign: on real data the
 * sign is random, and a branch on it mispredicts half the time (6× slower measured). Only NaN —
 * rare, so predictable — takes a branch. Bit-identical to `Math.max(0, x)` and to `x > 0 ? 1 : α`.
 */
export function unaryRange(
  op: number,
  x: Float32Array,
  out: Float32Array,
  alpha: number,
  i0: number,
  i1: number,
): void {
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  if (op === unaryOps().relu) {
    const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
    for (let i = i0; i < i1; i++) {
      const v = xi[i]!;
      let r = v & ~(v >> 31);
      if ((v & 0x7fffffff) > 0x7f800000) r = v;
      oi[i] = r;
    }
    return;
  }
  if (op === unaryOps().square) {
    for (let i = i0; i < i1; i++) out[i] = x[i]! * x[i]!;
    return;
  }
  if (op === unaryOps().sqrt) {
    for (let i = i0; i < i1; i++) out[i] = Math.sqrt(x[i]!);
    return;
  }
  const values = new Float64Array([alpha, 1]);
  for (let i = i0; i < i1; i++) {
    const v = xi[i]!;
    let r = values[+(v > 0)]!;
    if ((v & 0x7fffffff) > 0x7f800000) r = Number.NaN;
    out[i] = r;
  }
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const ELEMENTWISE_WORKER_FUNCTIONS = [
  binaryOps,
  unaryOps,
  binaryRange,
  scalarRange,
  sqdiff,
  unaryRange,
];
