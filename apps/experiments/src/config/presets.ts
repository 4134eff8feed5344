import { HIERARCHICAL_DEFAULTS, MODEL_DEFAULTS, SINGLE_LEVEL_DEFAULTS } from '@vqkit/models';
import { DATA_DEFAULTS, QUANTIZER_DEFAULTS, TRAIN_DEFAULTS } from './defaults';
import type { RunConfigInput } from './schema';

/** Names accepted by `--config` in place of a file. */
export type PresetName = 'paper' | 'tiny' | 'demo';

/**
 * Built-in configurations. Each states both sides of a pair matched by eqs. 4–5; defaults fill the rest
 * (see `runConfigSchema`).
 *
 * - `paper`: the paper's setup — 256² ImageNet crops, bottom 64×64 / top 32×32, Ch 128 / Cs 160,
 *   D 8, Kh 4096 / Ks 8192, 300 epochs of batch 16, Adam 3e-4 decayed 0.99 per epoch, β 0.25,
 *   init from data, windowed dead-code reset (threshold 2, window 10). Needs the ImageNet folders:
 *   `--set data.train=/path/train --set data.val=/path/val`.
 * - `tiny`: CPU-sized smoke test on the bundled photos — 32² crops, 8×8 / 4×4 latents, Ch 16 / Cs 20,
 *   Kh 64 / Ks 128, D 8 (still matched: 64·20 = 64·16 + 16·16, 128·8 = 2·64·8).
 * - `demo`: the base of every `vqkit demo` cell on the bundled photos — 32² crops, Ch 32 / Cs 40,
 *   Kh 128 / Ks 256, D 8, 12 epochs × 32 steps of batch 16; `vqkit demo` trains 18 such cells (Table 1's
 *   4 on 64² crops, see DEMO_STUDY), two at a time on 2 cores, inside 10 minutes.
 *
 * `tiny` and `demo` use Adam lr 1e-3 instead of the paper's 3e-4: with a few hundred steps the
 * paper's rate leaves the models far from converged; everything else follows the paper. Every preset
 * sizes the residual blocks like the authors' released code: half the latent channels of each side
 * (`resChannels: 'half'`: paper 80 / 64, tiny 10 / 8, demo 20 / 16).
 */
export const PRESETS: Readonly<Record<PresetName, RunConfigInput>> = Object.freeze({
  paper: {
    architecture: 'single',
    seed: 0,
    // data.train / data.val have no default: the paper trains on ImageNet, which is not bundled.
    // Per-epoch validation uses 10,000 of the 50,000 validation images (spread over the classes);
    // `vqkit eval` uses all of them (eval.images: null).
    data: {
      size: DATA_DEFAULTS.size,
      range: DATA_DEFAULTS.range,
      transform: 'resize', // paper §4: "ImageNet with images resized to 256×256"
      flip: false, // the paper names no augmentation
      cropsPerImage: 1,
      valImages: 10000,
    } as RunConfigInput['data'],
    model: {
      single: { ...SINGLE_LEVEL_DEFAULTS },
      hierarchical: {
        channels: HIERARCHICAL_DEFAULTS.channels,
        codebookSize: HIERARCHICAL_DEFAULTS.codebookSize,
        codeDim: HIERARCHICAL_DEFAULTS.codeDim,
        conditioned: HIERARCHICAL_DEFAULTS.conditioned,
      },
      downsample: MODEL_DEFAULTS.downsample,
      topDownsample: HIERARCHICAL_DEFAULTS.topDownsample,
      resBlocks: MODEL_DEFAULTS.resBlocks,
      resChannels: 'half', // 80 / 64: the authors' released code (n_res_channel = latent_channel // 2)
      match: 'kd',
    },
    quantizer: { ...QUANTIZER_DEFAULTS },
    train: {
      ...TRAIN_DEFAULTS,
      stepsPerEpoch: null,
      checkpointEvery: 2000,
      keepLast: 3,
      logEvery: 50,
    },
    eval: { images: null, samples: 8 },
  },
  tiny: {
    architecture: 'single',
    seed: 0,
    data: {
      train: 'demo',
      val: 'demo',
      test: 'demo',
      size: 32,
      range: '0,1',
      cropsPerEpoch: 256,
      valImages: 32,
    },
    model: {
      single: { channels: 20, codebookSize: 128, codeDim: 8 },
      hierarchical: { channels: 16, codebookSize: 64, codeDim: 8, conditioned: false },
      downsample: 4,
      topDownsample: 2,
      resBlocks: 1,
      resChannels: 'half',
    },
    quantizer: { chunkSize: 1024 },
    train: {
      epochs: 2,
      batchSize: 8,
      learningRate: 1e-3,
      lrDecay: 0.99,
      checkpointEvery: 0,
      keepLast: 2,
      logEvery: 4,
    },
    eval: { images: 32, samples: 8 },
  },
  demo: {
    architecture: 'single',
    seed: 0,
    data: {
      train: 'demo',
      val: 'demo',
      test: 'demo',
      size: 32,
      range: '0,1',
      cropsPerEpoch: 512,
      valImages: 64,
    },
    model: {
      single: { channels: 40, codebookSize: 256, codeDim: 8 },
      hierarchical: { channels: 32, codebookSize: 128, codeDim: 8, conditioned: false },
      downsample: 4,
      topDownsample: 2,
      resBlocks: 1,
      resChannels: 'half',
    },
    quantizer: { chunkSize: 2048 },
    train: {
      epochs: 12,
      batchSize: 16,
      learningRate: 1e-3,
      lrDecay: 0.99,
      checkpointEvery: 0,
      keepLast: 2,
      logEvery: 8,
    },
    eval: { images: 64, samples: 8 },
  },
});

/** True when `name` is a preset. */
export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}
