import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapacityError } from './errors';
import {
  familyBitsPerPosition,
  familyBudget,
  matchFamiliesToBits,
  matchFamiliesToHierarchical,
  matchFamiliesToSingle,
  type QuantizerFamilyConfig,
} from './families';
import { matchSingleToHierarchical } from './match';
import { PAPER_HIERARCHICAL } from './paper';

const SEED = 20_260_512;
const log2 = Math.log2;

describe('discrete capacity per family', () => {
  it('VQ log₂K, residual depth·log₂K, FSQ Σ log₂Lᵢ, LFQ D — per position, image and pixel', () => {
    const size = { height: 32, width: 32 };
    const cases: [QuantizerFamilyConfig, number][] = [
      [{ kind: 'vq', codebookSize: 8192 }, 13],
      [{ kind: 'residual', depth: 4, codebookSize: 1024 }, 40],
      [{ kind: 'fsq', levels: [8, 5, 5, 5] }, 3 + 3 * log2(5)],
      [{ kind: 'lfq', codeDim: 18 }, 18],
    ];
    for (const [config, bits] of cases) {
      expect(familyBitsPerPosition(config)).toBeCloseTo(bits, 12);
      const b = familyBudget(config, size, { inputSize: { height: 256, width: 256 } });
      expect(b).toMatchObject({ kind: config.kind, positions: 1024 });
      expect(b.bitsPerImage).toBeCloseTo(1024 * bits, 9);
      expect(b.bitsPerPixel).toBeCloseTo((1024 * bits) / 65536, 12);
    }
  });

  it('bits per image = positions · bits per position for any config (property)', () => {
    const configArb: fc.Arbitrary<QuantizerFamilyConfig> = fc.oneof(
      fc.record({
        kind: fc.constant('vq' as const),
        codebookSize: fc.integer({ min: 1, max: 1 << 20 }),
      }),
      fc.record({
        kind: fc.constant('residual' as const),
        depth: fc.integer({ min: 1, max: 16 }),
        codebookSize: fc.integer({ min: 1, max: 1 << 16 }),
      }),
      fc.record({
        kind: fc.constant('fsq' as const),
        levels: fc.array(fc.integer({ min: 2, max: 20 }), { minLength: 1, maxLength: 8 }),
      }),
      fc.record({ kind: fc.constant('lfq' as const), codeDim: fc.integer({ min: 1, max: 32 }) }),
    );
    fc.assert(
      fc.property(
        configArb,
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        (config, h, w) => {
          const b = familyBudget(config, { height: h, width: w });
          expect(b.bitsPerImage).toBeCloseTo(h * w * familyBitsPerPosition(config), 6);
          expect(b.bitsPerPixel).toBeNull();
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('rejects unknown kinds and bad sizes with CapacityError', () => {
    expect(() => familyBitsPerPosition({ kind: 'pq' } as never)).toThrow(
      /config\.kind must be 'vq', 'residual', 'fsq' or 'lfq', got "pq"/,
    );
    expect(() => familyBitsPerPosition({ kind: 'fsq', levels: [5, 1] })).toThrow(
      /config\.levels\[1\] must be ≥ 2/,
    );
    expect(() => familyBitsPerPosition({ kind: 'residual', depth: 0, codebookSize: 4 })).toThrow(
      CapacityError,
    );
    expect(() => familyBudget({ kind: 'lfq', codeDim: 2.5 }, { height: 2, width: 2 })).toThrow(
      /codeDim must be a positive integer, got 2\.5/,
    );
  });
});

describe('matched configurations across families', () => {
  it("the paper's pair (64×64 + 32×32, Kh 4096): 15 bits per position; residual at Kh is 1.25 stages, reported with its gap", () => {
    const m = matchFamiliesToHierarchical(PAPER_HIERARCHICAL);
    expect(m.target).toEqual({ bitsPerImage: 61_440, bitsPerPosition: 15, positions: 4096 });
    // VQ: the same Ks as capacity's bit matching.
    expect(m.vq.config.codebookSize).toBe(
      matchSingleToHierarchical(PAPER_HIERARCHICAL, { match: 'bits' }).single.codebookSize,
    );
    expect(m.vq.exact).toBe(true);
    expect(m.lfq).toMatchObject({ config: { codeDim: 15 }, exact: true, gapBitsPerImage: 0 });
    expect(m.fsq).toMatchObject({ config: { levels: [8, 8, 8, 8, 8] }, exact: true });
    expect(m.residual).toMatchObject({
      config: { kind: 'residual', depth: 1, codebookSize: 4096 },
      exact: false,
      gapBitsPerImage: 12_288,
      gapBitsPerPosition: 3,
    });
    const twoStages = matchFamiliesToHierarchical(PAPER_HIERARCHICAL, {
      residual: { depth: 2 },
    }).residual;
    expect(twoStages.config.depth).toBe(2);
    expect(twoStages.exact).toBe(false);
    expect(Math.abs(twoStages.gapBitsPerPosition)).toBeLessThan(0.01);
  });

  it('a single-level VQ matches itself exactly; families that cannot are reported with their gap', () => {
    const m = matchFamiliesToSingle({
      height: 8,
      width: 8,
      channels: 4,
      codebookSize: 1000,
      codeDim: 8,
    });
    expect(m.vq).toMatchObject({ config: { codebookSize: 1000 }, exact: true, gapBitsPerImage: 0 });
    // log₂1000 ≈ 9.97: LFQ takes 10 bits (gap −0.03 per position), never silently "equal".
    expect(m.lfq.config.codeDim).toBe(10);
    expect(m.lfq.exact).toBe(false);
    expect(m.lfq.gapBitsPerImage).toBeCloseTo(64 * (log2(1000) - 10), 9);
    // FSQ: 8·5·5·5 = 1000 exactly (the levels of vector-quantize-pytorch's example).
    expect(m.fsq).toMatchObject({ config: { levels: [8, 5, 5, 5] }, exact: true });
    // With 4 dimensions forbidden, the closest 3-dimensional set is reported with its gap.
    const three = matchFamiliesToSingle(
      { height: 8, width: 8, channels: 4, codebookSize: 1000, codeDim: 8 },
      { fsq: { codeDim: 3 } },
    ).fsq;
    expect(three.config.levels).toEqual([8, 8, 8]);
    expect(three.exact).toBe(false);
    expect(three.gapBitsPerImage).toBeCloseTo(64 * (log2(1000) - 9), 9);
  });

  it('every match is the closest of its neighbours, gap = target − match, exact iff gap 0 (property)', () => {
    const termsArb = fc.array(
      fc.record({
        positions: fc.integer({ min: 1, max: 64 }),
        codebookSize: fc.integer({ min: 2, max: 70_000 }),
      }),
      { minLength: 1, maxLength: 3 },
    );
    fc.assert(
      fc.property(
        termsArb,
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 2, max: 300 }),
        (terms, positions, k) => {
          const target = terms.reduce((s, t) => s + t.positions * log2(t.codebookSize), 0);
          const b = target / positions;
          fc.pre(b <= 40);
          const m = matchFamiliesToBits(terms, positions, { residual: { codebookSize: k } });
          for (const match of [m.vq, m.residual, m.fsq, m.lfq]) {
            expect(match.gapBitsPerImage).toBeCloseTo(
              match.exact ? 0 : target - match.bitsPerImage,
              6,
            );
            expect(match.gapBitsPerPosition * positions).toBeCloseTo(match.gapBitsPerImage, 6);
            if (match.exact) expect(match.bitsPerImage).toBeCloseTo(target, 6);
          }
          const gapOf = (bits: number) => Math.abs(target - positions * bits);
          const vqK = m.vq.config.codebookSize;
          for (const other of [vqK - 1, vqK + 1].filter((x) => x >= 1)) {
            expect(Math.abs(m.vq.gapBitsPerImage)).toBeLessThanOrEqual(gapOf(log2(other)) + 1e-6);
          }
          const d = m.lfq.config.codeDim;
          for (const other of [d - 1, d + 1].filter((x) => x >= 1)) {
            expect(Math.abs(m.lfq.gapBitsPerImage)).toBeLessThanOrEqual(gapOf(other) + 1e-6);
          }
          const depth = m.residual.config.depth;
          expect(m.residual.config.codebookSize).toBe(k);
          for (const other of [depth - 1, depth + 1].filter((x) => x >= 1)) {
            expect(Math.abs(m.residual.gapBitsPerImage)).toBeLessThanOrEqual(
              gapOf(other * log2(k)) + 1e-6,
            );
          }
          const levels = m.fsq.config.levels;
          expect(levels.every((l, i) => l >= 5 && l <= 8 && (i === 0 || l <= levels[i - 1]!))).toBe(
            true,
          );
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('FSQ levels are the closest of all level sets with the given dimension (brute force)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 2, max: 12, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        (bits, dims) => {
          // A target of `bits` per position on 1 position: K = 2^bits rounded to a term.
          const k = Math.max(2, Math.round(2 ** bits));
          const m = matchFamiliesToBits([{ positions: 1, codebookSize: k }], 1, {
            fsq: { codeDim: dims, minLevel: 2, maxLevel: 9 },
          });
          const target = log2(k);
          let bestGap = Number.POSITIVE_INFINITY;
          const visit = (prefix: number[]) => {
            if (prefix.length === dims) {
              bestGap = Math.min(
                bestGap,
                Math.abs(target - prefix.reduce((s, l) => s + log2(l), 0)),
              );
              return;
            }
            for (let l = 2; l <= 9; l++) visit([...prefix, l]);
          };
          visit([]);
          expect(m.fsq.config.levels).toHaveLength(dims);
          expect(Math.abs(m.fsq.gapBitsPerImage)).toBeCloseTo(bestGap, 9);
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('bad options name the option and the fix', () => {
    expect(() => matchFamiliesToBits([], 4)).toThrow(/terms must be a non-empty array/);
    expect(() =>
      matchFamiliesToSingle(
        { height: 2, width: 2, channels: 1, codebookSize: 16, codeDim: 2 },
        { fsq: { minLevel: 6, maxLevel: 5 } },
      ),
    ).toThrow(/2 ≤ minLevel ≤ maxLevel, got minLevel 6, maxLevel 5/);
    expect(() =>
      matchFamiliesToSingle(
        { height: 2, width: 2, channels: 1, codebookSize: 16, codeDim: 2 },
        { residual: { codebookSize: 1 } },
      ),
    ).toThrow(/codebookSize must be ≥ 2 to derive a depth/);
  });
});
