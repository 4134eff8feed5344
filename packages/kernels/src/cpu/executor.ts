/**
 * Executors of the cpu kernels' heavy parts. {@link createCallingThreadExecutor} runs everything
 * on the calling thread (the single-threaded path, `threads: 1`); `worker-pool.ts` spreads jobs
 * over worker threads and uses this one for jobs too small to be worth it. Both produce
 * bit-identical results (see `jobs.ts`).
 */
import { KernelError } from '../errors';
import type { ConvGeometry } from './conv-geometry';
import { colChunkPixels, convFilterBlock, convForwardRows, convInputBand } from './conv2d';
import {
  directKinds,
  directOperands,
  directScratchFloats,
  filterBlockShape,
} from './direct-conv-layout';
import {
  type DirectModule,
  directModules,
  fillDirectOperands,
  usesDirectConv,
} from './direct-conv-setup';
import { binaryRange, unaryRange } from './elementwise';
import { type GemmScratch, gemmBFloats, gemmBlocking, gemmScratchFloats } from './gemm';
import { type Job, jobKinds, runDirectUnit } from './jobs';
import {
  codeNorms,
  nearestBlocking,
  nearestCodeScalar,
  nearestRows,
  nearestScratchFloats,
} from './nearest-code';
import { reduceRange } from './reduce';
import type { SimdLevel } from './simd-support';
import {
  createThreadContext,
  kernelFor,
  nearestKernelFor,
  refreshViews,
  type ThreadContext,
  type WasmMemory,
  wasmApi,
} from './thread-context';
import { microKernelModuleBytes } from './wasm-microkernel';
import { nearestCodeModuleBytes } from './wasm-nearest-code';
import { winogradOperands, winogradPlan } from './winograd-conv';
import { type BlockSum, winogradFilterFinish, winogradFilterPlan } from './winograd-filter';
import { fillWinogradOperands, winogradGeometry, winogradModules } from './winograd-setup';

