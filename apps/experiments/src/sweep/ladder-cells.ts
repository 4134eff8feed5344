import {
  type HierarchicalConfig,
  matchSingleToHierarchical,
  type SingleLevelConfig,
} from '@vqkit/capacity';
import { QUANTIZER_DEFAULTS } from '../config/defaults';
import { inputError } from '../config/errors';
import type { VqQuantizerConfig } from '../config/quantizer-schema';
import type { RunConfig } from '../config/schema';
import { LADDER, type LadderRung } from './ladder';
import { capacityFailure, latentSides, withPair } from './pairs';
import type { SweepCell } from './sweep-cell';

/** Code dimensions of Figure 1's ladder. */
export interface LadderDims {
  /** Code dimension of rungs (a)–(c): paper §4.1 ("Reducing dimensionality from 64 to 16"). @default 64 */
  fromDim?: number;
  /** Code dimension of rung (d), lower than `fromDim`. @default 16 */
  toDim?: number;
}

/** The paper's ladder dimensions (§4.1: "Reducing dimensionality from 64 to 16"). */
export const LADDER_DIMS = Object.freeze({ fromDim: 64, toDim: 16 });

function checkDims(budget: number, fromDim: number, toDim: number): void {
  if (!(toDim < fromDim)) {
    throw inputError(
      `ablate: --to-dim ${toDim} must be lower than --from-dim ${fromDim}: rung (d) is "+ lower dimension" (paper §4.1: 64 → 16). Swap them, e.g. --from-dim ${Math.max(fromDim, toDim)} --to-dim ${Math.min(fromDim, toDim)}.`,
    );
  }
  for (const dim of [fromDim, toDim]) {
    if (budget % dim !== 0) {
      const divisors = [1, 2, 4, 8, 16, 32, 64, 128, 256].filter((d) => budget % d === 0);
      throw inputError(
        `ablate: the base pair's per-level budget Kh·Dh = ${budget} is not divisible by code dimension ${dim}, so K·D cannot be kept. ` +
          `Use --from-dim/--to-dim among ${divisors.join(', ')}, or a base config with a larger Kh.`,
      );
    }
  }
}

/**
 * Figure 1's ladder for both architectures (paper §4.1): rungs (a)–(c) at code dimension `fromDim`
 * (64) and rung (d) at `toDim` (16), every rung with the base config's discrete budget K·D per
 * architecture (eq. 5 kept: Ks·Ds = 2·Kh·Dh), so lowering the dimension multiplies K by fromDim/toDim.
 * Codebook sizes come from @vqkit/capacity (Kh from the budget, Ks matched to it).
 *
 * @throws ExperimentsError (exit 2) when `toDim` ≥ `fromDim` or a dimension does not divide Kh·Dh.
 */
export function ladderCells(
  base: RunConfig,
  dims: LadderDims = {},
  rungs: readonly LadderRung[] = LADDER,
): SweepCell[] {
  const fromDim = dims.fromDim ?? LADDER_DIMS.fromDim;
  const toDim = dims.toDim ?? LADDER_DIMS.toDim;
  const budget = base.model.hierarchical.codebookSize * base.model.hierarchical.codeDim; // Kh·Dh per level
  checkDims(budget, fromDim, toDim);
  const s = latentSides(base);
  const cells: SweepCell[] = [];
  for (const rung of rungs) {
    const dim = rung.lowerDim ? toDim : fromDim;
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
    const quantizer: Partial<VqQuantizerConfig> =
      rung.reset === 'windowed'
        ? {
            init: rung.init,
            reset: 'windowed',
            resetThreshold: QUANTIZER_DEFAULTS.resetThreshold,
            resetWindow: QUANTIZER_DEFAULTS.resetWindow,
          }
        : { init: rung.init, reset: 'none' };
    for (const architecture of ['single', 'hierarchical'] as const) {
      const id = `ladder-${rung.id}-${architecture}`;
      const pair = { single, hierarchical, match: 'kd' as const, note: null };
      cells.push({
        id,
        config: withPair(
          base,
          id,
          architecture,
          pair,
          { study: 'ablation', ladder: rung.id },
          quantizer,
        ),
        description: `${rung.label} (${architecture}; Ks ${single.codebookSize}, Ds ${dim} ↔ 2×${hierarchical.codebookSize}, Dh ${dim})`,
      });
    }
  }
  return cells;
}
