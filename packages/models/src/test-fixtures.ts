/**
 * Small seeded shapes shared by this package's tests (not exported from the package): models of a
 * few thousand parameters on 16×16 images, so every test runs in well under a second on cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HierarchicalVQVAEOptions } from './hierarchical-vqvae';
import type { SingleLevelVQVAEOptions } from './single-level-vqvae';

/** Single-level: 16² → 4×4 codes of D 4 from K 16; C 8, R 4 ('half'), one residual block. */
export const TINY_SINGLE: SingleLevelVQVAEOptions = Object.freeze({
  channels: 8,
  codebookSize: 16,
  codeDim: 4,
  resBlocks: 1,
  inputSize: 16,
  seed: 1,
  vq: { chunkSize: 64 },
});

/**
 * Hierarchical: 16² → bottom 4×4 and top 2×2 codes of D 4 from K 8 each; C 16, R 8 ('half'). (With
 * C 8 the decoder's 4-wide residual block of seed 1 starts dead: all-zero gradients.)
 */
export const TINY_HIERARCHICAL: HierarchicalVQVAEOptions = Object.freeze({
  channels: 16,
  codebookSize: 8,
  codeDim: 4,
  resBlocks: 1,
  inputSize: 16,
  seed: 1,
  vq: { chunkSize: 64 },
});

/** A seeded batch of images in [0, 1]: `[batch, 16, 16, 3]`. */
export function images(seed: number, batch = 2): tf.Tensor4D {
  return tf.randomUniform([batch, 16, 16, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

/** Sum of |t| read back (for "the gradient reaches it" checks). */
export async function absSum(t: tf.Tensor): Promise<number> {
  const s = tf.sum(tf.abs(t));
  const v = (await s.data())[0] as number;
  s.dispose();
  return v;
}

/** Sum of a tensor's values read back (e.g. the total of assignment counts). */
export async function total(t: tf.Tensor): Promise<number> {
  return Array.from(await t.data()).reduce((a, b) => a + b, 0);
}
