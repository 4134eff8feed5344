import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inputError } from '../config/errors';
import { experimentsPackageRoot } from '../run-dir';

/** Options of {@link slurmScript}. */
export interface SlurmOptions {
  /** Absolute runs folder; every cell writes `<runsDir>/<cell-id>/`. */
  runsDir: string;
  /** Absolute path of the cells manifest (`sweep-manifest.json`). */
  manifest: string;
  /** Absolute path of the cell list, one id per line; line i+1 is array task i. */
  cellList: string;
  /** Number of cells N (the array is 0-(N−1)). */
  cells: number;
  /** Grid name, for the job name. */
  grid: string;
  /** `--backend` of every task. @default 'auto' */
  backend?: string;
  /** The command that runs vqkit on the cluster; `$VQKIT` overrides it at submit time. @default `node <this install>/bin/vqkit.js` */
  vqkit?: string;
  /** `#SBATCH --time`. @default '48:00:00' */
  time?: string;
  /** `#SBATCH --gpus-per-task`; 0 omits the line. @default 1 */
  gpus?: number;
  /** `#SBATCH --cpus-per-task`. @default 8 */
  cpus?: number;
  /** `#SBATCH --mem`, e.g. '32G'. @default omitted */
  mem?: string;
  /** `#SBATCH --partition`. @default omitted */
  partition?: string;
  /** `#SBATCH --account`. @default omitted */
  account?: string;
  /** Run at most this many tasks at once (`--array=0-N%limit`). @default unlimited */
  parallel?: number;
  /** Generation time, written in the header. */
  now: Date;
}

/** Single-quotes a string for bash. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The default command that runs this installation's vqkit CLI. */
export function defaultVqkitCommand(): string {
  const root = experimentsPackageRoot();
  const bin = root === null ? null : join(root, 'bin', 'vqkit.js');
  return bin !== null && existsSync(bin) ? `node ${shellQuote(bin)}` : 'npx vqkit';
}

const SAFE = /^[A-Za-z0-9_.:%/+-]+$/;

function sbatchValue(name: string, value: string): string {
  if (!SAFE.test(value)) {
    throw inputError(
      `sweep --emit slurm: --slurm-${name} '${value}' contains characters SLURM directives cannot carry; use letters, digits and _.:%/+- only.`,
    );
  }
  return value;
}

/**
 * A SLURM job-array script that runs one sweep cell per array task: task i looks up line i+1 of the
 * cell list and runs `vqkit sweep --manifest … --only <cell-id>`, which trains and evaluates that
 * cell into `<runsDir>/<cell-id>/` (or skips it when already finished). Submit with
 * `sbatch <script>`; merge with `vqkit report --runs <runsDir>` from anywhere.
 */
export function slurmScript(o: SlurmOptions): string {
  if (o.cells < 1)
    throw inputError('sweep --emit slurm: the grid has no cells; nothing to submit.');
  const array = `0-${o.cells - 1}${o.parallel !== undefined ? `%${o.parallel}` : ''}`;
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=vqkit-${sbatchValue('grid', o.grid)}`,
    `#SBATCH --array=${array}`,
    `#SBATCH --output=${sbatchValue('runs-dir', join(o.runsDir, 'slurm-logs'))}/%x-%A_%a.out`,
    `#SBATCH --time=${sbatchValue('time', o.time ?? '48:00:00')}`,
    `#SBATCH --ntasks=1`,
    `#SBATCH --cpus-per-task=${o.cpus ?? 8}`,
  ];
  if ((o.gpus ?? 1) > 0) lines.push(`#SBATCH --gpus-per-task=${o.gpus ?? 1}`);
  if (o.mem !== undefined) lines.push(`#SBATCH --mem=${sbatchValue('mem', o.mem)}`);
  if (o.partition !== undefined)
    lines.push(`#SBATCH --partition=${sbatchValue('partition', o.partition)}`);
  if (o.account !== undefined) lines.push(`#SBATCH --account=${sbatchValue('account', o.account)}`);
  lines.push(
    '',
    `# vqkit sweep, grid '${o.grid}': ${o.cells} cells, one per array task (generated ${o.now.toISOString()}).`,
    '# Each cell owns its directory under RUNS_DIR, so tasks may run anywhere; a finished cell is skipped.',
    `# Submit: sbatch ${join(o.runsDir, 'sweep.sbatch')}`,
    `# Merge:  vqkit report --runs ${o.runsDir}`,
    '# Override the vqkit command at submit time with VQKIT="..." (e.g. VQKIT="npx vqkit").',
    'set -euo pipefail',
    '',
    `RUNS_DIR=${shellQuote(o.runsDir)}`,
    `MANIFEST=${shellQuote(o.manifest)}`,
    `CELLS=${shellQuote(o.cellList)}`,
    `BACKEND=${shellQuote(o.backend ?? 'auto')}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
    'if [ -n "${VQKIT:-}" ]; then',
    '  read -r -a VQKIT_CMD <<< "$VQKIT"',
    'else',
    `  VQKIT_CMD=(${o.vqkit ?? defaultVqkitCommand()})`,
    'fi',
    '',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
    'if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then',
    '  echo "vqkit sweep: SLURM_ARRAY_TASK_ID is not set; submit this script with sbatch (or set it to run one cell by hand)." >&2',
    '  exit 2',
    'fi',
    'CELL="$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$CELLS")"',
    'if [ -z "$CELL" ]; then',
    `  echo "vqkit sweep: no cell for array task $SLURM_ARRAY_TASK_ID in $CELLS (it lists ${o.cells} cells: tasks 0-${o.cells - 1})." >&2`,
    '  exit 2',
    'fi',
    'echo "vqkit sweep: array task $SLURM_ARRAY_TASK_ID runs cell $CELL on $(hostname)"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
    'exec "${VQKIT_CMD[@]}" sweep --manifest "$MANIFEST" --only "$CELL" --runs-dir "$RUNS_DIR" --backend "$BACKEND" --quiet',
    '',
  );
  return lines.join('\n');
}
