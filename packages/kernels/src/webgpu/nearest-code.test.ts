import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { describe, expect, it, vi } from 'vitest';
import { KernelError } from './errors';
import { NearestCodeProgram, webgpuNearestCode } from './nearest-code';
import type { WebGPUBackend } from './program';
import { setupWebGPU } from './test-backend';

const ctx = await setupWebGPU();

/** Brute force in float64: argmin_k Σ_d (z_nd − e_kd)², first index on ties; also the distances. */
function bruteForce(
  z: Float32Array,
  e: Float32Array,
  d: number,
): { index: Int32Array; dist: (n: number, k: number) => number } {
  const n = z.length / d;
  const k = e.length / d;
  const dist = (row: number, code: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = z[row * d + j]! - e[code * d + j]!;
      s += t * t;
    }
    return s;
  };
  const index = new Int32Array(n);
  for (let row = 0; row < n; row++) {
    let best = Number.POSITIVE_INFINITY;
    for (let code = 0; code < k; code++) {
      const s = dist(row, code);
      if (s < best) {
        best = s;
        index[row] = code;
      }
    }
  }
  return { index, dist };
}

/** Small integers: every distance is exact in float32, so ties are exact and common. */
function integerArray(rng: Rng, size: number, range: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.int(2 * range + 1) - range;
  return out;
}

async function search(
  zv: Float32Array,
  ev: Float32Array,
  d: number,
  chunkSize?: number,
): Promise<Int32Array> {
  const z = tf.tensor2d(zv, [zv.length / d, d]);
  const e = tf.tensor2d(ev, [ev.length / d, d]);
  const idx = webgpuNearestCode(z, e, chunkSize === undefined ? {} : { chunkSize });
  expect(idx.dtype).toBe('int32');
  expect(idx.shape).toEqual([zv.length / d]);
  const out = (await idx.data()) as Int32Array;
  tf.dispose([z, e, idx]);
  return out;
}

