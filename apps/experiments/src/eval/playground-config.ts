import { basename, extname } from 'node:path';
import {
  CapacityError,
  type HierarchicalConfig,
  matchHierarchicalToSingle,
  matchSingleToHierarchical,
  type SingleLevelConfig,
} from '@vqkit/capacity';
import { resolveConfig } from '../config/resolve';
import type { RunConfig } from '../config/schema';
import type { PlaygroundExport } from './model-file';

type Side = { channels: number; codebookSize: number; codeDim: number };

/** The trained side's capacity-matched partner (eqs. 4–5, the same D), or why there is none. */
export function playgroundPartner(
  m: PlaygroundExport['model'],
): { side: Side; problem: null } | { side: null; problem: string } {
  const bottom = m.inputSize / m.downsample;
  const top = bottom / m.topDownsample;
  const trained = { channels: m.channels, codebookSize: m.codebookSize, codeDim: m.codeDim };
  try {
    if (m.architecture === 'hierarchical') {
      const h: HierarchicalConfig = {
        bottom: { height: bottom, width: bottom },
        top: { height: top, width: top },
        ...trained,
      };
      return {
        side: pick(matchSingleToHierarchical(h, { codeDim: m.codeDim }).single),
        problem: null,
      };
    }
    const s: SingleLevelConfig = { height: bottom, width: bottom, ...trained };
    const tops = [{ height: top, width: top }];
    const [pair] = matchHierarchicalToSingle(s, { codeDim: m.codeDim, tops });
    return { side: pick(pair!.hierarchical), problem: null };
  } catch (error) {
    if (error instanceof CapacityError) return { side: null, problem: error.message };
    throw error;
  }
}

function pick(s: Side): Side {
  return { channels: s.channels, codebookSize: s.codebookSize, codeDim: s.codeDim };
}

/**
 * The run config that rebuilds a playground export's model with `createModel` (what the page's
 * `buildModel` builds: the EMA VQ of every level with its init, reset, β and γ, the library's
 * other defaults, residual width C/2) and evaluates it on `source` at the model's input size and
 * pixel range. The other side of the pair is the capacity-matched partner (eqs. 4–5, same D);
 * without one it repeats the trained side and `allowUnmatched` is set (metrics.json then says
 * `matched.ok: false`).
 */
export function playgroundRunConfig(
  path: string,
  exported: PlaygroundExport,
  source: string,
): RunConfig {
  const m = exported.model;
  const trained = { channels: m.channels, codebookSize: m.codebookSize, codeDim: m.codeDim };
  const partner = playgroundPartner(m).side;
  const other = partner ?? trained;
  const single = m.architecture === 'single' ? trained : other;
  const hierarchical = m.architecture === 'hierarchical' ? trained : other;
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]+/g, '-') || 'playground';
  return resolveConfig({
    name: stem === '.' || stem === '..' ? 'playground' : stem,
    architecture: m.architecture,
    seed: m.seed,
    data: { train: source, val: source, size: exported.data.inputSize, range: exported.data.range },
    model: {
      single,
      hierarchical: { ...hierarchical, conditioned: false },
      downsample: m.downsample,
      topDownsample: m.topDownsample,
      resBlocks: m.resBlocks,
      resChannels: 'half',
      match: 'kd',
    },
    quantizer: { kind: 'vq', ...m.quantizer },
    allowUnmatched: partner === null,
    tags: { source: 'playground' },
  });
}
