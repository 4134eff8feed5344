import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { type SafetensorsTensor, tensorProblems } from '@vqkit/backbones';
import type { DataSettings, ImageBatch, ImageLoader } from '@vqkit/data';
import { perplexity, psnrFromMse } from '@vqkit/metrics';
import { encodeModelState, type VQVAE, vqvaeTrainStep } from '@vqkit/models';
import { checkpointPath, type LoadedCheckpoint } from '../checkpoint/file';
import { CHECKPOINT_FORMAT, type CheckpointMeta, type TrainPosition } from '../checkpoint/meta';
import { restoreModel, restoreOptimizer } from '../checkpoint/restore';
import {
  bestCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
  saveCheckpoint,
} from '../checkpoint/store';
import { inputError, runtimeError } from '../config/errors';
import type { RunConfig } from '../config/schema';
import { dataRangeOf, runEvalPass } from '../eval/pass';
import { abortReason, yieldToEventLoop } from '../interrupt';
import type { ProgressDisplay } from '../progress';
import { type RunLog, type RunPaths, writeJsonAtomic } from '../run-dir';
import type { AdamAdapter } from './adam-adapter';
import type { BackendRecord } from './backend';
import type { Split } from './data';
import { IntervalAccumulator, type IntervalReading } from './interval';
import { levelCounts } from './level-counts';
import { learningRateAt } from './lr-schedule';
import { finiteProbe, nonFiniteError } from './non-finite';

/** What a trainer works with, built by `setupTrainer` (or by a test). */
export interface TrainerParts {
  config: RunConfig;
  paths: RunPaths;
  model: VQVAE;
  adam: AdamAdapter;
  loaders: { train: ImageLoader; val: ImageLoader };
  /** Each split's `loader.settings` (recorded in checkpoints; a resume must see the same). */
  dataSettings: Partial<Record<Split, DataSettings>>;
  /** Steps per epoch: `train.stepsPerEpoch`, at most one pass over the training data. */
  stepsPerEpoch: number;
  backend: BackendRecord;
  log: RunLog;
  progress: ProgressDisplay;
  /** Aborting it stops the run after the current step (or validation batch), with a checkpoint. */
  signal?: AbortSignal;
  /** Called after every optimizer step, before any checkpoint of that step. */
  onStep?: (position: TrainPosition) => void;
}

/** The trainer's mutable state: exactly what a checkpoint restores. */
export interface TrainerState {
  position: TrainPosition;
  bestValMse: number | null;
  lastCheckpoint: string | null;
  /** Mean training loss of the last log interval (NaN before the first). */
  lastLoss: number;
  /** `<split>:<path>` of every skipped image already logged. */
  loggedSkips: Set<string>;
}

/** What `trainRun` returns and writes to `<runDir>/train-summary.json` when training finished. */
export interface TrainSummary {
  run: string;
  architecture: 'single' | 'hierarchical';
  /** `'completed'` after the last epoch, `'interrupted'` when the signal stopped it (a checkpoint was written). */
  status: 'completed' | 'interrupted';
  steps: number;
  epochs: number;
  params: number;
  /** Mean training loss over the last log interval. */
  finalLoss: number;
  bestValMse: number | null;
  lastCheckpoint: string | null;
  bestCheckpoint: string | null;
  /** Wall-clock seconds of this invocation's training (excluding setup). */
  seconds: number;
  imagesPerSecond: number;
  backend: BackendRecord;
  finishedAt: string;
}

/**
 * Trains one model of a matched pair with named steps — {@link resume}, {@link step},
 * {@link flush}, {@link validate}, {@link checkpoint}, {@link stop} — driven by {@link run}:
 * eq. 3 with Adam at lr_n = learningRate · lrDecay^n (n per `train.lrDecayEvery`), a JSONL log
 * every `logEvery` steps, validation every epoch, atomic checkpoints that are never written with
 * a non-finite value. Every host read happens at a flush or a checkpoint.
 */
export class Trainer {
  readonly state: TrainerState;
  private readonly interval = new IntervalAccumulator();
  private readonly dataRange: number;
  private started = performance.now();
  private imagesThisRun = 0;

