import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@vqkit/random';
import { KMEANS_INIT_DEFAULTS, RANDOM_INIT_DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import type { NearestCodeSearch } from './nearest-code';

/** What an {@link InitPolicy} receives when the quantizer initialises its codebook. */
export interface InitContext {
  /** Number of codes K. */
  codebookSize: number;
  /** Code dimension D. */
  codeDim: number;
  /** The quantizer's seeded generator; draw all randomness from it. */
  rng: Rng;
  /**
   * Encoder outputs `[N, D]` when the policy `needsData`, otherwise `null`. Non-finite entries
   * have already been replaced by 0 (and reported as a `'non-finite-input'` event).
   */
  batch: tf.Tensor2D | null;
  /** The quantizer's nearest-code search (for k-means style policies). */
  search: NearestCodeSearch;
  /** The quantizer's chunk size for `search`. */
  chunkSize: number;
}

/**
 * How a {@link VectorQuantizer} fills its codebook. A policy is a small value; write your own by
 * implementing this interface — the quantizer needs no change.
 *
 * Policies with `needsData: false` run in the constructor; policies with `needsData: true` run on
 * the first training batch (or an explicit `vq.initialize(z)`). `initialize` must not read
 * tensors back to the host (it runs on the training path, e.g. on webgpu). After any
 * initialisation the quantizer sets `N_k = 1`, `M_k = e_k`.
 */
export interface InitPolicy {
  /** Short name, used in events and saved state. */
  readonly name: string;
  /** Whether the policy needs a batch of encoder outputs. */
  readonly needsData: boolean;
  /** Returns the new codebook `[K, D]` float32 (the caller disposes it). */
  initialize(ctx: InitContext): tf.Tensor2D;
}

/**
 * The paper's initialisation: on the first training batch the codes become encoder outputs drawn
 * at random, without replacement when the batch has at least K vectors (with replacement
 * otherwise, which yields duplicate codes that the reset policy later revives).
 */
export function initFromData(): InitPolicy {
  return {
    name: 'from-data',
    needsData: true,
    initialize({ batch, codebookSize, rng }) {
      const z = requireBatch('initFromData', batch);
      const n = z.shape[0];
      const rows = rng.sample(n, codebookSize);
      return tf.tidy(() => tf.gather(z, tf.tensor1d(rows, 'int32')) as tf.Tensor2D);
    },
  };
}

/** Options of {@link initKMeans}. */
export interface KMeansInitOptions {
  /** Lloyd iterations after k-means++ seeding. @default 10 */
  iterations?: number;
  /**
   * At most this many vectors of the batch (drawn at random without replacement) are clustered.
   * Seeding costs O(K · maxSamples · D) device work in K sequential steps.
   * @default 16384
   */
  maxSamples?: number;
}

/**
 * k-means initialisation on the first training batch: k-means++ seeding (each next centre drawn
 * with probability ∝ D(x)², the squared distance to the nearest chosen centre) followed by Lloyd
 * iterations `e_k ← mean{x : k(x) = k}` (an empty cluster keeps its centre). Runs entirely on
 * device: each draw turns a host uniform `u` into the first index whose cumulative D² exceeds
 * `u · ΣD²`, so no value is read back.
 */
export function initKMeans(options: KMeansInitOptions = {}): InitPolicy {
  const iterations = options.iterations ?? KMEANS_INIT_DEFAULTS.iterations;
  const maxSamples = options.maxSamples ?? KMEANS_INIT_DEFAULTS.maxSamples;
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new QuantizerError(
      `initKMeans: iterations must be a non-negative integer, got ${iterations}. Use e.g. 10.`,
    );
  }
  if (!Number.isInteger(maxSamples) || maxSamples < 1) {
    throw new QuantizerError(
      `initKMeans: maxSamples must be a positive integer, got ${maxSamples}. Use e.g. 16384.`,
    );
  }
  return {
    name: 'kmeans',
    needsData: true,
    initialize({ batch, codebookSize: k, rng, search, chunkSize }) {
      const z = requireBatch('initKMeans', batch);
      const x = (
        z.shape[0] > maxSamples
          ? tf.tidy(() => tf.gather(z, tf.tensor1d(rng.sample(z.shape[0], maxSamples), 'int32')))
          : tf.clone(z)
      ) as tf.Tensor2D;
      try {
        return lloyd(x, kMeansPlusPlus(x, k, rng), iterations, search, chunkSize);
      } finally {
        x.dispose();
      }
    },
  };
}

/**
 * k-means++ seeding of `k` centres `[k, D]` among the rows of `x` `[n, D]`: the first uniformly,
 * each next one with probability ∝ D(x)², the squared distance to the nearest chosen centre (a
 * host uniform `u` picks the first row whose cumulative D² exceeds `u · ΣD²`, on device).
 */
