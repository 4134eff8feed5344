import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCpuKernels, stockCpuKernel, unregisterCpuKernels } from './register';

beforeAll(() => {
  registerCpuKernels();
});
afterAll(() => {
  unregisterCpuKernels();
});

function both(
  name: string,
  inputs: tf.NamedTensorMap,
  attrs: tf.NamedAttrMap = {},
): [tf.Tensor, tf.Tensor] {
  const fast = tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
  const info = stockCpuKernel(name)({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo;
  return [fast, tf.engine().makeTensorFromTensorInfo(info)];
}

/** Bit-identical, NaN included. */
function expectIdentical(a: tf.Tensor, b: tf.Tensor): void {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
}

describe('vqkit cpu element-wise kernels are bit-identical to the stock ones', () => {
  const shapes: [number[], number[]][] = [
    [
      [2, 3, 4, 5],
      [2, 3, 4, 5],
    ], // same shape
    [[2, 3, 4, 5], [5]], // bias
    [[5], [2, 3, 4, 5]], // bias on the left
    [[3, 4], []], // scalar
    [[], [3, 4]],
    [
      [4, 5],
      [3, 4, 5],
    ], // a repeats along a new leading axis
    [
      [3, 1],
      [3, 4],
    ], // stretched size-1 axis: stock path
    [[0, 3], [3]], // empty
  ];
  for (const name of [tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.SquaredDifference]) {
    for (const [sa, sb] of shapes) {
      it(`${name} [${sa}] ∘ [${sb}]`, () => {
        tf.tidy(() => {
          const a = tf.randomUniform(sa, -2, 2, 'float32', 1);
          const b = tf.randomUniform(sb, -2, 2, 'float32', 2);
          const [x, y] = both(name, { a, b });
          expectIdentical(x, y);
        });
      });
    }
    it(`${name} int32 goes to the stock kernel`, () => {
      tf.tidy(() => {
        const [x, y] = both(name, {
          a: tf.tensor1d([1, 2, 3], 'int32'),
          b: tf.tensor1d([4, 5, 6], 'int32'),
        });
        expectIdentical(x, y);
        expect(x.dtype).toBe('int32');
      });
    });
  }

  it('Relu and Step (alpha 0 and 0.3) on values incl. NaN, ±0 and ±Infinity', () => {
    tf.tidy(() => {
      const x = tf.tensor1d([
        -2,
        -0,
        0,
        0.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
      ]);
      const [r1, r2] = both(tf.Relu, { x });
      expectIdentical(r1, r2);
      for (const alpha of [0, 0.3]) {
        const [s1, s2] = both(tf.Step, { x }, { alpha });
        expectIdentical(s1, s2);
      }
      const big = tf.randomUniform([3, 7, 5], -1, 1, 'float32', 3);
      const [b1, b2] = both(tf.Relu, { x: big });
      expectIdentical(b1, b2);
      const [t1, t2] = both(tf.Step, { x: big }, { alpha: 0.25 });
      expectIdentical(t1, t2);
    });
  });

  it('Relu and Step keep a NaN whose sign bit is set a NaN (the kernels decide on the bits)', () => {
    tf.tidy(() => {
      const bits = Uint32Array.of(0xffc00000, 0x80000001, 0x00000001, 0x7f800000, 0xff800000);
      const x = tf.tensor1d(new Float32Array(bits.buffer));
      const [r1, r2] = both(tf.Relu, { x });
      expectIdentical(r1, r2);
      expect(Number.isNaN(r1.dataSync()[0])).toBe(true);
      const [s1, s2] = both(tf.Step, { x }, { alpha: -1 });
      expectIdentical(s1, s2);
      expect(Array.from(s1.dataSync())).toEqual([Number.NaN, -1, 1, 1, -1]);
    });
  });

  it('Square and Sqrt on values incl. NaN, ±0, ±Infinity, negatives, subnormals and extremes', () => {
    tf.tidy(() => {
      const bits = Uint32Array.of(0x00000001, 0x007fffff, 0x7f7fffff, 0x80000001, 0x1fffffff);
      const special = [-2, -0, 0, 0.5, 2, 3, Number.NaN, Infinity, -Infinity, 1e-30, 3.4e38];
      const x = tf.tensor1d([...special, ...new Float32Array(bits.buffer)]);
      const odd = tf.randomUniform([3, 7, 5], 0, 4, 'float32', 6);
      for (const name of [tf.Square, tf.Sqrt]) {
        for (const input of [x, odd, tf.neg(odd)]) {
          const [a, b] = both(name, { x: input });
          expectIdentical(a, b);
        }
        const [i1, i2] = both(name, { x: tf.tensor1d([4, 9, -3], 'int32') });
        expectIdentical(i1, i2);
        expect(i1.dtype).toBe('int32');
      }
    });
  });

  it('SquaredDifference keeps NaN and Infinity as the stock kernel does', () => {
    tf.tidy(() => {
      const a = tf.tensor1d([1, Number.NaN, Infinity, Infinity, -0, 3.4e38, 1e-30]);
      const b = tf.tensor1d([2, 1, Infinity, -Infinity, 0, -3.4e38, -1e-30]);
      const [x, y] = both(tf.SquaredDifference, { a, b });
      expectIdentical(x, y);
    });
  });

  it('an Adam step and a mean-squared-error gradient equal the stock ones exactly', () => {
    const x = tf.randomUniform([3, 5, 7], -1, 1, 'float32', 7);
    const target = tf.randomUniform([3, 5, 7], -1, 1, 'float32', 8);
    const run = () =>
      tf.tidy(() => {
        const w = tf.variable(tf.randomUniform([7], -1, 1, 'float32', 9));
        const adam = tf.train.adam(0.01);
        for (let step = 0; step < 3; step++) {
          adam.minimize(() => tf.mean(tf.squaredDifference(tf.mul(x, w), target)) as tf.Scalar);
        }
        const out = w.clone();
        adam.dispose();
        w.dispose();
        return out;
      });
    const fast = run();
    unregisterCpuKernels();
    const stock = run();
    registerCpuKernels();
    expectIdentical(fast, stock);
    tf.dispose([x, target, fast, stock]);
  });

  it('a ReLU network gradient equals the stock one exactly', () => {
    const x = tf.randomUniform([4, 6], -1, 1, 'float32', 4);
    const w = tf.randomUniform([6], -1, 1, 'float32', 5);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.add(tf.mul(x, t), 0.1)), tf.sub(x, t)));
    const fast = tf.grad(f)(w);
    unregisterCpuKernels();
    const stock = tf.grad(f)(w);
    registerCpuKernels();
    expectIdentical(fast, stock);
    tf.dispose([x, w, fast, stock]);
  });
});
