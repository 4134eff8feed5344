import type { DataSettings } from './data-settings';
import { DataError, type SkippedImage } from './errors';
import { createLimiter, type Limiter } from './limit';
import type { Namer } from './setting-names';
import { type LoaderStats, StatsCollector } from './stats';
import { type PixelRange, writeSample } from './transform';

/**
 * One batch, NHWC float32: `images[((b * S + y) * S + x) * 3 + c]`, `shape = [B, S, S, 3]`.
 * `paths[b]` is the source file of image b. `epoch` and `index` say where the batch sits.
 * B equals the loader's batchSize except for a final partial batch (`dropLast: false`) or when
 * unreadable files were dropped (`onUnreadable: 'drop'`).
 */
export interface ImageBatch {
  images: Float32Array;
  shape: [number, number, number, number];
  paths: string[];
  epoch: number;
  index: number;
}

/**
 * The data-order position of a loader, JSON-serialisable, for checkpoints: the next batch to be
 * delivered is batch `batch` of epoch `epoch`. `seed`, `length` and `batchSize` identify the
 * data order, so restoring a state into a loader with a different order is refused.
 */
export interface LoaderState {
  epoch: number;
  batch: number;
  seed: number;
  length: number;
  batchSize: number;
}

/**
 * A seeded, resumable source of image batches. Each epoch's order and every random crop and
 * flip are derived from (seed, epoch, position) alone, so a loader restored with
 * {@link ImageLoader.setState} delivers exactly the batches the uninterrupted run would have.
 *
 * @example
 * for (let e = loader.getState().epoch; e < epochs; e++) {
 *   for await (const batch of loader.epoch(e)) {
 *     train(batch);                       // batch.images: Float32Array [B, S, S, 3]
 *     checkpoint({ data: loader.getState() });
 *   }
 * }
 */
export interface ImageLoader {
  /** Side S of the square images in every batch. */
  readonly size: number;
  /** Images per full batch. */
  readonly batchSize: number;
  /** Items per epoch (files, or crops for a random-crop dataset). */
  readonly length: number;
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  /**
   * Everything that decides the pixels a run sees (transform, sizes, flips, crops per image,
   * decode settings), defaults filled in, JSON-serialisable: record it with a run, and never
   * pool the results of runs whose settings differ.
   */
  readonly settings: DataSettings;
  /**
   * Proves, before the first training step, that the loader yields at least one full batch:
   * decodes files (in file order; with a cache, by building it) until enough are
   * usable, and resolves with what it found. Files found unusable are also listed in
   * {@link stats}. Call it for every split right after creating the loaders, so a broken
   * validation folder fails before training, not after an epoch.
   * @throws {DataError} naming the folder, how many files were found and unusable, the first
   *   reasons, and the fix.
   */
  check(): Promise<LoaderCheck>;
  /**
   * Does the one-time work (cache build or validation, decoding of in-memory photos) so it can
   * be shown with progress before training; {@link epoch} awaits it too. Idempotent.
   */
  prepare(): Promise<void>;
  /**
   * Iterates the batches of epoch `e` (default: the state's epoch), from the state's batch when
   * `e` is the state's epoch, else from batch 0, decoding up to `prefetch` batches ahead. The
   * state advances as each batch is delivered; after the last one it points at batch 0 of
   * epoch `e + 1`. One iteration at a time per loader.
   */
  epoch(e?: number): AsyncGenerator<ImageBatch, void, undefined>;
  /** The current position (see {@link LoaderState}). */
  getState(): LoaderState;
  /** Moves to a position captured by {@link getState}, e.g. from a checkpoint. */
  setState(state: LoaderState): void;
  /** A copy of the counters: images seen, decodes, cache use, skipped files with reasons. */
  stats(): LoaderStats;
}

/** What {@link ImageLoader.check} found. */
export interface LoaderCheck {
  /** Image files (or photos) the loader reads. */
  files: number;
  /** Files decoded or read from the cache by the check. */
  probed: number;
  /** Usable files among those probed. */
  usable: number;
  /** Usable files one full batch needs. */
  needed: number;
  /** Unusable files found so far, sorted by path. */
  skipped: SkippedImage[];
}

/** One prepared sample: `size` × `size` × 3 uint8 pixels, its file, and whether to mirror it. */
export interface Sample {
  pixels: Uint8Array;
  path: string;
  flip: boolean;
}

