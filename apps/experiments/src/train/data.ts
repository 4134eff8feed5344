import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CropRegion,
  createLoader,
  DataError,
  type DataSettings,
  DEFAULT_CROPS_PER_IMAGE,
  DEFAULT_TRANSFORM,
  type ImageLoader,
  type LoaderSetting,
  type RandomCropOptions,
  randomCropDataset,
  type SettingNames,
  scanImageFolder,
} from '@vqkit/data';
import { inputError } from '../config/errors';
import type { RunConfig } from '../config/schema';
import { experimentsPackageRoot } from '../run-dir';

/** The literal data source naming the bundled photos. */
export const DEMO_DATA = 'demo';

/** A split of the data: trained on, used for model selection (best checkpoint), or reported. */
export type Split = 'train' | 'val' | 'test';

/** Seed of the validation/test crops of the demo photos: fixed, so every run sees the same ones. */
const DEMO_EVAL_SEED = 0x5eed;

/**
 * The folder of the bundled demo photos (`apps/experiments/assets/demo`), found from this module's
 * location both in `src/` (tests, tsx) and in `dist/` (the built CLI).
 */
export function demoAssetsDir(): string {
  const root = experimentsPackageRoot();
  const dir = root === null ? null : join(root, 'assets', 'demo');
  if (dir === null || !existsSync(dir)) {
    throw inputError(
      "data: 'demo' needs the bundled photos in apps/experiments/assets/demo, which were not found next to this installation. Point data.train / data.val at an image folder instead.",
    );
  }
  return dir;
}

/**
 * How the demo photos are split: every photo contributes to all three sets, from disjoint
 * regions — training crops from the right half of each photo, validation crops from the bottom
 * left quarter, test crops from the top left quarter — so held-out crops are never seen in
 * training (and test crops never in model selection), yet share the photos' colour statistics (a
 * photo-level split of six photos would hold out whole colour palettes, e.g. the only blue sky).
 * Each held-out quarter is at least half the photo's shorter side on each side, so with photos
 * resized to twice the crop side (`data.decodeShorterSide`, the demo's Table 1 runs) a test crop
 * shows a whole quarter of a square photo — the astronaut's face, the cat's eye, the retina's
 * optic disc — rather than a patch of fur or sky. (Square photos then have one crop position per
 * held-out quarter: their test crops repeat.) At full resolution the smallest photo (451×300)
 * gives 225×150 px held-out regions.
 */
export const DEMO_REGIONS: Readonly<Record<Split, CropRegion>> = Object.freeze({
  train: { left: 0.5, top: 0, width: 0.5, height: 1 },
  val: { left: 0, top: 0.5, width: 0.5, height: 0.5 },
  test: { left: 0, top: 0, width: 0.5, height: 0.5 },
});

/** Every bundled demo photo (sorted); see {@link DEMO_REGIONS} for the split. */
export async function demoPhotos(): Promise<string[]> {
  return scanImageFolder(demoAssetsDir());
}

/** The config key naming each split's source. */
export const SPLIT_KEYS: Readonly<Record<Split, string>> = {
  train: 'data.train',
  val: 'data.val',
  test: 'data.test',
};

/**
 * How @vqkit/data's messages name a folder loader's options: the config keys a user can change,
 * null for what the CLI does not expose (never suggested as a fix).
 */
export const FOLDER_SETTING_NAMES: SettingNames<LoaderSetting> = Object.freeze({
  batchSize: 'train.batchSize',
  cropsPerImage: 'data.cropsPerImage',
  transform: 'data.transform',
  flip: 'data.flip',
  size: 'data.size',
  maxPixels: 'data.maxPixels',
  cacheDir: 'data.cacheDir',
  range: 'data.range',
  dropLast: null,
  shuffle: null,
  onUnreadable: null,
  prefetch: null,
  concurrency: null,
  split: null,
  seed: 'seed',
  resizeTo: null,
  scale: null,
  ratio: null,
  maxShorterSide: null,
  flipProbability: null,
  shardSize: null,
  minSide: null,
  background: null,
  failOn: null,
  kernel: null,
});

