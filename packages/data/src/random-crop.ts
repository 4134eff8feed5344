import { performance } from 'node:perf_hooks';
import { Rng } from '@vqkit/random';
import { checkRange } from './crop';
import {
  checkDecodeOptions,
  DEFAULT_BACKGROUND,
  DEFAULT_FAIL_ON,
  DEFAULT_KERNEL,
  type DecodeOptions,
  decodeImage,
  type ResizeKernel,
  type RgbImage,
} from './decode';
import { DataError } from './errors';
import {
  type BatchLoader,
  type CommonLoaderOptions,
  checkInt,
  type ImageLoader,
  makeCore,
  resolveCommon,
  type Sample,
  type SampleSource,
} from './loader-core';
import { deriveSeed, STREAM } from './seed';
import { cropResize } from './transform';

/** Options of {@link randomCropDataset}. */
export interface RandomCropOptions
  extends CommonLoaderOptions,
    Pick<DecodeOptions, 'background' | 'failOn' | 'kernel'> {
  /** A few (large) photos; each is decoded once and kept in memory. */
  files: readonly string[];
  /**
   * Side S of the square crops.
   * @default 256
   */
  cropSize?: number;
  /**
   * Crops per epoch (the epoch's length).
   * @default 1024
   */
  cropsPerEpoch?: number;
  /**
   * Range of the crop region's side relative to `cropSize`, `[min, max]`, drawn uniformly:
   * 1 cuts pixel-exact `cropSize` crops, 2 cuts a `2·cropSize` square and shrinks it. The region
   * is capped at the photo's shorter side.
   * @default [1, 1]
   */
  scaleRange?: readonly [number, number];
  /**
   * Mirror each crop left–right with probability 0.5.
   * @default true
   */
  flip?: boolean;
  /**
   * Resize each photo so its shorter side has this many pixels when it is decoded (bounds
   * memory for very large photos; must be ≥ cropSize).
   * @default undefined (full resolution)
   */
  decodeShorterSide?: number;
  /**
   * Drop the final partial batch of each epoch.
   * @default true
   */
  dropLast?: boolean;
  /**
   * Draw crops only inside this region of every photo, given as fractions of the photo's width
   * and height (`{ left: 0.75, top: 0, width: 0.25, height: 1 }` = the right quarter). Disjoint
   * regions of the same photos give a training and a held-out validation set with the same
   * colour statistics. Photos whose region is smaller than `cropSize` are skipped.
   * @default { left: 0, top: 0, width: 1, height: 1 } (the whole photo)
   */
  region?: CropRegion;
}

/** A region of a photo as fractions of its width and height (see {@link RandomCropOptions.region}). */
export interface CropRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

function checkRegion(fn: string, region: CropRegion | undefined): CropRegion {
  if (region === undefined) return { left: 0, top: 0, width: 1, height: 1 };
  const { left, top, width, height } = region ?? ({} as CropRegion);
  const ok =
    [left, top, width, height].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    left >= 0 &&
    top >= 0 &&
    width > 0 &&
    height > 0 &&
    left + width <= 1 + 1e-9 &&
    top + height <= 1 + 1e-9;
  if (!ok) {
    throw new DataError(
      `${fn}: region must be { left, top, width, height } fractions with left, top ≥ 0, width, height > 0, left + width ≤ 1 and top + height ≤ 1, got ${JSON.stringify(region)}. For example { left: 0.75, top: 0, width: 0.25, height: 1 } for the right quarter.`,
    );
  }
  return { left, top, width, height };
}

