import { performance } from 'node:perf_hooks';
import { Rng } from '@vqkit/random';
import { checkRange } from './crop';
import type { RandomCropDataSettings } from './data-settings';
import {
  checkDecodeOptions,
  DEFAULT_BACKGROUND,
  DEFAULT_FAIL_ON,
  DEFAULT_KERNEL,
  type DecodeOptions,
  decodeImage,
  type RgbImage,
  resolveMaxPixels,
} from './decode';
import { DataError } from './errors';
import {
  type BatchLoader,
  type CommonLoaderOptions,
  checkInt,
  type ImageLoader,
  type LoaderCheck,
  makeCore,
  resolveCommon,
  type Sample,
  type SampleSource,
} from './loader-core';
import { deriveSeed, STREAM } from './seed';
import { either, type Namer, namer, type SettingNames } from './setting-names';
import { cropResize, type PixelRange } from './transform';

/** Options of {@link randomCropDataset}. */
export interface RandomCropOptions
  extends CommonLoaderOptions,
    Pick<DecodeOptions, 'background' | 'failOn' | 'kernel' | 'maxPixels'> {
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
  /**
   * How messages name these options, e.g. a CLI's config keys (see {@link SettingNames}).
   * @default undefined (the option names)
   */
  settingNames?: SettingNames<Exclude<keyof RandomCropOptions, 'settingNames'>>;
}

/** A region of a photo as fractions of its width and height (see {@link RandomCropOptions.region}). */
export interface CropRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

function checkRegion(fn: string, name: Namer, region: CropRegion | undefined): CropRegion {
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
      `${fn}: ${name('region')} must be { left, top, width, height } fractions with left, top ≥ 0, width, height > 0, left + width ≤ 1 and top + height ≤ 1, got ${JSON.stringify(region)}. For example { left: 0.75, top: 0, width: 0.25, height: 1 } for the right quarter.`,
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
 * resumable state as `createLoader`. Photos smaller than `cropSize` are skipped and listed in
 * `stats().skipped`. Resolves after the photos are decoded.
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
  const name = namer(fn, options.settingNames);
  const { files } = options;
  if (
    !Array.isArray(files) ||
    files.length === 0 ||
    files.some((f) => typeof f !== 'string' || f === '')
  ) {
    throw new DataError(
      `${fn}: ${name('files')} must be a non-empty array of photo paths, got ${Array.isArray(files) ? 'an empty array' : JSON.stringify(files)}. Pass a few large photos.`,
    );
  }
  const common = resolveCommon(fn, options, name);
  const s = resolveCropSettings(fn, name, options, common.range);
  const source = new CropSource([...files], name, s, {
    minSide: s.cropSize,
    resize: s.decodeShorterSide === null ? undefined : { shorterSide: s.decodeShorterSide },
    maxPixels: s.maxPixels ?? Infinity,
    background: s.background,
    failOn: s.failOn,
    kernel: s.kernel,
    settingNames: { minSide: name('cropSize'), maxPixels: name('maxPixels') },
  });
  const loader = makeCore(fn, s.cropSize, common, options.dropLast ?? true, source) as BatchLoader;
  await source.load(loader, common.seed);
  return loader;
}

/** Validates the crop options of {@link randomCropDataset} and fills in the defaults. */
function resolveCropSettings(
  fn: string,
  name: Namer,
  options: RandomCropOptions,
  range: PixelRange,
): RandomCropDataSettings {
  const cropSize = options.cropSize ?? 256;
  checkInt(fn, name('cropSize'), cropSize, 1, 'For example 64.');
  const cropsPerEpoch = options.cropsPerEpoch ?? 1024;
  checkInt(fn, name('cropsPerEpoch'), cropsPerEpoch, 1, 'For example 1024.');
  checkRange(fn, name('scaleRange'), options.scaleRange, Number.POSITIVE_INFINITY, '[1, 2]');
  if (options.decodeShorterSide !== undefined) {
    const hint = `Crops of ${cropSize} px need photos at least that large.`;
    checkInt(fn, name('decodeShorterSide'), options.decodeShorterSide, cropSize, hint);
  }
  const flip = options.flip ?? true;
  if (typeof flip !== 'boolean') {
    throw new DataError(
      `${fn}: ${name('flip')} must be true or false, got ${JSON.stringify(flip)}.`,
    );
  }
  checkDecodeOptions(fn, options, name);
  const maxPixels = resolveMaxPixels(options.maxPixels);
  return {
    source: 'random-crops',
    cropSize,
    cropsPerEpoch,
    scaleRange: options.scaleRange ?? [1, 1],
    flip,
    decodeShorterSide: options.decodeShorterSide ?? null,
    region: checkRegion(fn, name, options.region),
    range,
    minSide: cropSize,
    maxPixels: maxPixels === Infinity ? null : maxPixels,
    background: options.background ?? DEFAULT_BACKGROUND,
    failOn: options.failOn ?? DEFAULT_FAIL_ON,
    kernel: options.kernel ?? DEFAULT_KERNEL,
  };
}

