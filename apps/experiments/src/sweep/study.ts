import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputError } from '../config/errors';
import { ensureOutputDir } from '../config/output-dir';
import { resolveConfig } from '../config/resolve';
import { buildCells, type GridOptions, type SweepCell } from './grids';
import { manifestOf, readManifest, writeManifest } from './manifest';
import { type CellOutcome, type RunCellsOptions, runCells } from './run-cells';
import { type ChildCommand, runCellsInParallel } from './run-parallel';
import { type SlurmOptions, slurmScript } from './slurm';

/** Everything `vqkit sweep`, `vqkit ablate` and `vqkit demo` share. */
export interface StudyOptions extends GridOptions {
  /** Base config: preset name or JSON/YAML file. */
  config: string;
  /** `--set key.path=value` overrides applied to the base before the grid. */
  sets?: string[];
  grid: string;
  runsDir: string;
  /** Read cells from this manifest instead of building them from config + grid. */
  manifest?: string;
  /** Run only these cell ids. */
  only?: string[];
  backend?: string;
  quiet?: boolean;
  failFast?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  now?: () => Date;
  /** Training entry point (tests may substitute one). @default trainRun */
  train?: RunCellsOptions['train'];
  /** Evaluation entry point (tests may substitute one). @default evaluateRun */
  evaluate?: RunCellsOptions['evaluate'];
  /**
   * Cells trained at once, each in a child process (`--jobs`); 1 runs them one after another in
   * this process. @default 1
   */
  jobs?: number;
  /** How `jobs > 1` children start vqkit. @default vqkitChildCommand() */
  command?: ChildCommand;
  /** Flag name of `runsDir` in messages. @default '--runs-dir' */
  runsDirFlag?: string;
}

/**
 * The cells of a study: from a manifest, or built from the base config and grid; then `only`.
 * `requireData: false` lets a config without data folders list its cells (`sweep --list`).
 */
export function studyCells(o: StudyOptions, options: { requireData?: boolean } = {}): SweepCell[] {
  let cells: SweepCell[];
  if (o.manifest !== undefined) {
    cells = readManifest(o.manifest).cells;
  } else {
    const base = resolveConfig(o.config, o.sets ?? [], options);
    cells = buildCells(base, o.grid, o);
  }
  if (o.only === undefined || o.only.length === 0) return cells;
  const byId = new Map(cells.map((c) => [c.id, c]));
  const missing = o.only.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    throw inputError(
      `sweep: --only ${missing.map((m) => `'${m}'`).join(', ')} is not a cell of ${o.manifest ? `manifest ${o.manifest}` : `grid '${o.grid}'`}. Cells: ${cells.map((c) => c.id).join(', ')}.`,
    );
  }
  return o.only.map((id) => byId.get(id)!);
}

/**
 * Runs the cells of a study one after another (skipping finished ones) and records the cells
 * manifest at `<runsDir>/sweep-manifest.json` (only when running the whole grid from a config).
 */
export async function runStudy(
  o: StudyOptions,
): Promise<{ cells: SweepCell[]; outcomes: CellOutcome[] }> {
  const runsDir = resolve(o.runsDir);
  const cells = studyCells(o);
  ensureOutputDir(runsDir, o.runsDirFlag ?? '--runs-dir');
  const now = (o.now ?? (() => new Date()))();
  const manifest = () =>
    manifestOf(cells, { grid: o.grid, base: o.config, sets: o.sets ?? [], now });
  if (o.manifest === undefined && (o.only === undefined || o.only.length === 0)) {
    writeManifest(join(runsDir, 'sweep-manifest.json'), manifest());
  }
  const common = { runsDir, backend: o.backend, quiet: o.quiet, signal: o.signal, log: o.log };
  if ((o.jobs ?? 1) <= 1) {
    const outcomes = await runCells(cells, {
      ...common,
      failFast: o.failFast,
      train: o.train,
      evaluate: o.evaluate,
    });
    return { cells, outcomes };
  }
  // Children read their cell from a manifest of exactly these cells, removed afterwards.
  const jobsManifest = join(runsDir, `.jobs-manifest-${process.pid}.json`);
  writeManifest(jobsManifest, manifest());
  try {
    const outcomes = await runCellsInParallel(cells, {
      ...common,
      failFast: o.failFast,
      jobs: o.jobs ?? 1,
      manifest: jobsManifest,
      command: o.command,
    });
    return { cells, outcomes };
  } finally {
    rmSync(jobsManifest, { force: true });
  }
}

