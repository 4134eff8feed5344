import { Rng } from '@vqkit/random';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centerCropBox, randomResizedCropBox, shorterSideSize } from './crop';
import { DataError } from './errors';

describe('randomResizedCropBox', () => {
  it('always returns a box inside the image, and within scale/ratio unless it fell back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer(),
        (width, height, seed) => {
          const box = randomResizedCropBox(width, height, new Rng(seed));
          expect(box.left).toBeGreaterThanOrEqual(0);
          expect(box.top).toBeGreaterThanOrEqual(0);
          expect(box.width).toBeGreaterThanOrEqual(1);
          expect(box.height).toBeGreaterThanOrEqual(1);
          expect(box.left + box.width).toBeLessThanOrEqual(width);
          expect(box.top + box.height).toBeLessThanOrEqual(height);
        },
      ),
    );
  });

  it('draws areas and aspect ratios from the requested ranges on a large image', () => {
    const rng = new Rng(7);
    const areas: number[] = [];
    for (let i = 0; i < 400; i++) {
      const box = randomResizedCropBox(1000, 1000, rng, { scale: [0.25, 0.5], ratio: [0.5, 2] });
      const area = (box.width * box.height) / 1e6;
      areas.push(area);
      // rounding of each side to whole pixels moves area and ratio by well under 1%
      expect(area).toBeGreaterThan(0.25 * 0.99);
      expect(area).toBeLessThan(0.5 * 1.01);
      expect(box.width / box.height).toBeGreaterThan(0.5 * 0.99);
      expect(box.width / box.height).toBeLessThan(2 * 1.01);
    }
    const mean = areas.reduce((a, b) => a + b, 0) / areas.length;
    expect(mean).toBeGreaterThan(0.35);
    expect(mean).toBeLessThan(0.4);
  });

  it('falls back to the central crop with clamped aspect ratio when no attempt fits', () => {
    // A 1000×10 strip: every attempt with ratio ≤ 4/3 and area ≥ 8% is too tall.
    expect(randomResizedCropBox(1000, 10, new Rng(1))).toEqual({
      left: 493,
      top: 0,
      width: 13,
      height: 10,
    });
    expect(randomResizedCropBox(10, 1000, new Rng(1))).toEqual({
      left: 0,
      top: 493,
      width: 10,
      height: 13,
    });
  });

  it('is a pure function of the generator state', () => {
    const a = new Rng(99);
    const b = Rng.fromState(a.getState());
    expect(randomResizedCropBox(300, 200, a)).toEqual(randomResizedCropBox(300, 200, b));
  });

  it('rejects invalid ranges', () => {
    expect(() => randomResizedCropBox(10, 10, new Rng(0), { scale: [0.5, 0.2] })).toThrow(
      DataError,
    );
    expect(() => randomResizedCropBox(10, 10, new Rng(0), { scale: [0.5, 1.5] })).toThrow(
      /scale must be \[min, max\]/,
    );
    expect(() => randomResizedCropBox(0, 10, new Rng(0))).toThrow(
      /width and height must be positive integers/,
    );
  });
});

describe('centerCropBox and shorterSideSize', () => {
  it('centres the crop (offsets floored)', () => {
    expect(centerCropBox(12, 20, 12)).toEqual({ left: 0, top: 4, width: 12, height: 12 });
    expect(centerCropBox(11, 8, 4, 3)).toEqual({ left: 3, top: 2, width: 4, height: 3 });
    expect(() => centerCropBox(8, 8, 9)).toThrow(/does not fit in a 8×8 image/);
  });

  it('keeps the aspect ratio and truncates the longer side', () => {
    expect(shorterSideSize(500, 375, 256)).toEqual({ width: 341, height: 256 });
    expect(shorterSideSize(375, 500, 256)).toEqual({ width: 256, height: 341 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 512 }),
        (w, h, s) => {
          const out = shorterSideSize(w, h, s);
          expect(Math.min(out.width, out.height)).toBe(s);
          expect(Math.max(out.width, out.height)).toBeGreaterThanOrEqual(s);
        },
      ),
    );
  });
});
