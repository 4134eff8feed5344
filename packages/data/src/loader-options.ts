import type { CacheProgress } from './cache';
import { checkRange, DEFAULT_CROP_RATIO, DEFAULT_CROP_SCALE } from './crop';
import { type FolderDataSettings, IMAGE_TRANSFORMS, type ImageTransform } from './data-settings';
import {
  checkDecodeOptions,
  DEFAULT_BACKGROUND,
  DEFAULT_FAIL_ON,
  DEFAULT_KERNEL,
  DEFAULT_MIN_SIDE,
  type DecodeOptions,
  resolveMaxPixels,
} from './decode';
import { DataError } from './errors';
import { type CommonLoaderOptions, checkInt, resolveCommon } from './loader-core';
import { type DecodeResize, randomResizedCropDecodeSide } from './resize-geometry';
import { type Namer, namer, type SettingNames } from './setting-names';

/** Default transform: the paper, §4: "ImageNet with images resized to 256×256". */
export const DEFAULT_TRANSFORM: ImageTransform = 'resize';
/** Default side S: the paper, §4 (256×256 images). */
export const DEFAULT_SIZE = 256;
/** Flips are off by default: the paper (§4) names no augmentation. */
export const DEFAULT_FLIP = false;
/** Probability of a flip when flips are on: torchvision's `RandomHorizontalFlip` default. */
export const DEFAULT_FLIP_PROBABILITY = 0.5;
/** One pass over the images per epoch, as torchvision's ImageFolder defines an epoch. */
export const DEFAULT_CROPS_PER_IMAGE = 1;
/** Images per cache shard: vqkit choice (≈ 50 MB shards at 256², few files per folder). */
export const DEFAULT_SHARD_SIZE = 256;

/** The options {@link LoaderOptions.settingNames} can rename in messages. */
export type LoaderSetting = Exclude<keyof LoaderOptions, 'settingNames' | 'onCacheProgress'>;

/** Options of `createLoader`. */
export interface LoaderOptions
  extends CommonLoaderOptions,
    Omit<DecodeOptions, 'resize' | 'settingNames'> {
  /** Image files, e.g. from `scanImageFolder`; their order is the unshuffled order. */
  files: readonly string[];
  /**
   * Picks the defaults of `shuffle`, `dropLast` and `onUnreadable`: `'train'` reshuffles,
   * drops the last partial batch and substitutes unusable files; `'eval'` keeps file order,
   * keeps the last partial batch and drops unusable files (each readable file seen once). The
   * transform does not depend on it.
   * @default 'train'
   */
  split?: 'train' | 'eval';
  /**
   * How each image becomes a `size` × `size` sample (see {@link ImageTransform}).
   * @default 'resize' (the paper, §4: "images resized to 256×256")
   */
  transform?: ImageTransform;
  /**
   * Side S of the square output images.
   * @default 256 (the paper, §4)
   */
  size?: number;
  /**
   * `'center-crop'` only: the shorter side is resized to this before the centre crop; ≥ size.
   * @default size
   */
  resizeTo?: number;
  /**
   * `'random-resized-crop'` only: area range of the crop, as a fraction of the image area.
   * @default [0.08, 1] (torchvision's RandomResizedCrop)
   */
  scale?: readonly [number, number];
  /**
   * `'random-resized-crop'` only: aspect-ratio range (width / height) of the crop.
   * @default [3 / 4, 4 / 3] (torchvision's RandomResizedCrop)
   */
  ratio?: readonly [number, number];
  /**
   * `'random-resized-crop'` only: images whose shorter side is longer than this are shrunk to
   * it while decoding (aspect kept), bounding decode memory; `null` keeps the full resolution
   * (then only `maxPixels` bounds it). With or without `cacheDir`, the crops come from the same
   * shrunk image, so caching never changes what a run sees.
   * @default the smallest side at which every crop the transform can draw is still ≥ size on
   *   both sides (`randomResizedCropDecodeSide`: 1046 for size 256 with the default scale and
   *   ratio) — vqkit choice: each crop is still a downsampling, as from the full resolution.
   */
  maxShorterSide?: number | null;
  /**
   * Mirror samples left–right at random.
   * @default false (the paper, §4, names no augmentation)
   */
  flip?: boolean;
  /**
   * With `flip`, the probability of mirroring a sample.
   * @default 0.5 (torchvision's RandomHorizontalFlip)
   */
  flipProbability?: number;
  /**
   * Samples drawn from each image per epoch: the epoch has files × cropsPerImage samples, each
   * with its own random crop and flip. Lets a folder of a few photos fill batches (with
   * `'resize'` and no flips the copies are identical, so it only repeats images).
   * @default 1 (one pass over the images per epoch)
   */
  cropsPerImage?: number;
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
   * What to do with a file that turns out unusable (it is always listed in `stats().skipped`).
   * `'substitute'`: fill its slot with another file drawn with the seeded generator, so batches
   * stay full. `'drop'`: leave it out, so each readable file is seen exactly once (what
   * evaluation needs); such a batch is smaller.
   * @default 'substitute' for 'train', 'drop' for 'eval'
   */
  onUnreadable?: 'substitute' | 'drop';
  /**
   * Folder for a one-time cache of decoded images (the app chooses it): exactly what the
   * transform starts from — the final `size` × `size` image for `'resize'` and `'center-crop'`,
   * the shrunk-on-load image for `'random-resized-crop'` — so a cached run sees bit-identical
   * batches to an uncached one. Shards are keyed by those settings; a shard whose source files
   * changed, or that is damaged, is rebuilt.
   * @default undefined (no cache: decode every time)
   */
  cacheDir?: string;
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
  /**
   * How messages name these options, e.g. a CLI's config keys (see {@link SettingNames}).
   * @default undefined (the option names)
   */
  settingNames?: SettingNames<LoaderSetting>;
}

