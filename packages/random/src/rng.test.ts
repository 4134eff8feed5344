import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RandomError, Rng } from './index';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('continues identically after a state round trip (including the spare normal)', () => {
    const a = new Rng(3);
    a.normal();
    const state = JSON.parse(JSON.stringify(a.getState()));
    const b = Rng.fromState(state);
    expect([a.normal(), a.uniform(), a.int(17)]).toEqual([b.normal(), b.uniform(), b.int(17)]);
  });

  it('uniform stays in [0, 1) and has the right mean', () => {
    const r = new Rng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.uniform();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 1);
  });

  it('normal has mean 0 and variance 1', () => {
    const r = new Rng(2);
    const xs = r.fillNormal(new Float32Array(40000));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('int is within range for any n (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer(), (n, seed) => {
        const v = new Rng(seed).int(n);
        return Number.isInteger(v) && v >= 0 && v < n;
      }),
    );
  });

  it('sample without replacement returns distinct indices (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer(),
        (n, k0, seed) => {
          const k = Math.min(k0, n);
          const s = new Rng(seed).sample(n, k);
          return s.length === k && new Set(s).size === k && s.every((v) => v >= 0 && v < n);
        },
      ),
    );
  });

  it('permutation contains every index once', () => {
    const p = new Rng(5).permutation(100);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('rejects bad arguments with a RandomError naming the argument', () => {
    expect(() => new Rng(Number.NaN)).toThrow(RandomError);
    expect(() => new Rng(1).int(0)).toThrow(/n must be an integer/);
    expect(() => new Rng(1).setState({ s: [0, 0, 0, 0], spareNormal: null })).toThrow(
      /not all zero/,
    );
  });
});
