import * as tf from '@tensorflow/tfjs-core';
import { vqvaeParamCounts } from '@vqkit/backbones';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve';
import { HierarchicalVQVAE, SingleLevelVQVAE } from '../src/models';
import type { VQVAE } from '../src/models/types';
import { tinyConfig } from './core-helpers';

const paths = { train: '/unused', val: '/unused' };

function images(): tf.Tensor4D {
  return tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
}

function disposeOut(out: ReturnType<VQVAE['forward']>): void {
  tf.dispose([
    out.reconstruction,
    out.commitmentLoss,
    ...out.levels.flatMap((l) => [l.indices, l.counts, l.commitmentLoss]),
  ]);
}

describe('SingleLevelVQVAE', () => {
  it('maps [B,S,S,3] to a reconstruction of the same shape through one Hs×Ws×Ds code map', async () => {
    const model = new SingleLevelVQVAE(resolveConfig(tinyConfig(paths)));
    const x = images();
    const out = model.forward(x, { training: true });
    expect(out.reconstruction.shape).toEqual([2, 16, 16, 3]);
    expect(
      out.levels.map((l) => [l.name, l.indices.shape, l.indices.dtype, l.counts.shape]),
    ).toEqual([['single', [2, 4, 4], 'int32', [32]]]);
    expect(Array.from(await out.levels[0]!.counts.data()).reduce((a, b) => a + b, 0)).toBe(32);
    expect(model.levels).toEqual([
      { name: 'single', codebookSize: 32, codeDim: 4, height: 4, width: 4 },
    ]);
    expect(
      Object.keys(model.variables).every((n) => /^(encoder|projection|decoder)\./.test(n)),
    ).toBe(true);
    disposeOut(out);
    x.dispose();
    model.dispose();
  });

  it("has the backbones' parameter count for the paper configuration", () => {
    const config = resolveConfig('paper', ['data.train=/t', 'data.val=/v']);
    const single = new SingleLevelVQVAE(config);
    const hier = new HierarchicalVQVAE({ ...config, architecture: 'hierarchical' });
    const expected = vqvaeParamCounts();
    expect(single.countParams()).toBe(expected.single.total);
    expect(hier.countParams()).toBe(expected.hierarchical.total);
    single.dispose();
    hier.dispose();
  });
});

describe('HierarchicalVQVAE', () => {
  for (const conditioned of [false, true]) {
    it(`${conditioned ? 'conditioned' : 'unconditioned'}: two code maps, concat(bottom, up(top)) decoded; gradients reach every variable`, async () => {
      const base = tinyConfig(paths, { architecture: 'hierarchical' });
      (base.model as { hierarchical: { conditioned: boolean } }).hierarchical.conditioned =
        conditioned;
      const config = resolveConfig(base);
      const model = new HierarchicalVQVAE(config);
      expect(model.levels.map((l) => [l.name, l.height, l.width])).toEqual([
        ['bottom', 4, 4],
        ['top', 2, 2],
      ]);
      expect(Object.keys(model.variables).some((n) => n.startsWith('top.decoder.'))).toBe(
        conditioned,
      );
      expect(model.countParams()).toBe(
        vqvaeParamCounts({
          singleChannels: 10,
          hierarchicalChannels: 8,
          codeDim: 4,
          resBlocks: 1,
          resChannels: 8,
          conditioned,
        }).hierarchical.total,
      );
      const x = images();
      const levels: { total: number; commitment: number }[] = [];
      let commitmentTotal = 0;
      const varList = Object.values(model.variables);
      const { value, grads } = tf.variableGrads(() => {
        const out = model.forward(x, { training: true });
        expect(out.reconstruction.shape).toEqual([2, 16, 16, 3]);
        expect(out.levels.map((l) => l.indices.shape)).toEqual([
          [2, 4, 4],
          [2, 2, 2],
        ]);
        for (const l of out.levels) {
          levels.push({
            total: Array.from(l.counts.dataSync()).reduce((a, b) => a + b, 0),
            commitment: l.commitmentLoss.dataSync()[0]!,
          });
        }
        commitmentTotal = out.commitmentLoss.dataSync()[0]!;
        return tf.add(
          tf.mean(tf.squaredDifference(out.reconstruction, x)),
          out.commitmentLoss,
        ) as tf.Scalar;
      }, varList);
      expect(levels.map((l) => l.total)).toEqual([32, 8]);
      expect(commitmentTotal).toBeCloseTo(levels[0]!.commitment + levels[1]!.commitment, 6);
      expect(Object.keys(grads).sort()).toEqual(varList.map((v) => v.name).sort());
      for (const [name, g] of Object.entries(grads)) {
        const s = tf.sum(tf.abs(g));
        const sum = (await s.data())[0]!;
        s.dispose();
        expect(sum, name).toBeGreaterThan(0);
      }
      tf.dispose([value, x, ...Object.values(grads)]);
      model.dispose();
    });
  }

  it('round-trips quantizer states', async () => {
    const config = resolveConfig(tinyConfig(paths, { architecture: 'hierarchical' }));
    const a = new HierarchicalVQVAE(config);
    const x = images();
    disposeOut(a.forward(x, { training: true }));
    const states = await a.getQuantizerStates();
    expect(Object.keys(states)).toEqual(['bottom', 'top']);
    const b = new HierarchicalVQVAE(config);
    for (const [name, v] of Object.entries(a.variables)) b.variables[name]!.assign(v);
    await b.setQuantizerStates(states);
    const [oa, ob] = [a.forward(x, { training: false }), b.forward(x, { training: false })];
    expect(Array.from(await ob.reconstruction.data())).toEqual(
      Array.from(await oa.reconstruction.data()),
    );
    const single = new SingleLevelVQVAE(config);
    await expect(single.setQuantizerStates(states)).rejects.toThrow(/no state for level 'single'/);
    single.dispose();
    disposeOut(oa);
    disposeOut(ob);
    x.dispose();
    a.dispose();
    b.dispose();
  });
});
