import { describe, expect, it } from 'vitest';
import { CapacityError } from './errors';
import {
  assertMatched,
  checkMatched,
  matchHierarchicalToSingle,
  matchSingleToHierarchical,
} from './match';
import { PAPER_HIERARCHICAL } from './paper';
import type { HierarchicalConfig, SingleLevelConfig } from './types';

const PAPER_SINGLE: SingleLevelConfig = {
  height: 64,
  width: 64,
  channels: 160,
  codebookSize: 8192,
  codeDim: 8,
};

function capacityError(f: () => unknown): CapacityError {
  try {
    f();
  } catch (e) {
    if (e instanceof CapacityError) return e;
    throw e;
  }
  throw new Error('expected a CapacityError');
}

describe('matchSingleToHierarchical', () => {
  it('reproduces the paper: 64x64 + 32x32, Ch 128, Kh 4096, Dh 8 → Cs 160, Ks 8192, Ds 8', () => {
    const pair = matchSingleToHierarchical(PAPER_HIERARCHICAL);
    expect(pair.single).toEqual(PAPER_SINGLE);
    expect(pair.match).toBe('kd');
    expect(pair.gap.continuous).toBe(0);
    expect(pair.gap.discrete).toBe(0);
    expect(pair.gap.indexBits).toBe(61_440 - 53_248);
  });

  it('reports the index-bit gap of eqs. 4–5: Kh 1024 vs Ks 2048 → 51,200 vs 45,056 bits per image', () => {
    const pair = matchSingleToHierarchical({ ...PAPER_HIERARCHICAL, codebookSize: 1024 });
    expect(pair.single.codebookSize).toBe(2048);
    expect(pair.budgets.hierarchical.indexBits).toBe(51_200);
    expect(pair.budgets.single.indexBits).toBe(45_056);
    expect(pair.gap.indexBits).toBe(6144);
  });

  it('reproduces every Table 1 row (Ds = Dh; Ks = 2·Kh)', () => {
    const rows: Array<[number, number, number]> = [
      [8, 1024, 512],
      [8, 2048, 1024],
      [8, 4096, 2048],
      [8, 8192, 4096],
      [16, 8192, 4096],
      [32, 8192, 4096],
      [64, 8192, 4096],
      [128, 8192, 4096],
    ];
    for (const [d, ks, kh] of rows) {
      const pair = matchSingleToHierarchical({
        ...PAPER_HIERARCHICAL,
        codebookSize: kh,
        codeDim: d,
      });
      expect(pair.single).toMatchObject({ codebookSize: ks, codeDim: d, channels: 160 });
    }
  });

  it('fixes Ds or Ks on request (the other follows from eq. 5)', () => {
    expect(matchSingleToHierarchical(PAPER_HIERARCHICAL, { codeDim: 16 }).single).toMatchObject({
      codebookSize: 4096,
      codeDim: 16,
    });
    expect(
      matchSingleToHierarchical(PAPER_HIERARCHICAL, { codebookSize: 2048 }).single,
    ).toMatchObject({
      codebookSize: 2048,
      codeDim: 32,
    });
    expect(
      matchSingleToHierarchical(PAPER_HIERARCHICAL, { codebookSize: 4096, codeDim: 16 }).single
        .codeDim,
    ).toBe(16);
  });

  it('accepts another single-level size with Hs·Ws = Hb·Wb and rejects one without', () => {
    const pair = matchSingleToHierarchical(PAPER_HIERARCHICAL, {
      size: { height: 32, width: 128 },
    });
    expect(pair.single).toMatchObject({ height: 32, width: 128, channels: 160 });
    const e = capacityError(() =>
      matchSingleToHierarchical(PAPER_HIERARCHICAL, { size: { height: 32, width: 32 } }),
    );
    expect(e.code).toBe('spatial-mismatch');
    expect(e.message).toMatch(/needs Hs·Ws = Hb·Wb = 4096/);
  });

  it('never rounds Cs: 2x2 + 1x1 with Ch 6 gives Cs 7.5 and lists the nearest valid channels', () => {
    const e = capacityError(() =>
      matchSingleToHierarchical({
        bottom: { height: 2, width: 2 },
        top: { height: 1, width: 1 },
        channels: 6,
        codebookSize: 16,
        codeDim: 4,
      }),
    );
    expect(e.code).toBe('no-integer-solution');
    expect(e.message).toMatch(/would be 7\.5/);
    expect(e.alternatives).toEqual([
      { change: { channels: 4 }, yields: { singleChannels: 5 } },
      { change: { channels: 8 }, yields: { singleChannels: 10 } },
    ]);
    expect(e.message).toContain('channels 4 → singleChannels 5; channels 8 → singleChannels 10');
  });

  it('lists the nearest valid Ds (or Ks) when eq. 5 has no integer solution', () => {
    const e = capacityError(() => matchSingleToHierarchical(PAPER_HIERARCHICAL, { codeDim: 7 }));
    expect(e.alternatives).toEqual([
      { change: { singleCodeDim: 4 }, yields: { singleCodebookSize: 16_384 } },
      { change: { singleCodeDim: 8 }, yields: { singleCodebookSize: 8192 } },
    ]);
    const f = capacityError(() =>
      matchSingleToHierarchical(PAPER_HIERARCHICAL, { codebookSize: 5000 }),
    );
    expect(f.alternatives).toEqual([
      { change: { singleCodebookSize: 4096 }, yields: { singleCodeDim: 16 } },
      { change: { singleCodebookSize: 8192 }, yields: { singleCodeDim: 8 } },
    ]);
  });

  it('rejects conflicting Ks and Ds, and a bad match mode', () => {
    const e = capacityError(() =>
      matchSingleToHierarchical(PAPER_HIERARCHICAL, { codebookSize: 8192, codeDim: 16 }),
    );
    expect(e.code).toBe('conflicting-options');
    expect(e.message).toMatch(/Ks·Ds = 131,072.*2·Kh·Dh = 65,536/);
    expect(() =>
      matchSingleToHierarchical(PAPER_HIERARCHICAL, { match: 'entropy' as never }),
    ).toThrow(/match must be 'kd'.*or 'bits'/);
  });

  it('bits mode: Kh 4096 = 8^4 → Ks 8^5 = 32768 with exactly zero index-bit gap; Ds stays Dh', () => {
    const pair = matchSingleToHierarchical(PAPER_HIERARCHICAL, { match: 'bits' });
    expect(pair.single).toMatchObject({ codebookSize: 32_768, codeDim: 8, channels: 160 });
    expect(pair.gap.indexBits).toBe(0);
    expect(pair.budgets.single.indexBits).toBe(pair.budgets.hierarchical.indexBits);
    expect(pair.gap.discrete).toBe(65_536 - 262_144);
  });

  it('bits mode: exact zero gap also for non-power-of-two codebooks (625 = 5^4 → 3125)', () => {
    const pair = matchSingleToHierarchical(
      { ...PAPER_HIERARCHICAL, codebookSize: 625 },
      { match: 'bits' },
    );
    expect(pair.single.codebookSize).toBe(3125);
    expect(pair.gap.indexBits).toBe(0);
    expect(checkMatched(pair.single, pair.hierarchical, { match: 'bits' }).matched).toBe(true);
  });

  it('bits mode: says why it cannot equalise (Kh 1024) and lists the nearest Kh that can', () => {
    const e = capacityError(() =>
      matchSingleToHierarchical({ ...PAPER_HIERARCHICAL, codebookSize: 1024 }, { match: 'bits' }),
    );
    expect(e.code).toBe('no-integer-solution');
    expect(e.message).toMatch(/1024\^\(5\/4\) ≈ 5,792\.6.*perfect 4th power/);
    expect(e.alternatives).toEqual([
      { change: { codebookSize: 625 }, yields: { singleCodebookSize: 3125 } },
      { change: { codebookSize: 1296 }, yields: { singleCodebookSize: 7776 } },
    ]);
    const f = capacityError(() =>
      matchSingleToHierarchical(PAPER_HIERARCHICAL, { match: 'bits', codebookSize: 8192 }),
    );
    expect(f.code).toBe('conflicting-options');
    expect(f.message).toMatch(/fixes Ks = 32768/);
  });

  it('bits mode: reports a Ks beyond the safe-integer range', () => {
    const e = capacityError(() =>
      matchSingleToHierarchical(
        { ...PAPER_HIERARCHICAL, codebookSize: 2 ** 48 },
        { match: 'bits' },
      ),
    );
    expect(e.code).toBe('too-large');
  });
});

