/**
 * fusedNearestCode dispatching to the WebGPU kernel (Dawn over lavapipe here). In CI a missing
 * adapter fails the test (setupWebGPU throws); elsewhere it warns and returns early.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { fusedNearestCode } from './nearest-code';
import { setupWebGPU } from './webgpu/test-backend';

it('on webgpu: equals the cpu kernel, ties → lowest index, and is detached from the tape', async () => {
  const ctx = await setupWebGPU();
  if (ctx === undefined) return;
  expect(tf.getBackend()).toBe('webgpu');
  const zv = Array.from({ length: 50 * 8 }, (_, i) => Math.sin(i * 12.9898) * 2);
  const ev = Array.from({ length: 70 * 8 }, (_, i) => Math.cos(i * 78.233) * 2);
  // Duplicate codes 3 and 40: whichever rows pick one of them must get 3.
  // Row 0 of z is code 3 itself (distance 0 to both 3 and 40).
  for (let d = 0; d < 8; d++) {
    ev[40 * 8 + d] = ev[3 * 8 + d];
    zv[d] = ev[3 * 8 + d];
  }
  const z = tf.tensor2d(zv, [50, 8]);
  const e = tf.tensor2d(ev, [70, 8]);
  const gpu = Array.from(await fusedNearestCode(z, e, { chunkSize: 16 }).data());
  await tf.setBackend('cpu');
  const zc = tf.tensor2d(zv, [50, 8]);
  const ec = tf.tensor2d(ev, [70, 8]);
  const cpu = Array.from(fusedNearestCode(zc, ec, { chunkSize: 16 }).dataSync());
  await tf.setBackend('webgpu');
  expect(gpu).toEqual(cpu);
  expect(gpu[0]).toBe(3);
  expect(gpu).not.toContain(40);

  const v = tf.variable(z);
  const { grads } = tf.variableGrads(() => {
    const idx = fusedNearestCode(v as tf.Tensor2D, e, { chunkSize: 16 });
    return tf.sum(tf.square(tf.sub(v, tf.gather(e, idx)))) as tf.Scalar;
  }, [v]);
  expect(grads[v.name].shape).toEqual([50, 8]);
  tf.dispose([z, e, v, ...Object.values(grads)]);
});
