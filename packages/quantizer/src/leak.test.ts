import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { VectorQuantizer, windowedDeadCodeReset } from './index';

it('dispose frees every tensor the quantizer allocated, after training steps too', () => {
  const before = tf.memory().numTensors;
  const vq = new VectorQuantizer({
    codebookSize: 8,
    codeDim: 2,
    reset: windowedDeadCodeReset({ window: 2 }),
    seed: 1,
  });
  const z = tf.randomNormal([16, 2], 0, 1, 'float32', 3);
  for (let i = 0; i < 4; i++)
    tf.dispose(Object.values(vq.forward(z, { training: true })) as tf.Tensor[]);
  z.dispose();
  vq.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
