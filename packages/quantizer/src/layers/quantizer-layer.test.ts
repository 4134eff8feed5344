import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '@vqkit/random';
import { describe, expect, it } from 'vitest';
import type { QuantizerSpec } from '../index';
import { QuantizerError } from '../index';
import { QuantizerLayer } from './index';

const data = (seed: number, n = 8) => {
  const rng = new Rng(seed);
  return tf.tensor3d(rng.fillNormal(new Float32Array(n * 4 * 3)), [n, 4, 3]);
};

/** encoder (dense 3) → quantizer → decoder (dense 3), trained to reconstruct its input. */
function autoencoder(spec: QuantizerSpec, codeDim = 3) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: codeDim,
        inputShape: [4, 3],
        kernelInitializer: 'glorotUniform',
        name: 'encoder',
      }),
      new QuantizerLayer({ quantizer: spec, name: 'quantizer' }),
      tfl.layers.dense({ units: 3, name: 'decoder' }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
  return { model, layer: model.getLayer('quantizer') as QuantizerLayer };
}

const plain = async (state: unknown) =>
  JSON.parse(
    JSON.stringify(await state, (_, v) => (v instanceof Float32Array ? Array.from(v) : v)),
  );

async function saveAndLoad(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // Through JSON, as a file would be.
  const topology = JSON.parse(JSON.stringify(saved!.modelTopology));
  return tfl.loadLayersModel(tf.io.fromMemory({ ...saved!, modelTopology: topology }));
}

describe('QuantizerLayer (tf.layers wrapper)', () => {
  it('model.fit adds the family loss to the model loss (LFQ: entropy + commitment)', async () => {
    const spec: QuantizerSpec = {
      kind: 'lfq',
      codeDim: 3,
      inverseTemperature: 2,
      entropyWeight: 0.5,
    };
    const { model, layer } = autoencoder(spec);
    const x = data(1);
    // With lr 0 the weights stay put, so the loss fit reports can be recomputed.
    model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
    const history = await model.fit(x, x, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const encoder = model.getLayer('encoder').apply(x) as tf.Tensor;
    const out = layer.quantizer.forward(encoder, { training: true });
    const decoded = model.getLayer('decoder').apply(out.quantized) as tf.Tensor;
    const want = tf.add(tf.mean(tf.squaredDifference(decoded, x)), out.loss).dataSync()[0]!;
    expect(history.history.loss![0]).toBeCloseTo(want, 5);
    expect(out.loss.dataSync()[0]).not.toBe(0);
    tf.dispose([x, encoder, decoded, ...Object.values(out)]);
    model.dispose();
  });

  it('model.fit trains a gradient-learned codebook and the EMA state updates in training only', async () => {
    const { model, layer } = autoencoder({
      kind: 'vq',
      codebookSize: 6,
      codeDim: 3,
      learning: 'gradient',
      init: 'random',
    });
    const codebook = () => Array.from(layer.quantizer.liveState!().variables.codebook!.dataSync());
    const before = codebook();
    expect(layer.trainableWeights.map((w) => w.originalName)).toContain('quantizer/codebook');
    const x = data(2);
    await model.fit(x, x, { epochs: 3, batchSize: 4, verbose: 0 });
    expect(codebook()).not.toEqual(before);
    expect((layer.quantizer as unknown as { step: number }).step).toBe(6);
    const y = model.predict(x) as tf.Tensor;
    expect((layer.quantizer as unknown as { step: number }).step).toBe(6);
    tf.dispose([x, y]);
    model.dispose();
  });

  it.each([
    [
      'vq (data init, windowed reset)',
      {
        kind: 'vq',
        codebookSize: 8,
        codeDim: 3,
        reset: { kind: 'windowed', window: 2, bufferSize: 16 },
      },
    ],
    [
      'residual (cosine)',
      { kind: 'residual', depth: 2, codebookSize: 4, codeDim: 3, distance: 'cosine' },
    ],
    ['fsq', { kind: 'fsq', levels: [4, 3, 3] }],
    ['lfq', { kind: 'lfq', codeDim: 3 }],
  ] as [string, QuantizerSpec][])(
    '%s: model.save / loadLayersModel restore the whole quantizer state, and training continues identically',
    async (_, spec) => {
      const { model, layer } = autoencoder(spec);
      const x = data(3);
      await model.fit(x, x, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
      const loaded = await saveAndLoad(model);
      const restored = loaded.getLayer('quantizer') as QuantizerLayer;
      expect(restored).toBeInstanceOf(QuantizerLayer);
      expect(await plain(restored.quantizer.getState())).toEqual(
        await plain(layer.quantizer.getState()),
      );
      // Both continue from the same state (sgd has no state of its own).
      loaded.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      await model.fit(x, x, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      await loaded.fit(x, x, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      expect(await plain(restored.quantizer.getState())).toEqual(
        await plain(layer.quantizer.getState()),
      );
      tf.dispose(x);
      model.dispose();
      loaded.dispose();
    },
  );

  it('rejects a wrong input width and a missing spec, and dispose frees the quantizer', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      tfl.sequential({
        layers: [
          new QuantizerLayer({ quantizer: { kind: 'fsq', levels: [5, 5] }, inputShape: [4, 3] }),
        ],
      }),
    ).toThrow(/the input's last dimension must be codeDim = 2, got shape \[null,4,3\]/);
    expect(() => new QuantizerLayer({} as never)).toThrow(QuantizerError);
    const { model } = autoencoder({ kind: 'vq', codebookSize: 4, codeDim: 3, init: 'random' });
    model.optimizer.dispose(); // its learning-rate scalar is not the model's
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
