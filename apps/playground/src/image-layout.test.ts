import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlaygroundError } from './errors';
import { imageLayout } from './image-layout';

describe('imageLayout', () => {
  it('scales the short side to imageSide and centre-crops whole tiles', () => {
    expect(imageLayout(451, 300, { imageSide: 128, cropSize: 64 })).toEqual({
      scaledWidth: 192,
      scaledHeight: 128,
      left: 0,
      top: 0,
      width: 192,
      height: 128,
      tilesX: 3,
      tilesY: 2,
    });
    const l = imageLayout(1000, 872, { imageSide: 100, cropSize: 32 });
    expect([l.scaledWidth, l.scaledHeight, l.width, l.height, l.left, l.top]).toEqual([
      115, 100, 96, 96, 9, 2,
    ]);
  });

  it('never enlarges a photo', () => {
    const l = imageLayout(40, 50, { imageSide: 128, cropSize: 16 });
    expect([l.scaledWidth, l.scaledHeight, l.tilesX, l.tilesY]).toEqual([40, 50, 2, 3]);
  });

  it('always yields a crop of whole tiles inside the scaled photo', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 3000 }),
        fc.integer({ min: 8, max: 3000 }),
        fc.integer({ min: 1, max: 8 }).map((n) => n * 8),
        fc.integer({ min: 8, max: 600 }),
        (w, h, s, side) => {
          fc.pre(Math.min(w, h) >= s && side >= s);
          const l = imageLayout(w, h, { imageSide: side, cropSize: s });
          expect(l.width % s).toBe(0);
          expect(l.height % s).toBe(0);
          expect(l.tilesX).toBeGreaterThanOrEqual(1);
          expect(l.left + l.width).toBeLessThanOrEqual(l.scaledWidth);
          expect(l.top + l.height).toBeLessThanOrEqual(l.scaledHeight);
        },
      ),
    );
  });

  it('says a photo is too small for the crop, and what to do', () => {
    const run = () => imageLayout(20, 30, { imageSide: 128, cropSize: 32 }, "'tiny.png'");
    expect(run).toThrow(PlaygroundError);
    expect(run).toThrow(
      "'tiny.png' is 20×30 px, too small for crops of S = 32 px (the model downsamples S by 8 to its top level): choose a crop size S of 16 or less (Advanced), or a larger photo.",
    );
  });
});
