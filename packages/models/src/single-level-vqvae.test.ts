import * as tf from '@tensorflow/tfjs-core';
import { vqvaeParamCounts } from '@vqkit/backbones';
import { VectorQuantizer } from '@vqkit/quantizer';
import { describe, expect, it } from 'vitest';
import { ModelsError } from './errors';
import { SingleLevelVQVAE } from './single-level-vqvae';
import { absSum, images, TINY_SINGLE, total } from './test-fixtures';
import { vqvaeTrainStep } from './train-step';
import type { VQVAE } from './types';

describe('SingleLevelVQVAE', () => {
  it('maps [B,S,S,3] to a reconstruction of the same shape through one Hs×Ws×Ds code map', async () => {
    const model = new SingleLevelVQVAE(TINY_SINGLE);
    const x = images(3);
    const out = model.forward(x, { training: true });
    expect(out.reconstruction.shape).toEqual([2, 16, 16, 3]);
    expect([out.indices.single.shape, out.indices.single.dtype]).toEqual([[2, 4, 4], 'int32']);
    expect(out.counts.single?.shape).toEqual([16]);
    expect(await total(out.counts.single!)).toBe(32);
    for (const t of Object.values(out.loss))
      if (t instanceof tf.Tensor) expect(t.shape).toEqual([]);
    expect(model.levels).toEqual([
      { name: 'single', codebookSize: 16, codeDim: 4, height: 4, width: 4 },
    ]);
    expect(
      Object.keys(model.trainableVariables).every((n) => /^(encoder|projection|decoder)\./.test(n)),
    ).toBe(true);
    tf.dispose([out, x]);
    model.dispose();
  });

  it('loss equals eq. 3 computed independently (nearest codes and means in plain JS)', async () => {
    const model = new SingleLevelVQVAE(TINY_SINGLE);
    const x = images(4);
    tf.dispose(model.forward(x, { training: true })); // data init of the codebook
    const out = model.forward(x, { training: false });
    const ze = tf.tidy(() => model.projection.apply(model.encoder.apply(x)));
    const zeData = await ze.data();
    const state = (await model.quantizer.getState()) as { codebook: { data: Float32Array } };
    const cb = state.codebook.data;
    const [K, D] = [16, 4];
    const zqData = new Float32Array(zeData.length);
    const expectedIdx: number[] = [];
    for (let i = 0; i < zeData.length / D; i++) {
      let best = 0;
      let bestDist = Number.POSITIVE_INFINITY;
      for (let k = 0; k < K; k++) {
        let dist = 0;
        for (let j = 0; j < D; j++) dist += (zeData[i * D + j]! - cb[k * D + j]!) ** 2;
        if (dist < bestDist) [best, bestDist] = [k, dist];
      }
      expectedIdx.push(best);
      for (let j = 0; j < D; j++) zqData[i * D + j] = cb[best * D + j]!;
    }
    expect(Array.from(await out.indices.single.data())).toEqual(expectedIdx);
    const zq = tf.tensor4d(zqData, ze.shape as [number, number, number, number]);
    const rec = model.decoder.apply(zq);
    const [xd, rd] = [await x.data(), await rec.data()];
    let mse = 0;
    for (let i = 0; i < xd.length; i++) mse += (xd[i]! - rd[i]!) ** 2;
    mse /= xd.length;
    let commit = 0;
    for (let i = 0; i < zeData.length; i++) commit += (zeData[i]! - zqData[i]!) ** 2;
    commit = (0.25 * commit) / zeData.length;
    const got = async (t: tf.Scalar) => (await t.data())[0]!;
    expect(await got(out.loss.reconstruction)).toBeCloseTo(mse, 6);
    expect(await got(out.loss.commitment)).toBeCloseTo(commit, 6);
    expect(await got(out.loss.levels.single)).toBeCloseTo(commit, 6);
    expect(await got(out.loss.total)).toBeCloseTo(mse + commit, 6);
    tf.dispose([out, x, ze, zq, rec]);
    model.dispose();
  });

  it('gradients reach every trainable variable; a step keeps tf.memory().numTensors stable', async () => {
    const model = new SingleLevelVQVAE(TINY_SINGLE);
    const optimizer = tf.train.adam(1e-3);
    const x = images(5);
    const vars = Object.values(model.trainableVariables);
    const { value, grads } = tf.variableGrads(
      () => model.forward(x, { training: true }).loss.total,
      vars,
    );
    expect(Object.keys(grads).sort()).toEqual(vars.map((v) => v.name).sort());
    for (const [name, g] of Object.entries(grads)) expect(await absSum(g), name).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    tf.dispose(vqvaeTrainStep(model, optimizer, x)); // creates Adam's slots
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) tf.dispose(vqvaeTrainStep(model, optimizer, x));
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    x.dispose();
    model.dispose();
  });

  it('decode(encode(x)) is the evaluation reconstruction; encode changes no training state', async () => {
    const model = new SingleLevelVQVAE(TINY_SINGLE);
    const x = images(6);
    tf.dispose(model.forward(x, { training: true }));
    const before = (await model.quantizer.getState()) as { step: number; codebook: unknown };
    const indices = model.encode(x);
    expect(indices.single.shape).toEqual([2, 4, 4]);
    const decoded = model.decode(indices);
    const out = model.forward(x, { training: false });
    expect(Array.from(await decoded.data())).toEqual(Array.from(await out.reconstruction.data()));
    const after = (await model.quantizer.getState()) as typeof before;
    expect([after.step, after.codebook]).toEqual([before.step, before.codebook]);
    tf.dispose([x, indices, decoded, out]);
    model.dispose();
  });

  it('uses a custom quantizer factory through the Quantizer interface only (trainable variables included)', async () => {
    const calls: unknown[] = [];
    const model = new SingleLevelVQVAE({
      ...TINY_SINGLE,
      vq: undefined,
      quantizer: (level) => {
        calls.push(level);
        return scaledQuantizer(level.codebookSize, level.codeDim, level.seed);
      },
    });
    expect(calls).toEqual([
      { name: 'single', codebookSize: 16, codeDim: 4, seed: expect.any(Number) },
    ]);
    expect(model.quantizer.kind).toBe('scaled-vq');
    expect(Object.keys(model.trainableVariables)).toContain('quantizer.scale');
    expect(model.countParams()).toBe(
      vqvaeParamCounts({ singleChannels: 8, codeDim: 4, resBlocks: 1 }).single.total + 1,
    );
    const x = images(7);
    const vars = Object.values(model.trainableVariables);
    const { value, grads } = tf.variableGrads(
      () => model.forward(x, { training: true }).loss.total,
      vars,
    );
    const scale = model.trainableVariables['quantizer.scale']!;
    expect(await absSum(grads[scale.name]!)).toBeGreaterThan(0);
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
  });

  it('is assignable to the architecture-agnostic VQVAE type', () => {
    const model: VQVAE = new SingleLevelVQVAE(TINY_SINGLE);
    expect(model.levels.map((l) => l.name)).toEqual(['single']);
    model.dispose();
  });

  it('rejects bad options and inputs with messages naming the argument, the value and the fix', () => {
    const cases: [() => unknown, RegExp][] = [
      [
        () => new SingleLevelVQVAE({ channels: 7 }),
        /SingleLevelVQVAE: channels must be even.*got 7\. Use 8/,
      ],
      [
        () => new SingleLevelVQVAE({ inputSize: 18 }),
        /inputSize must be a multiple of the total downsampling 4, got 18\. Use 16 or 20/,
      ],
      [
        () => new SingleLevelVQVAE({ resChannels: 0 }),
        /resChannels must be an integer ≥ 1, got 0\. Or pass 'half'/,
      ],
      [
        () => new SingleLevelVQVAE({ downsample: 3 }),
        /downsample must be a power of two ≥ 2.*got 3/,
      ],
      [
        () =>
          new SingleLevelVQVAE({
            quantizer: () => new VectorQuantizer({ codebookSize: 4, codeDim: 2 }),
            search: (z) => z as never,
          }),
        /search must be absent when a quantizer factory is given/,
      ],
      [
        () => new SingleLevelVQVAE({ vq: { codebookSize: 4 } as never }),
        /vq\.codebookSize must be absent.*Set the model's codebookSize option instead/,
      ],
      [
        () =>
          new SingleLevelVQVAE({
            ...TINY_SINGLE,
            vq: undefined,
            quantizer: () => new VectorQuantizer({ codebookSize: 4, codeDim: 3 }),
          }),
        /quantizer\('single'\)\.codeDim must be the level's codeDim = 4, got 3/,
      ],
    ];
    for (const [f, re] of cases) {
      expect(f).toThrow(ModelsError);
      expect(f).toThrow(re);
    }
    const model = new SingleLevelVQVAE(TINY_SINGLE);
    const nchw = tf.zeros([1, 3, 16, 16]) as tf.Tensor4D;
    expect(() => model.forward(nchw, { training: true })).toThrow(
      /SingleLevelVQVAE\.forward: x must be a float32 tensor \[batch, height, width, 3\], got a float32 tensor of shape \[1,3,16,16\]\. Transpose NCHW/,
    );
    const odd = tf.zeros([1, 18, 16, 3]) as tf.Tensor4D;
    expect(() => model.encode(odd)).toThrow(/multiples of 4.*\[1,18,16,3\]/);
    const x = images(1);
    expect(() => model.forward(x, {} as never)).toThrow(
      /options\.training must be a boolean, got undefined/,
    );
    expect(() => model.decode({} as never)).toThrow(
      /SingleLevelVQVAE\.decode: indices\.single must be an int32 tensor/,
    );
    tf.dispose([nchw, odd, x]);
    model.dispose();
  });
});

