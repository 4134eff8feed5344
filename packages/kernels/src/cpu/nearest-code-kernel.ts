/**
 * The {@link NEAREST_CODE_KERNEL} kernel on tfjs's cpu backend: the blocked SIMD search of
 * `nearest-code.ts` (scalar float64 where WebAssembly SIMD is missing) on the configured executor.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { NEAREST_CODE_KERNEL } from '../kernel-names';
import { cpuExecutor, releaseCpuThreads } from './active-executor';

/** Kernel function: inputs `z` `[N, D]`, `codebook` `[K, D]` (float32) → int32 `[N]`. */
export function nearestCodeCpuKernel(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as MathBackendCPU;
  const { z, codebook } = args.inputs as { z: TensorInfo; codebook: TensorInfo };
  const [n, d] = z.shape as [number, number];
  const k = codebook.shape[0] as number;
  const zv = backend.data.get(z.dataId).values as Float32Array;
  const ev = backend.data.get(codebook.dataId).values as Float32Array;
  return backend.makeTensorInfo([n], 'int32', cpuExecutor().nearest(zv, ev, n, k, d));
}

/** Kernel config of {@link NEAREST_CODE_KERNEL} on the cpu backend (stops the threads on dispose). */
export const nearestCodeCpuConfig: KernelConfig = {
  kernelName: NEAREST_CODE_KERNEL,
  backendName: 'cpu',
  kernelFunc: nearestCodeCpuKernel as KernelFunc,
  disposeFunc: releaseCpuThreads,
};
