import {
  entropyRate,
  indexRate,
  lorenzCurve,
  psnrFromMse,
  summarize,
  usageSummary,
} from '@vqkit/metrics';
import type { LevelName, VQVAE } from '@vqkit/models';
import type { SelectedBy } from '../checkpoint/select';
import { type MatchReport, matchReport } from '../config/matching';
import type { RunConfig } from '../config/schema';
import type { BackendRecord } from '../train/backend';
import type { EvalPassResult } from './pass';

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

/** Which split was evaluated: `data.test`, `data.val` (no test split configured), or `--data`. */
export type EvalSplit = 'test' | 'val' | 'custom';

/** Which checkpoint was evaluated. */
export interface EvaluatedCheckpoint {
  /** Relative to the run dir (absolute when `--checkpoint` named a file elsewhere). */
  path: string;
  step: number;
  /** `last` (newest), `best` (lowest validation MSE), or `file` (named by `--checkpoint`). */
  selectedBy: SelectedBy;
  /** Its validation MSE (epoch-end checkpoints), else null. */
  valMse: number | null;
  /** Damaged newer checkpoints passed over with `--allow-older-checkpoint`. */
  skippedDamaged: string[];
}

/** What the evaluation read: split, source, and every split's loader settings. */
export interface EvaluatedData {
  split: EvalSplit;
  /** The folder, or `'demo'`. */
  source: string;
  /**
   * `loader.settings` per split (`train` from the checkpoint, the evaluated split from its
   * loader): the report never pools runs whose settings differ.
   */
  settings: Record<string, unknown>;
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
  checkpoint: EvaluatedCheckpoint;
  data: EvaluatedData;
  seconds: number;
  finishedAt: string;
}

/** Per-level usage of a pass: perplexity, dead fraction, Gini, Lorenz curve, counts. */
export function levelMetrics(model: VQVAE, pass: EvalPassResult): LevelMetrics[] {
  return model.levels.map((l, i) => {
    const counts = pass.counts[i] ?? new Float64Array(l.codebookSize);
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
}

/** The image and rate metrics of a pass (everything in `metrics.json` that the pass decides). */
export function passMetrics(
  config: RunConfig,
  model: VQVAE,
  pass: EvalPassResult,
  dataRange: number,
): Pick<
  RunMetrics,
  | 'images'
  | 'mse'
  | 'psnr'
  | 'ssim'
  | 'bitsPerImage'
  | 'bitsPerPixel'
  | 'entropyBitsPerPixel'
  | 'levels'
  | 'matched'
> {
  const mse = summarize(pass.mse);
  const psnr = summarize(pass.mse.map((m) => psnrFromMse(m, dataRange)));
  const ssim = summarize(pass.ssim);
  const inputSize = { height: config.data.size, width: config.data.size };
  const rate = indexRate(model.levels, { inputSize });
  const entropy = entropyRate(
    model.levels.map((l, i) => ({
      height: l.height,
      width: l.width,
      counts: pass.counts[i] ?? [],
    })),
    { inputSize },
  );
  const match = matchReport(config);
  return {
    images: pass.images,
    mse: { mean: mse.mean, std: mse.std },
    psnr: { mean: psnr.mean, std: psnr.std, infinite: psnr.infiniteCount },
    ssim: { mean: ssim.mean, std: ssim.std },
    bitsPerImage: rate.bitsPerImage,
    bitsPerPixel: rate.bitsPerPixel ?? Number.NaN,
    entropyBitsPerPixel: entropy.bitsPerPixel ?? Number.NaN,
    levels: levelMetrics(model, pass),
    matched: {
      ok: match.ok,
      allowUnmatched: match.allowUnmatched,
      budgets: match.budgets,
      bitGap: match.bitGap,
      failures: match.failures,
    },
  };
}
