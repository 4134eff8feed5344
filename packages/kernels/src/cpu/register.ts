/**
 * Registration of the vqkit cpu kernels over tfjs-backend-cpu's, keeping the stock kernel configs
 * so {@link unregisterCpuKernels} restores them exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError } from '../errors';
import { NEAREST_CODE_KERNEL } from '../kernel-names';
import {
  type CpuKernelOptions,
  type CpuKernelSettings,
  configureCpuExecutor,
  releaseCpuThreads,
} from './active-executor';
import { makeConv2D, makeConv2DBackpropFilter, makeConv2DBackpropInput } from './conv-kernels';
import { makeBinary, makeRelu, makeStep, makeUnary } from './elementwise-kernels';
import { makeGatherV2, makeSplitV } from './gather-split-kernels';
import { nearestCodeCpuConfig } from './nearest-code-kernel';
import { makeMean, makeSum } from './reduce-kernels';
import { makeTile } from './tile-kernel';

/** Stock kernels replaced on cpu, with the factory that wraps each (stock kept as fallback). */
const REPLACEMENTS: ReadonlyArray<[string, (stock: tf.KernelFunc) => tf.KernelFunc]> = [
  [tf.Conv2D, makeConv2D],
  [tf.Conv2DBackpropFilter, makeConv2DBackpropFilter],
  [tf.Conv2DBackpropInput, makeConv2DBackpropInput],
  [tf.Sum, makeSum],
  [tf.Mean, makeMean],
  [tf.SplitV, makeSplitV],
  [tf.GatherV2, makeGatherV2],
  [tf.Add, (stock) => makeBinary('add', stock)],
  [tf.Sub, (stock) => makeBinary('sub', stock)],
  [tf.Multiply, (stock) => makeBinary('mul', stock)],
  [tf.RealDiv, (stock) => makeBinary('div', stock)],
  [tf.Relu, makeRelu],
  [tf.Step, makeStep],
  [tf.SquaredDifference, (stock) => makeBinary('sqdiff', stock)],
  [tf.Square, (stock) => makeUnary('square', stock)],
  [tf.Sqrt, (stock) => makeUnary('sqrt', stock)],
  [tf.Tile, makeTile],
];

/** Every kernel vqkit serves on cpu once registered, in registration order. */
export const CPU_KERNELS: readonly string[] = [
  ...REPLACEMENTS.map(([name]) => name),
  NEAREST_CODE_KERNEL,
];

/** Stock configs of the kernels currently replaced, by kernel name. */
const stockConfigs = new Map<string, tf.KernelConfig>();

/**
 * Registers the vqkit cpu kernels ({@link CPU_KERNELS}: Conv2D, Conv2DBackpropFilter,
 * Conv2DBackpropInput, Sum and Mean over consecutive axes, SplitV, GatherV2 of rows, Tile, float32
 * Add/Sub/Multiply/RealDiv/SquaredDifference/Relu/Step/Square/Sqrt, and {@link NEAREST_CODE_KERNEL}) and configures their threads. Idempotent. When the cpu backend is
 * disposed (`tf.removeBackend('cpu')`, `tf.engine().reset()`), the worker threads stop.
 *
 * @returns the kernel names and the thread / SIMD settings in use.
 * @throws {@link KernelError} when tfjs-backend-cpu's kernels are not registered, or on a bad
 *   thread count (option or VQKIT_CPU_THREADS).
 */
export function registerCpuKernels(options: CpuKernelOptions = {}): {
  kernels: string[];
  settings: CpuKernelSettings;
} {
  const missing = REPLACEMENTS.find(
    ([name]) => !stockConfigs.has(name) && tf.getKernel(name, 'cpu') == null,
  );
  if (missing !== undefined) {
    throw new KernelError(
      `registerVqkitKernels({ backend: 'cpu' }): tfjs-backend-cpu's ${missing[0]} kernel is not registered. Import '@tensorflow/tfjs-backend-cpu' before registering the vqkit kernels.`,
    );
  }
  const settings = configureCpuExecutor(options);
  for (const [name, make] of REPLACEMENTS) {
    if (stockConfigs.has(name)) continue;
    const stock = tf.getKernel(name, 'cpu') as tf.KernelConfig;
    stockConfigs.set(name, stock);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({
      ...stock,
      kernelFunc: make(stock.kernelFunc),
      disposeFunc: releaseCpuThreads,
    });
  }
  if (tf.getKernel(NEAREST_CODE_KERNEL, 'cpu') == null) tf.registerKernel(nearestCodeCpuConfig);
  return { kernels: [...CPU_KERNELS], settings };
}

/**
 * Restores tfjs-backend-cpu's stock kernels replaced by {@link registerCpuKernels} and stops the
 * worker threads. The nearest-code kernel has no stock counterpart and stays registered.
 * Idempotent.
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
  releaseCpuThreads();
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