/**
 * A quantizer family the models have never seen: an EMA VQ whose output is multiplied by a
 * trainable scalar. A plain object exposing only the Quantizer interface, so the model cannot
 * reach VectorQuantizer-specific members.
 */
function scaledQuantizer(codebookSize: number, codeDim: number, seed: number) {
  const vq = new VectorQuantizer({ codebookSize, codeDim, seed, chunkSize: 64 });
  const scale = tf.variable(tf.scalar(1), true);
  return {
    kind: 'scaled-vq',
    codeDim,
    codebookSize,
    bitsPerPosition: Math.log2(codebookSize),
    variables: { scale },
    forward(z: tf.Tensor, options?: { training?: boolean }) {
      const q = vq.forward(z, options);
      const quantized = tf.mul(q.quantized, scale);
      q.quantized.dispose();
      return { quantized, indices: q.indices, loss: q.loss, counts: q.counts };
    },
    decode: (indices: tf.Tensor) => tf.tidy(() => tf.mul(vq.decode(indices), scale)),
    usage: () => vq.usage(),
    flushEvents: () => vq.flushEvents(),
    getState: async () => ({ vq: await vq.getState(), scale: (await scale.data())[0] }),
    setState: (s: { vq: Parameters<VectorQuantizer['setState']>[0]; scale: number }) => {
      vq.setState(s.vq);
      tf.tidy(() => scale.assign(tf.scalar(s.scale)));
    },
    dispose: () => {
      vq.dispose();
      scale.dispose();
    },
  };
}
