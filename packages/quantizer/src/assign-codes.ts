import * as tf from '@tensorflow/tfjs-core';
import type { NearestCodeSearch } from './nearest-code';
import { countCodes } from './usage-tracker';

/**
 * One batch's nearest codes (internal; used by {@link ResidualVectorQuantizer} too). Kept tensors
 * the caller disposes: `idx` int32 `[N]`, `codes` `[N, Dc]` (the rows before this step's update),
 * `counts` `[K]`.
 * @internal
 */
export type Assignment = {
  idx: tf.Tensor1D;
  codes: tf.Tensor2D;
  counts: tf.Tensor1D;
};

/**
 * Paper eq. 2: `k(i) = argmin_k ‖x_i − e_k‖²` for `x` `[N, Dc]` against `codebook` `[K, Dc]` with
 * `search` (chunks of `chunkSize` rows), the chosen rows `e_{k(i)}` and the batch counts `n_k`.
 * Call off the gradient tape (int32 indices must never enter it).
 */
export function assignCodes(
  x: tf.Tensor2D,
  codebook: tf.Tensor2D,
  search: NearestCodeSearch,
  chunkSize: number,
): Assignment {
  const idx = search(x, codebook, { chunkSize });
  const codes = tf.gather(codebook, idx) as tf.Tensor2D;
  const counts = countCodes(idx, codebook.shape[0]);
  return { idx, codes, counts };
}
