import * as tf from '@tensorflow/tfjs-core';
import { vqvaeParamCounts } from '@vqkit/backbones';
import { describe, expect, it } from 'vitest';
import { HierarchicalVQVAE } from './hierarchical-vqvae';
import { SingleLevelVQVAE } from './single-level-vqvae';
import { absSum, images, TINY_HIERARCHICAL } from './test-fixtures';
import { vqvaeTrainStep } from './train-step';
import type { VQVAE } from './types';

describe('HierarchicalVQVAE', () => {
  for (const conditioned of [false, true]) {
    it(`${conditioned ? 'conditioned' : 'unconditioned'}: two code maps, concat(bottom, up(top)) decoded; eq. 3 sums both levels; gradients reach every variable`, async () => {
      const model = new HierarchicalVQVAE({ ...TINY_HIERARCHICAL, conditioned });
      expect(model.levels).toEqual([
        { name: 'bottom', codebookSize: 8, codeDim: 4, height: 4, width: 4 },
        { name: 'top', codebookSize: 8, codeDim: 4, height: 2, width: 2 },
      ]);
      const names = Object.keys(model.trainableVariables);
      expect(names.some((n) => n.startsWith('top.decoder.'))).toBe(conditioned);
      expect(names.every((n) => /^(bottom\.|top\.|upsampler\.|decoder\.)/.test(n))).toBe(true);
      expect(model.countParams()).toBe(
        vqvaeParamCounts({ hierarchicalChannels: 16, codeDim: 4, resBlocks: 1, conditioned })
          .hierarchical.total,
      );
      const x = images(3);
      const seen: {
        counts: number[];
        levels: number[];
        commitment: number;
        total: number;
        rec: number;
      } = {
        counts: [],
        levels: [],
        commitment: 0,
        total: 0,
        rec: 0,
      };
      const vars = Object.values(model.trainableVariables);
      const { value, grads } = tf.variableGrads(() => {
        const out = model.forward(x, { training: true });
        expect(out.reconstruction.shape).toEqual([2, 16, 16, 3]);
        expect([out.indices.bottom.shape, out.indices.top.shape]).toEqual([
          [2, 4, 4],
          [2, 2, 2],
        ]);
        seen.counts = [out.counts.bottom!, out.counts.top!].map((c) =>
          Array.from(c.dataSync()).reduce((a, b) => a + b, 0),
        );
        seen.levels = [out.loss.levels.bottom, out.loss.levels.top].map((l) => l.dataSync()[0]!);
        seen.commitment = out.loss.commitment.dataSync()[0]!;
        seen.rec = out.loss.reconstruction.dataSync()[0]!;
        seen.total = out.loss.total.dataSync()[0]!;
        return out.loss.total;
      }, vars);
      expect(seen.counts).toEqual([32, 8]);
      expect(seen.commitment).toBeCloseTo(seen.levels[0]! + seen.levels[1]!, 6);
      expect(seen.total).toBeCloseTo(seen.rec + seen.commitment, 6);
      // 32 bottom positions share 8 codes, so the bottom term is positive (the top's 8 positions
      // initialised its 8 codes, so its term may be 0).
      expect(seen.levels[0]).toBeGreaterThan(0);
      expect(Object.keys(grads).sort()).toEqual(vars.map((v) => v.name).sort());
      for (const [name, g] of Object.entries(grads))
        expect(await absSum(g), name).toBeGreaterThan(0);
      tf.dispose([value, x, ...Object.values(grads)]);
      model.dispose();
    });
  }

  it('decode(encode(x)) is the evaluation reconstruction (conditioned too); a step keeps memory stable', async () => {
    const model = new HierarchicalVQVAE({ ...TINY_HIERARCHICAL, conditioned: true });
    const optimizer = tf.train.adam(1e-3);
    const x = images(4);
    tf.dispose(vqvaeTrainStep(model, optimizer, x));
    const before = tf.memory().numTensors;
    tf.dispose(vqvaeTrainStep(model, optimizer, x));
    expect(tf.memory().numTensors).toBe(before);
    const indices = model.encode(x);
    const decoded = model.decode(indices);
    const out = model.forward(x, { training: false });
    expect(Array.from(await decoded.data())).toEqual(Array.from(await out.reconstruction.data()));
    expect(Array.from(await indices.top.data())).toEqual(Array.from(await out.indices.top.data()));
    tf.dispose([x, indices, decoded, out]);
    optimizer.dispose();
    model.dispose();
  });

  it("paper configurations: the backbones' counts, R = C/2 by default (1,174,091 / 1,135,451 at D 8)", () => {
    for (const codeDim of [8, 32]) {
      const single: VQVAE = new SingleLevelVQVAE({ codeDim });
      const hier: VQVAE = new HierarchicalVQVAE({ codeDim });
      const expected = vqvaeParamCounts({ codeDim });
      expect([single.countParams(), hier.countParams()]).toEqual([
        expected.single.total,
        expected.hierarchical.total,
      ]);
      expect(single.levels[0]).toEqual({
        name: 'single',
        codebookSize: 8192,
        codeDim,
        height: 64,
        width: 64,
      });
      expect(hier.levels.map((l) => [l.name, l.codebookSize, l.height])).toEqual([
        ['bottom', 4096, 64],
        ['top', 4096, 32],
      ]);
      single.dispose();
      hier.dispose();
    }
    const s = new SingleLevelVQVAE();
    const h = new HierarchicalVQVAE();
    expect([s.countParams(), h.countParams()]).toEqual([1_174_091, 1_135_451]);
    s.dispose();
    h.dispose();
  });

  it('rejects an input size the top level cannot divide, naming the total downsampling', () => {
    expect(() => new HierarchicalVQVAE({ inputSize: 20, downsample: 4 })).toThrow(
      /HierarchicalVQVAE: inputSize must be a multiple of the total downsampling 8, got 20\. Use 16 or 24/,
    );
    expect(() => new HierarchicalVQVAE({ topDownsample: 3 })).toThrow(
      /topDownsample must be a power of two/,
    );
    expect(() => new HierarchicalVQVAE({ conditioned: 'yes' as never })).toThrow(
      /conditioned must be a boolean, got "yes"/,
    );
  });
});
