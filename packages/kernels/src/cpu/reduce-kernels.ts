/**
 * Sum over leading axes on the cpu backend. A bias gradient reduces `dy` `[B, H, W, C]` over axes
 * `[0, 1, 2]`; the stock Sum kernel first transposes the whole tensor so the reduced axes are
 * innermost (a generic, index-arithmetic transpose) and then sums. Here the column sums
 * `out[c] = Σ_r x[r, c]` are accumulated row by row in float64, reading `x` once, in order.
 * Other reductions go to the stock kernel.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  backend_util,
  type KernelFunc,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

/** Sum (input `x`) with the stock kernel as fallback. */
export function makeSum(stock: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    if (x.dtype !== 'float32') return stock(args);
    const rank = x.shape.length;
    const axes = [...util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    const values = backend.data.get(x.dataId).values;
    if (!leading || !(values instanceof Float32Array)) return stock(args);
    const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
    const cols = util.sizeFromShape(x.shape.slice(axes.length));
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) acc[c]! += values[o + c]!;
    }
    const outShape = keepDims
      ? backend_util.expandShapeToKeepDim(x.shape.slice(axes.length), axes)
      : x.shape.slice(axes.length);
    return backend.makeTensorInfo(outShape, 'float32', Float32Array.from(acc));
  };
}
