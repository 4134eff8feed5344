import { inputError } from '../config/errors';
import type { SweepCell } from './sweep-cell';

/**
 * Checks a `--seeds` count: a positive integer.
 * @throws ExperimentsError (exit 2) naming the flag and the fix.
 */
export function checkSeeds(seeds: number): number {
  if (!Number.isSafeInteger(seeds) || seeds < 1) {
    throw inputError(
      `--seeds expects a positive integer (runs per cell, each with its own seed), got ${JSON.stringify(seeds)}. Use --seeds 1 for one run per cell, or e.g. --seeds 3 for error bars across seeds.`,
    );
  }
  return seeds;
}

/**
 * Every cell `seeds` times, sharing everything but the seed: the first copy keeps the cell's id
 * and its config's seed s; copy i gets seed s + i and the id `<id>-seed<s+i>`, so raising `--seeds`
 * later reuses the runs already finished.
 */
export function withSeeds(cells: readonly SweepCell[], seeds: number): SweepCell[] {
  checkSeeds(seeds);
  if (seeds === 1) return [...cells];
  return cells.flatMap((cell) =>
    Array.from({ length: seeds }, (_, i) => {
      if (i === 0) return cell;
      const seed = cell.config.seed + i;
      const id = `${cell.id}-seed${seed}`;
      return {
        id,
        config: { ...cell.config, name: id, seed, tags: { ...cell.config.tags, cell: id } },
        description: `${cell.description}, seed ${seed}`,
      };
    }),
  );
}
