import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { addBackendOption, collectSets } from '../config/cli-options';
import { writeReport } from '../report/report';
import {
  folderTimestamp,
  runStudy,
  type StudyOptions,
  summarizeOutcomes,
  withInterruptSignal,
} from '../sweep/study';
import { printReportSummary } from './report';

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
}

/**
 * The whole study at small scale on the bundled photos: the matched single/hierarchical pair of the
 * `demo` preset on every rung of Figure 1's ladder — no intervention, + init from data, + windowed
 * reset, + lower code dimension at the same K·D (all interventions) — each trained and evaluated,
 * then `vqkit report`.
 */
export async function runDemo(o: DemoOptions = {}) {
  const now = o.now ?? (() => new Date());
  const out = resolve(o.out ?? join('vqkit-runs', `demo-${folderTimestamp(now())}`));
  const log = o.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  log(`vqkit demo: training the matched pair on each rung of the intervention ladder into ${out}`);
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
  });
  const report = await writeReport({ runs: [join(out, 'runs')], out: join(out, 'report'), now });
  const seconds = (performance.now() - started) / 1000;
  return { out, outcomes, report, seconds };
}

/** `vqkit demo`: the README's main command. */
export function register(program: Command): void {
  addBackendOption(program.command('demo'))
    .description(
      'Run the whole study at small scale on the bundled photos (no download): single vs hierarchical, with and without the interventions, then the report',
    )
    .option('--out <dir>', 'output folder (default ./vqkit-runs/demo-<timestamp>)')
    .option('--config <file|preset>', 'base config of every demo run', 'demo')
    .option('--set <key=value>', 'override a config key (repeatable)', collectSets, [])
    .option('--quiet', 'no per-step progress output')
    .action(
      async (flags: {
        out?: string;
        backend: string;
        config: string;
        set: string[];
        quiet?: boolean;
      }) => {
        const result = await withInterruptSignal((signal) =>
          runDemo({
            out: flags.out,
            backend: flags.backend,
            config: flags.config,
            sets: flags.set,
            quiet: flags.quiet,
            signal,
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
