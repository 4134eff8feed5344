/**
 * Parallel jobs of the cpu kernels: the control block in shared memory, the {@link Job}
 * description, how a job splits into units, each thread's scratch, and {@link runUnit}. Shipped to
 * the worker threads (`worker-source.ts`): no module-level references except other shipped
 * functions.
 *
 * Protocol. The calling thread sends each worker the job (a structured clone: operands are
 * SharedArrayBuffer-backed arrays, so they are shared, not copied), resets `DONE`, publishes
 * `CLAIM = gen · 2²⁰`, then bumps `GEN` and wakes the workers, which take the job of that
 * generation from their port (`receiveMessageOnPort`). Every thread (the caller included) claims
 * units with a compare-and-swap on `CLAIM` that also checks the generation, so a late worker can
 * never run a unit of a newer job with an older description; each finished unit adds 1 to
 * `DONE`. The caller waits until `DONE` reaches the number of units. Units are disjoint parts of
 * the output computed exactly as one thread would (see `conv2d.ts`, `nearest-code.ts`,
 * `elementwise.ts`, `reduce.ts`), so which thread runs which unit never changes a bit of the
 * result. A convolution's job starts with the copies of its operands (`Job.fill`): units are
 * claimed in order, so when a thread claims the first unit past them every copy has been claimed,
 * and it waits (`Atomics.wait` on `DONE`, woken by whoever finishes the last copy) until they are
 * done.
 */
import type { ConvGeometry } from './conv-geometry';
import { colChunkPixels, convFilterBlock, convForwardRows, convInputBand } from './conv2d';
import {
  type DirectKernel,
  directFilterTiles,
  directForwardRows,
  directInputRows,
  type FilterKernel,
} from './direct-conv';
import {
  directKinds,
  directOperands,
  directScratchFloats,
  filterBlockShape,
} from './direct-conv-layout';
import type { DirectModule } from './direct-conv-setup';
import { binaryRange, unaryRange } from './elementwise';
import { type GemmScratch, gemmBFloats, gemmBlocking, gemmCFloats } from './gemm';
import { nearestBlocking, nearestRows } from './nearest-code';
import { type FillPiece, fillUnits } from './operand-fill';
import { reduceRange } from './reduce';
import { kernelFor, nearestKernelFor, refreshViews, type ThreadContext } from './thread-context';
import {
  type WinogradTransform,
  winogradOperands,
  winogradPlan,
  winogradRows,
} from './winograd-conv';
import { winogradFilterBlock, winogradFilterPlan } from './winograd-filter';

/** Int32 slots of the control block at the start of the shared memory (a function so worker threads get them). */
export function controlSlots() {
  return {
    GEN: 0,
    CLAIM: 1,
    DONE: 2,
    STOP: 3,
    ERROR: 4,
    /** Workers that finished starting, and units run by workers (diagnostics). */
    READY: 5,
    WORKER_UNITS: 6,
    /** First slot of the error text (char codes of the first error's message, 0-terminated). */
    ERROR_TEXT: 16,
    ERROR_TEXT_LEN: 496,
    /** Bytes reserved for the control block. */
    BYTES: 2048,
    /** Units of one job are counted in the low 20 bits of `CLAIM`. */
    UNIT_BITS: 20,
  } as const;
}

/** Job kinds. */
export function jobKinds() {
  return {
    convForward: 1,
    convFilter: 2,
    convInput: 3,
    nearest: 4,
    binary: 5,
    unary: 6,
    directForward: 7,
    directFilter: 8,
    directInput: 9,
    winograd: 10,
    winogradFilter: 11,
    reduce: 12,
  } as const;
}

/** One parallel job, as every thread sees it. */
export interface Job {
  gen: number;
  kind: number;
  units: number;
  /**
   * Partition parameters, per kind (see {@link unitRange}); for element-wise jobs the operation
   * code and (unary) `alpha` follow.
   */
  part: number[];
  geometry?: ConvGeometry;
  /**
   * Operands, per kind: conv forward `[x, w, y]`, filter `[x, dy, dW]`, input `[dy, w, dx]`,
   * nearest `[z, out]`, binary `[a, b, out]`, unary `[x, out]`, reduce `[x, out]` (the output
   * last).
   */
  ops: Array<Float32Array | Int32Array>;
  /** Float offset of thread 0's scratch in the shared memory; thread t's is `scratch + t · stride`. */
  scratch: number;
  stride: number;
  /** Nearest code: the kernel's module, and the float offsets of the codebook and `‖e‖²` in the shared memory. */
  module?: Uint8Array;
  codebook?: number;
  norms?: number;
  /**
   * Direct convolutions: the float offset of their operands in the shared memory
   * (`directOperands` layout) and their kernel modules (`direct-conv-setup.ts`).
   */
  direct?: { base: number; modules: Array<DirectModule | null> };
  /**
   * Direct and Winograd convolutions: the copies of their operands `ops` (`[a, b]`; an entry not
   * copied here may be empty) to `direct.base`, run as the job's first `units` units — before
   * any of the `Job.units` units of the convolution itself, which wait for the last copy.
   */
  fill?: { pieces: FillPiece[]; units: number; ops: Float32Array[] };
}

