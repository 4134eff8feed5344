import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { describe, expect, it } from 'vitest';
import { lfqEntropies, type Mat, numericGradient } from '../test/reference';
import { LookupFreeQuantizer, type LookupFreeQuantizerState, QuantizerError } from './index';

const seeded = (seed: number, rows: number, cols: number, std: number): Mat => {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () =>
    Array.from(rng.fillNormal(new Float32Array(cols), 0, std)),
  );
};

/** L = Σ quantized·c + loss, its value and dL/dz, from the quantizer in training mode. */
function lossAndGrad(lfq: LookupFreeQuantizer, z: Mat, c: Mat) {
  const zVar = tf.variable(tf.tensor2d(z));
  const cT = tf.tensor2d(c);
  let parts: { entropy: number; commitment: number } = { entropy: 0, commitment: 0 };
  const { value, grads } = tf.variableGrads(() => {
    const out = lfq.forward(zVar, { training: true });
    parts = {
      entropy: out.entropyLoss!.dataSync()[0]!,
      commitment: out.commitmentLoss.dataSync()[0]!,
    };
    return tf.add(tf.sum(tf.mul(out.quantized, cT)), out.loss) as tf.Scalar;
  });
  const result = {
    value: value.dataSync()[0]!,
    dz: grads[zVar.name]!.arraySync() as Mat,
    ...parts,
  };
  tf.dispose([zVar, cT, value, ...Object.values(grads)]);
  return result;
}

describe('LookupFreeQuantizer (Yu et al. 2023)', () => {
  it('quantizes to signs with indices as bits (first dimension most significant); decode inverts', () => {
    const lfq = new LookupFreeQuantizer({ codeDim: 3 });
    expect([lfq.codebookSize, lfq.bitsPerPosition]).toEqual([8, 3]);
    const z = tf.tensor2d([
      [0.5, -1, 2],
      [-0.1, -0.2, -0.3],
      [3, 0, 1e-6],
    ]);
    const out = lfq.forward(z);
    expect(out.quantized.arraySync()).toEqual([
      [1, -1, 1],
      [-1, -1, -1],
      [1, -1, 1],
    ]);
    expect(Array.from(out.indices.dataSync())).toEqual([0b101, 0b000, 0b101]);
    expect(lfq.decode(out.indices).arraySync()).toEqual(out.quantized.arraySync());
    expect(lfq.decode([6]).arraySync()).toEqual([[1, 1, -1]]);
    tf.dispose([z, ...Object.values(out)]);
    lfq.dispose();
  });

  it('entropy loss = per-sample − γ·batch entropy over the explicit 2^D softmax; gradients match', () => {
    const [invT, gamma, w, beta] = [2, 0.7, 0.3, 0.25];
    const lfq = new LookupFreeQuantizer({
      codeDim: 3,
      inverseTemperature: invT,
      diversityGamma: gamma,
      entropyWeight: w,
      commitmentWeight: beta,
    });
    const z = seeded(81, 5, 3, 0.4);
    const c = seeded(82, 5, 3, 1);
    const sign = (v: number) => (v > 0 ? 1 : -1);
    const ref = lfqEntropies(z, invT);
    const got = lossAndGrad(lfq, z, c);
    expect(got.entropy).toBeCloseTo(ref.perSample - gamma * ref.batch, 5);
    const numel = 15;
    const commit = z.flat().reduce((s, v) => s + (v - sign(v)) ** 2, 0) / numel;
    expect(got.commitment).toBeCloseTo(beta * commit, 6);
    // dL/dz = c (straight-through) + 2β(z − q)/numel + w·∂(H_sample − γH_batch)/∂z.
    const entropyOf = (flat: number[]) => {
      const rows = Array.from({ length: 5 }, (_, n) => flat.slice(3 * n, 3 * n + 3));
      const e = lfqEntropies(rows, invT);
      return e.perSample - gamma * e.batch;
    };
    const dEntropy = numericGradient(entropyOf, z.flat());
    got.dz.flat().forEach((g, k) => {
      const v = z.flat()[k]!;
      const want = c.flat()[k]! + (2 * beta * (v - sign(v))) / numel + w * dEntropy[k]!;
      expect(g).toBeCloseTo(want, 4);
    });
    lfq.dispose();
  });

  it('the chunked batch entropy equals the one-chunk result, loss and gradients', () => {
    const z = seeded(83, 7, 4, 0.3);
    const c = seeded(84, 7, 4, 1);
    const make = (entropyChunkSize: number) =>
      new LookupFreeQuantizer({ codeDim: 4, inverseTemperature: 3, entropyChunkSize });
    const [one, many] = [make(1000), make(2)];
    const a = lossAndGrad(one, z, c);
    const b = lossAndGrad(many, z, c);
    expect(b.value).toBeCloseTo(a.value, 5);
    b.dz.flat().forEach((g, k) => {
      expect(g).toBeCloseTo(a.dz.flat()[k]!, 5);
    });
    one.dispose();
    many.dispose();
  });

  it('evaluation computes no entropy term; state round trip restores usage', async () => {
    const a = new LookupFreeQuantizer({ codeDim: 2, statsWindow: 3 });
    const z = tf.tensor2d(seeded(85, 8, 2, 1));
    const evalOut = a.forward(z);
    expect(evalOut.entropyLoss).toBeUndefined();
    expect(evalOut.loss).toBe(evalOut.commitmentLoss);
    tf.dispose(Object.values(evalOut));
    tf.dispose(Object.values(a.forward(z, { training: true })));
    const state = JSON.parse(
      JSON.stringify(await a.getState(), (_, v) => (v instanceof Float32Array ? Array.from(v) : v)),
    ) as LookupFreeQuantizerState;
    const b = new LookupFreeQuantizer({ codeDim: 2, statsWindow: 3 });
    b.setState(state);
    expect(await b.usage()).toEqual(await a.usage());
    expect((await b.usage('eval')).total).toBe(8);
    const wrong = new LookupFreeQuantizer({ codeDim: 3 });
    expect(() => wrong.setState(state)).toThrow(/state is for codeDim 2/);
    tf.dispose(z);
    for (const q of [a, b, wrong]) q.dispose();
  });

  it('bad input names the option, the value and the fix', () => {
    expect(() => new LookupFreeQuantizer({ codeDim: 0 })).toThrow(
      /codeDim must be an integer in \[1, 24\].*got 0/,
    );
    expect(() => new LookupFreeQuantizer({ codeDim: 25 })).toThrow(QuantizerError);
    expect(() => new LookupFreeQuantizer({ codeDim: 4, entropyWeight: -1 })).toThrow(
      /entropyWeight must be a finite number ≥ 0, got -1/,
    );
    expect(() => new LookupFreeQuantizer({ codeDim: 4, inverseTemperature: 0 })).toThrow(
      /inverseTemperature/,
    );
    const lfq = new LookupFreeQuantizer({ codeDim: 2 });
    expect(() => lfq.decode([4])).toThrow(/= 4 is out of range \[0, 4\)/);
    lfq.dispose();
  });
});
