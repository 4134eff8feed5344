import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapacityError } from './errors';
import { checkMatched, matchHierarchicalToSingle, matchSingleToHierarchical } from './match';
import type { HierarchicalConfig } from './types';

const SEED = 20_240_611;

/** Hierarchical configs with small latent maps and arbitrary (not only power-of-two) codebooks. */
const hierArb: fc.Arbitrary<HierarchicalConfig> = fc
  .record({
    hb: fc.integer({ min: 1, max: 12 }),
    wb: fc.integer({ min: 2, max: 12 }),
    ht: fc.integer({ min: 1, max: 12 }),
    wt: fc.integer({ min: 1, max: 12 }),
    channels: fc.integer({ min: 1, max: 300 }),
    codebookSize: fc.integer({ min: 1, max: 5000 }),
    codeDim: fc.integer({ min: 1, max: 64 }),
  })
  .map((r) => ({
    bottom: { height: r.hb, width: r.wb },
    top: { height: Math.min(r.ht, r.hb), width: Math.min(r.wt, r.wb - 1) },
    channels: r.channels,
    codebookSize: r.codebookSize,
    codeDim: r.codeDim,
  }));

const pos = (s: { height: number; width: number }) => s.height * s.width;

describe('properties', () => {
  it('kd: every returned pair satisfies eqs. 4–5 exactly; every refusal offers alternatives that work', () => {
    fc.assert(
      fc.property(
        hierArb,
        fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }),
        (hier, ds) => {
          try {
            const { single } = matchSingleToHierarchical(hier, { codeDim: ds });
            expect(pos(single)).toBe(pos(hier.bottom));
            expect(pos(single) * single.channels).toBe(
              (pos(hier.bottom) + pos(hier.top)) * hier.channels,
            );
            expect(single.codebookSize * single.codeDim).toBe(2 * hier.codebookSize * hier.codeDim);
            expect(single.codeDim).toBe(ds ?? hier.codeDim);
            expect(checkMatched(single, hier).matched).toBe(true);
          } catch (e) {
            if (!(e instanceof CapacityError)) throw e;
            expect(e.code).toBe('no-integer-solution');
            expect(e.alternatives.length).toBeGreaterThan(0);
            for (const alt of e.alternatives) {
              // A channels alternative fixes eq. 4 only, so pair it with the always-valid default Ds = Dh.
              const fixed = { ...hier, channels: alt.change.channels ?? hier.channels };
              const pair = matchSingleToHierarchical(fixed, { codeDim: alt.change.singleCodeDim });
              if (alt.yields.singleChannels !== undefined)
                expect(pair.single.channels).toBe(alt.yields.singleChannels);
              if (alt.yields.singleCodebookSize !== undefined)
                expect(pair.single.codebookSize).toBe(alt.yields.singleCodebookSize);
            }
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('bits: equalises index bits exactly (Ks^(Hs·Ws) = Kh^(Hb·Wb+Ht·Wt)) or proves no integer Ks can', () => {
    fc.assert(
      fc.property(hierArb, (hier) => {
        const s = pos(hier.bottom);
        const t = pos(hier.bottom) + pos(hier.top);
        try {
          const pair = matchSingleToHierarchical(hier, { match: 'bits' });
          const ks = BigInt(pair.single.codebookSize);
          expect(ks ** BigInt(s)).toBe(BigInt(hier.codebookSize) ** BigInt(t));
          expect(pair.gap.indexBits).toBe(0);
          expect(pair.gap.continuous).toBe(0);
          expect(checkMatched(pair.single, hier, { match: 'bits' }).matched).toBe(true);
        } catch (e) {
          if (!(e instanceof CapacityError)) throw e;
          if (e.code === 'too-large') return;
          expect(e.code).toBe('no-integer-solution');
          if (e.message.includes('eq. 4')) return; // Cs itself has no integer solution
          // Ks^s would have to equal Kh^t: check the only two integer candidates around the real root.
          const ideal = hier.codebookSize ** (t / s);
          for (const k of [Math.floor(ideal), Math.ceil(ideal)]) {
            if (k < 1 || !Number.isSafeInteger(k)) continue;
            expect(BigInt(k) ** BigInt(s)).not.toBe(BigInt(hier.codebookSize) ** BigInt(t));
          }
          for (const alt of e.alternatives) {
            const pair = matchSingleToHierarchical(
              { ...hier, codebookSize: alt.change.codebookSize! },
              { match: 'bits' },
            );
            expect(pair.single.codebookSize).toBe(alt.yields.singleCodebookSize);
            expect(pair.gap.indexBits).toBe(0);
          }
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('reverse direction round-trips: each listed hierarchy maps back to the same single-level config', () => {
    fc.assert(
      fc.property(hierArb, (hier) => {
        let single: ReturnType<typeof matchSingleToHierarchical>['single'];
        try {
          single = matchSingleToHierarchical(hier).single;
        } catch (e) {
          if (e instanceof CapacityError) return;
          throw e;
        }
        const pairs = matchHierarchicalToSingle(single, {
          tops: [hier.top],
          codeDim: hier.codeDim,
        });
        expect(pairs.map((p) => p.hierarchical)).toEqual([hier]);
        for (const p of matchHierarchicalToSingle(single, { codeDim: 'all', tops: [hier.top] })) {
          expect(checkMatched(p.single, p.hierarchical).matched).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