  constructor(
    readonly parts: TrainerParts,
    state: Partial<TrainerState> = {},
  ) {
    this.state = {
      position: { step: 0, epoch: 0, stepInEpoch: 0 },
      bestValMse: null,
      lastCheckpoint: null,
      lastLoss: Number.NaN,
      loggedSkips: new Set(),
      ...state,
    };
    this.dataRange = dataRangeOf(parts.config.data.range);
  }

  /**
   * Continues from a verified checkpoint: model weights and quantizer states, Adam (moments,
   * iteration, β^t products, learning rate), the loader's data-order position and the log state,
   * so the run goes on bit for bit (cpu) as if never stopped.
   * @throws ExperimentsError (exit 2) when the training data would differ from the checkpoint's.
   */
  async resume(checkpoint: LoadedCheckpoint): Promise<void> {
    const { meta } = checkpoint;
    const saved = JSON.stringify(meta.dataSettings);
    if (saved !== JSON.stringify(this.parts.dataSettings.train)) {
      throw inputError(
        `train --resume: the training data settings differ from those of ${checkpoint.path} (${saved} there, ${JSON.stringify(this.parts.dataSettings.train)} now): resuming would change what the run sees half-way. Start a new run dir.`,
      );
    }
    await restoreModel(checkpoint, this.parts.model);
    await restoreOptimizer(checkpoint, this.parts.model, this.parts.adam);
    this.parts.loaders.train.setState(meta.data);
    this.state.position = { step: meta.step, epoch: meta.epoch, stepInEpoch: meta.stepInEpoch };
    this.state.bestValMse = meta.progress.bestValMse;
    this.state.lastCheckpoint = checkpoint.path;
    for (const path of meta.progress.loggedSkips) this.state.loggedSkips.add(path);
  }

  /** Trains from the current position to the last epoch (or until the signal), then sums up. */
  async run(): Promise<TrainSummary> {
    const { epochs } = this.parts.config.train;
    this.started = performance.now();
    for (let epoch = this.state.position.epoch; epoch < epochs; epoch++) {
      if (await this.trainEpoch(epoch)) return this.stop();
      const valMse = await this.validate();
      if (valMse === null) return this.stop();
      await this.endEpoch(epoch, valMse);
      if (this.stopRequested() && epoch + 1 < epochs) return this.stop();
    }
    return this.finish();
  }

  /**
   * The steps of one epoch from the current position, with log flushes and interval checkpoints
   * as due; yields to the event loop after every step so signal handlers run.
   * @returns true when the signal asked to stop (after the current step).
   */
  async trainEpoch(epoch: number): Promise<boolean> {
    const { loaders, stepsPerEpoch } = this.parts;
    if (this.state.position.stepInEpoch >= stepsPerEpoch) return false;
    this.interval.restartClock();
    for await (const batch of loaders.train.epoch(epoch)) {
      this.step(batch, epoch);
      const due = this.due();
      if (due.flush) await this.flush();
      if (due.endOfEpoch) break;
      if (due.checkpoint) await this.checkpoint('interval', null);
      if (due.stop) return true;
      await yieldToEventLoop();
    }
    this.logSkips('train', loaders.train);
    return false;
  }

  /**
   * One optimisation step of eq. 3 on `batch` (`vqvaeTrainStep`: forward, gradients of every
   * trainable variable, Adam update at this step's rate); the loss, MSE and per-level counts go
   * to the interval's device accumulators (no host read).
   */
  step(batch: ImageBatch, epoch: number): void {
    const { model, adam, config } = this.parts;
    const { step, stepInEpoch } = this.state.position;
    adam.learningRate = learningRateAt(config.train, { epoch, step });
    const x = tf.tensor4d(batch.images, batch.shape, 'float32');
    const result = vqvaeTrainStep(model, adam.optimizer, x);
    this.interval.add(result.loss, levelCounts(model, result.counts), step + 1, batch.shape[0]);
    tf.dispose([x, result]);
    this.state.position = { step: step + 1, epoch, stepInEpoch: stepInEpoch + 1 };
    this.imagesThisRun += batch.shape[0];
    this.parts.onStep?.(this.state.position);
  }

