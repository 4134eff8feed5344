import { Rng } from '@vqkit/random';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomResizedCropBox } from './crop';
import { DataError } from './errors';
import { checkResize, decodedSize, randomResizedCropDecodeSide } from './resize-geometry';

const side = fc.integer({ min: 1, max: 5000 });

describe('decodedSize', () => {
  it('exact sizes ignore the aspect; no resize keeps the size', () => {
    fc.assert(
      fc.property(side, side, side, side, (w, h, tw, th) => {
        expect(decodedSize(w, h, { width: tw, height: th })).toEqual({ width: tw, height: th });
        expect(decodedSize(w, h, undefined)).toEqual({ width: w, height: h });
      }),
    );
  });

  it('shorterSide sets the shorter side exactly and keeps the aspect to within a pixel', () => {
    fc.assert(
      fc.property(side, side, side, (w, h, s) => {
        const out = decodedSize(w, h, { shorterSide: s });
        expect(Math.min(out.width, out.height)).toBe(s);
        const long = (Math.max(w, h) * s) / Math.min(w, h);
        // floor of the exact value: within a pixel below it (1e-6: floating-point slack)
        expect(Math.max(out.width, out.height)).toBeGreaterThanOrEqual(Math.max(s, long - 1));
        expect(Math.max(out.width, out.height)).toBeLessThanOrEqual(Math.max(s, long + 1e-6));
        // orientation is kept: the wider side stays the wider side
        if (w > h) expect(out.width).toBeGreaterThanOrEqual(out.height);
        if (h > w) expect(out.height).toBeGreaterThanOrEqual(out.width);
      }),
    );
  });

  it('maxShorterSide never enlarges, and bounds the shorter side', () => {
    fc.assert(
      fc.property(side, side, side, (w, h, s) => {
        const out = decodedSize(w, h, { maxShorterSide: s });
        expect(out.width).toBeLessThanOrEqual(w);
        expect(out.height).toBeLessThanOrEqual(h);
        expect(Math.min(out.width, out.height)).toBe(Math.min(s, w, h));
        if (Math.min(w, h) <= s) expect(out).toEqual({ width: w, height: h });
      }),
    );
  });

  it('checkResize refuses anything but the three forms with positive integer sides', () => {
    for (const ok of [{ shorterSide: 3 }, { maxShorterSide: 1 }, { width: 2, height: 5 }]) {
      expect(() => checkResize('f', 'resize', ok)).not.toThrow();
    }
    for (const bad of [
      null,
      7,
      {},
      { shorterSide: 0 },
      { shorterSide: 2.5 },
      { width: 4 },
      { width: 4, height: 4, shorterSide: 4 },
      { maxShorterSide: -1 },
    ]) {
      expect(() => checkResize('f', 'resize', bad)).toThrow(DataError);
    }
  });
});

describe('randomResizedCropDecodeSide', () => {
  it('is 1046 for 256 px crops with torchvision scale and ratio', () => {
    expect(randomResizedCropDecodeSide(256, [0.08, 1], [3 / 4, 4 / 3])).toBe(1046);
    expect(randomResizedCropDecodeSide(64, [1, 1], [1, 1])).toBe(64);
  });

  it('from an image shrunk to it, every crop is still ≥ size on both sides (property)', () => {
    const range = (lo: number, hi: number) =>
      fc
        .tuple(fc.double({ min: lo, max: hi, noNaN: true }), fc.double({ min: lo, max: hi }))
        .filter(([a, b]) => Number.isFinite(b) && a > 0 && b > 0)
        .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 96 }),
        range(0.02, 1),
        range(0.2, 5),
        fc.double({ min: 1, max: 6, noNaN: true }),
        fc.boolean(),
        fc.integer(),
        (size, scale, ratio, aspect, wide, seed) => {
          const shorter = randomResizedCropDecodeSide(size, scale, ratio);
          const longer = Math.max(shorter, Math.floor(shorter * aspect));
          const [w, h] = wide ? [longer, shorter] : [shorter, longer];
          const rng = new Rng(seed);
          for (let i = 0; i < 5; i++) {
            const box = randomResizedCropBox(w, h, rng, { scale, ratio });
            expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('validates its arguments', () => {
    expect(() => randomResizedCropDecodeSide(0, [0.08, 1], [0.75, 1.33])).toThrow(
      /size must be a positive integer/,
    );
    expect(() => randomResizedCropDecodeSide(8, [0, 1], [0.75, 1.33])).toThrow(
      /scale must be \[min, max\]/,
    );
  });
});
