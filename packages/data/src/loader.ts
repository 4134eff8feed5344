import { performance } from 'node:perf_hooks';
import { Rng } from '@vqkit/random';
import sharp from 'sharp';
import { type CacheProgress, ShardCache } from './cache';
import {
  centerCropBox,
  checkRange,
  DEFAULT_CROP_RATIO,
  DEFAULT_CROP_SCALE,
  randomResizedCropBox,
} from './crop';
import {
  checkDecodeOptions,
  DEFAULT_BACKGROUND,
  DEFAULT_FAIL_ON,
  DEFAULT_KERNEL,
  DEFAULT_MIN_SIDE,
  type DecodeOptions,
  decodeImage,
  type RgbImage,
} from './decode';
import { DataError, type SkippedImage } from './errors';
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
import { cropResize, extractRegion } from './transform';

/** Unreadable files tried in a row for one batch slot before the loader gives up. */
const MAX_SUBSTITUTES = 32;

/** Options of {@link createLoader}. */
export interface LoaderOptions extends CommonLoaderOptions, Omit<DecodeOptions, 'shorterSide'> {
  /** Image files, e.g. from `scanImageFolder`; their order is the unshuffled order. */
  files: readonly string[];
  /**
   * `'train'`: random resized crop + horizontal flip. `'eval'`: resize the shorter side to
   * `resizeTo`, then the centre `size` × `size` crop.
   * @default 'train'
   */
  split?: 'train' | 'eval';
  /**
   * Side S of the square output images.
   * @default 256
   */
  size?: number;
  /**
   * Reshuffle every epoch (epoch e uses a permutation derived from `seed` and e).
   * @default true for 'train', false for 'eval'
   */
  shuffle?: boolean;
  /**
   * Drop the final partial batch of each epoch.
   * @default true for 'train', false for 'eval'
   */
  dropLast?: boolean;
  /**
   * Train: area range of the random resized crop, as a fraction of the image area.
   * @default [0.08, 1]
   */
  scale?: readonly [number, number];
  /**
   * Train: aspect-ratio range (width / height) of the random resized crop.
   * @default [3 / 4, 4 / 3]
   */
  ratio?: readonly [number, number];
  /**
   * Train: probability of mirroring an image left–right.
   * @default 0.5
   */
  flipProbability?: number;
  /**
   * Eval: the shorter side is resized to this before the centre crop; must be ≥ `size`.
   * @default size
   */
  resizeTo?: number;
  /**
   * What to do with a file that turns out unreadable or too small (it is always listed in
   * `stats().skipped`). `'substitute'`: fill its slot with another file drawn with the seeded
   * generator, so batches stay full. `'drop'`: leave it out, so each readable file is seen
   * exactly once (what evaluation needs); such a batch is smaller.
   * @default 'substitute' for 'train', 'drop' for 'eval'
   */
  onUnreadable?: 'substitute' | 'drop';
  /**
   * Folder for a one-time cache of decoded, resized uint8 images (the app chooses it). Later
   * epochs and runs read the shards instead of decoding; a shard whose source files changed,
   * or that is damaged, is rebuilt.
   * @default undefined (no cache: decode every time)
   */
  cacheDir?: string;
  /**
   * Train: shorter side (pixels, ≥ size) that every image is resized to before its random
   * crop; with `cacheDir` this is what the shards store. Setting it without `cacheDir` gives
   * batches identical to a cached run. (Eval caches its final `size` × `size` crops.)
   * @default size when cacheDir is set, else undefined (crops from the full resolution)
   */
  cacheSize?: number;
  /**
   * Images per cache shard (one .bin + one .json file).
   * @default 256
   */
  shardSize?: number;
  /**
   * Called as the cache is built or validated, once per image.
   * @default undefined
   */
  onCacheProgress?: (progress: CacheProgress) => void;
}

/**
 * A loader over image files: seeded per-epoch shuffling, train or eval transforms, batching,
 * bounded-concurrency prefetch, resumable position, and an optional uint8 shard cache.
 * Unreadable, corrupt and too-small files never crash a run: they are skipped (see
 * `onUnreadable`) and listed with their reason in `stats().skipped`.
 *
 * @example
 * const files = await scanImageFolder('data/imagenet/train');
 * const loader = createLoader({ files, batchSize: 64, split: 'train', size: 256, seed: 1 });
 * for await (const { images, shape } of loader.epoch(0)) {
 *   // images: Float32Array NHWC, shape [64, 256, 256, 3], values in [0, 1]
 * }
 *
 * @throws {DataError} for invalid options (the message names the option and the fix).
 */