describe.skipIf(!ctx)('webgpuNearestCode', () => {
  // D ≤ 64 keeps z rows in registers; D > 64 sums the distance in 32-dim chunks (with a ragged
  // last chunk for 65, 100, 101, 130); 4 | D reads vec4s (4, 8, 64, 100, 128), else scalars.
  for (const d of [1, 3, 4, 8, 33, 64, 65, 100, 101, 128, 130]) {
    it(`equals brute force exactly, ties to the lowest index, on integer data (D = ${d})`, async () => {
      const rng = new Rng(1000 + d);
      const n = 150;
      const k = 137; // several codebook tiles for every D
      const zv = integerArray(rng, n * d, 2);
      const ev = integerArray(rng, k * d, 2);
      const want = bruteForce(zv, ev, d).index;
      expect(Array.from(await search(zv, ev, d))).toEqual(Array.from(want));
    });
  }

  it('finds the nearest code on random float data (within float32 rounding of the minimum)', async () => {
    const rng = new Rng(3);
    const d = 8;
    const n = 500;
    const k = 300;
    const zv = rng.fillNormal(new Float32Array(n * d));
    const ev = rng.fillNormal(new Float32Array(k * d));
    const got = await search(zv, ev, d);
    const { index, dist } = bruteForce(zv, ev, d);
    let same = 0;
    for (let row = 0; row < n; row++) {
      expect(dist(row, got[row]!)).toBeLessThanOrEqual(dist(row, index[row]!) + 1e-5);
      if (got[row] === index[row]) same++;
    }
    expect(same).toBeGreaterThan(n * 0.99);
  });

  it('breaks ties to the lowest index: duplicated codes, and codes equidistant from z', async () => {
    // Codes 1 and 3 are equal; code 0 and code 2 are both at distance 1 from z = [0, 0].
    const ev = new Float32Array([1, 0, 5, 5, 0, -1, 5, 5]);
    const zv = new Float32Array([0, 0, 5, 5, 0, -0.5]);
    expect(Array.from(await search(zv, ev, 2))).toEqual([0, 1, 2]);
    // All codes identical: every row picks code 0, across several tiles of codes.
    const k = 300;
    const same = new Float32Array(k * 4).fill(0.25);
    expect(Array.from(await search(new Float32Array(3 * 4).fill(-1), same, 4))).toEqual([0, 0, 0]);
  });

  it('gives the same answer for every chunkSize (one dispatch per chunk, one output)', async () => {
    const rng = new Rng(9);
    const d = 5;
    const n = 301;
    const zv = integerArray(rng, n * d, 3);
    const ev = integerArray(rng, 50 * d, 3);
    const want = Array.from(bruteForce(zv, ev, d).index);
    for (const chunkSize of [1, 64, 100, 301, 1_000_000]) {
      expect(Array.from(await search(zv, ev, d, chunkSize))).toEqual(want);
    }
  });

  it('handles K = 8192 with D = 128 (codebook tiles in workgroup memory, chunked distance)', async () => {
    const rng = new Rng(12);
    const d = 128;
    const k = 8192;
    const ev = integerArray(rng, k * d, 3);
    // Each row of z is a code plus a small offset, so its nearest code is known.
    const targets = [0, 1, 4095, 8191, 777, 8000];
    const zv = new Float32Array(targets.length * d);
    targets.forEach((t, row) => {
      for (let j = 0; j < d; j++) zv[row * d + j] = ev[t * d + j]! + (j === 0 ? 0.25 : 0);
    });
    expect(Array.from(await search(zv, ev, d))).toEqual(targets);
  });

  it('handles N = 65536 with N·K·4 bytes > 256 MiB without an N×K buffer', async () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    const n = 65_536;
    const k = 1040; // N·K·4 = 272.6 MB > 256 MiB > maxStorageBufferBindingSize of lavapipe (128 MiB)
    expect(n * k * 4).toBeGreaterThan(256 * 2 ** 20);
    // Codes on the integer grid 0 … K−1 (in a shuffled order); z on a half-integer grid, so half of
    // the rows sit exactly between two codes and must take the lower index of the two.
    const rng = new Rng(21);
    const perm = rng.permutation(k);
    const ev = new Float32Array(k);
    for (let i = 0; i < k; i++) ev[i] = perm[i]!;
    const position = new Int32Array(k);
    for (let i = 0; i < k; i++) position[perm[i]!] = i;
    const zv = new Float32Array(n);
    const want = new Int32Array(n);
    for (let row = 0; row < n; row++) {
      const halfSteps = rng.int(2 * k + 4) - 2; // from −1 to K + 0.5
      const v = halfSteps / 2;
      zv[row] = v;
      const lo = Math.min(k - 1, Math.max(0, Math.floor(v)));
      const hi = Math.min(k - 1, Math.max(0, Math.ceil(v)));
      const dLo = Math.abs(v - lo);
      const dHi = Math.abs(v - hi);
      want[row] =
        dLo < dHi
          ? position[lo]!
          : dHi < dLo
            ? position[hi]!
            : Math.min(position[lo]!, position[hi]!);
    }
    const z = tf.tensor2d(zv, [n, 1]);
    const e = tf.tensor2d(ev, [k, 1]);
    const spy = vi.spyOn(backend, 'makeTensorInfo');
    const idx = webgpuNearestCode(z, e, { chunkSize: 16_384 });
    const allocated = spy.mock.calls.map(([shape]) => tf.util.sizeFromShape(shape));
    spy.mockRestore();
    expect(Math.max(...allocated)).toBeLessThanOrEqual(n);
    expect(Array.from(await idx.data())).toEqual(Array.from(want));
    tf.dispose([z, e, idx]);
  });

  it('returns index 0 for a NaN row and an empty result for N = 0', async () => {
    const ev = new Float32Array([3, 1, 2]);
    expect(Array.from(await search(new Float32Array([Number.NaN, 1.9]), ev, 1))).toEqual([0, 2]);
    expect(Array.from(await search(new Float32Array(0), ev, 1))).toEqual([]);
  });

  it('runs inside the engine: tidy-tracked, no leaked tensors', () => {
    const z = tf.randomNormal([40, 6]) as tf.Tensor2D;
    const e = tf.randomNormal([9, 6]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      webgpuNearestCode(z, e, { chunkSize: 16 });
    });
    expect(tf.memory().numTensors).toBe(before);
    const kept = tf.tidy(() => webgpuNearestCode(z, e, { chunkSize: 16 }));
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([z, e, kept]);
  });

  it('rejects bad arguments with a KernelError that names the argument', async () => {
    const z = tf.zeros([4, 3]) as tf.Tensor2D;
    const e = tf.zeros([5, 3]) as tf.Tensor2D;
    expect(() => webgpuNearestCode(z, tf.zeros([5, 2]) as tf.Tensor2D)).toThrow(/codeDim = 2/);
    expect(() => webgpuNearestCode(tf.zeros([4]) as unknown as tf.Tensor2D, e)).toThrow(/rank 2/);
    expect(() => webgpuNearestCode(z, tf.zeros([0, 3]) as tf.Tensor2D)).toThrow(/K ≥ 1/);
    expect(() => webgpuNearestCode(tf.zeros([4, 3], 'int32') as tf.Tensor2D, e)).toThrow(/float32/);
    for (const chunkSize of [0, -1, 1.5, Number.NaN]) {
      expect(() => webgpuNearestCode(z, e, { chunkSize })).toThrow(KernelError);
    }
    await tf.setBackend('cpu');
    try {
      const zc = tf.zeros([4, 3]) as tf.Tensor2D;
      expect(() => webgpuNearestCode(zc, zc)).toThrow(
        /expected the active tfjs backend 'webgpu', got 'cpu'/,
      );
      zc.dispose();
    } finally {
      await tf.setBackend('webgpu');
    }
    tf.disposeVariables();
  });
});

describe('NearestCodeProgram', () => {
  it('keeps its codebook tile within 8 KiB of workgroup memory and chunks the distance above D = 64', () => {
    for (const d of [1, 8, 64, 65, 128, 1000]) {
      const p = new NearestCodeProgram(10, d, 10);
      const tileDim = p.chunked ? 32 : d;
      expect(p.codesPerTile * tileDim * 4).toBeLessThanOrEqual(8192);
      expect(p.codesPerTile).toBeGreaterThanOrEqual(16);
      expect(p.chunked).toBe(d > 64);
      expect(p.vec4).toBe(d % 4 === 0);
    }
  });
});
