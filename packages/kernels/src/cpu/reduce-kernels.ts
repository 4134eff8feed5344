/**
 * Sum and Mean over a block of consecutive axes on the cpu backend: `x` seen as
 * `[outer, R, inner]` (R the reduced axes), `out[o, i] = Σ_r x[o, r, i]`. A bias gradient reduces
 * `dy` `[B, H, W, C]` over `[0, 1, 2]`; a loss takes the mean over every axis. The stock Sum first
 * transposes the whole tensor so the reduced axes are innermost (a generic, index-arithmetic
 * transpose) and then sums; the stock Mean also casts and divides every element by `R` first
 * (the generic broadcasting division). Here each is one pass over `x` in order, with the stock
 * arithmetic: float64 accumulation in the reduced elements' order (Mean: of `fround(x / R)`),
 * rounded once to float32 — bit-identical to the stock kernels (`reduce.ts`; large ones split over
 * the worker threads by blocks of output elements, each summed whole by one thread). Other
 * reductions (non-consecutive axes, no axes, other dtypes) go to the stock kernel.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  backend_util,
  type KernelFunc,
  type MeanAttrs,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { cpuExecutor } from './active-executor';

/** A reduction over `axis` of `x` as `[outer, R, inner]` with its output shape, or null when the axes are not one consecutive block. */
function reductionBlock(
  shape: number[],
  axis: number | number[],
  keepDims: boolean,
): { outer: number; R: number; inner: number; outShape: number[] } | null {
  const axes = [...util.parseAxisParam(axis, shape)].sort((a, b) => a - b);
  const first = axes[0];
  const last = axes.at(-1);
  if (first === undefined || last === undefined || last - first !== axes.length - 1) return null;
  const kept = shape.filter((_, d) => d < first || d > last);
  return {
    outer: util.sizeFromShape(shape.slice(0, first)),
    R: util.sizeFromShape(shape.slice(first, last + 1)),
    inner: util.sizeFromShape(shape.slice(last + 1)),
    outShape: keepDims ? backend_util.expandShapeToKeepDim(kept, axes) : kept,
  };
}

/** Sum (`mean: false`) or Mean of a float32 `x` with the stock kernel as fallback. */
function makeReduction(mean: boolean, stock: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as SumAttrs | MeanAttrs;
    const values = x.dtype === 'float32' ? backend.data.get(x.dataId).values : null;
    const block = reductionBlock(x.shape, axis, keepDims);
    if (block === null || !(values instanceof Float32Array) || block.R === 0) return stock(args);
    const divisor = mean ? Math.fround(block.R) : 0;
    const out = cpuExecutor().reduce(values, block.outer, block.R, block.inner, divisor);
    return backend.makeTensorInfo(block.outShape, 'float32', out);
  };
}

/** Sum (input `x`, attrs `axis`, `keepDims`) with the stock kernel as fallback. */
export function makeSum(stock: KernelFunc): KernelFunc {
  return makeReduction(false, stock);
}

/** Mean (input `x`, attrs `axis`, `keepDims`) with the stock kernel as fallback. */
export function makeMean(stock: KernelFunc): KernelFunc {
  return makeReduction(true, stock);
}
