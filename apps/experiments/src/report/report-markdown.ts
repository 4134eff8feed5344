import { basename, relative } from 'node:path';
import { type EvaluationFact, hyperparameterTable, type SetupFacts } from '../config/sources';
import { rungLabel } from '../sweep/ladder';
import type { FinishedRun } from './collect';
import { FAMILIES_LEGEND, familiesTable } from './families-format';
import { type FigureOutcome, ladderOf, shapeOf } from './figures';
import type { FigureFiles } from './plots';
import type { ReportResult } from './report';
import { labelSettings, settingKey } from './setting';
import { fixed, formatParamsM } from './stats';
import { pairsTable, rowNotes, TABLE1_LEGEND, table1Markdown } from './table1-format';

function rel(out: string, path: string): string {
  return relative(out, path) || basename(path);
}

function figureLines(out: string, files: FigureFiles, alt: string): string[] {
  return [
    `![${alt}](${rel(out, files.png)})`,
    '',
    `[SVG](${rel(out, files.svg)}) · [vega-lite spec](${rel(out, files.spec)})`,
    '',
  ];
}

/** What a run's metrics.json says it evaluated (read defensively: older runs lack it). */
function evaluationOf(metrics: FinishedRun['metrics']): EvaluationFact | null {
  const data = metrics.data as { split?: unknown; source?: unknown } | undefined;
  const checkpoint = (metrics as { checkpoint?: { selectedBy?: unknown } }).checkpoint;
  if (typeof data?.split !== 'string' || typeof checkpoint?.selectedBy !== 'string') return null;
  return { split: data.split, source: String(data.source), checkpoint: checkpoint.selectedBy };
}

function setupSection(r: ReportResult): string[] {
  const f2 = r.figures.figure2;
  const figure2 = f2.written
    ? r.runs.filter((x) => f2.runs.includes(x.id)).map((x) => x.metrics.config)
    : undefined;
  const evaluations = r.runs.map((x) => evaluationOf(x.metrics));
  const facts: SetupFacts = {
    ...(evaluations.every((e) => e !== null) ? { evaluations } : {}),
    ...(figure2 === undefined ? {} : { figure2 }),
  };
  return [
    '## Setup',
    '',
    'Each hyperparameter of the runs in this report (every distinct value), and where it comes from: the paper (section and quote), the authors’ released code, or a vqkit choice with its reason.',
    '',
    hyperparameterTable(
      r.runs.map((x) => x.metrics.config),
      facts,
    ).trimEnd(),
    '',
  ];
}

function familiesSection(r: ReportResult): string[] {
  if (r.families.length === 0) return [];
  return [
    '## Quantizer families',
    '',
    ...familiesTable(r.families),
    '',
    FAMILIES_LEGEND,
    '',
    'Files: [families.md](families.md), [families.json](families.json).',
    '',
  ];
}

function figure1Section(r: ReportResult): string[] {
  const lines = ['## Figure 1: codebook-collapse interventions', ''];
  const f1 = r.figures.figure1;
  if (!f1.written) return [...lines, `_Not drawn: ${f1.reason}._`, ''];
  for (const f of [f1.files.mse, f1.files.lorenz, f1.files.perplexity])
    lines.push(...figureLines(r.out, f, basename(f.png)));
  const main = r.ladderPairs.rows.filter((x) => x.status !== 'single-only');
  if (main.length > 0) {
    lines.push("### Figure 1's pairs", '', TABLE1_LEGEND, '', ...pairsTable(main), '');
    const notes = rowNotes(main);
    if (notes.length > 0) lines.push(...notes, '');
  }
  return lines;
}

function figureSection(title: string, out: string, f: FigureOutcome<FigureFiles>, alt: string) {
  return [
    title,
    '',
    ...(f.written ? figureLines(out, f.files, alt) : [`_Not drawn: ${f.reason}._`, '']),
  ];
}

function figure3Section(r: ReportResult): string[] {
  const lines = ['## Figure 3: originals vs reconstructions', ''];
  const f3 = r.figures.figure3;
  if (!f3.written) return [...lines, `_Not drawn: ${f3.reason}._`, ''];
  lines.push(`![figure3](${rel(r.out, f3.files.png)})`, '');
  lines.push(`Columns: original, then ${f3.runs.map((x) => `\`${x}\``).join(', ')}.`);
  if (r.figure3Excluded.length > 0) {
    lines.push('', 'Not shown:');
    for (const e of r.figure3Excluded) lines.push(`- \`${e.run}\`: ${e.reason}`);
  }
  return [...lines, ''];
}

