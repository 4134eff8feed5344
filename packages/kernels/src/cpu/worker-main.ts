/**
 * The body of a worker thread of the cpu kernels: build this thread's kernels on the shared
 * memory, then wait for jobs (`Atomics.wait` on the control block's generation), run units of
 * each (see `jobs.ts`), until the pool sets `STOP`. Shipped to the workers as source text
 * (`worker-source.ts`).
 */
import { controlSlots, recordError, workOnJob } from './jobs';
import { createThreadContext, type ThreadContext, type WasmMemory } from './thread-context';

/** What each worker is started with (its `workerData`). */
export interface WorkerData {
  /** The worker's thread index (1…; the calling thread is 0). */
  index: number;
  /** The pool's shared memory; the control block sits at its start. */
  memory: WasmMemory;
  /** The GEMM micro-kernel module for shared memory (undefined: the JS micro-kernel). */
  gemmBytes: Uint8Array | undefined;
}

/** Runs jobs until the pool stops. A failure to start is recorded for the calling thread to throw. */
export function workerMain(data: WorkerData): void {
  const S = controlSlots();
  const ctl = new Int32Array(data.memory.buffer, 0, S.BYTES / 4);
  let ctx: ThreadContext;
  try {
    ctx = createThreadContext(data.index, data.memory, data.gemmBytes);
  } catch (error) {
    recordError(ctl, error);
    return;
  }
  Atomics.add(ctl, S.READY, 1);
  let gen = Atomics.load(ctl, S.GEN);
  while (Atomics.load(ctl, S.STOP) === 0) {
    Atomics.add(ctl, S.WORKER_UNITS, workOnJob(ctx, ctl, gen));
    Atomics.wait(ctl, S.GEN, gen);
    gen = Atomics.load(ctl, S.GEN);
  }
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const MAIN_WORKER_FUNCTIONS = [workerMain];
