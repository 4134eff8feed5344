import type { QuantizerLevel } from '@vqkit/models';
import type { QuantizerSpec, ResetSpec } from '@vqkit/quantizer';
import type { QuantizerConfig, VqQuantizerConfig } from '../config/quantizer-schema';

/** A config's reset keys as @vqkit/quantizer's plain-data reset policy. */
function resetSpec(
  q: VqQuantizerConfig | Extract<QuantizerConfig, { kind: 'residual' }>,
): ResetSpec {
  if (q.reset === 'windowed') {
    return {
      kind: 'windowed',
      threshold: q.resetThreshold,
      window: q.resetWindow,
      source: q.resetSource,
    };
  }
  if (q.reset === 'ema') return { kind: 'ema', threshold: q.resetThreshold };
  return 'none';
}

/** The VQ options every codebook family (vq, residual) shares, for one level. */
function codebookOptions(
  q: VqQuantizerConfig | Extract<QuantizerConfig, { kind: 'residual' }>,
  level: QuantizerLevel,
) {
  return {
    codebookSize: level.codebookSize,
    codeDim: level.codeDim,
    seed: level.seed,
    decay: q.decay,
    epsilon: q.epsilon,
    commitmentWeight: q.commitmentWeight,
    codebookLossWeight: q.codebookLossWeight,
    distance: q.distance,
    learning: q.learning,
    gradient: q.gradient,
    chunkSize: q.chunkSize,
    ...(q.codebookDim === undefined ? {} : { codebookDim: q.codebookDim }),
    init: q.init,
    reset: resetSpec(q),
  };
}

/**
 * The `createQuantizer` spec of one level: the config's `quantizer` section with the level's K, D
 * and seed (the model draws one seed per level). FSQ takes its D from `levels`, LFQ its D from
 * the level; neither has a codebook, a seed or a search.
 */
export function quantizerSpec(q: QuantizerConfig, level: QuantizerLevel): QuantizerSpec {
  switch (q.kind) {
    case 'vq':
      return { kind: 'vq', ...codebookOptions(q, level) };
    case 'residual':
      return {
        kind: 'residual',
        ...codebookOptions(q, level),
        depth: q.depth,
        sharedCodebook: q.sharedCodebook,
        quantizerDropout: q.quantizerDropout,
        quantizerDropoutMinDepth: q.quantizerDropoutMinDepth,
      };
    case 'fsq':
      return { kind: 'fsq', levels: [...q.levels], boundEpsilon: q.boundEpsilon };
    case 'lfq':
      return {
        kind: 'lfq',
        codeDim: level.codeDim,
        entropyWeight: q.entropyWeight,
        commitmentWeight: q.commitmentWeight,
        diversityGamma: q.diversityGamma,
        inverseTemperature: q.inverseTemperature,
        ...(q.entropyChunkSize === undefined ? {} : { entropyChunkSize: q.entropyChunkSize }),
      };
  }
}