/** The transform with its geometry resolved. */
export type TransformPlan =
  | { kind: 'resize'; size: number }
  | { kind: 'center-crop'; size: number; resizeTo: number }
  | {
      kind: 'random-resized-crop';
      size: number;
      scale: readonly [number, number];
      ratio: readonly [number, number];
      maxShorterSide: number | null;
    };

/** {@link LoaderOptions}, validated, with every default filled in. */
export interface ResolvedLoaderOptions {
  fn: string;
  name: Namer;
  files: string[];
  common: ReturnType<typeof resolveCommon>;
  plan: TransformPlan;
  flipProbability: number;
  cropsPerImage: number;
  shuffle: boolean;
  dropLast: boolean;
  onUnreadable: 'substitute' | 'drop';
  /** Decode options of the image each sample starts from (its `resize` follows the plan). */
  decode: DecodeOptions;
  cacheDir: string | undefined;
  shardSize: number;
  onCacheProgress: ((progress: CacheProgress) => void) | undefined;
  settings: FolderDataSettings;
}

/** Validates {@link LoaderOptions} and fills in the defaults. */
export function resolveLoaderOptions(fn: string, options: LoaderOptions): ResolvedLoaderOptions {
  if (typeof options !== 'object' || options === null) {
    throw new DataError(
      `${fn}: expected an options object with at least { files }, got ${JSON.stringify(options)}.`,
    );
  }
  const name = namer(fn, options.settingNames);
  const files = checkFiles(fn, name, options.files);
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'eval') {
    throw new DataError(
      `${fn}: ${name('split')} must be 'train' or 'eval', got ${JSON.stringify(split)}.`,
    );
  }
  const train = split === 'train';
  const common = resolveCommon(fn, options, name);
  checkDecodeOptions(fn, options, name);
  const plan = resolvePlan(fn, name, options);
  const flipProbability = resolveFlip(fn, name, options);
  const cropsPerImage = options.cropsPerImage ?? DEFAULT_CROPS_PER_IMAGE;
  checkInt(fn, name('cropsPerImage'), cropsPerImage, 1, 'For example 1, or 8 for a few photos.');
  const onUnreadable = options.onUnreadable ?? (train ? 'substitute' : 'drop');
  if (onUnreadable !== 'substitute' && onUnreadable !== 'drop') {
    throw new DataError(
      `${fn}: ${name('onUnreadable')} must be 'substitute' or 'drop', got ${JSON.stringify(onUnreadable)}.`,
    );
  }
  const cacheDir = options.cacheDir;
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir === '')) {
    throw new DataError(
      `${fn}: ${name('cacheDir')} must be a folder path, got ${JSON.stringify(cacheDir)}. Omit it to disable the cache.`,
    );
  }
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  checkInt(fn, name('shardSize'), shardSize, 1, 'For example 256 images per shard.');
  const maxPixels = resolveMaxPixels(options.maxPixels);
  const decode: DecodeOptions = {
    resize: baseResize(plan),
    minSide: options.minSide ?? DEFAULT_MIN_SIDE,
    maxPixels,
    background: options.background ?? DEFAULT_BACKGROUND,
    failOn: options.failOn ?? DEFAULT_FAIL_ON,
    kernel: options.kernel ?? DEFAULT_KERNEL,
    settingNames: { minSide: passName(name, 'minSide'), maxPixels: passName(name, 'maxPixels') },
  };
  const { kind: transform, ...geometry } = plan;
  const settings: FolderDataSettings = {
    source: 'files',
    transform,
    ...geometry,
    flipProbability,
    cropsPerImage,
    range: common.range,
    minSide: decode.minSide!,
    maxPixels: maxPixels === Infinity ? null : maxPixels,
    background: decode.background!,
    failOn: decode.failOn!,
    kernel: decode.kernel!,
  };
  return {
    fn,
    name,
    files,
    common,
    plan,
    flipProbability,
    cropsPerImage,
    shuffle: options.shuffle ?? train,
    dropLast: options.dropLast ?? train,
    onUnreadable,
    decode,
    cacheDir,
    shardSize,
    onCacheProgress: options.onCacheProgress,
    settings,
  };
}

