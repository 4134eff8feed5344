import type { Rng } from '@vqkit/random';
import { DataError } from './errors';

/** A crop rectangle in pixels: `left`/`top` of its corner, `width` × `height` its size. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Options of {@link randomResizedCropBox}; the defaults are torchvision's `RandomResizedCrop`. */
export interface RandomResizedCropOptions {
  /**
   * Range of the crop's area as a fraction of the image area, `[min, max]` with
   * 0 < min ≤ max ≤ 1.
   * @default [0.08, 1]
   */
  scale?: readonly [number, number];
  /**
   * Range of the crop's aspect ratio width / height, `[min, max]` with 0 < min ≤ max; drawn
   * log-uniformly.
   * @default [3 / 4, 4 / 3]
   */
  ratio?: readonly [number, number];
}

/** Default area range of the random resized crop (torchvision). */
export const DEFAULT_CROP_SCALE: readonly [number, number] = [0.08, 1];
/** Default aspect-ratio range of the random resized crop (torchvision). */
export const DEFAULT_CROP_RATIO: readonly [number, number] = [3 / 4, 4 / 3];

function checkDims(fn: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DataError(
      `${fn}: width and height must be positive integers, got ${width}×${height}. Pass the decoded image's pixel size.`,
    );
  }
}

/** Validates a `[min, max]` range option; `upper` is an inclusive bound on max. */
export function checkRange(
  fn: string,
  name: string,
  range: readonly [number, number] | undefined,
  upper: number,
  example: string = name === 'ratio' ? '[0.75, 1.3333]' : '[0.08, 1]',
): void {
  if (range === undefined) return;
  const ok =
    Array.isArray(range) &&
    range.length === 2 &&
    Number.isFinite(range[0]) &&
    Number.isFinite(range[1]) &&
    range[0] > 0 &&
    range[0] <= range[1] &&
    range[1] <= upper;
  if (!ok) {
    throw new DataError(
      `${fn}: ${name} must be [min, max] with 0 < min ≤ max${Number.isFinite(upper) ? ` ≤ ${upper}` : ''}, got ${JSON.stringify(range)}. For example ${example}.`,
    );
  }
}

/**
 * Draws the crop rectangle of a random resized crop with torchvision's exact algorithm: up to
 * ten attempts at a box whose area is `U(scale)` × the image area and whose aspect ratio is
 * log-uniform in `ratio`, placed uniformly; if none fits, the central crop whose aspect ratio
 * is clamped into `ratio`. The caller then resizes the box to S × S.
 *
 * @param width image width in pixels
 * @param height image height in pixels
 * @param rng the generator the draws come from (advanced by this call)
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  options: RandomResizedCropOptions = {},
): CropBox {
  checkDims('randomResizedCropBox', width, height);
  checkRange('randomResizedCropBox', 'scale', options.scale, 1);
  checkRange('randomResizedCropBox', 'ratio', options.ratio, Number.POSITIVE_INFINITY);
  const [scaleMin, scaleMax] = options.scale ?? DEFAULT_CROP_SCALE;
  const [ratioMin, ratioMax] = options.ratio ?? DEFAULT_CROP_RATIO;
  const area = width * height;
  const logRatioMin = Math.log(ratioMin);
  const logRatioMax = Math.log(ratioMax);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scaleMin + (scaleMax - scaleMin) * rng.uniform());
    const aspect = Math.exp(logRatioMin + (logRatioMax - logRatioMin) * rng.uniform());
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  // Fallback: central crop with the aspect ratio clamped into [ratioMin, ratioMax].
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratioMin) {
    h = Math.min(height, Math.max(1, Math.round(w / ratioMin)));
  } else if (inRatio > ratioMax) {
    w = Math.min(width, Math.max(1, Math.round(h * ratioMax)));
  }
  return {
    left: Math.floor((width - w) / 2),
    top: Math.floor((height - h) / 2),
    width: w,
    height: h,
  };
}

/**
 * The centred `cropWidth` × `cropHeight` box of a `width` × `height` image; the offsets are
 * `floor((width − cropWidth) / 2)` and `floor((height − cropHeight) / 2)`.
 */
export function centerCropBox(
  width: number,
  height: number,
  cropWidth: number,
  cropHeight: number = cropWidth,
): CropBox {
  checkDims('centerCropBox', width, height);
  checkDims('centerCropBox', cropWidth, cropHeight);
  if (cropWidth > width || cropHeight > height) {
    throw new DataError(
      `centerCropBox: crop ${cropWidth}×${cropHeight} does not fit in a ${width}×${height} image. Resize the image so its shorter side is at least the crop size first.`,
    );
  }
  return {
    left: Math.floor((width - cropWidth) / 2),
    top: Math.floor((height - cropHeight) / 2),
    width: cropWidth,
    height: cropHeight,
  };
}

/**
 * Output size of resizing so the shorter side becomes `shorterSide`, keeping the aspect ratio
 * (the longer side is truncated, as torchvision's `Resize(int)` does, but never below
 * `shorterSide`).
 */
export function shorterSideSize(
  width: number,
  height: number,
  shorterSide: number,
): { width: number; height: number } {
  checkDims('shorterSideSize', width, height);
  checkDims('shorterSideSize', shorterSide, shorterSide);
  if (width <= height) {
    return {
      width: shorterSide,
      height: Math.max(shorterSide, Math.floor((height * shorterSide) / width)),
    };
  }
  return {
    width: Math.max(shorterSide, Math.floor((width * shorterSide) / height)),
    height: shorterSide,
  };
}