/** Offsets (floats, from the thread's scratch start) of a thread's scratch for a job. */
export interface ScratchLayout {
  /** GEMM blocks: packed A, packed B, the C block. */
  gemm: { a: number; b: number; c: number };
  /** Input gradient: the col buffer (`colChunkPixels() · Q` floats); direct convolutions: the output block. */
  col: number;
  /** Nearest code: transposed rows, minima, argmins. */
  zt: number;
  best: number;
  idx: number;
  /** Total floats, a multiple of 16 (64 bytes). */
  floats: number;
}

/** Rows and columns of the largest product one unit of the job computes (`[0, 0]`: no GEMM). */
function gemmShape(job: Pick<Job, 'kind' | 'part' | 'geometry'>): [number, number] {
  const K = jobKinds();
  const g = job.geometry;
  if (g === undefined) return [0, 0];
  if (job.kind === K.convForward) return [job.part[0]!, g.outC];
  if (job.kind === K.convFilter) return [job.part[0]!, job.part[1]!];
  return job.kind === K.convInput ? [colChunkPixels(), g.fh * g.fw * g.inC] : [0, 0];
}

/** The `directKinds()` value of a direct-convolution job kind, else undefined. */
export function directKindOf(kind: number): number | undefined {
  const K = jobKinds();
  const D = directKinds();
  if (kind === K.directForward) return D.forward;
  if (kind === K.directFilter) return D.filter;
  return kind === K.directInput ? D.input : undefined;
}

/** Each thread's scratch layout for a job (kind, partition and geometry set). */
export function scratchLayout(job: Pick<Job, 'kind' | 'part' | 'geometry'>): ScratchLayout {
  const K = jobKinds();
  const round = (n: number) => Math.ceil(n / 16) * 16;
  const none = { a: 0, b: 0, c: 0 };
  if (job.kind === K.nearest) {
    const rows = nearestBlocking().rowBlock;
    const best = round(rows * job.part[2]!);
    const idx = best + round(rows);
    return { gemm: none, col: 0, zt: 0, best, idx, floats: idx + round(rows) };
  }
  if (job.kind === K.winograd || job.kind === K.winogradFilter) {
    const g = job.geometry as ConvGeometry;
    const floats = round(
      job.kind === K.winograd ? winogradPlan(g).scratchFloats : winogradFilterPlan(g).scratchFloats,
    );
    return { gemm: none, col: 0, zt: 0, best: 0, idx: 0, floats };
  }
  const direct = directKindOf(job.kind);
  if (direct !== undefined) {
    const floats = round(directScratchFloats(direct, job.geometry as ConvGeometry));
    return { gemm: none, col: 0, zt: 0, best: 0, idx: 0, floats };
  }
  const [m, n] = gemmShape(job);
  if (m === 0) return { gemm: none, col: 0, zt: 0, best: 0, idx: 0, floats: 0 };
  const { KC, MC } = gemmBlocking();
  const b = round(MC * KC);
  const c = b + round(gemmBFloats(n));
  const col = c + round(gemmCFloats(m, n));
  const colFloats = job.kind === K.convInput ? m * n : 0;
  return { gemm: { a: 0, b, c }, col, zt: 0, best: 0, idx: 0, floats: round(col + colFloats) };
}

/**
 * The part of the output unit `u` covers, from the partition parameters `part`:
 * - conv forward `[rowsPerUnit]` → output pixels (direct: output rows `b · outH + oy`;
 *   Winograd: tile rows `b · ⌈outH / 2⌉ + ty` of its forward geometry);
 * - conv filter `[qPerUnit, nPerUnit, unitsAlongN]` → dW rows × columns (direct: dW tiles ×
 *   panels of 8 columns, `filterBlockShape`);
 * - conv input `[bandsPerImage, bandRows]` → image `b`, input rows `[y0, y1)` (direct too);
 * - nearest `[n, k, d, rowsPerUnit]` → rows of z;
 * - Winograd filter gradient `[]` → block `u` (`winogradFilterPlan`);
 * - element-wise `[n, perUnit, …]` → elements;
 * - reduce `[outer, R, inner, divisor, outerPerUnit, innerPerUnit, unitsAlongInner]` → output
 *   rows × columns `[o0, o1, i0, i1]`.
 * @returns `[start0, end0, start1, end1]` (unused entries 0; conv input: `[b, y0, y1, 0]`).
 */
