import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetricsError } from './errors';
import {
  activeCodes,
  codeCounts,
  deadFraction,
  entropy,
  gini,
  lorenzCurve,
  normalizedPerplexity,
  perplexity,
  topKShare,
  usageSummary,
} from './usage';

describe('codebook usage metrics', () => {
  it('uniform usage: perplexity K, normalised 1, Gini 0, Lorenz on the diagonal, nothing dead', () => {
    const k = 16;
    const counts = new Array(k).fill(7);
    expect(perplexity(counts)).toBeCloseTo(k, 10);
    expect(normalizedPerplexity(counts)).toBeCloseTo(1, 12);
    expect(entropy(counts, { base: 2 })).toBeCloseTo(4, 12);
    expect(gini(counts)).toBeCloseTo(0, 12);
    const { x, y } = lorenzCurve(counts);
    expect(x).toHaveLength(k + 1);
    for (let i = 0; i <= k; i++) {
      expect(x[i]).toBeCloseTo(i / k, 12);
      expect(y[i]).toBeCloseTo(i / k, 12);
    }
    expect(activeCodes(counts)).toBe(k);
    expect(deadFraction(counts)).toBe(0);
    expect(topKShare(counts, 4)).toBeCloseTo(0.25, 12);
  });

  it('a single used code: perplexity 1, Gini 1 − 1/K, Lorenz flat then jumping to 1', () => {
    const counts = new Int32Array(8);
    counts[3] = 100;
    expect(perplexity(counts)).toBe(1);
    expect(normalizedPerplexity(counts)).toBe(1 / 8);
    expect(gini(counts)).toBeCloseTo(1 - 1 / 8, 12);
    expect(lorenzCurve(counts)).toEqual({
      x: [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1],
      y: [0, 0, 0, 0, 0, 0, 0, 0, 1],
    });
    expect(activeCodes(counts)).toBe(1);
    expect(deadFraction(counts)).toBe(7 / 8);
    expect(topKShare(counts, 1)).toBe(1);
  });

  it('matches hand-computed values for counts [4, 1, 3, 2]', () => {
    const counts = [4, 1, 3, 2];
    const p = [0.4, 0.1, 0.3, 0.2];
    const h = -p.reduce((s, q) => s + q * Math.log(q), 0);
    expect(entropy(counts)).toBeCloseTo(h, 14);
    expect(perplexity(counts)).toBeCloseTo(Math.exp(h), 12);
    // sorted 1,2,3,4 over total 10: 2·(1·1 + 2·2 + 3·3 + 4·4) / (4·10) − 5/4 = 0.25
    expect(gini(counts)).toBeCloseTo(0.25, 14);
    const lz = lorenzCurve(counts);
    expect(lz.x).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(lz.y.map((v) => Number(v.toFixed(12)))).toEqual([0, 0.1, 0.3, 0.6, 1]);
    expect(topKShare(counts, 2)).toBeCloseTo(0.7, 14);
    // Dead means count < threshold: only the code with count 1 is below 2.
    expect(activeCodes(counts, { threshold: 2 })).toBe(3);
    expect(deadFraction(counts, { threshold: 2 })).toBe(0.25);
    const s = usageSummary(counts, { topK: 2 });
    expect(s).toMatchObject({
      codebookSize: 4,
      total: 10,
      activeCodes: 4,
      deadFraction: 0,
      topK: 2,
    });
    expect(s.entropyBits).toBeCloseTo(h / Math.LN2, 12);
    expect(s.gini).toBeCloseTo(0.25, 14);
  });

  it('Gini equals 1 − 2 · (area under the Lorenz curve) for any counts', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 }), (raw) => {
        const counts = [...raw, 1];
        const { x, y } = lorenzCurve(counts);
        let area = 0;
        for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
        expect(gini(counts)).toBeCloseTo(1 - 2 * area, 10);
        expect(y[0]).toBe(0);
        expect(y[y.length - 1]).toBe(1);
        for (let i = 1; i < y.length; i++) expect(y[i]!).toBeGreaterThanOrEqual(y[i - 1]!);
        expect(perplexity(counts)).toBeGreaterThanOrEqual(1 - 1e-12);
        expect(perplexity(counts)).toBeLessThanOrEqual(counts.length + 1e-9);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('codeCounts builds the histogram of indices', () => {
    expect(Array.from(codeCounts([0, 2, 2, 3, 2], 4))).toEqual([1, 0, 3, 1]);
    expect(() => codeCounts([0, 4], 4)).toThrow(/indices\[1\] = 4 is not a code index in \[0, 4\)/);
    expect(() => codeCounts([1.5], 4)).toThrow(MetricsError);
    expect(() => codeCounts([0], 0)).toThrow(/codebookSize must be a positive integer/);
  });

  it('rejects empty, negative, non-finite and all-zero counts with a clear error', () => {
    expect(() => perplexity([])).toThrow(/counts is empty/);
    expect(() => gini([1, -1])).toThrow(/counts\[1\] must be a finite count ≥ 0, got -1/);
    expect(() => lorenzCurve([1, Number.NaN])).toThrow(/counts\[1\].*NaN/);
    expect(() => entropy([1, Number.POSITIVE_INFINITY])).toThrow(MetricsError);
    expect(() => gini([0, 0, 0])).toThrow(/sum to 0/);
    expect(() => topKShare([1, 2], 3)).toThrow(/k = 3 exceeds the codebook size K = 2/);
    expect(() => topKShare([1, 2], 0)).toThrow(/k must be a positive integer/);
    expect(() => activeCodes([1], { threshold: -1 })).toThrow(/threshold/);
    expect(() => entropy([1], { base: 1 })).toThrow(/base/);
    try {
      perplexity([]);
    } catch (e) {
      expect((e as Error).name).toBe('MetricsError');
    }
  });
});
