/**
 * Parallel jobs of the cpu kernels: the control block in shared memory, the job descriptor, how a
 * job splits into units, each thread's scratch, and {@link runUnit}. Shipped to the worker
 * threads (`worker-source.ts`): no module-level references except other shipped functions.
 *
 * Protocol (all in the first {@link controlSlots}`().BYTES` bytes of the shared memory, int32):
 * the calling thread writes a job's descriptor, resets `DONE`, publishes `CLAIM = gen · 2²⁰`, then
 * bumps `GEN` and wakes the workers. Every thread (the caller included) claims units with a
 * compare-and-swap on `CLAIM` that also checks the generation, so a late worker can never take a
 * unit of a newer job with an older descriptor; each finished unit adds 1 to `DONE`. The caller
 * waits until `DONE` reaches the units claimed. Units are disjoint parts of the output computed
 * exactly as one thread would (see `conv2d.ts`, `nearest-code.ts`), so which thread runs which
 * unit never changes a bit of the result.
 */
import type { ConvGeometry } from './conv-geometry';
import { colChunkPixels, convFilterBlock, convForwardRows, convInputBand } from './conv2d';
import { type GemmScratch, gemmBlocking } from './gemm';
import { nearestBlocking, nearestRows } from './nearest-code';
import { nearestKernelFor, refreshViews, type ThreadContext } from './thread-context';

/** Int32 slots of the control block (a function so worker threads get them). */
export function controlSlots() {
  return {
    GEN: 0,
    CLAIM: 1,
    DONE: 2,
    STOP: 3,
    ERROR: 4,
    KIND: 5,
    UNITS: 6,
    /** Float offset of thread 0's scratch; thread t's is `SCRATCH + t · STRIDE`. */
    SCRATCH: 7,
    STRIDE: 8,
    /** Byte offset and length of the nearest-code module's bytes (nearest jobs). */
    MODULE_OFF: 9,
    MODULE_LEN: 10,
    /** Float offsets of the operands: up to three inputs and the output. */
    IN0: 11,
    IN1: 12,
    IN2: 13,
    OUT: 14,
    /** Partition parameters, 4 ints (meaning per kind, see {@link unitRange}). */
    PART: 16,
    /** Workers that finished starting, and units run by workers (diagnostics). */
    READY: 20,
    WORKER_UNITS: 21,
    /** The convolution geometry, 13 ints (see {@link writeGeometry}). */
    GEOM: 24,
    /** First slot of the error text (char codes of a worker's error message, 0-terminated). */
    ERROR_TEXT: 64,
    ERROR_TEXT_LEN: 448,
    /** Bytes reserved for the control block at the start of the shared memory. */
    BYTES: 2048,
    /** Units of one job are counted in the low 20 bits of `CLAIM`. */
    UNIT_BITS: 20,
  } as const;
}

/** Job kinds. */
export function jobKinds() {
  return { convForward: 1, convFilter: 2, convInput: 3, nearest: 4 } as const;
}

/** Order of the geometry in the descriptor ({@link readGeometry} reads the same order). */
const GEOMETRY_KEYS = [
  'batch',
  'inH',
  'inW',
  'inC',
  'outH',
  'outW',
  'outC',
  'fh',
  'fw',
  'sh',
  'sw',
  'padTop',
  'padLeft',
] as const;

/** Writes `g` into the descriptor (calling thread only). */
export function writeGeometry(ctl: Int32Array, g: ConvGeometry): void {
  const base = controlSlots().GEOM;
  GEOMETRY_KEYS.forEach((key, i) => {
    ctl[base + i] = g[key];
  });
}

/** Reads the geometry written by {@link writeGeometry}. */
export function readGeometry(ctl: Int32Array): ConvGeometry {
  const b = controlSlots().GEOM;
  const v = (i: number) => ctl[b + i]!;
  return {
    batch: v(0),
    inH: v(1),
    inW: v(2),
    inC: v(3),
    outH: v(4),
    outW: v(5),
    outC: v(6),
    fh: v(7),
    fw: v(8),
    sh: v(9),
    sw: v(10),
    padTop: v(11),
    padLeft: v(12),
  };
}