export function unitRange(job: Job, u: number): [number, number, number, number] {
  const K = jobKinds();
  const p = (i: number) => job.part[i]!;
  if (job.kind === K.nearest) return [u * p(3), Math.min(p(0), (u + 1) * p(3)), 0, 0];
  if (job.kind === K.winogradFilter) return [u, u + 1, 0, 0];
  if (job.kind === K.binary || job.kind === K.unary) {
    return [u * p(1), Math.min(p(0), (u + 1) * p(1)), 0, 0];
  }
  if (job.kind === K.reduce) {
    const oi = Math.floor(u / p(6));
    const ii = u - oi * p(6);
    return [oi * p(4), Math.min(p(0), (oi + 1) * p(4)), ii * p(5), Math.min(p(2), (ii + 1) * p(5))];
  }
  const g = job.geometry as ConvGeometry;
  if (job.kind === K.convForward || job.kind === K.directForward || job.kind === K.winograd) {
    const total =
      job.kind === K.convForward
        ? g.batch * g.outH * g.outW
        : g.batch * (job.kind === K.winograd ? Math.ceil(g.outH / 2) : g.outH);
    return [u * p(0), Math.min(total, (u + 1) * p(0)), 0, 0];
  }
  if (job.kind === K.convFilter || job.kind === K.directFilter) {
    const qi = Math.floor(u / p(2));
    const ni = u - qi * p(2);
    const F = filterBlockShape(g);
    const [Q, N] = job.kind === K.convFilter ? [g.fh * g.fw * g.inC, g.outC] : [F.tiles, F.panels];
    return [qi * p(0), Math.min(Q, (qi + 1) * p(0)), ni * p(1), Math.min(N, (ni + 1) * p(1))];
  }
  const b = Math.floor(u / p(0));
  const band = u - b * p(0);
  return [b, band * p(1), Math.min(g.inH, (band + 1) * p(1)), 0];
}

/** Runs unit `u` of `job` on thread `ctx`. */
export function runUnit(ctx: ThreadContext, job: Job, u: number): void {
  const K = jobKinds();
  const [s0, s1, s2, s3] = unitRange(job, u);
  const f = (i: number) => job.ops[i] as Float32Array;
  if (job.kind === K.binary) {
    binaryRange(job.part[2]!, f(0), f(1), f(2), s0, s1);
    return;
  }
  if (job.kind === K.unary) {
    unaryRange(job.part[2]!, f(0), f(1), job.part[3]!, s0, s1);
    return;
  }
  if (job.kind === K.reduce) {
    reduceRange(f(0), f(1), job.part[1]!, job.part[2]!, job.part[3]!, [s0, s1, s2, s3]);
    return;
  }
  refreshViews(ctx);
  const base = job.scratch + ctx.index * job.stride;
  const L = scratchLayout(job);
  if (job.kind === K.nearest) {
    const d = job.part[2]!;
    const kernel = nearestKernelFor(ctx, d, () => job.module as Uint8Array);
    // z and out are the job's operands; the kernel reads the codebook and ‖e‖² from its memory.
    const zt = base + L.zt;
    const op = { e: job.codebook!, norms: job.norms!, k: job.part[1]!, d };
    const rows = { z: f(0), out: job.ops[1] as Int32Array };
    nearestRows(
      kernel,
      ctx.f32,
      ctx.i32,
      op,
      rows,
      { zt, best: base + L.best, idx: base + L.idx },
      s0,
      s1,
    );
    return;
  }
  const g = job.geometry as ConvGeometry;
  if (job.direct !== undefined) {
    runDirectUnit(ctx, job, base, [s0, s1, s2, s3]);
    return;
  }
  const gs: GemmScratch = {
    kernel: ctx.gemm,
    heap: ctx.f32,
    a: base + L.gemm.a,
    b: base + L.gemm.b,
    c: base + L.gemm.c,
  };
  if (job.kind === K.convForward) convForwardRows(gs, f(0), f(1), f(2), g, s0, s1);
  else if (job.kind === K.convFilter) convFilterBlock(gs, f(0), f(1), f(2), g, s0, s1, s2, s3);
  else {
    const col = ctx.f32.subarray(base + L.col, base + L.floats);
    convInputBand(gs, f(0), f(1), f(2), col, g, s0, s1, s2);
  }
}

