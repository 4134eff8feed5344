import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { type SelectedCheckpoint, selectCheckpoint } from '../checkpoint/select';
import { setAsideDamaged, strayTempFiles } from '../checkpoint/store';
import { inputError } from '../config/errors';
import { assertPairAllowed } from '../config/matching';
import type { RunConfig } from '../config/schema';
import { type RunPaths, readJson, runPaths, writeJsonAtomic } from '../run-dir';
import { acquireRunLock } from '../run-lock';
import { assertTrainingMemory } from './memory-estimate';
import { resumeConfig } from './resume-config';
import { logStart, type SetupOptions, setupTrainer } from './setup';
import type { TrainSummary } from './trainer';

export type { TrainSummary } from './trainer';

/** Options of {@link trainRun}. */
export interface TrainOptions extends SetupOptions {
  /** The run directory (created if missing). */
  runDir: string;
  /** Continue from the run directory's latest checkpoint. @default false */
  resume?: boolean;
  /**
   * With `resume`: when the newest checkpoints are damaged, continue from the newest intact one
   * (the damaged files are moved aside as `<name>.damaged`) instead of refusing. @default false
   */
  allowOlderCheckpoint?: boolean;
}

/**
 * Trains one model of the config's matched pair (eq. 3, Adam, lr per `train.lrDecayEvery`) into
 * `options.runDir`: a `Trainer` with a JSONL log, validation every epoch and verified atomic
 * checkpoints. The run directory is locked while it runs. With `resume` it continues from the
 * newest intact checkpoint exactly where it stopped (on the cpu backend bit for bit like an
 * uninterrupted run); a finished run is left untouched. Stops cleanly when `signal` aborts.
 *
 * @throws ExperimentsError: exit code 2 for bad input (config, unmatched pair, a model too large
 *   to allocate, run dir in use, unreadable data), 1 for failures while running (non-finite
 *   state, damaged checkpoint, disk full).
 */
export async function trainRun(
  configIn: RunConfig | null,
  options: TrainOptions,
): Promise<TrainSummary> {
  if (typeof options.runDir !== 'string' || options.runDir.trim() === '') {
    throw inputError(
      `train: --run-dir must name a folder, got ${JSON.stringify(options.runDir)}. Pass e.g. --run-dir vqkit-runs/my-run (or leave it out for vqkit-runs/<config name>).`,
    );
  }
  const resume = options.resume ?? false;
  if (!resume) checkTrainable(requireConfig(configIn));
  const paths = runPaths(options.runDir);
  const lock = acquireRunLock(paths.root, resume ? 'train --resume' : 'train');
  try {
    return await trainLocked(configIn, paths, options);
  } catch (error) {
    lock.release();
    if (lock.createdRoot) removeIfEmpty(paths.root);
    throw error;
  } finally {
    lock.release();
  }
}

/** The pair check (eqs. 4–5) and the memory check, both before anything is allocated or written. */
function checkTrainable(config: RunConfig): RunConfig {
  assertPairAllowed(config);
  assertTrainingMemory(config, totalmem());
  return config;
}

/** The part of {@link trainRun} that runs while holding the lock. */
async function trainLocked(
  configIn: RunConfig | null,
  paths: RunPaths,
  options: TrainOptions,
): Promise<TrainSummary> {
  const resume = options.resume ?? false;
  const config = resume
    ? checkTrainable(resumeConfig(paths.config, configIn))
    : requireConfig(configIn);
  if (!resume) refuseExistingRun(paths);
  const selected = resume
    ? selectCheckpoint(paths.checkpoints, {
        command: 'train --resume',
        allowOlder: options.allowOlderCheckpoint ?? false,
      })
    : null;
  if (selected !== null && finished(selected, config, paths))
    return nothingToDo(selected, paths, options);
  const stray = strayTempFiles(paths.checkpoints);
  const trainer = await setupTrainer(config, paths, options);
  try {
    if (selected !== null) await trainer.resume(selected.checkpoint);
    const setAside = setAsideDamaged(selected?.skipped ?? []);
    // Written only once the data and model are set up, so a run that could not start leaves no config.json.
    writeJsonAtomic(paths.config, config);
    logStart(trainer, { resume, resumed: selected, strayTempFiles: stray, setAside });
    return await trainer.run();
  } finally {
    trainer.dispose();
  }
}

function requireConfig(config: RunConfig | null): RunConfig {
  if (config === null)
    throw inputError(
      'train: a config is required (--config <file|preset>) unless --resume continues a saved run.',
    );
  return config;
}

function refuseExistingRun(paths: RunPaths): void {
  const hasCheckpoints =
    existsSync(paths.checkpoints) &&
    readdirSync(paths.checkpoints).some((n) => n.endsWith('.safetensors'));
  if (existsSync(paths.config) || hasCheckpoints) {
    throw inputError(
      `train: ${paths.root} already holds a run (config.json or checkpoints). Pass --resume to continue it, or choose another --run-dir; nothing was overwritten.`,
    );
  }
}

/** A run whose newest checkpoint is past the last epoch and whose summary exists has nothing left to do. */
function finished(selected: SelectedCheckpoint, config: RunConfig, paths: RunPaths): boolean {
  return selected.checkpoint.meta.epoch >= config.train.epochs && existsSync(paths.trainSummary);
}

/** Says so and returns the saved summary, writing nothing (no log record, no summary, no config). */
function nothingToDo(
  selected: SelectedCheckpoint,
  paths: RunPaths,
  options: TrainOptions,
): TrainSummary {
  const { epoch, step } = selected.checkpoint.meta;
  (options.stderr ?? process.stderr).write(
    `vqkit train: ${paths.root} already finished all ${epoch} epoch(s) (step ${step}, ${selected.checkpoint.path}); nothing to do, nothing was written. ` +
      `To train longer: vqkit train --resume --run-dir ${paths.root} --config ${paths.config} --set train.epochs=${epoch + 1}\n`,
  );
  return readJson(paths.trainSummary, 'train --resume') as TrainSummary;
}

/** After a failed start in a run directory the lock created: removes it unless something was written. */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (the run wrote something worth keeping) or already gone
  }
}
