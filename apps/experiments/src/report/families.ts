import type { FinishedRun } from './collect';
import type { LevelMetrics, MetricsFile } from './metrics-file';
import { average, type Pooled, pool, type SeedSpread, seedSpread } from './stats';

/** One level's code usage in a families row (mean over the row's runs). */
export interface FamilyUsage {
  level: string;
  /** exp(H) over the level's counted codes. */
  perplexity: number;
  /** How many codes the counts cover: K, ∏ levels (FSQ), 2^D (LFQ), depth·K (residual). */
  codes: number;
  /** Residual depth (the codes are `stages × K`), else 1. */
  stages: number;
  /** metrics.json's description of what was counted. */
  usageOver: string;
}

/** One row of the families table: the runs (seeds) of one family cell. */
export interface FamilyRow {
  /** The Table 1 pair the cell is matched to (`tags.pair`, e.g. `K256-D8`). */
  pair: string;
  /** `vq`, `residual`, `fsq`, `lfq`. */
  family: string;
  /** `reference` (the hierarchical VQ side) or `family` (a single-level family matched to it). */
  role: 'reference' | 'family';
  architecture: 'single' | 'hierarchical';
  /** K and D of the cell's levels, as its config states them. */
  codebookSize: number;
  codeDim: number;
  /** FSQ levels from the config's quantizer section, else null. */
  levels: number[] | null;
  runs: string[];
  seeds: number[];
  psnr: Pooled;
  psnrSeeds: SeedSpread;
  mse: Pooled;
  mseSeeds: SeedSpread;
  usage: FamilyUsage[];
  /** Index bits per image (the family's bitsPerPosition × positions), mean over runs. */
  bitsPerImage: number;
  /** Reference − this row's index bits per image (positive: fewer bits than the reference); 0 for the reference. */
  gapBitsPerImage: number;
  params: number;
}

/** The runs a families sweep made (`tags.study: families`). */
export function familyRuns(runs: readonly FinishedRun[]): FinishedRun[] {
  return runs.filter((r) => tagOf(r.metrics, 'study') === 'families');
}

function tagOf(m: MetricsFile, key: string): string | undefined {
  return m.tags[key] ?? m.config.tags[key];
}

function usageOf(levels: readonly LevelMetrics[][]): FamilyUsage[] {
  return (levels[0] ?? []).map((l, i) => {
    const stages = l.stages ?? 1;
    return {
      level: l.name,
      perplexity: average(levels.map((ls) => ls[i]?.perplexity ?? Number.NaN)),
      codes: stages * l.codebookSize,
      stages,
      usageOver: l.usageOver ?? `${l.codebookSize} codes`,
    };
  });
}

/** The gap of a run: reference − its index bits per image (metrics.json `matched.bitGap`, h − s). */
function gapOf(m: MetricsFile, role: FamilyRow['role']): number {
  if (role === 'reference') return 0;
  return m.matched.bitGap?.indexBits ?? Number.NaN;
}

function levelsOf(value: unknown): number[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === 'number') ? value : null;
}

function rowOf(runs: readonly FinishedRun[]): FamilyRow {
  const m = runs.map((r) => r.metrics);
  const first = m[0]!;
  const role = tagOf(first, 'role') === 'reference' ? 'reference' : 'family';
  const side = first.config.model[first.architecture];
  const byImage = (f: (x: MetricsFile) => { mean: number; std: number }) =>
    pool(m.map((x) => ({ ...f(x), n: x.images })));
  return {
    pair: tagOf(first, 'pair') ?? '',
    family: tagOf(first, 'family') ?? String(first.config.quantizer['kind'] ?? 'vq'),
    role,
    architecture: first.architecture,
    codebookSize: side.codebookSize,
    codeDim: side.codeDim,
    levels: levelsOf(first.config.quantizer['levels']),
    runs: runs.map((r) => r.id),
    seeds: m.map((x) => x.config.seed),
    psnr: byImage((x) => x.psnr),
    psnrSeeds: seedSpread(m.map((x) => x.psnr.mean)),
    mse: byImage((x) => x.mse),
    mseSeeds: seedSpread(m.map((x) => x.mse.mean)),
    usage: usageOf(m.map((x) => x.levels)),
    bitsPerImage: average(m.map((x) => x.bitsPerImage)),
    gapBitsPerImage: average(m.map((x) => gapOf(x, role))),
    params: average(m.map((x) => x.params)),
  };
}

const ORDER = ['vq', 'residual', 'fsq', 'lfq'];

/**
 * The families table: one row per families cell (its seeds pooled as in Table 1), the
 * hierarchical VQ reference first, then the single-level families in the order VQ, residual,
 * FSQ, LFQ, grouped by pair. Runs are grouped by pair, family, role, architecture and the exact
 * model side, quantizer section and crop size, so different configurations never share a row.
 */
export function buildFamiliesTable(runs: readonly FinishedRun[]): FamilyRow[] {
  const groups = new Map<string, FinishedRun[]>();
  for (const run of familyRuns(runs)) {
    const m = run.metrics;
    const c = m.config;
    const key = JSON.stringify([
      tagOf(m, 'pair'),
      tagOf(m, 'family'),
      tagOf(m, 'role'),
      m.architecture,
      c.model[m.architecture],
      c.quantizer,
      c.data.size,
    ]);
    const g = groups.get(key);
    if (g) g.push(run);
    else groups.set(key, [run]);
  }
  const rank = (r: FamilyRow) =>
    (r.role === 'reference' ? -1 : 0) + (ORDER.indexOf(r.family) + 1) / 10;
  return [...groups.values()]
    .map(rowOf)
    .sort(
      (a, b) =>
        a.pair.localeCompare(b.pair) || rank(a) - rank(b) || a.bitsPerImage - b.bitsPerImage,
    );
}
