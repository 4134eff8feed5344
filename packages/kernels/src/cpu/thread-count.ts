/**
 * How many threads the cpu kernels use: `options.threads` of `registerVqkitKernels`, else the
 * environment variable {@link THREADS_ENV}, else every available core. Worker threads exist in
 * Node.js only (the calling thread blocks on `Atomics.wait` while they work, which browsers
 * forbid on their main thread); elsewhere the kernels run on the calling thread.
 */
import { KernelError } from '../errors';

/** The environment variable that sets the thread count (`1` = the calling thread only). */
export const THREADS_ENV = 'VQKIT_CPU_THREADS';

interface NodeProcess {
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
  emitWarning?: (message: string, options: { code: string }) => void;
}

/** Node's `process`, or undefined in a browser. */
export function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return typeof p === 'object' && p !== null ? p : undefined;
}

/** A Node built-in module, loaded synchronously, or undefined outside Node (≥ 20.16). */
export function nodeBuiltin<T>(id: string): T | undefined {
  return nodeProcess()?.getBuiltinModule?.(id) as T | undefined;
}

/** Logical cores this process may use (`os.availableParallelism()`; `navigator.hardwareConcurrency`). */
export function availableCores(): number {
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
  if (os !== undefined) return os.availableParallelism?.() ?? os.cpus().length;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/** Whether worker threads can serve the kernels here (Node ≥ 20.16 with worker_threads). */
export function workerThreadsAvailable(): boolean {
  return nodeBuiltin('node:worker_threads') !== undefined;
}

const warned = new Set<string>();

/** Emits `message` the first time `code` is warned about in this process (a Node warning, or console.warn). */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  const p = nodeProcess();
  if (p?.emitWarning) p.emitWarning(message, { code });
  else console.warn(`[@vqkit/kernels] ${message}`);
}

/**
 * Resolves the thread count.
 * @param option `options.threads` of `registerVqkitKernels`.
 * @param env the environment (default: `process.env`).
 * @throws {@link KernelError} when the option or {@link THREADS_ENV} is not a positive integer.
 */
export function resolveThreads(
  option: number | undefined,
  env: Record<string, string | undefined> = nodeProcess()?.env ?? {},
): number {
  const cores = availableCores();
  let threads = cores;
  let source = `all ${cores} available cores`;
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 1) {
      throw new KernelError(
        `registerVqkitKernels: options.threads must be a positive integer (1 = the calling thread only), got ${String(option)}. Omit it to use ${THREADS_ENV} or all ${cores} available cores.`,
      );
    }
    threads = option;
    source = `options.threads = ${option}`;
  } else {
    const raw = env[THREADS_ENV]?.trim();
    if (raw !== undefined && raw !== '') {
      if (!/^[0-9]+$/.test(raw) || Number(raw) < 1) {
        throw new KernelError(
          `${THREADS_ENV} must be a positive integer (1 = single-threaded), got '${env[THREADS_ENV]}'. Unset it to use all ${cores} available cores, or set e.g. ${THREADS_ENV}=${cores}.`,
        );
      }
      threads = Number(raw);
      source = `${THREADS_ENV}=${raw}`;
    }
  }
  if (threads > cores) {
    warnOnce(
      'VQKIT_THREADS_OVERSUBSCRIBED',
      `@vqkit/kernels: ${threads} cpu threads requested (${source}) but only ${cores} cores are available; the threads will time-share them.`,
    );
  }
  if (threads > 1 && !workerThreadsAvailable()) {
    warnOnce(
      'VQKIT_THREADS_UNAVAILABLE',
      `@vqkit/kernels: ${threads} cpu threads requested (${source}) but worker threads are unavailable here (they need Node.js >= 20.16); the kernels run on the calling thread.`,
    );
    return 1;
  }
  return threads;
}
