import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vqvaeLoss } from './vqvae-loss';

describe('vqvaeLoss (eq. 3)', () => {
  it('total = mean (x − x̂)² + Σ level terms, for any values and any number of levels', async () => {
    const pixels = fc.float32Array({
      minLength: 1,
      maxLength: 24,
      noNaN: true,
      noDefaultInfinity: true,
      min: -10,
      max: 10,
    });
    await fc.assert(
      fc.asyncProperty(
        pixels.chain((x) =>
          fc.tuple(
            fc.constant(x),
            fc.float32Array({
              minLength: x.length,
              maxLength: x.length,
              noNaN: true,
              noDefaultInfinity: true,
              min: -10,
              max: 10,
            }),
          ),
        ),
        fc.array(fc.float({ noNaN: true, min: 0, max: 100 }), { minLength: 1, maxLength: 3 }),
        async ([x, y], terms) => {
          const names = ['single', 'bottom', 'top'] as const;
          const levels = Object.fromEntries(terms.map((t, i) => [names[i], tf.scalar(t)]));
          const [xt, yt] = [tf.tensor1d(x), tf.tensor1d(y)];
          const loss = vqvaeLoss(xt, yt, levels);
          let mse = 0;
          for (let i = 0; i < x.length; i++) mse += (x[i]! - y[i]!) ** 2;
          mse /= x.length;
          const sum = terms.map(Math.fround).reduce((a, b) => a + b, 0);
          const [rec, commitment, total] = await Promise.all([
            loss.reconstruction.data(),
            loss.commitment.data(),
            loss.total.data(),
          ]);
          expect(rec[0]).toBeCloseTo(mse, Math.max(0, 4 - Math.log10(1 + mse)));
          expect(commitment[0]).toBeCloseTo(sum, 2);
          expect(total[0]! - rec[0]! - commitment[0]!).toBeCloseTo(0, 2);
          tf.dispose([xt, yt, loss, levels]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a reconstruction of another shape and an empty level map', () => {
    const x = tf.zeros([1, 4, 4, 3]);
    const y = tf.zeros([1, 4, 4, 1]);
    expect(() => vqvaeLoss(x, y, { single: tf.scalar(0) })).toThrow(
      /vqvaeLoss: reconstruction must be the shape of x \[1,4,4,3\], got a float32 tensor of shape \[1,4,4,1\]/,
    );
    expect(() => vqvaeLoss(x, x, {})).toThrow(
      /levelLosses must be one scalar per quantised level, got none/,
    );
    tf.dispose([x, y]);
  });
});
