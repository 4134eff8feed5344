import * as tf from '@tensorflow/tfjs-core';
import type { ImageLoader } from '@vqkit/data';
import { msePerImage } from '@vqkit/metrics';
import type { VQVAE } from '@vqkit/models';
import { yieldToEventLoop } from '../interrupt';
import { levelCounts } from '../train/level-counts';
import { levelUsage } from '../train/level-usage';

/** Per-image results and per-level code counts of one pass over an evaluation loader. */
export interface EvalPassResult {
  images: number;
  /** Per-image mean squared error over all pixels and channels. */
  mse: number[];
  /** Per-image SSIM (only when requested). */
  ssim: number[];
  /** Per level (model.levels order): assignment counts over the whole pass (`levelUsage`'s codes each). */
  counts: Float64Array[];
  /**
   * `samples` images and their reconstructions, NHWC floats of one image each: the first image of
   * each source file in pass order, then the earliest of the others (see {@link SampleKeeper}).
   */
  samples: SamplePair[];
  /** Side S of the images. */
  size: number;
  /** True when `signal` stopped the pass before its last batch (the results cover `images` only). */
  interrupted: boolean;
}

/** One saved sample: an image and its reconstruction, NHWC floats. */
export interface SamplePair {
  original: Float32Array;
  reconstruction: Float32Array;
}

/**
 * Which images of a pass are kept as samples (Figure 3's rows): the first image of each source
 * file, in pass order, then — when the files are fewer than `wanted` — the earliest of the other
 * images. A folder (one image per file) gives its first `wanted` images; a few photos cut into
 * many crops give one crop of each photo before any photo repeats.
 */
export class SampleKeeper {
  private readonly firsts: SamplePair[] = [];
  private readonly others: SamplePair[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly wanted: number) {}

  /** Whether any image of a batch with these source paths would be kept (so its pixels are needed). */
  wants(paths: readonly string[]): boolean {
    if (this.firsts.length >= this.wanted) return false;
    return this.others.length < this.wanted || paths.some((p) => !this.seen.has(p));
  }

  /** Offers the next image of the pass, from file `path`; `pair` makes its pixels when kept. */
  offer(path: string, pair: () => SamplePair): void {
    if (this.firsts.length >= this.wanted) return;
    if (!this.seen.has(path)) {
      this.seen.add(path);
      this.firsts.push(pair());
    } else if (this.others.length < this.wanted) this.others.push(pair());
  }

  /** The kept samples, at most `wanted`. */
  samples(): SamplePair[] {
    return [...this.firsts, ...this.others].slice(0, this.wanted);
  }
}

/** Options of {@link runEvalPass}. */
export interface EvalPassOptions {
  /** Compute per-image SSIM with this function (`[B,S,S,3]` × 2 → `[B]`). @default none */
  ssim?: (x: tf.Tensor4D, y: tf.Tensor4D) => tf.Tensor1D;
  /** Keep this many (original, reconstruction) pairs (see {@link SampleKeeper}). @default 0 */
  samples?: number;
  /** Called after each batch with the images done so far. */
  onBatch?: (done: number) => void;
  /** Aborting it stops the pass after the current batch (`interrupted: true`). */
  signal?: AbortSignal;
}

/**
 * Runs the model in evaluation mode (no codebook update) over one epoch of `loader` (epoch 0: the
 * loader's fixed evaluation order), reading back per-image MSE, optional SSIM and the code counts.
 * Reads are `await t.data()` per batch, so this works on webgpu; each batch ends with a turn of
 * the event loop, so a signal handler runs (and `signal` stops the pass) even when the batches
 * come from memory and every read resolves as a microtask.
 */
export async function runEvalPass(
  model: VQVAE,
  loader: ImageLoader,
  options: EvalPassOptions = {},
): Promise<EvalPassResult> {
  const keeper = new SampleKeeper(options.samples ?? 0);
  const result: EvalPassResult = {
    images: 0,
    mse: [],
    ssim: [],
    counts: levelUsage(model).map((u) => new Float64Array(u.codes)),
    samples: [],
    size: loader.size,
    interrupted: false,
  };
  let countSums: tf.Tensor1D[] | null = null;
  for await (const batch of loader.epoch(0)) {
    if (options.signal?.aborted) {
      result.interrupted = true;
      break;
    }
    const x = tf.tensor4d(batch.images, batch.shape, 'float32');
    const out = model.forward(x, { training: false });
    const perImage = msePerImage(x, out.reconstruction);
    const ssim = options.ssim ? options.ssim(x, out.reconstruction) : null;
    const previous: tf.Tensor1D[] | null = countSums;
    countSums = levelCounts(model, out.counts).map((c, i) =>
      previous === null ? tf.clone(c) : tf.add(previous[i]!, c),
    );
    if (previous !== null) tf.dispose(previous);
    const [mse, ssimValues] = await Promise.all([perImage.data(), ssim?.data()]);
    for (const v of mse) result.mse.push(v);
    if (ssimValues) for (const v of ssimValues) result.ssim.push(v);
    if (keeper.wants(batch.paths)) {
      const [orig, rec] = await Promise.all([x.data(), out.reconstruction.data()]);
      const per = batch.shape[1] * batch.shape[2] * batch.shape[3];
      batch.paths.forEach((path, b) => {
        keeper.offer(path, () => ({
          original: (orig as Float32Array).slice(b * per, (b + 1) * per),
          reconstruction: (rec as Float32Array).slice(b * per, (b + 1) * per),
        }));
      });
    }
    result.images += batch.shape[0];
    tf.dispose([x, out, perImage]);
    if (ssim) ssim.dispose();
    options.onBatch?.(result.images);
    await yieldToEventLoop();
  }
  result.samples = keeper.samples();
  if (countSums !== null) {
    const sums: tf.Tensor1D[] = countSums;
    for (let i = 0; i < sums.length; i++) result.counts[i]!.set(await sums[i]!.data());
    tf.dispose(sums);
  }
  return result;
}

/** Data range R of a pixel range: 1 for [0, 1], 2 for [−1, 1]. */
export function dataRangeOf(range: '0,1' | '-1,1'): number {
  return range === '0,1' ? 1 : 2;
}
