import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fsqScalar, type Mat, mixedRadix } from '../test/reference';
import { FiniteScalarQuantizer, type FiniteScalarQuantizerState, QuantizerError } from './index';

const seeded = (seed: number, rows: number, cols: number, std = 1.5): Mat => {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () =>
    Array.from(rng.fillNormal(new Float32Array(cols), 0, std)),
  );
};

describe('FiniteScalarQuantizer (Mentzer et al. 2023)', () => {
  it('values, indices and gradients match the plain-JS formula (even and odd levels)', () => {
    for (const levels of [
      [8, 5, 5, 4],
      [2, 3],
      [7, 6, 2],
    ]) {
      const fsq = new FiniteScalarQuantizer({ levels });
      expect(fsq.codebookSize).toBe(levels.reduce((a, b) => a * b, 1));
      expect(fsq.bitsPerPosition).toBeCloseTo(
        levels.reduce((s, l) => s + Math.log2(l), 0),
        12,
      );
      const z = seeded(levels.length, 9, levels.length);
      const c = seeded(levels.length + 10, 9, levels.length, 1);
      const ref = z.map((row) => row.map((v, i) => fsqScalar(v, levels[i]!)));
      const zVar = tf.variable(tf.tensor2d(z));
      let quantized: number[][] = [];
      let indices: number[] = [];
      const { grads, value } = tf.variableGrads(() => {
        const out = fsq.forward(zVar, { training: true });
        quantized = out.quantized.arraySync() as number[][];
        indices = Array.from(out.indices.dataSync());
        expect(out.loss.dataSync()[0]).toBe(0);
        return tf.sum(tf.mul(out.quantized, tf.tensor2d(c))) as tf.Scalar;
      });
      quantized.forEach((row, n) => {
        row.forEach((v, i) => {
          expect(v).toBeCloseTo(ref[n]![i]!.code, 6);
        });
      });
      expect(indices).toEqual(
        ref.map((row) =>
          mixedRadix(
            row.map((r) => r.level),
            levels,
          ),
        ),
      );
      // Straight-through round: d quantized / dz = (1 − tanh²)·half_l / ⌊L/2⌋.
      (grads[zVar.name]!.arraySync() as number[][]).forEach((row, n) => {
        row.forEach((g, i) => {
          expect(g).toBeCloseTo(c[n]![i]! * ref[n]![i]!.dBounded, 4);
        });
      });
      // decode(indices) gives back the quantized values.
      const decoded = fsq.decode(indices);
      const plus0 = (m: number[][]) => m.map((r) => r.map((v) => v + 0)); // −0 → 0
      expect(plus0(decoded.arraySync() as number[][])).toEqual(plus0(quantized));
      tf.dispose([zVar, value, decoded, ...Object.values(grads)]);
      fsq.dispose();
    }
  });

  it('reaches every one of the ∏ Lᵢ codes, each level value in [−1, 1]', async () => {
    const fsq = new FiniteScalarQuantizer({ levels: [4, 3] });
    const all = fsq.decode(Array.from({ length: 12 }, (_, i) => i));
    const codes = all.arraySync() as number[][];
    expect(new Set(codes.map((c) => c.join())).size).toBe(12);
    expect(codes.flat().every((v) => v >= -1 && v <= 1)).toBe(true);
    // z that the bound maps exactly onto each code's rounded value: every code is reachable.
    const zFor = (code: number, levels: number) => {
      const halfL = ((levels - 1) * 1.001) / 2;
      const offset = levels % 2 === 0 ? 0.5 : 0;
      const rounded = code * Math.floor(levels / 2);
      return Math.atanh((rounded + offset) / halfL) - Math.atanh(offset / halfL);
    };
    const z = tf.tensor2d(codes.map((code) => code.map((v, i) => zFor(v, [4, 3][i]!))));
    const out = fsq.forward(z, { training: true });
    expect(Array.from(out.indices.dataSync())).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(await fsq.usage('window')).toMatchObject({
      perplexity: expect.closeTo(12, 4),
      deadFraction: 0,
      total: 12,
      codebookSize: 12,
    });
    tf.dispose([all, z, ...Object.values(out)]);
    fsq.dispose();
  });

  it('mixed-radix decode is exact up to 2^24 codes (property)', () => {
    const levels = [4095, 4097];
    const fsq = new FiniteScalarQuantizer({ levels });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4095 * 4097 - 1 }), { minLength: 1, maxLength: 20 }),
        (idx) => {
          const t = tf.tensor1d(idx, 'int32');
          const codes = fsq.decode(t).arraySync() as number[][];
          tf.dispose(t);
          codes.forEach((code, n) => {
            const digits = code.map((v, i) =>
              Math.round(v * Math.floor(levels[i]! / 2) + Math.floor(levels[i]! / 2)),
            );
            expect(mixedRadix(digits, levels)).toBe(idx[n]);
          });
        },
      ),
      { numRuns: 30, seed: 5 },
    );
    fsq.dispose();
  });

  it('state round trip restores usage counts and step', async () => {
    const a = new FiniteScalarQuantizer({ levels: [3, 3], statsWindow: 2 });
    for (let i = 0; i < 3; i++) {
      const z = tf.tensor2d(seeded(70 + i, 6, 2));
      tf.dispose(Object.values(a.forward(z, { training: true })));
      z.dispose();
    }
    const state = JSON.parse(
      JSON.stringify(await a.getState(), (_, v) => (v instanceof Float32Array ? Array.from(v) : v)),
    ) as FiniteScalarQuantizerState;
    const b = new FiniteScalarQuantizer({ levels: [3, 3], statsWindow: 2 });
    b.setState(state);
    expect(b.step).toBe(3);
    expect(await b.usage()).toEqual(await a.usage());
    const other = new FiniteScalarQuantizer({ levels: [3, 4] });
    expect(() => other.setState(state)).toThrow(/state is for levels \[3,3\]/);
    for (const q of [a, b, other]) q.dispose();
  });

  it('bad input names the option, the value and the fix', () => {
    expect(() => new FiniteScalarQuantizer({ levels: [3, 1] })).toThrow(
      /levels\[1\] must be an integer ≥ 2, got 1.*Use e\.g\. \[8, 5, 5, 5\]/,
    );
    expect(() => new FiniteScalarQuantizer({ levels: [] })).toThrow(QuantizerError);
    expect(() => new FiniteScalarQuantizer({ levels: [2.5] })).toThrow(/levels\[0\]/);
    expect(() => new FiniteScalarQuantizer({ levels: [8, 8], codeDim: 3 })).toThrow(
      /codeDim 3 does not match levels.length 2/,
    );
    expect(() => new FiniteScalarQuantizer({ levels: [4097, 4097] })).toThrow(/exceeds 2\^24/);
    const fsq = new FiniteScalarQuantizer({ levels: [5, 5] });
    const z = tf.zeros([2, 3]);
    expect(() => fsq.forward(z)).toThrow(
      /z must have last dimension codeDim = 2, got shape \[2,3\]/,
    );
    expect(() => fsq.decode([24, 25])).toThrow(/\[1\] = 25 is out of range \[0, 25\)/);
    z.dispose();
    fsq.dispose();
  });
});
