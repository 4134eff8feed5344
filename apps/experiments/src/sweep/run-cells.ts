import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunConfig } from '../config/schema';
import { evaluateRun } from '../eval/evaluate';
import { classifyRunDir } from '../report/collect';
import { trainRun } from '../train/train-run';
import type { SweepCell } from './grids';

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
  const log = options.log ?? ((line: string) => console.error(line));
  const train = options.train ?? trainRun;
  const evaluate = options.evaluate ?? evaluateRun;
  const outcomes: CellOutcome[] = [];
  for (const [i, cell] of cells.entries()) {
    const dir = join(options.runsDir, cell.id);
    const tag = `[${i + 1}/${cells.length}] ${cell.id}`;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    if (options.signal?.aborted) {
      log(`${tag}: not started (interrupted)`);
      outcomes.push({
        id: cell.id,
        dir,
        status: 'interrupted',
        seconds: 0,
        message: 'sweep interrupted before this cell',
      });
      continue;
    }
    const state = existsSync(dir) ? classifyRunDir(dir, cell.id) : null;
    if (state !== null && 'metrics' in state) {
      const differs = configDiffers(dir, cell.config);
      const message = differs
        ? `finished, skipping — note: its config.json differs from this sweep's cell config; delete ${dir} to rerun it`
        : 'finished (metrics.json present), skipping';
      log(`${tag}: ${message}`);
      outcomes.push({ id: cell.id, dir, status: 'skipped', seconds: seconds(), message });
      continue;
    }
    try {
      let trained = false;
      if (state === null || state.status !== 'not-evaluated') {
        const resume = existsSync(join(dir, 'config.json'));
        log(`${tag}: ${resume ? 'resuming' : 'training'} — ${cell.description}`);
        const summary = await train(cell.config, {
          runDir: dir,
          backend: options.backend,
          resume,
          quiet: options.quiet,
          signal: options.signal,
        });
        if (summary.status !== 'completed') {
          log(`${tag}: interrupted at step ${summary.steps}; rerun the same command to resume`);
          outcomes.push({
            id: cell.id,
            dir,
            status: 'interrupted',
            seconds: seconds(),
            message: `stopped at step ${summary.steps}`,
          });
          continue;
        }
        trained = true;
      }
      log(`${tag}: evaluating`);
      const metrics = await evaluate(dir, { backend: options.backend, quiet: options.quiet });
      const t = seconds();
      log(
        `${tag}: done in ${t.toFixed(1)} s — PSNR ${metrics.psnr.mean.toFixed(2)} dB, MSE ${metrics.mse.mean.toPrecision(3)}`,
      );
      outcomes.push({ id: cell.id, dir, status: trained ? 'trained' : 'evaluated', seconds: t });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      log(`${tag}: FAILED — ${message}`);
      outcomes.push({ id: cell.id, dir, status: 'failed', seconds: seconds(), message });
      if (options.failFast) throw error;
    }
  }
  return outcomes;
}
