import { Rng } from '@vqkit/random';
import { describe, expect, it } from 'vitest';
import { rgbaToRgb } from './pixels';
import { randomCrops } from './random-crops';

describe('randomCrops', () => {
  // Pixel (x, y) holds the values (x, y, 7): every crop can be located from its first pixel.
  const w = 10;
  const h = 6;
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 7], (y * w + x) * 3);
  const image = { width: w, height: h, data };

  it('cuts contiguous S×S windows, seeded', () => {
    const a = randomCrops(image, 4, 5, new Rng(3));
    expect(a.length).toBe(5 * 4 * 4 * 3);
    for (let c = 0; c < 5; c++) {
      const x0 = a[c * 48]!;
      const y0 = a[c * 48 + 1]!;
      expect(x0).toBeLessThanOrEqual(w - 4);
      expect(y0).toBeLessThanOrEqual(h - 4);
      for (let r = 0; r < 4; r++)
        for (let col = 0; col < 4; col++) {
          const i = c * 48 + (r * 4 + col) * 3;
          expect([a[i], a[i + 1], a[i + 2]]).toEqual([x0 + col, y0 + r, 7]);
        }
    }
    expect(randomCrops(image, 4, 5, new Rng(3))).toEqual(a);
  });

  it('refuses a crop larger than the image', () => {
    expect(() => randomCrops(image, 8, 1, new Rng(0))).toThrow(
      /crop size 8 exceeds the 10×6 image/,
    );
  });
});

describe('rgbaToRgb', () => {
  it('drops alpha and scales to [0, 1]', () => {
    const rgb = rgbaToRgb([255, 0, 51, 9, 0, 255, 102, 255], 2, 1);
    expect(Array.from(rgb.data)).toEqual([1, 0, 0.2, 0, 1, 0.4].map((v) => Math.fround(v)));
    expect(() => rgbaToRgb([1, 2, 3], 1, 1)).toThrow(/expected 4 bytes/);
  });
});
