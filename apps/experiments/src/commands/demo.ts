import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { addBackendOption, collectSets } from '../config/cli-options';
import { ensureOutputDir } from '../config/output-dir';
import { writeReport } from '../report/report';
import type { ChildCommand } from '../sweep/run-parallel';
import { checkSeeds } from '../sweep/seeds';
import {
  folderTimestamp,
  runStudy,
  type StudyOptions,
  summarizeOutcomes,
  withInterruptSignal,
} from '../sweep/study';
import { printReportSummary } from './report';
import { intFlag } from './sweep';

/**
 * Cells `vqkit demo` trains at once: one per core, at most 4 (vqkit choice: each process holds its
 * own tfjs backend, ≈ 0.3 GB; the tfjs cpu backend uses one core per process).
 */
export function defaultDemoJobs(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Output folder. @default `./vqkit-runs/demo-<timestamp>` */
  out?: string;
  backend?: string;
  /** Base config. @default 'demo' */
  config?: string;
  /** Overrides of the base config. */
  sets?: string[];
  quiet?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  now?: () => Date;
  /** Training entry point (tests may substitute one). @default trainRun */
  train?: StudyOptions['train'];
  /** Evaluation entry point (tests may substitute one). @default evaluateRun */
  evaluate?: StudyOptions['evaluate'];
  /** Runs per cell, seeds s, s+1, … @default 1 */
  seeds?: number;
  /** Cells trained at once in child processes (1: in this process). @default defaultDemoJobs() */
  jobs?: number;
  /** How child processes start vqkit (tests). @default vqkitChildCommand() */
  command?: ChildCommand;
}

/**
 * The whole study at demo scale on the bundled photos (the `demo` grid, see `demoCells`): Figure 1's
 * intervention ladder for both architectures, Figure 2's single-level K×D grid, and Table 1's
 * matched pairs at D 8 on crops large enough for Figure 3 — each trained (in `jobs` parallel
 * processes) and evaluated, then `vqkit report`.
 */
export async function runDemo(o: DemoOptions = {}) {
  const seeds = checkSeeds(o.seeds ?? 1);
  const now = o.now ?? (() => new Date());
  const out = resolve(o.out ?? join('vqkit-runs', `demo-${folderTimestamp(now())}`));
  ensureOutputDir(out, '--out');
  const log = o.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  // Substituted entry points (tests) run in this process; children always run the real ones.
  const jobs = o.jobs ?? (o.train || o.evaluate ? 1 : defaultDemoJobs());
  log(
    `vqkit demo: Figure 1's ladder, Figure 2's K×D grid and Table 1's pairs at demo scale into ${out} (${jobs} job${jobs === 1 ? '' : 's'} at once)`,
  );
  const { outcomes } = await runStudy({
    config: o.config ?? 'demo',
    sets: o.sets ?? [],
    grid: 'demo',
    runsDir: join(out, 'runs'),
    backend: o.backend,
    quiet: o.quiet,
    signal: o.signal,
    log,
    now,
    train: o.train,
    evaluate: o.evaluate,
    seeds,
    jobs,
    command: o.command,
    runsDirFlag: '--out',
  });
  const report = await writeReport({ runs: [join(out, 'runs')], out: join(out, 'report'), now });
  const seconds = (performance.now() - started) / 1000;
  return { out, outcomes, report, seconds };
}

/** `vqkit demo`: the README's main command. */
export function register(program: Command): void {
  addBackendOption(program.command('demo'))
    .description(
      "The study at demo scale on the bundled photos (no download): Figure 1's intervention ladder, Figure 2's K×D grid and Table 1's matched pairs, then the report",
    )
    .option('--out <dir>', 'output folder (default ./vqkit-runs/demo-<timestamp>)')
    .option('--config <file|preset>', 'base config of every demo run', 'demo')
    .option('--set <key=value>', 'override a config key (repeatable)', collectSets, [])
    .option('--quiet', 'no per-step progress output')
    .option('--seeds <n>', 'runs per cell with seeds s, s+1, … (error bars across seeds)', '1')
    .option(
      '--jobs <n>',
      `cells trained at once, each in its own process (default: one per core, at most 4; here ${defaultDemoJobs()})`,
    )
    .action(
      async (flags: {
        out?: string;
        backend: string;
        config: string;
        set: string[];
        quiet?: boolean;
        seeds: string;
        jobs?: string;
      }) => {
        const seeds = intFlag('--seeds', flags.seeds, 1);
        const jobs = intFlag('--jobs', flags.jobs, 1);
        const result = await withInterruptSignal((signal) =>
          runDemo({
            out: flags.out,
            backend: flags.backend,
            config: flags.config,
            sets: flags.set,
            quiet: flags.quiet,
            signal,
            seeds,
            jobs,
          }),
        );
        console.log(
          `vqkit demo: ${summarizeOutcomes(result.outcomes)} in ${result.seconds.toFixed(0)} s`,
        );
        printReportSummary(result.report, (line) => console.log(line));
        if (result.outcomes.some((x) => x.status === 'failed' || x.status === 'interrupted'))
          process.exitCode = 1;
      },
    );
}
