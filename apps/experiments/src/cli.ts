#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shutdownBackend } from '@vqkit/runtime';
import { Command, CommanderError } from 'commander';
import { register as registerAblate } from './commands/ablate';
import { register as registerBackend } from './commands/backend';
import { register as registerCapacity } from './commands/capacity';
import { register as registerConfig } from './commands/config';
import { register as registerDemo } from './commands/demo';
import { register as registerEval } from './commands/eval';
import { register as registerPlayground } from './commands/playground';
import { register as registerReport } from './commands/report';
import { register as registerSweep } from './commands/sweep';
import { register as registerTrain } from './commands/train';
import { ExperimentsError } from './config/errors';
import { observeStopSignals, signalExitCode } from './interrupt';
import { experimentsPackageRoot } from './run-dir';

/** Error classes whose failures are bad input (exit code 2) rather than runtime failures. */
const INPUT_ERROR_NAMES = new Set(['CapacityError', 'BackbonesError', 'DataError', 'ZodError']);

/** The `vqkit` program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('vqkit')
    .description(
      'Single-level vs hierarchical VQ-VAE under matched capacity (Reyhanian & Wiskott): train, evaluate, sweep, ablate, report.',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerDemo(program);
  registerTrain(program);
  registerEval(program);
  registerSweep(program);
  registerAblate(program);
  registerReport(program);
  registerCapacity(program);
  registerPlayground(program);
  registerConfig(program);
  registerBackend(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

function packageVersion(): string {
  const root = experimentsPackageRoot();
  if (root === null) return 'unknown';
  try {
    return (
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string })
        .version ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the CLI on `argv` (as `process.argv`) and returns the exit code: 0 ok, 2 bad input (config,
 * flags, unmatched pair, unusable paths), 1 runtime failure, 130/143 when SIGINT/SIGTERM stopped
 * the command (training and sweeps stop after the current step's checkpoint, evaluations after the
 * current batch) — whatever exit code the command itself chose.
 */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  const signals = observeStopSignals();
  // Commands report non-zero outcomes (capacity's exit code) via process.exitCode.
  process.exitCode = undefined;
  try {
    const code = await runProgram(program, argv);
    const signal = signals.received();
    return signal === null ? code : signalExitCode(signal);
  } finally {
    signals.dispose();
    process.exitCode = undefined;
    await shutdownBackend().catch(() => false);
  }
}

/** Parses and runs one command; maps what it throws to an exit code (printing the message). */
async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync([...argv]);
    const code = process.exitCode;
    return typeof code === 'number' ? code : Number(code ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exitCode 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    const err = error as Error;
    if (error instanceof ExperimentsError) {
      process.stderr.write(`vqkit: ${err.message}\n`);
      return error.exitCode;
    }
    if (INPUT_ERROR_NAMES.has(err?.name)) {
      process.stderr.write(`vqkit: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`vqkit: ${err?.stack ?? String(error)}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    const real = realpathSync(entry);
    return real === fileURLToPath(import.meta.url) || /[\\/]bin[\\/]vqkit(\.js)?$/.test(real);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main().then((code) => {
    process.exitCode = code;
    // Backends or decoder pools can keep the event loop alive; never hang after the work is done.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