describe('matchHierarchicalToSingle (reverse direction)', () => {
  it('recovers the paper hierarchy from the paper single-level model', () => {
    const pairs = matchHierarchicalToSingle(PAPER_SINGLE);
    expect(pairs).toHaveLength(1); // 64x64 · 160 / (4096 + Ht·Wt) is an integer only for 32x32
    expect(pairs[0]!.hierarchical).toEqual({
      bottom: { height: 64, width: 64 },
      top: { height: 32, width: 32 },
      channels: 128,
      codebookSize: 4096,
      codeDim: 8,
    });
    expect(pairs[0]!.gap.indexBits).toBe(8192);
  });

  it('lists one config per top size that admits an integer Ch', () => {
    const pairs = matchHierarchicalToSingle({
      height: 8,
      width: 8,
      channels: 80,
      codebookSize: 64,
      codeDim: 4,
    });
    // Ch = 64·80 / (64 + Ht·Wt): 16 → 64, 4 → 75.29 (skipped), 1 → 78.77 (skipped)
    expect(pairs.map((p) => [p.hierarchical.top.height, p.hierarchical.channels])).toEqual([
      [4, 64],
    ]);
    const more = matchHierarchicalToSingle(
      { height: 8, width: 8, channels: 130, codebookSize: 64, codeDim: 4 },
      {
        tops: [
          { height: 4, width: 4 },
          { height: 1, width: 1 },
        ],
      },
    );
    expect(more.map((p) => [p.hierarchical.top.height, p.hierarchical.channels])).toEqual([
      [4, 104],
      [1, 128],
    ]);
  });

  it("lists every (Kh, Dh) factorisation with codeDim 'all'", () => {
    const pairs = matchHierarchicalToSingle(
      { height: 4, width: 4, channels: 5, codebookSize: 8, codeDim: 2 },
      { codeDim: 'all', tops: [{ height: 2, width: 2 }] },
    );
    expect(pairs.map((p) => [p.hierarchical.codebookSize, p.hierarchical.codeDim])).toEqual([
      [8, 1],
      [4, 2],
      [2, 4],
      [1, 8],
    ]);
    for (const p of pairs) expect(checkMatched(p.single, p.hierarchical).matched).toBe(true);
  });

  it('fixes Kh or Dh on request and lists alternatives when Kh does not divide', () => {
    const [p] = matchHierarchicalToSingle(PAPER_SINGLE, { codebookSize: 2048 });
    expect(p!.hierarchical).toMatchObject({ codebookSize: 2048, codeDim: 16 });
    const e = capacityError(() => matchHierarchicalToSingle(PAPER_SINGLE, { codebookSize: 3000 }));
    expect(e.alternatives).toEqual([
      { change: { codebookSize: 2048 }, yields: { codeDim: 16 } },
      { change: { codebookSize: 4096 }, yields: { codeDim: 8 } },
    ]);
  });

  it('explains when no top size works and offers single-level channels that do', () => {
    const e = capacityError(() =>
      matchHierarchicalToSingle(
        { height: 2, width: 2, channels: 7, codebookSize: 16, codeDim: 4 },
        { tops: [{ height: 1, width: 1 }] },
      ),
    );
    expect(e.message).toMatch(/top 1x1: Ch = 28 \/ 5 = 5\.6/);
    expect(e.alternatives).toEqual([
      { change: { channels: 5 }, yields: { hierarchicalChannels: 4 } },
      { change: { channels: 10 }, yields: { hierarchicalChannels: 8 } },
    ]);
  });

  it('rejects an odd Ks·Ds, a bottom with the wrong number of positions, and a non-coarser top', () => {
    expect(
      capacityError(() =>
        matchHierarchicalToSingle({ ...PAPER_SINGLE, codebookSize: 4095, codeDim: 1 }),
      ).message,
    ).toMatch(/Ks·Ds is odd/);
    expect(
      capacityError(() =>
        matchHierarchicalToSingle(PAPER_SINGLE, { bottom: { height: 32, width: 32 } }),
      ).code,
    ).toBe('spatial-mismatch');
    expect(
      capacityError(() =>
        matchHierarchicalToSingle(PAPER_SINGLE, {
          tops: [
            { height: 64, width: 32 },
            { height: 64, width: 64 },
          ],
        }),
      ).code,
    ).toBe('not-coarser');
    expect(
      capacityError(() => matchHierarchicalToSingle({ ...PAPER_SINGLE, height: 7, width: 1 }))
        .message,
    ).toMatch(/no integer downsampling/);
  });

  it('bits mode: Ks 32768 → Kh 4096 with zero gap; Ks 8192 cannot be matched', () => {
    const [p] = matchHierarchicalToSingle(
      { ...PAPER_SINGLE, codebookSize: 32_768 },
      { match: 'bits' },
    );
    expect(p!.hierarchical.codebookSize).toBe(4096);
    expect(p!.gap.indexBits).toBe(0);
    const e = capacityError(() => matchHierarchicalToSingle(PAPER_SINGLE, { match: 'bits' }));
    expect(e.message).toMatch(/perfect 5th power/);
  });
});