/** Files written by {@link emitSlurm}. */
export interface SlurmFiles {
  script: string;
  manifest: string;
  cellList: string;
  logs: string;
  cells: number;
}

/**
 * Writes a SLURM job array for the study: `<runsDir>/sweep-manifest.json` (every cell's resolved
 * config), `<runsDir>/cells.txt` (line i+1 = array task i), `<runsDir>/sweep.sbatch` and the
 * `slurm-logs/` folder its `--output` points at.
 */
export function emitSlurm(
  o: StudyOptions,
  slurm: Omit<
    SlurmOptions,
    'runsDir' | 'manifest' | 'cellList' | 'cells' | 'grid' | 'now' | 'backend'
  >,
): SlurmFiles {
  const runsDir = resolve(o.runsDir);
  const cells = studyCells(o);
  const now = (o.now ?? (() => new Date()))();
  ensureOutputDir(runsDir, o.runsDirFlag ?? '--runs-dir');
  const files: SlurmFiles = {
    script: join(runsDir, 'sweep.sbatch'),
    manifest: join(runsDir, 'sweep-manifest.json'),
    cellList: join(runsDir, 'cells.txt'),
    logs: join(runsDir, 'slurm-logs'),
    cells: cells.length,
  };
  ensureOutputDir(files.logs, o.runsDirFlag ?? '--runs-dir');
  writeManifest(
    files.manifest,
    manifestOf(cells, { grid: o.grid, base: o.config, sets: o.sets ?? [], now }),
  );
  writeFileSync(files.cellList, `${cells.map((c) => c.id).join('\n')}\n`);
  writeFileSync(
    files.script,
    slurmScript({
      ...slurm,
      runsDir,
      manifest: files.manifest,
      cellList: files.cellList,
      cells: cells.length,
      grid: o.grid,
      backend: o.backend,
      now,
    }),
  );
  chmodSync(files.script, 0o755);
  return files;
}

/** `2025-01-02T03-04-05`: a timestamp usable in folder names. */
export function folderTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/:/g, '-');
}

/** Exit codes after a signal stopped a study, as `vqkit train` uses them. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs `fn` with an AbortSignal that SIGINT/SIGTERM abort: the current step finishes and is
 * checkpointed, no further cell starts, and the process exit code becomes 130/143. A second signal
 * exits at once.
 */
export async function withInterruptSignal<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(SIGNAL_EXIT[sig] ?? 130);
    received = sig;
    console.error(
      `\nvqkit: ${sig} received — finishing the current step and writing a checkpoint (again to quit now)`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (received !== null) process.exitCode = SIGNAL_EXIT[received] ?? 130;
  }
}

/** One line per outcome status, e.g. `3 trained, 1 skipped (finished), 0 failed`. */
export function summarizeOutcomes(outcomes: readonly CellOutcome[]): string {
  const n = (s: CellOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  const parts = [
    `${n('trained')} trained`,
    `${n('evaluated')} evaluated`,
    `${n('skipped')} skipped (finished)`,
  ];
  if (n('interrupted') > 0) parts.push(`${n('interrupted')} interrupted`);
  parts.push(`${n('failed')} failed`);
  return parts.join(', ');
}

/** Parses `1024,2048` into positive integers. */
export function parseIntList(flag: string, value: string): number[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out = items.map(Number);
  if (items.length === 0 || out.some((v) => !Number.isSafeInteger(v) || v < 1)) {
    throw inputError(
      `${flag} expects a comma-separated list of positive integers, e.g. ${flag} 1024,2048; got '${value}'.`,
    );
  }
  return out;
}
