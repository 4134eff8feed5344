/**
 * The multi-threaded executor: `threads − 1` Node worker threads plus the calling thread. They
 * share one WebAssembly memory (`shared: true`) for the control block, each thread's scratch and
 * the codebook of a nearest-code search; the operands themselves are SharedArrayBuffer-backed
 * arrays handed to the workers with each job (shared, not copied). The kernels' outputs are
 * allocated that way too, so the next kernel's inputs usually need no copy (an input in an
 * ordinary ArrayBuffer is copied once for a convolution; element-wise work on it stays on the
 * calling thread, where a copy would cost more than it saves). A job is split into units (see
 * `jobs.ts`); the calling thread works on units too, then blocks on `Atomics.wait` until the last
 * one is done (tfjs cpu kernels are synchronous).
 *
 * Workers start on the first job big enough to be split (smaller ones run on the calling thread:
 * the same arithmetic, so the same bits), are `unref`'d (Node exits by itself while they idle),
 * and stop on {@link CpuExecutor.release} — called when the tfjs backend is disposed.
 */
import { KernelError } from '../errors';
import type { ConvGeometry } from './conv-geometry';
import { directKinds, directOperands, filterBlockShape } from './direct-conv-layout';
import { type DirectModule, directModules, usesDirectConv } from './direct-conv-setup';
import { binaryRange, unaryRange } from './elementwise';
import { type CpuExecutor, createCallingThreadExecutor, ensureFloats } from './executor';
import { gemmBlocking } from './gemm';
import { controlSlots, type Job, jobKinds, readError, scratchLayout, workOnJob } from './jobs';
import { codeNorms } from './nearest-code';
import { type FillPiece, fillPieces, fillUnitCount, fillUnits } from './operand-fill';
import { reduceRange } from './reduce';
import type { SimdLevel } from './simd-support';
import { createThreadContext, kernelFor, type ThreadContext, wasmApi } from './thread-context';
import { nodeBuiltin } from './thread-count';
import { MAX_MEMORY_PAGES } from './wasm-asm';
import { microKernelModuleBytes } from './wasm-microkernel';
import { nearestCodeModuleBytes } from './wasm-nearest-code';
import { winogradOperands, winogradPlan } from './winograd-conv';
import { type BlockSum, winogradFilterFinish, winogradFilterPlan } from './winograd-filter';
import { winogradGeometry, winogradModules } from './winograd-setup';
import type { JobPort, WorkerData } from './worker-main';
import { workerSource } from './worker-source';

/** Options of {@link createWorkerPoolExecutor}. */
export interface WorkerPoolOptions {
  /** Threads in all, the calling thread included (≥ 2). */
  threads: number;
  /** Micro-kernels: relaxed-SIMD FMA or plain SIMD (the pool needs WebAssembly SIMD). */
  simd: Exclude<SimdLevel, 'none'>;
  /**
   * Jobs of fewer floating-point operations run on the calling thread (waking the workers costs
   * tens of microseconds); an element-wise operation counts 32 per element (it is memory-bound).
   * @default 4_000_000
   */
  minParallelFlops?: number;
}

/** The pool's executor, with diagnostics. */
export interface WorkerPoolExecutor extends CpuExecutor {
  /** Workers started and ready, and units they ran since the pool was created. */
  stats(): { readyWorkers: number; workerUnits: number };
}

