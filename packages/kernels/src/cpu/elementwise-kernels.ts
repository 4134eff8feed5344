/**
 * Float32 element-wise kernels for the cpu backend: Add, Sub, Multiply (same shape, or one operand
 * repeating along the leading axes — a bias `[C]` against `[B, H, W, C]` — or a single value of any
 * rank, e.g. the `[1, 1, 1, 1]` upstream gradient of a mean) and Relu,
 * Step (the ReLU gradient's mask). The stock kernels route every element through a shared,
 * megamorphic `op(a, b)` closure with a modulo per element; these are monomorphic loops with the
 * same arithmetic (in float64, rounded once to float32 on store), so results are bit-identical.
 * Other dtypes and broadcasts go to the stock kernel.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { backend_util, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';

/** Binary operations handled here. */
export type BinaryOp = 'add' | 'sub' | 'mul';

function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/** `out[i] = a[i] op b[i]`. */
function sameShape(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
  else for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
}

/** `out[o + j] = a[o + j] op b[j]` with `b` repeating (period `b.length`). */
function repeatB(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  const m = b.length;
  if (m === 1) {
    const s = b[0]!;
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + s;
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - s;
    else for (let i = 0; i < n; i++) out[i] = a[i]! * s;
    return;
  }
  for (let o = 0; o < n; o += m) {
    if (op === 'add') for (let j = 0; j < m; j++) out[o + j] = a[o + j]! + b[j]!;
    else if (op === 'sub') for (let j = 0; j < m; j++) out[o + j] = a[o + j]! - b[j]!;
    else for (let j = 0; j < m; j++) out[o + j] = a[o + j]! * b[j]!;
  }
}

/** `out[o + j] = a[j] op b[o + j]` with `a` repeating (period `a.length`). */
function repeatA(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  const m = a.length;
  if (m === 1) {
    const s = a[0]!;
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = s + b[i]!;
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = s - b[i]!;
    else for (let i = 0; i < n; i++) out[i] = s * b[i]!;
    return;
  }
  for (let o = 0; o < n; o += m) {
    if (op === 'add') for (let j = 0; j < m; j++) out[o + j] = a[j]! + b[o + j]!;
    else if (op === 'sub') for (let j = 0; j < m; j++) out[o + j] = a[j]! - b[o + j]!;
    else for (let j = 0; j < m; j++) out[o + j] = a[j]! * b[o + j]!;
  }
}

/** Add / Sub / Multiply (inputs `a`, `b`) with the stock kernel as fallback. */
export function makeBinary(op: BinaryOp, stock: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const av = f32(backend, a);
    const bv = f32(backend, b);
    if (av === null || bv === null) return stock(args);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = util.sizeFromShape(outShape);
    // The smaller operand must repeat whole: a single value (any rank), or a shape with no
    // stretched size-1 axis (it then equals the trailing dims of the output).
    const whole =
      backend_util.getBroadcastDims(a.shape, outShape).length === 0 &&
      backend_util.getBroadcastDims(b.shape, outShape).length === 0;
    const out = new Float32Array(n);
    if (n === 0) return backend.makeTensorInfo(outShape, 'float32', out);
    if (av.length === n && bv.length === n) sameShape(op, av, bv, out);
    else if (av.length === n && (bv.length === 1 || whole)) repeatB(op, av, bv, out);
    else if (bv.length === n && (av.length === 1 || whole)) repeatA(op, av, bv, out);
    else return stock(args);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

/** Relu (input `x`): `max(0, x)`, NaN stays NaN. */
export function makeRelu(stock: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const xv = f32(backend, x);
    if (xv === null) return stock(args);
    const out = new Float32Array(xv.length);
    for (let i = 0; i < xv.length; i++) out[i] = Math.max(0, xv[i]!);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  };
}

/** Step (input `x`, attr `alpha`): `x > 0 ? 1 : alpha`, NaN stays NaN. */
export function makeStep(stock: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const xv = f32(backend, x);
    if (xv === null) return stock(args);
    const alpha = (args.attrs as { alpha: number }).alpha;
    const out = new Float32Array(xv.length);
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i]!;
      out[i] = v > 0 ? 1 : Number.isNaN(v) ? Number.NaN : alpha;
    }
    return backend.makeTensorInfo(x.shape, 'float32', out);
  };
}