  /** What the step just taken makes due. */
  private due() {
    const { step, stepInEpoch } = this.state.position;
    const { logEvery, checkpointEvery } = this.parts.config.train;
    const endOfEpoch = stepInEpoch >= this.parts.stepsPerEpoch;
    const stop = this.stopRequested();
    const checkpoint = checkpointEvery > 0 && step % checkpointEvery === 0 && !endOfEpoch;
    const flush = step % logEvery === 0 || endOfEpoch || stop || checkpoint;
    return { endOfEpoch, stop, checkpoint, flush };
  }

  private stopRequested(): boolean {
    return this.parts.signal?.aborted === true;
  }

  /**
   * Reads the interval's accumulators with a finiteness probe of every weight and Adam moment (one
   * round trip), logs the quantizers' events and a step record, and shows progress.
   * @throws ExperimentsError (exit 1) when the loss or the state became non-finite.
   */
  async flush(): Promise<void> {
    const { model, adam } = this.parts;
    const probe = finiteProbe([...Object.values(model.trainableVariables), ...adam.moments()]);
    const reading = await this.interval.read(probe);
    if (reading === null) return;
    await this.logQuantizerEvents();
    this.assertFinite(reading);
    this.state.lastLoss = reading.loss;
    this.logStep(reading);
  }

  private assertFinite(reading: IntervalReading): void {
    const { step } = this.state.position;
    const { log } = this.parts;
    const last = this.state.lastCheckpoint;
    if (reading.firstBadStep !== null) {
      log.write({ type: 'non-finite-loss', step: reading.firstBadStep, lastCheckpoint: last });
      throw nonFiniteError(
        `the loss became non-finite (NaN or ±Infinity) at step ${reading.firstBadStep}`,
        last,
      );
    }
    if (!reading.probeFinite) {
      const from = step - reading.steps + 1;
      log.write({ type: 'non-finite-state', from, to: step, lastCheckpoint: last });
      const when = from === step ? `at step ${step}` : `between step ${from} and step ${step}`;
      throw nonFiniteError(
        `the weights or Adam's moments became non-finite (NaN or ±Infinity) ${when}, while the loss stayed finite (exploding gradients)`,
        last,
      );
    }
  }

  private async logQuantizerEvents(): Promise<void> {
    for (const { name: level, quantizer } of this.parts.model.quantizers) {
      for (const e of await quantizer.flushEvents()) {
        const step = e.step + 1;
        if (e.kind === 'reset') {
          const { codesReset, policy } = e;
          this.parts.log.write({ type: 'reset', level, step, codesReset, policy });
        } else if (e.kind === 'init') {
          this.parts.log.write({ type: 'init', level, step, policy: e.policy });
        } else {
          this.parts.log.write({ type: 'non-finite-input', level, step, training: e.training });
        }
      }
    }
  }

  /** Per-level perplexity of counts in `model.levels` order. */
  private perplexities(counts: readonly ArrayLike<number>[]): Record<string, number> {
    const ppl: Record<string, number> = {};
    for (const [i, l] of this.parts.model.levels.entries()) {
      ppl[l.name] = perplexity(Array.from(counts[i] ?? []));
    }
    return ppl;
  }

  private logStep(r: IntervalReading): void {
    const { config, progress, adam } = this.parts;
    const { step, epoch } = this.state.position;
    const ppl = this.perplexities(r.counts);
    const psnr = psnrFromMse(r.mse, this.dataRange);
    const imagesPerSecond = r.images / Math.max(r.seconds, 1e-9);
    const lr = adam.learningRate;
    this.parts.log.write({
      type: 'step',
      step,
      epoch,
      loss: r.loss,
      mse: r.mse,
      psnr,
      perplexity: ppl,
      lr,
      imagesPerSecond,
    });
    const elapsed = (performance.now() - this.started) / 1000;
    const totalSteps = this.parts.stepsPerEpoch * config.train.epochs;
    const done = Math.max(1, this.imagesThisRun / config.train.batchSize);
    progress.update({
      step,
      totalSteps,
      epoch,
      epochs: config.train.epochs,
      loss: r.loss,
      psnr,
      perplexity: ppl,
      imagesPerSecond,
      etaSeconds: ((totalSteps - step) * elapsed) / done,
    });
  }

