import { checkMatched, hierarchicalBudget, singleLevelBudget } from '@vqkit/capacity';
import { PARAMS_TOLERANCE, paramsGap } from '../config/matching';
import { rungLabel, rungOrder } from '../sweep/ladder';
import type { FinishedRun } from './collect';
import type { MetricsFile, ReportedConfig } from './metrics-file';
import { labelSettings, settingKey } from './setting';
import { average, type Pooled, pool, type SeedSpread, seedSpread } from './stats';

/** One architecture's side of a Table 1 row, over its runs (one per seed). */
export interface ArchitectureCell {
  /** Run ids in this cell. */
  runs: string[];
  seeds: number[];
  /** PSNR over every evaluation image of every run (mean, per-image std; law of total variance). */
  psnr: Pooled;
  /** PSNR across seeds: mean and sample std of each run's mean. */
  psnrSeeds: SeedSpread;
  /** Images whose PSNR was infinite (exact reconstructions), Σ over runs. */
  psnrInfinite: number;
  mse: Pooled;
  /** MSE across seeds: mean and sample std of each run's mean. */
  mseSeeds: SeedSpread;
  ssim: Pooled | null;
  /** Trainable parameters (mean over runs; identical for identical configs). */
  params: number;
  /** Index bits per image Σ H·W·log2 K, as measured by eval (mean over runs). */
  bitsPerImage: number;
  /** Index bits per pixel (mean over runs). */
  bitsPerPixel: number;
  /** Entropy of the code usage in bits per pixel (mean over runs), or null when not recorded. */
  entropyBitsPerPixel: number | null;
  /** Whether every run's metrics.json says `matched.ok`. */
  matchedOk: boolean;
}

/** Status of a Table 1 row. */
export type RowStatus = 'matched' | 'unmatched' | 'single-only' | 'hierarchical-only';

/** One row of Table 1: a (Ds, Ks) ↔ (Dh, Kh) pair under one setting. */
export interface Table1Row {
  /** Setting label (`base` or how it differs from the most common setting). */
  setting: string;
  /** The ablation rung (`tags.ladder`) all of the row's runs share, or null. */
  ladder: string | null;
  /** What the table prints in its Setting column: the rung's label and/or the setting. */
  settingLabel: string;
  /** Which budgets the pair equalises: eqs. 4–5 (`kd`, the paper) or equal index bits (`bits`). */
  match: 'kd' | 'bits';
  /** Ds. */
  singleCodeDim: number;
  /** Ks. */
  singleCodebookSize: number;
  /** Dh. */
  hierarchicalCodeDim: number;
  /** Kh (the table prints 2×Kh). */
  hierarchicalCodebookSize: number;
  single: ArchitectureCell | null;
  hierarchical: ArchitectureCell | null;
  status: RowStatus;
  /**
   * The row's config pair checked with @vqkit/capacity in its `match` mode, and the index-bit gap
   * (hierarchical − single) per image and per pixel.
   */
  capacity: {
    matched: boolean;
    failures: string[];
    bitGap: { bitsPerImage: number; bitsPerPixel: number };
  };
  /** max/min − 1 of the two sides' trainable parameters (NaN without both sides). */
  paramsGap: number;
  /** True when {@link paramsGap} exceeds 10 % (PARAMS_TOLERANCE): the sides differ in size. */
  paramsFlagged: boolean;
  /** Human-readable notes (why unmatched, parameter gap, infinite PSNR, seeds). */
  notes: string[];
}

/** Table 1 and what it was built from. */
export interface Table1 {
  rows: Table1Row[];
  /** Whether more than one setting is present (then the table shows a setting column). */
  multipleSettings: boolean;
}

