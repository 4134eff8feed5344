import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ensureOutputDir } from '../config/output-dir';
import { collectRuns, type FinishedRun, isRunDir, type SkippedRun } from './collect';
import { buildFamiliesTable, type FamilyRow, familyRuns } from './families';
import { familiesJson, familiesMarkdown } from './families-format';
import type { GridLayout } from './figure3';
import { figure3 } from './figure3-select';
import { type FigureOutcome, figure1, figure2, ladderOf } from './figures';
import type { FigureFiles } from './plots';
import { reportJson, reportMarkdown } from './report-markdown';
import { scaleNote } from './scale';
import { buildTable1, type Table1 } from './table1';
import { table1Csv, table1Json, table1Markdown } from './table1-format';

export type { FigureOutcome } from './figures';
export { resampleLorenz } from './figures';

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

/** What {@link writeReport} wrote. */
export interface ReportResult {
  /** Absolute output folder. */
  out: string;
  /** `report.md`, the entry point linking everything. */
  reportMarkdown: string;
  /** Table 1: pairs of runs outside Figure 1's ablation ladder (sweeps, matched-pair runs). */
  table1: Table1;
  /** The ablation ladder's pairs (Figure 1's runs), with their parameter counts. */
  ladderPairs: Table1;
  /** The families table (`vqkit sweep --grid families` runs; empty when there are none). */
  families: FamilyRow[];
  /** `families.md` / `families.json`, written when there are families runs. */
  familyFiles: { markdown: string; json: string } | null;
  /** `demo scale (…): not comparable with the paper's numbers`, or null at the paper's scale. */
  scaleNote: string | null;
  tableFiles: { markdown: string; csv: string; json: string };
  figures: {
    figure1: FigureOutcome<{ mse: FigureFiles; lorenz: FigureFiles; perplexity: FigureFiles }>;
    figure2: FigureOutcome<FigureFiles>;
    figure3: FigureOutcome<{ png: string; layout: GridLayout }>;
  };
  runs: FinishedRun[];
  skipped: SkippedRun[];
  /** Finished runs that are not part of a matched pair (unmatched, or missing the other side). */
  unmatchedRuns: string[];
  /** Runs left out of Figure 3 and why. */
  figure3Excluded: { run: string; reason: string }[];
}

/** Writes `families.md` and `families.json` into `out`. */
function writeFamilies(
  out: string,
  rows: readonly FamilyRow[],
  note: string | null,
): { markdown: string; json: string } {
  const files = { markdown: join(out, 'families.md'), json: join(out, 'families.json') };
  writeFileSync(files.markdown, familiesMarkdown(rows, { scaleNote: note }));
  writeFileSync(files.json, familiesJson(rows));
  return files;
}

/** The default output folder for `--runs paths`. */
export function defaultReportDir(paths: readonly string[]): string {
  const first = resolve(paths[0] ?? '.');
  return isRunDir(first) ? join(dirname(first), 'report') : join(first, 'report');
}

/**
 * `vqkit report`: merges every finished run under `options.runs` and writes Table 1 (Markdown, CSV,
 * JSON; pairs outside the ablation ladder, one table per matching mode), Figure 1 (MSE, Lorenz curves
 * and normalised perplexity over the ablation ladder, with its pairs' parameter counts), Figure 2
 * (PSNR and MSE over the single-level K×D grid) and Figure 3 (originals vs reconstructions of the
 * matched pairs), each plot as vega-lite spec, SVG and PNG, the families table (`families.md` /
 * `families.json`, when `--grid families` runs are present; they stay out of Table 1), plus
 * `report.md` / `report.json` with
 * the hyperparameter table (value and source of each), every run used, skipped and unmatched, and —
 * when the runs are not at the paper's scale — a note saying so on the report and every figure.
 *
 * @throws ExperimentsError (exit 2) when a `--runs` path is missing or holds no run directory, or
 *   `out` cannot be a folder.
 */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const out = resolve(options.out ?? defaultReportDir(options.runs));
  const { runs, skipped } = collectRuns(options.runs);
  ensureOutputDir(out, '--out');
  const note = scaleNote(runs.map((r) => r.metrics.config));
  const familySet = new Set(familyRuns(runs));
  const table1 = buildTable1(runs.filter((r) => ladderOf(r) === undefined && !familySet.has(r)));
  const families = buildFamiliesTable(runs);
  const familyFiles = families.length === 0 ? null : writeFamilies(out, families, note);
  const ladderPairs = buildTable1(runs.filter((r) => ladderOf(r) !== undefined));
  const tableFiles = {
    markdown: join(out, 'table1.md'),
    csv: join(out, 'table1.csv'),
    json: join(out, 'table1.json'),
  };
  writeFileSync(tableFiles.markdown, table1Markdown(table1, { scaleNote: note }));
  writeFileSync(tableFiles.csv, table1Csv(table1));
  writeFileSync(tableFiles.json, table1Json(table1));
  const matchedRuns = (t: Table1) =>
    t.rows
      .filter((r) => r.status === 'matched')
      .flatMap((r) => [...(r.single?.runs ?? []), ...(r.hierarchical?.runs ?? [])]);
  const figure3Excluded: { run: string; reason: string }[] = [];
  const figures: ReportResult['figures'] = {
    figure1: await figure1(runs, out),
    figure2: await figure2(runs, out),
    figure3:
      runs.length === 0
        ? { written: false, reason: 'no finished runs' }
        : await figure3(runs, out, {
            preferred: new Set(matchedRuns(table1)),
            maxRows: options.figure3Rows ?? 6,
            maxColumns: options.figure3Columns ?? 10,
            excluded: figure3Excluded,
          }),
  };
  const unmatchedRuns = [...table1.rows, ...ladderPairs.rows]
    .filter((r) => r.status !== 'matched')
    .flatMap((r) => [...(r.single?.runs ?? []), ...(r.hierarchical?.runs ?? [])]);
  const result: ReportResult = {
    out,
    reportMarkdown: join(out, 'report.md'),
    table1,
    ladderPairs,
    families,
    familyFiles,
    scaleNote: note,
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
