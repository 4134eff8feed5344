import { describe, expect, it } from 'vitest';
import { hierarchicalBudget, singleLevelBudget } from './budget';
import { CapacityError } from './errors';
import { PAPER_HIERARCHICAL } from './paper';

describe('singleLevelBudget', () => {
  it('computes the paper single-level budgets (64x64x160, K 8192, D 8)', () => {
    const b = singleLevelBudget(
      { height: 64, width: 64, channels: 160, codebookSize: 8192, codeDim: 8 },
      { inputSize: { height: 256, width: 256 } },
    );
    expect(b.continuous).toBe(655_360);
    expect(b.discrete).toBe(65_536);
    expect(b.indexBits).toBe(4096 * 13);
    expect(b.bitsPerPixel).toBe((4096 * 13) / 65_536);
    expect(b.levels).toHaveLength(1);
    expect(b.levels[0]).toMatchObject({ level: 'single', positions: 4096 });
  });

  it('gives fractional index bits for non-power-of-two codebooks and null bpp without an input size', () => {
    const b = singleLevelBudget({ height: 2, width: 3, channels: 1, codebookSize: 10, codeDim: 1 });
    expect(b.indexBits).toBeCloseTo(6 * Math.log2(10), 12);
    expect(b.bitsPerPixel).toBeNull();
  });

  it('rejects non-positive and non-integer sizes, naming the argument and the nearest integers', () => {
    expect(() =>
      singleLevelBudget({ height: 0, width: 64, channels: 160, codebookSize: 8192, codeDim: 8 }),
    ).toThrow(/config\.height must be a positive integer, got 0/);
    expect(() =>
      singleLevelBudget({ height: 64, width: 64, channels: 7.5, codebookSize: 8192, codeDim: 8 }),
    ).toThrow(/channels must be a positive integer, got 7\.5.*nearest valid: 7 or 8/);
    expect(() =>
      singleLevelBudget(
        { height: 64, width: 64, channels: 160, codebookSize: 8192, codeDim: 8 },
        { inputSize: { height: 256, width: -1 } },
      ),
    ).toThrow(CapacityError);
  });

  it('refuses an input smaller than the latent grid instead of reporting thousands of bits per pixel', () => {
    const config = { height: 64, width: 64, channels: 160, codebookSize: 8192, codeDim: 8 };
    expect(() => singleLevelBudget(config, { inputSize: { height: 1, width: 1 } })).toThrow(
      /options\.inputSize 1×1 is smaller than the 64×64 latent grid/,
    );
    expect(() =>
      hierarchicalBudget(PAPER_HIERARCHICAL, { inputSize: { height: 32, width: 256 } }),
    ).toThrow(/options\.inputSize 32×256 is smaller than the 64×64 latent grid/);
    expect(singleLevelBudget(config, { inputSize: { height: 64, width: 64 } }).bitsPerPixel).toBe(
      13,
    );
  });
});

describe('hierarchicalBudget', () => {
  it('computes the paper hierarchical budgets per level and in total', () => {
    const b = hierarchicalBudget(PAPER_HIERARCHICAL, { inputSize: { height: 256, width: 256 } });
    expect(b.levels.map((l) => l.level)).toEqual(['bottom', 'top']);
    expect(b.levels.map((l) => l.continuous)).toEqual([524_288, 131_072]);
    expect(b.continuous).toBe(655_360);
    expect(b.levels.map((l) => l.discrete)).toEqual([32_768, 32_768]);
    expect(b.discrete).toBe(65_536);
    expect(b.indexBits).toBe(5120 * 12);
    expect(b.bitsPerPixel).toBeCloseTo(61_440 / 65_536, 15);
  });

  it('rejects a top level that is not coarser than the bottom', () => {
    const bad = { ...PAPER_HIERARCHICAL, top: { height: 64, width: 64 } };
    expect(() => hierarchicalBudget(bad)).toThrow(/not coarser than config\.bottom 64x64.*32x32/);
    const wider = { ...PAPER_HIERARCHICAL, top: { height: 16, width: 128 } };
    try {
      hierarchicalBudget(wider);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CapacityError);
      expect((e as CapacityError).code).toBe('not-coarser');
      expect((e as CapacityError).name).toBe('CapacityError');
    }
  });

  it('rejects budgets beyond Number.MAX_SAFE_INTEGER', () => {
    const huge = { ...PAPER_HIERARCHICAL, channels: 2 ** 45 };
    expect(() => hierarchicalBudget(huge)).toThrow(/exceeds Number\.MAX_SAFE_INTEGER/);
  });
});
