import { inputError } from '../config/errors';
import type { RunConfig } from '../config/schema';
import { demoCells } from './demo-grid';
import { familiesCells } from './families-grid';
import { type LadderDims, ladderCells } from './ladder-cells';
import { kxdCells, table1Cells, table1Pairs } from './pair-cells';
import { withSeeds } from './seeds';
import type { SweepCell } from './sweep-cell';

export { hierarchicalCell, kxdCells, singleCell, table1Cells, table1Pairs } from './pair-cells';
export type { SweepCell } from './sweep-cell';

/** Grids `vqkit sweep --grid` knows. */
export const GRID_NAMES = ['paper', 'table1', 'kxd', 'ablation', 'demo', 'families'] as const;
export type GridName = (typeof GRID_NAMES)[number];

/** The paper's codebook sizes Ks (§4.2: "Ks ∈ {1024, 2048, 4096, 8192}"). */
export const PAPER_CODEBOOK_SIZES: readonly number[] = [1024, 2048, 4096, 8192];
/** The paper's code dimensions Ds (§4.2: "Ds ∈ {8, 16, 32, 64, 128}"). */
export const PAPER_CODE_DIMS: readonly number[] = [8, 16, 32, 64, 128];

/** Options of {@link buildCells}. */
export interface GridOptions extends LadderDims {
  /** Ks values of the K×D grid and of Table 1's K sweep. @default [1024, 2048, 4096, 8192] */
  codebookSizes?: readonly number[];
  /** Ds values of the K×D grid and of Table 1's D sweep. @default [8, 16, 32, 64, 128] */
  codeDims?: readonly number[];
  /** Runs per cell, seeds base, base + 1, … (`--seeds`). @default 1 */
  seeds?: number;
  /**
   * How Table 1's pairs are matched: `'kd'` = eqs. 4–5 (the paper), `'bits'` = eq. 4 and equal index
   * bits per image (`--match bits`; grids `table1` and `paper`, whose pairs are Table 1's). @default 'kd'
   */
  match?: 'kd' | 'bits';
  /**
   * The Table 1 pair (Ks, Ds) of the `families` grid (`--pair Ks,Ds`).
   * @default the base config's model.single
   */
  pair?: readonly [number, number];
}

function gridCells(base: RunConfig, grid: string, options: GridOptions): SweepCell[] {
  const ks = options.codebookSizes ?? PAPER_CODEBOOK_SIZES;
  const ds = options.codeDims ?? PAPER_CODE_DIMS;
  if (ks.length === 0 || ds.length === 0) {
    throw inputError(
      'sweep: --ks and --ds need at least one value each, e.g. --ks 1024,2048 --ds 8,16.',
    );
  }
  const match = options.match ?? 'kd';
  if (match === 'bits' && grid !== 'table1' && grid !== 'paper') {
    throw inputError(
      `sweep --match bits: grid '${grid}' has no Table 1 pairs to match in index bits. Use --grid table1 --match bits (or --match kd).`,
    );
  }
  if (options.pair !== undefined && grid !== 'families') {
    throw inputError(
      `sweep --pair: grid '${grid}' does not take a pair; --pair Ks,Ds chooses the Table 1 pair of --grid families.`,
    );
  }
  switch (grid) {
    case 'families':
      return familiesCells(base, options.pair === undefined ? {} : { pair: options.pair });
    case 'kxd':
      return kxdCells(base, ks, ds);
    case 'table1':
      return table1Cells(base, table1Pairs(ks, ds), match);
    case 'paper': {
      // Under --match bits only Table 1's pairs are matched anew; the K×D grid is single-level.
      if (match === 'bits') return table1Cells(base, table1Pairs(ks, ds), match);
      const cells = kxdCells(base, ks, ds);
      const ids = new Set(cells.map((c) => c.id));
      for (const c of table1Cells(base, table1Pairs(ks, ds), match))
        if (!ids.has(c.id)) cells.push(c);
      return cells;
    }
    case 'ablation':
      return ladderCells(base, options);
    case 'demo':
      return demoCells(base, options);
    default:
      throw inputError(`sweep: unknown --grid '${grid}'. Use one of: ${GRID_NAMES.join(', ')}.`);
  }
}

/**
 * The cells of a named grid on a base config, each `seeds` times:
 * - `kxd`: Figure 2's single-level grid, Ks × Ds (4 × 5 = 20 cells in the paper);
 * - `table1`: Table 1's matched pairs, both architectures (8 pairs = 16 cells in the paper);
 * - `paper`: both, sharing the single-level cells (20 + 8 = 28 cells);
 * - `ablation`: Figure 1's ladder, 4 rungs × 2 architectures;
 * - `demo`: what `vqkit demo` runs (see {@link demoCells});
 * - `families`: one Table 1 pair's hierarchical VQ side and the single-level model with each
 *   quantizer family matched to its index bits (see {@link familiesCells}; 5 cells).
 *
 * @throws ExperimentsError (exit 2) for an unknown grid, sizes without a matched pair, or bad seeds.
 */
export function buildCells(base: RunConfig, grid: string, options: GridOptions = {}): SweepCell[] {
  return withSeeds(gridCells(base, grid, options), options.seeds ?? 1);
}
