import * as tf from '@tensorflow/tfjs-core';
import { describe, fail } from './assert';
import type { LevelName, PerLevel, VQVAELoss } from './types';

/**
 * Eq. 3 of the paper, summed over the quantised levels:
 * `L = ‖x − x̂‖² + Σ_l β‖z_e,l − sg(z_q,l)‖²`. The reconstruction term is the mean over every
 * pixel and channel of the batch (as `F.mse_loss` in the authors' code); each level's term is
 * its quantizer's `loss`, already weighted by β and averaged by the quantizer.
 *
 * @param x - images `[B, H, W, C]`.
 * @param reconstruction - x̂, the same shape as `x`.
 * @param levelLosses - each level's quantizer loss (scalars), e.g. `{ bottom, top }`.
 * @returns scalars `total`, `reconstruction`, `commitment` (Σ of the level terms) and `levels`;
 *   differentiable, so usable as the objective of `tf.variableGrads`.
 */
export function vqvaeLoss<L extends LevelName>(
  x: tf.Tensor,
  reconstruction: tf.Tensor,
  levelLosses: PerLevel<L, tf.Scalar>,
): VQVAELoss<L> {
  const fn = 'vqvaeLoss';
  if (x.shape.join(',') !== reconstruction.shape.join(',')) {
    fail(
      fn,
      'reconstruction',
      `the shape of x [${x.shape}]`,
      describe(reconstruction),
      'Pass the decoder output for these images.',
    );
  }
  const terms = Object.values(levelLosses) as tf.Scalar[];
  if (terms.length === 0) {
    fail(
      fn,
      'levelLosses',
      'one scalar per quantised level',
      'none',
      'Pass e.g. { single: q.loss }.',
    );
  }
  return tf.tidy(() => {
    const rec = tf.mean(tf.squaredDifference(x, reconstruction)) as tf.Scalar;
    const commitment = terms.length === 1 ? (terms[0] as tf.Scalar) : (tf.addN(terms) as tf.Scalar);
    return {
      total: tf.add(rec, commitment) as tf.Scalar,
      reconstruction: rec,
      commitment,
      levels: levelLosses,
    };
  });
}
