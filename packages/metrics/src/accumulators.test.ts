import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodeUsageAccumulator, ReconstructionAccumulator } from './accumulators';
import { mse, psnr, ssim } from './reconstruction';
import { summarize } from './stats';
import { codeCounts, gini, lorenzCurve, perplexity, usageSummary } from './usage';

/** Deterministic pseudo-random values in [0, 1) (sine hash), so this test needs no dependency. */
function hashUniform(seed: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const s = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    return s - Math.floor(s);
  });
}

/** Splits [0, n) at the given cut points into consecutive chunks (some possibly empty). */
function chunks<T>(values: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let start = 0;
  for (const p of [...points, values.length]) {
    out.push(values.slice(start, p));
    start = p;
  }
  return out;
}

describe('ReconstructionAccumulator', () => {
  it('equals the one-shot summaries in any chunking', () => {
    const row = fc.record({
      mse: fc.double({ min: 0, max: 1, noNaN: true }),
      psnr: fc.oneof(
        fc.double({ min: 5, max: 60, noNaN: true }),
        fc.constant(Number.POSITIVE_INFINITY),
      ),
      ssim: fc.double({ min: -1, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(40), { maxLength: 6 }),
        (rows, cuts) => {
          const acc = new ReconstructionAccumulator();
          for (const part of chunks(rows, cuts)) {
            if (part.length === 0) continue;
            acc.add({
              mse: part.map((r) => r.mse),
              psnr: part.map((r) => r.psnr),
              ssim: part.map((r) => r.ssim),
            });
          }
          const result = acc.result();
          expect(result.images).toBe(rows.length);
          expect(result.mse).toEqual(summarize(rows.map((r) => r.mse)));
          expect(result.psnr).toEqual(summarize(rows.map((r) => r.psnr)));
          expect(result.ssim).toEqual(summarize(rows.map((r) => r.ssim)));
        },
      ),
      { seed: 5, numRuns: 150 },
    );
  });

  it('addImages over batches equals the metrics of the whole set, reading back per-image vectors', async () => {
    const x = tf.tensor4d(hashUniform(21, 5 * 11 * 11 * 3), [5, 11, 11, 3]);
    const y = tf.tensor4d(hashUniform(22, 5 * 11 * 11 * 3), [5, 11, 11, 3]);
    const exact = tf.concat([tf.slice(x, [0], [1]), tf.slice(y, [1], [4])]); // image 0 reconstructed exactly
    const acc = new ReconstructionAccumulator({ ddof: 1 });
    const before = tf.memory().numTensors;
    for (const [start, size] of [
      [0, 2],
      [2, 3],
    ] as const) {
      const xb = tf.slice(x, [start], [size]);
      const yb = tf.slice(exact, [start], [size]);
      await acc.addImages(xb, yb, { dataRange: 1, ssim: true });
      tf.dispose([xb, yb]);
    }
    expect(tf.memory().numTensors).toBe(before);
    const r = acc.result();
    expect(r.images).toBe(5);
    expect(r.psnr!.infiniteCount).toBe(1);
    expect(r.psnr!.count).toBe(4);
    expect(r.mse).toEqual(summarize(await mse(x, exact), { ddof: 1 }));
    expect(r.psnr).toEqual(summarize(await psnr(x, exact, { dataRange: 1 }), { ddof: 1 }));
    expect(r.ssim).toEqual(summarize(await ssim(x, exact, { dataRange: 1 }), { ddof: 1 }));
  });

  it('reports only the metrics fed and rejects inconsistent or invalid batches atomically', () => {
    const acc = new ReconstructionAccumulator();
    expect(() => acc.result()).toThrow(/no batch was added/);
    acc.add({ mse: [0.1, 0.2] });
    expect(acc.result()).toMatchObject({ images: 2, psnr: null, ssim: null });
    expect(() => acc.add({ mse: [0.1], psnr: [10, 20] })).toThrow(/same length, got mse 1, psnr 2/);
    expect(() => acc.add({ mse: [-0.1] })).toThrow(
      /mse\[0\] must be a finite number ≥ 0, got -0\.1/,
    );
    expect(() => acc.add({ psnr: [Number.NaN] })).toThrow(/psnr\[0\]/);
    expect(() => acc.add({ ssim: [1.5] })).toThrow(
      /ssim\[0\] must be a finite number in \[-1, 1\]/,
    );
    expect(() => acc.add({})).toThrow(/none of mse, psnr, ssim/);
    expect(() => acc.add({ mse: [] })).toThrow(/batch is empty/);
    expect(acc.result().mse).toEqual(summarize([0.1, 0.2]));
    expect(acc.reset().images).toBe(0);
  });
});

describe('CodeUsageAccumulator', () => {
  it('index chunks, count chunks and one-shot counts give identical metrics', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(15), { minLength: 1, maxLength: 200 }),
        fc.array(fc.nat(200), { maxLength: 6 }),
        (indices, cuts) => {
          const byIndices = new CodeUsageAccumulator(16);
          const byCounts = new CodeUsageAccumulator(16);
          for (const part of chunks(indices, cuts)) {
            byIndices.addIndices(part);
            byCounts.addCounts(codeCounts(part, 16));
          }
          const oneShot = codeCounts(indices, 16);
          expect(byIndices.counts()).toEqual(oneShot);
          expect(byIndices.result()).toEqual(usageSummary(oneShot));
          expect(byCounts.result()).toEqual(usageSummary(oneShot));
          expect(byIndices.total).toBe(indices.length);
        },
      ),
      { seed: 9, numRuns: 150 },
    );
  });

  it('addIndexTensor counts on device and matches addIndices', async () => {
    const idx = Int32Array.from(hashUniform(4, 2 * 6 * 6), (u) => Math.floor(u * 10));
    const t = tf.tensor3d(idx, [2, 6, 6], 'int32');
    const before = tf.memory().numTensors;
    const onDevice = await new CodeUsageAccumulator(10).addIndexTensor(t);
    expect(tf.memory().numTensors).toBe(before);
    const onHost = new CodeUsageAccumulator(10).addIndices(idx);
    expect(onDevice.counts()).toEqual(onHost.counts());
    expect(onDevice.result()).toEqual(onHost.result());
    expect(lorenzCurve(onDevice.counts()).y.at(-1)).toBe(1);
    expect(perplexity(onDevice.counts())).toBeCloseTo(onDevice.result().perplexity, 14);
    expect(gini(onDevice.counts())).toBe(onDevice.result().gini);
  });

  it('rejects out-of-range indices, wrong dtypes, length mismatches and empty results', async () => {
    const acc = new CodeUsageAccumulator(4);
    await expect(acc.addIndexTensor(tf.tensor1d([0, 4, -1, 2], 'int32'))).rejects.toThrow(
      /2 of 4 indices lie outside \[0, 4\)/,
    );
    await expect(acc.addIndexTensor(tf.tensor1d([0, 1]))).rejects.toThrow(
      /int32 tensor.*got float32/,
    );
    expect(() => acc.addIndices([0, 1, 7])).toThrow(/indices\[2\] = 7/);
    expect(() => acc.addCounts([1, 2, 3])).toThrow(/length 3, expected codebookSize 4/);
    expect(() => acc.addCounts([1, 2, 3, -1])).toThrow(/counts\[3\]/);
    expect(acc.total).toBe(0);
    expect(() => acc.result()).toThrow(/no assignments were added/);
    expect(() => new CodeUsageAccumulator(0)).toThrow(/codebookSize must be a positive integer/);
    acc.addIndices([1, 1]);
    expect(acc.result()).toMatchObject({ activeCodes: 1, perplexity: 1, gini: 0.75 });
    expect(acc.reset().total).toBe(0);
  });
});