export function createLoader(options: LoaderOptions): ImageLoader {
  const fn = 'createLoader';
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
      `${fn}: files must be a non-empty array of image paths, got ${Array.isArray(files) ? `an array of ${files.length}` : JSON.stringify(files)}. Use scanImageFolder(root) to list a folder.`,
    );
  }
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'eval') {
    throw new DataError(`${fn}: split must be 'train' or 'eval', got ${JSON.stringify(split)}.`);
  }
  const train = split === 'train';
  const size = options.size ?? 256;
  checkInt(fn, 'size', size, 1, 'For example 256.');
  const common = resolveCommon(fn, options);
  const shuffle = options.shuffle ?? train;
  const dropLast = options.dropLast ?? train;
  const onUnreadable = options.onUnreadable ?? (train ? 'substitute' : 'drop');
  if (onUnreadable !== 'substitute' && onUnreadable !== 'drop') {
    throw new DataError(
      `${fn}: onUnreadable must be 'substitute' or 'drop', got ${JSON.stringify(onUnreadable)}.`,
    );
  }
  checkRange(fn, 'scale', options.scale, 1);
  checkRange(fn, 'ratio', options.ratio, Number.POSITIVE_INFINITY);
  const flipProbability = options.flipProbability ?? 0.5;
  if (!(flipProbability >= 0 && flipProbability <= 1)) {
    throw new DataError(
      `${fn}: flipProbability must be in [0, 1], got ${flipProbability}. Use 0 to disable flips.`,
    );
  }
  const resizeTo = options.resizeTo ?? size;
  checkInt(
    fn,
    'resizeTo',
    resizeTo,
    size,
    `It is the eval shorter side before the ${size}×${size} centre crop.`,
  );
  const cacheDir = options.cacheDir;
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir === '')) {
    throw new DataError(
      `${fn}: cacheDir must be a folder path, got ${JSON.stringify(cacheDir)}. Omit it to disable the cache.`,
    );
  }
  const cacheSize = options.cacheSize ?? (cacheDir !== undefined ? size : undefined);
  if (cacheSize !== undefined) {
    checkInt(
      fn,
      'cacheSize',
      cacheSize,
      size,
      `Random crops are taken from images this large; use at least size = ${size}.`,
    );
  }
  const shardSize = options.shardSize ?? 256;
  checkInt(fn, 'shardSize', shardSize, 1, 'For example 256 images per shard.');
  checkDecodeOptions(fn, options);

  const decodeOptions: DecodeOptions = {
    minSide: options.minSide ?? DEFAULT_MIN_SIDE,
    background: options.background ?? DEFAULT_BACKGROUND,
    failOn: options.failOn ?? DEFAULT_FAIL_ON,
    kernel: options.kernel ?? DEFAULT_KERNEL,
    shorterSide: train ? cacheSize : resizeTo,
  };
  const source = new FileSource({
    files: [...files],
    train,
    size,
    seed: common.seed,
    shuffle,
    onUnreadable,
    scale: options.scale ?? DEFAULT_CROP_SCALE,
    ratio: options.ratio ?? DEFAULT_CROP_RATIO,
    flipProbability,
    decodeOptions,
    cacheDir,
    shardSize,
    onCacheProgress: options.onCacheProgress,
  });
  const loader = makeCore(fn, size, common, dropLast, source) as BatchLoader;
  source.attach(loader);
  return loader;
}

interface FileSourceOptions {
  files: string[];
  train: boolean;
  size: number;
  seed: number;
  shuffle: boolean;
  onUnreadable: 'substitute' | 'drop';
  scale: readonly [number, number];
  ratio: readonly [number, number];
  flipProbability: number;
  decodeOptions: DecodeOptions;
  cacheDir: string | undefined;
  shardSize: number;
  onCacheProgress: ((progress: CacheProgress) => void) | undefined;
}

type BaseResult = { image: RgbImage } | { skipped: SkippedImage };

