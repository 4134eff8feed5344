import { FileSource } from './file-source';
import { type BatchLoader, type ImageLoader, makeCore } from './loader-core';
import { type LoaderOptions, resolveLoaderOptions } from './loader-options';

export type { LoaderOptions } from './loader-options';

/**
 * A loader over image files: seeded per-epoch shuffling, a transform (`'resize'` as the paper
 * does by default, `'center-crop'` or `'random-resized-crop'`, optional flips), several samples
 * per image (`cropsPerImage`), batching, bounded-concurrency prefetch, resumable position, and
 * an optional uint8 shard cache that never changes what a run sees. Images are decoded straight
 * to what the transform needs (libvips shrink-on-load), and files above `maxPixels` are refused
 * from their header, so decode memory stays bounded. Unreadable, corrupt, too-small and
 * too-large files never crash a run: they are skipped (see `onUnreadable`) and listed with
 * their reason in `stats().skipped`; `check()` proves a split yields a batch before training.
 *
 * @example
 * const files = await scanImageFolder('data/imagenet/train');
 * const loader = createLoader({ files, batchSize: 64, size: 256, seed: 1 });
 * await loader.check(); // DataError now, not after an epoch, if the folder cannot make a batch
 * for await (const { images, shape } of loader.epoch(0)) {
 *   // images: Float32Array NHWC, shape [64, 256, 256, 3], values in [0, 1]
 * }
 *
 * @throws {DataError} for invalid options (the message names the option and the fix).
 */
export function createLoader(options: LoaderOptions): ImageLoader {
  const fn = 'createLoader';
  const resolved = resolveLoaderOptions(fn, options);
  const source = new FileSource(resolved);
  const { plan, common, dropLast } = resolved;
  const loader = makeCore(fn, plan.size, common, dropLast, source) as BatchLoader;
  source.attach(loader);
  return loader;
}