/** What a concrete dataset supplies to the shared batching machinery. */
export interface SampleSource {
  length: number;
  settings: DataSettings;
  prepare(): Promise<void>;
  /** The sample at `position` of epoch `epoch`, or null when it is dropped. */
  produce(epoch: number, position: number): Promise<Sample | null>;
  /** See {@link ImageLoader.check}; `batchSize` and `dropLast` are the loader's. */
  check(batchSize: number, dropLast: boolean): Promise<LoaderCheck>;
  /** The error message for an epoch too short for one full batch (names the fixes). */
  noFullBatch(batchSize: number): string;
}

export interface CoreOptions {
  fn: string;
  size: number;
  batchSize: number;
  seed: number;
  dropLast: boolean;
  prefetch: number;
  range: PixelRange;
  limit: Limiter;
  stats: StatsCollector;
}

/** Validated settings common to every loader factory. */
export interface CommonLoaderOptions {
  /**
   * Images per batch.
   * @default 32
   */
  batchSize?: number;
  /**
   * Seed of the data order, crops and flips.
   * @default 0
   */
  seed?: number;
  /**
   * Batches decoded ahead of the one being consumed, so decoding overlaps compute; 0 decodes
   * each batch only when it is requested.
   * @default 2
   */
  prefetch?: number;
  /**
   * Maximum number of images decoded or cropped at once (sharp runs them on libuv's thread
   * pool, whose default size is 4; raise UV_THREADPOOL_SIZE together with this).
   * @default 4
   */
  concurrency?: number;
  /**
   * Value range of the float pixels: `'0,1'` (v / 255) or `'-1,1'` (v / 127.5 − 1).
   * @default '0,1'
   */
  range?: PixelRange;
}

export function checkInt(
  fn: string,
  name: string,
  value: unknown,
  min: number,
  hint: string,
): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new DataError(
      `${fn}: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}. ${hint}`,
    );
  }
}

/** Resolves and validates {@link CommonLoaderOptions}; `name` names them in messages. */
export function resolveCommon(
  fn: string,
  options: CommonLoaderOptions,
  name: Namer,
): { batchSize: number; seed: number; prefetch: number; concurrency: number; range: PixelRange } {
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 0;
  const prefetch = options.prefetch ?? 2;
  const concurrency = options.concurrency ?? 4;
  const range = options.range ?? '0,1';
  checkInt(fn, name('batchSize'), batchSize, 1, 'For example 32.');
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new DataError(
      `${fn}: ${name('seed')} must be a finite number, got ${JSON.stringify(seed)}. For example 42.`,
    );
  }
  checkInt(
    fn,
    name('prefetch'),
    prefetch,
    0,
    'Use 0 to disable prefetching, 2 to overlap decoding with compute.',
  );
  checkInt(fn, name('concurrency'), concurrency, 1, 'For example 4 (libuv thread pool size).');
  if (range !== '0,1' && range !== '-1,1') {
    throw new DataError(
      `${fn}: ${name('range')} must be '0,1' or '-1,1', got ${JSON.stringify(range)}.`,
    );
  }
  return { batchSize, seed: Math.floor(seed), prefetch, concurrency, range };
}

export function makeCore(
  fn: string,
  size: number,
  common: ReturnType<typeof resolveCommon>,
  dropLast: boolean,
  source: SampleSource,
): ImageLoader {
  return new BatchLoader(
    {
      fn,
      size,
      batchSize: common.batchSize,
      seed: common.seed,
      dropLast,
      prefetch: common.prefetch,
      range: common.range,
      limit: createLimiter(common.concurrency),
      stats: new StatsCollector(),
    },
    source,
  );
}

/** Batching, prefetching and resumable position shared by every dataset. */
export class BatchLoader implements ImageLoader {
  readonly size: number;
  readonly batchSize: number;
  readonly length: number;
  readonly batchesPerEpoch: number;
  readonly settings: DataSettings;
  private position = { epoch: 0, batch: 0 };
  private iterating = false;

  constructor(
    private readonly core: CoreOptions,
    private readonly source: SampleSource,
  ) {
    this.size = core.size;
    this.batchSize = core.batchSize;
    this.length = source.length;
    this.settings = source.settings;
    this.batchesPerEpoch = core.dropLast
      ? Math.floor(source.length / core.batchSize)
      : Math.ceil(source.length / core.batchSize);
    if (this.batchesPerEpoch === 0) throw new DataError(source.noFullBatch(core.batchSize));
  }

  check(): Promise<LoaderCheck> {
    return this.source.check(this.batchSize, this.core.dropLast);
  }

