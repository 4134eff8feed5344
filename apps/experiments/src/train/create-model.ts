import {
  HierarchicalVQVAE,
  type HierarchicalVQVAEOptions,
  SingleLevelVQVAE,
  type VQVAE,
  type VQVAEOptions,
} from '@vqkit/models';
import {
  emaDeadCodeReset,
  initFromData,
  initKMeans,
  initRandom,
  noReset,
  windowedDeadCodeReset,
} from '@vqkit/quantizer';
import { latentSizes } from '../config/matching';
import type { RunConfig } from '../config/schema';
import { nearestCodeSearch } from './backend';

/**
 * The one mapping of a run config to @vqkit/models options: the trained side of the pair
 * (`config.architecture`), seeded with `config.seed`, at `data.size`, with every level's EMA
 * quantizer configured from the `quantizer` section (the same update rule, init and reset policy at
 * every level of both architectures, so the comparison isolates the architecture).
 *
 * @throws ExperimentsError (exit 2) when `data.size` is not a multiple of the total downsampling.
 */
export function modelOptions(
  config: RunConfig,
):
  | { architecture: 'single'; options: VQVAEOptions }
  | { architecture: 'hierarchical'; options: HierarchicalVQVAEOptions } {
  latentSizes(config); // validates data.size against both factors with the config's key names
  const m = config.model;
  const q = config.quantizer;
  const common: VQVAEOptions = {
    downsample: m.downsample,
    resBlocks: m.resBlocks,
    resChannels: m.resChannels,
    inputSize: config.data.size,
    seed: config.seed,
    vq: {
      decay: q.decay,
      epsilon: q.epsilon,
      commitmentWeight: q.commitmentWeight,
      chunkSize: q.chunkSize,
      init: q.init === 'data' ? initFromData() : q.init === 'kmeans' ? initKMeans() : initRandom(),
      reset:
        q.reset === 'windowed'
          ? windowedDeadCodeReset({
              threshold: q.resetThreshold,
              window: q.resetWindow,
              source: q.resetSource,
            })
          : q.reset === 'ema'
            ? emaDeadCodeReset({ threshold: q.resetThreshold })
            : noReset(),
    },
    search: nearestCodeSearch(),
  };
  if (config.architecture === 'single') {
    const { channels, codebookSize, codeDim } = m.single;
    return { architecture: 'single', options: { ...common, channels, codebookSize, codeDim } };
  }
  const { channels, codebookSize, codeDim, conditioned } = m.hierarchical;
  return {
    architecture: 'hierarchical',
    options: {
      ...common,
      channels,
      codebookSize,
      codeDim,
      conditioned,
      topDownsample: m.topDownsample,
    },
  };
}

/** Builds the architecture the config names, from {@link modelOptions}. */
export function createModel(config: RunConfig): VQVAE {
  const built = modelOptions(config);
  return built.architecture === 'single'
    ? new SingleLevelVQVAE(built.options)
    : new HierarchicalVQVAE(built.options);
}