/** Pixel bounds of `region` in a `width × height` photo. */
function regionBox(region: CropRegion, width: number, height: number) {
  const left = Math.floor(region.left * width);
  const top = Math.floor(region.top * height);
  const right = Math.min(width, Math.floor((region.left + region.width) * width));
  const bottom = Math.min(height, Math.floor((region.top + region.height) * height));
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * An in-memory dataset of random square crops from a handful of photos: each photo is decoded
 * once (8-bit sRGB, like `decodeImage`); every epoch then draws `cropsPerEpoch` crops — photo
 * chosen uniformly, region side from `scaleRange`, position uniform, optional flip — from a
 * generator seeded by (seed, epoch, position), so it has the same batch type, determinism and
 * resumable state as {@link createLoader}. Photos smaller than `cropSize` are skipped and
 * listed in `stats().skipped`. Resolves after the photos are decoded.
 *
 * @example
 * const loader = await randomCropDataset({ files: photos, cropSize: 64, cropsPerEpoch: 512, seed: 3 });
 * for await (const batch of loader.epoch(0)) console.log(batch.shape); // [32, 64, 64, 3]
 *
 * @throws {DataError} for invalid options, or when no photo is usable.
 */
export async function randomCropDataset(options: RandomCropOptions): Promise<ImageLoader> {
  const fn = 'randomCropDataset';
  if (typeof options !== 'object' || options === null) {
    throw new DataError(
      `${fn}: expected an options object with at least { files }, got ${JSON.stringify(options)}.`,
    );
  }
  const { files } = options;
  if (
    !Array.isArray(files) ||
    files.length === 0 ||
    files.some((f) => typeof f !== 'string' || f === '')
  ) {
    throw new DataError(
      `${fn}: files must be a non-empty array of photo paths, got ${Array.isArray(files) ? 'an empty array' : JSON.stringify(files)}. Pass a few large photos.`,
    );
  }
  const cropSize = options.cropSize ?? 256;
  checkInt(fn, 'cropSize', cropSize, 1, 'For example 64.');
  const cropsPerEpoch = options.cropsPerEpoch ?? 1024;
  checkInt(fn, 'cropsPerEpoch', cropsPerEpoch, 1, 'For example 1024.');
  checkRange(fn, 'scaleRange', options.scaleRange, Number.POSITIVE_INFINITY);
  const scaleRange = options.scaleRange ?? [1, 1];
  if (options.decodeShorterSide !== undefined) {
    checkInt(
      fn,
      'decodeShorterSide',
      options.decodeShorterSide,
      cropSize,
      `Crops of ${cropSize} px need photos at least that large.`,
    );
  }
  checkDecodeOptions(fn, options);
  const common = resolveCommon(fn, options);
  const kernel = options.kernel ?? DEFAULT_KERNEL;
  const source = new CropSource(
    [...files],
    {
      minSide: cropSize,
      shorterSide: options.decodeShorterSide,
      background: options.background ?? DEFAULT_BACKGROUND,
      failOn: options.failOn ?? DEFAULT_FAIL_ON,
      kernel,
    },
    {
      cropSize,
      cropsPerEpoch,
      scaleRange,
      flip: options.flip ?? true,
      seed: common.seed,
      kernel,
      region: checkRegion(fn, options.region),
    },
  );
  const loader = makeCore(fn, cropSize, common, options.dropLast ?? true, source) as BatchLoader;
  await source.load(loader);
  return loader;
}

interface CropSettings {
  cropSize: number;
  cropsPerEpoch: number;
  scaleRange: readonly [number, number];
  flip: boolean;
  seed: number;
  kernel: ResizeKernel;
  region: CropRegion;
}

class CropSource implements SampleSource {
  readonly length: number;
  private photos: { path: string; image: RgbImage }[] = [];

  constructor(
    private readonly files: string[],
    private readonly decodeOptions: DecodeOptions,
    private readonly s: CropSettings,
  ) {
    this.length = s.cropsPerEpoch;
  }

  async load(loader: BatchLoader): Promise<void> {
    const stats = loader.statsCollector;
    const decoded = await Promise.all(
      this.files.map((path) =>
        loader.limiter(async () => {
          const t0 = performance.now();
          try {
            return { path, image: await decodeImage(path, this.decodeOptions) };
          } catch (err) {
            if (!(err instanceof DataError) || !err.skipped) throw err;
            stats.skip(err.skipped);
            return undefined;
          } finally {
            stats.decoded++;
            stats.decodeMs += performance.now() - t0;
          }
        }),
      ),
    );
    this.photos = decoded.filter((p): p is { path: string; image: RgbImage } => {
      if (p === undefined) return false;
      const box = regionBox(this.s.region, p.image.width, p.image.height);
      if (Math.min(box.width, box.height) >= this.s.cropSize) return true;
      stats.skip({
        path: p.path,
        kind: 'too-small',
        reason: `its crop region is ${box.width}×${box.height} px, smaller than cropSize ${this.s.cropSize}`,
      });
      return false;
    });
    if (this.photos.length === 0) {
      const first = stats.snapshot().skipped[0];
      throw new DataError(
        `randomCropDataset: none of the ${this.files.length} photo(s) is usable (e.g. ${first?.path}: ${first?.reason}). Pass readable JPEG/PNG/WebP photos whose shorter side is at least cropSize = ${this.s.cropSize}.`,
      );
    }
  }

  prepare(): Promise<void> {
    return Promise.resolve();
  }

  async produce(epoch: number, position: number): Promise<Sample> {
    const { cropSize, scaleRange, seed, kernel } = this.s;
    const rng = new Rng(deriveSeed(seed, STREAM.crop, epoch, position));
    const photo = this.photos[rng.int(this.photos.length)]!;
    const box = regionBox(this.s.region, photo.image.width, photo.image.height);
    const scale = scaleRange[0] + (scaleRange[1] - scaleRange[0]) * rng.uniform();
    const side = Math.min(box.width, box.height, Math.max(1, Math.round(cropSize * scale)));
    const left = box.left + rng.int(box.width - side + 1);
    const top = box.top + rng.int(box.height - side + 1);
    const flip = rng.uniform() < 0.5 && this.s.flip;
    const pixels = await cropResize(
      photo.image,
      { left, top, width: side, height: side },
      cropSize,
      kernel,
    );
    return { pixels, path: photo.path, flip };
  }
}
