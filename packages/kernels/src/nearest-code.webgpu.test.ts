/**
 * The NearestCodeSearch contract on webgpu (Dawn over lavapipe here): the same cases as the cpu
 * tests in nearest-code.test.ts, for the fused search and chunkedNearestCode. In CI a missing
 * adapter fails the test (setupWebGPU throws); elsewhere it warns and returns early.
 */
import * as tf from '@tensorflow/tfjs-core';
import { chunkedNearestCode, type NearestCodeSearch } from '@vqkit/quantizer';
import { expect, it } from 'vitest';
import { fusedNearestCode } from './nearest-code';
import { contractViolations, nearestCodeCases, type SearchRunner } from './nearest-code-contract';
import { setupWebGPU } from './webgpu/test-backend';

/** Runs `search` on the webgpu backend (asynchronous read-back only). */
function runner(search: NearestCodeSearch): SearchRunner {
  return async (z, e, { n, k, d }, chunkSize) => {
    const idx = tf.tidy(() =>
      search(tf.tensor2d(z, [n, d]), tf.tensor2d(e, [k, d]), { chunkSize }),
    );
    const out = await idx.data();
    idx.dispose();
    return out;
  };
}

it('on webgpu: fusedNearestCode and chunkedNearestCode honour the contract (the cpu cases)', async () => {
  const ctx = await setupWebGPU();
  if (ctx === undefined) return;
  expect(tf.getBackend()).toBe('webgpu');
  for (const search of [fusedNearestCode, chunkedNearestCode]) {
    for (const nc of nearestCodeCases()) {
      expect(await contractViolations(runner(search), nc), `${search.name}: ${nc.name}`).toEqual(
        [],
      );
    }
  }
});

it('on webgpu: the fused search is detached from the tape', async () => {
  const ctx = await setupWebGPU();
  if (ctx === undefined) return;
  const z = tf.randomUniform([50, 8], -1, 1, 'float32', 1) as tf.Tensor2D;
  const e = tf.randomUniform([70, 8], -1, 1, 'float32', 2) as tf.Tensor2D;
  const v = tf.variable(z);
  const { grads } = tf.variableGrads(() => {
    const idx = fusedNearestCode(v as tf.Tensor2D, e, { chunkSize: 16 });
    return tf.sum(tf.square(tf.sub(v, tf.gather(e, idx)))) as tf.Scalar;
  }, [v]);
  expect(grads[v.name]?.shape).toEqual([50, 8]);
  tf.dispose([z, e, v, ...Object.values(grads)]);
});
