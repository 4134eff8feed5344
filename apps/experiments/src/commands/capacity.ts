import { runCapacityCli } from '@vqkit/capacity/cli';
import type { Command } from 'commander';

/**
 * `vqkit capacity …`: the @vqkit/capacity CLI (`vqkit-capacity`), every argument passed through
 * (`vqkit capacity --help` shows its options). Exit code as that CLI's: 0 ok, 2 bad input.
 */
export function register(program: Command): void {
  program
    .command('capacity')
    .description(
      'Capacity matching (eqs. 4–5): derive the single-level config matching a hierarchical one (see vqkit capacity --help)',
    )
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]', 'arguments of vqkit-capacity')
    .action((args: string[]) => {
      const code = runCapacityCli(args, {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      });
      if (code !== 0) process.exitCode = code;
    });
}
