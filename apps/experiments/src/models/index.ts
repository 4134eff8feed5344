import type { RunConfig } from '../config/schema';
import { HierarchicalVQVAE } from './hierarchical';
import { SingleLevelVQVAE } from './single';
import type { VQVAE } from './types';

export { HierarchicalVQVAE } from './hierarchical';
export { SingleLevelVQVAE } from './single';
export type {
  ForwardResult,
  LevelInfo,
  LevelName,
  LevelOutput,
  QuantizerStates,
  VQVAE,
} from './types';

/** Builds the architecture the config names (`config.architecture`), seeded with `config.seed`. */
export function createModel(config: RunConfig): VQVAE {
  return config.architecture === 'single'
    ? new SingleLevelVQVAE(config)
    : new HierarchicalVQVAE(config);
}
