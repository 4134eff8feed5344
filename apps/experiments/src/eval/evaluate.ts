import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import {
  entropyRate,
  indexRate,
  lorenzCurve,
  psnrFromMse,
  ssimPerImage,
  summarize,
  usageSummary,
} from '@vqkit/metrics';
import type { LevelName } from '@vqkit/models';
import sharp from 'sharp';
import { bestCheckpoint, listCheckpoints, readCheckpoint, restoreModel } from '../checkpoint/store';
import { inputError } from '../config/errors';
import { type MatchReport, matchReport } from '../config/matching';
import { resolveConfig } from '../config/resolve';
import type { RunConfig } from '../config/schema';
import { ProgressDisplay, type ProgressStream } from '../progress';
import { RunLog, readJson, runPaths, writeFileAtomic, writeJsonAtomic } from '../run-dir';
import { type BackendRecord, ensureBackend } from '../train/backend';
import { createModel } from '../train/create-model';
import { createEvalLoader } from '../train/data';
import { dataRangeOf, runEvalPass } from './pass';

/** Schema id of `metrics.json`. */
export const METRICS_SCHEMA = 'vqkit.metrics/1';

/** Mean ± std over the evaluated images (population std). */
export interface MeanStd {
  mean: number;
  std: number;
}

/** One quantised level's codebook usage over the evaluation set. */
export interface LevelMetrics {
  name: LevelName;
  codebookSize: number;
  codeDim: number;
  height: number;
  width: number;
  /** exp(H) of the assignment distribution: the effective number of codes. */
  perplexity: number;
  /** perplexity / K. */
  normalizedPerplexity: number;
  activeCodes: number;
  deadFraction: number;
  gini: number;
  /** Codes sorted by ascending use: cumulative fraction of codes (x) vs cumulative share of assignments (y). */
  lorenz: { x: number[]; y: number[] };
  /** Assignment count of every code over the evaluation set. */
  counts: number[];
}

/** `metrics.json` (schema `vqkit.metrics/1`). */
export interface RunMetrics {
  schema: typeof METRICS_SCHEMA;
  run: string;
  architecture: 'single' | 'hierarchical';
  tags: Record<string, string>;
  config: RunConfig;
  params: number;
  images: number;
  /** R of PSNR: 1 for [0, 1] pixels, 2 for [−1, 1]. SSIM is always computed on pixels in [0, 1]. */
  dataRange: number;
  mse: MeanStd;
  /** Over images with a finite PSNR; `infinite` counts exact reconstructions. */
  psnr: MeanStd & { infinite: number };
  ssim: MeanStd;
  /** Σ_levels H·W·log2 K. */
  bitsPerImage: number;
  bitsPerPixel: number;
  /** Σ_levels H·W·entropy(level) / S²: what a static entropy coder fitted to the usage would spend. */
  entropyBitsPerPixel: number;
  levels: LevelMetrics[];
  matched: Pick<MatchReport, 'ok' | 'allowUnmatched' | 'budgets' | 'bitGap'> & {
    failures: string[];
  };
  samples: { originals: string[]; reconstructions: string[] };
  backend: BackendRecord;
  /** Training steps of the evaluated checkpoint. */
  steps: number;
  /** Which checkpoint was evaluated (relative to the run dir) and why. */
  checkpoint: { path: string; selectedBy: 'best-validation-mse' | 'latest'; valMse: number | null };
  /** Evaluation data source. */
  data: string;
  seconds: number;
  finishedAt: string;
}

/** Options of {@link evaluateRun}. */
export interface EvaluateOptions {
  /** Image folder (or 'demo') to evaluate on instead of the config's `data.val`. */
  data?: string;
  /** `auto` | `webgpu` | `tensorflow` | `cpu`; used only if no backend is active yet. @default 'auto' */
  backend?: string;
  /** No progress output. @default false */
  quiet?: boolean;
  /** Where progress goes. @default process.stderr */
  stderr?: ProgressStream;
}

