import * as tf from '@tensorflow/tfjs-core';
import { chunkedNearestCode } from '@vqkit/quantizer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelError } from './errors';
import { fusedNearestCode, NEAREST_CODE_KERNEL } from './nearest-code';

/** Brute force in float64: argmin_k Σ_d (z − e)², strict < in code order (ties → lowest index). */
function bruteForce(z: number[][], e: number[][]): number[] {
  return z.map((row) => {
    let best = Number.POSITIVE_INFINITY;
    let idx = 0;
    e.forEach((code, k) => {
      let s = 0;
      for (let d = 0; d < row.length; d++) s += (row[d] - code[d]) ** 2;
      if (s < best) {
        best = s;
        idx = k;
      }
    });
    return idx;
  });
}

function search(
  fn: typeof fusedNearestCode,
  z: number[][],
  e: number[][],
  chunkSize: number,
): number[] {
  const d = e[0].length;
  return tf.tidy(() =>
    Array.from(
      fn(tf.tensor2d(z.flat(), [z.length, d]), tf.tensor2d(e.flat(), [e.length, d]), {
        chunkSize,
      }).dataSync(),
    ),
  );
}

describe('fusedNearestCode on cpu', () => {
  it('equals brute force on random data for any chunk size (fast-check, seeded)', () => {
    const arb = fc
      .record({
        n: fc.integer({ min: 1, max: 23 }),
        k: fc.integer({ min: 1, max: 600 }),
        d: fc.integer({ min: 1, max: 9 }),
        chunkSize: fc.integer({ min: 1, max: 30 }),
        seed: fc.nat(1000),
      })
      .map(({ n, k, d, chunkSize, seed }) => {
        let s = seed + 1;
        const next = () => {
          s = (s * 1103515245 + 12345) % 2147483648;
          return Math.fround(s / 2147483648 - 0.5);
        };
        const z = Array.from({ length: n }, () => Array.from({ length: d }, next));
        const e = Array.from({ length: k }, () => Array.from({ length: d }, next));
        return { z, e, chunkSize };
      });
    fc.assert(
      fc.property(arb, ({ z, e, chunkSize }) => {
        const want = bruteForce(z, e);
        expect(search(fusedNearestCode, z, e, chunkSize)).toEqual(want);
      }),
      { seed: 3, numRuns: 40 },
    );
  });

  it('sends exact ties to the lowest code index (duplicates and equidistant codes)', () => {
    // Codes 1 and 3 are duplicates; 0 and 2 are equidistant from z = (0, 0); codes across the
    // 512-code block boundary tie too.
    const e = [[1, 0], [5, 5], [-1, 0], [5, 5], ...Array.from({ length: 600 }, () => [9, 9])];
    e[513] = [0, 3];
    e[580] = [3, 0];
    const z = [
      [0, 0],
      [5, 5],
      [0, 0.5],
      [0.2, 3],
      [3, 0.2],
    ];
    expect(bruteForce(z, e)).toEqual([0, 1, 0, 513, 580]);
    for (const chunk of [1, 2, 4, 100]) {
      expect(search(fusedNearestCode, z, e, chunk)).toEqual([0, 1, 0, 513, 580]);
    }
    // Equidistant across the 512-code block boundary: (2.5, 2.5) is √6.5 from both 513 and 580.
    expect(search(fusedNearestCode, [[2.5, 2.5]], e, 8)).toEqual([513]);
  });

  it('runs as the registered VqkitNearestCode kernel, inside tidy, without leaking', () => {
    const z = tf.randomUniform([37, 8], -1, 1, 'float32', 1) as tf.Tensor2D;
    const e = tf.randomUniform([100, 8], -1, 1, 'float32', 2) as tf.Tensor2D;
    fusedNearestCode(z, e, { chunkSize: 16 }).dispose();
    expect(tf.getKernel(NEAREST_CODE_KERNEL, 'cpu')).toBeDefined();
    const before = tf.memory().numTensors;
    const idx = tf.tidy(() => fusedNearestCode(z, e, { chunkSize: 16 }));
    expect(idx.dtype).toBe('int32');
    expect(idx.shape).toEqual([37]);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(idx.dataSync())).toEqual(
      Array.from(chunkedNearestCode(z, e, { chunkSize: 5 }).dataSync()),
    );
    tf.dispose([idx, z, e]);
  });

  it('is detached from the tape: gather(codebook, idx) trains z through a straight-through path', () => {
    const z = tf.variable(tf.randomUniform([6, 4], -1, 1, 'float32', 3));
    const e = tf.randomUniform([10, 4], -1, 1, 'float32', 4) as tf.Tensor2D;
    const { grads } = tf.variableGrads(() => {
      const idx = fusedNearestCode(z as tf.Tensor2D, e, { chunkSize: 4 });
      const q = tf.gather(e, idx);
      return tf.sum(tf.square(tf.sub(z, q))) as tf.Scalar;
    }, [z]);
    const want = tf.tidy(() =>
      tf.mul(2, tf.sub(z, tf.gather(e, fusedNearestCode(z as tf.Tensor2D, e, { chunkSize: 4 })))),
    );
    expect(Array.from(grads[z.name].dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([z, e, want, ...Object.values(grads)]);
  });

  it('rejects bad shapes, dtypes, chunk sizes and an empty codebook with KernelError', () => {
    const z = tf.zeros([3, 4]) as tf.Tensor2D;
    const e = tf.zeros([5, 4]) as tf.Tensor2D;
    expect(() => fusedNearestCode(z, tf.zeros([5, 3]) as tf.Tensor2D, { chunkSize: 2 })).toThrow(
      /same D, got z \[3,4\] and codebook \[5,3\]/,
    );
    expect(() => fusedNearestCode(z, e, { chunkSize: 0 })).toThrow(KernelError);
    expect(() => fusedNearestCode(z, e, { chunkSize: 1.5 })).toThrow(/positive integer, got 1.5/);
    expect(() =>
      fusedNearestCode(tf.zeros([3, 4], 'int32') as tf.Tensor2D, e, { chunkSize: 2 }),
    ).toThrow(/float32/);
    expect(() => fusedNearestCode(z, tf.zeros([0, 4]) as tf.Tensor2D, { chunkSize: 2 })).toThrow(
      /empty/,
    );
  });
});
