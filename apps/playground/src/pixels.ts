/** An RGB image with values in [0, 1]: `data` is row-major `[height, width, 3]`. */
export interface RgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Canvas RGBA bytes `[H, W, 4]` → RGB floats `[H, W, 3]` in [0, 1] (alpha is dropped: the page
 * draws photos on an opaque canvas, so transparent areas arrive already composited).
 */
export function rgbaToRgb(rgba: ArrayLike<number>, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== n * 4) {
    throw new RangeError(
      `rgbaToRgb: expected ${n * 4} bytes for ${width}×${height} RGBA, got ${rgba.length}.`,
    );
  }
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = rgba[i * 4]! / 255;
    data[i * 3 + 1] = rgba[i * 4 + 1]! / 255;
    data[i * 3 + 2] = rgba[i * 4 + 2]! / 255;
  }
  return { width, height, data };
}
