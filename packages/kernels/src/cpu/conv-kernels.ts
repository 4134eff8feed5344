/**
 * tfjs kernel functions (cpu backend) for Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput on
 * top of the implicit-GEMM convolutions in `conv2d.ts`. Attributes are resolved with tfjs's own
 * `backend_util.computeConv2DInfo`, so padding ('same', 'valid', a number or explicit per-side
 * pads), rounding and output shapes match the stock kernels exactly. Cases the fast path does not
 * cover (NCHW, dilation > 1, non-float32 data) are handed to the stock kernel function. The work
 * itself runs on the configured executor (the calling thread, or worker threads too).
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  backend_util,
  type Conv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { cpuExecutor } from './active-executor';
import { geometryOf, isFastPathSupported } from './conv-geometry';

type Args = Parameters<KernelFunc>[0];

function floatValues(backend: MathBackendCPU, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : null;
}

/** Conv2D (inputs `x`, `filter`) with the stock kernel as fallback. */
export function makeConv2D(stock: KernelFunc): KernelFunc {
  return (args: Args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } =
      args.attrs as unknown as Conv2DAttrs;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat),
    );
    const xv = floatValues(backend, x);
    const wv = floatValues(backend, filter);
    if (!isFastPathSupported(info) || xv === null || wv === null) return stock(args);
    const y = cpuExecutor().convForward(xv, wv, geometryOf(info));
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  };
}

/** Conv2DBackpropFilter (inputs `x`, `dy`) with the stock kernel as fallback. */
export function makeConv2DBackpropFilter(stock: KernelFunc): KernelFunc {
  return (args: Args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      args.attrs as unknown as Conv2DBackpropFilterAttrs;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat),
    );
    const xv = floatValues(backend, x);
    const dyv = floatValues(backend, dy);
    if (!isFastPathSupported(info) || xv === null || dyv === null) return stock(args);
    const dw = cpuExecutor().convFilter(xv, dyv, geometryOf(info));
    return backend.makeTensorInfo(info.filterShape, 'float32', dw);
  };
}

/** Conv2DBackpropInput (inputs `dy`, `filter`) with the stock kernel as fallback. */
export function makeConv2DBackpropInput(stock: KernelFunc): KernelFunc {
  return (args: Args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const { inputShape, strides, pad, dataFormat, dimRoundingMode } =
      args.attrs as unknown as Conv2DBackpropInputAttrs;
    const info = backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat),
    );
    const dyv = floatValues(backend, dy);
    const wv = floatValues(backend, filter);
    if (!isFastPathSupported(info) || dyv === null || wv === null) return stock(args);
    const dx = cpuExecutor().convInput(dyv, wv, geometryOf(info));
    return backend.makeTensorInfo(info.inShape, 'float32', dx);
  };
}
