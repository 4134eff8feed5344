import { join } from 'node:path';
import { rungLabel, rungOrder } from '../sweep/ladder';
import type { FinishedRun } from './collect';
import type { LevelMetrics, MetricsFile } from './metrics-file';
import {
  type FigureFiles,
  type GridDatum,
  gridSpec,
  type LadderMseDatum,
  type LorenzDatum,
  ladderMseSpec,
  lorenzSpec,
  type PerplexityDatum,
  perplexitySpec,
  writeFigure,
} from './plots';
import { scaleNote } from './scale';
import { settingKey } from './setting';
import { average, pool, seedSpread } from './stats';

/** A figure that was written, or why it was left out. */
export type FigureOutcome<T> =
  | { written: true; files: T; runs: string[] }
  | { written: false; reason: string };

/** The ablation rung of a run (`tags.ladder`), or undefined for runs outside Figure 1's ladder. */
export function ladderOf(run: FinishedRun): string | undefined {
  return run.metrics.tags['ladder'] ?? run.metrics.config.tags['ladder'];
}

/** The trained side's (K, D) and its "effective" K as the paper's tables print it (Ks or 2×Kh). */
export function shapeOf(run: FinishedRun): { k: number; d: number; label: string } {
  const c = run.metrics.config.model;
  if (run.metrics.architecture === 'single') {
    return { k: c.single.codebookSize, d: c.single.codeDim, label: `K${c.single.codebookSize}` };
  }
  return {
    k: 2 * c.hierarchical.codebookSize,
    d: c.hierarchical.codeDim,
    label: `K2×${c.hierarchical.codebookSize}`,
  };
}

/** Resamples a Lorenz curve (x ascending in [0, 1]) at `points` evenly spaced x by linear interpolation. */
export function resampleLorenz(curve: { x: number[]; y: number[] }, points = 51): number[] {
  const { x, y } = curve;
  const out: number[] = [];
  if (x.length === 0 || x.length !== y.length) return out;
  let j = 0;
  for (let i = 0; i < points; i++) {
    const t = i / (points - 1);
    while (j < x.length - 2 && x[j + 1]! < t) j++;
    const x0 = x[j]!;
    const x1 = x[Math.min(j + 1, x.length - 1)]!;
    const y0 = y[j]!;
    const y1 = y[Math.min(j + 1, y.length - 1)]!;
    const v = x1 === x0 ? y1 : y0 + ((t - x0) / (x1 - x0)) * (y1 - y0);
    out.push(Math.min(1, Math.max(0, t <= x0 ? y0 : t >= x1 ? y1 : v)));
  }
  return out;
}

/** Mean over runs, std across seeds and std over images of one per-image metric. */
function spreadOf(m: readonly MetricsFile[], f: (x: MetricsFile) => { mean: number; std: number }) {
  const seeds = seedSpread(m.map((x) => f(x).mean));
  const images = pool(m.map((x) => ({ ...f(x), n: x.images })));
  return { mean: seeds.mean, seedStd: seeds.std, imageStd: images.std };
}

/** Figure 1's per-level perplexity and averaged Lorenz curve of one (rung, architecture). */
function levelData(
  rung: string,
  architecture: 'single' | 'hierarchical',
  m: readonly MetricsFile[],
) {
  const points = 51;
  const perplexity: PerplexityDatum[] = [];
  const lorenz: LorenzDatum[] = [];
  const levels = new Map<string, LevelMetrics[]>();
  for (const x of m)
    for (const l of x.levels) levels.set(l.name, [...(levels.get(l.name) ?? []), l]);
  for (const [level, ls] of levels) {
    perplexity.push({
      rung,
      architecture,
      level,
      normalizedPerplexity: average(ls.map((l) => l.normalizedPerplexity)),
      perplexity: average(ls.map((l) => l.perplexity)),
      codebookSize: ls[0]!.codebookSize,
    });
    const curves = ls
      .map((l) => resampleLorenz(l.lorenz, points))
      .filter((c) => c.length === points);
    if (curves.length === 0) continue;
    for (let i = 0; i < points; i++) {
      const y = average(curves.map((c) => c[i]!));
      lorenz.push({ series: rung, architecture, level, x: i / (points - 1), y });
    }
  }
  return { perplexity, lorenz };
}

/** The scale note of the runs a figure draws (see scaleNote). */
function noteOf(runs: readonly FinishedRun[]): string | null {
  return scaleNote(runs.map((r) => r.metrics.config));
}

