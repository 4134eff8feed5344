import { performance } from 'node:perf_hooks';
import { Rng } from '@vqkit/random';
import sharp from 'sharp';
import { ShardCache } from './cache';
import { commonFolder } from './common-folder';
import { centerCropBox, randomResizedCropBox } from './crop';
import type { FolderDataSettings } from './data-settings';
import { DEFAULT_KERNEL, decodeImage, type RgbImage } from './decode';
import { DataError, type SkippedImage } from './errors';
import type { BatchLoader, LoaderCheck, Sample, SampleSource } from './loader-core';
import type { ResolvedLoaderOptions } from './loader-options';
import { deriveSeed, STREAM } from './seed';
import { either } from './setting-names';
import { cropResize, extractRegion } from './transform';

/** Unreadable files tried in a row for one batch slot before the loader gives up. */
const MAX_SUBSTITUTES = 32;
/** Unusable files quoted, with their reasons, in a failed check's message. */
const QUOTED_REASONS = 3;

type BaseResult = { image: RgbImage } | { skipped: SkippedImage };

/**
 * Samples from image files. Each file is decoded into its base image — what the transform
 * starts from: the final `size` × `size` image for `'resize'` and `'center-crop'`, the
 * shrunk-on-load image for `'random-resized-crop'` — directly or through the shard cache (the
 * same pixels either way); each sample then applies its own random crop and flip. An epoch is
 * files × cropsPerImage samples.
 */
export class FileSource implements SampleSource {
  readonly length: number;
  readonly settings: FolderDataSettings;
  private loader!: BatchLoader;
  private cache: ShardCache | undefined;
  private readonly bad = new Map<number, SkippedImage>();
  private order: { epoch: number; perm: Int32Array } | undefined;

  constructor(private readonly o: ResolvedLoaderOptions) {
    this.length = o.files.length * o.cropsPerImage;
    this.settings = o.settings;
  }

  attach(loader: BatchLoader): void {
    this.loader = loader;
    const { cacheDir, files, shardSize, decode, plan } = this.o;
    if (cacheDir === undefined) return;
    this.cache = new ShardCache({
      dir: cacheDir,
      dirName: this.o.name('cacheDir'),
      files,
      shardSize,
      key: {
        base: plan.kind === 'random-resized-crop' ? { maxShorterSide: plan.maxShorterSide } : plan,
        minSide: decode.minSide,
        maxPixels: this.settings.maxPixels,
        background: decode.background,
        failOn: decode.failOn,
        kernel: decode.kernel,
        vips: sharp.versions.vips,
      },
      compute: (path) => this.decode(path),
      limit: loader.limiter,
      stats: loader.statsCollector,
      onProgress: this.o.onCacheProgress,
    });
  }

  prepare(): Promise<void> {
    return this.cache ? this.cache.prepare() : Promise.resolve();
  }

  noFullBatch(batchSize: number): string {
    const { fn, name, files, cropsPerImage } = this.o;
    const n = files.length;
    const fixes = [`lower ${name('batchSize')}`, 'add images'];
    if (name.offers('cropsPerImage')) {
      fixes.push(`set ${name('cropsPerImage')} to ${Math.ceil(batchSize / n)} or more`);
    }
    if (name.offers('dropLast')) fixes.push(`set ${name('dropLast')} to false`);
    return `${fn}: ${n} image(s) × ${name('cropsPerImage')} = ${cropsPerImage} give ${this.length} sample(s) per epoch, no full batch of ${name('batchSize')} = ${batchSize}. To fix it, ${either(fixes)}.`;
  }

