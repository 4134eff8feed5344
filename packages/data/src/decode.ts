import sharp from 'sharp';
import { DataError, type SkipKind } from './errors';
import { checkResize, type DecodeResize, decodedSize } from './resize-geometry';
import { type Namer, namer, type SettingNames } from './setting-names';

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
   * Resize while decoding (see {@link DecodeResize}). libvips streams the file through the
   * resize, so memory follows the output size, not the file's, and JPEGs shrink on load.
   * @default undefined (full resolution)
   */
  resize?: DecodeResize;
  /**
   * Images whose shorter side (after EXIF orientation) is below this many pixels are rejected
   * as too small.
   * @default 32 (vqkit choice: below 32 px a VQ-VAE's ×4 latent is under 8×8)
   */
  minSide?: number;
  /**
   * Images with more pixels than this (width × height, read from the header before anything
   * is decoded) are rejected as too large: a few hundred kilobytes of PNG can expand to
   * gigabytes. `null` (or `Infinity`) lifts the limit.
   * @default 178956970 (2 × PIL's `Image.MAX_IMAGE_PIXELS`: the size above which PIL, and so
   *   torchvision's ImageFolder, refuses a file as a decompression bomb)
   */
  maxPixels?: number | null;
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
  /**
   * How skip reasons name `minSide` and `maxPixels` (see {@link SettingNames}).
   * @default undefined (the option names)
   */
  settingNames?: SettingNames<'minSide' | 'maxPixels'>;
}

/** Defaults of {@link DecodeOptions}. */
export const DEFAULT_MIN_SIDE = 32;
export const DEFAULT_MAX_PIXELS = 178_956_970;
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
export function checkDecodeOptions(
  fn: string,
  options: DecodeOptions,
  name: Namer = namer(fn, options.settingNames),
): void {
  checkResize(fn, 'resize', options.resize);
  if (options.minSide !== undefined && !isPositiveInt(options.minSide)) {
    throw new DataError(
      `${fn}: ${name('minSide')} must be a positive integer (pixels), got ${options.minSide}. Use 1 to accept every size.`,
    );
  }
  const maxPixels = options.maxPixels;
  if (maxPixels != null && !(isPositiveInt(maxPixels) || maxPixels === Infinity)) {
    throw new DataError(
      `${fn}: ${name('maxPixels')} must be a positive integer (pixels per image), or null for no limit, got ${maxPixels}. For example ${DEFAULT_MAX_PIXELS}.`,
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
 * `resize`, the image is resized while it is decoded, so memory follows the output size.
 *
 * @throws {DataError} with `skipped` set when the file is unusable — missing, not an image,
 *   corrupt or truncated (`'unreadable'`), smaller than `minSide` (`'too-small'`) or larger
 *   than `maxPixels` (`'too-large'`); `skipped.kind` says which.
 */
export async function decodeImage(path: string, options: DecodeOptions = {}): Promise<RgbImage> {
  const name = namer('decodeImage', options.settingNames);
  checkDecodeOptions('decodeImage', options, name);
  const maxPixels = resolveMaxPixels(options.maxPixels);
  const input = {
    failOn: options.failOn ?? DEFAULT_FAIL_ON,
    limitInputPixels: maxPixels === Infinity ? false : maxPixels,
  } as const;
  const { width, height } = await readSize(path, input.failOn);
  const minSide = options.minSide ?? DEFAULT_MIN_SIDE;
  if (Math.min(width, height) < minSide) {
    throw unusable(
      path,
      'too-small',
      `too small: ${width}×${height} px, shorter side below ${name('minSide')} = ${minSide}`,
    );
  }
  if (width * height > maxPixels) {
    const fix = name.offers('maxPixels') ? `; raise ${name('maxPixels')} to use it` : '';
    throw unusable(
      path,
      'too-large',
      `too large: ${width}×${height} px = ${megapixels(width * height)}, above the pixel limit ${name('maxPixels')} = ${maxPixels} (${megapixels(maxPixels)})${fix}`,
    );
  }
  let pipeline = sharp(path, input).autoOrient();
  const target = decodedSize(width, height, options.resize);
  if (target.width !== width || target.height !== height) {
    const kernel = options.kernel ?? DEFAULT_KERNEL;
    pipeline = pipeline.resize(target.width, target.height, { fit: 'fill', kernel });
  }
  const [r, g, b] = options.background ?? DEFAULT_BACKGROUND;
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

/** The pixel limit of a `maxPixels` option: the default when undefined, Infinity when null. */
export function resolveMaxPixels(maxPixels: number | null | undefined): number {
  if (maxPixels === undefined) return DEFAULT_MAX_PIXELS;
  return maxPixels ?? Infinity;
}

/** Width and height after EXIF orientation, from the header alone (nothing is decoded). */
async function readSize(path: string, failOn: FailOn): Promise<{ width: number; height: number }> {
  try {
    const meta = await sharp(path, { failOn, limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) throw new Error('image has no dimensions');
    const swap = (meta.orientation ?? 1) >= 5;
    return swap
      ? { width: meta.height, height: meta.width }
      : { width: meta.width, height: meta.height };
  } catch (err) {
    throw unusable(path, 'unreadable', `unreadable: ${messageOf(err)}`);
  }
}

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(1)} Mpx`;
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.trim().replace(/\s+/g, ' ');
}
