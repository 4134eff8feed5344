/**
 * Registration of the vqkit WebGPU kernels over tfjs-backend-webgpu's stock kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NEAREST_CODE_KERNEL } from '../kernel-names';
import { makeConv2DBackpropFilterKernel } from './conv2d-backprop-filter';
import { makeConv2DBackpropInputKernel } from './conv2d-backprop-input';
import { KernelError } from './errors';
import { nearestCodeKernelConfig } from './nearest-code';

const BACKEND = 'webgpu';

/** Stock kernel configs replaced by {@link registerWebGPUKernels}, by kernel name. */
const stockConfigs = new Map<string, tf.KernelConfig>();

/** Kernels that take over a stock one: name → builder from the stock kernel function. */
const OVERRIDES: ReadonlyArray<readonly [string, (stock: tf.KernelFunc) => tf.KernelFunc]> = [
  [tf.Conv2DBackpropFilter, makeConv2DBackpropFilterKernel],
  [tf.Conv2DBackpropInput, makeConv2DBackpropInputKernel],
];

/** Every kernel vqkit serves on webgpu once registered, in registration order. */
export const WEBGPU_KERNELS: readonly string[] = [
  ...OVERRIDES.map(([name]) => name),
  NEAREST_CODE_KERNEL,
];

/**
 * Registers the vqkit WebGPU kernels on tfjs's `'webgpu'` backend: each replaces the stock kernel
 * (`tf.unregisterKernel` then `tf.registerKernel`; the stock kernel function is kept, used as the
 * fallback for layouts the vqkit kernel does not handle, and restored by
 * {@link unregisterWebGPUKernels}), plus the fused nearest-code search `VqkitNearestCode`.
 * Idempotent. Registration does not depend on the backend having been initialised, but the stock
 * kernels must be registered, i.e. `@tensorflow/tfjs-backend-webgpu` must have been imported.
 *
 * @returns The kernel names registered: {@link WEBGPU_KERNELS}.
 * @throws KernelError when tfjs-backend-webgpu's kernels are not registered.
 */
export function registerWebGPUKernels(): string[] {
  const names: string[] = [];
  for (const [name, build] of OVERRIDES) {
    if (!stockConfigs.has(name)) {
      const stock = tf.getKernel(name, BACKEND);
      if (stock === undefined) {
        throw new KernelError(
          `registerWebGPUKernels: expected tfjs-backend-webgpu's '${name}' kernel to be registered, got none. Import '@tensorflow/tfjs-backend-webgpu' (after setting navigator.gpu; see @vqkit/runtime) before registering.`,
        );
      }
      stockConfigs.set(name, stock);
      tf.unregisterKernel(name, BACKEND);
      tf.registerKernel({
        kernelName: name,
        backendName: BACKEND,
        kernelFunc: build(stock.kernelFunc),
      });
    }
    names.push(name);
  }
  if (tf.getKernel(NEAREST_CODE_KERNEL, BACKEND) === undefined) {
    tf.registerKernel(nearestCodeKernelConfig);
  }
  names.push(NEAREST_CODE_KERNEL);
  return names;
}

/**
 * Restores the stock tfjs-backend-webgpu kernels replaced by {@link registerWebGPUKernels} and
 * removes `VqkitNearestCode`. Idempotent.
 *
 * @returns The kernel names restored or removed.
 */
export function unregisterWebGPUKernels(): string[] {
  const names: string[] = [];
  for (const [name, stock] of stockConfigs) {
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(stock);
    names.push(name);
  }
  stockConfigs.clear();
  if (tf.getKernel(NEAREST_CODE_KERNEL, BACKEND) !== undefined) {
    tf.unregisterKernel(NEAREST_CODE_KERNEL, BACKEND);
    names.push(NEAREST_CODE_KERNEL);
  }
  return names;
}
