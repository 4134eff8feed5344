import { vqvaeParamCounts } from '@vqkit/backbones';
import { HierarchicalVQVAE, SingleLevelVQVAE } from '@vqkit/models';
import { VectorQuantizer } from '@vqkit/quantizer';
import { describe, expect, it } from 'vitest';
import { ExperimentsError } from '../src/config/errors';
import { resolveConfig } from '../src/config/resolve';
import { ensureBackend, nearestCodeSearch } from '../src/train/backend';
import { createModel, modelOptions } from '../src/train/create-model';
import { tinyConfig } from './core-helpers';

const paths = { train: '/unused', val: '/unused' };

describe('createModel (RunConfig → @vqkit/models, in one function)', () => {
  it('builds the trained side of the pair with the config’s sizes, seed and input size', () => {
    const single = createModel(resolveConfig(tinyConfig(paths)));
    expect(single).toBeInstanceOf(SingleLevelVQVAE);
    expect(single.levels).toEqual([
      { name: 'single', codebookSize: 32, codeDim: 4, height: 4, width: 4 },
    ]);
    expect(single.countParams()).toBe(
      vqvaeParamCounts({ singleChannels: 10, codeDim: 4, resBlocks: 1, resChannels: 8 }).single
        .total,
    );
    const base = tinyConfig(paths, { architecture: 'hierarchical' });
    (base.model as { hierarchical: { conditioned: boolean } }).hierarchical.conditioned = true;
    const hier = createModel(resolveConfig(base));
    expect(hier).toBeInstanceOf(HierarchicalVQVAE);
    expect((hier as HierarchicalVQVAE).conditioned).toBe(true);
    expect(hier.levels.map((l) => [l.name, l.codebookSize, l.height])).toEqual([
      ['bottom', 16, 4],
      ['top', 16, 2],
    ]);
    expect(hier.countParams()).toBe(
      vqvaeParamCounts({
        hierarchicalChannels: 8,
        codeDim: 4,
        resBlocks: 1,
        resChannels: 8,
        conditioned: true,
      }).hierarchical.total,
    );
    single.dispose();
    hier.dispose();
  });

  it("passes the quantizer section to every level's EMA quantizer, and the search the kernels registered for the backend", async () => {
    await ensureBackend('cpu');
    const config = resolveConfig(tinyConfig(paths, { architecture: 'hierarchical' }), [
      'quantizer.decay=0.95',
      'quantizer.commitmentWeight=0.5',
      'quantizer.reset=ema',
      'quantizer.init=kmeans',
    ]);
    const built = modelOptions(config);
    expect(built.search).toBeDefined();
    expect(built.search).toBe(nearestCodeSearch());
    const model = createModel(config);
    for (const { quantizer } of model.quantizers) {
      const vq = quantizer as VectorQuantizer;
      expect(vq).toBeInstanceOf(VectorQuantizer);
      expect([
        vq.decay,
        vq.commitmentWeight,
        vq.chunkSize,
        vq.initPolicy.name,
        vq.resetPolicy.name,
      ]).toEqual([0.95, 0.5, 256, 'kmeans', 'ema']);
    }
    model.dispose();
  });

  it("paper preset: residual blocks half the latent channels of each side; trainable parameters equal the PyTorch reference's", () => {
    // `python3 bench/reference/vqvae_step.py --params-only` prints these (codebooks excluded).
    const reference: [number, number, number][] = [
      [8, 1_174_091, 1_135_451],
      [16, 1_186_899, 1_159_027],
      [32, 1_212_515, 1_212_323],
    ];
    for (const [d, single, hierarchical] of reference) {
      const counts = (['single', 'hierarchical'] as const).map((architecture) => {
        const config = resolveConfig('paper', [
          'data.train=/t',
          'data.val=/v',
          `architecture=${architecture}`,
          `model.single.codeDim=${d}`,
          `model.hierarchical.codeDim=${d}`,
        ]);
        expect(config.model.resChannels).toBe('half');
        const model = createModel(config);
        const n = model.countParams();
        const widths = Object.entries(model.trainableVariables)
          .filter(([name]) => name.endsWith('res.0.conv3x3.weight'))
          .map(([, v]) => v.shape[3]);
        expect(new Set(widths)).toEqual(new Set([architecture === 'single' ? 80 : 64]));
        model.dispose();
        return n;
      });
      expect(counts, `D = ${d}`).toEqual([single, hierarchical]);
    }
  });

  it('an explicit model.resChannels is used by both sides; a crop size the latents cannot divide is exit 2', () => {
    const model = createModel(resolveConfig(tinyConfig(paths), ['model.resChannels=6']));
    expect(model.trainableVariables['encoder.res.0.conv3x3.weight']!.shape).toEqual([3, 3, 10, 6]);
    model.dispose();
    const error = (() => {
      try {
        createModel(resolveConfig(tinyConfig(paths), ['data.size=20']));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ExperimentsError);
    expect((error as ExperimentsError).exitCode).toBe(2);
    expect((error as Error).message).toContain("'data.size' = 20 must be a multiple of");
  });
});
