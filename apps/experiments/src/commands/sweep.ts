import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { addBackendOption, collectSets } from '../config/cli-options';
import { inputError } from '../config/errors';
import { GRID_NAMES } from '../sweep/grids';
import {
  emitSlurm,
  parseIntList,
  runStudy,
  type StudyOptions,
  studyCells,
  summarizeOutcomes,
  withInterruptSignal,
} from '../sweep/study';

/** Flags shared by `sweep` and `ablate`. */
export interface StudyFlags {
  config: string;
  set: string[];
  runsDir?: string;
  manifest?: string;
  only: string[];
  emit?: string;
  list?: boolean;
  backend: string;
  quiet?: boolean;
  failFast?: boolean;
  ks?: string;
  ds?: string;
  fromDim?: string;
  toDim?: string;
  seeds: string;
  jobs: string;
  match?: string;
  pair?: string;
  slurmTime?: string;
  slurmGpus?: string;
  slurmCpus?: string;
  slurmMem?: string;
  slurmPartition?: string;
  slurmAccount?: string;
  slurmParallel?: string;
  vqkitCommand?: string;
}

/** Adds the options `sweep` and `ablate` share. */
export function studyFlags(command: Command, defaultConfig: string): Command {
  return addBackendOption(command)
    .option(
      '--config <file|preset>',
      'base run config: a preset (paper, tiny, demo) or a JSON/YAML file',
      defaultConfig,
    )
    .option(
      '--set <key=value>',
      'override a base config key (repeatable), e.g. --set train.epochs=10',
      collectSets,
      [],
    )
    .option('--runs-dir <dir>', 'folder holding one directory per cell')
    .option(
      '--manifest <file>',
      'run cells from a cells manifest (sweep-manifest.json) instead of --config',
    )
    .option(
      '--only <cell-id>',
      'run only this cell (repeatable); used by each SLURM array task',
      collectSets,
      [],
    )
    .option(
      '--emit <kind>',
      "write a job script instead of running: 'slurm' (one array task per cell)",
    )
    .option('--list', 'print the cells and exit (no data folders needed)')
    .option('--seeds <n>', 'runs per cell with seeds s, s+1, … (error bars across seeds)', '1')
    .option(
      '--jobs <n>',
      'cells trained at once, each in its own process (with VQKIT_CPU_THREADS=1 when n > 1)',
      '1',
    )
    .option('--quiet', 'no per-step progress output')
    .option('--fail-fast', 'stop at the first failing cell')
    .option('--slurm-time <hh:mm:ss>', 'SLURM time limit per cell', '48:00:00')
    .option('--slurm-gpus <n>', 'GPUs per array task (0: none)', '1')
    .option('--slurm-cpus <n>', 'CPUs per array task', '8')
    .option('--slurm-mem <size>', 'memory per array task, e.g. 32G')
    .option('--slurm-partition <name>', 'SLURM partition')
    .option('--slurm-account <name>', 'SLURM account')
    .option('--slurm-parallel <n>', 'run at most n array tasks at once')
    .option(
      '--vqkit-command <cmd>',
      'how array tasks start vqkit (default: node <this install>/bin/vqkit.js)',
    );
}

/** Parses an integer flag ≥ `min` (undefined stays undefined). */
export function intFlag(flag: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*[+]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw inputError(
      `${flag} expects ${min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`}, got '${value}'. Example: ${flag} ${Math.max(min, 1) + 1}`,
    );
  }
  return n;
}

const positive = (flag: string, value: string | undefined) => intFlag(flag, value, 0);

/** `--match kd|bits`. */
function matchFlag(value: string | undefined): 'kd' | 'bits' | undefined {
  if (value === undefined || value === 'kd' || value === 'bits') return value;
  throw inputError(
    `--match expects 'kd' (eqs. 4–5, the paper) or 'bits' (equal index bits per image), got '${value}'.`,
  );
}

/** `--pair Ks,Ds` (the families grid's Table 1 pair). */
function pairFlag(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const list = parseIntList('--pair', value);
  if (list.length !== 2) {
    throw inputError(
      `--pair expects Ks,Ds — a Table 1 pair's single-level codebook size and code dimension, e.g. --pair 256,8; got '${value}'.`,
    );
  }
  return [list[0]!, list[1]!];
}

