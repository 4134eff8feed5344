/**
 * Test helpers (not exported from the package): the tfjs cpu backend as a reference oracle,
 * called directly so the webgpu backend stays active.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@vqkit/random';

/** A float32 array of `size` standard-normal values from `rng`. */
export function normalArray(rng: Rng, size: number): Float32Array {
  return rng.fillNormal(new Float32Array(size));
}

/**
 * Runs tfjs-backend-cpu's kernel `name` on float32 inputs given as plain arrays and returns the
 * output's values (the active backend is left untouched).
 */
export function cpuKernel(
  name: string,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: object,
): { shape: number[]; values: Float32Array } {
  const cpu = tf.findBackend('cpu');
  if (cpu == null) {
    throw new Error(
      'cpuKernel: the cpu backend is not registered (scripts/vitest-tfjs-setup.ts registers it)',
    );
  }
  const infos: Record<string, tf.TensorInfo> = {};
  for (const [key, { shape, values }] of Object.entries(inputs)) {
    infos[key] = { dataId: cpu.write(values, shape, 'float32'), shape, dtype: 'float32' };
  }
  const out = tf.getKernel(name, 'cpu').kernelFunc({
    inputs: infos,
    backend: cpu,
    attrs: attrs as tf.NamedAttrMap,
  }) as tf.TensorInfo;
  const values = cpu.readSync(out.dataId) as Float32Array;
  for (const info of [...Object.values(infos), out]) cpu.disposeData(info.dataId);
  return { shape: out.shape, values };
}

/** Largest |a[i] − b[i]|; throws if the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return m;
}
