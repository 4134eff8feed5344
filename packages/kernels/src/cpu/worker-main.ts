/**
 * The body of a worker thread of the cpu kernels: build this thread's kernels on the shared
 * memory, then wait for jobs (`Atomics.wait` on the control block's generation), take each job's
 * description from the port, run units of it (see `jobs.ts`), until the pool sets `STOP`.
 * Shipped to the workers as source text (`worker-source.ts`).
 */
import { controlSlots, type Job, recordError, workOnJob } from './jobs';
import { createThreadContext, type ThreadContext, type WasmMemory } from './thread-context';

/** The end of a MessageChannel a worker reads jobs from. */
export interface JobPort {
  postMessage(job: Job): void;
  close(): void;
}

/** What each worker is started with (its `workerData`). */
export interface WorkerData {
  /** The worker's thread index (1…; the calling thread is 0). */
  index: number;
  /** The pool's shared memory; the control block sits at its start. */
  memory: WasmMemory;
  /** The GEMM micro-kernel module for shared memory (undefined: the JS micro-kernel). */
  gemmBytes: Uint8Array | undefined;
  /** Where the calling thread posts each job. */
  port: JobPort;
}

/** `receiveMessageOnPort` of node:worker_threads. */
type ReceiveMessage = (port: JobPort) => { message: Job } | undefined;

/** The job of generation `gen` from `port`, dropping older ones; undefined if it is not there. */
export function takeJob(receive: ReceiveMessage, port: JobPort, gen: number): Job | undefined {
  for (let m = receive(port); m !== undefined; m = receive(port)) {
    if (m.message.gen === gen) return m.message;
  }
  return undefined;
}

/** Runs jobs until the pool stops. A failure to start is recorded for the calling thread to throw. */
export function workerMain(data: WorkerData, receive: ReceiveMessage): void {
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
    const job = takeJob(receive, data.port, gen);
    if (job !== undefined) Atomics.add(ctl, S.WORKER_UNITS, workOnJob(ctx, ctl, job));
    Atomics.wait(ctl, S.GEN, gen);
    gen = Atomics.load(ctl, S.GEN);
  }
  data.port.close();
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const MAIN_WORKER_FUNCTIONS = [takeJob, workerMain];
