import * as tf from '@tensorflow/tfjs-core';
import { runtimeError } from '../config/errors';

/**
 * A device scalar that is 0 when every value of `tensors` is finite and NaN otherwise
 * (Σ 0·v: 0·±Inf and 0·NaN are NaN): one number to read back for the whole state, at a log
 * flush rather than every step.
 */
export function finiteProbe(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() =>
    tensors.length === 0
      ? tf.scalar(0)
      : (tf.addN(tensors.map((t) => tf.sum(tf.mul(t, 0)))) as tf.Scalar),
  );
}

/** Where the run can be continued from, for non-finite errors. */
function lastGood(lastCheckpoint: string | null): string {
  return lastCheckpoint === null
    ? 'No checkpoint had been written yet, so there is nothing to resume from'
    : `The last good checkpoint is ${lastCheckpoint} (kept unchanged; resume with --resume after fixing the cause)`;
}

const ADVICE =
  'Check the input images for NaN/Inf values, or lower train.learningRate in a new run (a resumed run keeps its learning rate).';

/**
 * The error for a run whose training state stopped being finite: `what` says which values and
 * when (e.g. "the loss became non-finite (NaN or ±Infinity) at step 12"). Nothing is
 * overwritten: the last checkpoint written is the last good one (every checkpoint is checked
 * before it is written).
 */
export function nonFiniteError(what: string, lastCheckpoint: string | null) {
  return runtimeError(
    `train: ${what}; training stopped and nothing was overwritten. ${lastGood(lastCheckpoint)}. ${ADVICE}`,
  );
}
