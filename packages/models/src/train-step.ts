import * as tf from '@tensorflow/tfjs-core';
import type { LevelName, VQVAE } from './types';

/** What {@link vqvaeTrainStep} returns: device scalars and counts, owned by the caller. */
export type TrainStepResult<L extends LevelName = LevelName> = {
  /** Eq. 3 of the step's batch (before the update): total, reconstruction, commitment. */
  loss: { total: tf.Scalar; reconstruction: tf.Scalar; commitment: tf.Scalar };
  /** float32 `[K]` assignments per level of this batch (levels whose quantizer counts). */
  counts: { readonly [K in L]?: tf.Tensor1D };
};

/**
 * One optimisation step of eq. 3: forward with `training: true` (the quantizers update their EMA
 * codebooks and resets), gradients of `L = ‖x − x̂‖² + Σ_l β‖z_e,l − sg(z_q,l)‖²` for every
 * trainable variable, and the optimizer's update. Nothing is read back to the host: the returned
 * scalars and counts stay on the device, so a loop can accumulate them and read once per log
 * interval (`tf.dispose(result)` when done).
 *
 * @param x - images `[B, H, W, C]`.
 */
export function vqvaeTrainStep<L extends LevelName>(
  model: VQVAE<L>,
  optimizer: tf.Optimizer,
  x: tf.Tensor4D,
): TrainStepResult<L> {
  const kept: {
    reconstruction?: tf.Scalar;
    commitment?: tf.Scalar;
    counts?: TrainStepResult<L>['counts'];
  } = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(x, { training: true });
    kept.reconstruction = tf.keep(out.loss.reconstruction);
    kept.commitment = tf.keep(out.loss.commitment);
    const counts: Partial<Record<L, tf.Tensor1D>> = {};
    for (const [name, c] of Object.entries(out.counts) as [L, tf.Tensor1D | undefined][]) {
      if (c !== undefined) counts[name] = tf.keep(c);
    }
    kept.counts = counts;
    return out.loss.total;
  }, Object.values(model.trainableVariables));
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  return {
    loss: {
      total: value,
      reconstruction: kept.reconstruction as tf.Scalar,
      commitment: kept.commitment as tf.Scalar,
    },
    counts: kept.counts ?? {},
  };
}
