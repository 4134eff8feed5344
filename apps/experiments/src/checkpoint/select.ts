import { existsSync } from 'node:fs';
import { inputError, runtimeError } from '../config/errors';
import { type LoadedCheckpoint, readCheckpoint } from './file';
import { bestCheckpoint, type DamagedEntry, scanCheckpoints } from './store';

/** Which checkpoint: the newest (`last`), the lowest validation MSE (`best`), or a file path. */
export type CheckpointChoice = 'last' | 'best' | (string & {});

/** How the chosen checkpoint was found. */
export type SelectedBy = 'last' | 'best' | 'file';

/** A verified checkpoint, how it was chosen, and the damaged files passed over. */
export interface SelectedCheckpoint {
  checkpoint: LoadedCheckpoint;
  selectedBy: SelectedBy;
  /** Damaged checkpoints newer than (for `last`) the chosen one, skipped with `allowOlder`. */
  skipped: DamagedEntry[];
  /** Every damaged file named like a checkpoint in the folder (older ones are not in the way, but listed). */
  damaged: DamagedEntry[];
}

/** Options of {@link selectCheckpoint}. */
export interface SelectOptions {
  /** @default 'last' */
  choice?: CheckpointChoice;
  /** Fall back past damaged newer checkpoints instead of refusing. @default false */
  allowOlder?: boolean;
  /** The command, for messages (`eval`, `train --resume`). */
  command: string;
}

/**
 * Finds and verifies the checkpoint to load from a run's checkpoint folder. `last` is the newest
 * by step; if files newer than the newest intact checkpoint are damaged it refuses, listing
 * them, unless `allowOlder` (then they are returned in `skipped`). `best` is the intact
 * checkpoint with the lowest validation MSE (damaged files are listed likewise when they might
 * have been it). A path is read as given.
 *
 * @returns null when the folder holds no checkpoint file at all.
 * @throws ExperimentsError: exit 2 for a missing `--checkpoint` file; exit 1 naming every
 *   damaged file when refusing.
 */
export function selectCheckpoint(dir: string, options: SelectOptions): SelectedCheckpoint | null {
  const choice = options.choice ?? 'last';
  if (choice !== 'last' && choice !== 'best') {
    if (!existsSync(choice)) {
      throw inputError(
        `${options.command}: --checkpoint ${choice} does not exist. Pass last, best, or the path of a checkpoint file (e.g. ${dir}/step-00000100.safetensors).`,
      );
    }
    return { checkpoint: readCheckpoint(choice), selectedBy: 'file', skipped: [], damaged: [] };
  }
  const { entries, damaged } = scanCheckpoints(dir);
  if (entries.length === 0 && damaged.length === 0) return null;
  const chosen = choice === 'last' ? entries.at(-1) : (bestCheckpoint(entries) ?? entries.at(-1));
  const newest = chosen?.step ?? -1;
  const passedOver = choice === 'last' ? damaged.filter((d) => d.step > newest) : damaged;
  if (chosen === undefined || (passedOver.length > 0 && !options.allowOlder)) {
    throw damagedRefusal(
      options.command,
      dir,
      passedOver.length > 0 ? passedOver : damaged,
      chosen?.path,
    );
  }
  return {
    checkpoint: readCheckpoint(chosen.path),
    selectedBy: choice === 'best' && chosen.meta.valMse !== null ? 'best' : 'last',
    skipped: passedOver,
    damaged,
  };
}

function damagedRefusal(
  command: string,
  dir: string,
  damaged: readonly DamagedEntry[],
  fallback: string | undefined,
) {
  const list = damaged.map((d) => `${d.path} (${d.problem})`).join('; ');
  const tail =
    fallback === undefined
      ? `No intact checkpoint is left in ${dir}; the run must be trained again.`
      : `The newest intact one is ${fallback}: pass --allow-older-checkpoint to use it (the damaged files are kept).`;
  return runtimeError(
    `${command}: ${damaged.length} damaged checkpoint${damaged.length === 1 ? '' : 's'} in ${dir}: ${list}. ${tail}`,
  );
}