/** Samples from image files: base image (decoded or cached), then the split's transform. */
class FileSource implements SampleSource {
  readonly length: number;
  private loader!: BatchLoader;
  private cache: ShardCache | undefined;
  private readonly bad = new Map<number, SkippedImage>();
  private order: { epoch: number; perm: Int32Array } | undefined;

  constructor(private readonly o: FileSourceOptions) {
    this.length = o.files.length;
  }

  attach(loader: BatchLoader): void {
    this.loader = loader;
    const { cacheDir, files, shardSize, decodeOptions, train, size } = this.o;
    if (cacheDir !== undefined) {
      this.cache = new ShardCache({
        dir: cacheDir,
        files,
        shardSize,
        key: {
          split: train ? 'train' : 'eval',
          shorterSide: decodeOptions.shorterSide ?? null,
          crop: train ? null : size,
          minSide: decodeOptions.minSide,
          background: decodeOptions.background,
          failOn: decodeOptions.failOn,
          kernel: decodeOptions.kernel,
          vips: sharp.versions.vips,
        },
        compute: (path) => this.decode(path),
        limit: loader.limiter,
        stats: loader.statsCollector,
        onProgress: this.o.onCacheProgress,
      });
    }
  }

  prepare(): Promise<void> {
    return this.cache ? this.cache.prepare() : Promise.resolve();
  }

  /** Decodes a file into its base image: the train resize, or the final eval crop. */
  private async decode(path: string): Promise<RgbImage> {
    const stats = this.loader.statsCollector;
    const t0 = performance.now();
    try {
      const image = await decodeImage(path, this.o.decodeOptions);
      if (this.o.train) return image;
      return extractRegion(image, centerCropBox(image.width, image.height, this.o.size));
    } finally {
      stats.decoded++;
      stats.decodeMs += performance.now() - t0;
    }
  }

  private async base(index: number): Promise<BaseResult> {
    const known = this.bad.get(index);
    if (known) return { skipped: known };
    const path = this.o.files[index]!;
    let result: BaseResult | undefined = this.cache ? await this.cache.read(index) : undefined;
    if (!result) {
      try {
        result = { image: await this.decode(path) };
      } catch (err) {
        if (!(err instanceof DataError) || !err.skipped) throw err;
        result = { skipped: err.skipped };
      }
    }
    if ('skipped' in result) {
      this.bad.set(index, result.skipped);
      this.loader.statsCollector.skip(result.skipped);
    }
    return result;
  }

  private permutation(epoch: number): Int32Array {
    if (this.order?.epoch !== epoch) {
      const perm = new Rng(deriveSeed(this.o.seed, STREAM.shuffle, epoch)).permutation(this.length);
      this.order = { epoch, perm };
    }
    return this.order.perm;
  }

  async produce(epoch: number, position: number): Promise<Sample | null> {
    const { files, train, size, shuffle } = this.o;
    let index = shuffle ? this.permutation(epoch)[position]! : position;
    const rng = new Rng(deriveSeed(this.o.seed, STREAM.sample, epoch, position));
    let image: RgbImage | undefined;
    for (let attempt = 0; attempt <= MAX_SUBSTITUTES; attempt++) {
      const result = await this.base(index);
      if ('image' in result) {
        image = result.image;
        break;
      }
      if (this.o.onUnreadable === 'drop') return null;
      index = rng.int(this.length);
    }
    if (!image) {
      const skipped = this.loader.statsCollector.snapshot().skipped;
      throw new DataError(
        `createLoader: ${MAX_SUBSTITUTES + 1} unusable images in a row while filling position ${position} of epoch ${epoch}; ${skipped.length} of ${this.length} files are unusable so far (e.g. ${skipped[0]?.path}: ${skipped[0]?.reason}). Check the dataset folder and stats().skipped; lower minSide if the images are just small.`,
      );
    }
    if (!train) return { pixels: image.data, path: files[index]!, flip: false };
    const box = randomResizedCropBox(image.width, image.height, rng, {
      scale: this.o.scale,
      ratio: this.o.ratio,
    });
    const flip = rng.uniform() < this.o.flipProbability;
    const pixels = await cropResize(
      image,
      box,
      size,
      this.o.decodeOptions.kernel ?? DEFAULT_KERNEL,
    );
    return { pixels, path: files[index]!, flip };
  }
}
