import * as tf from '@tensorflow/tfjs-core';
import {
  decodeSafetensors,
  encodeSafetensors,
  mergeVariables,
  saveWeights,
} from '@vqkit/backbones';
import { describe, expect, it } from 'vitest';
import { ModelsError } from './errors';
import { HierarchicalVQVAE } from './hierarchical-vqvae';
import { loadModel, saveModel } from './model-file';
import { SingleLevelVQVAE } from './single-level-vqvae';
import { images, TINY_HIERARCHICAL, TINY_SINGLE } from './test-fixtures';
import { vqvaeTrainStep } from './train-step';
import type { VQVAE } from './types';

async function weights(model: VQVAE): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, v] of Object.entries(model.trainableVariables))
    out[name] = Array.from(await v.data());
  return out;
}

function train(model: VQVAE, optimizer: tf.Optimizer, seeds: number[]): void {
  for (const seed of seeds) {
    const x = images(seed, 4);
    tf.dispose(vqvaeTrainStep(model, optimizer, x));
    x.dispose();
  }
}

const builders: [string, (seed: number) => VQVAE][] = [
  ['single-level', (seed) => new SingleLevelVQVAE({ ...TINY_SINGLE, seed })],
  ['hierarchical', (seed) => new HierarchicalVQVAE({ ...TINY_HIERARCHICAL, seed })],
];

describe('saveModel / loadModel', () => {
  for (const [label, build] of builders) {
    it(`${label}: round trip is bit-exact (weights and quantizer state) and training continues identically`, async () => {
      const a = build(1);
      const adam = tf.train.adam(1e-2);
      train(a, adam, [10, 11, 12]);
      const bytes = await saveModel(a, { note: 'three steps' });
      expect(bytes).toBeInstanceOf(Uint8Array);
      const b = build(99); // other initial weights and quantizer seeds: everything must come from the file
      expect(await loadModel(b, bytes)).toEqual({ note: 'three steps' });
      expect(await weights(b)).toEqual(await weights(a));
      expect(await b.getQuantizerStates()).toEqual(await a.getQuantizerStates());
      // Continue both with the same (stateless) optimizer and batches: windows, resets, RNG and EMA
      // statistics all came back, so every bit stays equal.
      const [sa, sb] = [tf.train.sgd(0.05), tf.train.sgd(0.05)];
      train(a, sa, [13, 14, 15]);
      train(b, sb, [13, 14, 15]);
      expect(await weights(b)).toEqual(await weights(a));
      expect(await b.getQuantizerStates()).toEqual(await a.getQuantizerStates());
      for (const t of [adam, sa, sb, a, b]) t.dispose();
    });
  }

  it('rejects a file of another configuration, listing every mismatched name, shape and dtype; assigns nothing', async () => {
    const source = new HierarchicalVQVAE({ ...TINY_HIERARCHICAL, conditioned: true });
    const file = decodeSafetensors(await saveModel(source));
    const bias = file.tensors['model/decoder.conv.bias']!;
    file.tensors['model/decoder.conv.bias'] = {
      dtype: 'F64',
      shape: bias.shape,
      data: Float64Array.from(bias.data as Float32Array),
    };
    const bytes = encodeSafetensors(file.tensors, file.metadata);
    const target = new HierarchicalVQVAE({ ...TINY_HIERARCHICAL, channels: 8, seed: 5 });
    const before = await weights(target);
    const error = await loadModel(target, bytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelsError);
    const { message, problems } = error as ModelsError;
    expect(message).toMatch(
      /^decodeModelState: the file must fit the hierarchical model, got \d+ mismatches: /,
    );
    expect(problems).toContain(
      "weight 'bottom.encoder.down.0.weight' is F32 [4,4,3,8] in the file, the model expects F32 [4,4,3,4]",
    );
    expect(problems).toContain(
      "weight 'decoder.conv.bias' is F64 [16] in the file, the model expects F32 [8]",
    );
    expect(problems).toContain(
      "unexpected weight 'top.decoder.conv.weight' (F32 [3,3,4,16]) not in the model",
    );
    expect(problems).toContain(
      "weight 'bottom.projection.weight' is F32 [1,1,20,4] in the file, the model expects F32 [1,1,8,4]",
    );
    for (const p of problems) expect(message).toContain(p);
    expect(await weights(target)).toEqual(before);
    source.dispose();
    target.dispose();
  });

  it('rejects missing weights, other codebook sizes, the other architecture and non-model files', async () => {
    const small = new SingleLevelVQVAE(TINY_SINGLE);
    const x = images(2);
    tf.dispose(small.forward(x, { training: true }));
    const bytes = await saveModel(small);
    const wider = new SingleLevelVQVAE({ ...TINY_SINGLE, codebookSize: 32, resBlocks: 2 });
    const error = (await loadModel(wider, bytes).catch((e: unknown) => e)) as ModelsError;
    expect(error.problems).toEqual([
      "missing weight 'encoder.res.1.conv3x3.weight' (expected F32 [3,3,8,4])",
      "missing weight 'encoder.res.1.conv3x3.bias' (expected F32 [4])",
      "missing weight 'encoder.res.1.conv1x1.weight' (expected F32 [1,1,4,8])",
      "missing weight 'encoder.res.1.conv1x1.bias' (expected F32 [8])",
      "missing weight 'decoder.res.1.conv3x3.weight' (expected F32 [3,3,8,4])",
      "missing weight 'decoder.res.1.conv3x3.bias' (expected F32 [4])",
      "missing weight 'decoder.res.1.conv1x1.weight' (expected F32 [1,1,4,8])",
      "missing weight 'decoder.res.1.conv1x1.bias' (expected F32 [8])",
      "quantizer state of level 'single' has codebookSize 16, the model 32",
    ]);
    const hier = new HierarchicalVQVAE(TINY_HIERARCHICAL);
    await expect(loadModel(hier, bytes)).rejects.toThrow(
      /loadModel: bytes must be a hierarchical model file, got a single model file\. Load it into a SingleLevelVQVAE/,
    );
    const backboneFile = await saveWeights(mergeVariables(small.encoder));
    await expect(loadModel(small, backboneFile)).rejects.toThrow(
      /loadModel: metadata\['vqkit\.model'\] must be a 'vqkit\.model\/1' header, got none\. .*use loadWeights/,
    );
    await expect(loadModel(small, new Uint8Array([1, 2, 3]))).rejects.toThrow(
      /loadModel: bytes must be a safetensors file, got unreadable bytes/,
    );
    await expect(saveModel(small, { 'vqkit.model': 'x' })).rejects.toThrow(
      /metadata\['vqkit\.model'\] must be absent/,
    );
    tf.dispose(x);
    for (const m of [small, wider, hier]) m.dispose();
  });
});
