import * as tf from '@tensorflow/tfjs-core';
import { QuantizerError } from './errors';

/**
 * Validates a quantizer input `z` `[..., codeDim]`: a float32 tensor with at least one vector.
 * @throws {@link QuantizerError} naming `fn`, the expected shape or dtype, what was got and the fix.
 */
export function checkInput(fn: string, z: tf.Tensor, codeDim: number): void {
  if (!(z instanceof tf.Tensor)) {
    throw new QuantizerError(`${fn}: z must be a tf.Tensor [..., ${codeDim}], got ${typeof z}.`);
  }
  if (z.rank < 1 || z.shape[z.rank - 1] !== codeDim) {
    throw new QuantizerError(
      `${fn}: z must have last dimension codeDim = ${codeDim}, got shape [${z.shape}]. Project z to ${codeDim} channels first (1×1 conv).`,
    );
  }
  if (z.dtype !== 'float32') {
    throw new QuantizerError(
      `${fn}: z must be float32, got ${z.dtype}. Use tf.cast(z, 'float32').`,
    );
  }
  if (z.size === 0) {
    throw new QuantizerError(`${fn}: z must contain at least one vector, got shape [${z.shape}].`);
  }
}

/** `x` with non-finite entries replaced by 0, and whether the batch was entirely finite. */
export function finiteRows(x: tf.Tensor2D): { clean: tf.Tensor2D; valid: tf.Scalar } {
  const finiteMask = tf.isFinite(x);
  return {
    clean: tf.where(finiteMask, x, tf.zerosLike(x)) as tf.Tensor2D,
    valid: tf.all(finiteMask) as tf.Scalar,
  };
}

/**
 * Largest implicit codebook (finite-scalar ∏ Lᵢ, lookup-free 2^D): indices are formed and decoded
 * in float32 on every backend, which represents every integer up to 2^24 exactly.
 */
export const MAX_IMPLICIT_CODEBOOK = 2 ** 24;
