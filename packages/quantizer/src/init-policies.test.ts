import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clusters, mat as rows } from '../test/fixtures';
import {
  initFromData,
  initFromTensor,
  initKMeans,
  initRandom,
  noReset,
  QuantizerError,
  VectorQuantizer,
} from './index';

describe('init policies', () => {
  it('initFromData draws distinct batch rows on the first training batch', () => {
    const vq = new VectorQuantizer({
      codebookSize: 6,
      codeDim: 2,
      init: initFromData(),
      reset: noReset(),
      seed: 4,
    });
    expect(vq.initialized).toBe(false);
    const z = clusters([[0, 0]], 10, 1, 1);
    const out = vq.forward(z, { training: true });
    // Quantized with the fresh codebook: every code is a batch row, so its own row maps to itself.
    const batch = rows(z).map((r) => r.join());
    const pre = rows(out.quantized);
    expect(pre.filter((r, i) => r.join() === batch[i]).length).toBeGreaterThanOrEqual(6);
    expect(vq.initialized).toBe(true);
    tf.dispose([z, ...Object.values(out)]);
    vq.dispose();
  });

  it('initFromData uses rows of the batch without replacement (and is seeded)', () => {
    const draw = (seed: number) => {
      const vq = new VectorQuantizer({
        codebookSize: 5,
        codeDim: 2,
        seed,
        reset: noReset(),
        decay: 0.999999,
      });
      const z = clusters([[0, 0]], 8, 1, 2);
      vq.initialize(z);
      const cb = rows(vq.codebook).map((r) => r.join());
      const batch = new Set(rows(z).map((r) => r.join()));
      z.dispose();
      vq.dispose();
      expect(new Set(cb).size).toBe(5);
      for (const r of cb) expect(batch.has(r)).toBe(true);
      return cb;
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('initKMeans finds well-separated clusters', () => {
    const centres = [
      [0, 0],
      [8, 0],
      [0, 8],
      [8, 8],
    ];
    const z = clusters(centres, 15, 0.2, 3);
    const vq = new VectorQuantizer({
      codebookSize: 4,
      codeDim: 2,
      init: initKMeans({ iterations: 5 }),
      reset: noReset(),
    });
    vq.initialize(z);
    const found = rows(vq.codebook);
    // Every true centre has a code within 0.2 (noise std 0.2, so the cluster mean is closer).
    for (const c of centres) {
      expect(Math.min(...found.map((f) => Math.hypot(f[0]! - c[0]!, f[1]! - c[1]!)))).toBeLessThan(
        0.2,
      );
    }
    z.dispose();
    vq.dispose();
  });

  it('initRandom is seeded and needs no data; initFromTensor validates the shape', () => {
    const a = new VectorQuantizer({
      codebookSize: 3,
      codeDim: 2,
      init: initRandom({ std: 2 }),
      seed: 5,
    });
    const b = new VectorQuantizer({
      codebookSize: 3,
      codeDim: 2,
      init: initRandom({ std: 2 }),
      seed: 5,
    });
    expect(a.initialized).toBe(true);
    expect(rows(a.codebook)).toEqual(rows(b.codebook));
    expect(
      () => new VectorQuantizer({ codebookSize: 3, codeDim: 2, init: initFromTensor([1, 2, 3]) }),
    ).toThrow(/expected 3·2 = 6 finite values/);
    const wrong = tf.zeros([2, 2]) as tf.Tensor2D;
    expect(
      () => new VectorQuantizer({ codebookSize: 3, codeDim: 2, init: initFromTensor(wrong) }),
    ).toThrow(/shape \[codebookSize, codeDim\] = \[3,2\], got \[2,2\]/);
    expect(() => initKMeans({ iterations: -1 })).toThrow(QuantizerError);
    wrong.dispose();
    a.dispose();
    b.dispose();
  });
});
