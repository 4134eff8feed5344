import { join } from 'node:path';
import type { Command } from 'commander';
import { LADDER_DIMS } from '../sweep/ladder-cells';
import { type StudyFlags, studyAction, studyFlags } from './sweep';

/** `vqkit ablate`: Figure 1's intervention ladder for both architectures. */
export function register(program: Command): void {
  studyFlags(
    program
      .command('ablate')
      .description(
        "Figure 1's ladder for both architectures: (a) no intervention, (b) + init from data, (c) + periodic reset (windowed, threshold 2, window 10), (d) + lower dimension (64 → 16 at the same K·D)",
      )
      .option('--from-dim <n>', 'code dimension of rungs (a)–(c)', String(LADDER_DIMS.fromDim))
      .option(
        '--to-dim <n>',
        'code dimension of rung (d), lower than --from-dim; K grows by from-dim/to-dim',
        String(LADDER_DIMS.toDim),
      ),
    'paper',
  ).action(async (flags: StudyFlags) => {
    await studyAction(flags, 'ablation', join('vqkit-runs', 'ablation'));
  });
}
