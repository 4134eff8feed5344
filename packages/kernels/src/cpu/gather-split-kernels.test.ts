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

/** The vqkit kernel's and the stock kernel's outputs for the same call. */
function both(name: string, inputs: tf.NamedTensorMap, attrs: object): [tf.Tensor[], tf.Tensor[]] {
  const list = (r: unknown) => (Array.isArray(r) ? r : [r]) as tf.TensorInfo[];
  const fast = list(tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap)) as tf.Tensor[];
  const backend = tf.backend();
  const info = list(stockCpuKernel(name)({ inputs, backend, attrs: attrs as tf.NamedAttrMap }));
  return [fast, info.map((t) => tf.engine().makeTensorFromTensorInfo(t))];
}

function expectSame(a: tf.Tensor[], b: tf.Tensor[]): void {
  expect(a.map((t) => [t.shape, t.dtype])).toEqual(b.map((t) => [t.shape, t.dtype]));
  expect(a.map((t) => Array.from(t.dataSync()))).toEqual(b.map((t) => Array.from(t.dataSync())));
}

describe('vqkit cpu SplitV equals the stock kernel exactly', () => {
  const cases: [number[], number | number[], number][] = [
    [[4, 6, 6, 16], [8, 8], 3], // the hierarchical decoder's latent gradient, along the channels
    [[4, 6, 6, 16], 2, -1],
    [[5, 200], [70, -1, 30], 1], // long runs (copied with set), an inferred size
    [[6, 3, 2], [1, 2, 3], 0],
    [[2, 9, 3], [4, 0, 5], 1], // an empty piece
  ];
  for (const [shape, sizes, axis] of cases) {
    it(`[${shape}] into ${JSON.stringify(sizes)} along ${axis}`, () => {
      tf.tidy(() => {
        const x = tf.randomUniform(shape, -1, 1, 'float32', 3);
        expectSame(...both(tf.SplitV, { x }, { numOrSizeSplits: sizes, axis }));
      });
    });
  }

  it('int32 and bool values too (any shape and axis, fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (shape, a) => {
          const axis = a % shape.length;
          const n = shape[axis]!;
          const sizes = n === 1 ? [1] : [1, n - 1];
          tf.tidy(() => {
            const f = tf.randomUniform(shape, -5, 5, 'float32', a);
            for (const x of [f, tf.cast(f, 'int32'), tf.greater(f, 0)]) {
              expectSame(...both(tf.SplitV, { x }, { numOrSizeSplits: sizes, axis }));
            }
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('vqkit cpu GatherV2 of rows equals the stock kernel exactly', () => {
  it('codebook rows for every latent vector (2-D indices, repeats)', () => {
    tf.tidy(() => {
      const e = tf.randomUniform([37, 8], -1, 1, 'float32', 4);
      const idx = tf.tensor2d([0, 36, 5, 5, 12, 0], [2, 3], 'int32');
      expectSame(...both(tf.GatherV2, { x: e, indices: idx }, { axis: 0, batchDims: 0 }));
    });
  });

  it('rows of a 3-D tensor, long rows, int32 values', () => {
    tf.tidy(() => {
      const x = tf.randomUniform([6, 10, 9], -1, 1, 'float32', 5);
      const idx = tf.tensor1d([5, 0, 3], 'int32');
      expectSame(...both(tf.GatherV2, { x, indices: idx }, { axis: 0, batchDims: 0 }));
      const xi = tf.cast(tf.mul(x, 100), 'int32');
      expectSame(...both(tf.GatherV2, { x: xi, indices: idx }, { axis: 0, batchDims: 0 }));
    });
  });

  it('other axes go to the stock kernel; an out-of-range index raises the stock error', () => {
    tf.tidy(() => {
      const x = tf.randomUniform([4, 5], -1, 1, 'float32', 6);
      const idx = tf.tensor1d([4, 1], 'int32');
      expectSame(...both(tf.GatherV2, { x, indices: idx }, { axis: 1, batchDims: 0 }));
      const bad = tf.tensor1d([1, 4], 'int32');
      expect(() => tf.engine().runKernel(tf.GatherV2, { x, indices: bad }, { axis: 0 })).toThrow(
        /GatherV2: the index value 4 is not in \[0, 3\]/,
      );
    });
  });
});