/**
 * Evaluates a trained run: loads its best checkpoint by validation MSE (else the latest), runs the
 * model without codebook updates over `eval.images` images of the evaluation data (the same images
 * in the same order for every run with the same data), and writes `<runDir>/metrics.json` plus
 * `samples/original-<i>.png` / `samples/recon-<i>.png`. Reports MSE/PSNR/SSIM mean ± std, per-level
 * perplexity, normalised perplexity, dead fraction, Gini and Lorenz curve, index and entropy bits per
 * pixel, and whether the pair is matched (eqs. 4–5).
 *
 * @throws ExperimentsError (exit 2) when the run dir has no config or no checkpoint.
 */
export async function evaluateRun(
  runDir: string,
  options: EvaluateOptions = {},
): Promise<RunMetrics> {
  const started = performance.now();
  const paths = runPaths(runDir);
  const config = resolveConfig(readJson(paths.config, 'eval') as object);
  const entries = listCheckpoints(paths.checkpoints);
  if (entries.length === 0) {
    throw inputError(
      `eval: ${paths.checkpoints} holds no checkpoint. Train the run first (vqkit train --config … --run-dir ${runDir}).`,
    );
  }
  const best = bestCheckpoint(entries);
  const chosen = best ?? entries.at(-1)!;
  const backend = await ensureBackend(options.backend);
  const progress = new ProgressDisplay(options.stderr ?? process.stderr, options.quiet ?? false);
  const source = options.data ?? config.data.val;
  const loader = await createEvalLoader(
    config,
    source,
    config.eval.images,
    options.data ? '--data' : 'data.val',
  );
  const model = createModel(config);
  try {
    await restoreModel(readCheckpoint(chosen.path), model);
    const dataRange = dataRangeOf(config.data.range);
    progress.message(
      `vqkit eval: ${config.name} (${chosen.path}) on ${loader.length} images from ${source}`,
    );
    // SSIM's usual 11×11 Gaussian window; crops smaller than that use the largest odd window that fits.
    const windowSize = Math.min(11, loader.size % 2 === 1 ? loader.size : loader.size - 1);
    const pass = await runEvalPass(model, loader, {
      ssim: (x, y) => ssimOnUnitRange(x, y, config.data.range, windowSize),
      samples: config.eval.samples,
      onBatch: (done) =>
        progress.update({
          step: done,
          totalSteps: loader.length,
          epoch: 0,
          epochs: 1,
          loss: Number.NaN,
          psnr: Number.NaN,
          perplexity: {},
          imagesPerSecond: done / ((performance.now() - started) / 1000),
          etaSeconds: Number.NaN,
          unit: 'images',
        }),
    });
    progress.end();
    if (pass.images === 0) {
      throw inputError(
        `eval: no readable image in ${source}; every file was skipped. Check the folder.`,
      );
    }

    const mseStats = summarize(pass.mse);
    const psnrStats = summarize(pass.mse.map((m) => psnrFromMse(m, dataRange)));
    const ssimStats = summarize(pass.ssim);
    const levels: LevelMetrics[] = model.levels.map((l, i) => {
      const counts = pass.counts[i]!;
      const usage = usageSummary(counts);
      return {
        name: l.name,
        codebookSize: l.codebookSize,
        codeDim: l.codeDim,
        height: l.height,
        width: l.width,
        perplexity: usage.perplexity,
        normalizedPerplexity: usage.normalizedPerplexity,
        activeCodes: usage.activeCodes,
        deadFraction: usage.deadFraction,
        gini: usage.gini,
        lorenz: lorenzCurve(counts),
        counts: Array.from(counts),
      };
    });
    const inputSize = { height: config.data.size, width: config.data.size };
    const rate = indexRate(model.levels, { inputSize });
    const entropy = entropyRate(
      model.levels.map((l, i) => ({ height: l.height, width: l.width, counts: pass.counts[i]! })),
      { inputSize },
    );
    const samples = await writeSamples(
      paths.samples,
      runDir,
      pass.samples,
      pass.size,
      config.data.range,
    );
    const match = matchReport(config);
    const metrics: RunMetrics = {
      schema: METRICS_SCHEMA,
      run: config.name,
      architecture: config.architecture,
      tags: config.tags,
      config,
      params: model.countParams(),
      images: pass.images,
      dataRange,
      mse: { mean: mseStats.mean, std: mseStats.std },
      psnr: { mean: psnrStats.mean, std: psnrStats.std, infinite: psnrStats.infiniteCount },
      ssim: { mean: ssimStats.mean, std: ssimStats.std },
      bitsPerImage: rate.bitsPerImage,
      bitsPerPixel: rate.bitsPerPixel!,
      entropyBitsPerPixel: entropy.bitsPerPixel!,
      levels,
      matched: {
        ok: match.ok,
        allowUnmatched: match.allowUnmatched,
        budgets: match.budgets,
        bitGap: match.bitGap,
        failures: match.failures,
      },
      samples,
      backend,
      steps: chosen.meta.step,
      checkpoint: {
        path: relative(runDir, chosen.path),
        selectedBy: best === null ? 'latest' : 'best-validation-mse',
        valMse: chosen.meta.valMse,
      },
      data: source,
      seconds: (performance.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
    writeJsonAtomic(paths.metrics, metrics);
    new RunLog(paths.log).write({
      type: 'eval',
      checkpoint: metrics.checkpoint,
      images: metrics.images,
      mse: metrics.mse,
      psnr: metrics.psnr,
      ssim: metrics.ssim,
      perplexity: Object.fromEntries(levels.map((l) => [l.name, l.perplexity])),
      data: source,
      skipped: loader.stats().skipped,
    });
    progress.message(
      `${config.name}: MSE ${metrics.mse.mean.toExponential(3)} ± ${metrics.mse.std.toExponential(2)}, ` +
        `PSNR ${metrics.psnr.mean.toFixed(2)} ± ${metrics.psnr.std.toFixed(2)} dB, SSIM ${metrics.ssim.mean.toFixed(4)}, ` +
        `${levels.map((l) => `ppl[${l.name}] ${l.perplexity.toFixed(1)}/${l.codebookSize}`).join(' ')}, ` +
        `${metrics.bitsPerPixel.toFixed(4)} bpp → ${paths.metrics}`,
    );
    return metrics;
  } finally {
    progress.end();
    model.dispose();
  }
}

/**
 * Per-image SSIM `[B]` of `[B, S, S, 3]` images in the run's pixel range, computed on pixels in
 * [0, 1] (L = 1). SSIM's luminance term (2μxμy + C1)/(μx² + μy² + C1) assumes non-negative
 * intensities: on [−1, 1] pixels mid-grey is 0 and the term collapses, so '-1,1' images are mapped
 * by (v + 1)/2 first (PSNR needs no mapping: R = 2 on [−1, 1] equals R = 1 on [0, 1]).
 */
function ssimOnUnitRange(
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  range: '0,1' | '-1,1',
  windowSize: number,
): tf.Tensor1D {
  if (range === '0,1') return ssimPerImage(x, y, { dataRange: 1, windowSize });
  return tf.tidy(() => {
    const unit = (t: tf.Tensor4D) => tf.mul(tf.add(t, 1), 0.5) as tf.Tensor4D;
    return ssimPerImage(unit(x), unit(y), { dataRange: 1, windowSize });
  });
}

/** Float pixels in the run's range → 8-bit RGB. */
function toUint8(values: Float32Array, range: '0,1' | '-1,1'): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = range === '0,1' ? values[i]! : (values[i]! + 1) / 2;
    out[i] = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
  }
  return out;
}

/** Writes the sample pairs as PNGs; returns their paths relative to the run dir. */
async function writeSamples(
  dir: string,
  runDir: string,
  samples: { original: Float32Array; reconstruction: Float32Array }[],
  size: number,
  range: '0,1' | '-1,1',
): Promise<{ originals: string[]; reconstructions: string[] }> {
  const originals: string[] = [];
  const reconstructions: string[] = [];
  if (samples.length === 0) return { originals, reconstructions };
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < samples.length; i++) {
    const pair = samples[i]!;
    for (const [kind, data, list] of [
      ['original', pair.original, originals],
      ['recon', pair.reconstruction, reconstructions],
    ] as const) {
      const path = join(dir, `${kind}-${i}.png`);
      const png = await sharp(Buffer.from(toUint8(data, range)), {
        raw: { width: size, height: size, channels: 3 },
      })
        .png()
        .toBuffer();
      writeFileAtomic(path, png);
      list.push(relative(runDir, path));
    }
  }
  return { originals, reconstructions };
}
