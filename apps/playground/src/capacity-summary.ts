import {
  CapacityError,
  type HierarchicalConfig,
  type MatchedPair,
  matchHierarchicalToSingle,
  matchSingleToHierarchical,
  type SingleLevelConfig,
} from '@vqkit/capacity';
import { PLAYGROUND_DEFAULTS as D } from './defaults';
import { PlaygroundError } from './errors';
import type { PlaygroundOptions } from './options';

/** The trained model and its capacity-matched partner (eqs. 4–5), with their index bits per crop. */
export interface CapacitySummary {
  /** The matched pair from @vqkit/capacity (both configs, both budgets, the gap). */
  pair: MatchedPair;
  /** The side being trained, as the capacity package describes it. */
  trained: SingleLevelConfig | HierarchicalConfig;
  /** The other side of the pair. */
  partner: SingleLevelConfig | HierarchicalConfig;
  /** Index bits per S×S crop: trained side, partner side. */
  bitsPerImage: { trained: number; partner: number };
  /** Index bits per pixel: trained side, partner side. */
  bitsPerPixel: { trained: number; partner: number };
}

/** Latent map sides for a crop side S: bottom (and single) S/4, top S/8 (paper §4's factors). */
export function latentSides(cropSize: number): { bottom: number; top: number } {
  return { bottom: cropSize / D.downsample, top: cropSize / (D.downsample * D.topDownsample) };
}

/**
 * The matched partner of the options' model (eq. 4: Hs·Ws·Cs = Hb·Wb·Ch + Ht·Wt·Ch; eq. 5:
 * Ks·Ds = 2·Kh·Dh with the partner's D = `partnerCodeDim`) and both sides' bits per crop.
 * @throws PlaygroundError (`unmatched-pair`) carrying @vqkit/capacity's explanation and nearest valid inputs.
 */
export function capacitySummary(o: PlaygroundOptions): CapacitySummary {
  const { bottom, top } = latentSides(o.cropSize);
  const inputSize = { height: o.cropSize, width: o.cropSize };
  const model = { channels: o.channels, codebookSize: o.codebookSize, codeDim: o.codeDim };
  let pair: MatchedPair | undefined;
  try {
    if (o.architecture === 'hierarchical') {
      const hier = { bottom: { height: bottom, width: bottom }, top: { height: top, width: top } };
      pair = matchSingleToHierarchical(
        { ...hier, ...model },
        { codeDim: o.partnerCodeDim, inputSize },
      );
    } else {
      [pair] = matchHierarchicalToSingle(
        { height: bottom, width: bottom, ...model },
        { tops: [{ height: top, width: top }], codeDim: o.partnerCodeDim, inputSize },
      );
    }
  } catch (error) {
    if (error instanceof CapacityError) {
      throw new PlaygroundError(
        `No capacity-matched partner for this ${o.architecture === 'single' ? 'single-level' : 'hierarchical'} model: ${error.message}`,
        'unmatched-pair',
      );
    }
    throw error;
  }
  if (pair === undefined) {
    throw new PlaygroundError(
      `No capacity-matched hierarchical partner for K = ${o.codebookSize}, D = ${o.codeDim}, C = ${o.channels} with a ${top}×${top} top level. Change K, D or C.`,
      'unmatched-pair',
    );
  }
  const single = o.architecture === 'single';
  const s = pair.budgets.single;
  const h = pair.budgets.hierarchical;
  const trainedBudget = single ? s : h;
  const partnerBudget = single ? h : s;
  return {
    pair,
    trained: single ? pair.single : pair.hierarchical,
    partner: single ? pair.hierarchical : pair.single,
    bitsPerImage: { trained: trainedBudget.indexBits, partner: partnerBudget.indexBits },
    bitsPerPixel: {
      trained: trainedBudget.bitsPerPixel ?? 0,
      partner: partnerBudget.bitsPerPixel ?? 0,
    },
  };
}

/** One line describing a config: `single 16×16, C 40, K 512, D 8` or `bottom 16×16 + top 8×8, …`. */
export function describeConfig(config: SingleLevelConfig | HierarchicalConfig): string {
  if ('bottom' in config) {
    const b = config.bottom;
    const t = config.top;
    return `hierarchical: bottom ${b.height}×${b.width} + top ${t.height}×${t.width}, C ${config.channels}, K ${config.codebookSize} per level, D ${config.codeDim}`;
  }
  return `single-level: ${config.height}×${config.width}, C ${config.channels}, K ${config.codebookSize}, D ${config.codeDim}`;
}
