import * as tf from '@tensorflow/tfjs-core';
import { MetricsError } from './errors';
import { deadCodeThreshold } from './usage';

function checkCountsTensor(fn: string, counts: tf.Tensor): void {
  if (!(counts instanceof tf.Tensor) || counts.rank !== 1 || counts.size < 1) {
    throw new MetricsError(
      `${fn}: counts must be a non-empty 1-D tensor [K] of per-code assignment counts, got ${counts instanceof tf.Tensor ? `shape [${counts.shape}]` : typeof counts}. Pass e.g. a quantizer's counts output.`,
    );
  }
}

/**
 * {@link perplexity} on device, without reading back (so it runs on the training path on webgpu):
 * `exp(H(p))`, `p_k = c_k / Σ_j c_j`, `H(p) = −Σ_k p_k ln p_k` (0 ln 0 = 0); 1 when one code takes
 * everything (so 1 whenever K = 1 and the count is positive), 0 for all-zero counts.
 *
 * @param counts - per-code counts `[K]`, any non-negative numbers (only ratios matter).
 * @returns scalar float32 (the caller disposes it).
 * @throws MetricsError when counts is not a non-empty 1-D tensor.
 */
export function perplexityTensor(counts: tf.Tensor1D): tf.Scalar {
  checkCountsTensor('perplexityTensor', counts);
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
 * {@link deadFraction} on device, without reading back: the fraction of codes whose count is
 * below `threshold` (`count < threshold`); 1 for all-zero counts with the default threshold.
 *
 * @param counts - per-code counts `[K]`.
 * @param threshold - finite, ≥ 0. @default 1 ({@link DEAD_CODE_THRESHOLD}: never assigned)
 * @returns scalar float32 in [0, 1] (the caller disposes it).
 * @throws MetricsError for a bad tensor or threshold.
 */
export function deadFractionTensor(counts: tf.Tensor1D, threshold?: number): tf.Scalar {
  const fn = 'deadFractionTensor';
  checkCountsTensor(fn, counts);
  const t = deadCodeThreshold(fn, threshold);
  return tf.tidy(
    () => tf.mean(tf.cast(tf.less(tf.cast(counts, 'float32'), t), 'float32')) as tf.Scalar,
  );
}
