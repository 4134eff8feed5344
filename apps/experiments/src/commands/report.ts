import type { Command } from 'commander';
import { writeReport } from '../report/report';
import { intFlag } from './sweep';

/** Prints where a report is and what it holds. */
export function printReportSummary(
  result: Awaited<ReturnType<typeof writeReport>>,
  print: (line: string) => void,
): void {
  const matched = result.table1.rows.filter((r) => r.status === 'matched').length;
  if (result.scaleNote) print(`Note: ${result.scaleNote}.`);
  print(`Report: ${result.reportMarkdown}`);
  print(
    `  ${result.runs.length} finished run(s), ${matched} matched pair(s) in Table 1, ${result.unmatchedRuns.length} run(s) outside a matched pair, ${result.skipped.length} run dir(s) skipped.`,
  );
  print(`  Table 1: ${result.tableFiles.markdown} (.csv, .json)`);
  for (const [name, f] of Object.entries(result.figures)) {
    print(`  ${name}: ${f.written ? 'written' : `not drawn — ${f.reason}`}`);
  }
  for (const s of result.skipped) print(`  skipped ${s.id} (${s.status}): ${s.reason}`);
  const flagged = [...result.table1.rows, ...result.ladderPairs.rows].filter(
    (r) => r.paramsFlagged,
  );
  for (const r of flagged) {
    print(
      `  warning: [${r.settingLabel}] Ks ${r.singleCodebookSize} ↔ 2×${r.hierarchicalCodebookSize}: the sides differ by ${(100 * r.paramsGap).toFixed(1)} % in trainable parameters.`,
    );
  }
}

/** `vqkit report --runs <dir…> [--out <dir>]`. */
export function register(program: Command): void {
  program
    .command('report')
    .description(
      'Merge finished runs into Table 1 (Markdown, CSV, JSON) and Figures 1–3 (vega-lite spec, SVG, PNG); unfinished and unmatched runs are listed, never mixed in',
    )
    .requiredOption(
      '--runs <dirs...>',
      'run directories and/or folders of run directories (searched recursively)',
    )
    .option('--out <dir>', 'output folder (default: <first --runs folder>/report)')
    .option('--figure3-rows <n>', 'sample images per run in Figure 3', '6')
    .action(async (opts: { runs: string[]; out?: string; figure3Rows: string }) => {
      const result = await writeReport({
        runs: opts.runs,
        out: opts.out,
        figure3Rows: intFlag('--figure3-rows', opts.figure3Rows, 1),
      });
      printReportSummary(result, (line) => console.log(line));
    });
}
