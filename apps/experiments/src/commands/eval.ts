import { join } from 'node:path';
import type { Command } from 'commander';
import { addBackendOption } from '../config/cli-options';
import { inputError } from '../config/errors';
import { evaluateRun } from '../eval/evaluate';
import { evaluateModelFile } from '../eval/evaluate-model-file';
import { withInterrupt } from '../interrupt';

interface EvalFlags {
  run?: string;
  data?: string;
  checkpoint?: string;
  out?: string;
  allowOlderCheckpoint?: boolean;
  backend: string;
  quiet?: boolean;
}

/** Which evaluation the flags ask for: a run (`--run`), or a model file alone (`--checkpoint <file>`). */
function evalTarget(flags: EvalFlags): { run: string } | { file: string } {
  if (flags.run !== undefined) {
    if (flags.out !== undefined) {
      throw inputError(
        `eval --out: a run is evaluated into its run directory (${join(flags.run, 'metrics.json')}); --out is for a model file evaluated without --run. Leave out --out.`,
      );
    }
    return { run: flags.run };
  }
  const file = flags.checkpoint;
  if (file === undefined || file === 'last' || file === 'best') {
    throw inputError(
      'eval: pass --run <dir> (a run trained by vqkit train), or --checkpoint <file> alone for a model exported by the playground (e.g. vqkit eval --checkpoint vqkit-playground-hierarchical.safetensors).',
    );
  }
  return { file };
}

/**
 * `vqkit eval --run <dir> [--checkpoint last|best|<file>] [--allow-older-checkpoint] [--data <dir>] [--backend …]`:
 * evaluates a trained run on its test split (`data.test`; `data.val` when there is none) and writes
 * `<dir>/metrics.json` and `<dir>/samples/`. `vqkit eval --checkpoint <file> [--data demo|<dir>] [--out <dir>]`:
 * evaluates a model file without a run — a playground export, rebuilt from its metadata — into `--out`
 * (default `<file name>-eval/` next to the file). Prints the metrics path on stdout. SIGINT/SIGTERM
 * stop it after the current batch, writing nothing (exit 130/143).
 */
export function register(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'Evaluate a trained run (--run) or a playground export (--checkpoint <file>): MSE/PSNR/SSIM, per-level perplexity, Lorenz, Gini, bits per pixel → metrics.json',
    )
    .option('--run <dir>', 'run directory written by vqkit train')
    .option(
      '--checkpoint <last|best|file>',
      'with --run: last (default; the trained model, as the paper reports it), best (lowest validation MSE), or a file; without --run: a model file exported by the playground',
    )
    .option(
      '--allow-older-checkpoint',
      'when the newest checkpoints are damaged, evaluate the newest intact one instead of refusing',
    )
    .option(
      '--data <dir>',
      "evaluation images (a folder, or 'demo'); default: the run's data.test, else data.val; for a model file, demo",
    )
    .option(
      '--out <dir>',
      'without --run: where metrics.json and samples/ go (default: <file name>-eval/ next to the file)',
    )
    .option('-q, --quiet', 'no progress output');
  addBackendOption(command);
  command.action(async (flags: EvalFlags) => {
    const target = evalTarget(flags);
    const common = {
      ...(flags.data === undefined ? {} : { data: flags.data }),
      backend: flags.backend,
      quiet: flags.quiet ?? false,
    };
    const dir = await withInterrupt(
      (signal) =>
        `${signal}: stopping the evaluation after the current batch (nothing is written)…`,
      async (signal) => {
        if ('file' in target) {
          const evaluated = await evaluateModelFile(target.file, {
            ...common,
            ...(flags.out === undefined ? {} : { out: flags.out }),
            signal,
          });
          return evaluated.dir;
        }
        await evaluateRun(target.run, {
          ...common,
          checkpoint: flags.checkpoint ?? 'last',
          allowOlderCheckpoint: flags.allowOlderCheckpoint ?? false,
          signal,
        });
        return target.run;
      },
    );
    process.stdout.write(`${join(dir, 'metrics.json')}\n`);
  });
}
