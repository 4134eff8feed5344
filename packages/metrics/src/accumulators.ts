import * as tf from '@tensorflow/tfjs-core';
import { MetricsError } from './errors';
import { type ReconstructionOptions, reconstructionMetrics } from './reconstruction';
import { MeanStdAccumulator, type SummaryOptions, type SummaryStats } from './stats';
import { type UsageSummary, type UsageSummaryOptions, usageSummary } from './usage';
import { type Counts, checkCounts, positiveInteger } from './validate';

/** Per-image values of one batch; every array given must have the same length (one entry per image). */
export interface ReconstructionBatch {
  /** MSE per image (finite, ≥ 0). */
  mse?: ArrayLike<number>;
  /** PSNR per image in dB (+Infinity allowed: exact reconstructions, counted apart). */
  psnr?: ArrayLike<number>;
  /** SSIM per image (finite, in [−1, 1]). */
  ssim?: ArrayLike<number>;
}

/** Mean ± std of every metric fed to a {@link ReconstructionAccumulator}; null for a metric never fed. */
export interface ReconstructionSummary {
  /** Images seen (the largest count over the metrics). */
  images: number;
  mse: SummaryStats | null;
  psnr: SummaryStats | null;
  ssim: SummaryStats | null;
}

/**
 * Streams per-image MSE / PSNR / SSIM over a whole evaluation set, batch by batch, without keeping
 * the values: the result equals `summarize` of the concatenated values bitwise, in any chunking.
 *
 * @example
 * const acc = new ReconstructionAccumulator();
 * for (const [x, y] of batches) await acc.addImages(x, y, { dataRange: 1, ssim: true });
 * acc.result().psnr; // { mean, std, count, infiniteCount, min, max }
 */
export class ReconstructionAccumulator {
  private readonly stats: Record<'mse' | 'psnr' | 'ssim', MeanStdAccumulator>;
  private readonly used = { mse: false, psnr: false, ssim: false };

  /** @param options.ddof std degrees-of-freedom correction. @default 0 */
  constructor(options: SummaryOptions = {}) {
    this.stats = {
      mse: new MeanStdAccumulator(options),
      psnr: new MeanStdAccumulator(options),
      ssim: new MeanStdAccumulator(options),
    };
  }

  /**
   * Adds one batch of per-image values. The batch is validated as a whole first (a rejected batch
   * changes nothing).
   * @throws MetricsError for arrays of different lengths, an empty batch, negative or non-finite MSE,
   *   NaN or −Infinity PSNR, or SSIM outside [−1, 1].
   */
  add(batch: ReconstructionBatch): this {
    const fn = 'ReconstructionAccumulator.add';
    const entries = (['mse', 'psnr', 'ssim'] as const).filter((k) => batch?.[k] !== undefined);
    if (entries.length === 0) {
      throw new MetricsError(
        `${fn}: the batch has none of mse, psnr, ssim; pass e.g. { mse, psnr } arrays.`,
      );
    }
    const n = batch[entries[0]!]!.length;
    for (const k of entries) {
      const values = batch[k]!;
      if (values.length !== n) {
        throw new MetricsError(
          `${fn}: per-image arrays must have the same length, got ${entries.map((e) => `${e} ${batch[e]!.length}`).join(', ')}.`,
        );
      }
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        const bad =
          k === 'mse'
            ? !Number.isFinite(v) || v < 0
            : k === 'ssim'
              ? !Number.isFinite(v) || v < -1 - 1e-6 || v > 1 + 1e-6
              : Number.isNaN(v) || v === Number.NEGATIVE_INFINITY;
        if (bad) {
          const expected =
            k === 'mse'
              ? 'a finite number ≥ 0'
              : k === 'ssim'
                ? 'a finite number in [-1, 1]'
                : 'a number or +Infinity';
          throw new MetricsError(`${fn}: ${k}[${i}] must be ${expected}, got ${v}.`);
        }
      }
    }
    if (n === 0)
      throw new MetricsError(`${fn}: the batch is empty; pass at least one per-image value.`);
    for (const k of entries) {
      this.stats[k].add(batch[k]!, k);
      this.used[k] = true;
    }
    return this;
  }

  /**
   * Computes MSE, PSNR (and SSIM if asked) of a batch on device and adds them; only a small [≤3, B]
   * matrix is read back (asynchronously, so it works on webgpu).
   * @param x images [B, H, W, C]. @param y reconstructions [B, H, W, C].
   */
  async addImages(x: tf.Tensor, y: tf.Tensor, options: ReconstructionOptions): Promise<this> {
    return this.add(await reconstructionMetrics(x, y, options));
  }

  /** Images seen so far (the largest count over the metrics). */
  get images(): number {
    return Math.max(this.stats.mse.size, this.stats.psnr.size, this.stats.ssim.size);
  }

  /**
   * Mean ± std of each metric fed so far (null for a metric never fed).
   * @throws MetricsError when no batch was added.
   */
  result(): ReconstructionSummary {
    if (this.images === 0) {
      throw new MetricsError(
        'ReconstructionAccumulator.result: no batch was added; an empty set has no mean.',
      );
    }
    return {
      images: this.images,
      mse: this.used.mse ? this.stats.mse.result() : null,
      psnr: this.used.psnr ? this.stats.psnr.result() : null,
      ssim: this.used.ssim ? this.stats.ssim.result() : null,
    };
  }

  /** Forgets everything. */
  reset(): this {
    for (const k of ['mse', 'psnr', 'ssim'] as const) {
      this.stats[k].reset();
      this.used[k] = false;
    }
    return this;
  }
}