function kMeansPlusPlus(x: tf.Tensor2D, k: number, rng: Rng): tf.Tensor2D {
  const n = x.shape[0];
  const centres: tf.Tensor2D[] = [];
  let minDist: tf.Tensor1D | null = null;
  try {
    for (let j = 0; j < k; j++) {
      const centre = tf.tidy(() => {
        if (minDist === null) {
          return tf.gather(x, tf.tensor1d([rng.int(n)], 'int32')) as tf.Tensor2D;
        }
        const cdf = tf.cumsum(minDist);
        const target = tf.mul(tf.slice(cdf, [n - 1], [1]), rng.uniform());
        // First index whose cumulative weight exceeds the target.
        const idx = tf.minimum(
          tf.sum(tf.cast(tf.lessEqual(cdf, target), 'int32')),
          tf.scalar(n - 1, 'int32'),
        );
        return tf.gather(x, tf.reshape(idx, [1])) as tf.Tensor2D;
      });
      centres.push(centre);
      const next = tf.tidy(() => {
        const d = tf.sum(tf.squaredDifference(x, centre), 1) as tf.Tensor1D;
        return minDist === null ? d : (tf.minimum(minDist, d) as tf.Tensor1D);
      });
      minDist?.dispose();
      minDist = next;
    }
    return tf.concat(centres) as tf.Tensor2D;
  } finally {
    tf.dispose(centres);
    (minDist as tf.Tensor | null)?.dispose();
  }
}

/**
 * `iterations` Lloyd steps from `codebook` `[k, D]` (which it takes over and disposes):
 * `e_k ← mean{x : k(x) = k}` over the rows of `x` `[n, D]`; an empty cluster keeps its centre.
 */
function lloyd(
  x: tf.Tensor2D,
  codebook: tf.Tensor2D,
  iterations: number,
  search: NearestCodeSearch,
  chunkSize: number,
): tf.Tensor2D {
  const [n, d] = x.shape;
  const k = codebook.shape[0];
  let current = codebook;
  for (let it = 0; it < iterations; it++) {
    const next = tf.tidy(() => {
      const at = tf.reshape(search(x, current, { chunkSize }), [-1, 1]);
      const sums = tf.scatterND(at, x, [k, d]);
      const counts = tf.scatterND(at, tf.ones([n]), [k]);
      const mean = tf.div(sums, tf.reshape(tf.maximum(counts, 1), [k, 1]));
      return tf.where(tf.reshape(tf.greater(counts, 0), [k, 1]), mean, current) as tf.Tensor2D;
    });
    current.dispose();
    current = next;
  }
  return current;
}

/** Options of {@link initRandom}. */
export interface RandomInitOptions {
  /** Mean of every code entry. @default 0 */
  mean?: number;
  /** Standard deviation of every code entry. @default 1 */
  std?: number;
}

/** Codes drawn i.i.d. from 𝒩(mean, std²) with the quantizer's seeded generator (no data needed). */
export function initRandom(options: RandomInitOptions = {}): InitPolicy {
  const mean = options.mean ?? RANDOM_INIT_DEFAULTS.mean;
  const std = options.std ?? RANDOM_INIT_DEFAULTS.std;
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
    throw new QuantizerError(
      `initRandom: mean must be finite and std a finite number ≥ 0, got mean ${mean}, std ${std}.`,
    );
  }
  return {
    name: 'random',
    needsData: false,
    initialize({ codebookSize, codeDim, rng }) {
      const values = rng.fillNormal(new Float32Array(codebookSize * codeDim), mean, std);
      return tf.tensor2d(values, [codebookSize, codeDim]);
    },
  };
}

/**
 * An explicit codebook (tests, fine-tuning, loading a trained codebook into a new quantizer).
 *
 * @param codebook - `[K, D]` values: a tensor (copied when the quantizer is constructed; it is
 *   not disposed, keep it alive until then), a flat row-major array of K·D numbers, or K rows.
 */
export function initFromTensor(codebook: tf.Tensor2D | ArrayLike<number> | number[][]): InitPolicy {
  return {
    name: 'from-tensor',
    needsData: false,
    initialize({ codebookSize, codeDim }) {
      if (codebook instanceof tf.Tensor) {
        if (codebook.isDisposed) {
          throw new QuantizerError(
            'initFromTensor: the codebook tensor was disposed before the quantizer was constructed. Keep it alive until then.',
          );
        }
        if (
          codebook.rank !== 2 ||
          codebook.shape[0] !== codebookSize ||
          codebook.shape[1] !== codeDim
        ) {
          throw new QuantizerError(
            `initFromTensor: codebook must have shape [codebookSize, codeDim] = [${codebookSize},${codeDim}], got [${codebook.shape}].`,
          );
        }
        return tf.cast(codebook, 'float32') as tf.Tensor2D;
      }
      const flat =
        Array.isArray(codebook) && Array.isArray(codebook[0])
          ? (codebook as number[][]).flat()
          : Array.from(codebook as ArrayLike<number>);
      if (flat.length !== codebookSize * codeDim || flat.some((v) => !Number.isFinite(v))) {
        throw new QuantizerError(
          `initFromTensor: expected ${codebookSize}·${codeDim} = ${codebookSize * codeDim} finite values for a [${codebookSize},${codeDim}] codebook, got ${flat.length} values${flat.some((v) => !Number.isFinite(v)) ? ' (some non-finite)' : ''}.`,
        );
      }
      return tf.tensor2d(flat, [codebookSize, codeDim], 'float32');
    },
  };
}

function requireBatch(fn: string, batch: tf.Tensor2D | null): tf.Tensor2D {
  if (batch === null || batch.rank !== 2 || batch.shape[0] < 1) {
    throw new QuantizerError(
      `${fn}: needs a non-empty batch of encoder outputs [N, D]; got ${batch === null ? 'none' : `shape [${batch.shape}]`}. It runs on the first training forward or vq.initialize(z).`,
    );
  }
  return batch;
}
