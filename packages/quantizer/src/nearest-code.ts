import * as tf from '@tensorflow/tfjs-core';
import { QuantizerError } from './errors';

/** Options passed to every {@link NearestCodeSearch}. */
export interface NearestCodeSearchOptions {
  /**
   * Rows of `z` processed per chunk; the largest intermediate is `[chunkSize, K]` float32, so
   * peak memory is bounded by `4 · chunkSize · K` bytes instead of `4 · N · K`.
   */
  chunkSize: number;
}

/**
 * Nearest-code assignment `k(i) = argmin_k ‖z_i − e_k‖²` (the paper's eq. 2).
 *
 * @param z - encoder outputs, shape `[N, D]`, float32.
 * @param codebook - code vectors `e`, shape `[K, D]`, float32, K ≥ 1.
 * @param options - `chunkSize` bounds an implementation's `[chunkSize, K]` intermediates; it
 *   never changes the result.
 * @returns int32 indices, shape `[N]`.
 *
 * Contract — every implementation, on every backend (`@vqkit/kernels` runs one set of cases
 * against its fused cpu and webgpu searches and {@link chunkedNearestCode} on both backends):
 * - Distance: the squared Euclidean distance in float32 (or wider) arithmetic, either directly
 *   `Σ_d (z_id − e_kd)²` or expanded as `‖e_k‖² − 2 z_i·e_k` (the row constant `‖z_i‖²` dropped:
 *   it does not move the argmin).
 * - Result: for each row, the index of a smallest computed distance; equal computed distances
 *   (exact ties, e.g. duplicate codes) → the lowest index; a row whose distances are all NaN → 0.
 * - Tolerance: float32 rounding may pick a near-tie, so the exact squared distance of the
 *   returned code exceeds the exact minimum by at most
 *   `τ_i = (D + 3) · 2⁻²² · (‖z_i‖² + max_k ‖e_k‖²)` (twice the rounding-error bound of either
 *   form). Results may differ between backends, search implementations and SIMD levels within τ;
 *   one implementation on one backend is deterministic (the cpu search is bit-identical for any
 *   thread count).
 * - Implementations must not read tensors back to the host (the training path runs on webgpu).
 *
 * {@link chunkedNearestCode} is the default; `registerVqkitKernels()` of `@vqkit/kernels` returns
 * a fused search for the backends it has one for.
 */
export type NearestCodeSearch = (
  z: tf.Tensor2D,
  codebook: tf.Tensor2D,
  options: NearestCodeSearchOptions,
) => tf.Tensor1D;

/**
 * Index of the minimum along the last axis of `d` (`[R, K]` → int32 `[R]`), ties → lowest index.
 *
 * The cpu `ArgMin` kernel scans each row in order with a strict `<`, so it already returns the
 * lowest index of a tie. Other backends reduce in parallel and may not, so there the lowest
 * index is computed exactly as `min_k { k : d_k = min_j d_j }` (min is order-independent).
 *
 * @param d - distances, shape `[R, K]`.
 * @param exact - force the order-independent path on every backend (default: only off cpu).
 */
export function argMinLowestIndex(d: tf.Tensor2D, exact = tf.getBackend() !== 'cpu'): tf.Tensor1D {
  if (!exact) return tf.argMin(d, 1) as tf.Tensor1D;
  return tf.tidy(() => {
    const k = d.shape[1];
    const rowMin = tf.min(d, 1, true);
    const iota = tf.reshape(tf.range(0, k, 1, 'float32'), [1, k]);
    const candidate = tf.where(tf.equal(d, rowMin), iota, tf.scalar(k, 'float32'));
    // A row of NaN has no equal element; clamp so the index is still valid (code 0, as argMin).
    const idx = tf.minimum(tf.min(candidate, 1), tf.scalar(k - 1, 'float32'));
    return tf.cast(
      tf.where(tf.isNaN(tf.min(d, 1)), tf.zerosLike(idx), idx),
      'int32',
    ) as tf.Tensor1D;
  });
}

/**
 * Default {@link NearestCodeSearch}: chunked brute force on any tfjs backend.
 *
 * For each chunk of `chunkSize` rows of `z` it forms the `[chunk, K]` matrix
 * `‖e_k‖² + (−2 z_i)·e_k` (the term `‖z_i‖²` is constant per row and does not change the argmin) and
 * takes the argmin with ties → lowest index ({@link argMinLowestIndex}). Each chunk's distance
 * matrix is released before the next is formed, so peak memory is `O(chunkSize · K)`; the result
 * for a row does not depend on `chunkSize` (chunked == unchunked exactly on cpu).
 *
 * @param z - `[N, D]` float32.
 * @param codebook - `[K, D]` float32.
 * @param options - `chunkSize`: rows per chunk (positive integer; `≥ N` means one chunk).
 * @returns int32 `[N]`.
 * @throws {@link QuantizerError} on rank, width or chunkSize mismatch.
 */
export function chunkedNearestCode(
  z: tf.Tensor2D,
  codebook: tf.Tensor2D,
  options: NearestCodeSearchOptions,
): tf.Tensor1D {
  const { chunkSize } = options;
  if (z.rank !== 2 || codebook.rank !== 2 || z.shape[1] !== codebook.shape[1]) {
    throw new QuantizerError(
      `chunkedNearestCode: expected z [N, D] and codebook [K, D] with the same D, got z [${z.shape}] and codebook [${codebook.shape}]. Reshape z to [-1, D] first.`,
    );
  }
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new QuantizerError(
      `chunkedNearestCode: chunkSize must be a positive integer, got ${chunkSize}. Use e.g. 4096.`,
    );
  }
  const n = z.shape[0];
  if (n === 0) return tf.tensor1d([], 'int32');
  const codeSq = tf.tidy(() => tf.reshape(tf.sum(tf.square(codebook), 1), [1, -1]));
  const parts: tf.Tensor1D[] = [];
  try {
    for (let start = 0; start < n; start += chunkSize) {
      const rows = Math.min(chunkSize, n - start);
      // Inner tidy: the [rows, K] distance matrix is freed before the next chunk is formed.
      parts.push(
        tf.tidy(() => {
          const zc = rows === n ? z : tf.slice(z, [start, 0], [rows, -1]);
          // One [rows, K] product with ‖e‖² added as the bias (a single fused kernel on webgpu).
          const d = tf.fused.matMul({
            a: tf.mul(zc, tf.scalar(-2)),
            b: codebook,
            transposeB: true,
            bias: codeSq,
          });
          return argMinLowestIndex(d as tf.Tensor2D);
        }),
      );
    }
  } catch (error) {
    tf.dispose(parts);
    throw error;
  } finally {
    codeSq.dispose();
  }
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts) as tf.Tensor1D;
  tf.dispose(parts);
  return out;
}
