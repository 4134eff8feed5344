import { performance } from 'node:perf_hooks';
import type { ImageLoader } from '@vqkit/data';
import type { VQVAE } from '@vqkit/models';
import { inputError, runtimeError } from '../config/errors';
import type { RunConfig } from '../config/schema';
import { abortReason } from '../interrupt';
import type { ProgressDisplay } from '../progress';
import type { BackendRecord } from '../train/backend';
import { dataRangeOf, type EvalPassResult, runEvalPass } from './pass';
import { METRICS_SCHEMA, type PassMetrics, passMetrics, type RunMetrics } from './run-metrics';
import { ssimOnUnitRange, writeSamples } from './samples';

/** A pass over an evaluation split and the metrics it gives. */
export interface MeasuredModel {
  result: EvalPassResult;
  metrics: PassMetrics;
  params: number;
}

/**
 * Runs a restored model over `loader` without codebook updates (SSIM and `eval.samples` samples
 * included) and computes the pass's metrics.
 * @throws ExperimentsError: exit 1 when `signal` stopped the pass (nothing is written then); exit 2
 *   when no image of the split was readable.
 */
export async function measureModel(
  config: RunConfig,
  model: VQVAE,
  loader: ImageLoader,
  progress: ProgressDisplay,
  signal: AbortSignal | undefined,
): Promise<MeasuredModel> {
  // SSIM's usual 11×11 Gaussian window; crops smaller than that use the largest odd window that fits.
  const windowSize = Math.min(11, loader.size % 2 === 1 ? loader.size : loader.size - 1);
  const started = performance.now();
  const result = await runEvalPass(model, loader, {
    ssim: (x, y) => ssimOnUnitRange(x, y, config.data.range, windowSize),
    samples: config.eval.samples,
    ...(signal === undefined ? {} : { signal }),
    onBatch: (done) => progress.update(evalProgress(done, loader.length, started)),
  });
  progress.end();
  if (result.interrupted) {
    throw runtimeError(
      `eval: stopped by ${abortReason(signal)} after ${result.images} of ${loader.length} images; nothing was written. Rerun vqkit eval to evaluate.`,
    );
  }
  if (result.images === 0) {
    throw inputError(
      `eval: no readable image in the evaluated split; every file was skipped. Check the folder.`,
    );
  }
  const metrics = passMetrics(config, model, result, dataRangeOf(config.data.range));
  return { result, metrics, params: model.countParams() };
}

/** What {@link measuredMetrics} fills in: `metrics.json` up to what was evaluated and when. */
export type MeasuredMetrics = Omit<
  RunMetrics,
  'steps' | 'checkpoint' | 'data' | 'modelFile' | 'seconds' | 'finishedAt'
>;

/**
 * The head of `metrics.json` that every evaluation (a run's checkpoint, a model file) writes
 * alike, in the file's key order: the run, its config and parameter count, the pass's metrics,
 * the sample pairs (PNGs written into `samplesDir`, paths relative to `root`) and the backend.
 * The caller adds what was evaluated (`steps`, `checkpoint`, `data`, …) and the timing.
 */
export async function measuredMetrics(
  config: RunConfig,
  pass: MeasuredModel,
  backend: BackendRecord,
  samplesDir: string,
  root: string,
): Promise<MeasuredMetrics> {
  const { samples, size } = pass.result;
  return {
    schema: METRICS_SCHEMA,
    run: config.name,
    architecture: config.architecture,
    tags: config.tags,
    config,
    params: pass.params,
    dataRange: dataRangeOf(config.data.range),
    ...pass.metrics,
    samples: await writeSamples(samplesDir, root, samples, size, config.data.range),
    backend,
  };
}

function evalProgress(done: number, total: number, started: number) {
  return {
    step: done,
    totalSteps: total,
    epoch: 0,
    epochs: 1,
    loss: Number.NaN,
    psnr: Number.NaN,
    perplexity: {},
    imagesPerSecond: done / ((performance.now() - started) / 1000),
    etaSeconds: Number.NaN,
    unit: 'images',
  };
}
