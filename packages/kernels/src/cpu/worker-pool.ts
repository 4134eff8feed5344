/**
 * The multi-threaded executor: `threads − 1` Node worker threads plus the calling thread share one
 * WebAssembly memory (`shared: true`). A job copies its inputs into that memory, is split into
 * units (see `jobs.ts`), and the calling thread works on units too, then blocks on `Atomics.wait`
 * until the last unit is done (tfjs cpu kernels are synchronous), and copies the result out.
 *
 * Workers start on the first job big enough to be split (smaller ones run on the calling thread:
 * the same arithmetic, so the same bits), are `unref`'d (Node exits by itself while they idle),
 * and stop on {@link CpuExecutor.release} — called when the tfjs backend is disposed.
 */
import { KernelError } from '../errors';
import type { ConvGeometry } from './conv-geometry';
import { type CpuExecutor, createCallingThreadExecutor, ensureFloats } from './executor';
import { gemmBlocking } from './gemm';
import { controlSlots, jobKinds, readError, scratchLayout, workOnJob, writeGeometry } from './jobs';
import { codeNorms } from './nearest-code';
import type { SimdLevel } from './simd-support';
import { createThreadContext, type ThreadContext, wasmApi } from './thread-context';
import { nodeBuiltin } from './thread-count';
import { MAX_MEMORY_PAGES } from './wasm-asm';
import { microKernelModuleBytes } from './wasm-microkernel';
import { nearestCodeModuleBytes } from './wasm-nearest-code';
import type { WorkerData } from './worker-main';
import { workerSource } from './worker-source';

/** Options of {@link createWorkerPoolExecutor}. */
export interface WorkerPoolOptions {
  /** Threads in all, the calling thread included (≥ 2). */
  threads: number;
  /** Micro-kernels: relaxed-SIMD FMA or plain SIMD (the pool needs WebAssembly SIMD). */
  simd: Exclude<SimdLevel, 'none'>;
  /**
   * Jobs of fewer floating-point operations run on the calling thread (waking the workers costs
   * tens of microseconds).
   * @default 4_000_000
   */
  minParallelFlops?: number;
}

interface WorkerHandle {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface WorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: WorkerData }) => WorkerHandle;
}

/** Units per thread a job is split into (dynamic claiming evens out uneven units). */
const UNITS_PER_THREAD = 4;

/** The description of one job before it is laid out in shared memory. */
interface JobSpec {
  kind: number;
  units: number;
  /** Partition parameters (see `unitRange` in `jobs.ts`). */
  part: number[];
  geometry?: ConvGeometry;
  inputs: Float32Array[];
  outFloats: number;
  moduleBytes?: Uint8Array;
}

/** Splits `total` items into at most `maxUnits` units of a multiple of `align` items. */
function split(total: number, maxUnits: number, align: number): [per: number, units: number] {
  const per = Math.max(align, Math.ceil(total / Math.max(1, maxUnits) / align) * align);
  return [per, Math.ceil(total / per)];
}

/** The pool's executor, with diagnostics. */
export interface WorkerPoolExecutor extends CpuExecutor {
  /** Workers started and ready, and units they ran since the pool was created. */
  stats(): { readyWorkers: number; workerUnits: number };
}

