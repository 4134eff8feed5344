import {
  CapacityError,
  checkMatched,
  type HierarchicalConfig,
  matchHierarchicalToSingle,
  matchSingleToHierarchical,
  type SingleLevelConfig,
} from '@vqkit/capacity';
import { inputError } from '../config/errors';
import { capacityConfigs } from '../config/matching';
import type { RunConfig } from '../config/schema';
import { LADDER, type LadderRung } from './ladder';

/** Grids `vqkit sweep --grid` knows. */
export const GRID_NAMES = ['paper', 'table1', 'kxd', 'ablation', 'demo'] as const;
export type GridName = (typeof GRID_NAMES)[number];

/** The paper's codebook sizes Ks (§4.2). */
export const PAPER_CODEBOOK_SIZES: readonly number[] = [1024, 2048, 4096, 8192];
/** The paper's code dimensions Ds (§4.2). */
export const PAPER_CODE_DIMS: readonly number[] = [8, 16, 32, 64, 128];

/** One unit of a sweep: a fully resolved run config that trains into `<runs-dir>/<id>/`. */
export interface SweepCell {
  /** Directory name and `--only` value, e.g. `single-K8192-D8`, `hier-K4096-D8`, `ladder-reset-single`. */
  id: string;
  config: RunConfig;
  /** One line for listings. */
  description: string;
}

/** Options of {@link buildCells}. */
export interface GridOptions {
  /** Ks values of the K×D grid and of Table 1's K sweep. @default [1024, 2048, 4096, 8192] */
  codebookSizes?: readonly number[];
  /** Ds values of the K×D grid and of Table 1's D sweep. @default [8, 16, 32, 64, 128] */
  codeDims?: readonly number[];
  /** Code dimension of ladder rungs (a)–(c). @default 64 */
  fromDim?: number;
  /** Code dimension of ladder rung (d). @default 16 */
  toDim?: number;
}

function sizes(config: RunConfig): { bottom: number; top: number } {
  const single = capacityConfigs(config).single;
  const top = capacityConfigs(config).hierarchical.top;
  return { bottom: single.height, top: top.height };
}

function capacityFailure(cell: string, error: unknown): never {
  if (error instanceof CapacityError) {
    throw inputError(
      `sweep: cell ${cell} has no capacity-matched pair: ${error.message} Choose codebook sizes and dimensions with integer solutions (e.g. powers of two).`,
      error,
    );
  }
  throw error;
}

/** Writes a matched pair into a copy of `base`, checking eqs. 4–5 once more. */
function withPair(
  base: RunConfig,
  id: string,
  architecture: 'single' | 'hierarchical',
  single: SingleLevelConfig,
  hierarchical: HierarchicalConfig,
  tags: Record<string, string>,
  quantizer: Partial<RunConfig['quantizer']> = {},
): RunConfig {
  const config = structuredClone(base);
  config.name = id;
  config.architecture = architecture;
  config.model.single = {
    channels: single.channels,
    codebookSize: single.codebookSize,
    codeDim: single.codeDim,
  };
  config.model.hierarchical = {
    ...config.model.hierarchical,
    channels: hierarchical.channels,
    codebookSize: hierarchical.codebookSize,
    codeDim: hierarchical.codeDim,
  };
  config.quantizer = { ...config.quantizer, ...quantizer };
  config.allowUnmatched = false;
  config.tags = { ...base.tags, ...tags, cell: id };
  const pair = capacityConfigs(config);
  const check = checkMatched(pair.single, pair.hierarchical, { match: 'kd' });
  if (!check.matched) {
    throw inputError(
      `sweep: cell ${id} is not capacity-matched (${check.failures.join('; ')}). This is a bug in the grid definition.`,
    );
  }
  return config;
}

/**
 * The hierarchical config matched to the single-level (Ks, Ds) by eqs. 4–5 with Dh = Ds (so Kh = Ks/2),
 * through @vqkit/capacity, on the latent sizes of `base`.
 */
export function matchedPairForSingle(
  base: RunConfig,
  codebookSize: number,
  codeDim: number,
): { single: SingleLevelConfig; hierarchical: HierarchicalConfig } {
  const s = sizes(base);
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
    return { single: pair!.single, hierarchical: pair!.hierarchical };
  } catch (error) {
    return capacityFailure(`K${codebookSize}-D${codeDim}`, error);
  }
}

function singleCell(base: RunConfig, ks: number, ds: number, study: string): SweepCell {
  const id = `single-K${ks}-D${ds}`;
  const pair = matchedPairForSingle(base, ks, ds);
  return {
    id,
    config: withPair(base, id, 'single', pair.single, pair.hierarchical, { study }),
    description: `single-level Ks ${ks}, Ds ${ds} (matched to 2×${pair.hierarchical.codebookSize}, Dh ${pair.hierarchical.codeDim})`,
  };
}

function hierarchicalCell(base: RunConfig, ks: number, ds: number): SweepCell {
  const pair = matchedPairForSingle(base, ks, ds);
  const kh = pair.hierarchical.codebookSize;
  const id = `hier-K${kh}-D${pair.hierarchical.codeDim}`;
  return {
    id,
    config: withPair(base, id, 'hierarchical', pair.single, pair.hierarchical, { study: 'sweep' }),
    description: `hierarchical 2×Kh = 2×${kh}, Dh ${pair.hierarchical.codeDim} (matched to Ks ${ks}, Ds ${ds})`,
  };
}

