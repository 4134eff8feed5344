import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkedNearestCode, QuantizerError } from './index';
import { argMinLowestIndex } from './nearest-code';

/** Brute force in float64: argmin ‖z − e‖², first index wins ties. */
function reference(z: number[][], e: number[][]): number[] {
  return z.map((zi) => {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    e.forEach((ek, k) => {
      const d = ek.reduce((s, v, j) => s + (zi[j]! - v) ** 2, 0);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    return best;
  });
}

const smallInts = (rows: number, d: number) =>
  fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: d, maxLength: d }), {
    minLength: rows,
    maxLength: rows,
  });

describe('chunkedNearestCode', () => {
  it('matches a brute-force reference, ties → lowest index, for any chunk size (property)', () => {
    // Small integers make every distance exact in float32 and produce many exact ties.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((d) =>
          fc.tuple(
            smallInts(9, d),
            fc.integer({ min: 1, max: 7 }).chain((k) => smallInts(k, d)),
            fc.integer({ min: 1, max: 12 }),
            fc.boolean(),
          ),
        ),
        ([z, e, chunkSize, exact]) => {
          const want = reference(z, e);
          const got = tf.tidy(() => {
            const zt = tf.tensor2d(z);
            const et = tf.tensor2d(e);
            if (exact) {
              // The order-independent path used off cpu, checked here on cpu.
              const codeSq = tf.reshape(tf.sum(tf.square(et), 1), [1, -1]);
              const d = tf.add(tf.matMul(tf.mul(zt, -2), et, false, true), codeSq) as tf.Tensor2D;
              return Array.from(argMinLowestIndex(d, true).dataSync());
            }
            return Array.from(chunkedNearestCode(zt, et, { chunkSize }).dataSync());
          });
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });

  it('sends exact ties to the lowest index (duplicate codes)', () => {
    const idx = tf.tidy(() =>
      chunkedNearestCode(
        tf.tensor2d([
          [1, 1],
          [5, 5],
        ]),
        tf.tensor2d([
          [9, 9],
          [1, 1],
          [1, 1],
          [5, 5],
          [5, 5],
        ]),
        {
          chunkSize: 1,
        },
      ).arraySync(),
    );
    expect(idx).toEqual([1, 3]);
  });

  it('gives exactly the same indices chunked and unchunked on random floats', () => {
    const [a, b, c] = tf.tidy(() => {
      const z = tf.randomNormal([257, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
      const e = tf.randomNormal([33, 6], 0, 1, 'float32', 2) as tf.Tensor2D;
      return [
        chunkedNearestCode(z, e, { chunkSize: 257 }).arraySync(),
        chunkedNearestCode(z, e, { chunkSize: 16 }).arraySync(),
        chunkedNearestCode(z, e, { chunkSize: 1 }).arraySync(),
      ];
    });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('bounds peak memory by the chunk size and leaks nothing', async () => {
    const z = tf.randomNormal([512, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
    const e = tf.randomNormal([256, 4], 0, 1, 'float32', 4) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    chunkedNearestCode(z, e, { chunkSize: 512 }).dispose();
    chunkedNearestCode(z, e, { chunkSize: 32 }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Largest tensor any kernel produced: the distance matrix is [chunk, K], never [N, K].
    const largest = async (chunkSize: number) => {
      const info = await tf.profile(() => chunkedNearestCode(z, e, { chunkSize }));
      (info.result as tf.Tensor).dispose();
      return Math.max(
        ...info.kernels.flatMap((k) => k.outputShapes.map((s) => s.reduce((a, b) => a * b, 1))),
      );
    };
    expect(await largest(512)).toBe(512 * 256);
    expect(await largest(32)).toBe(32 * 256);
    tf.dispose([z, e]);
  });

  it('rejects mismatched widths and bad chunk sizes with QuantizerError', () => {
    const z = tf.zeros([3, 2]) as tf.Tensor2D;
    const e = tf.zeros([4, 3]) as tf.Tensor2D;
    expect(() => chunkedNearestCode(z, e, { chunkSize: 4 })).toThrow(QuantizerError);
    expect(() => chunkedNearestCode(z, tf.zeros([4, 2]) as tf.Tensor2D, { chunkSize: 0 })).toThrow(
      /chunkSize must be a positive integer/,
    );
    tf.dispose([z, e]);
  });
});
