import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MetricsError } from './errors';
import {
  gaussianWindow,
  mse,
  msePerImage,
  psnr,
  psnrFromMse,
  psnrPerImage,
  reconstructionMetrics,
  ssim,
  ssimPerImage,
} from './reconstruction';

/** Deterministic pseudo-random values in [0, 1) (sine hash), so this test needs no dependency. */
function hashUniform(seed: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const s = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    return s - Math.floor(s);
  });
}

function randomImages(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const data = hashUniform(
    seed,
    shape.reduce((a, b) => a * b, 1),
  );
  return tf.tensor4d(data, shape);
}

/** Float64 reference SSIM of one channel (direct 2-D Gaussian window, 'valid'), from the definition. */
function referenceSsim(a: number[][], b: number[][], range: number): number {
  const g = Array.from(gaussianWindow(11, 1.5), Number);
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let total = 0;
  let n = 0;
  for (let i = 0; i + 11 <= a.length; i++) {
    for (let j = 0; j + 11 <= a[0]!.length; j++) {
      let mx = 0;
      let my = 0;
      let xx = 0;
      let yy = 0;
      let xy = 0;
      for (let u = 0; u < 11; u++) {
        for (let v = 0; v < 11; v++) {
          const w = g[u]! * g[v]!;
          const p = a[i + u]![j + v]!;
          const q = b[i + u]![j + v]!;
          mx += w * p;
          my += w * q;
          xx += w * p * p;
          yy += w * q * q;
          xy += w * p * q;
        }
      }
      const sx = xx - mx * mx;
      const sy = yy - my * my;
      const sxy = xy - mx * my;
      total += ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2));
      n++;
    }
  }
  return total / n;
}

function channel(t: tf.Tensor4D, b: number, c: number): number[][] {
  const arr = t.arraySync();
  return arr[b]!.map((row) => row.map((px) => px[c]!));
}

