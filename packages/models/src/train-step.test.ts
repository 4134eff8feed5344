import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SingleLevelVQVAE } from './single-level-vqvae';
import { images, TINY_SINGLE, total } from './test-fixtures';
import { vqvaeTrainStep } from './train-step';

describe('vqvaeTrainStep', () => {
  it('returns the batch loss before the update and the counts on the device, and lowers the loss', async () => {
    const model = new SingleLevelVQVAE(TINY_SINGLE);
    const twin = new SingleLevelVQVAE(TINY_SINGLE);
    const optimizer = tf.train.adam(1e-2);
    const x = images(8, 4);
    // Same seed, same first training forward: the loss the step differentiates (the codebook's
    // EMA update comes after the assignment, so it does not change this batch's loss).
    const expected = twin.forward(x, { training: true });
    const first = vqvaeTrainStep(model, optimizer, x);
    const read = async (t: tf.Scalar) => (await t.data())[0]!;
    expect(await read(first.loss.reconstruction)).toBe(await read(expected.loss.reconstruction));
    expect(await read(first.loss.total)).toBeCloseTo(
      (await read(first.loss.reconstruction)) + (await read(first.loss.commitment)),
      6,
    );
    expect(await total(first.counts.single!)).toBe(4 * 16);
    let last = first;
    for (let i = 0; i < 15; i++) {
      if (last !== first) tf.dispose(last);
      last = vqvaeTrainStep(model, optimizer, x);
    }
    expect(await read(last.loss.reconstruction)).toBeLessThan(
      await read(first.loss.reconstruction),
    );
    tf.dispose([first, last, expected, x]);
    for (const t of [optimizer, model, twin]) t.dispose();
  });
});
