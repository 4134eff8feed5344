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

/** Tile by the vqkit kernel and by the stock one: same shape, dtype and values. */
function expectTileLikeStock(x: tf.Tensor, reps: number[]): void {
  const fast = tf.engine().runKernel(tf.Tile, { x }, { reps }) as tf.Tensor;
  const info = stockCpuKernel(tf.Tile)({ inputs: { x }, backend: tf.backend(), attrs: { reps } });
  const stock = tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
  expect([fast.shape, fast.dtype]).toEqual([stock.shape, stock.dtype]);
  expect(Array.from(fast.dataSync())).toEqual(Array.from(stock.dataSync()));
  tf.dispose([fast, stock]);
}

describe('vqkit cpu Tile equals the stock kernel exactly', () => {
  const cases: [number[], number[]][] = [
    [
      [1, 1],
      [4096, 8],
    ], // tf.where's broadcast of a single bool over a [K, D] codebook
    [
      [1, 1],
      [10, 77],
    ],
    [
      [3, 5],
      [2, 3],
    ],
    [
      [2, 1, 3],
      [1, 7, 1],
    ], // a middle axis only
    [
      [2, 3, 1, 5],
      [3, 1, 4, 2],
    ],
    [[7], [1]], // nothing repeated: still a new array
    [
      [4, 3],
      [0, 2],
    ], // empty output
    [
      [0, 3],
      [5, 1],
    ],
    [[], []], // a scalar
  ];
  for (const [shape, reps] of cases) {
    it(`[${shape}] × [${reps}], float32, int32 and bool`, () => {
      tf.tidy(() => {
        const f = tf.randomUniform(shape, -5, 5, 'float32', 11);
        for (const x of [f, tf.cast(f, 'int32'), tf.greater(f, 0)]) expectTileLikeStock(x, reps);
      });
    });
  }

  it('any shape and reps (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        (axes, seed) => {
          tf.tidy(() => {
            const f = tf.randomUniform(
              axes.map(([d]) => d),
              -5,
              5,
              'float32',
              seed,
            );
            const reps = axes.map(([, r]) => r);
            for (const x of [f, tf.cast(f, 'int32'), tf.greater(f, 0)])
              expectTileLikeStock(x, reps);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never returns its input array (reps all 1 copies)', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const y = tf.tile(x, [1, 1]);
      const data = (t: tf.Tensor) =>
        (tf.backend() as unknown as { data: { get(id: object): { values: unknown } } }).data.get(
          t.dataId,
        ).values;
      expect(data(y)).not.toBe(data(x));
      expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    });
  });

  it('tf.where with a single condition, through Tile, equals the stock result', () => {
    const run = () =>
      tf.tidy(() => {
        const a = tf.randomUniform([33, 8], -1, 1, 'float32', 12);
        const b = tf.randomUniform([33, 8], -1, 1, 'float32', 13);
        return tf.concat([tf.where(tf.scalar(true), a, b), tf.where(tf.scalar(false), a, b)]);
      });
    const fast = run();
    unregisterCpuKernels();
    const stock = run();
    registerCpuKernels();
    expect(Array.from(fast.dataSync())).toEqual(Array.from(stock.dataSync()));
    tf.dispose([fast, stock]);
  });
});
