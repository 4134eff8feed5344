import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { collectSets } from '../config/cli-options';
import { inputError } from '../config/errors';
import { errnoOf } from '../config/output-dir';
import { resolveConfig, UNSET_DATA, unsetDataKeys } from '../config/resolve';
import { runConfigSchema } from '../config/schema';
import { hyperparameterTable } from '../config/sources';

interface ConfigFlags {
  print?: string;
  schema?: boolean;
  sources?: string | true;
  set: string[];
  format: string;
  out?: string;
}

/** The JSON Schema (draft 2020-12) of a run config file, for editor completion and validation. */
export function runConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(runConfigSchema, { io: 'input' }),
    title: 'vqkit run config',
    description:
      'A run of the single-level vs hierarchical VQ-VAE study (`vqkit train --config <file>`). Every key but data.train / data.val has a default; `vqkit config --print paper` shows them all.',
  };
}

/**
 * The resolved config as text (YAML or JSON) with every default filled in. Data folders that are
 * not set are left out (and listed in `unset`) rather than printed as a placeholder.
 */
export function printableConfig(
  source: string,
  sets: readonly string[],
  format: 'yaml' | 'json',
): { text: string; unset: string[] } {
  const config = resolveConfig(source, sets, { requireData: false });
  const unset = unsetDataKeys(config);
  const data: Record<string, unknown> = { ...config.data };
  for (const key of ['train', 'val'] as const) if (data[key] === UNSET_DATA) delete data[key];
  const printed = { ...config, data };
  const text = format === 'json' ? `${JSON.stringify(printed, null, 2)}\n` : toYaml(printed);
  return { text, unset };
}

function emit(text: string, out: string | undefined): void {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(out, text);
  } catch (error) {
    throw inputError(
      `config --out '${out}' cannot be written (${errnoOf(error)}: ${(error as Error).message}). Choose a writable file path.`,
      error,
    );
  }
  process.stderr.write(`vqkit config: wrote ${out}\n`);
}

/**
 * `vqkit config --print <preset|file> [--set k=v …] [--format yaml|json]`: the resolved config;
 * `vqkit config --schema [--out file]`: its JSON Schema; `vqkit config --sources [preset|file]`: the
 * hyperparameter table (value and source of each).
 */
export function register(program: Command): void {
  program
    .command('config')
    .description(
      'Print a resolved run config (--print), its JSON Schema (--schema), or where each hyperparameter comes from (--sources)',
    )
    .option('--print <file|preset>', 'print this config with every default filled in')
    .option('--set <key=value>', 'override a config key (repeatable)', collectSets, [])
    .option('--format <yaml|json>', 'output format of --print', 'yaml')
    .option('--schema', 'print the JSON Schema of a run config file')
    .option('--sources [file|preset]', 'print the hyperparameter table: value and source of each')
    .option('--out <file>', 'write to this file instead of stdout')
    .action((flags: ConfigFlags) => {
      const modes = [flags.print !== undefined, flags.schema === true, flags.sources !== undefined];
      if (modes.filter(Boolean).length !== 1) {
        throw inputError(
          'config: pass exactly one of --print <preset|file>, --schema or --sources [preset|file]. Example: vqkit config --print paper --set train.epochs=10',
        );
      }
      if (flags.format !== 'yaml' && flags.format !== 'json') {
        throw inputError(`config --format: expected 'yaml' or 'json', got '${flags.format}'.`);
      }
      if (flags.schema) {
        emit(`${JSON.stringify(runConfigJsonSchema(), null, 2)}\n`, flags.out);
        return;
      }
      if (flags.sources !== undefined) {
        const source = flags.sources === true ? 'paper' : flags.sources;
        emit(
          hyperparameterTable([resolveConfig(source, flags.set, { requireData: false })]),
          flags.out,
        );
        return;
      }
      const { text, unset } = printableConfig(flags.print!, flags.set, flags.format);
      emit(text, flags.out);
      if (unset.length > 0) {
        process.stderr.write(
          `note: ${unset.join(' and ')} not set; training needs them, e.g. --set data.train=/data/imagenet/train --set data.val=/data/imagenet/val (or 'demo').\n`,
        );
      }
    });
}