class CropSource implements SampleSource {
  readonly length: number;
  private photos: { path: string; image: RgbImage }[] = [];
  private seed = 0;
  private loader!: BatchLoader;

  constructor(
    private readonly files: string[],
    private readonly name: Namer,
    readonly settings: RandomCropDataSettings,
    private readonly decodeOptions: DecodeOptions,
  ) {
    this.length = settings.cropsPerEpoch;
  }

  async load(loader: BatchLoader, seed: number): Promise<void> {
    this.loader = loader;
    this.seed = seed;
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
    const { cropSize } = this.settings;
    this.photos = decoded.filter((p): p is { path: string; image: RgbImage } => {
      if (p === undefined) return false;
      const box = regionBox(this.settings.region, p.image.width, p.image.height);
      if (Math.min(box.width, box.height) >= cropSize) return true;
      stats.skip({
        path: p.path,
        kind: 'too-small',
        reason: `its crop region is ${box.width}×${box.height} px, smaller than ${this.name('cropSize')} ${cropSize}`,
      });
      return false;
    });
    if (this.photos.length === 0) {
      const first = stats.snapshot().skipped[0];
      throw new DataError(
        `randomCropDataset: none of the ${this.files.length} photo(s) is usable (e.g. ${first?.path}: ${first?.reason}). Pass readable JPEG/PNG/WebP photos whose shorter side is at least ${this.name('cropSize')} = ${cropSize}.`,
      );
    }
  }

  prepare(): Promise<void> {
    return Promise.resolve();
  }

  /** Every photo was decoded when the dataset was made (which throws when none is usable). */
  async check(): Promise<LoaderCheck> {
    return {
      files: this.files.length,
      probed: this.files.length,
      usable: this.photos.length,
      needed: 1,
      skipped: this.loader.statsCollector.snapshot().skipped,
    };
  }

  noFullBatch(batchSize: number): string {
    const fixes = [`lower ${this.name('batchSize')}`];
    if (this.name.offers('cropsPerEpoch')) {
      fixes.push(`set ${this.name('cropsPerEpoch')} to ${batchSize} or more`);
    }
    if (this.name.offers('dropLast')) fixes.push(`set ${this.name('dropLast')} to false`);
    return `randomCropDataset: ${this.name('cropsPerEpoch')} = ${this.length} crop(s) make no full batch of ${this.name('batchSize')} = ${batchSize}. To fix it, ${either(fixes)}.`;
  }

  async produce(epoch: number, position: number): Promise<Sample> {
    const { cropSize, scaleRange, kernel, region, flip } = this.settings;
    const rng = new Rng(deriveSeed(this.seed, STREAM.crop, epoch, position));
    const photo = this.photos[rng.int(this.photos.length)]!;
    const box = regionBox(region, photo.image.width, photo.image.height);
    const scale = scaleRange[0] + (scaleRange[1] - scaleRange[0]) * rng.uniform();
    const side = Math.min(box.width, box.height, Math.max(1, Math.round(cropSize * scale)));
    const left = box.left + rng.int(box.width - side + 1);
    const top = box.top + rng.int(box.height - side + 1);
    const mirrored = rng.uniform() < 0.5 && flip;
    const pixels = await cropResize(
      photo.image,
      { left, top, width: side, height: side },
      cropSize,
      kernel,
    );
    return { pixels, path: photo.path, flip: mirrored };
  }
}
