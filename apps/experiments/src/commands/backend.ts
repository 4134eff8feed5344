import type { Command } from 'commander';
import { addBackendOption } from '../config/cli-options';
import { resolveBackend } from '../train/backend';

/**
 * `vqkit backend [--backend auto] [--json]`: which tfjs backend `--backend` resolves to on this
 * machine, and why. `sweep`, `ablate` and `demo` with `--jobs` run it once and hand every child
 * the answer, so `auto` probes the WebGPU adapter once rather than in every cell.
 */
export function register(program: Command): void {
  addBackendOption(program.command('backend'))
    .description(
      'Show the tfjs backend --backend resolves to on this machine (auto: native TensorFlow, else a hardware WebGPU adapter, else cpu) and why',
    )
    .option('--json', 'print { name, requested, reason, description } as JSON')
    .action(async (flags: { backend: string; json?: boolean }) => {
      const resolved = await resolveBackend(flags.backend);
      process.stdout.write(`${flags.json ? JSON.stringify(resolved) : resolved.description}\n`);
    });
}