/** The heavy operations of the cpu kernels, on flat float32 NHWC / row-major arrays. */
export interface CpuExecutor {
  /** Threads used (1: the calling thread only). */
  readonly threads: number;
  /** Which micro-kernels run. */
  readonly simd: SimdLevel;
  /** `y [batch, outH, outW, outC]` of x `[batch, inH, inW, inC]`, w `[fh, fw, inC, outC]`. */
  convForward(x: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array;
  /** `dW [fh, fw, inC, outC]` of x and dy `[batch, outH, outW, outC]`. */
  convFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array;
  /** `dx [batch, inH, inW, inC]` of dy and w. */
  convInput(dy: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array;
  /** int32 `[n]`: `argmin_k ‖z_i − e_k‖²` of z `[n, d]` against e `[k, d]`. */
  nearest(z: Float32Array, e: Float32Array, n: number, k: number, d: number): Int32Array;
  /** `out[i] = a[i mod |a|] op b[i mod |b|]`, `n` elements (`op` from `binaryOps()`; see `binaryRange`). */
  binary(op: number, a: Float32Array, b: Float32Array, n: number): Float32Array;
  /** `out[i] = op(x[i])` (`op` from `unaryOps()`; `alpha` for step). */
  unary(op: number, x: Float32Array, alpha: number): Float32Array;
  /**
   * `[outer, inner]`: `x [outer, R, inner]` summed over `R` (of `fround(x / divisor)` unless
   * `divisor` is 0; see `reduceRange`).
   */
  reduce(x: Float32Array, outer: number, R: number, inner: number, divisor: number): Float32Array;
  /** Stops worker threads, if any (they restart on the next parallel job). */
  release(): void;
}

const PAGE_BYTES = 65_536;

/** A growable plain-ArrayBuffer stand-in for a WebAssembly.Memory (runtimes without wasm). */
function arrayMemory(): WasmMemory {
  let buffer = new ArrayBuffer(PAGE_BYTES);
  return {
    get buffer() {
      return buffer;
    },
    grow(pages: number) {
      const old = buffer;
      buffer = new ArrayBuffer(old.byteLength + pages * PAGE_BYTES);
      new Uint8Array(buffer).set(new Uint8Array(old));
      return old.byteLength / PAGE_BYTES;
    },
  };
}

/** Grows `ctx.memory` to at least `floats` 4-byte elements and refreshes the views. */
export function ensureFloats(ctx: ThreadContext, floats: number): void {
  const need = floats * 4 - ctx.memory.buffer.byteLength;
  if (need > 0) {
    try {
      ctx.memory.grow(Math.ceil(need / PAGE_BYTES));
    } catch (error) {
      throw new KernelError(
        `@vqkit/kernels cpu: expected to grow the kernels' WebAssembly memory to ${Math.ceil((floats * 4) / 2 ** 20)} MiB, got ${(error as Error).message}. A WebAssembly memory ends at 4 GiB: use fewer threads (VQKIT_CPU_THREADS) or smaller tensors (batch).`,
      );
    }
  }
  refreshViews(ctx);
}

/** The calling thread's GEMM workspace for products of up to `m × n` (A, B, C blocks from 0). */
function gemmScratch(ctx: ThreadContext, m: number, n: number): GemmScratch {
  ensureFloats(ctx, gemmScratchFloats(m, n));
  const { KC, MC } = gemmBlocking();
  const b = MC * KC;
  return { kernel: ctx.gemm, heap: ctx.f32, a: 0, b, c: b + gemmBFloats(n) };
}

/** The convolution algorithms of the cpu kernels, in the order they are preferred where they apply. */
export type ConvPath = 'winograd' | 'direct' | 'gemm';

/** Options of {@link createCallingThreadExecutor}. */
export interface CallingThreadOptions {
  /**
   * The convolution paths this executor may take (benchmarks and tests compare them); each
   * convolution takes the first that applies to its geometry, the GEMM path always applies.
   * The worker pool takes the same path as the default.
   * @default every path: Winograd where it applies, else direct, else GEMM
   */
  convPaths?: readonly ConvPath[];
}

/** Runs every job on the calling thread, with the micro-kernels of `simd`. */
export function createCallingThreadExecutor(
  simd: SimdLevel,
  options: CallingThreadOptions = {},
): CpuExecutor {
  const relaxed = simd === 'relaxed';
  const paths = new Set(options.convPaths ?? ['winograd', 'direct', 'gemm']);
  let context: ThreadContext | undefined;
  const ctx = () => {
    if (context === undefined) {
      const api = wasmApi();
      const wasm = simd !== 'none' && api !== undefined;
      const memory = wasm ? new api.Memory({ initial: 1 }) : arrayMemory();
      const bytes = wasm ? microKernelModuleBytes({ relaxed, shared: false }) : undefined;
      context = createThreadContext(0, memory, bytes);
    }
    return context;
  };
  const D = directKinds();
  /** The Winograd or direct path of `kind`, or undefined where neither applies (or is allowed). */
  const wasmPath = (kind: number, g: ConvGeometry, a: Float32Array, b: Float32Array) => {
    if (simd === 'none') return undefined;
    const f = paths.has('winograd') ? winogradGeometry(kind, g) : null;
    if (f !== null) return winogradOnCallingThread(ctx(), kind, f, a, b, relaxed);
    if (!paths.has('direct') || !usesDirectConv(kind, g)) return undefined;
    return directOnCallingThread(ctx(), kind, g, a, b, relaxed);
  };
  return {
    threads: 1,
    simd,
    convForward(x, w, g) {
      const fast = wasmPath(D.forward, g, x, w);
      if (fast !== undefined) return fast;
      const P = g.batch * g.outH * g.outW;
      const y = new Float32Array(P * g.outC);
      convForwardRows(gemmScratch(ctx(), P, g.outC), x, w, y, g, 0, P);
      return y;
    },
    convFilter(x, dy, g) {
      const fast = wasmPath(D.filter, g, x, dy);
      if (fast !== undefined) return fast;
      const Q = g.fh * g.fw * g.inC;
      const dw = new Float32Array(Q * g.outC);
      convFilterBlock(gemmScratch(ctx(), Q, g.outC), x, dy, dw, g, 0, Q, 0, g.outC);
      return dw;
    },
    convInput(dy, w, g) {
      const fast = wasmPath(D.input, g, dy, w);
      if (fast !== undefined) return fast;
      const Q = g.fh * g.fw * g.inC;
      const dx = new Float32Array(g.batch * g.inH * g.inW * g.inC);
      const col = new Float32Array(colChunkPixels() * Q);
      const s = gemmScratch(ctx(), colChunkPixels(), Q);
      for (let b = 0; b < g.batch; b++) convInputBand(s, dy, w, dx, col, g, b, 0, g.inH);
      return dx;
    },
    nearest(z, e, n, k, d) {
      if (simd === 'none' || n === 0) return nearestCodeScalar(z, e, n, k, d, n);
      return nearestOnCallingThread(ctx(), z, e, n, k, d, relaxed);
    },
    binary(op, a, b, n) {
      const out = new Float32Array(n);
      binaryRange(op, a, b, out, 0, n);
      return out;
    },
    unary(op, x, alpha) {
      const out = new Float32Array(x.length);
      unaryRange(op, x, out, alpha, 0, x.length);
      return out;
    },
    reduce(x, outer, R, inner, divisor) {
      const out = new Float32Array(outer * inner);
      reduceRange(x, out, R, inner, divisor, [0, outer, 0, inner]);
      return out;
    },
    release() {},
  };
}

/**
 * A direct convolution (`directKinds()` `kind`; operands as in `fillDirectOperands`) on the calling
 * thread: the output block at 0, the operands after it, the whole output as one unit (per image
 * for the input gradient), exactly as the worker pool's units compute it.
 */
function directOnCallingThread(
  c: ThreadContext,
  kind: number,
  g: ConvGeometry,
  a: Float32Array,
  b: Float32Array,
  relaxed: boolean,
): Float32Array {
  const D = directKinds();
  const K = jobKinds();
  const base = Math.ceil(directScratchFloats(kind, g) / 16) * 16;
  ensureFloats(c, base + directOperands(kind, g).floats);
  fillDirectOperands(kind, g, a, b, c.f32, base);
  const outShape =
    kind === D.forward
      ? g.batch * g.outH * g.outW * g.outC
      : kind === D.filter
        ? g.fh * g.fw * g.inC * g.outC
        : g.batch * g.inH * g.inW * g.inC;
  const out = new Float32Array(outShape);
  const job: Job = {
    gen: 0,
    kind: [K.directForward, K.directFilter, K.directInput][kind] as number,
    units: 1,
    part: [],
    geometry: g,
    ops: [out],
    scratch: 0,
    stride: 0,
    direct: { base, modules: directModules(kind, g, { relaxed, shared: false }) },
  };
  if (kind === D.forward) runDirectUnit(c, job, 0, [0, g.batch * g.outH, 0, 0]);
  else if (kind === D.filter) {
    const F = filterBlockShape(g);
    runDirectUnit(c, job, 0, [0, F.tiles, 0, F.panels]);
  } else for (let i = 0; i < g.batch; i++) runDirectUnit(c, job, 0, [i, 0, g.inH, 0]);
  return out;
}

/**
 * A Winograd convolution (`kind`: forward, input or filter gradient; `f` its forward geometry,
 * from `winogradGeometry`) on the calling thread: all tile rows as one unit, or the filter
 * gradient's blocks one after the other, exactly as the worker pool's units compute them.
 */
function winogradOnCallingThread(
  c: ThreadContext,
  kind: number,
  f: ConvGeometry,
  a: Float32Array,
  b: Float32Array,
  relaxed: boolean,
): Float32Array {
  const K = jobKinds();
  const F = kind === directKinds().filter ? winogradFilterPlan(f) : null;
  const scratch = F === null ? winogradPlan(f).scratchFloats : F.scratchFloats;
  const base = Math.ceil(scratch / 16) * 16;
  ensureFloats(c, base + (F === null ? winogradOperands(f).floats : F.operands.floats));
  fillWinogradOperands(kind, f, a, b, c.f32, base);
  const out = new Float32Array(
    F === null ? f.batch * f.outH * f.outW * f.outC : 9 * f.inC * f.outC,
  );
  const job: Job = {
    gen: 0,
    kind: F === null ? K.winograd : K.winogradFilter,
    units: 1,
    part: [],
    geometry: f,
    ops: [out],
    scratch: 0,
    stride: 0,
    direct: { base, modules: winogradModules(kind, f, { relaxed, shared: false }) },
  };
  if (F === null) {
    runDirectUnit(c, job, 0, [0, f.batch * winogradPlan(f).tilesH, 0, 0]);
    return out;
  }
  for (let u = 0; u < F.blocks; u++) runDirectUnit(c, job, 0, [u, u + 1, 0, 0]);
  const sum = job.direct?.modules[3] as DirectModule;
  winogradFilterFinish(kernelFor(c, sum.key, sum.bytes) as BlockSum, c.f32, f, base, out);
  return out;
}

/** The SIMD search on the calling thread: scratch, the codebook and ‖e‖² in its memory. */
function nearestOnCallingThread(
  c: ThreadContext,
  z: Float32Array,
  e: Float32Array,
  n: number,
  k: number,
  d: number,
  relaxed: boolean,
): Int32Array {
  const rows = nearestBlocking().rowBlock;
  const op = { e: nearestScratchFloats(d), norms: 0, k, d };
  op.norms = op.e + k * d;
  ensureFloats(c, op.norms + k);
  const kernel = nearestKernelFor(c, d, () =>
    nearestCodeModuleBytes(d, { relaxed, shared: false }),
  );
  c.f32.set(e.subarray(0, k * d), op.e);
  codeNorms(e, k, d, c.f32.subarray(op.norms, op.norms + k));
  const out = new Int32Array(n);
  const scratch = { zt: 0, best: rows * d, idx: rows * (d + 1) };
  nearestRows(kernel, c.f32, c.i32, op, { z, out }, scratch, 0, n);
  return out;
}
