/**
 * Small seeded inputs and readers shared by the cpu tests (plain data in, plain data out; the
 * formulas they are checked against live in `reference.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import type { VectorQuantizer } from '../src/index';
import type { Mat } from './reference';

/** `rows × cols` draws of 𝒩(0, std²) from `new Rng(seed)`, as nested arrays. */
export const seeded = (seed: number, rows: number, cols: number, std = 1): Mat => {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () =>
    Array.from(rng.fillNormal(new Float32Array(cols), 0, std)),
  );
};

/** A 2-D tensor's values as nested arrays (a synchronous read: cpu tests only). */
export const mat = (t: tf.Tensor) => t.arraySync() as Mat;

/** One training forward whose outputs are discarded. */
export const train = (vq: VectorQuantizer, z: tf.Tensor) =>
  tf.dispose(Object.values(vq.forward(z, { training: true })));

/** `perCluster` points around each centre with seeded noise of std `spread`. */
export function clusters(
  centres: number[][],
  perCluster: number,
  spread: number,
  seed: number,
): tf.Tensor2D {
  const rng = new Rng(seed);
  const data = centres.flatMap((c) =>
    Array.from({ length: perCluster }, () => c.map((v) => v + spread * rng.normal())),
  );
  return tf.tensor2d(data);
}
