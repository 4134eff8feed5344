/**
 * Float32 element-wise kernels for the cpu backend: Add, Sub, Multiply, RealDiv, SquaredDifference (same shape, or one operand
 * repeating along the leading axes — a bias `[C]` against `[B, H, W, C]` — or a single value of any
 * rank, e.g. the `[1, 1, 1, 1]` upstream gradient of a mean) and Relu,
 * Step (the ReLU gradient's mask), Square and Sqrt (Adam's update; the loss). The stock kernels route every element through a shared,
 * megamorphic `op(a, b)` closure with a modulo per element; these are monomorphic loops with the
 * same arithmetic (in float64, rounded once to float32 on store), so results are bit-identical.
 * Other dtypes and broadcasts go to the stock kernel. The loops (`elementwise.ts`) run on the
 * configured executor: large arrays are split over the worker threads.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { backend_util, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { cpuExecutor } from './active-executor';
import { binaryOps, unaryOps } from './elementwise';

/** Binary operations handled here (`sqdiff`: SquaredDifference, `(a − b)²`). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'sqdiff';

function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/** Add / Sub / Multiply / RealDiv / SquaredDifference (inputs `a`, `b`) with the stock kernel as fallback. */
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
    if (n === 0) return backend.makeTensorInfo(outShape, 'float32', new Float32Array(0));
    const repeats = (full: Float32Array, other: Float32Array) =>
      full.length === n && (other.length === n || other.length === 1 || whole);
    if (!repeats(av, bv) && !repeats(bv, av)) return stock(args);
    const out = cpuExecutor().binary(binaryOps()[op], av, bv, n);
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
    const out = cpuExecutor().unary(unaryOps().relu, xv, 0);
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
    const out = cpuExecutor().unary(unaryOps().step, xv, alpha);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  };
}

/** Square or Sqrt (input `x`): `x²` / `√x` (see `unaryRange`). */
export function makeUnary(op: 'square' | 'sqrt', stock: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const xv = f32(backend, x);
    if (xv === null) return stock(args);
    const out = cpuExecutor().unary(unaryOps()[op], xv, 0);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  };
}
