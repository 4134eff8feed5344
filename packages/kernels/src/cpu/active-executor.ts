/**
 * The executor the registered cpu kernels use, configured by `registerVqkitKernels` (threads,
 * relaxed SIMD) and created with the defaults on first use otherwise.
 */
import type { CpuExecutor } from './executor';
import { createCallingThreadExecutor } from './executor';
import { chooseSimdLevel, type SimdLevel } from './simd-support';
import { resolveThreads, warnOnce } from './thread-count';
import { createWorkerPoolExecutor } from './worker-pool';

/** cpu options of `registerVqkitKernels`. */
export interface CpuKernelOptions {
  /**
   * Threads the cpu kernels use, the calling thread included; `1` runs everything on the calling
   * thread. Results are bit-identical for any count.
   * @default the environment variable VQKIT_CPU_THREADS, else every available core
   */
  threads?: number;
  /**
   * Use WebAssembly relaxed-SIMD fused multiply-add in the micro-kernels (`true` requires it;
   * `false` uses plain SIMD multiply then add).
   * @default relaxed SIMD where the runtime supports it (Node.js ≥ 22), else plain SIMD
   */
  relaxedSimd?: boolean;
}

/** What the cpu kernels run with. */
export interface CpuKernelSettings {
  /** Threads in use (1: the calling thread only). */
  threads: number;
  /** Micro-kernels in use: relaxed-SIMD FMA, plain SIMD, or scalar JavaScript. */
  simd: SimdLevel;
}

let active: CpuExecutor | undefined;
let activeKey = '';

/**
 * Sets up the executor for `options` (keeping the running one when nothing changed).
 * `minParallelFlops` is for tests: jobs below it stay on the calling thread (default 4·10⁶).
 * @throws {@link KernelError} on a bad thread count (option or VQKIT_CPU_THREADS) or on
 *   `relaxedSimd: true` without runtime support.
 */
export function configureCpuExecutor(
  options: CpuKernelOptions & { minParallelFlops?: number } = {},
): CpuKernelSettings {
  let threads = resolveThreads(options.threads);
  const simd = chooseSimdLevel(options.relaxedSimd);
  if (threads > 1 && simd === 'none') {
    warnOnce(
      'VQKIT_THREADS_NO_SIMD',
      `@vqkit/kernels: ${threads} cpu threads requested, but this runtime lacks WebAssembly SIMD, which the worker threads need; the kernels run on the calling thread.`,
    );
    threads = 1;
  }
  const key = `${threads}/${simd}/${options.minParallelFlops ?? ''}`;
  if (active === undefined || key !== activeKey) {
    active?.release();
    active =
      threads > 1 && simd !== 'none'
        ? createWorkerPoolExecutor({ threads, simd, minParallelFlops: options.minParallelFlops })
        : createCallingThreadExecutor(simd);
    activeKey = key;
  }
  return { threads: active.threads, simd: active.simd };
}

/** The configured executor (configured with the defaults on first use). */
export function cpuExecutor(): CpuExecutor {
  if (active === undefined) configureCpuExecutor();
  return active as CpuExecutor;
}

/** Stops the worker threads, if any (they restart on the next parallel job). */
export function releaseCpuThreads(): void {
  active?.release();
}