/** A multi-threaded executor (Node.js only; see the module comment). */
export function createWorkerPoolExecutor(options: WorkerPoolOptions): WorkerPoolExecutor {
  const { threads, simd } = options;
  const minFlops = options.minParallelFlops ?? 4_000_000;
  const relaxed = simd === 'relaxed';
  const single = createCallingThreadExecutor(simd);
  const api = wasmApi();
  const workerThreads = nodeBuiltin<WorkerThreads>('node:worker_threads');
  if (api === undefined || workerThreads === undefined || threads < 2) {
    throw new KernelError(
      `createWorkerPoolExecutor: expected WebAssembly, Node worker_threads and threads >= 2, got threads = ${threads}${workerThreads === undefined ? ' and no worker_threads' : ''}. Use the calling-thread executor instead.`,
    );
  }
  const memory = new api.Memory({ initial: 1, maximum: MAX_MEMORY_PAGES, shared: true });
  const S = controlSlots();
  const ctl = new Int32Array(memory.buffer, 0, S.BYTES / 4);
  const gemmBytes = microKernelModuleBytes({ relaxed, shared: true });
  const main: ThreadContext = createThreadContext(0, memory, gemmBytes);
  let workers: WorkerHandle[] = [];
  let workerFailure: string | undefined;
  let gen = 0;

  const startWorkers = () => {
    if (workers.length > 0) return;
    Atomics.store(ctl, S.STOP, 0);
    const source = workerSource();
    for (let index = 1; index < threads; index++) {
      const worker = new workerThreads.Worker(source, {
        eval: true,
        workerData: { index, memory, gemmBytes },
      });
      worker.on('error', (error) => {
        workerFailure = `${error.name}: ${error.message}`;
      });
      worker.unref();
      workers.push(worker);
    }
  };

  const throwIfFailed = () => {
    const failure = Atomics.load(ctl, S.ERROR) !== 0 ? readError(ctl) : workerFailure;
    if (failure === undefined) return;
    Atomics.store(ctl, S.ERROR, 0);
    workerFailure = undefined;
    release();
    throw new KernelError(
      `@vqkit/kernels cpu worker pool: a thread failed: ${failure}. Set VQKIT_CPU_THREADS=1 (or registerVqkitKernels({ threads: 1 })) to run on the calling thread, and report this.`,
    );
  };

  const release = () => {
    if (workers.length === 0) return;
    Atomics.store(ctl, S.STOP, 1);
    Atomics.add(ctl, S.GEN, 1);
    Atomics.notify(ctl, S.GEN);
    Atomics.store(ctl, S.READY, 0);
    for (const worker of workers) void worker.terminate();
    workers = [];
  };

  /** Lays the job out in shared memory, runs it on every thread, returns the output's offset. */
  const run = (job: JobSpec): number => {
    throwIfFailed();
    ctl[S.KIND] = job.kind;
    ctl[S.UNITS] = job.units;
    job.part.forEach((v, i) => {
      ctl[S.PART + i] = v;
    });
    if (job.geometry) writeGeometry(ctl, job.geometry);
    const round = (n: number) => Math.ceil(n / 16) * 16;
    let at = S.BYTES / 4;
    if (job.moduleBytes) {
      ctl[S.MODULE_OFF] = at * 4;
      ctl[S.MODULE_LEN] = job.moduleBytes.length;
      at += round(Math.ceil(job.moduleBytes.length / 4));
    }
    const stride = scratchLayout(ctl).floats;
    ctl[S.SCRATCH] = at;
    ctl[S.STRIDE] = stride;
    at += stride * threads;
    const slots = [S.IN0, S.IN1, S.IN2];
    const offsets = job.inputs.map((input) => {
      const off = at;
      at += round(input.length);
      return off;
    });
    ctl[S.OUT] = at;
    ensureFloats(main, at + job.outFloats);
    if (job.moduleBytes) new Uint8Array(memory.buffer).set(job.moduleBytes, ctl[S.MODULE_OFF]);
    job.inputs.forEach((input, i) => {
      main.f32.set(input, offsets[i]);
      ctl[slots[i]!] = offsets[i]!;
    });
    startWorkers();
    gen = (gen + 1) & ((1 << (32 - S.UNIT_BITS)) - 1);
    Atomics.store(ctl, S.DONE, 0);
    Atomics.store(ctl, S.CLAIM, gen << S.UNIT_BITS);
    Atomics.store(ctl, S.GEN, gen);
    Atomics.notify(ctl, S.GEN);
    workOnJob(main, ctl, gen);
    for (let done = Atomics.load(ctl, S.DONE); done < job.units; done = Atomics.load(ctl, S.DONE)) {
      Atomics.wait(ctl, S.DONE, done);
    }
    throwIfFailed();
    return ctl[S.OUT]!;
  };

  /** Whether a job of `flops` and `floats` of shared memory goes to the pool. */
  const parallel = (flops: number, floats: number) =>
    flops >= minFlops && floats * 4 < (MAX_MEMORY_PAGES - 1) * 65_536;

  const { MR, NR } = gemmBlocking();
  const maxUnits = threads * UNITS_PER_THREAD;
  return {
    threads,
    simd,
    convForward(x, w, g) {
      const P = g.batch * g.outH * g.outW;
      const flops = 2 * P * g.outC * g.fh * g.fw * g.inC;
      if (!parallel(flops, x.length + w.length + 2 * P * g.outC))
        return single.convForward(x, w, g);
      const [rows, units] = split(P, maxUnits, 16);
      const kind = jobKinds().convForward;
      const out = run({
        kind,
        units,
        part: [rows],
        geometry: g,
        inputs: [x, w],
        outFloats: P * g.outC,
      });
      return main.f32.slice(out, out + P * g.outC);
    },
    convFilter(x, dy, g) {
      const Q = g.fh * g.fw * g.inC;
      const flops = 2 * dy.length * Q;
      if (!parallel(flops, x.length + dy.length + 2 * Q * g.outC))
        return single.convFilter(x, dy, g);
      const [qPer, qUnits] = split(Q, maxUnits, Math.min(16, Math.ceil(Q / MR) * MR));
      const nSplits = qUnits >= 2 * threads ? 1 : Math.ceil(maxUnits / qUnits);
      const [nPer, nUnits] = split(g.outC, nSplits, NR);
      const kind = jobKinds().convFilter;
      const part = [qPer, nPer, nUnits];
      const units = qUnits * nUnits;
      const out = run({ kind, units, part, geometry: g, inputs: [x, dy], outFloats: Q * g.outC });
      return main.f32.slice(out, out + Q * g.outC);
    },
    convInput(dy, w, g) {
      const dxSize = g.batch * g.inH * g.inW * g.inC;
      const flops = 2 * dy.length * g.fh * g.fw * g.inC;
      if (!parallel(flops, dy.length + w.length + 2 * dxSize)) return single.convInput(dy, w, g);
      const bands = Math.ceil(maxUnits / g.batch);
      const [bandRows, bandsPerImage] = split(g.inH, bands, Math.max(g.fh, 8));
      const kind = jobKinds().convInput;
      const units = g.batch * bandsPerImage;
      const part = [bandsPerImage, bandRows];
      const out = run({ kind, units, part, geometry: g, inputs: [dy, w], outFloats: dxSize });
      return main.f32.slice(out, out + dxSize);
    },
    nearest(z, e, n, k, d) {
      if (!parallel(2 * n * k * d, z.length + e.length + 2 * n))
        return single.nearest(z, e, n, k, d);
      const norms = new Float32Array(k);
      codeNorms(e, k, d, norms);
      const [rows, units] = split(n, maxUnits, 4);
      const moduleBytes = nearestCodeModuleBytes(d, { relaxed, shared: true });
      const part = [n, k, d, rows];
      const kind = jobKinds().nearest;
      const out = run({ kind, units, part, inputs: [z, e, norms], outFloats: n, moduleBytes });
      return main.i32.slice(out, out + n);
    },
    release,
    stats: () => ({
      readyWorkers: Atomics.load(ctl, S.READY),
      workerUnits: Atomics.load(ctl, S.WORKER_UNITS),
    }),
  };
}
