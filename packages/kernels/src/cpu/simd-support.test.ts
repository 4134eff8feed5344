import { afterEach, describe, expect, it, vi } from 'vitest';
import { KernelError } from '../errors';
import { createCallingThreadExecutor } from './executor';
import { chooseSimdLevel, simdSupport } from './simd-support';
import { type WasmApi, wasmApi } from './thread-context';

afterEach(() => {
  vi.restoreAllMocks();
});

function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

describe('SIMD levels', () => {
  it('without WebAssembly SIMD: scalar kernels; relaxedSimd: true is a KernelError naming the fix', () => {
    vi.spyOn(wasmApi() as WasmApi, 'validate').mockReturnValue(false);
    expect(simdSupport()).toEqual({ simd: false, relaxed: false });
    expect(chooseSimdLevel(undefined)).toBe('none');
    expect(chooseSimdLevel(false)).toBe('none');
    expect(() => chooseSimdLevel(true)).toThrow(KernelError);
    expect(() => chooseSimdLevel(true)).toThrow(
      /Node\.js >= 22, or run Node 20 with --experimental-wasm-relaxed-simd/,
    );
  });

  it('the scalar (no-SIMD) executor agrees with the SIMD one within float32 rounding', () => {
    const scalar = createCallingThreadExecutor('none');
    const simd = createCallingThreadExecutor('plain');
    const g = {
      batch: 2,
      inH: 9,
      inW: 7,
      inC: 6,
      outH: 5,
      outW: 4,
      outC: 10,
      fh: 3,
      fw: 3,
      sh: 2,
      sw: 2,
      padTop: 1,
      padLeft: 1,
    };
    const x = values(2 * 9 * 7 * 6, 1);
    const w = values(3 * 3 * 6 * 10, 2);
    const dy = values(2 * 5 * 4 * 10, 3);
    const close = (a: Float32Array, b: Float32Array) => {
      const scale = Math.max(...Array.from(b, Math.abs));
      return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!))) / scale;
    };
    expect(close(scalar.convForward(x, w, g), simd.convForward(x, w, g))).toBeLessThan(1e-6);
    expect(close(scalar.convFilter(x, dy, g), simd.convFilter(x, dy, g))).toBeLessThan(1e-6);
    expect(close(scalar.convInput(dy, w, g), simd.convInput(dy, w, g))).toBeLessThan(1e-6);
    // Well-separated codes: both searches find the same nearest code.
    const e = Float32Array.from({ length: 40 * 4 }, (_, i) => (i % 7) * 3 + Math.floor(i / 4));
    const z = Float32Array.from({ length: 25 * 4 }, (_, i) => e[(i * 13) % e.length]! + 0.1);
    expect(scalar.nearest(z, e, 25, 40, 4)).toEqual(simd.nearest(z, e, 25, 40, 4));
  });
});