describe('checkMatched / assertMatched', () => {
  const hier: HierarchicalConfig = PAPER_HIERARCHICAL;

  it('passes the paper pair under kd and fails it under bits, naming the gap', () => {
    expect(checkMatched(PAPER_SINGLE, hier)).toMatchObject({ matched: true, failures: [] });
    const bits = checkMatched(PAPER_SINGLE, hier, { match: 'bits' });
    expect(bits.matched).toBe(false);
    expect(bits.indexBits).toEqual({
      holds: false,
      single: 53_248,
      hierarchical: 61_440,
      difference: 8192,
    });
    expect(bits.failures).toEqual([
      'index bits: Hs·Ws·log2 Ks = 53,248 ≠ (Hb·Wb + Ht·Wt)·log2 Kh = 61,440 (hierarchical − single = +8,192 bits)',
    ]);
  });

  it('names the failing equation and by how much', () => {
    const wrong = checkMatched({ ...PAPER_SINGLE, channels: 128, codebookSize: 4096 }, hier);
    expect(wrong.matched).toBe(false);
    expect(wrong.continuous.difference).toBe(131_072);
    expect(wrong.discrete.difference).toBe(32_768);
    expect(wrong.failures.map((f) => f.split(':')[0])).toEqual(['eq. 4', 'eq. 5']);
    const spatial = checkMatched({ ...PAPER_SINGLE, height: 32 }, hier);
    expect(spatial.spatial).toMatchObject({ holds: false, difference: 2048 });
    expect(spatial.failures[0]).toMatch(/^spatial:/);
    expect(() => assertMatched({ ...PAPER_SINGLE, codeDim: 16 }, hier)).toThrow(
      /eq\. 5: Ks·Ds = 131,072/,
    );
    expect(() => assertMatched(PAPER_SINGLE, hier)).not.toThrow();
  });
});