  /**
   * Runs the model without codebook updates over the validation loader and logs MSE, PSNR and
   * per-level perplexity.
   * @returns the mean MSE, or null when the signal stopped the pass.
   * @throws ExperimentsError (exit 1) when the validation MSE is non-finite.
   */
  async validate(): Promise<number | null> {
    const { model, loaders, log, progress, config, signal } = this.parts;
    const { step, epoch } = this.state.position;
    const started = performance.now();
    const pass = await runEvalPass(model, loaders.val, signal === undefined ? {} : { signal });
    if (pass.interrupted) return null;
    const mse = pass.mse.reduce((a, b) => a + b, 0) / Math.max(1, pass.images);
    if (!Number.isFinite(mse)) {
      log.write({
        type: 'non-finite-validation',
        step,
        epoch,
        lastCheckpoint: this.state.lastCheckpoint,
      });
      throw runtimeError(
        `train: the validation MSE of epoch ${epoch + 1} (step ${step}) is non-finite; training stopped and nothing was overwritten. ` +
          `${this.state.lastCheckpoint === null ? 'No checkpoint had been written yet.' : `The last good checkpoint is ${this.state.lastCheckpoint}.`} Check data.val for NaN/Inf pixels, or lower train.learningRate in a new run (a resumed run keeps its learning rate).`,
      );
    }
    const psnrs = pass.mse.map((m) => psnrFromMse(m, this.dataRange)).filter(Number.isFinite);
    const psnr = psnrs.reduce((a, b) => a + b, 0) / Math.max(1, psnrs.length);
    const ppl = this.perplexities(pass.counts);
    this.logSkips('val', loaders.val);
    const seconds = (performance.now() - started) / 1000;
    log.write({
      type: 'validation',
      step,
      epoch,
      images: pass.images,
      mse,
      psnr,
      perplexity: ppl,
      seconds,
    });
    progress.message(
      `epoch ${epoch + 1}/${config.train.epochs}: val MSE ${mse.toExponential(3)}, PSNR ${psnr.toFixed(2)} dB, ` +
        Object.entries(ppl)
          .map(([k, v]) => `ppl[${k}] ${v.toFixed(1)}`)
          .join(' '),
    );
    return mse;
  }

  /** After an epoch's validation: best MSE, epoch record, position at the next epoch, epoch checkpoint. */
  async endEpoch(epoch: number, valMse: number): Promise<void> {
    const { step } = this.state.position;
    if (this.state.bestValMse === null || valMse <= this.state.bestValMse) {
      this.state.bestValMse = valMse;
    }
    this.parts.log.write({
      type: 'epoch',
      epoch,
      step,
      lr: this.parts.adam.learningRate,
      trainLoss: this.state.lastLoss,
      valMse,
      skippedImages: this.state.loggedSkips.size,
    });
    this.state.position = { step, epoch: epoch + 1, stepInEpoch: 0 };
    await this.checkpoint('epoch', valMse);
  }

  /**
   * Writes a checkpoint of the current state: model weights and quantizer states, Adam, the
   * loader's position and the log state. Every tensor is checked on the host first; a
   * non-finite value stops the run and nothing is written, so every checkpoint on disk is good.
   * Then prunes old checkpoints (`keepLast`, and the best). Returns its path.
   */
  async checkpoint(reason: CheckpointMeta['reason'], valMse: number | null): Promise<string> {
    const { model, adam, paths, config, log } = this.parts;
    const { tensors, quantizers } = await encodeModelState(model);
    const optimizer = await adam.encode();
    Object.assign(tensors, optimizer.tensors);
    this.assertFiniteTensors(tensors);
    const meta = this.checkpointMeta(reason, valMse, quantizers, optimizer.meta);
    const path = saveCheckpoint(paths.checkpoints, tensors, meta);
    this.state.lastCheckpoint = path;
    const removed = pruneCheckpoints(paths.checkpoints, config.train.keepLast);
    const { step, epoch } = this.state.position;
    log.write({ type: 'checkpoint', step, epoch, reason, path, valMse, removed });
    return path;
  }

