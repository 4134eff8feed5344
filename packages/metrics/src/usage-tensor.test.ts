import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetricsError } from './errors';
import {
  activeCodes,
  DEAD_CODE_THRESHOLD,
  deadFraction,
  normalizedPerplexity,
  perplexity,
} from './usage';
import { deadFractionTensor, perplexityTensor } from './usage-tensor';

const read = (t: tf.Scalar) => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};
const onDevice = {
  perplexity: (c: number[]) => {
    const t = tf.tensor1d(c);
    const v = read(perplexityTensor(t));
    t.dispose();
    return v;
  },
  deadFraction: (c: number[], threshold?: number) => {
    const t = tf.tensor1d(c);
    const v = read(deadFractionTensor(t, threshold));
    t.dispose();
    return v;
  },
};

describe('one definition of perplexity and dead fraction (host and device)', () => {
  it('all-zero counts: perplexity 0 (no code in use), every code dead', () => {
    expect(perplexity([0, 0, 0])).toBe(0);
    expect(normalizedPerplexity([0, 0, 0])).toBe(0);
    expect(onDevice.perplexity([0, 0, 0])).toBe(0);
    expect(deadFraction([0, 0, 0])).toBe(1);
    expect(onDevice.deadFraction([0, 0, 0])).toBe(1);
  });

  it('K = 1: perplexity 1 when used, 0 when not; dead fraction 0 or 1', () => {
    expect(perplexity([5])).toBe(1);
    expect(onDevice.perplexity([5])).toBe(1);
    expect(perplexity([0])).toBe(0);
    expect(onDevice.perplexity([0])).toBe(0);
    expect(deadFraction([5])).toBe(0);
    expect(onDevice.deadFraction([5])).toBe(0);
    expect(deadFraction([0])).toBe(1);
    expect(onDevice.deadFraction([0])).toBe(1);
  });

  it('threshold: dead means count < threshold (the paper: "stays below a threshold"), default 1', () => {
    expect(DEAD_CODE_THRESHOLD).toBe(1);
    const counts = [0, 1, 2, 5, 0.5];
    // Default: below 1 → the codes with 0 and 0.5.
    expect(deadFraction(counts)).toBeCloseTo(2 / 5, 12);
    expect(onDevice.deadFraction(counts)).toBeCloseTo(2 / 5, 6);
    // Threshold 2: a count of exactly 2 is alive.
    expect(deadFraction(counts, { threshold: 2 })).toBeCloseTo(3 / 5, 12);
    expect(onDevice.deadFraction(counts, 2)).toBeCloseTo(3 / 5, 6);
    expect(activeCodes(counts, { threshold: 2 })).toBe(2);
    // Threshold 0: nothing is dead.
    expect(deadFraction(counts, { threshold: 0 })).toBe(0);
    expect(onDevice.deadFraction(counts, 0)).toBe(0);
  });

  it('host and device agree on any counts and threshold (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 0, max: 6 }),
        (counts, threshold) => {
          expect(onDevice.perplexity(counts)).toBeCloseTo(perplexity(counts), 3);
          expect(onDevice.deadFraction(counts, threshold)).toBeCloseTo(
            deadFraction(counts, { threshold }),
            6,
          );
          const p = perplexity(counts);
          const used = counts.filter((c) => c > 0).length;
          if (used === 0) expect(p).toBe(0);
          else {
            expect(p).toBeGreaterThanOrEqual(1 - 1e-12);
            expect(p).toBeLessThanOrEqual(used + 1e-9);
          }
        },
      ),
      { numRuns: 60, seed: 13 },
    );
  });

  it('rejects a tensor that is not 1-D and a bad threshold, naming the function', () => {
    const bad = tf.zeros([2, 2]);
    expect(() => perplexityTensor(bad as tf.Tensor1D)).toThrow(MetricsError);
    expect(() => deadFractionTensor(bad as tf.Tensor1D)).toThrow(
      /deadFractionTensor: counts must be a non-empty 1-D tensor/,
    );
    const ok = tf.tensor1d([1, 2]);
    expect(() => deadFractionTensor(ok, -1)).toThrow(
      /threshold must be a finite number ≥ 0, got -1/,
    );
    expect(() => deadFraction([1], { threshold: Number.NaN })).toThrow(/threshold/);
    tf.dispose([bad, ok]);
  });
});