function cell(runs: readonly FinishedRun[]): ArchitectureCell {
  const m = runs.map((r) => r.metrics);
  const ssimRuns = m.filter((x) => x.ssim !== undefined);
  const entropy = m.map((x) => x.entropyBitsPerPixel).filter((x): x is number => x !== undefined);
  const byImage = (f: (x: MetricsFile) => { mean: number; std: number }) =>
    pool(m.map((x) => ({ ...f(x), n: x.images })));
  return {
    runs: runs.map((r) => r.id),
    seeds: m.map((x) => x.config.seed),
    psnr: byImage((x) => x.psnr),
    psnrSeeds: seedSpread(m.map((x) => x.psnr.mean)),
    psnrInfinite: m.reduce((a, x) => a + x.psnr.infinite, 0),
    mse: byImage((x) => x.mse),
    mseSeeds: seedSpread(m.map((x) => x.mse.mean)),
    ssim: ssimRuns.length === m.length ? byImage((x) => x.ssim!) : null,
    params: average(m.map((x) => x.params)),
    bitsPerImage: average(m.map((x) => x.bitsPerImage)),
    bitsPerPixel: average(m.map((x) => x.bitsPerPixel)),
    entropyBitsPerPixel: entropy.length === m.length ? average(entropy) : null,
    matchedOk: m.every((x) => x.matched.ok),
  };
}

/** The capacity check (in the config's `model.match` mode) and index-bit gap of a config's pair. */
export function capacityOf(config: ReportedConfig): Table1Row['capacity'] {
  const { size } = config.data;
  const { downsample, topDownsample, single, hierarchical, match } = config.model;
  const bottom = size / downsample;
  const top = bottom / topDownsample;
  if (!Number.isInteger(bottom) || !Number.isInteger(top) || top < 1) {
    return {
      matched: false,
      failures: [
        `data.size ${size} is not divisible by downsample ${downsample} · topDownsample ${topDownsample}`,
      ],
      bitGap: { bitsPerImage: Number.NaN, bitsPerPixel: Number.NaN },
    };
  }
  const s = { height: bottom, width: bottom, ...pick(single) };
  const h = {
    bottom: { height: bottom, width: bottom },
    top: { height: top, width: top },
    ...pick(hierarchical),
  };
  const inputSize = { height: size, width: size };
  const check = checkMatched(s, h, { match });
  const sb = singleLevelBudget(s, { inputSize });
  const hb = hierarchicalBudget(h, { inputSize });
  return {
    matched: check.matched,
    failures: check.failures,
    bitGap: {
      bitsPerImage: hb.indexBits - sb.indexBits,
      bitsPerPixel: (hb.bitsPerPixel ?? Number.NaN) - (sb.bitsPerPixel ?? Number.NaN),
    },
  };
}

function pick(side: { channels: number; codebookSize: number; codeDim: number }) {
  return { channels: side.channels, codebookSize: side.codebookSize, codeDim: side.codeDim };
}

function ladderOf(run: FinishedRun): string {
  return run.metrics.tags['ladder'] ?? run.metrics.config.tags['ladder'] ?? '';
}

function statusOf(
  capacity: Table1Row['capacity'],
  single: ArchitectureCell | null,
  hierarchical: ArchitectureCell | null,
  notes: string[],
): RowStatus {
  if (!capacity.matched || single?.matchedOk === false || hierarchical?.matchedOk === false) {
    notes.push(
      capacity.matched
        ? 'metrics.json says matched.ok: false'
        : `not capacity-matched: ${capacity.failures.join('; ')}`,
    );
    return 'unmatched';
  }
  if (single === null) {
    notes.push('no finished single-level run for this pair');
    return 'hierarchical-only';
  }
  if (hierarchical === null) {
    notes.push('no finished hierarchical run for this pair');
    return 'single-only';
  }
  return 'matched';
}

function sideNotes(name: string, c: ArchitectureCell | null, notes: string[]): void {
  if (c === null) return;
  if (c.runs.length > 1) notes.push(`${name}: ${c.runs.length} seeds (${c.seeds.join(', ')})`);
  if (c.psnrInfinite > 0)
    notes.push(
      `${name}: ${c.psnrInfinite} image(s) reconstructed exactly (PSNR = ∞, counted in metrics.json psnr.infinite)`,
    );
}

