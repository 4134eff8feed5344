import { HierarchicalVQVAE, SingleLevelVQVAE, type VQVAE } from '@vqkit/models';
import {
  emaDeadCodeReset,
  initFromData,
  initKMeans,
  initRandom,
  noReset,
  type ResetPolicy,
  windowedDeadCodeReset,
} from '@vqkit/quantizer';
import { PLAYGROUND_DEFAULTS as D } from './defaults';
import type { PlaygroundOptions } from './options';

/** The model options the page passes to @vqkit/models (also stored in the exported file). */
export interface ModelOptions {
  architecture: PlaygroundOptions['architecture'];
  channels: number;
  codebookSize: number;
  codeDim: number;
  downsample: number;
  topDownsample: number;
  resBlocks: number;
  inputSize: number;
  seed: number;
  quantizer: {
    init: PlaygroundOptions['init'];
    reset: PlaygroundOptions['reset'];
    resetSource: PlaygroundOptions['resetSource'];
    resetThreshold: number;
    resetWindow: number;
    commitmentWeight: number;
    decay: number;
  };
}

/** The page's options → the model's (the crop side is the model's input size). */
export function modelOptions(o: PlaygroundOptions): ModelOptions {
  return {
    architecture: o.architecture,
    channels: o.channels,
    codebookSize: o.codebookSize,
    codeDim: o.codeDim,
    downsample: D.downsample,
    topDownsample: D.topDownsample,
    resBlocks: o.resBlocks,
    inputSize: o.cropSize,
    seed: o.seed,
    quantizer: {
      init: o.init,
      reset: o.reset,
      resetSource: o.resetSource,
      resetThreshold: o.resetThreshold,
      resetWindow: o.resetWindow,
      commitmentWeight: o.commitmentWeight,
      decay: o.decay,
    },
  };
}

function resetPolicy(q: ModelOptions['quantizer']): ResetPolicy {
  if (q.reset === 'windowed')
    return windowedDeadCodeReset({
      threshold: q.resetThreshold,
      window: q.resetWindow,
      source: q.resetSource,
    });
  if (q.reset === 'ema') return emaDeadCodeReset({ threshold: q.resetThreshold });
  return noReset();
}

/**
 * A single-level or hierarchical VQ-VAE from @vqkit/models with the page's quantizer choices
 * (EMA vector quantizer per level, the chosen init and reset policies).
 */
export function buildModel(m: ModelOptions): VQVAE {
  const q = m.quantizer;
  const init =
    q.init === 'data' ? initFromData() : q.init === 'kmeans' ? initKMeans() : initRandom();
  const common = {
    channels: m.channels,
    codebookSize: m.codebookSize,
    codeDim: m.codeDim,
    downsample: m.downsample,
    resBlocks: m.resBlocks,
    inputSize: m.inputSize,
    seed: m.seed,
    vq: { init, reset: resetPolicy(q), commitmentWeight: q.commitmentWeight, decay: q.decay },
  };
  return m.architecture === 'single'
    ? new SingleLevelVQVAE(common)
    : new HierarchicalVQVAE({ ...common, topDownsample: m.topDownsample });
}
