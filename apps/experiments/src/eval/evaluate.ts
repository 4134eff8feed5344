import { isAbsolute, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ImageLoader } from '@vqkit/data';
import { restoreModel } from '../checkpoint/restore';
import {
  type CheckpointChoice,
  type SelectedCheckpoint,
  selectCheckpoint,
} from '../checkpoint/select';
import { inputError } from '../config/errors';
import { resolveConfig } from '../config/resolve';
import type { RunConfig } from '../config/schema';
import { ProgressDisplay, type ProgressStream } from '../progress';
import { RunLog, readJson, runPaths, writeJsonAtomic } from '../run-dir';
import { acquireRunLock } from '../run-lock';
import { ensureBackend } from '../train/backend';
import { createModel } from '../train/create-model';
import { createEvalLoader } from '../train/data';
import { type MeasuredModel, measuredMetrics, measureModel } from './measure';
import type { EvalSplit, EvaluatedCheckpoint, RunMetrics } from './run-metrics';

export {
  type EvalSplit,
  type LevelMetrics,
  METRICS_SCHEMA,
  type MeanStd,
  type RunMetrics,
} from './run-metrics';

/** Options of {@link evaluateRun}. */
export interface EvaluateOptions {
  /** Image folder (or 'demo') to evaluate on instead of the config's `data.test` / `data.val`. */
  data?: string;
  /**
   * Which checkpoint: `last` (the trained model, as the paper reports it), `best` (lowest
   * validation MSE), or a checkpoint file's path. @default 'last'
   */
  checkpoint?: CheckpointChoice;
  /** Use the newest intact checkpoint when newer ones are damaged, instead of refusing. @default false */
  allowOlderCheckpoint?: boolean;
  /** `auto` | `webgpu` | `tensorflow` | `cpu`; used only if no backend is active yet. @default 'auto' */
  backend?: string;
  /** No progress output. @default false */
  quiet?: boolean;
  /** Where progress goes. @default process.stderr */
  stderr?: ProgressStream;
  /** Aborting it stops the evaluation after the current batch; nothing is written then. */
  signal?: AbortSignal;
}

/** The split an evaluation reads: `--data`, else `data.test`, else `data.val`. */
export function evalSplit(
  config: RunConfig,
  data: string | undefined,
): { split: EvalSplit; source: string; key: string } {
  if (data !== undefined) return { split: 'custom', source: data, key: '--data' };
  if (config.data.test !== undefined)
    return { split: 'test', source: config.data.test, key: 'data.test' };
  return { split: 'val', source: config.data.val, key: 'data.val' };
}

/**
 * Evaluates a trained run: loads its `last` checkpoint (or `best`, or a named file; damaged
 * newer checkpoints are refused unless `allowOlderCheckpoint`), runs the model without codebook
 * updates over `eval.images` images of the test split (`data.test`; `data.val` when there is
 * none; `--data` to override) — the same images in the same order for every run with the same
 * data — and writes `<runDir>/metrics.json` plus `samples/original-<i>.png` / `recon-<i>.png`.
 * Reports MSE/PSNR/SSIM mean ± std, per-level perplexity, normalised perplexity, dead fraction,
 * Gini and Lorenz curve, index and entropy bits per pixel, whether the pair is matched (eqs.
 * 4–5), and which checkpoint, split and data settings were used.
 *
 * @throws ExperimentsError: exit 2 when the run dir has no config or checkpoint, `--checkpoint`
 *   names a missing file, or the split holds no readable image (all before any work); exit 1
 *   for a damaged checkpoint or when the signal stopped it (nothing written then).
 */
