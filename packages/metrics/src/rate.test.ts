import { describe, expect, it } from 'vitest';
import { entropyRate, indexRate } from './rate';

describe('rate', () => {
  it('index rate of the paper hierarchy: (64·64 + 32·32)·12 = 61,440 bits, 0.9375 bpp at 256×256', () => {
    const r = indexRate(
      [
        { height: 64, width: 64, codebookSize: 4096 },
        { height: 32, width: 32, codebookSize: 4096 },
      ],
      { inputSize: { height: 256, width: 256 } },
    );
    expect(r.bitsPerImage).toBe(61_440);
    expect(r.bitsPerPixel).toBe(0.9375);
    expect(r.levels.map((l) => l.bitsPerImage)).toEqual([49_152, 12_288]);
    expect(indexRate([{ height: 64, width: 64, codebookSize: 8192 }]).bitsPerPixel).toBeNull();
  });

  it('entropy rate equals the index rate under uniform usage and is 0 for a single used code', () => {
    const uniform = entropyRate([{ height: 4, width: 4, counts: new Array(8).fill(5) }]);
    expect(uniform.bitsPerImage).toBeCloseTo(16 * 3, 10);
    const one = entropyRate([{ height: 4, width: 4, counts: [0, 9, 0, 0] }]);
    expect(one.bitsPerImage).toBe(0);
  });

  it('sums per-level entropies over positions: [1,1,2] → 1.5 bits per position', () => {
    const r = entropyRate(
      [
        { height: 2, width: 2, counts: [1, 1, 2] },
        { height: 1, width: 1, counts: [3, 3] },
      ],
      { inputSize: { height: 4, width: 4 } },
    );
    expect(r.levels[0]!.bitsPerPosition).toBeCloseTo(1.5, 14);
    expect(r.bitsPerImage).toBeCloseTo(4 * 1.5 + 1, 14);
    expect(r.bitsPerPixel).toBeCloseTo(7 / 16, 14);
  });

  it('rejects empty level lists, bad sizes and bad counts, naming the level', () => {
    expect(() => indexRate([])).toThrow(/levels must be a non-empty array/);
    expect(() => indexRate([{ height: 2, width: 0, codebookSize: 4 }])).toThrow(
      /levels\[0\]\.width/,
    );
    expect(() => entropyRate([{ height: 2, width: 2, counts: [1, -2] }])).toThrow(
      /levels\[0\]\.counts/,
    );
    expect(() =>
      indexRate([{ height: 2, width: 2, codebookSize: 4 }], { inputSize: { height: 0, width: 2 } }),
    ).toThrow(/inputSize\.height/);
  });
});
