import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { rungLabel, rungOrder } from '../sweep/ladder';
import { collectRuns, type FinishedRun, isRunDir, type SkippedRun } from './collect';
import { composeGrid, type GridColumn, type GridLayout, originalsFingerprint } from './figure3';
import type { LevelMetrics } from './metrics-file';
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
import { labelSettings, settingKey } from './setting';
import { average, fixed, pool } from './stats';
import { buildTable1, type Table1, table1Csv, table1Json, table1Markdown } from './table1';

/** Options of {@link writeReport}. */
export interface ReportOptions {
  /** Run directories and/or folders of run directories; all finished runs are merged. */
  runs: readonly string[];
  /**
   * Output folder.
   * @default `<first --runs folder>/report` (next to the run when the first path is a run directory)
   */
  out?: string;
  /** Sample images per run shown in Figure 3. @default 6 */
  figure3Rows?: number;
  /** Reconstruction columns in Figure 3 at most. @default 10 */
  figure3Columns?: number;
  /** Clock for the report's timestamp. @default () => new Date() */
  now?: () => Date;
}

/** A figure that was written, or why it was left out. */
export type FigureOutcome<T> =
  | { written: true; files: T; runs: string[] }
  | { written: false; reason: string };

/** What {@link writeReport} wrote. */
export interface ReportResult {
  /** Absolute output folder. */
  out: string;
  /** `report.md`, the entry point linking everything. */
  reportMarkdown: string;
  table1: Table1;
  tableFiles: { markdown: string; csv: string; json: string };
  figures: {
    figure1: FigureOutcome<{ mse: FigureFiles; lorenz: FigureFiles; perplexity: FigureFiles }>;
    figure2: FigureOutcome<FigureFiles>;
    figure3: FigureOutcome<{ png: string; layout: GridLayout }>;
  };
  runs: FinishedRun[];
  skipped: SkippedRun[];
  /** Finished runs that are not part of a matched pair (unmatched by eqs. 4–5 or missing the other side). */
  unmatchedRuns: string[];
  /** Runs left out of Figure 3 and why. */
  figure3Excluded: { run: string; reason: string }[];
}

/** The default output folder for `--runs paths`. */
export function defaultReportDir(paths: readonly string[]): string {
  const first = resolve(paths[0] ?? '.');
  return isRunDir(first) ? join(dirname(first), 'report') : join(first, 'report');
}

function ladderOf(run: FinishedRun): string | undefined {
  return run.metrics.tags['ladder'] ?? run.metrics.config.tags['ladder'];
}

/** The trained side's (K, D) and its "effective" K as the paper's tables print it (Ks or 2×Kh). */
function shapeOf(run: FinishedRun): { k: number; d: number; label: string } {
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

async function figure1(
  runs: readonly FinishedRun[],
  out: string,
): Promise<ReportResult['figures']['figure1']> {
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
  const rungIds = [...new Set(ladder.map((r) => ladderOf(r)!))].sort(
    (a, b) => rungOrder(a) - rungOrder(b) || a.localeCompare(b),
  );
  const rungs = rungIds.map(rungLabel);
  const mse: LadderMseDatum[] = [];
  const lorenz: LorenzDatum[] = [];
  const perplexity: PerplexityDatum[] = [];
  const points = 51;
  for (const [key, group] of groups) {
    const [id, architecture] = key.split('|') as [string, 'single' | 'hierarchical'];
    const rung = rungLabel(id);
    const m = group.map((r) => r.metrics);
    const p = pool(m.map((x) => ({ mean: x.mse.mean, std: x.mse.std, n: x.images })));
    mse.push({
      rung,
      architecture,
      mse: p.mean,
      stderr: p.images > 0 ? p.std / Math.sqrt(p.images) : 0,
      psnr: pool(m.map((x) => ({ mean: x.psnr.mean, std: x.psnr.std, n: x.images }))).mean,
      bitsPerPixel: average(m.map((x) => x.bitsPerPixel)),
      runs: m.length,
    });
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
        lorenz.push({
          series: rung,
          architecture,
          level,
          x: i / (points - 1),
          y: average(curves.map((c) => c[i]!)),
        });
      }
    }
  }
  return {
    written: true,
    runs: ladder.map((r) => r.id),
    files: {
      mse: await writeFigure(ladderMseSpec(mse, rungs), join(out, 'figure1-mse')),
      lorenz: await writeFigure(lorenzSpec(lorenz, rungs), join(out, 'figure1-lorenz')),
      perplexity: await writeFigure(
        perplexitySpec(perplexity, rungs),
        join(out, 'figure1-perplexity'),
      ),
    },
  };
}