export async function evaluateRun(
  runDir: string,
  options: EvaluateOptions = {},
): Promise<RunMetrics> {
  const started = performance.now();
  const paths = runPaths(runDir);
  const config = resolveConfig(readJson(paths.config, 'eval') as object);
  const lock = acquireRunLock(runDir, 'eval');
  try {
    const selected = selectEvalCheckpoint(runDir, options);
    const { split, source, key } = evalSplit(config, options.data);
    const loader = await createEvalLoader(
      config,
      split === 'test' ? 'test' : 'val',
      source,
      config.eval.images,
      key,
    );
    const progress = new ProgressDisplay(options.stderr ?? process.stderr, options.quiet ?? false);
    const backend = await ensureBackend(options.backend);
    const pass = await evaluationPass(config, selected, loader, progress, options.signal);
    const metrics: RunMetrics = {
      ...(await measuredMetrics(config, pass, backend, paths.samples, runDir)),
      steps: selected.checkpoint.meta.step,
      checkpoint: evaluatedCheckpoint(runDir, selected),
      data: {
        split,
        source,
        settings: { train: selected.checkpoint.meta.dataSettings, [split]: loader.settings },
      },
      seconds: (performance.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
    writeJsonAtomic(paths.metrics, metrics);
    logEval(paths.log, metrics, loader);
    progress.message(summaryLine(metrics, paths.metrics));
    return metrics;
  } finally {
    lock.release();
  }
}

function selectEvalCheckpoint(runDir: string, options: EvaluateOptions): SelectedCheckpoint {
  const paths = runPaths(runDir);
  const selected = selectCheckpoint(paths.checkpoints, {
    command: 'eval',
    choice: options.checkpoint ?? 'last',
    allowOlder: options.allowOlderCheckpoint ?? false,
  });
  if (selected === null) {
    throw inputError(
      `eval: ${paths.checkpoints} holds no checkpoint. Train the run first (vqkit train --config … --run-dir ${runDir}).`,
    );
  }
  return selected;
}

function evaluatedCheckpoint(runDir: string, selected: SelectedCheckpoint): EvaluatedCheckpoint {
  const { path, meta } = selected.checkpoint;
  const rel = relative(runDir, path);
  return {
    path: rel.startsWith('..') || isAbsolute(rel) ? path : rel,
    step: meta.step,
    selectedBy: selected.selectedBy,
    valMse: meta.valMse,
    skippedDamaged: selected.skipped.map((d) => d.path),
  };
}

/** Builds the model, restores the checkpoint and runs the pass (SSIM and samples included). */
async function evaluationPass(
  config: RunConfig,
  selected: SelectedCheckpoint,
  loader: ImageLoader,
  progress: ProgressDisplay,
  signal: AbortSignal | undefined,
): Promise<MeasuredModel> {
  const model = createModel(config);
  try {
    await restoreModel(selected.checkpoint, model);
    for (const d of selected.damaged) {
      progress.message(`note: damaged checkpoint ${d.path} (${d.problem}) was not used`);
    }
    progress.message(
      `vqkit eval: ${config.name} (${selected.checkpoint.path}) on ${loader.length} images`,
    );
    return await measureModel(config, model, loader, progress, signal);
  } finally {
    model.dispose();
  }
}

export function logEval(logPath: string, metrics: RunMetrics, loader: ImageLoader): void {
  new RunLog(logPath).write({
    type: 'eval',
    checkpoint: metrics.checkpoint,
    images: metrics.images,
    mse: metrics.mse,
    psnr: metrics.psnr,
    ssim: metrics.ssim,
    perplexity: Object.fromEntries(metrics.levels.map((l) => [l.name, l.perplexity])),
    data: { split: metrics.data.split, source: metrics.data.source },
    skipped: loader.stats().skipped,
  });
}

export function summaryLine(m: RunMetrics, path: string): string {
  return (
    `${m.run}: MSE ${m.mse.mean.toExponential(3)} ± ${m.mse.std.toExponential(2)}, ` +
    `PSNR ${m.psnr.mean.toFixed(2)} ± ${m.psnr.std.toFixed(2)} dB, SSIM ${m.ssim.mean.toFixed(4)}, ` +
    `${m.levels.map((l) => `ppl[${l.name}] ${l.perplexity.toFixed(1)}/${l.codebookSize}`).join(' ')}, ` +
    `${m.bitsPerPixel.toFixed(4)} bpp on ${m.data.split} (${m.data.source}), checkpoint ${m.checkpoint.path} (${m.checkpoint.selectedBy}) → ${path}`
  );
}
