import { type Command, Option } from 'commander';
import { BACKEND_CHOICES } from '../train/backend';

/** Commander collector for repeatable / variadic `--set key=value` options. */
export function collectSets(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds `--backend auto|webgpu|tensorflow|cpu` (default auto) to a command. */
export function addBackendOption(command: Command): Command {
  return command.addOption(
    new Option('--backend <name>', 'tfjs backend, resolved by @vqkit/runtime')
      .choices([...BACKEND_CHOICES])
      .default('auto'),
  );
}
