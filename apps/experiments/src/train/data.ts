import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CropRegion,
  createLoader,
  DataError,
  type ImageLoader,
  randomCropDataset,
  scanImageFolder,
} from '@vqkit/data';
import { inputError } from '../config/errors';
import type { RunConfig } from '../config/schema';
import { experimentsPackageRoot } from '../run-dir';

/** The literal data source naming the bundled photos. */
export const DEMO_DATA = 'demo';

/** Seed of the validation/evaluation crops of the demo photos: fixed, so every run sees the same ones. */
const DEMO_VAL_SEED = 0x5eed;

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
 * How the demo photos are split: every photo contributes to both sets, from disjoint regions —
 * training crops come from the left three quarters of each photo, validation/evaluation crops from
 * the right quarter — so the held-out crops are never seen in training yet share the photos'
 * colour statistics (a photo-level split of six photos would hold out whole colour palettes, e.g.
 * the only blue sky).
 */
export const DEMO_REGIONS: Readonly<Record<'train' | 'val', CropRegion>> = Object.freeze({
  train: { left: 0, top: 0, width: 0.75, height: 1 },
  val: { left: 0.75, top: 0, width: 0.25, height: 1 },
});

/** Every bundled demo photo (sorted); see {@link DEMO_REGIONS} for the train/validation split. */
export async function demoPhotos(): Promise<string[]> {
  return scanImageFolder(demoAssetsDir());
}

/** Rewraps @vqkit/data errors (missing/empty folders, bad options) as input errors naming the config key. */
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
 * The training loader: for a folder, random resized crops + flips of every image, reshuffled each
 * epoch (seeded by `config.seed`); for `'demo'`, `cropsPerEpoch` random crops of the training regions of the photos.
 */
export async function createTrainLoader(config: RunConfig): Promise<ImageLoader> {
  const { data, train, seed } = config;
  const common = { batchSize: train.batchSize, seed, range: data.range };
  if (data.train === DEMO_DATA) {
    const photos = await demoPhotos();
    return wrapData('data.train', () =>
      randomCropDataset({
        files: photos,
        region: DEMO_REGIONS.train,
        cropSize: data.size,
        cropsPerEpoch: data.cropsPerEpoch ?? 1024,
        ...common,
      }),
    );
  }
  return wrapData('data.train', async () => {
    const files = await scanImageFolder(data.train);
    return createLoader({
      files,
      split: 'train',
      size: data.size,
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
      ...common,
    });
  });
}

/**
 * The validation/evaluation loader: the same images in the same order for every run with the same
 * data (resize shorter side + centre crop for folders; fixed-seed crops of the held-out regions of the photos for
 * `'demo'`). `limit` caps the number of images (null = all).
 */
export async function createEvalLoader(
  config: RunConfig,
  source: string,
  limit: number | null | undefined,
  key: string,
): Promise<ImageLoader> {
  const { data, train } = config;
  const batchSize = train.batchSize;
  if (source === DEMO_DATA) {
    const photos = await demoPhotos();
    return wrapData(key, () =>
      randomCropDataset({
        files: photos,
        region: DEMO_REGIONS.val,
        cropSize: data.size,
        cropsPerEpoch: limit ?? data.valImages ?? 64,
        flip: false,
        dropLast: false,
        batchSize,
        seed: DEMO_VAL_SEED,
        range: data.range,
        prefetch: 1,
      }),
    );
  }
  return wrapData(key, async () => {
    const files = spread(await scanImageFolder(source), limit);
    return createLoader({
      files,
      split: 'eval',
      size: data.size,
      batchSize,
      range: data.range,
      ...(data.cacheDir === undefined ? {} : { cacheDir: join(data.cacheDir, 'eval') }),
    });
  });
}
