import { join } from 'node:path';
import type { Command } from 'commander';
import { addBackendOption, collectSets } from '../config/cli-options';
import { inputError } from '../config/errors';
import { resolveConfig } from '../config/resolve';
import type { RunConfig } from '../config/schema';
import { withInterrupt } from '../interrupt';
import { dryRunCommand } from '../train/dry-run';
import { trainRun } from '../train/train-run';

interface TrainFlags {
  config?: string;
  set?: string[];
  runDir?: string;
  resume?: boolean;
  allowOlderCheckpoint?: boolean;
  allowUnmatched?: boolean;
  backend: string;
  quiet?: boolean;
  dryRun?: boolean;
}

/** The resolved config, or null with `--resume` alone (the run's saved config.json is used). */
function flagsConfig(flags: TrainFlags): RunConfig | null {
  const sets = [...(flags.set ?? [])];
  if (flags.allowUnmatched) sets.push('allowUnmatched=true');
  if (flags.config !== undefined) return resolveConfig(flags.config, sets);
  if (!flags.resume) {
    throw inputError(
      'train: --config <file|preset> is required (presets: paper, tiny, demo), unless --resume continues a run dir.',
    );
  }
  if (sets.length > 0) {
    throw inputError(
      'train --resume: --set needs --config too (the saved config.json is used otherwise).',
    );
  }
  return null;
}

/**
 * `vqkit train --config <file|preset> [--set k=v …] [--run-dir d] [--resume [--allow-older-checkpoint]] [--allow-unmatched] [--backend …]`:
 * trains one model. SIGINT/SIGTERM finish the current step, write a checkpoint and exit with 130/143;
 * a second signal exits at once (the last checkpoint stays loadable: checkpoints are written atomically).
 */
export function register(program: Command): void {
  const command = program
    .command('train')
    .description(
      'Train one model of a matched single-level / hierarchical pair (progress on stderr, JSONL log, checkpoints)',
    )
    .option(
      '-c, --config <file|preset>',
      'run config: a JSON/YAML file or a preset (paper, tiny, demo)',
    )
    .option(
      '-s, --set <key=value>',
      'override a config key, e.g. --set train.epochs=10 (repeatable; value parsed as JSON when possible)',
      collectSets,
    )
    .option('-r, --run-dir <dir>', 'run directory (default: vqkit-runs/<config name>)')
    .option('--resume', 'continue the run in --run-dir from its latest checkpoint')
    .option(
      '--allow-older-checkpoint',
      'with --resume: when the newest checkpoints are damaged, continue from the newest intact one',
    )
    .option(
      '--allow-unmatched',
      'train even if the pair does not satisfy eqs. 4–5 (metrics.json then says so)',
    )
    .option('-q, --quiet', 'no progress output')
    .option(
      '--dry-run',
      'build both sides of the pair, print parameters, latents, index bits and the matched-pair check; train nothing',
    );
  addBackendOption(command);
  command.action(async (flags: TrainFlags) => {
    const sets = [...(flags.set ?? [])];
    if (flags.allowUnmatched) sets.push('allowUnmatched=true');
    if (flags.dryRun) return void (await dryRunCommand(flags.config, sets));
    const config = flagsConfig(flags);
    if (flags.resume && flags.runDir === undefined) {
      throw inputError('train --resume: pass --run-dir <dir> with the run to continue.');
    }
    const runDir = flags.runDir ?? join('vqkit-runs', config!.name);
    const summary = await withInterrupt(
      (signal) =>
        `${signal}: finishing the current step and writing a checkpoint (press again to exit at once)…`,
      (signal) =>
        trainRun(config, {
          runDir,
          backend: flags.backend,
          resume: flags.resume ?? false,
          allowOlderCheckpoint: flags.allowOlderCheckpoint ?? false,
          quiet: flags.quiet ?? false,
          signal,
        }),
    );
    if (summary.status === 'interrupted') {
      process.stderr.write(
        `stopped at step ${summary.steps}; resume with: vqkit train --resume --run-dir ${runDir}\n`,
      );
    } else {
      process.stdout.write(`${runDir}\n`);
    }
  });
}