function runsSection(r: ReportResult): string[] {
  if (r.runs.length === 0) return ['## Runs', '', '_No finished runs._', ''];
  const { labels } = labelSettings(r.runs.map((x) => x.metrics));
  const inFamilies = new Set(r.families.flatMap((f) => f.runs));
  const pairColumn = (id: string) =>
    inFamilies.has(id) ? 'families table' : r.unmatchedRuns.includes(id) ? '**no**' : 'yes';
  const lines = [
    '## Runs',
    '',
    '| Run | Architecture | K | D | Setting | Ladder | Seed | PSNR | MSE | bpp | #Params (M) | Matched pair |',
    '| --- | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const x of r.runs) {
    const s = shapeOf(x);
    const m = x.metrics;
    const ladder = ladderOf(x);
    lines.push(
      `| \`${x.id}\` | ${m.architecture} | ${s.label.slice(1)} | ${s.d} | ${labels.get(settingKey(m)) ?? 'base'} | ${ladder ? rungLabel(ladder) : ''} | ${m.config.seed} | ${fixed(m.psnr.mean, 2)} | ${fixed(m.mse.mean, 5)} | ${fixed(m.bitsPerPixel, 3)} | ${formatParamsM(m.params)} | ${pairColumn(x.id)} |`,
    );
  }
  return [...lines, ''];
}

/** `report.md`: scale note, setup table, Table 1, Figures 1–3, every run and every skipped directory. */
export function reportMarkdown(r: ReportResult, inputs: readonly string[], now: Date): string {
  const matchedRows = r.table1.rows.filter((x) => x.status === 'matched').length;
  const lines = [
    '# vqkit report: single-level vs hierarchical VQ-VAE',
    '',
    `Generated ${now.toISOString()} from ${inputs.map((p) => `\`${p}\``).join(', ')}.`,
    '',
  ];
  if (r.scaleNote) lines.push(`> **${r.scaleNote}.**`, '');
  lines.push(
    `${r.runs.length} finished run(s), ${r.skipped.length} skipped, ${matchedRows} matched pair(s) in Table 1, ${r.unmatchedRuns.length} run(s) outside a matched pair.`,
    '',
    ...setupSection(r),
    table1Markdown(r.table1)
      .replace(/^# Table 1/, '## Table 1')
      .replace(/^## (?!Table 1)/gm, '### '),
    `Files: [table1.md](table1.md), [table1.csv](table1.csv), [table1.json](table1.json).`,
    '',
    ...familiesSection(r),
    ...figure1Section(r),
    ...figureSection(
      '## Figure 2: codebook size and dimension',
      r.out,
      r.figures.figure2,
      'figure2',
    ),
    ...figure3Section(r),
    ...runsSection(r),
    '## Skipped run directories',
    '',
  );
  if (r.skipped.length === 0) lines.push('_None: every run directory found had finished._');
  for (const s of r.skipped) lines.push(`- \`${s.id}\` (${s.status}): ${s.reason}`);
  lines.push('');
  return lines.join('\n');
}

/** `report.json` (schema `vqkit.report/2`): what was used, skipped and drawn, and the scale note. */
export function reportJson(r: ReportResult, inputs: readonly string[], now: Date): string {
  const figure = (f: FigureOutcome<unknown>) =>
    f.written
      ? { written: true, runs: f.runs, files: f.files }
      : { written: false, reason: f.reason };
  const inFamilies = new Set(r.families.flatMap((f) => f.runs));
  const value = {
    schema: 'vqkit.report/2',
    generatedAt: now.toISOString(),
    inputs: [...inputs],
    out: r.out,
    scaleNote: r.scaleNote,
    runs: r.runs.map((x) => ({
      id: x.id,
      dir: x.dir,
      architecture: x.metrics.architecture,
      tags: x.metrics.tags,
      seed: x.metrics.config.seed,
      params: x.metrics.params,
      psnr: x.metrics.psnr,
      mse: x.metrics.mse,
      bitsPerImage: x.metrics.bitsPerImage,
      bitsPerPixel: x.metrics.bitsPerPixel,
      // A families run is compared in the families table, not as one side of a Table 1 pair.
      matchedPair: !r.unmatchedRuns.includes(x.id) && !inFamilies.has(x.id),
      familiesTable: inFamilies.has(x.id),
    })),
    skipped: r.skipped,
    unmatchedRuns: r.unmatchedRuns,
    table1: r.tableFiles,
    families: r.familyFiles === null ? null : { files: r.familyFiles, rows: r.families },
    ladderPairs: r.ladderPairs.rows.map((x) => ({
      ladder: x.ladder,
      status: x.status,
      singleParams: x.single?.params ?? null,
      hierarchicalParams: x.hierarchical?.params ?? null,
      paramsGap: x.paramsGap,
      paramsFlagged: x.paramsFlagged,
    })),
    figures: {
      figure1: figure(r.figures.figure1),
      figure2: figure(r.figures.figure2),
      figure3: figure(r.figures.figure3),
    },
    figure3Excluded: r.figure3Excluded,
  };
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
