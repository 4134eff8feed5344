import * as tf from '@tensorflow/tfjs-core';
import {
  chunkedNearestCode,
  type NearestCodeSearch,
  noReset,
  VectorQuantizer,
} from '@vqkit/quantizer';
import { describe, expect, it } from 'vitest';
import { emaQuantizerFactory } from './ema-quantizer-factory';
import { HierarchicalVQVAE } from './hierarchical-vqvae';
import { images, TINY_HIERARCHICAL } from './test-fixtures';

describe('emaQuantizerFactory (the default quantizer)', () => {
  it('builds one VectorQuantizer per level with the level K, D, seed and the shared vq options and search', () => {
    const used: number[] = [];
    const search: NearestCodeSearch = (z, codebook, options) => {
      used.push(codebook.shape[0]);
      return chunkedNearestCode(z, codebook, options);
    };
    const model = new HierarchicalVQVAE({
      ...TINY_HIERARCHICAL,
      vq: { decay: 0.9, commitmentWeight: 0.5, reset: noReset(), chunkSize: 32 },
      search,
    });
    for (const { quantizer } of model.quantizers) {
      expect(quantizer).toBeInstanceOf(VectorQuantizer);
      const vq = quantizer as VectorQuantizer;
      expect([
        vq.codebookSize,
        vq.codeDim,
        vq.decay,
        vq.commitmentWeight,
        vq.chunkSize,
        vq.resetPolicy.name,
      ]).toEqual([8, 4, 0.9, 0.5, 32, noReset().name]);
    }
    const x = images(1);
    tf.dispose(model.forward(x, { training: true }));
    expect(used).toEqual([8, 8]);
    x.dispose();
    model.dispose();
  });

  it('different levels get different seeds; the same model seed gives the same codebooks', async () => {
    const seeds: number[] = [];
    const factory = emaQuantizerFactory();
    const record = (level: Parameters<typeof factory>[0]) => {
      seeds.push(level.seed);
      return factory(level);
    };
    const a = new HierarchicalVQVAE({ ...TINY_HIERARCHICAL, vq: undefined, quantizer: record });
    const b = new HierarchicalVQVAE({ ...TINY_HIERARCHICAL, vq: undefined, quantizer: record });
    expect(seeds[0]).not.toBe(seeds[1]);
    expect(seeds.slice(2)).toEqual(seeds.slice(0, 2));
    a.dispose();
    b.dispose();
  });

  it('refuses per-level options inside vq', () => {
    expect(() => emaQuantizerFactory({ vq: { seed: 3 } as never })).toThrow(
      /emaQuantizerFactory: vq\.seed must be absent \(the model sets it per level\), got 3/,
    );
    expect(() => emaQuantizerFactory({ vq: { search: chunkedNearestCode } as never })).toThrow(
      /Pass search as its own option/,
    );
  });
});