/** The same for the demo photos' random-crop loader; `count` is the key of the number of crops. */
function demoSettingNames(count: string): RandomCropOptions['settingNames'] {
  return {
    batchSize: 'train.batchSize',
    cropSize: 'data.size',
    cropsPerEpoch: count,
    flip: 'data.flip',
    maxPixels: 'data.maxPixels',
    range: 'data.range',
    dropLast: null,
    region: null,
    scaleRange: null,
    decodeShorterSide: 'data.decodeShorterSide',
    prefetch: null,
    concurrency: null,
    seed: 'seed',
    background: null,
    failOn: null,
    kernel: null,
  };
}

/** Rewraps @vqkit/data errors (missing/empty folders, bad options, failed checks) as input errors naming the config key. */
async function wrapData<T>(key: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof DataError) throw inputError(`${key}: ${error.message}`, error);
    throw error;
  }
}

/** Evenly spaced subset of `n` files (deterministic, spread over class folders), order kept. */
function spread(files: string[], n: number | undefined | null): string[] {
  if (n === undefined || n === null || n >= files.length) return files;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(files[Math.floor((i * files.length) / n)]!);
  return out;
}

/**
 * Options that apply to image folders only, refused with `'demo'` rather than ignored when set to
 * anything but @vqkit/data's default (a schema that fills the defaults in stays accepted).
 */
function refuseFolderOnly(config: RunConfig, split: Split): void {
  const { transform, cropsPerImage } = config.data;
  const set = [
    ...(transform !== undefined && transform !== DEFAULT_TRANSFORM ? ['transform'] : []),
    ...(cropsPerImage !== undefined && cropsPerImage !== DEFAULT_CROPS_PER_IMAGE
      ? ['cropsPerImage']
      : []),
  ];
  if (set.length === 0) return;
  throw inputError(
    `${SPLIT_KEYS[split]}: ${set.map((k) => `data.${k}`).join(' and ')} appl${set.length === 1 ? 'ies' : 'y'} to image folders, but ${SPLIT_KEYS[split]} is 'demo', which cuts random crops of the bundled photos. ` +
      `Remove ${set.map((k) => `data.${k}`).join(' and ')}${split === 'train' ? ', or set data.cropsPerEpoch for the number of crops' : ''}.`,
  );
}

/** `data.decodeShorterSide` applies to the bundled photos only: refused with an image folder. */
function refuseDemoOnly(config: RunConfig, key: string): void {
  if (config.data.decodeShorterSide === undefined) return;
  const fix =
    key === '--data'
      ? 'This run was trained on the bundled photos at that scale: evaluate it on them (--data demo, or no --data).'
      : "Remove data.decodeShorterSide, or set every split to 'demo'.";
  throw inputError(
    `${key}: data.decodeShorterSide applies to 'demo' data (it resizes the bundled photos before crops are cut), but ${key} is an image folder, which data.transform resizes to data.size. ${fix}`,
  );
}

/** How the bundled photos are decoded: full resolution, or resized to `data.decodeShorterSide`. */
function demoDecode(config: RunConfig): Pick<RandomCropOptions, 'decodeShorterSide'> {
  const side = config.data.decodeShorterSide;
  return side === undefined ? {} : { decodeShorterSide: side };
}

/** The pixel settings shared by every split's loader. */
function common(config: RunConfig) {
  const { data } = config;
  return {
    batchSize: config.train.batchSize,
    range: data.range,
    ...(data.maxPixels === undefined ? {} : { maxPixels: data.maxPixels }),
  };
}

