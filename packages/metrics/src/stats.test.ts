import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeanStdAccumulator, summarize } from './stats';

describe('summarize / MeanStdAccumulator', () => {
  it('computes mean ± std (population by default, sample with ddof 1)', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(s).toMatchObject({ count: 4, infiniteCount: 0, mean: 2.5, min: 1, max: 4 });
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 14);
    expect(summarize([1, 2, 3, 4], { ddof: 1 }).std).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(Number.isNaN(summarize([3], { ddof: 1 }).std)).toBe(true);
  });

  it('counts +Infinity (exact reconstructions) apart and excludes it from the statistics', () => {
    const s = summarize([20, Number.POSITIVE_INFINITY, 30]);
    expect(s).toMatchObject({ count: 2, infiniteCount: 1, mean: 25, std: 5, min: 20, max: 30 });
    const all = summarize([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(all).toMatchObject({
      count: 0,
      infiniteCount: 2,
      mean: Number.POSITIVE_INFINITY,
      std: 0,
    });
  });

  it('rejects empty sets, NaN and −Infinity, leaving the accumulator unchanged', () => {
    expect(() => summarize([])).toThrow(/empty set has no mean/);
    expect(() => new MeanStdAccumulator().result()).toThrow(/no values were added/);
    const acc = new MeanStdAccumulator().add([1, 2]);
    expect(() => acc.add([3, Number.NaN])).toThrow(/values\[1\] = NaN/);
    expect(() => acc.add([Number.NEGATIVE_INFINITY])).toThrow(/-Infinity/);
    expect(acc.result()).toEqual(summarize([1, 2]));
    expect(() => new MeanStdAccumulator({ ddof: 2 as 0 })).toThrow(/ddof must be 0 or 1/);
  });

  it('chunked adds equal the one-shot result bitwise, in any chunking', () => {
    const value = fc.oneof(
      { weight: 9, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
      { weight: 1, arbitrary: fc.constant(Number.POSITIVE_INFINITY) },
    );
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(60), { maxLength: 8 }),
        (values, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort(
            (a, b) => a - b,
          );
          const acc = new MeanStdAccumulator();
          let start = 0;
          for (const p of [...points, values.length]) {
            acc.add(values.slice(start, p));
            start = p;
          }
          expect(acc.result()).toEqual(summarize(values));
        },
      ),
      { seed: 3, numRuns: 200 },
    );
  });

  it('merge combines two accumulators (to rounding)', () => {
    const a = new MeanStdAccumulator().add([1, 2, 3]);
    const b = new MeanStdAccumulator().add([10, Number.POSITIVE_INFINITY, 20]);
    const m = a.merge(b).result();
    const one = summarize([1, 2, 3, 10, Number.POSITIVE_INFINITY, 20]);
    expect(m.count).toBe(one.count);
    expect(m.infiniteCount).toBe(1);
    expect(m.mean).toBeCloseTo(one.mean, 12);
    expect(m.std).toBeCloseTo(one.std, 12);
    expect([m.min, m.max]).toEqual([1, 20]);
  });
});
