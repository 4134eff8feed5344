import * as tf from '@tensorflow/tfjs-core';
import { QuantizerError } from './errors';

function checkCounts(fn: string, counts: tf.Tensor): void {
  if (counts.rank !== 1 || counts.shape[0]! < 1) {
    throw new QuantizerError(
      `${fn}: counts must be a non-empty 1-D tensor [K] of per-code assignment counts, got shape [${counts.shape}].`,
    );
  }
}

/**
 * Perplexity of an assignment distribution, on device (no read): `exp(H(p))` with
 * `p_k = c_k / Σ_j c_j` and `H(p) = −Σ_k p_k log p_k` (0 log 0 = 0). It is the effective number
 * of codes in use: `K` for uniform usage, 1 when one code takes everything. All-zero counts give 0.
 *
 * @param counts - per-code counts `[K]` (any non-negative numbers; only ratios matter).
 * @returns scalar float32.
 */
export function perplexity(counts: tf.Tensor1D): tf.Scalar {
  checkCounts('perplexity', counts);
  return tf.tidy(() => {
    const c = tf.cast(counts, 'float32');
    const total = tf.sum(c);
    const p = tf.div(c, tf.maximum(total, tf.scalar(1e-30)));
    const plogp = tf.where(
      tf.greater(p, 0),
      tf.mul(p, tf.log(tf.maximum(p, 1e-30))),
      tf.zerosLike(p),
    );
    const ppl = tf.exp(tf.neg(tf.sum(plogp)));
    return tf.where(tf.greater(total, 0), ppl, tf.scalar(0)) as tf.Scalar;
  });
}

/**
 * Fraction of codes whose count is below `threshold`, on device (no read).
 *
 * @param counts - per-code counts `[K]`.
 * @param threshold - a code with `count < threshold` is dead. @default 1 (never assigned)
 * @returns scalar float32 in [0, 1].
 */
export function deadFraction(counts: tf.Tensor1D, threshold = 1): tf.Scalar {
  checkCounts('deadFraction', counts);
  if (!Number.isFinite(threshold)) {
    throw new QuantizerError(`deadFraction: threshold must be a finite number, got ${threshold}.`);
  }
  return tf.tidy(() => tf.mean(tf.cast(tf.less(counts, threshold), 'float32')) as tf.Scalar);
}

/** Numbers describing code usage, as returned by {@link readUsage}. */
export interface CodeUsage {
  /** exp of the entropy of the assignment distribution (effective number of codes). */
  perplexity: number;
  /** Fraction of codes with count below the threshold. */
  deadFraction: number;
  /** Total number of assignments counted. */
  total: number;
  /** Number of codes K. */
  codebookSize: number;
}

/**
 * Reads {@link perplexity}, {@link deadFraction} and the total of `counts` back to the host
 * (async: works on webgpu). Does not dispose `counts`.
 *
 * @param counts - per-code counts `[K]`.
 * @param threshold - dead-code threshold for {@link deadFraction}. @default 1
 */
export async function readUsage(counts: tf.Tensor1D, threshold = 1): Promise<CodeUsage> {
  const packed = tf.tidy(() =>
    tf.stack([
      perplexity(counts),
      deadFraction(counts, threshold),
      tf.sum(tf.cast(counts, 'float32')),
    ]),
  );
  try {
    const [ppl, dead, total] = await packed.data();
    return { perplexity: ppl!, deadFraction: dead!, total: total!, codebookSize: counts.shape[0]! };
  } finally {
    packed.dispose();
  }
}