/**
 * The training loader, checked: for a folder, `data.transform` of every image (`cropsPerImage`
 * samples each), `data.flip`, reshuffled each epoch (seeded by `config.seed`), decoded no larger
 * than the transform needs and refused above `data.maxPixels`; for `'demo'`, `cropsPerEpoch`
 * random crops of the training regions of the photos (resized to `data.decodeShorterSide` when
 * set, as every split is). `loader.check()` has proved that it yields
 * a full batch.
 *
 * @throws ExperimentsError (exit 2) naming `data.train` when the folder is missing, empty or
 *   holds too few readable images.
 */
export async function createTrainLoader(config: RunConfig): Promise<ImageLoader> {
  const { data, seed } = config;
  const flip = data.flip === undefined ? {} : { flip: data.flip };
  if (data.train === DEMO_DATA) {
    refuseFolderOnly(config, 'train');
    const files = await demoPhotos();
    return checked('data.train', () =>
      randomCropDataset({
        files,
        region: DEMO_REGIONS.train,
        cropSize: data.size,
        cropsPerEpoch: data.cropsPerEpoch ?? 1024,
        seed,
        settingNames: demoSettingNames('data.cropsPerEpoch'),
        ...flip,
        ...demoDecode(config),
        ...common(config),
      }),
    );
  }
  refuseDemoOnly(config, 'data.train');
  return checked('data.train', async () =>
    createLoader({
      files: await scanImageFolder(data.train),
      split: 'train',
      size: data.size,
      seed,
      settingNames: FOLDER_SETTING_NAMES,
      ...(data.transform === undefined ? {} : { transform: data.transform }),
      ...(data.cropsPerImage === undefined ? {} : { cropsPerImage: data.cropsPerImage }),
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
      ...flip,
      ...common(config),
    }),
  );
}

/**
 * The loader of a held-out split (`val` or `test`, or any folder for `source`), checked: the same
 * images in the same order for every run with the same data — `data.transform` without flips for
 * folders, fixed-seed crops of the split's region of the photos for `'demo'`. `limit` caps the
 * number of images (null = all).
 *
 * @throws ExperimentsError (exit 2) naming `key` when the source holds no readable image.
 */
export async function createEvalLoader(
  config: RunConfig,
  split: Exclude<Split, 'train'>,
  source: string,
  limit: number | null | undefined,
  key: string,
): Promise<ImageLoader> {
  const { data } = config;
  if (source === DEMO_DATA) {
    refuseFolderOnly(config, split);
    const files = await demoPhotos();
    return checked(key, () =>
      randomCropDataset({
        files,
        region: DEMO_REGIONS[split],
        cropSize: data.size,
        cropsPerEpoch: limit ?? data.valImages ?? 64,
        flip: false,
        dropLast: false,
        seed: DEMO_EVAL_SEED,
        prefetch: 1,
        settingNames: demoSettingNames(split === 'val' ? 'data.valImages' : 'eval.images'),
        ...demoDecode(config),
        ...common(config),
      }),
    );
  }
  refuseDemoOnly(config, key);
  return checked(key, async () =>
    createLoader({
      files: spread(await scanImageFolder(source), limit),
      split: 'eval',
      size: data.size,
      settingNames: FOLDER_SETTING_NAMES,
      ...(data.transform === undefined ? {} : { transform: data.transform }),
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
      ...common(config),
    }),
  );
}

/** Creates a loader and proves it yields a batch (`loader.check()`), both under `key`'s name. */
function checked(key: string, create: () => Promise<ImageLoader>): Promise<ImageLoader> {
  return wrapData(key, async () => {
    const loader = await create();
    await loader.check();
    return loader;
  });
}

/** Each split's `loader.settings`, as runs record them (the report never pools runs whose settings differ). */
export function splitSettings(
  loaders: Partial<Record<Split, ImageLoader>>,
): Partial<Record<Split, DataSettings>> {
  const out: Partial<Record<Split, DataSettings>> = {};
  for (const [split, loader] of Object.entries(loaders) as [Split, ImageLoader][]) {
    out[split] = loader.settings;
  }
  return out;
}
