import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import type { ImageLoader, SkippedImage } from '@vqkit/data';
import { perplexity, psnrFromMse } from '@vqkit/metrics';
import { type VQVAE, vqvaeTrainStep } from '@vqkit/models';
import type { QuantizerEvent } from '@vqkit/quantizer';
import {
  bestCheckpoint,
  type CheckpointMeta,
  listCheckpoints,
  pruneCheckpoints,
  readCheckpoint,
  restoreModel,
  restoreOptimizer,
  saveCheckpoint,
  strayTempFiles,
} from '../checkpoint/store';
import { inputError, runtimeError } from '../config/errors';
import { assertPairAllowed } from '../config/matching';
import type { RunConfig } from '../config/schema';
import { dataRangeOf, runEvalPass } from '../eval/pass';
import { ProgressDisplay, type ProgressStream } from '../progress';
import { RunLog, runPaths, softwareVersions, writeJsonAtomic } from '../run-dir';
import { type BackendRecord, ensureBackend } from './backend';
import { createModel } from './create-model';
import { createEvalLoader, createTrainLoader } from './data';
import { levelCounts } from './level-counts';
import { resumeConfig } from './resume-config';

/** Options of {@link trainRun}. */
export interface TrainOptions {
  /** The run directory (created if missing). */
  runDir: string;
  /** `auto` | `webgpu` | `tensorflow` | `cpu`; used only if no backend is active yet. @default 'auto' */
  backend?: string;
  /** Continue from the run directory's latest checkpoint. @default false */
  resume?: boolean;
  /** No progress output on stderr. @default false */
  quiet?: boolean;
  /** Aborting it stops the run after the current step, with a checkpoint (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Where progress goes. @default process.stderr */
  stderr?: ProgressStream;
  /** Called after every optimizer step (before any checkpoint of that step), e.g. to drive a UI. */
  onStep?: (position: { step: number; epoch: number; stepInEpoch: number }) => void;
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

/** Device-side accumulators of one log interval (no host reads until the interval ends). */
interface Interval {
  steps: number;
  images: number;
  startedAt: number;
  lossSum: tf.Scalar | null;
  mseSum: tf.Scalar | null;
  /** Step number of the first non-finite loss in the interval, or −1. */
  firstBad: tf.Scalar | null;
  counts: tf.Tensor1D[] | null;
}

/**
 * Trains one model of the config's matched pair (eq. 3: loss = mean‖x − x̂‖² + β·Σ_levels commitment,
 * Adam with lr = learningRate·lrDecay^epoch), with a JSONL log, validation every epoch and atomic
 * checkpoints. With `resume`, it continues from the latest checkpoint exactly where it stopped (on
 * the cpu backend bit-for-bit like an uninterrupted run). Stops cleanly when `signal` aborts, and with
 * an error naming the step and the last good checkpoint when the loss becomes non-finite.
 *
 * @throws ExperimentsError: exit code 2 for bad input (config, unmatched pair, run dir in use),
 *   1 for failures while running (non-finite loss, unreadable checkpoint).
 */
export async function trainRun(
  configIn: RunConfig | null,
  options: TrainOptions,
): Promise<TrainSummary> {
  const paths = runPaths(options.runDir);
  const resume = options.resume ?? false;
  const config = resume ? resumeConfig(paths.config, configIn) : requireConfig(configIn);
  if (!resume && (existsSync(paths.config) || listCheckpoints(paths.checkpoints).length > 0)) {
    throw inputError(
      `train: ${paths.root} already holds a run (config.json or checkpoints). Pass --resume to continue it, or choose another --run-dir; nothing was overwritten.`,
    );
  }
  const match = assertPairAllowed(config);
  const backend = await ensureBackend(options.backend);
  const log = new RunLog(paths.log);
  const progress = new ProgressDisplay(options.stderr ?? process.stderr, options.quiet ?? false);

  const trainLoader = await createTrainLoader(config);
  const valLoader = await createEvalLoader(
    config,
    config.data.val,
    config.data.valImages ?? null,
    'data.val',
  );
  const model = createModel(config);
  const optimizer = tf.train.adam(config.train.learningRate);
  const dataRange = dataRangeOf(config.data.range);
  const stepsPerEpoch = Math.min(
    config.train.stepsPerEpoch ?? trainLoader.batchesPerEpoch,
    trainLoader.batchesPerEpoch,
  );
  const totalSteps = stepsPerEpoch * config.train.epochs;
  const params = model.countParams();
  // Written only once the data and model are set up, so a run that could not start leaves no config.json.
  writeJsonAtomic(paths.config, config);

  let position = { step: 0, epoch: 0, stepInEpoch: 0 };
  let bestValMse: number | null = null;
  let lastCheckpoint: string | null = null;
  let resumedFrom: string | null = null;
  const loggedSkips = new Set<string>();

  try {
    if (resume) {
      const stray = strayTempFiles(paths.checkpoints);
      const entries = listCheckpoints(paths.checkpoints);
      const latest = entries.at(-1);
      if (latest !== undefined) {
        const loaded = readCheckpoint(latest.path);
        await restoreModel(loaded, model);
        await restoreOptimizer(loaded, optimizer);
        trainLoader.setState(loaded.meta.data as ReturnType<ImageLoader['getState']>);
        position = {
          step: loaded.meta.step,
          epoch: loaded.meta.epoch,
          stepInEpoch: loaded.meta.stepInEpoch,
        };
        bestValMse = bestCheckpoint(entries)?.meta.valMse ?? null;
        lastCheckpoint = latest.path;
        resumedFrom = latest.path;
        for (const path of (loaded.meta.progress.loggedSkips as string[] | undefined) ?? [])
          loggedSkips.add(path);
      }
      log.write({
        type: 'resume',
        from: resumedFrom,
        step: position.step,
        epoch: position.epoch,
        ignoredTempFiles: stray,
      });
    }

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
        trainItems: trainLoader.length,
        valItems: valLoader.length,
        stepsPerEpoch,
        totalSteps,
      },
      resumedFrom,
      pid: process.pid,
    });
    if (
      config.train.stepsPerEpoch !== null &&
      config.train.stepsPerEpoch > trainLoader.batchesPerEpoch
    ) {
      progress.message(
        `note: train.stepsPerEpoch = ${config.train.stepsPerEpoch} exceeds one pass over the training data (${trainLoader.batchesPerEpoch} batches); an epoch is one pass.`,
      );
    }
    progress.message(
      `vqkit train: ${config.name} (${config.architecture}, ${params.toLocaleString('en-US')} params) on ${backend.name}; ` +
        `${config.train.epochs} epoch(s) × ${stepsPerEpoch} steps of batch ${config.train.batchSize}; run dir ${paths.root}`,
    );

    const logSkips = (split: 'train' | 'val', loader: ImageLoader) => {
      const fresh = loader
        .stats()
        .skipped.filter((s: SkippedImage) => !loggedSkips.has(`${split}:${s.path}`));
      for (const s of fresh) {
        loggedSkips.add(`${split}:${s.path}`);
        log.write({ type: 'skipped', split, path: s.path, kind: s.kind, reason: s.reason });
        progress.message(`skipped ${split} image ${s.path}: ${s.reason}`);
      }
    };

    const writeCheckpoint = async (reason: string, valMse: number | null): Promise<string> => {
      const meta: Omit<CheckpointMeta, 'format' | 'savedAt'> = {
        ...position,
        run: config.name,
        architecture: config.architecture,
        valMse,
        // The rate of the next step: an epoch-end checkpoint (position.epoch already advanced)
        // resumes into the next epoch, whose rate is one more decay step down.
        learningRate: lrFor(position.epoch),
        data: trainLoader.getState(),
        reason,
        progress: { bestValMse, loggedSkips: [...loggedSkips] },
      };
      const path = await saveCheckpoint(paths.checkpoints, model, optimizer, meta);
      lastCheckpoint = path;
      const removed = pruneCheckpoints(paths.checkpoints, config.train.keepLast);
      log.write({
        type: 'checkpoint',
        step: position.step,
        epoch: position.epoch,
        reason,
        path,
        valMse,
        removed,
      });
      return path;
    };

    const lrFor = (epoch: number) => config.train.learningRate * config.train.lrDecay ** epoch;
    let lr = config.train.learningRate;
    const setLr = (epoch: number) => {
      lr = lrFor(epoch);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
    };

    let interval = newInterval();
    let lastLoss = Number.NaN;
    let trainStarted = performance.now();
    let imagesThisRun = 0;
    let stepsThisRun = 0;

    /** Reads the interval's accumulators (the only host reads of the training path), logs, shows progress. */
    const flush = async (): Promise<void> => {
      if (interval.steps === 0) return;
      const [lossSum, mseSum, firstBad] = await Promise.all([
        interval.lossSum!.data(),
        interval.mseSum!.data(),
        interval.firstBad!.data(),
      ]);
      const counts = await Promise.all(interval.counts!.map((c) => c.data()));
      const events: { level: string; events: QuantizerEvent[] }[] = [];
      for (const { name, quantizer } of model.quantizers)
        events.push({ level: name, events: await quantizer.flushEvents() });
      const seconds = (performance.now() - interval.startedAt) / 1000;
      const steps = interval.steps;
      const images = interval.images;
      disposeInterval(interval);
      interval = newInterval();
      if (firstBad[0]! >= 0) {
        throw nonFiniteError(firstBad[0]!, lastCheckpoint, log);
      }
      for (const { level, events: list } of events) {
        for (const e of list) {
          if (e.kind === 'reset')
            log.write({
              type: 'reset',
              level,
              step: e.step + 1,
              codesReset: e.codesReset,
              policy: e.policy,
            });
          else if (e.kind === 'init')
            log.write({ type: 'init', level, step: e.step + 1, policy: e.policy });
          else
            log.write({ type: 'non-finite-input', level, step: e.step + 1, training: e.training });
        }
      }
      const loss = lossSum[0]! / steps;
      const mse = mseSum[0]! / steps;
      lastLoss = loss;
      const ppl: Record<string, number> = {};
      model.levels.forEach((l, i) => {
        ppl[l.name] = perplexity(Array.from(counts[i]!));
      });
      const imagesPerSecond = images / Math.max(seconds, 1e-9);
      const elapsed = (performance.now() - trainStarted) / 1000;
      const etaSeconds = ((totalSteps - position.step) * elapsed) / Math.max(1, stepsThisRun);
      const psnr = psnrFromMse(mse, dataRange);
      log.write({
        type: 'step',
        step: position.step,
        epoch: position.epoch,
        loss,
        mse,
        psnr,
        perplexity: ppl,
        lr,
        imagesPerSecond,
      });
      progress.update({
        step: position.step,
        totalSteps,
        epoch: position.epoch,
        epochs: config.train.epochs,
        loss,
        psnr,
        perplexity: ppl,
        imagesPerSecond,
        etaSeconds,
      });
    };

    const validate = async (): Promise<number> => {
      const started = performance.now();
      const pass = await runEvalPass(model, valLoader);
      const mse = pass.mse.reduce((a, b) => a + b, 0) / Math.max(1, pass.images);
      if (!Number.isFinite(mse)) {
        log.write({
          type: 'non-finite-validation',
          step: position.step,
          epoch: position.epoch,
          lastCheckpoint,
        });
        throw runtimeError(
          `train: the validation MSE of epoch ${position.epoch + 1} (step ${position.step}) is non-finite; training stopped and nothing was overwritten. ` +
            `${lastCheckpoint === null ? 'No checkpoint had been written yet.' : `The last good checkpoint is ${lastCheckpoint}.`} Check data.val for NaN/Inf pixels, or lower train.learningRate in a new run (a resumed run keeps its learning rate).`,
        );
      }
      const psnrs = pass.mse.map((m) => psnrFromMse(m, dataRange)).filter(Number.isFinite);
      const psnr = psnrs.reduce((a, b) => a + b, 0) / Math.max(1, psnrs.length);
      const ppl: Record<string, number> = {};
      model.levels.forEach((l, i) => {
        ppl[l.name] = perplexity(Array.from(pass.counts[i]!));
      });
      logSkips('val', valLoader);
      log.write({
        type: 'validation',
        step: position.step,
        epoch: position.epoch,
        images: pass.images,
        mse,
        psnr,
        perplexity: ppl,
        seconds: (performance.now() - started) / 1000,
      });
      progress.message(
        `epoch ${position.epoch + 1}/${config.train.epochs}: val MSE ${mse.toExponential(3)}, PSNR ${psnr.toFixed(2)} dB, ` +
          Object.entries(ppl)
            .map(([k, v]) => `ppl[${k}] ${v.toFixed(1)}`)
            .join(' '),
      );
      return mse;
    };

    let status: TrainSummary['status'] = 'completed';
    trainStarted = performance.now();
    outer: for (let epoch = position.epoch; epoch < config.train.epochs; epoch++) {
      setLr(epoch);
      // img/s of the first interval of an epoch must not include the previous validation and checkpoint.
      if (interval.steps === 0) interval.startedAt = performance.now();
      if (position.stepInEpoch < stepsPerEpoch) {
        for await (const batch of trainLoader.epoch(epoch)) {
          const x = tf.tensor4d(batch.images, batch.shape, 'float32');
          trainStep(model, optimizer, x, position.step + 1, interval);
          x.dispose();
          position = { step: position.step + 1, epoch, stepInEpoch: position.stepInEpoch + 1 };
          interval.images += batch.shape[0];
          imagesThisRun += batch.shape[0];
          stepsThisRun++;
          options.onStep?.(position);
          const endOfEpoch = position.stepInEpoch >= stepsPerEpoch;
          const stopping = options.signal?.aborted === true;
          const checkpointDue =
            config.train.checkpointEvery > 0 &&
            position.step % config.train.checkpointEvery === 0 &&
            !endOfEpoch;
          if (
            position.step % config.train.logEvery === 0 ||
            endOfEpoch ||
            stopping ||
            checkpointDue
          )
            await flush();
          if (endOfEpoch) break;
          if (checkpointDue) await writeCheckpoint('interval', null);
          if (stopping) {
            logSkips('train', trainLoader);
            await writeCheckpoint('signal', null);
            log.write({
              type: 'stop',
              reason: String(options.signal?.reason ?? 'aborted'),
              step: position.step,
              checkpoint: lastCheckpoint,
            });
            status = 'interrupted';
            break outer;
          }
        }
      }
      logSkips('train', trainLoader);
      const valMse = await validate();
      if (bestValMse === null || valMse <= bestValMse) bestValMse = valMse;
      log.write({
        type: 'epoch',
        epoch,
        step: position.step,
        lr,
        trainLoss: lastLoss,
        valMse,
        skippedImages: loggedSkips.size,
      });
      position = { step: position.step, epoch: epoch + 1, stepInEpoch: 0 };
      await writeCheckpoint('epoch', valMse);
      if (options.signal?.aborted) {
        log.write({
          type: 'stop',
          reason: String(options.signal.reason ?? 'aborted'),
          step: position.step,
          checkpoint: lastCheckpoint,
        });
        status = epoch + 1 >= config.train.epochs ? 'completed' : 'interrupted';
        break;
      }
    }
    progress.end();

    const seconds = (performance.now() - trainStarted) / 1000;
    const best = bestCheckpoint(listCheckpoints(paths.checkpoints));
    const summary: TrainSummary = {
      run: config.name,
      architecture: config.architecture,
      status,
      steps: position.step,
      epochs: position.epoch,
      params,
      finalLoss: lastLoss,
      bestValMse,
      lastCheckpoint,
      bestCheckpoint: best?.path ?? null,
      seconds,
      imagesPerSecond: imagesThisRun / Math.max(seconds, 1e-9),
      backend,
      finishedAt: new Date().toISOString(),
    };
    if (status === 'completed') writeJsonAtomic(paths.trainSummary, summary);
    log.write({ type: 'end', ...summary });
    return summary;
  } finally {
    progress.end();
    model.dispose();
    optimizer.dispose();
  }
}