/**
 * Streams code assignments of one codebook (K entries) over an evaluation set and reports every usage
 * metric. Fed with index arrays, precomputed counts or index tensors (counted on device); counts are
 * sums of integers, so the result is identical to the one-shot metrics in any chunking.
 *
 * @example
 * const usage = new CodeUsageAccumulator(8192);
 * for (const batch of batches) await usage.addIndexTensor(indices);
 * usage.result(); // { perplexity, normalizedPerplexity, activeCodes, deadFraction, gini, ... }
 * lorenzCurve(usage.counts());
 */
export class CodeUsageAccumulator {
  /** K. */
  readonly codebookSize: number;
  private readonly tally: Float64Array;
  private sum = 0;

  /** @param codebookSize K, the number of code vectors. */
  constructor(codebookSize: number) {
    this.codebookSize = positiveInteger('CodeUsageAccumulator', 'codebookSize', codebookSize);
    this.tally = new Float64Array(this.codebookSize);
  }

  /**
   * Adds flat code indices (any shape, flattened), each an integer in [0, K).
   * @throws MetricsError for a non-integer or out-of-range index (nothing is added then).
   */
  addIndices(indices: ArrayLike<number>): this {
    const k = this.codebookSize;
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= k) {
        throw new MetricsError(
          `CodeUsageAccumulator.addIndices: indices[${i}] = ${v} is not a code index in [0, ${k}). Check codebookSize or the indices' source.`,
        );
      }
    }
    for (let i = 0; i < indices.length; i++) this.tally[indices[i]!]! += 1;
    this.sum += indices.length;
    return this;
  }

  /**
   * Adds per-code counts (length K, finite, ≥ 0), e.g. a quantizer's batch usage.
   * @throws MetricsError for a length mismatch or negative / non-finite counts.
   */
  addCounts(counts: Counts): this {
    const fn = 'CodeUsageAccumulator.addCounts';
    const total = checkCounts(fn, counts);
    if (counts.length !== this.codebookSize) {
      throw new MetricsError(
        `${fn}: counts has length ${counts.length}, expected codebookSize ${this.codebookSize}. Pass one count per code.`,
      );
    }
    for (let i = 0; i < counts.length; i++) this.tally[i]! += counts[i]!;
    this.sum += total;
    return this;
  }

  /**
   * Counts an int32 index tensor of any shape on device (tf.bincount) and reads back only the K counts
   * (asynchronously, so it works on webgpu). The tensor is not disposed.
   * @throws MetricsError when the tensor is not int32 or holds indices outside [0, K) (nothing is added).
   */
  async addIndexTensor(indices: tf.Tensor): Promise<this> {
    const fn = 'CodeUsageAccumulator.addIndexTensor';
    if (!(indices instanceof tf.Tensor) || indices.dtype !== 'int32') {
      throw new MetricsError(
        `${fn}: indices must be an int32 tensor (argmin output), got ${indices instanceof tf.Tensor ? indices.dtype : typeof indices}. Cast with tf.cast(t, 'int32') if needed.`,
      );
    }
    const k = this.codebookSize;
    const counts = tf.tidy(() => {
      const flat = tf.reshape(indices, [-1]) as tf.Tensor1D;
      // Negative indices are moved to K so that bincount ignores them, like every index ≥ K.
      const safe = tf.where(tf.less(flat, 0), tf.fill(flat.shape, k, 'int32'), flat) as tf.Tensor1D;
      return tf.bincount(safe, tf.tensor1d([], 'int32'), k);
    });
    let data: Int32Array | Float32Array | Uint8Array;
    try {
      data = await counts.data();
    } finally {
      counts.dispose();
    }
    let total = 0;
    for (let i = 0; i < data.length; i++) total += data[i]!;
    if (total !== indices.size) {
      throw new MetricsError(
        `${fn}: ${indices.size - total} of ${indices.size} indices lie outside [0, ${k}). Check codebookSize or the indices' source.`,
      );
    }
    for (let i = 0; i < k; i++) this.tally[i]! += data[i]!;
    this.sum += total;
    return this;
  }

  /** Total assignments so far. */
  get total(): number {
    return this.sum;
  }

  /** A copy of the per-code counts (length K), for `lorenzCurve` and friends. */
  counts(): Float64Array {
    return this.tally.slice();
  }

  /**
   * Every usage metric of the counts so far (see `usageSummary`).
   * @throws MetricsError when nothing was added.
   */
  result(options: UsageSummaryOptions = {}): UsageSummary {
    if (this.sum === 0) {
      throw new MetricsError(
        'CodeUsageAccumulator.result: no assignments were added; feed at least one batch.',
      );
    }
    return usageSummary(this.tally, options);
  }

  /** Forgets every assignment. */
  reset(): this {
    this.tally.fill(0);
    this.sum = 0;
    return this;
  }
}