/** Figure 1 from the ablation-ladder runs (runs tagged `ladder`) only. */
export async function figure1(
  runs: readonly FinishedRun[],
  out: string,
): Promise<FigureOutcome<{ mse: FigureFiles; lorenz: FigureFiles; perplexity: FigureFiles }>> {
  const ladder = runs.filter((r) => ladderOf(r) !== undefined);
  if (ladder.length === 0) {
    return {
      written: false,
      reason: 'no ablation runs (runs tagged `ladder`, written by `vqkit ablate` or `vqkit demo`)',
    };
  }
  const groups = new Map<string, FinishedRun[]>();
  for (const r of ladder) {
    const key = `${ladderOf(r)}|${r.metrics.architecture}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rungs = [...new Set(ladder.map((r) => ladderOf(r)!))]
    .sort((a, b) => rungOrder(a) - rungOrder(b) || a.localeCompare(b))
    .map(rungLabel);
  const mse: LadderMseDatum[] = [];
  const lorenz: LorenzDatum[] = [];
  const perplexity: PerplexityDatum[] = [];
  const note = noteOf(ladder);
  for (const [key, group] of groups) {
    const [id, architecture] = key.split('|') as [string, 'single' | 'hierarchical'];
    const rung = rungLabel(id);
    const m = group.map((r) => r.metrics);
    const s = spreadOf(m, (x) => x.mse);
    const psnr = spreadOf(m, (x) => x.psnr).mean;
    const bitsPerPixel = average(m.map((x) => x.bitsPerPixel));
    mse.push({
      rung,
      architecture,
      mse: s.mean,
      seedStd: s.seedStd,
      imageStd: s.imageStd,
      psnr,
      bitsPerPixel,
      runs: m.length,
    });
    const levels = levelData(rung, architecture, m);
    perplexity.push(...levels.perplexity);
    lorenz.push(...levels.lorenz);
  }
  return {
    written: true,
    runs: ladder.map((r) => r.id),
    files: {
      mse: await writeFigure(ladderMseSpec(mse, rungs, note), join(out, 'figure1-mse')),
      lorenz: await writeFigure(lorenzSpec(lorenz, rungs, note), join(out, 'figure1-lorenz')),
      perplexity: await writeFigure(
        perplexitySpec(perplexity, rungs, note),
        join(out, 'figure1-perplexity'),
      ),
    },
  };
}

/**
 * Figure 2 from single-level runs outside the ablation ladder (sweep runs), the setting with the most
 * (K, D) cells; each point is the mean over its seeds.
 */
export async function figure2(
  runs: readonly FinishedRun[],
  out: string,
): Promise<FigureOutcome<FigureFiles>> {
  const singles = runs.filter(
    (r) => r.metrics.architecture === 'single' && ladderOf(r) === undefined,
  );
  const bySetting = new Map<string, FinishedRun[]>();
  for (const r of singles) {
    const k = settingKey(r.metrics);
    bySetting.set(k, [...(bySetting.get(k) ?? []), r]);
  }
  let best: FinishedRun[] = [];
  let bestCells = 0;
  for (const group of bySetting.values()) {
    const cells = new Set(group.map((r) => `${shapeOf(r).k}x${shapeOf(r).d}`)).size;
    if (cells > bestCells) [best, bestCells] = [group, cells];
  }
  if (bestCells < 2) {
    return {
      written: false,
      reason:
        'fewer than two single-level (Ks, Ds) cells outside the ablation ladder share one setting; run `vqkit sweep --grid kxd` for the K×D grid',
    };
  }
  const cells = new Map<string, FinishedRun[]>();
  for (const r of best) {
    const key = `${shapeOf(r).k}|${shapeOf(r).d}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  const data: GridDatum[] = [...cells.values()].map((group) => {
    const m = group.map((r) => r.metrics);
    const s = shapeOf(group[0]!);
    const psnr = spreadOf(m, (x) => x.psnr);
    const mse = spreadOf(m, (x) => x.mse);
    return {
      codebookSize: s.k,
      codeDim: s.d,
      psnr: psnr.mean,
      psnrSeedStd: psnr.seedStd,
      psnrImageStd: psnr.imageStd,
      mse: mse.mean,
      mseSeedStd: mse.seedStd,
      mseImageStd: mse.imageStd,
      bitsPerPixel: average(m.map((x) => x.bitsPerPixel)),
      runs: m.length,
    };
  });
  data.sort((a, b) => a.codebookSize - b.codebookSize || a.codeDim - b.codeDim);
  return {
    written: true,
    runs: best.map((r) => r.id),
    files: await writeFigure(gridSpec(data, noteOf(best)), join(out, 'figure2')),
  };
}
