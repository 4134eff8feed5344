import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { childDir } from '../config/safe-path';
import type { RunConfig } from '../config/schema';
import { evaluateRun } from '../eval/evaluate';
import { classifyRunDir } from '../report/collect';
import { trainRun } from '../train/train-run';
import type { SweepCell } from './sweep-cell';

/** What happened to one cell. */
export type CellStatus = 'skipped' | 'trained' | 'evaluated' | 'interrupted' | 'failed';

/** One cell's outcome. */
export interface CellOutcome {
  id: string;
  dir: string;
  status: CellStatus;
  /** Wall-clock seconds spent on the cell in this invocation. */
  seconds: number;
  /** Why it was skipped, or the error message when it failed. */
  message?: string;
}

/** Options of {@link runCells}. */
export interface RunCellsOptions {
  /** Folder holding one directory per cell, `<runsDir>/<cell-id>/`. */
  runsDir: string;
  /** `auto` | `webgpu` | `tensorflow` | `cpu`, initialised once for all cells. @default 'auto' */
  backend?: string;
  /** No per-step progress (cell lines are still printed through `log`). @default false */
  quiet?: boolean;
  /** Aborting it stops the current cell after its step, with a checkpoint, and runs no further cells. */
  signal?: AbortSignal;
  /** Where one-line cell messages go. @default console.error */
  log?: (line: string) => void;
  /** Stop at the first failing cell instead of continuing with the next. @default false */
  failFast?: boolean;
  /** Training entry point (tests may substitute one). @default trainRun */
  train?: typeof trainRun;
  /** Evaluation entry point (tests may substitute one). @default evaluateRun */
  evaluate?: typeof evaluateRun;
}

/** Canonical JSON of a config for comparison (key order independent). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** True when `<dir>/config.json` exists and differs from `config`. */
function configDiffers(dir: string, config: RunConfig): boolean {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return false;
  try {
    return canonical(JSON.parse(readFileSync(path, 'utf8'))) !== canonical(config);
  } catch {
    return true;
  }
}

/** `<runsDir>/<cell id>`, refused when the id could leave `runsDir` (see {@link childDir}). */
export function cellDir(runsDir: string, id: string): string {
  return childDir(runsDir, id, 'sweep: cell id');
}

/** The skip outcome of a finished cell (valid metrics.json), or null when it still has work to do. */
export function finishedOutcome(cell: SweepCell, dir: string): CellOutcome | null {
  const state = existsSync(dir) ? classifyRunDir(dir, cell.id) : null;
  if (state === null || !('metrics' in state)) return null;
  const message = configDiffers(dir, cell.config)
    ? `finished, skipping — note: its config.json differs from this sweep's cell config; delete ${dir} to rerun it`
    : 'finished (metrics.json present), skipping';
  return { id: cell.id, dir, status: 'skipped', seconds: 0, message };
}

/** Trains (or resumes) a cell that has no train-summary.json yet; null when it completed. */
async function trainCell(
  cell: SweepCell,
  dir: string,
  tag: string,
  options: RunCellsOptions,
): Promise<string | null> {
  const train = options.train ?? trainRun;
  const resume = existsSync(join(dir, 'config.json'));
  options.log?.(`${tag}: ${resume ? 'resuming' : 'training'} — ${cell.description}`);
  const summary = await train(cell.config, {
    runDir: dir,
    backend: options.backend,
    resume,
    quiet: options.quiet,
    signal: options.signal,
  });
  if (summary.status === 'completed') return null;
  options.log?.(`${tag}: interrupted at step ${summary.steps}; rerun the same command to resume`);
  return `stopped at step ${summary.steps}`;
}

/** Trains (unless only evaluation is missing) and evaluates one cell in this process. */
async function runCell(
  cell: SweepCell,
  dir: string,
  tag: string,
  options: RunCellsOptions,
): Promise<CellOutcome> {
  const log = options.log!;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const state = existsSync(dir) ? classifyRunDir(dir, cell.id) : null;
    const trained = state === null || !('status' in state) || state.status !== 'not-evaluated';
    if (trained) {
      const stopped = await trainCell(cell, dir, tag, options);
      if (stopped !== null)
        return { id: cell.id, dir, status: 'interrupted', seconds: seconds(), message: stopped };
    }
    log(`${tag}: evaluating`);
    const evaluate = options.evaluate ?? evaluateRun;
    const metrics = await evaluate(dir, { backend: options.backend, quiet: options.quiet });
    const t = seconds();
    log(
      `${tag}: done in ${t.toFixed(1)} s — PSNR ${metrics.psnr.mean.toFixed(2)} dB, MSE ${metrics.mse.mean.toPrecision(3)}`,
    );
    return { id: cell.id, dir, status: trained ? 'trained' : 'evaluated', seconds: t };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log(`${tag}: FAILED — ${message}`);
    if (options.failFast) throw error;
    return { id: cell.id, dir, status: 'failed', seconds: seconds(), message };
  }
}

/**
 * Runs sweep cells one after another, each in its own `<runsDir>/<cell-id>/`: a finished cell
 * (valid metrics.json) is skipped and says so; a trained but unevaluated cell is only evaluated; a
 * cell with a config but no train-summary.json resumes from its last checkpoint; otherwise it trains
 * from scratch and is evaluated. A failing cell is reported and the sweep continues (unless
 * `failFast`); an abort stops after the current cell's checkpoint.
 */
export async function runCells(
  cells: readonly SweepCell[],
  options: RunCellsOptions,
): Promise<CellOutcome[]> {
  const o = { ...options, log: options.log ?? ((line: string) => console.error(line)) };
  const dirs = cells.map((c) => cellDir(o.runsDir, c.id));
  const outcomes: CellOutcome[] = [];
  for (const [i, cell] of cells.entries()) {
    const dir = dirs[i]!;
    const tag = `[${i + 1}/${cells.length}] ${cell.id}`;
    if (o.signal?.aborted) {
      o.log(`${tag}: not started (interrupted)`);
      const message = 'sweep interrupted before this cell';
      outcomes.push({ id: cell.id, dir, status: 'interrupted', seconds: 0, message });
      continue;
    }
    const skipped = finishedOutcome(cell, dir);
    if (skipped !== null) o.log(`${tag}: ${skipped.message}`);
    outcomes.push(skipped ?? (await runCell(cell, dir, tag, o)));
  }
  return outcomes;
}
