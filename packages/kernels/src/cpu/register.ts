/**
 * Registration of the vqkit cpu kernels over tfjs-backend-cpu's, keeping the stock kernel configs
 * so {@link unregisterCpuKernels} restores them exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError } from '../errors';
import { NEAREST_CODE_KERNEL, nearestCodeCpuConfig } from '../nearest-code';
import { makeConv2D, makeConv2DBackpropFilter, makeConv2DBackpropInput } from './conv-kernels';
import { makeBinary, makeRelu, makeStep } from './elementwise-kernels';
import { makeSum } from './reduce-kernels';

/** Stock kernels replaced on cpu, with the factory that wraps each (stock kept as fallback). */
const REPLACEMENTS: ReadonlyArray<[string, (stock: tf.KernelFunc) => tf.KernelFunc]> = [
  [tf.Conv2D, makeConv2D],
  [tf.Conv2DBackpropFilter, makeConv2DBackpropFilter],
  [tf.Conv2DBackpropInput, makeConv2DBackpropInput],
  [tf.Sum, makeSum],
  [tf.Add, (stock) => makeBinary('add', stock)],
  [tf.Sub, (stock) => makeBinary('sub', stock)],
  [tf.Multiply, (stock) => makeBinary('mul', stock)],
  [tf.Relu, makeRelu],
  [tf.Step, makeStep],
];

/** Stock configs of the kernels currently replaced, by kernel name. */
const stockConfigs = new Map<string, tf.KernelConfig>();

/**
 * Registers the vqkit cpu kernels (Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, Sum over
 * leading axes, float32 Add/Sub/Multiply/Relu/Step, and {@link NEAREST_CODE_KERNEL}). Idempotent.
 *
 * @returns the names of the kernels now served by vqkit on cpu.
 * @throws {@link KernelError} when tfjs-backend-cpu's kernels are not registered.
 */
export function registerCpuKernels(): string[] {
  for (const [name, make] of REPLACEMENTS) {
    if (stockConfigs.has(name)) continue;
    const stock = tf.getKernel(name, 'cpu');
    if (stock == null) {
      throw new KernelError(
        `registerVqkitKernels('cpu'): tfjs-backend-cpu's ${name} kernel is not registered. Import '@tensorflow/tfjs-backend-cpu' before registering the vqkit kernels.`,
      );
    }
    stockConfigs.set(name, stock);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ ...stock, kernelFunc: make(stock.kernelFunc) });
  }
  if (tf.getKernel(NEAREST_CODE_KERNEL, 'cpu') == null) tf.registerKernel(nearestCodeCpuConfig);
  return [...REPLACEMENTS.map(([name]) => name), NEAREST_CODE_KERNEL];
}

/**
 * Restores tfjs-backend-cpu's stock kernels replaced by {@link registerCpuKernels}. The nearest-code
 * kernel has no stock counterpart and stays registered. Idempotent.
 *
 * @returns the names of the kernels restored.
 */
export function unregisterCpuKernels(): string[] {
  const restored: string[] = [];
  for (const [name, stock] of stockConfigs) {
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(stock);
    restored.push(name);
  }
  stockConfigs.clear();
  return restored;
}

/**
 * The stock tfjs-backend-cpu kernel function for `name` (the saved one while vqkit's replaces it,
 * else the registered one); used by the tests and benchmarks to compare against.
 */
export function stockCpuKernel(name: string): tf.KernelFunc {
  const config = stockConfigs.get(name) ?? tf.getKernel(name, 'cpu');
  if (config == null) {
    throw new KernelError(
      `stockCpuKernel: no cpu kernel named ${name} is registered. Import '@tensorflow/tfjs-backend-cpu' first.`,
    );
  }
  return config.kernelFunc;
}
