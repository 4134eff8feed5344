import {
  entropyRate,
  lorenzCurve,
  perplexity,
  psnrFromMse,
  summarize,
  usageSummary,
} from '@vqkit/metrics';
import type { LevelName, VQVAE } from '@vqkit/models';
import type { SelectedBy } from '../checkpoint/select';
import { type MatchReport, matchReport } from '../config/matching';
import type { RunConfig } from '../config/schema';
import { METRICS_SCHEMA_ID } from '../report/metrics-file';
import type { BackendRecord } from '../train/backend';
import { levelUsage } from '../train/level-usage';
import type { EvalPassResult } from './pass';

/** Schema id of `metrics.json` (defined with the file's zod schema, `report/metrics-file.ts`). */
export const METRICS_SCHEMA = METRICS_SCHEMA_ID;

/** Mean ± std over the evaluated images (population std). */
export interface MeanStd {
  mean: number;
  std: number;
}

/** One quantised level's codebook usage over the evaluation set. */
export interface LevelMetrics {
  name: LevelName;
  /** The level's quantizer family (`vq`, `residual`, `fsq`, `lfq`). */
  kind: string;
  /** K: codes one index names (∏ levels for FSQ, 2^D for LFQ, per stage for residual). */
  codebookSize: number;
  codeDim: number;
  height: number;
  width: number;
  /** Index bits per latent position: the family's `bitsPerPosition`. */
  bitsPerPosition: number;
  /** Groups of K codes in `counts`: the residual depth (one per stage), else 1. */
  stages: number;
  /** What `counts` (and every usage number below) is taken over, in words. */
  usageOver: string;
  /** exp(H) of the assignment distribution over `counts`: the effective number of codes used. */
  perplexity: number;
  /** Per stage (residual levels only): exp(H) of each stage's K counts. */
  stagePerplexities?: number[];
  /** perplexity / (stages · K). */
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
  /** Σ_levels H·W·bitsPerPosition (log₂K for VQ, depth·log₂K residual, Σ log₂ Lᵢ FSQ, D LFQ). */
  bitsPerImage: number;
  bitsPerPixel: number;
  /** Σ_levels H·W·entropy(level) / S² (Σ over stages for residual): what a static entropy coder fitted to the usage would spend. */
  entropyBitsPerPixel: number;
  levels: LevelMetrics[];
  matched: Pick<MatchReport, 'ok' | 'allowUnmatched' | 'mode' | 'budgets' | 'bitGap'> & {
    failures: string[];
  };
  samples: { originals: string[]; reconstructions: string[] };
  backend: BackendRecord;
  /** Training steps of the evaluated checkpoint. */
  steps: number;
  checkpoint: EvaluatedCheckpoint;
  data: EvaluatedData;
  /** When a model file was evaluated without a run (`vqkit eval --checkpoint <file>`): what it was. */
  modelFile?: {
    path: string;
    format: 'playground';
    /** The options its metadata rebuilt the model from. */
    model: unknown;
    /** The run's final numbers as the file records them (`playground.run`). */
    run: unknown;
    /** How the other side of the pair in `config` was chosen. */
    partner: string;
  };
  seconds: number;
  finishedAt: string;
}

/** The counts of stage `s` of a level whose counts hold `stages` groups. */
function stageSlice(counts: Float64Array, stages: number, s: number): Float64Array {
  const k = counts.length / stages;
  return counts.subarray(s * k, (s + 1) * k);
}

/** Per-level usage of a pass over `levelUsage`'s codes: perplexity, dead fraction, Gini, Lorenz curve, counts. */
export function levelMetrics(model: VQVAE, pass: EvalPassResult): LevelMetrics[] {
  const usage = levelUsage(model);
  return model.levels.map((l, i) => {
    const u = usage[i]!;
    const counts = pass.counts[i] ?? new Float64Array(u.codes);
    const summary = usageSummary(counts);
    const stages = Array.from({ length: u.stages }, (_, s) => stageSlice(counts, u.stages, s));
    return {
      name: l.name,
      kind: u.kind,
      codebookSize: l.codebookSize,
      codeDim: l.codeDim,
      height: l.height,
      width: l.width,
      bitsPerPosition: u.bitsPerPosition,
      stages: u.stages,
      usageOver: u.usageOver,
      perplexity: summary.perplexity,
      ...(u.stages > 1 ? { stagePerplexities: stages.map((c) => perplexity(c)) } : {}),
      normalizedPerplexity: summary.normalizedPerplexity,
      activeCodes: summary.activeCodes,
      deadFraction: summary.deadFraction,
      gini: summary.gini,
      lorenz: lorenzCurve(counts),
      counts: Array.from(counts),
    };
  });
}

/**
 * Index bits per image (Σ levels H·W·bitsPerPosition, the family's own) and the entropy-coded
 * rate (Σ levels, and stages of a residual level, H·W·entropy of the usage), per image and pixel.
 */
function rates(model: VQVAE, pass: EvalPassResult, size: number) {
  const usage = levelUsage(model);
  const bitsPerImage = model.levels.reduce(
    (sum, l, i) => sum + l.height * l.width * usage[i]!.bitsPerPosition,
    0,
  );
  const counted = model.levels.flatMap((l, i) => {
    const u = usage[i]!;
    const counts = pass.counts[i] ?? new Float64Array(u.codes);
    return Array.from({ length: u.stages }, (_, s) => ({
      height: l.height,
      width: l.width,
      counts: stageSlice(counts, u.stages, s),
    }));
  });
  const entropy = entropyRate(counted, { inputSize: { height: size, width: size } });
  return {
    bitsPerImage,
    bitsPerPixel: bitsPerImage / (size * size),
    entropyBitsPerPixel: entropy.bitsPerPixel ?? Number.NaN,
  };
}

/** The image and rate metrics of a pass (everything in `metrics.json` that the pass decides). */
export type PassMetrics = Pick<
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
>;

/** The {@link PassMetrics} of a pass of `model` over images of pixel range `dataRange` (R of PSNR). */
export function passMetrics(
  config: RunConfig,
  model: VQVAE,
  pass: EvalPassResult,
  dataRange: number,
): PassMetrics {
  const mse = summarize(pass.mse);
  const psnr = summarize(pass.mse.map((m) => psnrFromMse(m, dataRange)));
  const ssim = summarize(pass.ssim);
  const match = matchReport(config);
  return {
    images: pass.images,
    mse: { mean: mse.mean, std: mse.std },
    psnr: { mean: psnr.mean, std: psnr.std, infinite: psnr.infiniteCount },
    ssim: { mean: ssim.mean, std: ssim.std },
    ...rates(model, pass, config.data.size),
    levels: levelMetrics(model, pass),
    matched: {
      ok: match.ok,
      allowUnmatched: match.allowUnmatched,
      mode: match.mode,
      budgets: match.budgets,
      bitGap: match.bitGap,
      failures: match.failures,
    },
  };
}
