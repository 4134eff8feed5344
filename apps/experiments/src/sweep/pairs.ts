import {
  CapacityError,
  checkMatched,
  type HierarchicalConfig,
  matchHierarchicalToSingle,
  matchSingleToHierarchical,
  type SingleLevelConfig,
} from '@vqkit/capacity';
import { inputError } from '../config/errors';
import { capacityConfigs, latentSizes } from '../config/matching';
import { type VqQuantizerConfig, vqOptionsOf } from '../config/quantizer-schema';
import type { RunConfig } from '../config/schema';

/** A single-level config and the hierarchical config it is matched to. */
export interface Pair {
  single: SingleLevelConfig;
  hierarchical: HierarchicalConfig;
  /** Which budgets the pair equalises (`model.match`). */
  match: 'kd' | 'bits';
  /** Why the pair differs from the one asked for (bits matching moves Kh to an exact solution), or null. */
  note: string | null;
}

/** Latent sides of `config`: bottom (= single) and top. */
export function latentSides(config: RunConfig): { bottom: number; top: number } {
  return latentSizes(config);
}

/** Rethrows a CapacityError as bad input naming the sweep cell. */
export function capacityFailure(cell: string, error: unknown): never {
  if (error instanceof CapacityError) {
    throw inputError(
      `sweep: cell ${cell} has no capacity-matched pair: ${error.message} Choose codebook sizes and dimensions with integer solutions (e.g. powers of two).`,
      error,
    );
  }
  throw error;
}

/**
 * Writes a pair into a copy of `base` as cell `id` (name, architecture, model sides, `model.match`,
 * VQ quantizer overrides, tags), checking it once more with @vqkit/capacity. The cell's quantizer is
 * the base's VQ options (`vqOptionsOf`: a residual base keeps them, an FSQ/LFQ base gives the VQ
 * defaults) with `quantizer` on top: the K×D grid, Table 1 and Figure 1 are studies of VQ codebooks.
 */
export function withPair(
  base: RunConfig,
  id: string,
  architecture: 'single' | 'hierarchical',
  pair: Pair,
  tags: Record<string, string>,
  quantizer: Partial<VqQuantizerConfig> = {},
): RunConfig {
  const config = structuredClone(base);
  config.name = id;
  config.architecture = architecture;
  config.model.single = {
    channels: pair.single.channels,
    codebookSize: pair.single.codebookSize,
    codeDim: pair.single.codeDim,
  };
  config.model.hierarchical = {
    ...config.model.hierarchical,
    channels: pair.hierarchical.channels,
    codebookSize: pair.hierarchical.codebookSize,
    codeDim: pair.hierarchical.codeDim,
  };
  config.model.match = pair.match;
  // The paper's grids compare VQ codebooks: a non-VQ base family gives way to its VQ options.
  config.quantizer = { ...vqOptionsOf(base.quantizer), ...quantizer };
  config.allowUnmatched = false;
  config.tags = { ...base.tags, ...tags, cell: id };
  const sides = capacityConfigs(config);
  const check = checkMatched(sides.single, sides.hierarchical, { match: pair.match });
  if (!check.matched) {
    throw inputError(
      `sweep: cell ${id} is not capacity-matched (${check.failures.join('; ')}). This is a bug in the grid definition.`,
    );
  }
  return config;
}

/**
 * The hierarchical config matched to the single-level (Ks, Ds) by eqs. 4–5 with Dh = Ds (so
 * Kh = Ks/2), through @vqkit/capacity, on the latent sizes of `base`.
 */
export function kdPairForSingle(base: RunConfig, codebookSize: number, codeDim: number): Pair {
  const s = latentSides(base);
  const single: SingleLevelConfig = {
    height: s.bottom,
    width: s.bottom,
    channels: base.model.single.channels,
    codebookSize,
    codeDim,
  };
  try {
    const [pair] = matchHierarchicalToSingle(single, {
      codeDim,
      tops: [{ height: s.top, width: s.top }],
    });
    return { single: pair!.single, hierarchical: pair!.hierarchical, match: 'kd', note: null };
  } catch (error) {
    return capacityFailure(`K${codebookSize}-D${codeDim}`, error);
  }
}

/** The alternative Kh closest to `kh` on a log scale among a CapacityError's suggestions. */
function nearestKh(error: CapacityError, kh: number): number | null {
  const options = error.alternatives
    .map((a) => a.change['codebookSize'])
    .filter((k): k is number => typeof k === 'number' && k >= 2);
  if (options.length === 0) return null;
  return options.reduce((best, k) =>
    Math.abs(Math.log(k / kh)) < Math.abs(Math.log(best / kh)) ? k : best,
  );
}

/**
 * The Table 1 pair of (Ks, Ds) matched in index bits instead of eq. 5: the hierarchical side of the
 * eqs. 4–5 pair (Kh = Ks/2, Dh = Ds) keeps its size when Ks' = Kh^((Hb·Wb + Ht·Wt)/(Hs·Ws)) is an
 * integer (Kh a perfect 4th power for a top level of ¼ the positions: 16, 256, 4096, …); otherwise Kh
 * moves to the nearest size with an exact solution, and `note` says so. Eq. 4 holds throughout.
 */
export function bitsPairForSingle(base: RunConfig, codebookSize: number, codeDim: number): Pair {
  const kd = kdPairForSingle(base, codebookSize, codeDim);
  const solve = (h: HierarchicalConfig) => matchSingleToHierarchical(h, { match: 'bits', codeDim });
  try {
    const pair = solve(kd.hierarchical);
    return { single: pair.single, hierarchical: pair.hierarchical, match: 'bits', note: null };
  } catch (error) {
    if (!(error instanceof CapacityError)) throw error;
    const kh = nearestKh(error, kd.hierarchical.codebookSize);
    if (kh === null) return capacityFailure(`bits-K${codebookSize}-D${codeDim}`, error);
    const pair = solve({ ...kd.hierarchical, codebookSize: kh });
    return {
      single: pair.single,
      hierarchical: pair.hierarchical,
      match: 'bits',
      note: `Kh ${kd.hierarchical.codebookSize} has no integer bit-matched Ks, so Kh ${kh} (the nearest size with one) is used`,
    };
  }
}
