import * as tf from '@tensorflow/tfjs-core';
import type { NearestCodeSearch } from '@vqkit/quantizer';
import type { CpuKernelOptions, CpuKernelSettings } from './cpu/active-executor';
import { registerCpuKernels, unregisterCpuKernels } from './cpu/register';
import { KernelError } from './errors';
import { fusedNearestCode, hasFusedNearestCode } from './nearest-code';
import { registerWebGPUKernels, unregisterWebGPUKernels } from './webgpu/index';

/** Options of {@link registerVqkitKernels}. */
export interface RegisterVqkitKernelsOptions extends CpuKernelOptions {
  /**
   * The backend to register vqkit's kernels for.
   * @default tf.getBackend()
   */
  backend?: string;
}

/** What {@link registerVqkitKernels} did. */
export interface VqkitKernelRegistration {
  /** The backend the kernels were registered for. */
  backend: string;
  /** The kernels vqkit now serves on it (empty where vqkit has none). */
  kernels: string[];
  /**
   * The nearest-code search to give the quantizer (`search` option of `VectorQuantizer`):
   * {@link fusedNearestCode} where vqkit has a fused kernel for the backend (cpu, webgpu),
   * `undefined` elsewhere — keep the quantizer's default search then.
   */
  nearestCodeSearch: NearestCodeSearch | undefined;
  /** cpu only: the threads and SIMD level the kernels run with. */
  cpu?: CpuKernelSettings;
}

/**
 * Registers vqkit's fast kernels over tfjs's stock kernels for one backend, and says what it did.
 *
 * - `cpu`: Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput (implicit GEMMs, equal to the stock
 *   kernels within float32 rounding), Sum over leading axes, float32 Add/Sub/Multiply/RealDiv/Relu/Step,
 *   and the fused nearest-code search — on `threads` threads (default `VQKIT_CPU_THREADS`, else
 *   every core; bit-identical results for any count), with relaxed-SIMD FMA where available.
 * - `webgpu`: the WGSL kernels of `registerWebGPUKernels` (Conv2DBackpropFilter,
 *   Conv2DBackpropInput, the fused nearest-code search); needs `@tensorflow/tfjs-backend-webgpu`
 *   imported.
 * - any other backend (e.g. tfjs-node's `tensorflow`, native already): nothing.
 *
 * Idempotent; {@link unregisterVqkitKernels} restores the stock kernels.
 *
 * @example
 * const { nearestCodeSearch } = registerVqkitKernels({ backend: 'cpu' });
 * const vq = new VectorQuantizer({ codebookSize: 512, codeDim: 8, ...(nearestCodeSearch && { search: nearestCodeSearch }) });
 * @throws {@link KernelError} on bad options (a bad thread count, in the option or in
 *   `VQKIT_CPU_THREADS`, names the fix), or when the backend's stock kernels are not registered.
 */
export function registerVqkitKernels(
  options: RegisterVqkitKernelsOptions = {},
): VqkitKernelRegistration {
  if (typeof options !== 'object' || options === null) {
    throw new KernelError(
      `registerVqkitKernels: expected an options object such as { backend: 'cpu' }, got ${JSON.stringify(options)}. Pass { backend: ${JSON.stringify(options)} } instead.`,
    );
  }
  const backend = options.backend ?? tf.getBackend();
  const nearestCodeSearch = hasFusedNearestCode(backend) ? fusedNearestCode : undefined;
  if (backend === 'cpu') {
    const { kernels, settings } = registerCpuKernels(options);
    return { backend, kernels, nearestCodeSearch, cpu: settings };
  }
  if (backend === 'webgpu') return { backend, kernels: registerWebGPUKernels(), nearestCodeSearch };
  return { backend, kernels: [], nearestCodeSearch };
}

/**
 * Restores the stock tfjs kernels that {@link registerVqkitKernels} replaced, on every backend,
 * and stops the cpu worker threads (the webgpu `VqkitNearestCode` kernel is removed; the cpu one,
 * which has no stock counterpart and is used by {@link fusedNearestCode}, stays).
 * @returns the names of the kernels restored.
 */
export function unregisterVqkitKernels(): string[] {
  return [...unregisterCpuKernels(), ...unregisterWebGPUKernels()];
}