/** The caller's name of `key` for a nested call, null when the caller does not offer it. */
function passName(name: Namer, key: string): string | null {
  return name.offers(key) ? name(key) : null;
}

function checkFiles(fn: string, name: Namer, files: unknown): string[] {
  if (
    !Array.isArray(files) ||
    files.length === 0 ||
    files.some((f) => typeof f !== 'string' || f === '')
  ) {
    throw new DataError(
      `${fn}: ${name('files')} must be a non-empty array of image paths, got ${Array.isArray(files) ? `an array of ${files.length}` : JSON.stringify(files)}. Use scanImageFolder(root) to list a folder.`,
    );
  }
  return [...files];
}

/** Refuses an option set for a transform it does not apply to (it would be silently ignored). */
function onlyFor(fn: string, name: Namer, options: LoaderOptions, keys: string[], kind: string) {
  const set = keys.filter((k) => options[k as keyof LoaderOptions] !== undefined);
  if (set.length > 0 && options.transform !== kind) {
    throw new DataError(
      `${fn}: ${set.map(name).join(' and ')} only appl${set.length === 1 ? 'ies' : 'y'} to ${name('transform')} '${kind}', but ${name('transform')} is '${options.transform ?? DEFAULT_TRANSFORM}'. Set ${name('transform')} to '${kind}' or remove ${set.map(name).join(' and ')}.`,
    );
  }
}

function resolvePlan(fn: string, name: Namer, options: LoaderOptions): TransformPlan {
  const kind = options.transform ?? DEFAULT_TRANSFORM;
  if (!IMAGE_TRANSFORMS.includes(kind)) {
    throw new DataError(
      `${fn}: ${name('transform')} must be one of ${IMAGE_TRANSFORMS.map((t) => `'${t}'`).join(', ')}, got ${JSON.stringify(kind)}. 'resize' is what the paper does.`,
    );
  }
  onlyFor(fn, name, options, ['resizeTo'], 'center-crop');
  onlyFor(fn, name, options, ['scale', 'ratio', 'maxShorterSide'], 'random-resized-crop');
  const size = options.size ?? DEFAULT_SIZE;
  checkInt(fn, name('size'), size, 1, 'For example 256.');
  if (kind === 'resize') return { kind, size };
  if (kind === 'center-crop') {
    const resizeTo = options.resizeTo ?? size;
    const hint = `It is the shorter side before the ${size}×${size} centre crop.`;
    checkInt(fn, name('resizeTo'), resizeTo, size, hint);
    return { kind, size, resizeTo };
  }
  checkRange(fn, name('scale'), options.scale, 1, '[0.08, 1]');
  checkRange(fn, name('ratio'), options.ratio, Number.POSITIVE_INFINITY, '[0.75, 1.3333]');
  const scale = options.scale ?? DEFAULT_CROP_SCALE;
  const ratio = options.ratio ?? DEFAULT_CROP_RATIO;
  const needed = randomResizedCropDecodeSide(size, scale, ratio);
  const maxShorterSide = options.maxShorterSide === undefined ? needed : options.maxShorterSide;
  if (maxShorterSide !== null) {
    const hint = `Crops of ${size} px need at least that; ${needed} keeps every crop a downsampling, null keeps the full resolution.`;
    checkInt(fn, name('maxShorterSide'), maxShorterSide, size, hint);
  }
  return { kind, size, scale, ratio, maxShorterSide };
}

function resolveFlip(fn: string, name: Namer, options: LoaderOptions): number {
  const flip = options.flip ?? DEFAULT_FLIP;
  if (typeof flip !== 'boolean') {
    throw new DataError(
      `${fn}: ${name('flip')} must be true or false, got ${JSON.stringify(flip)}.`,
    );
  }
  const p = options.flipProbability;
  if (p !== undefined && !flip) {
    throw new DataError(
      `${fn}: ${name('flipProbability')} only applies when ${name('flip')} is true. Set ${name('flip')} to true or remove ${name('flipProbability')}.`,
    );
  }
  if (p !== undefined && !(typeof p === 'number' && p >= 0 && p <= 1)) {
    throw new DataError(
      `${fn}: ${name('flipProbability')} must be in [0, 1], got ${JSON.stringify(p)}. For example 0.5.`,
    );
  }
  return flip ? (p ?? DEFAULT_FLIP_PROBABILITY) : 0;
}

/** How the image a sample starts from is decoded: what the transform needs, no more. */
function baseResize(plan: TransformPlan): DecodeResize | undefined {
  if (plan.kind === 'resize') return { width: plan.size, height: plan.size };
  if (plan.kind === 'center-crop') return { shorterSide: plan.resizeTo };
  return plan.maxShorterSide === null ? undefined : { maxShorterSide: plan.maxShorterSide };
}
