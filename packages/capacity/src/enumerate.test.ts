import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enumerateMatchedPairs } from './enumerate';

describe('enumerateMatchedPairs', () => {
  it('yields the paper sweep: Ds = Dh ∈ {8..128}, Ks = 2·Kh ∈ {1024..8192}', () => {
    const pow2 = (min: number, max: number) => ({ min, max, powersOfTwo: true });
    const pairs = enumerateMatchedPairs({
      singleCodebookSizes: pow2(1024, 8192),
      singleCodeDims: pow2(8, 128),
      hierarchicalCodebookSizes: pow2(512, 4096),
      hierarchicalCodeDims: pow2(8, 128),
    });
    const diagonal = pairs.filter((p) => p.single.codeDim === p.hierarchical.codeDim);
    expect(diagonal).toHaveLength(4 * 5);
    for (const p of diagonal) expect(p.single.codebookSize).toBe(2 * p.hierarchical.codebookSize);
    for (const p of pairs) {
      expect(p.single.codebookSize * p.single.codeDim).toBe(
        2 * p.hierarchical.codebookSize * p.hierarchical.codeDim,
      );
      expect(p.discreteBudget).toBe(p.single.codebookSize * p.single.codeDim);
      expect(p.indexBits).toBeNull();
    }
    expect(pairs[0]).toMatchObject({ single: { codebookSize: 1024, codeDim: 8 } });
  });

  it('reports the index-bit gap of each pair when latent sizes are given', () => {
    const [pair] = enumerateMatchedPairs({
      singleCodebookSizes: [2048],
      singleCodeDims: [8],
      hierarchicalCodebookSizes: [1024],
      hierarchicalCodeDims: [8],
      latent: { bottom: { height: 64, width: 64 }, top: { height: 32, width: 32 } },
    });
    expect(pair!.indexBits).toEqual({ single: 45_056, hierarchical: 51_200, gap: 6144 });
  });

  it('is complete: equals a brute-force filter over all four ranges', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        (ks, ds, kh, dh) => {
          const expected: string[] = [];
          for (const a of ks)
            for (const b of ds)
              for (const c of kh)
                for (const d of dh) if (a * b === 2 * c * d) expected.push(`${a},${b},${c},${d}`);
          const got = enumerateMatchedPairs({
            singleCodebookSizes: ks,
            singleCodeDims: ds,
            hierarchicalCodebookSizes: kh,
            hierarchicalCodeDims: dh,
          }).map(
            (p) =>
              `${p.single.codebookSize},${p.single.codeDim},${p.hierarchical.codebookSize},${p.hierarchical.codeDim}`,
          );
          expect(got.sort()).toEqual(expected.sort());
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('rejects bad ranges with the fix in the message', () => {
    const ok = {
      singleCodeDims: [8],
      hierarchicalCodebookSizes: [4096],
      hierarchicalCodeDims: [8],
    };
    expect(() =>
      enumerateMatchedPairs({ ...ok, singleCodebookSizes: { min: 10, max: 5 } }),
    ).toThrow(/max 5 < min 10/);
    expect(() => enumerateMatchedPairs({ ...ok, singleCodebookSizes: [8192, 0.5] })).toThrow(
      /singleCodebookSizes\[1\] must be a positive integer/,
    );
    expect(() =>
      enumerateMatchedPairs({ ...ok, singleCodebookSizes: { min: 1, max: 5_000_000 } }),
    ).toThrow(/powersOfTwo/);
    expect(() =>
      enumerateMatchedPairs({
        singleCodebookSizes: { min: 1, max: 999_999 },
        singleCodeDims: { min: 1, max: 999_999 },
        hierarchicalCodebookSizes: [1],
        hierarchicalCodeDims: [1],
      }),
    ).toThrow(/combinations exceed/);
    expect(() =>
      enumerateMatchedPairs({
        ...ok,
        singleCodebookSizes: [8192],
        latent: { bottom: { height: 8, width: 8 }, top: { height: 8, width: 8 } },
      }),
    ).toThrow(/not coarser/);
  });
});