interface WorkerHandle {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface WorkerThreads {
  Worker: new (
    source: string,
    options: { eval: true; workerData: WorkerData; transferList: unknown[] },
  ) => WorkerHandle;
  MessageChannel: new () => { port1: JobPort & { unref?(): void }; port2: JobPort };
}

/** Units per thread a job is split into (dynamic claiming evens out uneven units). */
const UNITS_PER_THREAD = 4;
/** Flops an element of element-wise work counts as (see {@link WorkerPoolOptions}). */
const FLOPS_PER_ELEMENT = 32;
/**
 * Columns of a reduction's output per unit are a multiple of this: 16 floats, one 64-byte cache
 * line, so two threads never read parts of the same line of each input row.
 */
const REDUCE_COLUMN_ALIGN = 16;

/** Splits `total` items into at most `maxUnits` units of a multiple of `align` items. */
function split(total: number, maxUnits: number, align: number): [per: number, units: number] {
  const per = Math.max(align, Math.ceil(total / Math.max(1, maxUnits) / align) * align);
  return [per, Math.ceil(total / per)];
}

/** Whether `a` lives in a SharedArrayBuffer (so the workers can see it). */
function isShared(a: Float32Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** A new float32 array of `n` elements in a SharedArrayBuffer (zeroed). */
function sharedFloats(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}

/** `a` itself when shared, else a shared copy. */
function shared(a: Float32Array): Float32Array {
  if (isShared(a)) return a;
  const copy = sharedFloats(a.length);
  copy.set(a);
  return copy;
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
  let workers: Array<{ worker: WorkerHandle; port: JobPort }> = [];
  let workerFailure: string | undefined;
  let gen = 0;

  const startWorkers = () => {
    if (workers.length > 0) return;
    Atomics.store(ctl, S.STOP, 0);
    const source = workerSource();
    for (let index = 1; index < threads; index++) {
      const { port1, port2 } = new workerThreads.MessageChannel();
      const worker = new workerThreads.Worker(source, {
        eval: true,
        workerData: { index, memory, gemmBytes, port: port2 },
        transferList: [port2],
      });
      worker.on('error', (error) => {
        workerFailure = `${error.name}: ${error.message}`;
      });
      worker.unref();
      port1.unref?.();
      workers.push({ worker, port: port1 });
    }
  };

  const release = () => {
    if (workers.length === 0) return;
    Atomics.store(ctl, S.STOP, 1);
    Atomics.add(ctl, S.GEN, 1);
    Atomics.notify(ctl, S.GEN);
    Atomics.store(ctl, S.READY, 0);
    for (const { worker, port } of workers) {
      port.close();
      void worker.terminate();
    }
    workers = [];
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

  /**
   * Runs `spec` on every thread: lays out the scratch (plus `extraFloats` of shared memory after
   * it, returned as an offset, filled by `fill` before the job starts), posts the job, works on it,
   * waits for the last unit.
   */
  const run = (
    spec: Omit<Job, 'gen' | 'scratch' | 'stride'>,
    extraFloats = 0,
    fill?: (offset: number, heap: Float32Array) => Partial<Job>,
  ): void => {
    throwIfFailed();
    const scratch = S.BYTES / 4;
    const stride = scratchLayout(spec).floats;
    const extra = scratch + stride * threads;
    ensureFloats(main, extra + extraFloats);
    gen = (gen + 1) & ((1 << (32 - S.UNIT_BITS)) - 1);
    const job: Job = { ...spec, gen, scratch, stride, ...fill?.(extra, main.f32) };
    startWorkers();
    for (const { port } of workers) port.postMessage(job);
    Atomics.store(ctl, S.DONE, 0);
    Atomics.store(ctl, S.CLAIM, gen << S.UNIT_BITS);
    Atomics.store(ctl, S.GEN, gen);
    Atomics.notify(ctl, S.GEN);
    workOnJob(main, ctl, job);
    const units = job.units + (job.fill?.units ?? 0);
    for (let done = Atomics.load(ctl, S.DONE); done < units; done = Atomics.load(ctl, S.DONE)) {
      Atomics.wait(ctl, S.DONE, done);
    }
    throwIfFailed();
  };

  /** Runs a direct convolution (`directKinds()` `dkind`, job kind `kind`) into `out`. */
  const runDirect = (
    spec: { kind: number; units: number; part: number[]; g: ConvGeometry },
    dkind: number,
    operands: [Float32Array, Float32Array],
    out: Float32Array,
  ): Float32Array => {
    const { g } = spec;
    const modules = directModules(dkind, g, { relaxed, shared: true });
    const job = { kind: spec.kind, units: spec.units, part: spec.part, geometry: g, ops: [out] };
    run(job, directOperands(dkind, g).floats, (at, heap) => ({
      direct: { base: at, modules },
      fill: operandCopies(fillPieces(dkind, g, false), g, operands, heap, at),
    }));
    return out;
  };

  /**
   * The operand copies `pieces` of a convolution of geometry `g` as a job's first units: those
   * of an operand the workers can see (in a SharedArrayBuffer); the others are made here, now.
   */
  const operandCopies = (
    pieces: FillPiece[],
    g: ConvGeometry,
    operands: [Float32Array, Float32Array],
    heap: Float32Array,
    base: number,
  ): NonNullable<Job['fill']> => {
    const here = pieces.filter((p) => !isShared(operands[p.src] as Float32Array));
    fillUnits(here, g, operands, heap, base, 0, fillUnitCount(here));
    const rest = pieces.filter((p) => !here.includes(p));
    const ops = operands.map((a) => (isShared(a) ? a : new Float32Array(0)));
    return { pieces: rest, units: fillUnitCount(rest), ops };
  };

  /** The Winograd path of `dkind` into a new shared output, or undefined where it does not apply. */
  const runWinograd = (
    dkind: number,
    g: ConvGeometry,
    operands: [Float32Array, Float32Array],
  ): Float32Array | undefined => {
    const f = winogradGeometry(dkind, g);
    if (f === null) return undefined;
    const modules = winogradModules(dkind, f, { relaxed, shared: true });
    let base = 0;
    const fill = (at: number, heap: Float32Array) => {
      base = at;
      const copies = operandCopies(fillPieces(dkind, f, true), f, operands, heap, at);
      return { direct: { base: at, modules }, fill: copies };
    };
    if (dkind === D.filter) {
      const F = winogradFilterPlan(f);
      const dw = sharedFloats(9 * f.inC * f.outC);
      const job = { kind: K.winogradFilter, units: F.blocks, part: [], geometry: f, ops: [] };
      run(job, F.operands.floats, fill);
      const sum = modules[3] as DirectModule;
      winogradFilterFinish(kernelFor(main, sum.key, sum.bytes) as BlockSum, main.f32, f, base, dw);
      return dw;
    }
    const out = sharedFloats(f.batch * f.outH * f.outW * f.outC);
    const [rows, units] = split(f.batch * winogradPlan(f).tilesH, maxUnits, 1);
    const job = { kind: K.winograd, units, part: [rows], geometry: f, ops: [out] };
    run(job, winogradOperands(f).floats, fill);
    return out;
  };

  const parallel = (flops: number) => flops >= minFlops;
  const { MR, NR } = gemmBlocking();
  const maxUnits = threads * UNITS_PER_THREAD;
  const K = jobKinds();
  const D = directKinds();
  /** `[perUnit, unitsAlongN, units]` of a 2-D split: along rows first, columns too when rows are few. */
  const split2 = (rows: number, rowAlign: number, cols: number, colAlign: number) => {
    const [rowsPer, rowUnits] = split(rows, maxUnits, rowAlign);
    const colSplits = rowUnits >= 2 * threads ? 1 : Math.ceil(maxUnits / rowUnits);
    const [colsPer, colUnits] = split(cols, colSplits, colAlign);
    return { part: [rowsPer, colsPer, colUnits], units: rowUnits * colUnits };
  };
  return {
    threads,
    simd,
    convForward(x, w, g) {
      const P = g.batch * g.outH * g.outW;
      if (!parallel(2 * P * g.outC * g.fh * g.fw * g.inC)) return single.convForward(x, w, g);
      const viaWinograd = runWinograd(D.forward, g, [x, w]);
      if (viaWinograd !== undefined) return viaWinograd;
      const y = sharedFloats(P * g.outC);
      if (usesDirectConv(D.forward, g)) {
        const [rows, units] = split(g.batch * g.outH, maxUnits, 1);
        return runDirect({ kind: K.directForward, units, part: [rows], g }, D.forward, [x, w], y);
      }
      const [rows, units] = split(P, maxUnits, 16);
      run({
        kind: K.convForward,
        units,
        part: [rows],
        geometry: g,
        ops: [shared(x), shared(w), y],
      });
      return y;
    },
    convFilter(x, dy, g) {
      const Q = g.fh * g.fw * g.inC;
      if (!parallel(2 * dy.length * Q)) return single.convFilter(x, dy, g);
      const viaWinograd = runWinograd(D.filter, g, [x, dy]);
      if (viaWinograd !== undefined) return viaWinograd;
      const dw = sharedFloats(Q * g.outC);
      if (usesDirectConv(D.filter, g)) {
        const F = filterBlockShape(g);
        const { part, units } = split2(F.tiles, 1, F.panels, 1);
        return runDirect({ kind: K.directFilter, units, part, g }, D.filter, [x, dy], dw);
      }
      const { part, units } = split2(Q, Math.min(16, Math.ceil(Q / MR) * MR), g.outC, NR);
      run({ kind: K.convFilter, units, part, geometry: g, ops: [shared(x), shared(dy), dw] });
      return dw;
    },
    convInput(dy, w, g) {
      if (!parallel(2 * dy.length * g.fh * g.fw * g.inC)) return single.convInput(dy, w, g);
      const viaWinograd = runWinograd(D.input, g, [dy, w]);
      if (viaWinograd !== undefined) return viaWinograd;
      const dx = sharedFloats(g.batch * g.inH * g.inW * g.inC);
      const bandsWanted = Math.ceil(maxUnits / g.batch);
      if (usesDirectConv(D.input, g)) {
        const [bandRows, bands] = split(g.inH, bandsWanted, 1);
        const spec = { kind: K.directInput, units: g.batch * bands, part: [bands, bandRows], g };
        return runDirect(spec, D.input, [dy, w], dx);
      }
      const [bandRows, bandsPerImage] = split(g.inH, bandsWanted, Math.max(g.fh, 8));
      const part = [bandsPerImage, bandRows];
      const units = g.batch * bandsPerImage;
      run({ kind: K.convInput, units, part, geometry: g, ops: [shared(dy), shared(w), dx] });
      return dx;
    },
    nearest(z, e, n, k, d) {
      if (!parallel(2 * n * k * d)) return single.nearest(z, e, n, k, d);
      const [rows, units] = split(n, maxUnits, 4);
      const out = new Int32Array(new SharedArrayBuffer(4 * n));
      const module = nearestCodeModuleBytes(d, { relaxed, shared: true });
      const normsAt = Math.ceil((k * d) / 16) * 16;
      run(
        { kind: K.nearest, units, part: [n, k, d, rows], ops: [shared(z), out], module },
        normsAt + k,
        (at, heap) => {
          heap.set(e.subarray(0, k * d), at);
          codeNorms(e, k, d, heap.subarray(at + normsAt, at + normsAt + k));
          return { codebook: at, norms: at + normsAt };
        },
      );
      return out;
    },
    binary(op, a, b, n) {
      const out = sharedFloats(n);
      const small = a.length < b.length ? a : b;
      const inputsShared =
        isShared(a.length === n ? a : b) && (small.length <= 4096 || isShared(small));
      if (!inputsShared || !parallel(FLOPS_PER_ELEMENT * n)) {
        binaryRange(op, a, b, out, 0, n);
        return out;
      }
      const align = a.length === b.length || small.length === 1 ? 16 : small.length;
      const [per, units] = split(n, maxUnits, align);
      run({ kind: K.binary, units, part: [n, per, op], ops: [shared(a), shared(b), out] });
      return out;
    },
    unary(op, x, alpha) {
      const n = x.length;
      const out = sharedFloats(n);
      if (!isShared(x) || !parallel(FLOPS_PER_ELEMENT * n)) {
        unaryRange(op, x, out, alpha, 0, n);
        return out;
      }
      const [per, units] = split(n, maxUnits, 16);
      run({ kind: K.unary, units, part: [n, per, op, alpha], ops: [x, out] });
      return out;
    },
    reduce(x, outer, R, inner, divisor) {
      const out = sharedFloats(outer * inner);
      const { part, units } = split2(outer, 1, inner, REDUCE_COLUMN_ALIGN);
      if (!isShared(x) || units < 2 || !parallel(FLOPS_PER_ELEMENT * outer * R * inner)) {
        reduceRange(x, out, R, inner, divisor, [0, outer, 0, inner]);
        return out;
      }
      run({ kind: K.reduce, units, part: [outer, R, inner, divisor, ...part], ops: [x, out] });
      return out;
    },
    release,
    stats: () => ({
      readyWorkers: Atomics.load(ctl, S.READY),
      workerUnits: Atomics.load(ctl, S.WORKER_UNITS),
    }),
  };
}
