import { existsSync } from 'node:fs';
import { inputError } from '../config/errors';
import { resolveConfig } from '../config/resolve';
import type { RunConfig } from '../config/schema';
import { readJson } from '../run-dir';

/** Config keys a resumed run may change: how long it trains and how often it logs/checkpoints. */
export const RESUMABLE_CHANGES: readonly string[] = [
  'train.epochs',
  'train.logEvery',
  'train.checkpointEvery',
  'train.keepLast',
];

/** Every leaf path where two JSON values differ. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const out: string[] = [];
    for (const k of keys) {
      out.push(
        ...differences(
          (a as Record<string, unknown>)[k],
          (b as Record<string, unknown>)[k],
          path ? `${path}.${k}` : k,
        ),
      );
    }
    return out;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

/**
 * The config a resumed run continues with: the run directory's saved `config.json`, with only the
 * {@link RESUMABLE_CHANGES} taken from `given` (e.g. more epochs). Any other difference is refused,
 * since it would silently change the experiment half-way; so is lowering `train.epochs` (the run
 * directory would then claim a shorter run than its log and checkpoints hold).
 *
 * @throws ExperimentsError (exit 2) listing every conflicting key.
 */
export function resumeConfig(savedPath: string, given: RunConfig | null): RunConfig {
  if (!existsSync(savedPath)) {
    if (given === null) {
      throw inputError(
        `train --resume: ${savedPath} does not exist, so there is no run to resume. Pass --config to start one.`,
      );
    }
    return given;
  }
  const saved = resolveConfig(readJson(savedPath, 'train --resume') as object);
  if (given === null) return saved;
  const conflicts = differences(saved, given).filter((p) => !RESUMABLE_CHANGES.includes(p));
  if (conflicts.length > 0) {
    throw inputError(
      `train --resume: the given config differs from the run's saved config.json in ${conflicts.map((c) => `'${c}'`).join(', ')}. ` +
        `A resumed run may only change ${RESUMABLE_CHANGES.join(', ')}. Resume without --config (the saved one is used), or start a new run dir.`,
    );
  }
  if (given.train.epochs < saved.train.epochs) {
    throw inputError(
      `train --resume: train.epochs may only grow on resume: the run was configured for ${saved.train.epochs} epochs, the given config says ${given.train.epochs}. Keep ${saved.train.epochs} or more (stop early with Ctrl-C: the run stays resumable), or start a new run dir.`,
    );
  }
  const out = structuredClone(saved);
  out.train.epochs = given.train.epochs;
  out.train.logEvery = given.train.logEvery;
  out.train.checkpointEvery = given.train.checkpointEvery;
  out.train.keepLast = given.train.keepLast;
  return out;
}
