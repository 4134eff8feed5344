import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@vqkit/random';
import { assignData, tensorData } from './reset-policies';
import type { TensorData } from './state';

/** A trainable affine map `y = x·W + b`, `W` `[inDim, outDim]`, `b` `[outDim]`. */
export interface LinearProjection {
  readonly kernel: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1>;
}

/** Saved values of a {@link LinearProjection}. */
export interface LinearProjectionState {
  kernel: TensorData;
  bias: TensorData;
}

/**
 * A trainable projection initialised like PyTorch's `nn.Linear` (what vector-quantize-pytorch's
 * `project_in`/`project_out` use): kernel and bias uniform in `[−1/√inDim, 1/√inDim]`, drawn from
 * `rng` (kernel row-major first, then bias).
 */
export function createLinearProjection(rng: Rng, inDim: number, outDim: number): LinearProjection {
  const bound = 1 / Math.sqrt(inDim);
  const kernel = rng.fillUniform(new Float32Array(inDim * outDim), -bound, bound);
  const bias = rng.fillUniform(new Float32Array(outDim), -bound, bound);
  // tidy: the initial-value tensors are released; the variables keep their data.
  return {
    kernel: tf.tidy(() => tf.variable(tf.tensor2d(kernel, [inDim, outDim]), true)),
    bias: tf.tidy(() => tf.variable(tf.tensor1d(bias), true)),
  };
}

/** `x·W + b`: `[N, inDim]` → `[N, outDim]` (differentiable in x, W and b). */
export function applyLinearProjection(x: tf.Tensor2D, p: LinearProjection): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(x, p.kernel), p.bias) as tf.Tensor2D);
}

/** Reads a projection's values (async). */
export async function linearProjectionState(p: LinearProjection): Promise<LinearProjectionState> {
  return { kernel: await tensorData(p.kernel), bias: await tensorData(p.bias) };
}

/** Restores a projection's values; throws a `QuantizerError` naming `field` on a shape mismatch. */
export function setLinearProjectionState(
  fn: string,
  field: string,
  p: LinearProjection,
  state: LinearProjectionState | undefined,
): void {
  assignData(fn, `${field}.kernel`, p.kernel, state?.kernel);
  assignData(fn, `${field}.bias`, p.bias, state?.bias);
}