  /** Decodes a file into its base image. */
  private async decode(path: string): Promise<RgbImage> {
    const stats = this.loader.statsCollector;
    const t0 = performance.now();
    try {
      const image = await decodeImage(path, this.o.decode);
      if (this.o.plan.kind !== 'center-crop') return image;
      const { size } = this.o.plan;
      return extractRegion(image, centerCropBox(image.width, image.height, size));
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

  /** The file of sample `position` in epoch `epoch`: a shuffled item, cropsPerImage per file. */
  private fileAt(epoch: number, position: number): number {
    if (!this.o.shuffle) return Math.floor(position / this.o.cropsPerImage);
    if (this.order?.epoch !== epoch) {
      const perm = new Rng(deriveSeed(this.o.common.seed, STREAM.shuffle, epoch)).permutation(
        this.length,
      );
      this.order = { epoch, perm };
    }
    return Math.floor(this.order.perm[position]! / this.o.cropsPerImage);
  }

  async produce(epoch: number, position: number): Promise<Sample | null> {
    const { files, plan, flipProbability } = this.o;
    let index = this.fileAt(epoch, position);
    const rng = new Rng(deriveSeed(this.o.common.seed, STREAM.sample, epoch, position));
    let image: RgbImage | undefined;
    for (let attempt = 0; attempt <= MAX_SUBSTITUTES; attempt++) {
      const result = await this.base(index);
      if ('image' in result) {
        image = result.image;
        break;
      }
      if (this.o.onUnreadable === 'drop') return null;
      index = rng.int(files.length);
    }
    if (!image) throw this.tooManyUnusable(epoch, position);
    if (plan.kind !== 'random-resized-crop') {
      return { pixels: image.data, path: files[index]!, flip: rng.uniform() < flipProbability };
    }
    const box = randomResizedCropBox(image.width, image.height, rng, plan);
    const flip = rng.uniform() < flipProbability;
    const pixels = await cropResize(image, box, plan.size, this.o.decode.kernel ?? DEFAULT_KERNEL);
    return { pixels, path: files[index]!, flip };
  }

  private tooManyUnusable(epoch: number, position: number): DataError {
    const skipped = this.loader.statsCollector.snapshot().skipped;
    return new DataError(
      `${this.o.fn}: ${MAX_SUBSTITUTES + 1} unusable images in a row while filling position ${position} of epoch ${epoch}; ${skipped.length} of ${this.o.files.length} files in "${commonFolder(this.o.files)}" are unusable so far (${quote(skipped)}). Check the folder and the skipped-file list${this.o.name.offers('minSide') ? `; lower ${this.o.name('minSide')} if the images are just small` : ''}.`,
    );
  }

  async check(batchSize: number, dropLast: boolean): Promise<LoaderCheck> {
    const { files, cropsPerImage } = this.o;
    const needed = dropLast ? Math.min(files.length, Math.ceil(batchSize / cropsPerImage)) : 1;
    const found = this.cache ? await this.checkCached() : await this.probe(needed);
    const skipped = this.loader.statsCollector
      .snapshot()
      .skipped.filter((s) => found.skipped.has(s.path));
    const { probed, usable } = found;
    const report: LoaderCheck = { files: files.length, probed, usable, needed, skipped };
    if (report.usable < needed) throw this.checkFailed(report, batchSize);
    return report;
  }

  /** Decodes files in file order, a few at a time, until `needed` are usable. */
  private async probe(needed: number) {
    const total = this.o.files.length;
    let probed = 0;
    let usable = 0;
    const skipped = new Set<string>();
    const wave = this.o.common.concurrency;
    while (usable < needed && probed < total) {
      const end = Math.min(total, probed + Math.max(wave, needed - usable));
      const chunk = Array.from({ length: end - probed }, (_, i) => probed + i);
      const results = await Promise.all(chunk.map((i) => this.loader.limiter(() => this.base(i))));
      probed = end;
      for (const r of results) {
        if ('image' in r) usable++;
        else skipped.add(r.skipped.path);
      }
    }
    return { probed, usable, skipped };
  }

  /** With a cache, preparing it decodes (or validates) every file once: count from it. */
  private async checkCached() {
    await this.prepare();
    const skipped = new Set(this.loader.statsCollector.snapshot().skipped.map((s) => s.path));
    const n = this.o.files.length;
    return { probed: n, usable: n - skipped.size, skipped };
  }

  private checkFailed(report: LoaderCheck, batchSize: number): DataError {
    const { fn, name, files, cropsPerImage } = this.o;
    const batch =
      cropsPerImage > 1
        ? `one batch of ${name('batchSize')} = ${batchSize} with ${name('cropsPerImage')} = ${cropsPerImage}`
        : `one batch of ${name('batchSize')} = ${batchSize}`;
    const fixes = [
      'make the files readable JPEG/PNG/WebP images',
      'point the loader at the right folder',
    ];
    if (report.usable > 0) {
      fixes.push(`lower ${name('batchSize')}`);
      if (name.offers('cropsPerImage')) {
        const k = Math.ceil(batchSize / report.usable);
        fixes.push(`set ${name('cropsPerImage')} to ${k} or more`);
      }
    }
    return new DataError(
      `${fn}: the images in "${commonFolder(files)}" cannot make ${batch}: ${report.files} file(s), ${report.probed} checked, ${report.usable} usable, ${report.skipped.length} unusable (${quote(report.skipped)}); ${report.needed} usable image(s) are needed. To fix it, ${either(fixes)}.`,
    );
  }
}

/** The first few skipped files with their reasons, for a message. */
function quote(skipped: readonly SkippedImage[]): string {
  if (skipped.length === 0) return 'none listed';
  const shown = skipped.slice(0, QUOTED_REASONS).map((s) => `"${s.path}": ${s.reason}`);
  const more = skipped.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
