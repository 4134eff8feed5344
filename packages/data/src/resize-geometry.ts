import { checkRange, shorterSideSize } from './crop';
import { DataError } from './errors';

/**
 * How a decoder resizes an image (aspect ratio after EXIF orientation):
 * - `{ shorterSide: s }`: shorter side becomes s, aspect kept, up or down (torchvision's
 *   `Resize(s)`; the longer side is truncated);
 * - `{ maxShorterSide: s }`: the same, but only when the shorter side is longer than s (shrinks,
 *   never enlarges);
 * - `{ width, height }`: exactly that size, aspect not kept (torchvision's `Resize((h, w))`).
 */
export type DecodeResize =
  | { shorterSide: number }
  | { maxShorterSide: number }
  | { width: number; height: number };

const isSide = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** Validates a {@link DecodeResize}; throws {@link DataError} naming `name`. */
export function checkResize(fn: string, name: string, resize: unknown): void {
  if (resize === undefined) return;
  const r = resize as Record<string, unknown> | null;
  const keys = r !== null && typeof r === 'object' ? Object.keys(r).sort().join(',') : '';
  const ok =
    (keys === 'shorterSide' && isSide(r?.['shorterSide'])) ||
    (keys === 'maxShorterSide' && isSide(r?.['maxShorterSide'])) ||
    (keys === 'height,width' && isSide(r?.['width']) && isSide(r?.['height']));
  if (!ok) {
    throw new DataError(
      `${fn}: ${name} must be one of { shorterSide }, { maxShorterSide } or { width, height } with positive integer pixels, got ${JSON.stringify(resize)}. Omit it to keep the full resolution.`,
    );
  }
}

/**
 * The pixel size a `width` × `height` image has after `resize` (unchanged when `resize` is
 * undefined, or when `maxShorterSide` is at least the shorter side).
 */
export function decodedSize(
  width: number,
  height: number,
  resize: DecodeResize | undefined,
): { width: number; height: number } {
  if (resize === undefined) return { width, height };
  if ('width' in resize) return { width: resize.width, height: resize.height };
  if ('shorterSide' in resize) return shorterSideSize(width, height, resize.shorterSide);
  if (Math.min(width, height) <= resize.maxShorterSide) return { width, height };
  return shorterSideSize(width, height, resize.maxShorterSide);
}

/**
 * The shorter side L to which a random resized crop's source can be shrunk on load without
 * changing what it can yield: every box {@link randomResizedCropBox} draws from an image whose
 * shorter side is L has both sides ≥ `size`, so each crop is still a downsampling to
 * `size` × `size`, as it is from the full resolution. A drawn box's narrower side is at least
 * √(area · scale[0] · min(ratio[0], 1 / ratio[1])) ≥ L · √(scale[0] · min(ratio[0], 1 / ratio[1]));
 * the fallback central crop's is at least L · min(1, ratio[1], 1 / ratio[0]). So L is
 * ⌈size / min of those two factors⌉: 1046 for size 256 with torchvision's scale (0.08, 1) and
 * ratio (3/4, 4/3).
 */
export function randomResizedCropDecodeSide(
  size: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): number {
  const fn = 'randomResizedCropDecodeSide';
  if (!isSide(size)) {
    throw new DataError(`${fn}: size must be a positive integer (pixels), got ${size}.`);
  }
  checkRange(fn, 'scale', scale, 1);
  checkRange(fn, 'ratio', ratio, Number.POSITIVE_INFINITY);
  const drawn = Math.sqrt(scale[0] * Math.min(ratio[0], 1 / ratio[1]));
  const fallback = Math.min(1, ratio[1], 1 / ratio[0]);
  return Math.ceil(size / Math.min(drawn, fallback));
}
