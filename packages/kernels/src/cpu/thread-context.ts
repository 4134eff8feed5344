/**
 * What one thread (the calling thread or a worker) computes with: the WebAssembly memory its
 * kernels import, views on it, the GEMM micro-kernel instance and the nearest-code kernels it
 * compiled (one per code dimension). Shipped to the worker threads (`worker-source.ts`).
 */
import type { MicroKernel } from './gemm';
import type { NearestKernel } from './nearest-code';

/** The parts of the WebAssembly JS API used by the cpu kernels (the repo compiles without the DOM lib). */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** One thread's kernels and views of their memory. */
export interface ThreadContext {
  /** 0 for the calling thread, 1… for the workers. */
  index: number;
  memory: WasmMemory;
  /** Views of `memory` (re-made by {@link refreshViews} after it grows). */
  f32: Float32Array;
  i32: Int32Array;
  gemm: MicroKernel | undefined;
  /** Nearest-code kernels by code dimension. */
  nearest: Map<number, NearestKernel>;
  /** Geometry-specific kernels (direct convolutions) by key. */
  kernels: Map<string, unknown>;
}

/** The global WebAssembly API, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** Instantiates export `k` of `bytes` against `memory`. */
export function instantiateKernel(bytes: Uint8Array, memory: WasmMemory): unknown {
  const api = wasmApi() as WasmApi;
  const instance = new api.Instance(new api.Module(bytes), { env: { memory } });
  return instance.exports.k;
}

/** A context on `memory`, with the GEMM micro-kernel compiled from `gemmBytes` (none: JS kernel). */
export function createThreadContext(
  index: number,
  memory: WasmMemory,
  gemmBytes: Uint8Array | undefined,
): ThreadContext {
  const gemm =
    gemmBytes === undefined ? undefined : (instantiateKernel(gemmBytes, memory) as MicroKernel);
  const ctx: ThreadContext = {
    index,
    memory,
    f32: new Float32Array(0),
    i32: new Int32Array(0),
    gemm,
    nearest: new Map(),
    kernels: new Map(),
  };
  refreshViews(ctx);
  return ctx;
}

/** Re-makes the views when the memory has grown (or, unshared, been detached by growing). */
export function refreshViews(ctx: ThreadContext): void {
  const buffer = ctx.memory.buffer;
  if (ctx.f32.buffer === buffer && ctx.f32.length * 4 === buffer.byteLength) return;
  ctx.f32 = new Float32Array(buffer);
  ctx.i32 = new Int32Array(buffer);
}

/** The nearest-code kernel for dimension `d`, compiled from `bytes()` on first use. */
export function nearestKernelFor(
  ctx: ThreadContext,
  d: number,
  bytes: () => Uint8Array,
): NearestKernel {
  let kernel = ctx.nearest.get(d);
  if (kernel === undefined) {
    kernel = instantiateKernel(bytes(), ctx.memory) as NearestKernel;
    ctx.nearest.set(d, kernel);
  }
  return kernel;
}

/** Kernels a thread keeps compiled; past this many distinct keys the cache starts afresh. */
export function kernelCacheSize(): number {
  return 256;
}

/** The kernel cached under `key`, compiled from `bytes` (against this thread's memory) on first use. */
export function kernelFor(ctx: ThreadContext, key: string, bytes: Uint8Array): unknown {
  let kernel = ctx.kernels.get(key);
  if (kernel === undefined) {
    if (ctx.kernels.size >= kernelCacheSize()) ctx.kernels.clear();
    kernel = instantiateKernel(bytes, ctx.memory);
    ctx.kernels.set(key, kernel);
  }
  return kernel;
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const CONTEXT_WORKER_FUNCTIONS = [
  wasmApi,
  instantiateKernel,
  createThreadContext,
  refreshViews,
  nearestKernelFor,
  kernelCacheSize,
  kernelFor,
];