async function figure2(
  runs: readonly FinishedRun[],
  out: string,
): Promise<ReportResult['figures']['figure2']> {
  const singles = runs.filter((r) => r.metrics.architecture === 'single');
  const bySetting = new Map<string, FinishedRun[]>();
  for (const r of singles) {
    const k = settingKey(r.metrics.config);
    bySetting.set(k, [...(bySetting.get(k) ?? []), r]);
  }
  let best: FinishedRun[] = [];
  let bestCells = 0;
  for (const group of bySetting.values()) {
    const cells = new Set(group.map((r) => `${shapeOf(r).k}x${shapeOf(r).d}`)).size;
    if (cells > bestCells) {
      best = group;
      bestCells = cells;
    }
  }
  if (bestCells < 2) {
    return {
      written: false,
      reason:
        'fewer than two single-level (Ks, Ds) cells share one setting; run `vqkit sweep --grid kxd` for the K×D grid',
    };
  }
  const cells = new Map<string, FinishedRun[]>();
  for (const r of best) {
    const s = shapeOf(r);
    const key = `${s.k}|${s.d}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  const data: GridDatum[] = [...cells.values()].map((group) => {
    const m = group.map((r) => r.metrics);
    const s = shapeOf(group[0]!);
    return {
      codebookSize: s.k,
      codeDim: s.d,
      psnr: pool(m.map((x) => ({ mean: x.psnr.mean, std: x.psnr.std, n: x.images }))).mean,
      mse: pool(m.map((x) => ({ mean: x.mse.mean, std: x.mse.std, n: x.images }))).mean,
      bitsPerPixel: average(m.map((x) => x.bitsPerPixel)),
      runs: m.length,
    };
  });
  data.sort((a, b) => a.codebookSize - b.codebookSize || a.codeDim - b.codeDim);
  return {
    written: true,
    runs: best.map((r) => r.id),
    files: await writeFigure(gridSpec(data), join(out, 'figure2')),
  };
}

async function figure3(
  runs: readonly FinishedRun[],
  out: string,
  maxRows: number,
  maxColumns: number,
  excluded: { run: string; reason: string }[],
): Promise<ReportResult['figures']['figure3']> {
  const withSamples: FinishedRun[] = [];
  for (const r of runs) {
    const n = Math.min(
      r.metrics.samples.originals.length,
      r.metrics.samples.reconstructions.length,
    );
    if (n === 0) excluded.push({ run: r.id, reason: 'no saved samples (eval.samples = 0)' });
    else withSamples.push(r);
  }
  if (withSamples.length === 0)
    return { written: false, reason: 'no finished run saved sample reconstructions' };
  const rows = Math.min(
    maxRows,
    ...withSamples.map((r) =>
      Math.min(r.metrics.samples.originals.length, r.metrics.samples.reconstructions.length),
    ),
  );
  const prints = new Map<string, FinishedRun[]>();
  for (const r of withSamples) {
    const fp = await originalsFingerprint(r, rows);
    if (fp === null) {
      excluded.push({ run: r.id, reason: 'sample originals missing or unreadable' });
      continue;
    }
    prints.set(fp, [...(prints.get(fp) ?? []), r]);
  }
  if (prints.size === 0) return { written: false, reason: 'no run has readable sample originals' };
  const [, shared] = [...prints].sort((a, b) => b[1].length - a[1].length)[0]!;
  for (const group of prints.values()) {
    if (group === shared) continue;
    for (const r of group) {
      excluded.push({
        run: r.id,
        reason: 'evaluated on different images than the runs shown (other data, size or seed)',
      });
    }
  }
  // Prefer the paper's layout: one setting and one code dimension, columns ordered by K.
  const bySlice = new Map<string, FinishedRun[]>();
  for (const r of shared) {
    const key = `${settingKey(r.metrics.config)}|${shapeOf(r).d}`;
    bySlice.set(key, [...(bySlice.get(key) ?? []), r]);
  }
  const slice = [...bySlice.values()].sort(
    (a, b) => b.length - a.length || shapeOf(a[0]!).d - shapeOf(b[0]!).d,
  )[0]!;
  const archRank = (r: FinishedRun) => (r.metrics.architecture === 'single' ? 0 : 1);
  let chosen: FinishedRun[];
  const allLadder = shared.every((r) => ladderOf(r) !== undefined);
  if (slice.length >= 2 && !allLadder) {
    chosen = [...slice].sort((a, b) => shapeOf(a).k - shapeOf(b).k || archRank(a) - archRank(b));
  } else {
    chosen = [...shared].sort(
      (a, b) =>
        rungOrder(ladderOf(a) ?? '') - rungOrder(ladderOf(b) ?? '') ||
        archRank(a) - archRank(b) ||
        shapeOf(a).k - shapeOf(b).k ||
        shapeOf(a).d - shapeOf(b).d,
    );
  }
  for (const r of chosen.slice(maxColumns)) {
    excluded.push({ run: r.id, reason: `more than ${maxColumns} columns` });
  }
  chosen = chosen.slice(0, maxColumns);
  for (const r of shared) {
    if (!chosen.includes(r) && !excluded.some((e) => e.run === r.id)) {
      excluded.push({
        run: r.id,
        reason: 'other setting or code dimension than the columns shown',
      });
    }
  }
  const anyLadder = chosen.some((r) => ladderOf(r) !== undefined);
  const reference = chosen[0]!;
  const columns: GridColumn[] = [
    {
      heading: [
        'original',
        `${reference.metrics.config.data.size}×${reference.metrics.config.data.size}`,
      ],
      images: reference.metrics.samples.originals.slice(0, rows).map((p) => join(reference.dir, p)),
    },
    ...chosen.map((r) => {
      const s = shapeOf(r);
      const arch = r.metrics.architecture === 'single' ? 'single' : 'hier.';
      const ladder = ladderOf(r);
      const second =
        anyLadder && ladder !== undefined
          ? rungLabel(ladder)
          : `${fixed(r.metrics.psnr.mean, 1)} dB`;
      return {
        heading: [`${arch} ${s.label.slice(1)} D${s.d}`, second],
        images: r.metrics.samples.reconstructions.slice(0, rows).map((p) => join(r.dir, p)),
      };
    }),
  ];
  const png = join(out, 'figure3.png');
  const layout = await composeGrid(columns, png);
  return { written: true, runs: chosen.map((r) => r.id), files: { png, layout } };
}

/**
 * `vqkit report`: merges every finished run under `options.runs` and writes Table 1 (Markdown, CSV,
 * JSON), Figure 1 (MSE, Lorenz curves and normalised perplexity over the ablation ladder), Figure 2
 * (PSNR and MSE over the single-level K×D grid) and Figure 3 (originals vs reconstructions), each plot
 * as vega-lite spec, SVG and PNG, plus `report.md` / `report.json` listing every run used, every run
 * skipped (unfinished, not evaluated, invalid) and every unmatched run.
 *
 * @throws ExperimentsError (exit 2) when a `--runs` path is missing or holds no run directory.
 */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const out = resolve(options.out ?? defaultReportDir(options.runs));
  const { runs, skipped } = collectRuns(options.runs);
  mkdirSync(out, { recursive: true });
  const table1 = buildTable1(runs);
  const tableFiles = {
    markdown: join(out, 'table1.md'),
    csv: join(out, 'table1.csv'),
    json: join(out, 'table1.json'),
  };
  writeFileSync(tableFiles.markdown, table1Markdown(table1));
  writeFileSync(tableFiles.csv, table1Csv(table1));
  writeFileSync(tableFiles.json, table1Json(table1));
  const figure3Excluded: { run: string; reason: string }[] = [];
  const figures: ReportResult['figures'] = {
    figure1: await figure1(runs, out),
    figure2: await figure2(runs, out),
    figure3:
      runs.length === 0
        ? { written: false, reason: 'no finished runs' }
        : await figure3(
            runs,
            out,
            options.figure3Rows ?? 6,
            options.figure3Columns ?? 10,
            figure3Excluded,
          ),
  };
  const unmatchedRuns = table1.rows
    .filter((r) => r.status !== 'matched')
    .flatMap((r) => [...(r.single?.runs ?? []), ...(r.hierarchical?.runs ?? [])]);
  const result: ReportResult = {
    out,
    reportMarkdown: join(out, 'report.md'),
    table1,
    tableFiles,
    figures,
    runs,
    skipped,
    unmatchedRuns,
    figure3Excluded,
  };
  const now = (options.now ?? (() => new Date()))();
  writeFileSync(result.reportMarkdown, reportMarkdown(result, options.runs, now));
  writeFileSync(join(out, 'report.json'), reportJson(result, options.runs, now));
  return result;
}

function rel(out: string, path: string): string {
  return relative(out, path) || basename(path);
}

function reportMarkdown(r: ReportResult, inputs: readonly string[], now: Date): string {
  const lines: string[] = [];
  const { labels } = labelSettings(r.runs.map((x) => x.metrics.config));
  lines.push('# vqkit report: single-level vs hierarchical VQ-VAE');
  lines.push('');
  lines.push(`Generated ${now.toISOString()} from ${inputs.map((p) => `\`${p}\``).join(', ')}.`);
  lines.push('');
  const matchedRows = r.table1.rows.filter((x) => x.status === 'matched').length;
  lines.push(
    `${r.runs.length} finished run(s), ${r.skipped.length} skipped, ${matchedRows} matched pair(s), ${r.unmatchedRuns.length} run(s) outside a matched pair.`,
  );
  lines.push('');
  lines.push(
    table1Markdown(r.table1)
      .replace(/^# Table 1/, '## Table 1')
      .replace(/^## (?!Table 1)/gm, '### '),
  );
  lines.push(
    `Files: [table1.md](table1.md), [table1.csv](table1.csv), [table1.json](table1.json).`,
  );
  lines.push('');
  lines.push('## Figure 1: codebook-collapse interventions');
  lines.push('');
  const f1 = r.figures.figure1;
  if (f1.written) {
    for (const f of [f1.files.mse, f1.files.lorenz, f1.files.perplexity]) {
      lines.push(`![${basename(f.png)}](${rel(r.out, f.png)})`);
      lines.push('');
      lines.push(`[SVG](${rel(r.out, f.svg)}) · [vega-lite spec](${rel(r.out, f.spec)})`);
      lines.push('');
    }
  } else {
    lines.push(`_Not drawn: ${f1.reason}._`);
    lines.push('');
  }
  lines.push('## Figure 2: codebook size and dimension');
  lines.push('');
  const f2 = r.figures.figure2;
  if (f2.written) {
    lines.push(`![figure2](${rel(r.out, f2.files.png)})`);
    lines.push('');
    lines.push(
      `[SVG](${rel(r.out, f2.files.svg)}) · [vega-lite spec](${rel(r.out, f2.files.spec)})`,
    );
  } else {
    lines.push(`_Not drawn: ${f2.reason}._`);
  }
  lines.push('');
  lines.push('## Figure 3: originals vs reconstructions');
  lines.push('');
  const f3 = r.figures.figure3;
  if (f3.written) {
    lines.push(`![figure3](${rel(r.out, f3.files.png)})`);
    lines.push('');
    lines.push(`Columns: original, then ${f3.runs.map((x) => `\`${x}\``).join(', ')}.`);
    if (r.figure3Excluded.length > 0) {
      lines.push('');
      lines.push('Not shown:');
      for (const e of r.figure3Excluded) lines.push(`- \`${e.run}\`: ${e.reason}`);
    }
  } else {
    lines.push(`_Not drawn: ${f3.reason}._`);
  }
  lines.push('');
  lines.push('## Runs');
  lines.push('');
  if (r.runs.length === 0) {
    lines.push('_No finished runs._');
  } else {
    lines.push(
      '| Run | Architecture | K | D | Setting | Ladder | Seed | PSNR | MSE | bpp | Matched pair |',
    );
    lines.push('| --- | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | --- |');
    for (const x of r.runs) {
      const s = shapeOf(x);
      const m = x.metrics;
      lines.push(
        `| \`${x.id}\` | ${m.architecture} | ${s.label.slice(1)} | ${s.d} | ${labels.get(settingKey(m.config)) ?? 'base'} | ${ladderOf(x) ? rungLabel(ladderOf(x)!) : ''} | ${m.config.seed} | ${fixed(m.psnr.mean, 2)} | ${fixed(m.mse.mean, 5)} | ${fixed(m.bitsPerPixel, 3)} | ${r.unmatchedRuns.includes(x.id) ? '**no**' : 'yes'} |`,
      );
    }
  }
  lines.push('');
  lines.push('## Skipped run directories');
  lines.push('');
  if (r.skipped.length === 0) lines.push('_None: every run directory found had finished._');
  for (const s of r.skipped) lines.push(`- \`${s.id}\` (${s.status}): ${s.reason}`);
  lines.push('');
  return lines.join('\n');
}

function reportJson(r: ReportResult, inputs: readonly string[], now: Date): string {
  const figure = (f: FigureOutcome<unknown>) =>
    f.written
      ? { written: true, runs: f.runs, files: f.files }
      : { written: false, reason: f.reason };
  const value = {
    schema: 'vqkit.report/1',
    generatedAt: now.toISOString(),
    inputs: [...inputs],
    out: r.out,
    runs: r.runs.map((x) => ({
      id: x.id,
      dir: x.dir,
      architecture: x.metrics.architecture,
      tags: x.metrics.tags,
      seed: x.metrics.config.seed,
      psnr: x.metrics.psnr,
      mse: x.metrics.mse,
      bitsPerPixel: x.metrics.bitsPerPixel,
      matchedPair: !r.unmatchedRuns.includes(x.id),
    })),
    skipped: r.skipped,
    unmatchedRuns: r.unmatchedRuns,
    table1: r.tableFiles,
    figures: {
      figure1: figure(r.figures.figure1),
      figure2: figure(r.figures.figure2),
      figure3: figure(r.figures.figure3),
    },
    figure3Excluded: r.figure3Excluded,
  };
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