function newInterval(): Interval {
  return {
    steps: 0,
    images: 0,
    startedAt: performance.now(),
    lossSum: null,
    mseSum: null,
    firstBad: null,
    counts: null,
  };
}

function disposeInterval(i: Interval): void {
  const list: tf.Tensor[] = [...(i.counts ?? [])];
  for (const t of [i.lossSum, i.mseSum, i.firstBad]) if (t !== null) list.push(t);
  tf.dispose(list);
}

/**
 * One optimisation step (eq. 3, @vqkit/models' `vqvaeTrainStep`): loss = mean‖x − x̂‖² +
 * Σ_levels β·mean‖z_e − sg(z_q)‖², gradients of every trainable variable, Adam update; the loss,
 * MSE and per-level counts are added to the interval's device accumulators (no host read).
 */
function trainStep(
  model: VQVAE,
  optimizer: tf.Optimizer,
  x: tf.Tensor4D,
  stepNumber: number,
  interval: Interval,
): void {
  const result = vqvaeTrainStep(model, optimizer, x);
  const value = result.loss.total;
  const mse = result.loss.reconstruction;
  const next = tf.tidy(() => {
    const counts = levelCounts(model, result.counts);
    const bad = tf.logicalNot(tf.isFinite(value));
    const prevBad = interval.firstBad ?? tf.scalar(-1);
    const firstBad = tf.where(
      tf.logicalAnd(tf.less(prevBad, 0), bad),
      tf.scalar(stepNumber),
      prevBad,
    ) as tf.Scalar;
    return {
      lossSum: (interval.lossSum ? tf.add(interval.lossSum, value) : tf.clone(value)) as tf.Scalar,
      mseSum: (interval.mseSum ? tf.add(interval.mseSum, mse) : tf.clone(mse)) as tf.Scalar,
      firstBad,
      counts: counts.map(
        (c, i) => (interval.counts ? tf.add(interval.counts[i]!, c) : tf.clone(c)) as tf.Tensor1D,
      ),
    };
  });
  disposeInterval(interval);
  tf.dispose(result);
  interval.lossSum = next.lossSum;
  interval.mseSum = next.mseSum;
  interval.firstBad = next.firstBad;
  interval.counts = next.counts;
  interval.steps++;
}

function nonFiniteError(step: number, lastCheckpoint: string | null, log: RunLog) {
  const where =
    lastCheckpoint === null
      ? 'No checkpoint had been written yet, so there is nothing to resume from'
      : `The last good checkpoint is ${lastCheckpoint} (kept unchanged; resume with --resume after fixing the cause)`;
  const message =
    `train: the loss became non-finite (NaN or ±Infinity) at step ${step}; training stopped and nothing was overwritten. ${where}. ` +
    'Check the input images for NaN/Inf values, or lower train.learningRate in a new run (a resumed run keeps its learning rate).';
  log.write({ type: 'non-finite-loss', step, lastCheckpoint });
  return runtimeError(message);
}

function requireConfig(config: RunConfig | null): RunConfig {
  if (config === null)
    throw inputError(
      'train: a config is required (--config <file|preset>) unless --resume continues a saved run.',
    );
  return config;
}
