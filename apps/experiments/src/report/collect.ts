import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { inputError } from '../config/errors';
import { type MetricsFile, parseMetricsFile } from './metrics-file';

/** A finished run: its directory and its parsed `metrics.json`. */
export interface FinishedRun {
  /** Absolute path of the run directory. */
  dir: string;
  /** Short, unique label: the path relative to the `--runs` folder it was found under. */
  id: string;
  metrics: MetricsFile;
}

/** Why a run directory is not in the report. */
export type SkipStatus = 'unfinished' | 'not-evaluated' | 'invalid';

/** A run directory that is listed but not used. */
export interface SkippedRun {
  dir: string;
  id: string;
  status: SkipStatus;
  /** What is wrong and how to fix it. */
  reason: string;
}

/** Everything found under the `--runs` paths. */
export interface CollectedRuns {
  runs: FinishedRun[];
  skipped: SkippedRun[];
}

/** Files whose presence makes a directory a run directory. */
const RUN_MARKERS = ['metrics.json', 'config.json', 'train-summary.json', 'log.jsonl'];
/** Sub-folders of a run that never hold runs themselves. */
const NOT_RUNS = new Set(['checkpoints', 'samples', 'node_modules', '.git']);
/** How deep below a `--runs` folder run directories are searched. */
const MAX_DEPTH = 4;

/** True when `dir` holds any of a run directory's files. */
export function isRunDir(dir: string): boolean {
  return RUN_MARKERS.some((f) => existsSync(join(dir, f)));
}

/**
 * Classifies one run directory: finished (valid `metrics.json` with schema `vqkit.metrics/1`),
 * trained but not evaluated, unfinished, or invalid.
 */
export function classifyRunDir(dir: string, id: string): FinishedRun | SkippedRun {
  const metricsPath = join(dir, 'metrics.json');
  if (existsSync(metricsPath)) {
    const parsed = parseMetricsFile(readFileSync(metricsPath, 'utf8'));
    if (parsed.ok) return { dir, id, metrics: parsed.metrics };
    return {
      dir,
      id,
      status: 'invalid',
      reason: `${parsed.reason}; re-evaluate with \`vqkit eval --run ${dir}\``,
    };
  }
  if (existsSync(join(dir, 'train-summary.json'))) {
    return {
      dir,
      id,
      status: 'not-evaluated',
      reason: `trained but not evaluated (no metrics.json); run \`vqkit eval --run ${dir}\``,
    };
  }
  return {
    dir,
    id,
    status: 'unfinished',
    reason: `training has not finished (no train-summary.json); resume with \`vqkit train --resume --run-dir ${dir}\` or rerun its sweep cell`,
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Run directories at or below `root` (depth-first, sorted by name). */
function findRunDirs(root: string, depth: number, out: string[]): void {
  if (isRunDir(root)) {
    out.push(root);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  // A report folder written by `vqkit report` is not a run and holds none.
  if (existsSync(join(root, 'report.json')) && existsSync(join(root, 'table1.md'))) return;
  const names = readdirSync(root).sort();
  for (const name of names) {
    if (NOT_RUNS.has(name) || name.startsWith('.')) continue;
    const child = join(root, name);
    if (isDirectory(child)) findRunDirs(child, depth + 1, out);
  }
}

/**
 * Collects every run under `paths`; each path is a run directory or a folder of run directories
 * (searched up to 4 levels deep). Runs found twice are kept once. Every run directory that is not
 * finished is returned in `skipped` with its reason, never silently dropped.
 *
 * @throws ExperimentsError (exit 2) when a path does not exist, is not a folder, or holds no run.
 */
export function collectRuns(paths: readonly string[]): CollectedRuns {
  if (paths.length === 0) {
    throw inputError(
      'report: --runs needs at least one run directory or folder of runs, e.g. --runs ./vqkit-runs/demo-2025…',
    );
  }
  const runs: FinishedRun[] = [];
  const skipped: SkippedRun[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    const abs = resolve(path);
    if (!existsSync(abs)) {
      throw inputError(
        `report: --runs '${path}' does not exist. Pass a run directory (with config.json / metrics.json) or a folder that holds run directories.`,
      );
    }
    if (!isDirectory(abs)) {
      throw inputError(
        `report: --runs '${path}' is a file, expected a run directory or a folder of run directories (pass its parent folder).`,
      );
    }
    const dirs: string[] = [];
    findRunDirs(abs, 0, dirs);
    if (dirs.length === 0) {
      throw inputError(
        `report: no run directory under '${path}' (a run directory holds config.json or metrics.json, written by \`vqkit train\` / \`vqkit eval\`). Check the path or run \`vqkit sweep\` / \`vqkit demo\` first.`,
      );
    }
    for (const dir of dirs) {
      const real = realpathSync(dir);
      if (seen.has(real)) continue;
      seen.add(real);
      const rel = relative(abs, dir);
      const id = rel === '' ? relative(resolve(abs, '..'), dir) : rel;
      const result = classifyRunDir(dir, id);
      if ('metrics' in result) runs.push(result);
      else skipped.push(result);
    }
  }
  uniquifyIds(runs, skipped);
  return { runs, skipped };
}

/** Makes run ids unique when two `--runs` folders contain runs with the same relative name. */
function uniquifyIds(runs: FinishedRun[], skipped: SkippedRun[]): void {
  const count = new Map<string, number>();
  for (const r of [...runs, ...skipped]) count.set(r.id, (count.get(r.id) ?? 0) + 1);
  for (const r of [...runs, ...skipped]) {
    if ((count.get(r.id) ?? 0) > 1) r.id = r.dir;
  }
}