describe('MSE / PSNR', () => {
  it('PSNR of known noise: ±0.1 noise gives MSE 0.01 and 20 dB at range 1, 26.02 dB at range 2', async () => {
    const x = tf.fill([2, 4, 4, 3], 0.5) as tf.Tensor4D;
    const signs = new Float32Array(2 * 4 * 4 * 3).map((_, i) => (i % 2 === 0 ? 0.1 : -0.1));
    const y = tf.add(x, tf.tensor4d(signs, [2, 4, 4, 3])) as tf.Tensor4D;
    const m = await mse(x, y);
    expect(m).toHaveLength(2);
    for (const v of m) expect(v).toBeCloseTo(0.01, 7);
    for (const v of await psnr(x, y, { dataRange: 1 })) expect(v).toBeCloseTo(20, 4);
    for (const v of await psnr(x, y, { dataRange: 2 }))
      expect(v).toBeCloseTo(10 * Math.log10(400), 4);
    expect(psnrFromMse(0.01, 1)).toBeCloseTo(20, 12);
    tf.dispose([x, y]);
  });

  it('per image: an exact reconstruction gives PSNR +Infinity without affecting its neighbours', async () => {
    const x = randomImages(1, [3, 5, 6, 2]);
    const noise = tf.mul(randomImages(2, [3, 5, 6, 2]), tf.tensor4d([0, 0.1, 0.2], [3, 1, 1, 1]));
    const y = tf.add(x, noise);
    const perImage = msePerImage(x, y);
    expect(perImage.shape).toEqual([3]);
    const values = Array.from(await perImage.data());
    expect(values[0]).toBe(0);
    const expected = await tf.mean(tf.square(tf.sub(x, y)), [1, 2, 3]).data();
    expect(values[1]).toBeCloseTo(expected[1]!, 7);
    const p = await psnrPerImage(x, y, { dataRange: 1 }).data();
    expect(p[0]).toBe(Number.POSITIVE_INFINITY);
    expect(p[2]).toBeCloseTo(10 * Math.log10(1 / values[2]!), 3);
    expect(psnrFromMse(0, 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects shape mismatch, wrong rank, empty batches and dataRange ≤ 0', () => {
    const a = tf.zeros([2, 4, 4, 1]);
    expect(() => msePerImage(a, tf.zeros([2, 4, 4, 3]))).toThrow(
      /same shape, got \[2,4,4,1\] and \[2,4,4,3\]/,
    );
    expect(() => msePerImage(tf.zeros([4, 4, 1]), tf.zeros([4, 4, 1]))).toThrow(
      /rank-4 NHWC.*expandDims/,
    );
    expect(() => msePerImage(tf.zeros([0, 4, 4, 1]), tf.zeros([0, 4, 4, 1]))).toThrow(
      /batch is empty/,
    );
    expect(() => psnrPerImage(a, a, { dataRange: 0 })).toThrow(
      /dataRange must be a finite number > 0, got 0/,
    );
    expect(() => psnrPerImage(a, a, { dataRange: -1 })).toThrow(MetricsError);
    expect(() => psnrFromMse(-1, 1)).toThrow(/mse must be/);
  });
});

describe('SSIM', () => {
  it('identical images give exactly 1 in both modes', async () => {
    const x = randomImages(3, [2, 12, 12, 3]);
    expect(await ssim(x, tf.clone(x), { dataRange: 1 })).toEqual([1, 1]);
    expect(await ssim(x, tf.clone(x), { dataRange: 1, mode: 'luminance' })).toEqual([1, 1]);
  });

  it('constant images a, b give (2ab + C1) / (a² + b² + C1) (hand-computed)', async () => {
    const x = tf.fill([1, 11, 11, 1], 0.5);
    const y = tf.fill([1, 11, 11, 1], 0.6);
    const c1 = 0.01 ** 2;
    const [v] = await ssim(x, y, { dataRange: 1 });
    expect(v).toBeCloseTo((2 * 0.5 * 0.6 + c1) / (0.25 + 0.36 + c1), 5);
  });

  it('per-channel mode equals a float64 reference implementation of the definition', async () => {
    const x = randomImages(4, [2, 13, 12, 2]);
    const y = tf.clipByValue(
      tf.add(x, tf.mul(0.2, tf.sub(randomImages(5, [2, 13, 12, 2]), 0.5))),
      0,
      1,
    ) as tf.Tensor4D;
    const got = await ssim(x, y, { dataRange: 1 });
    for (let b = 0; b < 2; b++) {
      const ref =
        (referenceSsim(channel(x, b, 0), channel(y, b, 0), 1) +
          referenceSsim(channel(x, b, 1), channel(y, b, 1), 1)) /
        2;
      expect(got[b]).toBeCloseTo(ref, 4);
      expect(got[b]!).toBeLessThan(1);
    }
  });

  it('luminance mode is SSIM of the BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B', async () => {
    const x = randomImages(6, [1, 12, 12, 3]);
    const y = randomImages(7, [1, 12, 12, 3]);
    const w = tf.tensor1d([0.299, 0.587, 0.114]);
    const yx = tf.sum(tf.mul(x, w), 3, true) as tf.Tensor4D;
    const yy = tf.sum(tf.mul(y, w), 3, true) as tf.Tensor4D;
    const [lum] = await ssim(x, y, { dataRange: 1, mode: 'luminance' });
    expect(lum).toBeCloseTo(referenceSsim(channel(yx, 0, 0), channel(yy, 0, 0), 1), 4);
    const [perChannel] = await ssim(x, y, { dataRange: 1 });
    expect(Math.abs(lum! - perChannel!)).toBeGreaterThan(1e-3);
  });

  it('rejects too-small images, bad modes and bad constants with the fix in the message', () => {
    const small = tf.zeros([1, 8, 16, 1]);
    expect(() => ssimPerImage(small, small, { dataRange: 1 })).toThrow(
      /8×16 are smaller than the 11×11 window.*windowSize ≤ 8/,
    );
    expect(ssimPerImage(small, small, { dataRange: 1, windowSize: 7 }).shape).toEqual([1]);
    const rgba = tf.zeros([1, 11, 11, 4]);
    expect(() => ssimPerImage(rgba, rgba, { dataRange: 1, mode: 'luminance' })).toThrow(/C = 4/);
    expect(() => ssimPerImage(rgba, rgba, { dataRange: 1, mode: 'gray' as never })).toThrow(
      /mode must be/,
    );
    expect(() => ssimPerImage(rgba, rgba, { dataRange: 1, sigma: 0 })).toThrow(/sigma/);
    expect(() => ssimPerImage(rgba, rgba, { dataRange: 0 })).toThrow(/dataRange/);
  });
});

describe('reconstructionMetrics', () => {
  it('matches the separate functions and leaks no tensors', async () => {
    const x = randomImages(8, [3, 11, 11, 3]);
    const y = randomImages(9, [3, 11, 11, 3]);
    const before = tf.memory().numTensors;
    const all = await reconstructionMetrics(x, y, { dataRange: 1, ssim: true });
    await mse(x, y);
    await psnr(x, y, { dataRange: 1 });
    await ssim(x, y, { dataRange: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(all.mse).toEqual(await mse(x, y));
    expect(all.psnr).toEqual(await psnr(x, y, { dataRange: 1 }));
    expect(all.ssim).toEqual(await ssim(x, y, { dataRange: 1 }));
    expect((await reconstructionMetrics(x, y, { dataRange: 1 })).ssim).toBeUndefined();
  });
});
