import * as tf from '@tensorflow/tfjs-core';
import { deadFraction, MetricsError, perplexity } from '@vqkit/metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readUsage } from './index';

const usageOf = async (counts: number[], threshold?: number) => {
  const t = tf.tensor1d(counts);
  try {
    return await readUsage(t, threshold);
  } finally {
    t.dispose();
  }
};

describe('readUsage (the definitions of @vqkit/metrics, read back in one async read)', () => {
  it('returns numbers without disposing the counts', async () => {
    const counts = tf.tensor1d([2, 2, 0, 0]);
    expect(await readUsage(counts)).toEqual({
      perplexity: expect.closeTo(2, 5),
      deadFraction: 0.5,
      total: 4,
      codebookSize: 4,
    });
    expect(counts.isDisposed).toBe(false);
    counts.dispose();
  });

  it('edge cases match @vqkit/metrics: all-zero counts, K = 1, threshold (count < threshold is dead)', async () => {
    expect(await usageOf([0, 0, 0])).toEqual({
      perplexity: 0,
      deadFraction: 1,
      total: 0,
      codebookSize: 3,
    });
    expect(await usageOf([7])).toMatchObject({ perplexity: 1, deadFraction: 0 });
    expect(await usageOf([0])).toMatchObject({ perplexity: 0, deadFraction: 1 });
    expect((await usageOf([0, 1, 2, 5], 2)).deadFraction).toBe(0.5);
    expect((await usageOf([0, 1, 2, 5])).deadFraction).toBe(0.25);
  });

  it('agrees with the host definitions for any counts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 4 }),
        async (counts, threshold) => {
          const got = await usageOf(counts, threshold);
          expect(got.perplexity).toBeCloseTo(perplexity(counts), 3);
          expect(got.deadFraction).toBeCloseTo(deadFraction(counts, { threshold }), 6);
        },
      ),
      { numRuns: 40, seed: 3 },
    );
  });

  it('rejects counts that are not a 1-D tensor with the metrics error', async () => {
    const bad = tf.zeros([2, 2]);
    await expect(readUsage(bad as tf.Tensor1D)).rejects.toThrow(MetricsError);
    bad.dispose();
  });
});
