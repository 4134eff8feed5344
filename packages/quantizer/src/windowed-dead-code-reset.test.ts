import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clusters, mat as rows, train } from '../test/fixtures';
import {
  emaDeadCodeReset,
  initFromTensor,
  noReset,
  QuantizerError,
  type ResetPolicy,
  VectorQuantizer,
  windowedDeadCodeReset,
} from './index';

describe('windowedDeadCodeReset', () => {
  const centres = [
    [0, 0],
    [5, 0],
    [0, 5],
  ];
  const initial = [...centres, [100, 100]];

  it('resets a planted dead code once the window is full, atomically, leaving live codes untouched', async () => {
    const make = (reset: ResetPolicy) =>
      new VectorQuantizer({
        codebookSize: 4,
        codeDim: 2,
        init: initFromTensor(initial),
        reset,
        decay: 0.9,
      });
    const vq = make(
      windowedDeadCodeReset({ threshold: 2, window: 3, bufferSize: 12, source: 'random-recent' }),
    );
    const plain = make(noReset());
    const batches = [1, 2, 3].map((s) => clusters(centres, 4, 0.3, s));
    for (const [i, b] of batches.entries()) {
      train(vq, b);
      train(plain, b);
      const planted = rows(vq.codebook)[3]!;
      // Window not full yet: only Laplace smoothing moves the unused code, by < 1e-3.
      if (i < 2) expect(Math.abs(planted[0]! - 100)).toBeLessThan(1e-3);
    }
    const cb = rows(vq.codebook);
    // Live codes: exactly the plain EMA result.
    expect(cb.slice(0, 3)).toEqual(rows(plain.codebook).slice(0, 3));
    // The planted code now holds a recently seen encoder output.
    const seen = batches.flatMap((b) => rows(b).map((r) => r.join()));
    expect(seen).toContain(cb[3]!.join());
    // Atomic: N = 1, M = e for the reset code; its window history is cleared.
    const state = await vq.getState();
    expect(state.emaCount.data[3]).toBe(1);
    expect(Array.from(state.emaSum.data.slice(6, 8))).toEqual(cb[3]);
    const k = 4;
    const window = state.reset.tensors.window!.data;
    expect([0, 1, 2].map((t) => window[t * k + 3])).toEqual([0, 0, 0]);
    expect(state.reset.tensors.history!.data[3]).toBe(0);
    expect(state.reset.tensors.history!.data[0]).toBe(3);
    expect(await vq.flushEvents()).toEqual([
      { kind: 'init', step: 0, policy: 'from-tensor' },
      { kind: 'reset', step: 2, policy: 'windowed(random-recent)', codesReset: 1 },
    ]);
    tf.dispose(batches);
    vq.dispose();
    plain.dispose();
  });

  it("'recent-mean' replaces a dead code with the mean of recent outputs", () => {
    const vq = new VectorQuantizer({
      codebookSize: 2,
      codeDim: 2,
      init: initFromTensor([
        [0, 0],
        [100, 100],
      ]),
      reset: windowedDeadCodeReset({ window: 1, source: 'recent-mean', groupSize: 3 }),
    });
    // Every row is (1, 2) or (1, 4): a group mean has x = 1 and y in [2, 4] on a 1/3 grid.
    const z = tf.tensor2d([
      [1, 2],
      [1, 4],
      [1, 2],
      [1, 4],
    ]);
    train(vq, z);
    const [x, y] = rows(vq.codebook)[1]!;
    expect(x).toBeCloseTo(1, 6);
    expect(y).toBeGreaterThanOrEqual(2);
    expect(y).toBeLessThanOrEqual(4);
    expect(((y! - 2) * 3) / 2).toBeCloseTo(Math.round(((y! - 2) * 3) / 2), 4);
    z.dispose();
    vq.dispose();
  });

  it('a rejected NaN batch does not count as filling the recent-output buffer', () => {
    // The only encoder output ever accepted is (5, 5): every reset must revive code 1 with it,
    // never with a buffer row the rejected batch did not write (zeros).
    for (const source of ['random-recent', 'recent-mean'] as const) {
      for (let seed = 0; seed < 6; seed++) {
        const vq = new VectorQuantizer({
          codebookSize: 2,
          codeDim: 2,
          seed,
          init: initFromTensor([
            [5, 5],
            [100, 100],
          ]),
          reset: windowedDeadCodeReset({ window: 1, threshold: 1, bufferSize: 4, source }),
        });
        const bad = tf.tensor2d([
          [Number.NaN, 0],
          [1, 1],
          [2, 2],
          [3, 3],
        ]);
        const good = tf.tensor2d([[5, 5]]);
        train(vq, bad);
        train(vq, good);
        expect(rows(vq.codebook)[1]).toEqual([5, 5]);
        tf.dispose([bad, good]);
        vq.dispose();
      }
    }
  });

  it('rejects threshold and window ≤ 0', () => {
    expect(() => windowedDeadCodeReset({ threshold: 0 })).toThrow(
      /threshold must be a number > 0, got 0/,
    );
    expect(() => windowedDeadCodeReset({ window: 0 })).toThrow(
      /window must be an integer > 0, got 0/,
    );
    expect(() => emaDeadCodeReset({ threshold: -1 })).toThrow(QuantizerError);
  });
});
