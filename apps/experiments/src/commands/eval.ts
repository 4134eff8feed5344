import type { Command } from 'commander';
import { addBackendOption } from '../config/cli-options';
import { evaluateRun } from '../eval/evaluate';

/**
 * `vqkit eval --run <dir> [--data <dir>] [--backend …]`: evaluates a trained run and writes
 * `<dir>/metrics.json` and `<dir>/samples/`; prints the metrics path on stdout.
 */
export function register(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'Evaluate a trained run: MSE/PSNR/SSIM, per-level perplexity, Lorenz, Gini, bits per pixel → metrics.json',
    )
    .requiredOption('--run <dir>', 'run directory written by vqkit train')
    .option('--data <dir>', "evaluation images (a folder, or 'demo'); default: the run's data.val")
    .option('-q, --quiet', 'no progress output');
  addBackendOption(command);
  command.action(
    async (flags: { run: string; data?: string; backend: string; quiet?: boolean }) => {
      await evaluateRun(flags.run, {
        ...(flags.data === undefined ? {} : { data: flags.data }),
        backend: flags.backend,
        quiet: flags.quiet ?? false,
      });
      process.stdout.write(`${flags.run}/metrics.json\n`);
    },
  );
}
