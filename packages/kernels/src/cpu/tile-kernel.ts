/**
 * Tile for the cpu backend. The stock kernel maps every output element through generic index
 * arithmetic (two arrays allocated per element); `tf.where` broadcasts a single `bool` to the
 * shape of its operands through it — the EMA codebook's and the usage window's guarded updates,
 * `[K, D]` and `[window, K]` per level and step. Here the output is built axis by axis, from the
 * last: each block of the axis is repeated by doubling copies. Values are copied, never computed,
 * so the result is bit-identical to the stock kernel. Complex and string data go to the stock
 * kernel, which also raises its own errors (reps of the wrong length).
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { type KernelFunc, type TensorInfo, type TileAttrs, util } from '@tensorflow/tfjs-core';
import { numericValues, sameType, type Values } from './gather-split-kernels';

/**
 * `x` (shape `shape`) tiled `reps[i]` times along each axis `i`: shape `shape[i] · reps[i]`.
 * Always a new array (never `x` itself), of `x`'s type.
 */
export function tileValues(x: Values, shape: readonly number[], reps: readonly number[]): Values {
  let cur = x;
  let inner = 1; // elements after axis i in `cur` (already tiled)
  for (let i = shape.length - 1; i >= 0; i--) {
    const dim = shape[i] as number;
    const rep = reps[i] as number;
    const block = dim * inner;
    if (rep !== 1) {
      const outer = util.sizeFromShape(shape.slice(0, i));
      const next = sameType(cur, outer * block * rep);
      for (let o = 0; o < outer; o++)
        repeatBlock(cur, next, o * block, block, o * block * rep, rep);
      cur = next;
    }
    inner = block * rep;
  }
  return cur === x ? x.slice() : cur;
}

/** `dst[at + k · len …] = src[from …from + len]` for `k < times`, by doubling copies within `dst`. */
function repeatBlock(
  src: Values,
  dst: Values,
  from: number,
  len: number,
  at: number,
  times: number,
): void {
  if (len === 0 || times === 0) return;
  dst.set(src.subarray(from, from + len), at);
  const total = len * times;
  for (let filled = len; filled < total; filled *= 2) {
    dst.copyWithin(at + filled, at, at + Math.min(filled, total - filled));
  }
}

/** Tile (input `x`, attr `reps`) with the stock kernel as fallback. */
export function makeTile(stock: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x } = args.inputs as { x: TensorInfo };
    const { reps } = args.attrs as unknown as TileAttrs;
    const values = numericValues(backend, x);
    if (values === null || reps.length !== x.shape.length) return stock(args);
    const shape = x.shape.map((d, i) => d * (reps[i] as number));
    return backend.makeTensorInfo(shape, x.dtype, tileValues(values, x.shape, reps));
  };
}
