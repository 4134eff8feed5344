import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModel, ModelsError, type VQVAE } from '@vqkit/models';
import { inputError } from '../config/errors';
import { ensureOutputDir } from '../config/output-dir';
import type { RunConfig } from '../config/schema';
import { ProgressDisplay } from '../progress';
import { writeJsonAtomic } from '../run-dir';
import { ensureBackend } from '../train/backend';
import { createModel } from '../train/create-model';
import { createEvalLoader, DEMO_DATA } from '../train/data';
import { type EvaluateOptions, evaluateRun, summaryLine } from './evaluate';
import { measuredMetrics, measureModel } from './measure';
import { type PlaygroundExport, readModelFile } from './model-file';
import { playgroundPartner, playgroundRunConfig } from './playground-config';
import type { RunMetrics } from './run-metrics';

/** Options of {@link evaluateModelFile}. */
export interface ModelFileEvalOptions
  extends Pick<EvaluateOptions, 'backend' | 'quiet' | 'stderr' | 'signal'> {
  /** Evaluation images: a folder or `'demo'` (the bundled photos' test crops). @default 'demo' */
  data?: string;
  /** Output folder of metrics.json and samples/. @default `<file's folder>/<file name without .safetensors>-eval` */
  out?: string;
}

/** The default output folder of a model file: `<folder>/<name without extension>-eval`, next to it. */
export function defaultEvalDir(path: string): string {
  return join(dirname(resolve(path)), `${basename(path, extname(path))}-eval`);
}

/**
 * `vqkit eval --checkpoint <file>` without `--run`. A playground export is rebuilt from its
 * metadata (`playgroundRunConfig` → `createModel`), loaded with @vqkit/models' `loadModel` and
 * evaluated on `data` (default the bundled photos' test crops at the model's input size and pixel
 * range), writing `metrics.json` (schema `vqkit.metrics/1`, plus `modelFile`) and `samples/` into
 * `out`. A vqkit training checkpoint inside a run directory (`<run>/checkpoints/…`) is evaluated as
 * `vqkit eval --run <run> --checkpoint <file>` would.
 *
 * @returns the metrics and the folder holding metrics.json.
 * @throws ExperimentsError (exit 2) naming the file and the fix: unreadable, damaged, neither a
 *   playground export nor a vqkit checkpoint, weights that do not fit the metadata's model, or a
 *   checkpoint outside a run directory.
 */
export async function evaluateModelFile(
  path: string,
  options: ModelFileEvalOptions = {},
): Promise<{ metrics: RunMetrics; dir: string }> {
  const file = readModelFile(path);
  if (file.kind === 'checkpoint') return evaluateLooseCheckpoint(path, options);
  const started = performance.now();
  const source = options.data ?? DEMO_DATA;
  const config = playgroundRunConfig(path, file.export, source);
  const loader = await createEvalLoader(config, 'test', source, config.eval.images, '--data');
  const backend = await ensureBackend(options.backend);
  const progress = new ProgressDisplay(options.stderr ?? process.stderr, options.quiet ?? false);
  const model = await loadPlaygroundModel(path, config, file.bytes);
  try {
    const out = ensureOutputDir(options.out ?? defaultEvalDir(path), '--out');
    progress.message(`vqkit eval: ${path} (playground export) on ${loader.length} images`);
    const pass = await measureModel(config, model, loader, progress, options.signal);
    const metrics: RunMetrics = {
      ...(await measuredMetrics(config, pass, backend, join(out, 'samples'), out)),
      steps: file.export.run.steps,
      checkpoint: {
        path: resolve(path),
        step: file.export.run.steps,
        selectedBy: 'file',
        valMse: null,
        skippedDamaged: [],
      },
      data: { split: 'custom', source, settings: { custom: loader.settings } },
      modelFile: modelFileRecord(path, file.export),
      seconds: (performance.now() - started) / 1000,
      finishedAt: new Date().toISOString(),
    };
    writeJsonAtomic(join(out, 'metrics.json'), metrics);
    progress.message(summaryLine(metrics, join(out, 'metrics.json')));
    return { metrics, dir: out };
  } finally {
    model.dispose();
  }
}

/** What metrics.json records about an evaluated model file. */
function modelFileRecord(
  path: string,
  exported: PlaygroundExport,
): NonNullable<RunMetrics['modelFile']> {
  const partner = playgroundPartner(exported.model);
  return {
    path: resolve(path),
    format: 'playground',
    model: exported.model,
    run: exported.run,
    partner:
      partner.problem === null ? 'capacity-matched (eqs. 4–5, same D)' : `none: ${partner.problem}`,
  };
}

/** The model the metadata describes, with the file's weights and quantizer states. */
async function loadPlaygroundModel(
  path: string,
  config: RunConfig,
  bytes: Uint8Array,
): Promise<VQVAE> {
  const model = createModel(config);
  try {
    await loadModel(model, bytes);
    return model;
  } catch (error) {
    model.dispose();
    if (error instanceof ModelsError) {
      throw inputError(
        `eval --checkpoint ${path}: its weights do not fit the model its playground metadata describes (${error.message}). The file is damaged or was edited: export the model from the playground again.`,
        error,
      );
    }
    throw error;
  }
}

/** A vqkit checkpoint named without `--run`: evaluated in its run directory when it lies in one. */
async function evaluateLooseCheckpoint(
  path: string,
  options: ModelFileEvalOptions,
): Promise<{ metrics: RunMetrics; dir: string }> {
  const folder = dirname(resolve(path));
  const runDir = dirname(folder);
  if (basename(folder) !== 'checkpoints' || !existsSync(join(runDir, 'config.json'))) {
    throw inputError(
      `eval --checkpoint ${path}: this is a vqkit training checkpoint outside a run directory (no ../config.json next to its checkpoints/ folder), so its model cannot be rebuilt. Pass the run it belongs to: vqkit eval --run <run dir> --checkpoint ${path}.`,
    );
  }
  if (options.out !== undefined) {
    throw inputError(
      `eval --checkpoint ${path} --out ${options.out}: a run's checkpoint is evaluated into its run directory (${runDir}/metrics.json); --out is for playground exports. Leave out --out.`,
    );
  }
  const { out: _out, ...rest } = options;
  const metrics = await evaluateRun(runDir, { ...rest, checkpoint: resolve(path) });
  return { metrics, dir: runDir };
}
