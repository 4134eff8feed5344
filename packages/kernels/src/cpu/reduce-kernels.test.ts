import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
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

/** The stock kernel's result for `name` on the same inputs. */
function stockRun(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor {
  const info = stockCpuKernel(name)({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

describe('vqkit cpu Sum and Mean over consecutive axes are bit-identical to the stock kernels', () => {
  const cases: [number[], number | number[] | null, boolean][] = [
    [[4, 5, 6, 3], [0, 1, 2], false], // bias gradient
    [[4, 6, 5, 3], null, false], // a loss: every axis
    [[4, 6, 5, 3], [0, 1, 2, 3], true],
    [[40, 4, 8], 1, false], // a middle axis
    [[2, 3, 4], [1, 2], true], // trailing axes
    [[2, 3, 4, 5], [2, 1], false], // unsorted middle block
    [[7], 0, false],
  ];
  for (const name of [tf.Sum, tf.Mean]) {
    for (const [shape, axis, keepDims] of cases) {
      it(`${name} of [${shape}] over ${JSON.stringify(axis)}, keepDims ${keepDims}`, () => {
        tf.tidy(() => {
          const x = tf.randomNormal(shape, 0, 3, 'float32', 8);
          const attrs = { axis, keepDims } as unknown as tf.NamedAttrMap;
          const fast = tf.engine().runKernel(name, { x }, attrs) as tf.Tensor;
          const stock = stockRun(name, { x }, attrs);
          expect(fast.shape).toEqual(stock.shape);
          expect(Array.from(fast.dataSync())).toEqual(Array.from(stock.dataSync()));
        });
      });
    }
  }

  it('random shapes and axis blocks (fast-check): Sum and Mean equal the stock kernels exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (shape, a, b, keepDims) => {
          const first = a % shape.length;
          const last = first + (b % (shape.length - first));
          const axis = Array.from({ length: last - first + 1 }, (_, i) => first + i);
          tf.tidy(() => {
            const x = tf.randomUniform(shape, -10, 10, 'float32', a + b);
            for (const name of [tf.Sum, tf.Mean]) {
              const attrs = { axis, keepDims } as unknown as tf.NamedAttrMap;
              const fast = tf.engine().runKernel(name, { x }, attrs) as tf.Tensor;
              const stock = stockRun(name, { x }, attrs);
              expect(fast.shape).toEqual(stock.shape);
              expect(Array.from(fast.dataSync())).toEqual(Array.from(stock.dataSync()));
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('Mean of int32 and over non-consecutive axes goes to the stock kernel', () => {
    tf.tidy(() => {
      const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
      expect(
        Array.from((tf.engine().runKernel(tf.Mean, { x: i }, { axis: 0 }) as tf.Tensor).dataSync()),
      ).toEqual([3, 4]);
      const x = tf.randomUniform([2, 3, 4], -1, 1, 'float32', 9);
      const attrs = { axis: [0, 2], keepDims: false } as unknown as tf.NamedAttrMap;
      const fast = tf.engine().runKernel(tf.Mean, { x }, attrs) as tf.Tensor;
      expect(Array.from(fast.dataSync())).toEqual(
        Array.from(stockRun(tf.Mean, { x }, attrs).dataSync()),
      );
    });
  });
});
