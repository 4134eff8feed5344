import {
  HierarchicalVQVAE,
  type HierarchicalVQVAEOptions,
  ModelsError,
  type QuantizerFactory,
  SingleLevelVQVAE,
  type VQVAE,
  type VQVAEOptions,
} from '@vqkit/models';
import {
  createQuantizer,
  type NearestCodeSearch,
  QuantizerError,
  ResidualVectorQuantizer,
} from '@vqkit/quantizer';
import { inputError } from '../config/errors';
import { latentSizes } from '../config/matching';
import { type QuantizerConfig, vqOptionsOf } from '../config/quantizer-schema';
import type { RunConfig } from '../config/schema';
import { nearestCodeSearch } from './backend';
import { quantizerSpec } from './quantizer-spec';
import { StageCountedResidual } from './stage-counts';

/** What {@link modelOptions} returns: the side built, its @vqkit/models options, and its quantizer's search. */
export type BuiltOptions = (
  | { architecture: 'single'; options: VQVAEOptions }
  | { architecture: 'hierarchical'; options: HierarchicalVQVAEOptions }
) & {
  /** The quantizer section every level of this side is built from. */
  quantizer: QuantizerConfig;
  /** The kernels' nearest-code search handed to codebook families (vq, residual), or undefined. */
  search: NearestCodeSearch | undefined;
};

/**
 * Every level's quantizer: `createQuantizer` of @vqkit/quantizer on the section's plain-data spec
 * with the level's K, D and seed, and the kernels' nearest-code search for the codebook families
 * (vq, residual). A residual quantizer reports its assignments per stage (see
 * {@link StageCountedResidual}).
 */
export function quantizerFactory(
  q: QuantizerConfig,
  search: NearestCodeSearch | undefined,
): QuantizerFactory {
  const codebook = q.kind === 'vq' || q.kind === 'residual';
  const runtime = codebook && search !== undefined ? { search } : {};
  return (level) => {
    const built = createQuantizer(quantizerSpec(q, level), runtime);
    return built instanceof ResidualVectorQuantizer ? new StageCountedResidual(built) : built;
  };
}

/**
 * The one mapping of a run config to @vqkit/models options: one side of the pair (the trained
 * one, `config.architecture`, unless `side` says otherwise), seeded with `config.seed`, at
 * `data.size`. The trained side's levels all use the `quantizer` section's family (the same rule
 * at every level, so a comparison isolates the architecture); the other side is the pair's VQ
 * reference (with a non-VQ family, the VQ options the section has, else the VQ defaults).
 *
 * `search` is the nearest-code search of the codebook families: by default the one the app's
 * backend file registered (`nearestCodeSearch()`); a caller that registers kernels itself (the
 * bench) passes its own, `undefined` for the quantizer's chunked search.
 *
 * @throws ExperimentsError (exit 2) when `data.size` is not a multiple of the total downsampling.
 */
export function modelOptions(
  config: RunConfig,
  side = config.architecture,
  search: NearestCodeSearch | undefined = nearestCodeSearch(),
): BuiltOptions {
  latentSizes(config); // validates data.size against both factors with the config's key names
  const m = config.model;
  const quantizer = side === config.architecture ? config.quantizer : vqOptionsOf(config.quantizer);
  const common: VQVAEOptions = {
    downsample: m.downsample,
    resBlocks: m.resBlocks,
    resChannels: m.resChannels,
    inputSize: config.data.size,
    seed: config.seed,
    quantizer: quantizerFactory(quantizer, search),
  };
  if (side === 'single') {
    const { channels, codebookSize, codeDim } = m.single;
    const options = { ...common, channels, codebookSize, codeDim };
    return { architecture: 'single', options, quantizer, search };
  }
  const { channels, codebookSize, codeDim, conditioned } = m.hierarchical;
  const options = {
    ...common,
    channels,
    codebookSize,
    codeDim,
    conditioned,
    topDownsample: m.topDownsample,
  };
  return { architecture: 'hierarchical', options, quantizer, search };
}

/**
 * Builds one side of the config's pair (default the trained one) from {@link modelOptions}.
 * @throws ExperimentsError (exit 2) when @vqkit/models or @vqkit/quantizer refuses the options
 *   (their message names the option), naming the side and the config sections to fix.
 */
export function createModel(config: RunConfig, side = config.architecture): VQVAE {
  const built = modelOptions(config, side);
  try {
    return built.architecture === 'single'
      ? new SingleLevelVQVAE(built.options)
      : new HierarchicalVQVAE(built.options);
  } catch (error) {
    if (error instanceof QuantizerError || error instanceof ModelsError) {
      throw inputError(
        `the ${side} side of the config cannot be built (quantizer.kind '${built.quantizer.kind}'): ${error.message} Fix model.${side} or the quantizer section.`,
        error,
      );
    }
    throw error;
  }
}
