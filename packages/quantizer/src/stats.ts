import * as tf from '@tensorflow/tfjs-core';
import { deadFractionTensor, perplexityTensor } from '@vqkit/metrics';

/** Numbers describing code usage, as returned by {@link readUsage} and `Quantizer.usage()`. */
export interface CodeUsage {
  /**
   * exp of the entropy of the assignment distribution (effective number of codes); 0 when nothing
   * was assigned. Defined once in `@vqkit/metrics` (`perplexity` / `perplexityTensor`).
   */
  perplexity: number;
  /** Fraction of codes with count below the threshold (`@vqkit/metrics`' `deadFraction`). */
  deadFraction: number;
  /** Total number of assignments counted. */
  total: number;
  /** Number of codes K. */
  codebookSize: number;
}

/**
 * Reads perplexity, dead fraction (both as defined by `@vqkit/metrics`) and the total of `counts`
 * back to the host in one async read (works on webgpu). Does not dispose `counts`.
 *
 * @param counts - per-code counts `[K]`.
 * @param threshold - a code with count < threshold is dead. @default 1 (never assigned)
 * @throws MetricsError (from `@vqkit/metrics`) for a bad tensor or threshold.
 */
export async function readUsage(counts: tf.Tensor1D, threshold?: number): Promise<CodeUsage> {
  const packed = tf.tidy(() =>
    tf.stack([
      perplexityTensor(counts),
      deadFractionTensor(counts, threshold),
      tf.sum(tf.cast(counts, 'float32')),
    ]),
  );
  try {
    const [ppl, dead, total] = await packed.data();
    return { perplexity: ppl!, deadFraction: dead!, total: total!, codebookSize: counts.shape[0] };
  } finally {
    packed.dispose();
  }
}
