import type { Command } from 'commander';
import { addBackendOption } from '../config/cli-options';
import { evaluateRun } from '../eval/evaluate';
import { withInterrupt } from '../interrupt';

interface EvalFlags {
  run: string;
  data?: string;
  checkpoint: string;
  allowOlderCheckpoint?: boolean;
  backend: string;
  quiet?: boolean;
}

/**
 * `vqkit eval --run <dir> [--checkpoint last|best|<file>] [--allow-older-checkpoint] [--data <dir>] [--backend …]`:
 * evaluates a trained run on its test split (`data.test`; `data.val` when there is none) and writes
 * `<dir>/metrics.json` and `<dir>/samples/`; prints the metrics path on stdout. SIGINT/SIGTERM stop
 * it after the current batch, writing nothing (exit 130/143).
 */
export function register(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'Evaluate a trained run on its test split: MSE/PSNR/SSIM, per-level perplexity, Lorenz, Gini, bits per pixel → metrics.json',
    )
    .requiredOption('--run <dir>', 'run directory written by vqkit train')
    .option(
      '--checkpoint <last|best|file>',
      'which checkpoint: last (the trained model, as the paper reports), best (lowest validation MSE), or a file',
      'last',
    )
    .option(
      '--allow-older-checkpoint',
      'when the newest checkpoints are damaged, evaluate the newest intact one instead of refusing',
    )
    .option(
      '--data <dir>',
      "evaluation images (a folder, or 'demo'); default: the run's data.test, else data.val",
    )
    .option('-q, --quiet', 'no progress output');
  addBackendOption(command);
  command.action(async (flags: EvalFlags) => {
    await withInterrupt(
      (signal) =>
        `${signal}: stopping the evaluation after the current batch (nothing is written)…`,
      (signal) =>
        evaluateRun(flags.run, {
          ...(flags.data === undefined ? {} : { data: flags.data }),
          checkpoint: flags.checkpoint,
          allowOlderCheckpoint: flags.allowOlderCheckpoint ?? false,
          backend: flags.backend,
          quiet: flags.quiet ?? false,
          signal,
        }),
    );
    process.stdout.write(`${flags.run}/metrics.json\n`);
  });
}
