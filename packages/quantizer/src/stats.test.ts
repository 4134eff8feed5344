import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadFraction, perplexity, QuantizerError, readUsage } from './index';

const value = (t: tf.Tensor) => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

describe('usage statistics', () => {
  it('perplexity is K for uniform use, 1 for one code, 0 for no assignments', () => {
    expect(value(perplexity(tf.tensor1d([3, 3, 3, 3])))).toBeCloseTo(4, 5);
    expect(value(perplexity(tf.tensor1d([7, 0, 0, 0])))).toBeCloseTo(1, 6);
    expect(value(perplexity(tf.tensor1d([0, 0, 0])))).toBe(0);
  });

  it('perplexity equals exp of the Shannon entropy and lies in [1, #used] (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 12 }),
        (counts) => {
          const total = counts.reduce((a, b) => a + b, 0);
          fc.pre(total > 0);
          const h = -counts
            .filter((c) => c > 0)
            .reduce((s, c) => s + (c / total) * Math.log(c / total), 0);
          const got = value(perplexity(tf.tensor1d(counts)));
          expect(got).toBeCloseTo(Math.exp(h), 3);
          expect(got).toBeLessThanOrEqual(counts.filter((c) => c > 0).length + 1e-4);
        },
      ),
      { numRuns: 50, seed: 3 },
    );
  });

  it('deadFraction counts codes below the threshold', () => {
    expect(value(deadFraction(tf.tensor1d([0, 1, 2, 5])))).toBeCloseTo(0.25);
    expect(value(deadFraction(tf.tensor1d([0, 1, 2, 5]), 2))).toBeCloseTo(0.5);
  });

  it('readUsage returns numbers without disposing the counts', async () => {
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

  it('rejects counts that are not a 1-D tensor', () => {
    const bad = tf.zeros([2, 2]);
    expect(() => perplexity(bad as tf.Tensor1D)).toThrow(QuantizerError);
    expect(() => deadFraction(bad as tf.Tensor1D)).toThrow(/counts must be a non-empty 1-D tensor/);
    bad.dispose();
  });
});
