/**
 * A VQ-VAE training step for the kernel benchmarks: @vqkit/models' single-level model (VQ-VAE-2
 * encoder → 1×1 projection → EMA vector quantizer with the given nearest-code search → decoder),
 * eq. 3's loss and a plain SGD update through `vqvaeTrainStep`, on one fixed seeded batch. The
 * kernels themselves are switched by the caller (`registerVqkitKernels` / `unregisterVqkitKernels`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SingleLevelVQVAE, vqvaeTrainStep } from '@vqkit/models';
import type { NearestCodeSearch } from '../src/index';

export interface StepConfig {
  batch: number;
  size: number;
  channels: number;
  residualChannels: number;
  resBlocks: number;
  codeDim: number;
  codebookSize: number;
}

export interface VqvaeStep {
  /** Runs one training step; resolves to the loss. */
  step(): Promise<number>;
  dispose(): void;
}

/** Builds the model and a fixed batch (seeded) and returns a step function. */
export function makeVqvaeStep(cfg: StepConfig, search: NearestCodeSearch): VqvaeStep {
  const model = new SingleLevelVQVAE({
    channels: cfg.channels,
    codebookSize: cfg.codebookSize,
    codeDim: cfg.codeDim,
    resBlocks: cfg.resBlocks,
    resChannels: cfg.residualChannels,
    inputSize: cfg.size,
    seed: 42,
    search,
  });
  const optimizer = tf.train.sgd(1e-3);
  const x = tf.randomUniform(
    [cfg.batch, cfg.size, cfg.size, 3],
    0,
    1,
    'float32',
    43,
  ) as tf.Tensor4D;
  return {
    async step() {
      const result = vqvaeTrainStep(model, optimizer, x);
      const loss = (await result.loss.total.data())[0] as number;
      tf.dispose(result);
      // The quantizer keeps its init/reset events on the device until they are read; read them
      // (as a training loop does when it logs) so the "tensors leaked" column counts real leaks.
      for (const { quantizer } of model.quantizers) await quantizer.flushEvents();
      return loss;
    },
    dispose() {
      tf.dispose(x);
      optimizer.dispose();
      model.dispose();
    },
  };
}
