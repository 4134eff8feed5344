import { describe, expect, it } from 'vitest';
import { KernelError } from '../errors';
import { ensureFloats } from './executor';
import { createThreadContext, type WasmApi, wasmApi } from './thread-context';

describe('kernel memory', () => {
  it('grows to hold the floats asked for, views refreshed', () => {
    const ctx = createThreadContext(
      0,
      new (wasmApi() as WasmApi).Memory({ initial: 1 }),
      undefined,
    );
    ensureFloats(ctx, 100_000);
    expect(ctx.f32.length).toBeGreaterThanOrEqual(100_000);
    expect(ctx.i32.buffer).toBe(ctx.f32.buffer);
  });

  it('a memory that cannot grow that far is a KernelError naming the size and the fix', () => {
    const ctx = createThreadContext(
      0,
      new (wasmApi() as WasmApi).Memory({ initial: 1, maximum: 2 }),
      undefined,
    );
    const grow = () => ensureFloats(ctx, 1_000_000);
    expect(grow).toThrow(KernelError);
    expect(grow).toThrow(/grow the kernels' WebAssembly memory to 4 MiB, got .*fewer threads/);
  });
});
