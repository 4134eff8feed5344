import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCpuKernels, stockCpuKernel, unregisterCpuKernels } from './register';

beforeAll(() => {
  registerCpuKernels();
});
afterAll(() => {
  unregisterCpuKernels();
});

function both(x: tf.Tensor, axis: number | number[], keepDims: boolean): [tf.Tensor, tf.Tensor] {
  const attrs = { axis, keepDims } as unknown as tf.NamedAttrMap;
  const fast = tf.engine().runKernel(tf.Sum, { x }, attrs) as tf.Tensor;
  const info = stockCpuKernel(tf.Sum)({ inputs: { x }, backend: tf.backend(), attrs });
  return [fast, tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo)];
}

describe('vqkit cpu Sum matches the stock kernel', () => {
  const cases: [number[], number | number[], boolean][] = [
    [[4, 5, 6, 3], [0, 1, 2], false], // bias gradient
    [[4, 5, 6, 3], [2, 0, 1], true], // unsorted axes, keepDims
    [[7, 9], 0, false],
    [[2, 3, 4], [0, 1], true],
    [[2, 3, 4], [-3], false], // negative axis
    [[2, 3, 4], [1, 2], false], // trailing axes: stock path
    [[2, 3, 4], [0, 2], false], // non-contiguous: stock path
    [[5, 4], [0, 1], false], // all axes: stock path
  ];
  for (const [shape, axis, keepDims] of cases) {
    it(`shape [${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`, () => {
      tf.tidy(() => {
        const x = tf.randomUniform(shape, -1, 1, 'float32', 5);
        const [a, b] = both(x, axis, keepDims);
        expect(a.shape).toEqual(b.shape);
        const av = a.dataSync();
        const bv = b.dataSync();
        for (let i = 0; i < av.length; i++) expect(Math.abs(av[i]! - bv[i]!)).toBeLessThan(1e-5);
      });
    });
  }

  it('int32 input goes to the stock kernel (int32 result)', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
      const [a] = both(x, 0, false);
      expect(a.dtype).toBe('int32');
      expect(Array.from(a.dataSync())).toEqual([9, 12]);
    });
  });

  it('the bias gradient of conv2d + bias equals the column sums of dy', () => {
    const x = tf.randomUniform([2, 5, 5, 3], -1, 1, 'float32', 6);
    const b = tf.randomUniform([3], -1, 1, 'float32', 7);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.add(x, t), x)))(b);
    const want = tf.sum(tf.reshape(x, [-1, 3]), 0);
    const gv = g.dataSync();
    const wv = want.dataSync();
    for (let i = 0; i < 3; i++) expect(Math.abs(gv[i]! - wv[i]!)).toBeLessThan(1e-5);
    tf.dispose([x, b, g, want]);
  });
});
