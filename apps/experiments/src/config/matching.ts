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
  /** The budgets checked: eqs. 4–5 (`kd`) or eq. 4 and equal index bits (`bits`; every non-VQ family). */
  mode: 'kd' | 'bits';
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

/**
 * The number of distinct indices one latent position of the trained side can take, as the K the
 * capacity package's index-bit formulas read: the codebook size for VQ, FSQ (∏ levels) and LFQ
 * (2^D) — `model.<side>.codebookSize` states it (see `familyProblems`) — and K^depth for a
 * residual quantizer (depth indices of K codes each).
 * @throws ExperimentsError (exit 2) when K^depth is not an exact integer in float64 (> 2^53).
 */
export function indexRange(config: RunConfig): number {
  const q = config.quantizer;
  const k = config.model[config.architecture].codebookSize;
  if (q.kind !== 'residual') return k;
  const range = k ** q.depth;
  if (!Number.isSafeInteger(range)) {
    throw inputError(
      `'quantizer.depth' = ${q.depth} with ${k} codes per stage gives ${(q.depth * Math.log2(k)).toFixed(1)} index bits per position, more than the 53 the capacity check computes exactly. Lower quantizer.depth or model.${config.architecture}.codebookSize.`,
    );
  }
  return range;
}

/**
 * The capacity package's view of both sides of the config's pair. The trained side's K is its
 * {@link indexRange} (so a residual side counts depth·log₂K index bits per position).
 */
export function capacityConfigs(config: RunConfig): {
  single: SingleLevelConfig;
  hierarchical: HierarchicalConfig;
} {
  const l = latentSizes(config);
  const { single, hierarchical } = config.model;
  const k = (side: 'single' | 'hierarchical') =>
    side === config.architecture ? indexRange(config) : config.model[side].codebookSize;
  return {
    single: {
      height: l.bottom,
      width: l.bottom,
      channels: single.channels,
      codebookSize: k('single'),
      codeDim: single.codeDim,
    },
    hierarchical: {
      bottom: { height: l.bottom, width: l.bottom },
      top: { height: l.top, width: l.top },
      channels: hierarchical.channels,
      codebookSize: k('hierarchical'),
      codeDim: hierarchical.codeDim,
    },
  };
}

/**
 * Which budgets the config's pair is checked on: `model.match` for the VQ (the paper's eqs. 4–5, or
 * equal index bits), and always equal index bits for another family — eq. 5 (Ks·Ds = 2·Kh·Dh)
 * budgets codebooks of D-dimensional vectors, which FSQ and LFQ do not have, and a residual
 * quantizer's capacity is its depth·log₂K bits.
 */
export function matchModeOf(config: RunConfig): 'kd' | 'bits' {
  return config.quantizer.kind === 'vq' ? config.model.match : 'bits';
}

/**
 * Checks the config's pair with @vqkit/capacity in {@link matchModeOf}'s mode: Hs·Ws·Cs =
 * Hb·Wb·Ch + Ht·Wt·Ch (eq. 4) and Ks·Ds = 2·Kh·Dh (eq. 5), or equal index bits per image
 * Hs·Ws·log₂Ks = (Hb·Wb + Ht·Wt)·log₂Kh instead of eq. 5 — with the trained side's family's bits
 * (FSQ Σ log₂ Lᵢ, LFQ D, residual depth·log₂K per position) against the other side's VQ.
 */
export function matchReport(config: RunConfig): MatchReport {
  const pair = capacityConfigs(config);
  const mode = matchModeOf(config);
  const check = checkMatched(pair.single, pair.hierarchical, { match: mode });
  const inputSize = { height: config.data.size, width: config.data.size };
  const single = singleLevelBudget(pair.single, { inputSize });
  const hierarchical = hierarchicalBudget(pair.hierarchical, { inputSize });
  const kind = config.quantizer.kind;
  const note = kind === 'vq' ? [] : [`quantizer.kind '${kind}' is matched in index bits per image`];
  return {
    ok: check.matched,
    allowUnmatched: config.allowUnmatched,
    mode,
    budgets: { single, hierarchical },
    bitGap: {
      indexBits: hierarchical.indexBits - single.indexBits,
      bitsPerPixel: (hierarchical.bitsPerPixel ?? 0) - (single.bitsPerPixel ?? 0),
    },
    failures: check.failures.length === 0 ? [] : [...check.failures, ...note],
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
      `The run's single/hierarchical pair is not capacity-matched (${report.mode === 'kd' ? 'eqs. 4–5' : 'eq. 4 and equal index bits'}): ${report.failures.join('; ')}. ` +
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