/** Offsets (floats, from the thread's scratch start) of a thread's scratch for the current job. */
export interface ScratchLayout {
  gemm: { tile: number; a: number; b: number };
  /** Input gradient: the col buffer (`colChunkPixels() · Q` floats). */
  col: number;
  /** Nearest code: transposed rows, minima, argmins. */
  zt: number;
  best: number;
  idx: number;
  /** Total floats, rounded up to a 64-byte multiple. */
  floats: number;
}

/** Columns of the widest product a unit of the current job multiplies. */
function gemmColumns(ctl: Int32Array): number {
  const S = controlSlots();
  const K = jobKinds();
  const kind = ctl[S.KIND];
  const g = readGeometry(ctl);
  if (kind === K.convForward) return g.outC;
  if (kind === K.convFilter) return ctl[S.PART + 1]!;
  if (kind === K.convInput) return g.fh * g.fw * g.inC;
  return 0;
}

/** Each thread's scratch layout for the job described in `ctl`. */
export function scratchLayout(ctl: Int32Array): ScratchLayout {
  const S = controlSlots();
  const K = jobKinds();
  const round = (n: number) => Math.ceil(n / 16) * 16;
  const kind = ctl[S.KIND];
  if (kind === K.nearest) {
    const rows = nearestBlocking().rowBlock;
    const best = round(rows * ctl[S.PART + 2]!);
    const idx = best + round(rows);
    const none = { tile: 0, a: 0, b: 0 };
    return { gemm: none, col: 0, zt: 0, best, idx, floats: idx + round(rows) };
  }
  const { MR, NR, KC, MC } = gemmBlocking();
  const a = round(MR * NR);
  const b = a + round(MC * KC);
  const col = b + round(Math.ceil(gemmColumns(ctl) / NR) * NR * KC);
  const g = readGeometry(ctl);
  const colFloats = kind === K.convInput ? colChunkPixels() * g.fh * g.fw * g.inC : 0;
  return { gemm: { tile: 0, a, b }, col, zt: 0, best: 0, idx: 0, floats: round(col + colFloats) };
}

/**
 * The part of the output unit `u` covers, from the partition parameters `PART…`:
 * - conv forward: `[rowsPerUnit]` → output pixels `[u · rows, …)`;
 * - conv filter: `[qPerUnit, nPerUnit, unitsAlongN]` → dW rows × columns;
 * - conv input: `[bandsPerImage, bandRows]` → image `b`, input rows `[y0, y1)`;
 * - nearest: `[n, k, d, rowsPerUnit]` → rows of z.
 * @returns `[start0, end0, start1, end1]` (unused entries 0).
 */
export function unitRange(ctl: Int32Array, u: number): [number, number, number, number] {
  const S = controlSlots();
  const K = jobKinds();
  const p = (i: number) => ctl[S.PART + i]!;
  const kind = ctl[S.KIND];
  if (kind === K.nearest) return [u * p(3), Math.min(p(0), (u + 1) * p(3)), 0, 0];
  const g = readGeometry(ctl);
  if (kind === K.convForward) {
    return [u * p(0), Math.min(g.batch * g.outH * g.outW, (u + 1) * p(0)), 0, 0];
  }
  if (kind === K.convFilter) {
    const qi = Math.floor(u / p(2));
    const ni = u - qi * p(2);
    const Q = g.fh * g.fw * g.inC;
    return [qi * p(0), Math.min(Q, (qi + 1) * p(0)), ni * p(1), Math.min(g.outC, (ni + 1) * p(1))];
  }
  const b = Math.floor(u / p(0));
  const band = u - b * p(0);
  return [b, band * p(1), Math.min(g.inH, (band + 1) * p(1)), 0];
}

/**
 * Runs unit `u` of the job described in `ctl` on thread `ctx`. `moduleBytes` returns the
 * nearest-code module's bytes (from the shared memory) when this thread has not compiled it yet.
 */