/** One Table 1 row from the runs of one (setting, Ds, Ks, Dh, Kh) group. */
function rowOf(setting: string, config: ReportedConfig, runs: readonly FinishedRun[]): Table1Row {
  const sides = (a: 'single' | 'hierarchical') => runs.filter((r) => r.metrics.architecture === a);
  const single = sides('single').length > 0 ? cell(sides('single')) : null;
  const hierarchical = sides('hierarchical').length > 0 ? cell(sides('hierarchical')) : null;
  const capacity = capacityOf(config);
  const notes: string[] = [];
  const status = statusOf(capacity, single, hierarchical, notes);
  const gap = paramsGap(single?.params ?? Number.NaN, hierarchical?.params ?? Number.NaN);
  const paramsFlagged = gap > PARAMS_TOLERANCE;
  if (paramsFlagged)
    notes.push(
      `the sides differ by ${(100 * gap).toFixed(1)} % in trainable parameters (more than ${100 * PARAMS_TOLERANCE} %): a confound the paper's pairs avoid`,
    );
  sideNotes('single', single, notes);
  sideNotes('hierarchical', hierarchical, notes);
  const ladders = new Set(runs.map(ladderOf));
  const ladder = ladders.size === 1 && !ladders.has('') ? [...ladders][0]! : null;
  const rung = ladder === null ? null : rungLabel(ladder);
  return {
    setting,
    ladder,
    settingLabel: rung === null ? setting : setting === 'base' ? rung : `${rung} (${setting})`,
    match: config.model.match,
    singleCodeDim: config.model.single.codeDim,
    singleCodebookSize: config.model.single.codebookSize,
    hierarchicalCodeDim: config.model.hierarchical.codeDim,
    hierarchicalCodebookSize: config.model.hierarchical.codebookSize,
    single,
    hierarchical,
    status,
    capacity,
    paramsGap: gap,
    paramsFlagged,
    notes,
  };
}

function compareRows(a: Table1Row, b: Table1Row): number {
  return (
    Number(a.match === 'bits') - Number(b.match === 'bits') ||
    (a.ladder === null ? -1 : rungOrder(a.ladder)) -
      (b.ladder === null ? -1 : rungOrder(b.ladder)) ||
    Number(a.setting !== 'base') - Number(b.setting !== 'base') ||
    a.setting.localeCompare(b.setting) ||
    a.singleCodeDim - b.singleCodeDim ||
    a.singleCodebookSize - b.singleCodebookSize ||
    a.hierarchicalCodeDim - b.hierarchicalCodeDim ||
    a.hierarchicalCodebookSize - b.hierarchicalCodebookSize
  );
}

/**
 * Groups finished runs into Table 1 rows: one row per (setting, Ds, Ks, Dh, Kh), single-level runs on
 * the left, hierarchical on the right, each over its seeds. A row is `matched` only when both sides
 * exist, the pair satisfies eqs. 4–5 (or equal index bits, `model.match`; checked again here with
 * @vqkit/capacity) and every run's metrics.json says `matched.ok`; otherwise it is flagged
 * (`unmatched`, `single-only`, `hierarchical-only`) and never mixed into a matched row. Runs whose
 * settings (config or recorded loader settings) differ are never pooled. Rows are sorted like the
 * paper: by D, then K (eqs. 4–5 rows before bit-matched rows).
 */
export function buildTable1(runs: readonly FinishedRun[]): Table1 {
  const { labels } = labelSettings(runs.map((r) => r.metrics));
  const groups = new Map<
    string,
    { setting: string; config: ReportedConfig; runs: FinishedRun[] }
  >();
  for (const run of runs) {
    const c = run.metrics.config;
    const key = [
      settingKey(run.metrics),
      ...Object.values(pick(c.model.single)),
      ...Object.values(pick(c.model.hierarchical)),
    ].join('|');
    const g = groups.get(key);
    if (g) g.runs.push(run);
    else
      groups.set(key, {
        setting: labels.get(settingKey(run.metrics)) ?? 'base',
        config: c,
        runs: [run],
      });
  }
  const rows = [...groups.values()]
    .map((g) => rowOf(g.setting, g.config, g.runs))
    .sort(compareRows);
  return { rows, multipleSettings: new Set(rows.map((r) => r.settingLabel)).size > 1 };
}