/** Runs, lists or emits a study for `sweep` / `ablate`. */
export async function studyAction(
  flags: StudyFlags,
  grid: string,
  defaultRunsDir: string,
): Promise<void> {
  const options: StudyOptions = {
    config: flags.config,
    sets: flags.set,
    grid,
    runsDir: resolve(flags.runsDir ?? defaultRunsDir),
    manifest: flags.manifest,
    only: flags.only,
    backend: flags.backend,
    quiet: flags.quiet,
    failFast: flags.failFast,
    codebookSizes: flags.ks === undefined ? undefined : parseIntList('--ks', flags.ks),
    codeDims: flags.ds === undefined ? undefined : parseIntList('--ds', flags.ds),
    fromDim: intFlag('--from-dim', flags.fromDim, 1),
    toDim: intFlag('--to-dim', flags.toDim, 1),
    seeds: intFlag('--seeds', flags.seeds, 1),
    jobs: intFlag('--jobs', flags.jobs, 1),
    match: matchFlag(flags.match),
    pair: pairFlag(flags.pair),
  };
  if (flags.list) {
    for (const [i, c] of studyCells(options, { requireData: false }).entries())
      console.log(`${i}\t${c.id}\t${c.description}`);
    return;
  }
  if (flags.emit !== undefined) {
    if (flags.emit !== 'slurm')
      throw inputError(`--emit: unknown kind '${flags.emit}'. Supported: slurm.`);
    const files = emitSlurm(options, {
      time: flags.slurmTime,
      gpus: positive('--slurm-gpus', flags.slurmGpus),
      cpus: intFlag('--slurm-cpus', flags.slurmCpus, 1),
      mem: flags.slurmMem,
      partition: flags.slurmPartition,
      account: flags.slurmAccount,
      parallel: intFlag('--slurm-parallel', flags.slurmParallel, 1),
      vqkit: flags.vqkitCommand,
    });
    console.log(`SLURM job array for ${files.cells} cells:`);
    console.log(`  script:   ${files.script}`);
    console.log(`  manifest: ${files.manifest}`);
    console.log(`  cells:    ${files.cellList}`);
    console.log(`Submit with: sbatch ${files.script}`);
    console.log(`Then merge:  vqkit report --runs ${options.runsDir}`);
    return;
  }
  const { outcomes } = await withInterruptSignal((signal) => runStudy({ ...options, signal }));
  console.log(
    `${grid === 'ablation' ? 'ablate' : 'sweep'}: ${summarizeOutcomes(outcomes)} — cells in ${options.runsDir}`,
  );
  console.log(`Report: vqkit report --runs ${options.runsDir}`);
  if (outcomes.some((o) => o.status === 'failed' || o.status === 'interrupted'))
    process.exitCode = 1;
}

/** `vqkit sweep`: the paper's K×D grid and Table 1's matched pairs, locally or as a SLURM job array. */
export function register(program: Command): void {
  studyFlags(
    program
      .command('sweep')
      .description(
        'Run a grid of cells (one after another, or --jobs at once; finished cells are skipped), or write a SLURM job array (--emit slurm). Grids: paper (K×D grid + Table 1 pairs, 28 cells), table1 (16), kxd (20), ablation (8), demo (18), families (5: one Table 1 pair, hierarchical VQ vs single-level VQ/residual/FSQ/LFQ matched in index bits)',
      )
      .option('--grid <name>', `which grid: ${GRID_NAMES.join(', ')}`, 'paper')
      .option('--ks <list>', 'codebook sizes Ks, comma-separated (default 1024,2048,4096,8192)')
      .option('--ds <list>', 'code dimensions Ds, comma-separated (default 8,16,32,64,128)')
      .option(
        '--match <kd|bits>',
        "how Table 1's pairs are matched: kd = eqs. 4–5 (the paper), bits = equal index bits per image",
        'kd',
      )
      .option(
        '--pair <Ks,Ds>',
        "--grid families: the Table 1 pair whose capacity the families match (default: the config's model.single), e.g. 256,8",
      ),
    'paper',
  ).action(async (flags: StudyFlags & { grid: string }) => {
    const suffix = flags.match === 'bits' ? '-bits' : '';
    await studyAction(flags, flags.grid, join('vqkit-runs', `sweep-${flags.grid}${suffix}`));
  });
}