  private assertFiniteTensors(tensors: Readonly<Record<string, SafetensorsTensor>>): void {
    const problems = Object.entries(tensors).flatMap(([n, t]) =>
      tensorProblems(n, t, { finite: true }),
    );
    if (problems.length === 0) return;
    const { step } = this.state.position;
    this.parts.log.write({
      type: 'non-finite-checkpoint',
      step,
      problems,
      lastCheckpoint: this.state.lastCheckpoint,
    });
    throw nonFiniteError(
      `the state to checkpoint at step ${step} is non-finite (NaN or ±Infinity): ${problems.slice(0, 3).join('; ')}; that checkpoint was not written`,
      this.state.lastCheckpoint,
    );
  }

  private checkpointMeta(
    reason: CheckpointMeta['reason'],
    valMse: number | null,
    quantizers: unknown,
    optimizer: CheckpointMeta['optimizer'],
  ): CheckpointMeta {
    const { config, loaders, stepsPerEpoch, dataSettings } = this.parts;
    const { position, bestValMse, loggedSkips } = this.state;
    // The rate of the next step: past the epoch's last step (stopped before validation) it is the next epoch's.
    const nextEpoch = position.epoch + (position.stepInEpoch >= stepsPerEpoch ? 1 : 0);
    return {
      format: CHECKPOINT_FORMAT,
      run: config.name,
      architecture: config.architecture,
      ...position,
      valMse,
      learningRate: learningRateAt(config.train, { epoch: nextEpoch, step: position.step }),
      data: loaders.train.getState(),
      dataSettings: (dataSettings.train ?? {}) as Record<string, unknown>,
      reason,
      progress: { bestValMse, loggedSkips: [...loggedSkips] },
      optimizer,
      quantizers,
      savedAt: new Date().toISOString(),
    };
  }

  /**
   * Stops after a signal: a `signal` checkpoint of the current position (unless the last
   * checkpoint already holds it), a `stop` record, and an `interrupted` summary (no
   * train-summary.json, so the run still counts as unfinished).
   */
  async stop(): Promise<TrainSummary> {
    const { log, paths, signal } = this.parts;
    this.logSkips('train', this.parts.loaders.train);
    const { step } = this.state.position;
    if (this.state.lastCheckpoint !== checkpointPath(paths.checkpoints, step)) {
      await this.checkpoint('signal', null);
    }
    log.write({
      type: 'stop',
      reason: abortReason(signal),
      step,
      checkpoint: this.state.lastCheckpoint,
    });
    return this.summary('interrupted');
  }

  /** After the last epoch: train-summary.json and an `end` record. */
  async finish(): Promise<TrainSummary> {
    const summary = this.summary('completed');
    writeJsonAtomic(this.parts.paths.trainSummary, summary);
    return summary;
  }

  /** The summary of this invocation; logs an `end` record. */
  summary(status: TrainSummary['status']): TrainSummary {
    const { config, model, backend, progress, log } = this.parts;
    progress.end();
    const seconds = (performance.now() - this.started) / 1000;
    const summary: TrainSummary = {
      run: config.name,
      architecture: config.architecture,
      status,
      steps: this.state.position.step,
      epochs: this.state.position.epoch,
      params: model.countParams(),
      finalLoss: this.state.lastLoss,
      bestValMse: this.state.bestValMse,
      lastCheckpoint: this.state.lastCheckpoint,
      bestCheckpoint: bestCheckpoint(listCheckpoints(this.parts.paths.checkpoints))?.path ?? null,
      seconds,
      imagesPerSecond: this.imagesThisRun / Math.max(seconds, 1e-9),
      backend,
      finishedAt: new Date().toISOString(),
    };
    log.write({ type: 'end', ...summary });
    return summary;
  }

  /** Logs (once each) the images a loader skipped, with the reason. */
  logSkips(split: Split, loader: ImageLoader): void {
    for (const s of loader.stats().skipped) {
      const key = `${split}:${s.path}`;
      if (this.state.loggedSkips.has(key)) continue;
      this.state.loggedSkips.add(key);
      this.parts.log.write({
        type: 'skipped',
        split,
        path: s.path,
        kind: s.kind,
        reason: s.reason,
      });
      this.parts.progress.message(`skipped ${split} image ${s.path}: ${s.reason}`);
    }
  }

  /** Frees the model, the optimizer and the accumulators. */
  dispose(): void {
    this.interval.dispose();
    this.parts.model.dispose();
    this.parts.adam.dispose();
  }
}