/** Runs one unit (`range` from {@link unitRange}) of a direct-convolution or Winograd job; its output block at `out`. */
export function runDirectUnit(
  ctx: ThreadContext,
  job: Job,
  out: number,
  range: [number, number, number, number],
): void {
  const K = jobKinds();
  const g = job.geometry as ConvGeometry;
  const { base, modules } = job.direct as NonNullable<Job['direct']>;
  const kernels = modules.map((m) => (m === null ? undefined : kernelFor(ctx, m.key, m.bytes)));
  if (job.kind === K.winogradFilter) {
    const [input, gradient, filter] = kernels as [
      WinogradTransform,
      WinogradTransform,
      FilterKernel,
    ];
    winogradFilterBlock({ input, gradient, filter }, ctx.f32, g, { base, out }, range[0]);
    return;
  }
  if (job.kind === K.winograd) {
    const op = winogradOperands(g);
    const [input, gemm, output] = kernels as [WinogradTransform, DirectKernel, WinogradTransform];
    const at = { xp: base + op.xp, wp: base + op.wp, out };
    winogradRows(
      { input, gemm, output },
      ctx.f32,
      g,
      at,
      job.ops[0] as Float32Array,
      range[0],
      range[1],
    );
    return;
  }
  const kind = directKindOf(job.kind) as number;
  const op = directOperands(kind, g);
  const at = { xp: base + op.xp, wp: base + op.wp, dy: base + op.dy, dw: base + op.dw, out };
  const target = job.ops[0] as Float32Array;
  const [s0, s1, s2, s3] = range;
  if (job.kind === K.directForward) {
    directForwardRows(kernels[0] as DirectKernel, ctx.f32, g, at, target, s0, s1);
  } else if (job.kind === K.directFilter) {
    directFilterTiles(kernels[0] as FilterKernel, ctx.f32, g, at, target, [s0, s1], [s2, s3]);
  } else {
    directInputRows(kernels as Array<DirectKernel | undefined>, ctx.f32, g, at, target, s0, s1, s2);
  }
}

/**
 * Runs unit `u` of `job` counting its operand copies (`Job.fill`) first: a copy, or — once `DONE`
 * says every copy is done — unit `u − copies` of the job itself ({@link runUnit}).
 */
export function runJobUnit(ctx: ThreadContext, ctl: Int32Array, job: Job, u: number): void {
  const fill = job.fill;
  const copies = fill?.units ?? 0;
  if (fill !== undefined && u < copies) {
    refreshViews(ctx);
    const base = (job.direct as NonNullable<Job['direct']>).base;
    fillUnits(fill.pieces, job.geometry as ConvGeometry, fill.ops, ctx.f32, base, u, u + 1);
    return;
  }
  const S = controlSlots();
  for (let done = Atomics.load(ctl, S.DONE); done < copies; done = Atomics.load(ctl, S.DONE)) {
    Atomics.wait(ctl, S.DONE, done);
  }
  runUnit(ctx, job, u - copies);
}

/**
 * Claims and runs units of `job` — its operand copies, then its own units — until none is left.
 * Errors are recorded in the control block (the first one's message kept) and never escape, so
 * `DONE` always counts every claimed unit.
 * @returns the number of units this thread ran.
 */
export function workOnJob(ctx: ThreadContext, ctl: Int32Array, job: Job): number {
  const S = controlSlots();
  const bits = S.UNIT_BITS;
  const copies = job.fill?.units ?? 0;
  const total = copies + job.units;
  let ran = 0;
  for (;;) {
    const claim = Atomics.load(ctl, S.CLAIM);
    const u = claim & ((1 << bits) - 1);
    if (claim >>> bits !== (job.gen & ((1 << (32 - bits)) - 1)) || u >= total) return ran;
    if (Atomics.compareExchange(ctl, S.CLAIM, claim, claim + 1) !== claim) continue;
    try {
      runJobUnit(ctx, ctl, job, u);
    } catch (error) {
      recordError(ctl, error);
    }
    ran++;
    const done = Atomics.add(ctl, S.DONE, 1) + 1;
    if (done === total || done === copies) Atomics.notify(ctl, S.DONE);
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
  gemmShape,
  scratchLayout,
  unitRange,
  directKindOf,
  runUnit,
  runDirectUnit,
  runJobUnit,
  workOnJob,
  recordError,
];
