import sharp from 'sharp';
import { shorterSideSize } from './crop';
import { DataError, type SkipKind } from './errors';

/** An 8-bit sRGB image, pixels interleaved row-major (HWC): `data.length === width * height * 3`. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Resampling kernel used by libvips for every resize (see sharp's `resize({ kernel })`). */
export type ResizeKernel =
  | 'nearest'
  | 'linear'
  | 'cubic'
  | 'mitchell'
  | 'lanczos2'
  | 'lanczos3'
  | 'mks2013'
  | 'mks2021';

/** How strict decoding is about damaged pixel data (sharp's `failOn`, least to most strict). */
export type FailOn = 'none' | 'truncated' | 'error' | 'warning';

/** Options shared by everything that decodes image files. */
export interface DecodeOptions {
  /**
   * Resize so the shorter side is this many pixels (aspect kept, longer side truncated like
   * torchvision's `Resize(int)`); libvips then shrinks JPEGs on load. `undefined` keeps the
   * full resolution.
   * @default undefined
   */
  shorterSide?: number;
  /**
   * Images whose shorter side (after EXIF orientation) is below this many pixels are rejected
   * as too small.
   * @default 32
   */
  minSide?: number;
  /**
   * sRGB colour that transparent pixels are composited onto (alpha is then dropped).
   * @default [255, 255, 255] (white)
   */
  background?: readonly [number, number, number];
  /**
   * How strict libvips is about damaged data. `'error'` rejects truncated and corrupt files but
   * accepts files that only raise warnings (e.g. extraneous bytes before a JPEG marker), which
   * is what PIL/torchvision accept too.
   * @default 'error'
   */
  failOn?: FailOn;
  /**
   * Resampling kernel for every resize (the `shorterSide` resize here; loaders also use it for
   * their crops).
   * @default 'linear' (triangle filter, antialiased when shrinking: torchvision's bilinear)
   */
  kernel?: ResizeKernel;
}

/** Defaults of {@link DecodeOptions}. */
export const DEFAULT_MIN_SIDE = 32;
export const DEFAULT_BACKGROUND: readonly [number, number, number] = [255, 255, 255];
export const DEFAULT_FAIL_ON: FailOn = 'error';
export const DEFAULT_KERNEL: ResizeKernel = 'linear';

const KERNELS: readonly ResizeKernel[] = [
  'nearest',
  'linear',
  'cubic',
  'mitchell',
  'lanczos2',
  'lanczos3',
  'mks2013',
  'mks2021',
];
const FAIL_ON: readonly FailOn[] = ['none', 'truncated', 'error', 'warning'];

function unusable(path: string, kind: SkipKind, reason: string): DataError {
  return new DataError(`decodeImage: cannot use "${path}": ${reason}.`, { path, kind, reason });
}

export function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/** Validates decode options once, up front; throws {@link DataError} naming the option. */
export function checkDecodeOptions(fn: string, options: DecodeOptions): void {
  if (options.shorterSide !== undefined && !isPositiveInt(options.shorterSide)) {
    throw new DataError(
      `${fn}: shorterSide must be a positive integer (pixels), got ${options.shorterSide}. Omit it to keep full resolution.`,
    );
  }
  if (options.minSide !== undefined && !isPositiveInt(options.minSide)) {
    throw new DataError(
      `${fn}: minSide must be a positive integer (pixels), got ${options.minSide}. Use 1 to accept every size.`,
    );
  }
  const bg = options.background;
  if (
    bg !== undefined &&
    !(
      Array.isArray(bg) &&
      bg.length === 3 &&
      bg.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)
    )
  ) {
    throw new DataError(
      `${fn}: background must be three integers in [0, 255] (sRGB), got ${JSON.stringify(bg)}. For example [255, 255, 255] for white.`,
    );
  }
  if (options.failOn !== undefined && !FAIL_ON.includes(options.failOn)) {
    throw new DataError(
      `${fn}: failOn must be one of ${FAIL_ON.join(', ')}, got ${JSON.stringify(options.failOn)}.`,
    );
  }
  if (options.kernel !== undefined && !KERNELS.includes(options.kernel)) {
    throw new DataError(
      `${fn}: kernel must be one of ${KERNELS.join(', ')}, got ${JSON.stringify(options.kernel)}.`,
    );
  }
}

/**
 * Decodes a JPEG/PNG/WebP file with sharp into an 8-bit sRGB RGB image: the EXIF orientation is
 * applied, grayscale becomes RGB, CMYK is converted to sRGB, 16-bit samples are reduced to 8
 * bits, and alpha is composited onto `background` (white by default) and dropped. With
 * `shorterSide`, the image is also resized so its shorter side has that length.
 *
 * @throws {DataError} with `skipped` set when the file is unreadable — missing, not an image,
 *   corrupt or truncated — or smaller than `minSide`; `skipped.kind` says which.
 */
export async function decodeImage(path: string, options: DecodeOptions = {}): Promise<RgbImage> {
  checkDecodeOptions('decodeImage', options);
  const minSide = options.minSide ?? DEFAULT_MIN_SIDE;
  const [r, g, b] = options.background ?? DEFAULT_BACKGROUND;
  const failOn = options.failOn ?? DEFAULT_FAIL_ON;
  const kernel = options.kernel ?? DEFAULT_KERNEL;
  let width: number;
  let height: number;
  try {
    const meta = await sharp(path, { failOn }).metadata();
    if (!meta.width || !meta.height) throw new Error('image has no dimensions');
    const swap = (meta.orientation ?? 1) >= 5;
    width = swap ? meta.height : meta.width;
    height = swap ? meta.width : meta.height;
  } catch (err) {
    throw unusable(path, 'unreadable', `unreadable: ${messageOf(err)}`);
  }
  if (Math.min(width, height) < minSide) {
    throw unusable(
      path,
      'too-small',
      `too small: ${width}×${height} px, shorter side below minSide = ${minSide}`,
    );
  }
  let pipeline = sharp(path, { failOn }).autoOrient();
  if (options.shorterSide !== undefined && Math.min(width, height) !== options.shorterSide) {
    const target = shorterSideSize(width, height, options.shorterSide);
    pipeline = pipeline.resize(target.width, target.height, { fit: 'fill', kernel });
  }
  try {
    const { data, info } = await pipeline
      .flatten({ background: { r, g, b } })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new Error(`decoder returned ${info.channels} channels, expected 3`);
    }
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
    };
  } catch (err) {
    throw unusable(path, 'unreadable', `unreadable: ${messageOf(err)}`);
  }
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.trim().replace(/\s+/g, ' ');
}
