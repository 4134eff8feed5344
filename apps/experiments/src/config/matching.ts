import {
  type Budget,
  checkMatched,
  type HierarchicalConfig,
  hierarchicalBudget,
  type SingleLevelConfig,
  singleLevelBudget,
} from '@vqkit/capacity';
import { inputError } from './errors';
import type { RunConfig } from './schema';

/** Latent map sizes implied by a config: S/downsample for single and bottom, /topDownsample for top. */
export interface LatentSizes {
  /** Hs = Ws = Hb = Wb. */
  bottom: number;
  /** Ht = Wt. */
  top: number;
}

/** What `metrics.json` and the run log record about the pair (eqs. 4–5). */
export interface MatchReport {
  /** True when the pair satisfies the spatial precondition, eq. 4 and eq. 5. */
  ok: boolean;
  /** The run's `allowUnmatched`. */
  allowUnmatched: boolean;
  /** Both architectures' budgets (continuous, discrete, index bits, bits per pixel) per level and total. */
  budgets: { single: Budget; hierarchical: Budget };
  /** hierarchical − single index bits per image and per pixel (reported even when matched). */
  bitGap: { indexBits: number; bitsPerPixel: number };
  /** One line per failing equation (empty when matched). */
  failures: string[];
}

/**
 * The latent sizes of a config, checking that the crop side divides evenly.
 * @throws ExperimentsError (exit 2) when `data.size` is not a multiple of downsample·topDownsample.
 */
export function latentSizes(config: RunConfig): LatentSizes {
  const { size } = config.data;
  const { downsample, topDownsample } = config.model;
  for (const [key, f] of [
    ['model.downsample', downsample],
    ['model.topDownsample', topDownsample],
  ] as const) {
    if (f < 2 || (f & (f - 1)) !== 0) {
      throw inputError(
        `'${key}' must be a power of two ≥ 2 (paper: downsample 4, topDownsample 2), got ${f}.`,
      );
    }
  }
  const total = downsample * topDownsample;
  if (size % total !== 0) {
    const lo = Math.floor(size / total) * total;
    throw inputError(
      `'data.size' = ${size} must be a multiple of model.downsample · model.topDownsample = ${total} so both latent maps have integer sizes. ` +
        `Use ${lo > 0 ? `${lo} or ` : ''}${lo + total}.`,
    );
  }
  return { bottom: size / downsample, top: size / total };
}

/** The capacity package's view of both sides of the config's pair. */
export function capacityConfigs(config: RunConfig): {
  single: SingleLevelConfig;
  hierarchical: HierarchicalConfig;
} {
  const l = latentSizes(config);
  const { single, hierarchical } = config.model;
  return {
    single: {
      height: l.bottom,
      width: l.bottom,
      channels: single.channels,
      codebookSize: single.codebookSize,
      codeDim: single.codeDim,
    },
    hierarchical: {
      bottom: { height: l.bottom, width: l.bottom },
      top: { height: l.top, width: l.top },
      channels: hierarchical.channels,
      codebookSize: hierarchical.codebookSize,
      codeDim: hierarchical.codeDim,
    },
  };
}

/**
 * Checks the config's pair with @vqkit/capacity: Hs·Ws·Cs = Hb·Wb·Ch + Ht·Wt·Ch (eq. 4) and, with
 * `model.match: 'kd'` (the paper), Ks·Ds = 2·Kh·Dh (eq. 5); with `'bits'`, equal index bits per
 * image Hs·Ws·log₂Ks = (Hb·Wb + Ht·Wt)·log₂Kh instead of eq. 5.
 */
export function matchReport(config: RunConfig): MatchReport {
  const pair = capacityConfigs(config);
  const check = checkMatched(pair.single, pair.hierarchical, { match: config.model.match });
  const inputSize = { height: config.data.size, width: config.data.size };
  const single = singleLevelBudget(pair.single, { inputSize });
  const hierarchical = hierarchicalBudget(pair.hierarchical, { inputSize });
  return {
    ok: check.matched,
    allowUnmatched: config.allowUnmatched,
    budgets: { single, hierarchical },
    bitGap: {
      indexBits: hierarchical.indexBits - single.indexBits,
      bitsPerPixel: (hierarchical.bitsPerPixel ?? 0) - (single.bitsPerPixel ?? 0),
    },
    failures: check.failures,
  };
}

/**
 * Refuses an unmatched pair unless `allowUnmatched` is set.
 * @throws ExperimentsError (exit 2) naming every failing equation and both ways out.
 */
export function assertPairAllowed(config: RunConfig): MatchReport {
  const report = matchReport(config);
  if (!report.ok && !config.allowUnmatched) {
    throw inputError(
      `The run's single/hierarchical pair is not capacity-matched (model.match = '${config.model.match}'): ${report.failures.join('; ')}. ` +
        'Fix model.single / model.hierarchical (e.g. `vqkit capacity --bottom … --channels … --codebook-size … --code-dim … --json` derives the matched single side), ' +
        'or pass --allow-unmatched (config allowUnmatched: true) to train it anyway; metrics.json will then say matched.ok: false.',
    );
  }
  return report;
}

/**
 * Largest relative difference of trainable parameters between the two sides of a pair that still
 * counts as comparable: 10 % (vqkit choice; the paper's pairs differ by ≤ 3.4 %, e.g. 1,174,091 vs
 * 1,135,451 at D 8, and its Table 1 prints equal counts).
 */
export const PARAMS_TOLERANCE = 0.1;

/**
 * How much the two sides' trainable parameters differ: max/min − 1 (0.5 = one side has 50 % more),
 * NaN when either is missing or not positive.
 */
export function paramsGap(single: number, hierarchical: number): number {
  if (!(single > 0) || !(hierarchical > 0)) return Number.NaN;
  return Math.max(single, hierarchical) / Math.min(single, hierarchical) - 1;
}
