import * as tf from '@tensorflow/tfjs-core';
import type { Assignment } from './assign-codes';
import { rotateTo, straightThrough } from './rotation-trick';
import { stopGradient } from './stop-gradient';

/** What {@link vectorQuantizerOutputs} needs of the quantizer's options. */
export interface OutputOptions {
  learning: 'ema' | 'gradient';
  gradient: 'straight-through' | 'rotation';
  commitmentWeight: number;
  codebookLossWeight: number;
}

/** The differentiable outputs of one batch, in the code space. */
export interface VectorQuantizerOutputs {
  /** `[N, Dc]`: value `e_{k(i)}`, gradient to x straight-through or by the rotation trick. */
  quantized: tf.Tensor2D;
  /** `commitmentLoss` (+ `codebookLoss`). */
  loss: tf.Scalar;
  /** `β·mean‖x − sg(e)‖²`. */
  commitmentLoss: tf.Scalar;
  /** `w·mean‖sg(x) − e‖²`, with gradient learning only. */
  codebookLoss?: tf.Scalar;
}

/**
 * On the tape, for `x` `[N, Dc]` and its assignment `a`: `quantized` (value `a.codes`, gradient
 * straight-through (§3) or the rotation trick), `commitmentLoss = β·mean‖x − sg(e)‖²` (eq. 3), and
 * with gradient learning `codebookLoss = w·mean‖sg(x) − e‖²` whose gradient reaches the rows of
 * `codebook` `[K, Dc]`.
 */
export function vectorQuantizerOutputs(
  x: tf.Tensor2D,
  a: Assignment,
  codebook: tf.Variable<tf.Rank.R2>,
  o: OutputOptions,
): VectorQuantizerOutputs {
  const codes = a.codes;
  const quantized = o.gradient === 'rotation' ? rotateTo(x, codes) : straightThrough(x, codes);
  // codes is not reachable from any variable on the tape, so it acts as sg(e).
  const commitmentLoss = tf.mul(
    tf.mean(tf.squaredDifference(x, codes)),
    tf.scalar(o.commitmentWeight),
  ) as tf.Scalar;
  if (o.learning !== 'gradient') return { quantized, loss: commitmentLoss, commitmentLoss };
  const rows = codebookRows(codebook, a.idx, codes);
  const codebookLoss = tf.mul(
    tf.mean(tf.squaredDifference(stopGradient(x), rows)),
    tf.scalar(o.codebookLossWeight),
  ) as tf.Scalar;
  return {
    quantized,
    loss: tf.add(commitmentLoss, codebookLoss) as tf.Scalar,
    commitmentLoss,
    codebookLoss,
  };
}

/**
 * The rows `codebook[idx]` `[N, Dc]` on the gradient tape with value `codes` (the rows read before
 * this step's update) and gradient `Σ_{i: idx_i = k} dy_i` (a scatter-add) to row k of the codebook.
 */
function codebookRows(
  codebook: tf.Variable<tf.Rank.R2>,
  idx: tf.Tensor1D,
  codes: tf.Tensor2D,
): tf.Tensor2D {
  const k = codebook.shape[0];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([idx]);
    return {
      value: tf.clone(codes),
      // scatterND sums duplicate indices in one kernel (unsortedSegmentSum is O(K) kernels on cpu).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.scatterND(tf.reshape(saved[0] as tf.Tensor1D, [-1, 1]), dy, [k, dy.shape[1]!]),
    };
  });
  return f(codebook) as tf.Tensor2D;
}