/** Table 1's (Ks, Ds) pairs: D = min Ds with every Ks, then Ks = max Ks with every other Ds. */
export function table1Pairs(ks: readonly number[], ds: readonly number[]): [number, number][] {
  const dMin = Math.min(...ds);
  const kMax = Math.max(...ks);
  return [
    ...[...ks].sort((a, b) => a - b).map((k): [number, number] => [k, dMin]),
    ...[...ds]
      .sort((a, b) => a - b)
      .filter((d) => d !== dMin)
      .map((d): [number, number] => [kMax, d]),
  ];
}

/**
 * Figure 1's ladder for both architectures (paper §4.1): rungs (a)–(c) at code dimension `fromDim`
 * (64) and rung (d) at `toDim` (16), every rung with the base config's discrete budget K·D per
 * architecture (eq. 5 kept: Ks·Ds = 2·Kh·Dh), so lowering the dimension multiplies K by fromDim/toDim.
 * Codebook sizes come from @vqkit/capacity (Kh from the budget, Ks matched to it).
 */
export function ladderCells(
  base: RunConfig,
  options: GridOptions = {},
  rungs: readonly LadderRung[] = LADDER,
): SweepCell[] {
  const fromDim = options.fromDim ?? 64;
  const toDim = options.toDim ?? 16;
  const budget = base.model.hierarchical.codebookSize * base.model.hierarchical.codeDim; // Kh·Dh per level
  const cells: SweepCell[] = [];
  const s = sizes(base);
  for (const rung of rungs) {
    const dim = rung.lowerDim ? toDim : fromDim;
    if (budget % dim !== 0) {
      const divisors = [1, 2, 4, 8, 16, 32, 64, 128, 256].filter((d) => budget % d === 0);
      throw inputError(
        `ablate: the base pair's per-level budget Kh·Dh = ${budget} is not divisible by code dimension ${dim}, so K·D cannot be kept. ` +
          `Use --from-dim/--to-dim among ${divisors.join(', ')}, or a base config with a larger Kh.`,
      );
    }
    const hierarchical: HierarchicalConfig = {
      bottom: { height: s.bottom, width: s.bottom },
      top: { height: s.top, width: s.top },
      channels: base.model.hierarchical.channels,
      codebookSize: budget / dim,
      codeDim: dim,
    };
    let single: SingleLevelConfig;
    try {
      single = matchSingleToHierarchical(hierarchical, { codeDim: dim }).single;
    } catch (error) {
      return capacityFailure(`ladder-${rung.id}`, error);
    }
    for (const architecture of ['single', 'hierarchical'] as const) {
      const id = `ladder-${rung.id}-${architecture}`;
      cells.push({
        id,
        config: withPair(
          base,
          id,
          architecture,
          single,
          hierarchical,
          { study: 'ablation', ladder: rung.id },
          rung.reset === 'windowed'
            ? { init: rung.init, reset: 'windowed', resetThreshold: 2, resetWindow: 10 }
            : { init: rung.init, reset: 'none' },
        ),
        description: `${rung.label} (${architecture}; Ks ${single.codebookSize}, Ds ${dim} ↔ 2×${hierarchical.codebookSize}, Dh ${dim})`,
      });
    }
  }
  return cells;
}

/**
 * The cells of a named grid on a base config:
 * - `kxd`: Figure 2's single-level grid, Ks × Ds (4 × 5 = 20 cells in the paper);
 * - `table1`: Table 1's matched pairs, both architectures (8 pairs = 16 cells in the paper);
 * - `paper`: both, sharing the single-level cells (20 + 8 = 28 cells);
 * - `ablation`: Figure 1's ladder, 4 rungs × 2 architectures;
 * - `demo`: what `vqkit demo` runs on the `demo` preset: the whole ladder, both architectures (8 cells).
 *
 * @throws ExperimentsError (exit 2) for an unknown grid or sizes without a matched pair.
 */
export function buildCells(base: RunConfig, grid: string, options: GridOptions = {}): SweepCell[] {
  const ks = options.codebookSizes ?? PAPER_CODEBOOK_SIZES;
  const ds = options.codeDims ?? PAPER_CODE_DIMS;
  if (ks.length === 0 || ds.length === 0) {
    throw inputError(
      'sweep: --ks and --ds need at least one value each, e.g. --ks 1024,2048 --ds 8,16.',
    );
  }
  const kxd = () =>
    [...ks]
      .sort((a, b) => a - b)
      .flatMap((k) => [...ds].sort((a, b) => a - b).map((d) => singleCell(base, k, d, 'sweep')));
  const table1 = () =>
    table1Pairs(ks, ds).flatMap(([k, d]) => [
      singleCell(base, k, d, 'sweep'),
      hierarchicalCell(base, k, d),
    ]);
  switch (grid) {
    case 'kxd':
      return kxd();
    case 'table1':
      return table1();
    case 'paper': {
      const cells = kxd();
      const ids = new Set(cells.map((c) => c.id));
      for (const c of table1()) if (!ids.has(c.id)) cells.push(c);
      return cells;
    }
    case 'ablation':
    case 'demo':
      return ladderCells(base, options);
    default:
      throw inputError(`sweep: unknown --grid '${grid}'. Use one of: ${GRID_NAMES.join(', ')}.`);
  }
}
