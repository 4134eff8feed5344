import * as tf from '@tensorflow/tfjs-core';
import { registerCpuKernels, unregisterCpuKernels } from './cpu/register';
import { registerWebGPUKernels, unregisterWebGPUKernels } from './webgpu/index';

/**
 * Registers vqkit's fast kernels over tfjs's stock kernels for one backend.
 *
 * - `cpu`: Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput (implicit-GEMM on Float32Array,
 *   numerically equal to the stock kernels within float32 rounding) and `VqkitNearestCode`.
 * - `webgpu`: the WGSL kernels of `registerWebGPUKernels` (Conv2DBackpropFilter as a tiled
 *   implicit GEMM, `VqkitNearestCode`); needs `@tensorflow/tfjs-backend-webgpu` imported.
 * - any other backend: nothing (tfjs-node's `tensorflow` kernels are native already).
 *
 * Idempotent; {@link unregisterVqkitKernels} restores the stock kernels.
 *
 * @param backendName backend to register for. @default tf.getBackend()
 * @returns the names of the kernels vqkit now serves on that backend.
 */
export function registerVqkitKernels(backendName: string = tf.getBackend()): string[] {
  if (backendName === 'cpu') return registerCpuKernels();
  if (backendName === 'webgpu') return registerWebGPUKernels();
  return [];
}

/**
 * Restores the stock tfjs kernels that {@link registerVqkitKernels} replaced, on every backend
 * (the webgpu `VqkitNearestCode` kernel is removed; the cpu one, which has no stock counterpart
 * and is used by {@link fusedNearestCode}, stays).
 * @returns the names of the kernels restored.
 */
export function unregisterVqkitKernels(): string[] {
  return [...unregisterCpuKernels(), ...unregisterWebGPUKernels()];
}
