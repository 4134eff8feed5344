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
    .option('--list', 'print the cells and exit')
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

function positive(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw inputError(`${flag} expects a non-negative integer, got '${value}'.`);
  return n;
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
    fromDim: positive('--from-dim', flags.fromDim),
    toDim: positive('--to-dim', flags.toDim),
  };
  if (flags.list) {
    for (const [i, c] of studyCells(options).entries())
      console.log(`${i}\t${c.id}\t${c.description}`);
    return;
  }
  if (flags.emit !== undefined) {
    if (flags.emit !== 'slurm')
      throw inputError(`--emit: unknown kind '${flags.emit}'. Supported: slurm.`);
    const files = emitSlurm(options, {
      time: flags.slurmTime,
      gpus: positive('--slurm-gpus', flags.slurmGpus),
      cpus: positive('--slurm-cpus', flags.slurmCpus),
      mem: flags.slurmMem,
      partition: flags.slurmPartition,
      account: flags.slurmAccount,
      parallel: positive('--slurm-parallel', flags.slurmParallel),
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
        'Run a grid of cells one after another (finished cells are skipped), or write a SLURM job array (--emit slurm). Grids: paper (K×D grid + Table 1 pairs, 28 cells), table1 (16), kxd (20), ablation (8), demo (8)',
      )
      .option('--grid <name>', `which grid: ${GRID_NAMES.join(', ')}`, 'paper')
      .option('--ks <list>', 'codebook sizes Ks, comma-separated (default 1024,2048,4096,8192)')
      .option('--ds <list>', 'code dimensions Ds, comma-separated (default 8,16,32,64,128)'),
    'paper',
  ).action(async (flags: StudyFlags & { grid: string }) => {
    await studyAction(flags, flags.grid, join('vqkit-runs', `sweep-${flags.grid}`));
  });
}