export function runUnit(ctx: ThreadContext, ctl: Int32Array, u: number): void {
  const S = controlSlots();
  const K = jobKinds();
  refreshViews(ctx);
  const { f32, i32 } = ctx;
  const kind = ctl[S.KIND];
  const base = ctl[S.SCRATCH]! + ctx.index * ctl[S.STRIDE]!;
  const L = scratchLayout(ctl);
  const [s0, s1, s2, s3] = unitRange(ctl, u);
  const at = (slot: number, length: number) => f32.subarray(ctl[slot]!, ctl[slot]! + length);
  if (kind === K.nearest) {
    const d = ctl[S.PART + 2]!;
    const kernel = nearestKernelFor(ctx, d, () => {
      const off = ctl[S.MODULE_OFF]!;
      return new Uint8Array(ctx.memory.buffer).slice(off, off + ctl[S.MODULE_LEN]!);
    });
    const op = {
      z: ctl[S.IN0]!,
      e: ctl[S.IN1]!,
      norms: ctl[S.IN2]!,
      out: ctl[S.OUT]!,
      k: ctl[S.PART + 1]!,
      d,
    };
    nearestRows(
      kernel,
      f32,
      i32,
      op,
      { zt: base + L.zt, best: base + L.best, idx: base + L.idx },
      s0,
      s1,
    );
    return;
  }
  const g = readGeometry(ctl);
  const gs: GemmScratch = {
    kernel: ctx.gemm,
    heap: f32,
    tile: base,
    a: base + L.gemm.a,
    b: base + L.gemm.b,
  };
  const xSize = g.batch * g.inH * g.inW * g.inC;
  const ySize = g.batch * g.outH * g.outW * g.outC;
  const wSize = g.fh * g.fw * g.inC * g.outC;
  if (kind === K.convForward) {
    convForwardRows(gs, at(S.IN0, xSize), at(S.IN1, wSize), at(S.OUT, ySize), g, s0, s1);
  } else if (kind === K.convFilter) {
    convFilterBlock(gs, at(S.IN0, xSize), at(S.IN1, ySize), at(S.OUT, wSize), g, s0, s1, s2, s3);
  } else {
    const col = f32.subarray(base + L.col, base + L.floats);
    convInputBand(gs, at(S.IN0, ySize), at(S.IN1, wSize), at(S.OUT, xSize), col, g, s0, s1, s2);
  }
}

/**
 * Claims and runs units of generation `gen` until none is left. Errors are recorded in the
 * control block (first one's message kept) and never escape, so `DONE` always counts up.
 * @returns the number of units this thread ran.
 */
export function workOnJob(ctx: ThreadContext, ctl: Int32Array, gen: number): number {
  const S = controlSlots();
  const bits = S.UNIT_BITS;
  const units = ctl[S.UNITS]!;
  let ran = 0;
  for (;;) {
    const claim = Atomics.load(ctl, S.CLAIM);
    const u = claim & ((1 << bits) - 1);
    if (claim >>> bits !== (gen & ((1 << (32 - bits)) - 1)) || u >= units) return ran;
    if (Atomics.compareExchange(ctl, S.CLAIM, claim, claim + 1) !== claim) continue;
    try {
      runUnit(ctx, ctl, u);
    } catch (error) {
      recordError(ctl, error);
    }
    ran++;
    if (Atomics.add(ctl, S.DONE, 1) + 1 === units) Atomics.notify(ctl, S.DONE);
  }
}

/** Records `error` in the control block (the first error's message is kept). */
export function recordError(ctl: Int32Array, error: unknown): void {
  const S = controlSlots();
  if (Atomics.add(ctl, S.ERROR, 1) !== 0) return;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const n = Math.min(text.length, S.ERROR_TEXT_LEN - 1);
  for (let i = 0; i < n; i++) ctl[S.ERROR_TEXT + i] = text.charCodeAt(i);
  ctl[S.ERROR_TEXT + n] = 0;
}

/** The message recorded by {@link recordError}. */
export function readError(ctl: Int32Array): string {
  const S = controlSlots();
  let text = '';
  for (let i = 0; i < S.ERROR_TEXT_LEN && ctl[S.ERROR_TEXT + i] !== 0; i++) {
    text += String.fromCharCode(ctl[S.ERROR_TEXT + i]!);
  }
  return text;
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const JOB_WORKER_FUNCTIONS = [
  controlSlots,
  jobKinds,
  readGeometry,
  gemmColumns,
  scratchLayout,
  unitRange,
  runUnit,
  workOnJob,
  recordError,
];
