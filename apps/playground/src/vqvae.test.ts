import { decodeSafetensors } from '@vqkit/backbones';
import { loadModel, saveModel } from '@vqkit/models';
import type { VectorQuantizer } from '@vqkit/quantizer';
import { describe, expect, it } from 'vitest';
import { MODEL_FORMAT, playgroundMetadata } from './export-model';
import { defaultOptions } from './options';
import type { RunRecord } from './run-record';
import { buildModel, modelOptions } from './vqvae';

const small = {
  ...defaultOptions(),
  cropSize: 16,
  channels: 8,
  codebookSize: 16,
  codeDim: 4,
  resBlocks: 0,
};

describe('buildModel', () => {
  it('builds the chosen architecture at the crop size with the chosen quantizer policies', () => {
    const h = buildModel(modelOptions({ ...small, init: 'random', reset: 'ema' }));
    expect(h.architecture).toBe('hierarchical');
    expect(h.levels.map((l) => [l.name, l.codebookSize, l.codeDim, l.height])).toEqual([
      ['bottom', 16, 4, 4],
      ['top', 16, 4, 2],
    ]);
    const q = h.quantizers[0]!.quantizer as VectorQuantizer;
    expect([q.initPolicy.name, q.resetPolicy.name, q.commitmentWeight, q.decay]).toEqual([
      'random',
      'ema',
      0.25,
      0.99,
    ]);
    h.dispose();
    const s = buildModel(
      modelOptions({ ...small, architecture: 'single', channels: 10, resetSource: 'recent-mean' }),
    );
    expect(s.levels.map((l) => l.name)).toEqual(['single']);
    expect((s.quantizers[0]!.quantizer as VectorQuantizer).resetPolicy.name).toBe(
      'windowed(recent-mean)',
    );
    s.dispose();
  });
});

describe('model export', () => {
  it('stores the options, data range and final numbers next to the model file, and loads back', async () => {
    const mo = modelOptions(small);
    const model = buildModel(mo);
    const final = {
      step: 3,
      psnr: 12.5,
      mse: 0.05,
      usage: { bottom: { perplexity: 5, deadFraction: 0.5, total: 10 } },
    };
    const run: Pick<RunRecord, 'backend' | 'steps' | 'status' | 'final' | 'image'> = {
      backend: 'cpu',
      steps: [],
      status: 'stopped',
      final,
      image: { name: 'coffee.jpg', width: 32, height: 16, tilesX: 2, tilesY: 1 },
    };
    const bytes = await saveModel(model, { ...playgroundMetadata(mo, run) });
    const { metadata } = decodeSafetensors(bytes);
    expect(metadata['playground.format']).toBe(MODEL_FORMAT);
    expect(JSON.parse(metadata['playground.model']!)).toEqual(mo);
    expect(JSON.parse(metadata['playground.data']!)).toEqual({
      range: '0,1',
      dataRange: 1,
      inputSize: 16,
    });
    expect(JSON.parse(metadata['playground.run']!)).toEqual({
      backend: 'cpu',
      steps: 0,
      status: 'stopped',
      psnr: 12.5,
      perplexity: { bottom: 5 },
      image: run.image,
    });
    const again = buildModel(JSON.parse(metadata['playground.model']!));
    const extra = await loadModel(again, bytes);
    expect(extra['playground.format']).toBe(MODEL_FORMAT);
    model.dispose();
    again.dispose();
  });
});