  /** Shared counters; datasets record decodes and skips here. */
  get statsCollector(): StatsCollector {
    return this.core.stats;
  }

  /** The loader's concurrency limiter; datasets run their one-time decoding through it. */
  get limiter(): Limiter {
    return this.core.limit;
  }

  prepare(): Promise<void> {
    return this.source.prepare();
  }

  getState(): LoaderState {
    return {
      epoch: this.position.epoch,
      batch: this.position.batch,
      seed: this.core.seed,
      length: this.length,
      batchSize: this.batchSize,
    };
  }

  setState(state: LoaderState): void {
    const fn = `${this.core.fn}: setState`;
    if (
      typeof state !== 'object' ||
      state === null ||
      !Number.isInteger(state.epoch) ||
      state.epoch < 0 ||
      !Number.isInteger(state.batch) ||
      state.batch < 0 ||
      state.batch >= this.batchesPerEpoch
    ) {
      throw new DataError(
        `${fn}: expected { epoch ≥ 0, batch in [0, ${this.batchesPerEpoch}), seed, length, batchSize } as returned by getState(), got ${JSON.stringify(state)}.`,
      );
    }
    const mine = this.getState();
    for (const key of ['seed', 'length', 'batchSize'] as const) {
      if (state[key] !== mine[key]) {
        throw new DataError(
          `${fn}: the saved state has ${key} = ${state[key]} but this loader has ${key} = ${mine[key]}, so its data order differs. Create the loader with the same files, samples per epoch (cropsPerImage or cropsPerEpoch), seed and batchSize as the run that saved the state.`,
        );
      }
    }
    if (this.iterating) {
      throw new DataError(
        `${fn}: called while an epoch() iteration is running. Finish or break out of it first.`,
      );
    }
    this.position = { epoch: state.epoch, batch: state.batch };
  }

  stats(): LoaderStats {
    return this.core.stats.snapshot();
  }

  async *epoch(e: number = this.position.epoch): AsyncGenerator<ImageBatch, void, undefined> {
    const fn = `${this.core.fn}: epoch`;
    if (!Number.isInteger(e) || e < 0) {
      throw new DataError(`${fn}: epoch must be an integer ≥ 0, got ${JSON.stringify(e)}.`);
    }
    if (this.iterating) {
      throw new DataError(
        `${fn}: another epoch() iteration of this loader is still running. Finish or break out of it before starting the next.`,
      );
    }
    this.iterating = true;
    try {
      await this.source.prepare();
      const total = this.batchesPerEpoch;
      let next = e === this.position.epoch ? this.position.batch : 0;
      const pending: { index: number; batch: Promise<ImageBatch | null> }[] = [];
      const start = () => {
        const index = next++;
        const batch = this.makeBatch(e, index);
        batch.catch(() => undefined); // observed when awaited; silences abandoned prefetches
        pending.push({ index, batch });
      };
      const { prefetch } = this.core;
      while (true) {
        // The batch needed next plus `prefetch` more; the FIFO limiter decodes them in order.
        while (next < total && pending.length < prefetch + 1) start();
        if (pending.length === 0) break;
        const head = pending.shift()!;
        const batch = await head.batch;
        this.position =
          head.index + 1 >= total
            ? { epoch: e + 1, batch: 0 }
            : { epoch: e, batch: head.index + 1 };
        // Keep `prefetch` batches decoding while the consumer works on this one.
        while (next < total && pending.length < prefetch) start();
        if (batch === null) continue;
        this.core.stats.batchesSeen++;
        this.core.stats.imagesSeen += batch.paths.length;
        yield batch;
      }
    } finally {
      this.iterating = false;
    }
  }

  private async makeBatch(epoch: number, index: number): Promise<ImageBatch | null> {
    const { batchSize, size, limit, range } = this.core;
    const first = index * batchSize;
    const last = Math.min(this.length, first + batchSize);
    const jobs: Promise<Sample | null>[] = [];
    for (let pos = first; pos < last; pos++) {
      jobs.push(limit(() => this.source.produce(epoch, pos)));
    }
    const samples = (await Promise.all(jobs)).filter((s): s is Sample => s !== null);
    if (samples.length === 0) return null;
    const perImage = size * size * 3;
    const images = new Float32Array(samples.length * perImage);
    samples.forEach((s, b) => {
      writeSample(images, b * perImage, s.pixels, size, s.flip, range);
    });
    return {
      images,
      shape: [samples.length, size, size, 3],
      paths: samples.map((s) => s.path),
      epoch,
      index,
    };
  }
}
