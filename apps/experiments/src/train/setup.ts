import * as tf from '@tensorflow/tfjs-core';
import type { SelectedCheckpoint } from '../checkpoint/select';
import { type MatchReport, matchReport } from '../config/matching';
import type { RunConfig } from '../config/schema';
import { ProgressDisplay, type ProgressStream } from '../progress';
import { RunLog, type RunPaths, softwareVersions } from '../run-dir';
import { AdamAdapter } from './adam-adapter';
import { ensureBackend } from './backend';
import { createModel } from './create-model';
import { createEvalLoader, createTrainLoader, splitSettings } from './data';
import { learningRateAt } from './lr-schedule';
import { Trainer, type TrainerParts } from './trainer';

/** Options of `trainRun` that setting up a trainer uses. */
export interface SetupOptions {
  /** `auto` | `webgpu` | `tensorflow` | `cpu`; used only if no backend is active yet. @default 'auto' */
  backend?: string;
  /** No progress output on stderr. @default false */
  quiet?: boolean;
  /** Aborting it stops the run after the current step, with a checkpoint (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Where progress goes. @default process.stderr */
  stderr?: ProgressStream;
  /** Called after every optimizer step (before any checkpoint of that step), e.g. to drive a UI. */
  onStep?: TrainerParts['onStep'];
}

/**
 * Builds a trainer for `config` in the run directory `paths`: the backend, every split's loader
 * (train, val, and test when configured), each checked to yield a batch before anything is
 * trained, the model and Adam. Writes nothing.
 *
 * @throws ExperimentsError (exit 2) naming the config key of a missing, empty or unreadable split.
 */
export async function setupTrainer(
  config: RunConfig,
  paths: RunPaths,
  options: SetupOptions,
): Promise<Trainer> {
  const backend = await ensureBackend(options.backend);
  const train = await createTrainLoader(config);
  const { data } = config;
  const val = await createEvalLoader(config, 'val', data.val, data.valImages ?? null, 'data.val');
  const test =
    data.test === undefined
      ? undefined
      : await createEvalLoader(config, 'test', data.test, config.eval.images, 'data.test');
  const model = createModel(config);
  const stepsPerEpoch = Math.min(
    config.train.stepsPerEpoch ?? train.batchesPerEpoch,
    train.batchesPerEpoch,
  );
  return new Trainer({
    config,
    paths,
    model,
    adam: new AdamAdapter(learningRateAt(config.train, { epoch: 0, step: 0 })),
    loaders: { train, val },
    dataSettings: splitSettings({ train, val, ...(test === undefined ? {} : { test }) }),
    stepsPerEpoch,
    backend,
    log: new RunLog(paths.log),
    progress: new ProgressDisplay(options.stderr ?? process.stderr, options.quiet ?? false),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
  });
}

/** What happened before training starts, for the log's `resume` and `start` records. */
export interface StartInfo {
  /** Whether this is `--resume` (then a `resume` record is logged even without a checkpoint). */
  resume: boolean;
  resumed: SelectedCheckpoint | null;
  /** Temp files of interrupted writes found in the checkpoint folder (ignored). */
  strayTempFiles: string[];
  /** Damaged checkpoints moved aside by a resume with `--allow-older-checkpoint`. */
  setAside: string[];
}

/** Logs the `resume` (when resuming) and `start` records and prints the run's one-line header. */
export function logStart(trainer: Trainer, info: StartInfo): void {
  const { config, log, backend, model, loaders, stepsPerEpoch, dataSettings, paths, progress } =
    trainer.parts;
  const { position } = trainer.state;
  const from = info.resumed?.checkpoint.path ?? null;
  if (info.resume) {
    const skipped = info.resumed?.damaged.map((d) => ({ path: d.path, problem: d.problem })) ?? [];
    log.write({
      type: 'resume',
      from,
      step: position.step,
      epoch: position.epoch,
      ignoredTempFiles: info.strayTempFiles,
      damaged: skipped,
      setAside: info.setAside,
    });
  }
  const match: MatchReport = matchReport(config);
  const params = model.countParams();
  log.write({
    type: 'start',
    run: config.name,
    architecture: config.architecture,
    backend,
    versions: softwareVersions(tf.version_core),
    config,
    matched: {
      ok: match.ok,
      allowUnmatched: match.allowUnmatched,
      failures: match.failures,
      bitGap: match.bitGap,
    },
    params,
    levels: model.levels,
    data: {
      trainItems: loaders.train.length,
      valItems: loaders.val.length,
      stepsPerEpoch,
      totalSteps: stepsPerEpoch * config.train.epochs,
      settings: dataSettings,
    },
    resumedFrom: from,
    pid: process.pid,
  });
  for (const d of info.resumed?.damaged ?? []) {
    progress.message(
      `note: damaged checkpoint ${d.path} (${d.problem}) was not used; resuming from ${from}`,
    );
  }
  if (
    config.train.stepsPerEpoch !== null &&
    config.train.stepsPerEpoch > loaders.train.batchesPerEpoch
  ) {
    progress.message(
      `note: train.stepsPerEpoch = ${config.train.stepsPerEpoch} exceeds one pass over the training data (${loaders.train.batchesPerEpoch} batches); an epoch is one pass.`,
    );
  }
  progress.message(
    `vqkit train: ${config.name} (${config.architecture}, ${params.toLocaleString('en-US')} params) on ${backend.name}; ` +
      `${config.train.epochs} epoch(s) × ${stepsPerEpoch} steps of batch ${config.train.batchSize}; run dir ${paths.root}`,
  );
}
