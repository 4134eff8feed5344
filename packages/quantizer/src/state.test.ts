import { describe, expect, it } from 'vitest';
import { createQuantizer, type QuantizerSpec } from './index';

// Saved states (getState) and saved tf.layers models (liveState: the layer's weight names and their
// order, and the host config) are read back by these names: renaming one breaks every checkpoint.
const VQ_STATE = ['version', 'codebookSize', 'codeDim', 'step', 'emaSteps', 'initialized'];
const VQ_TENSORS = ['codebook', 'emaCount', 'emaSum', 'lastCounts', 'evalCounts', 'statsWindow'];
const VQ_LIVE = [...VQ_TENSORS, 'emaSteps'];
const PROJECTIONS = ['projectIn.kernel', 'projectIn.bias', 'projectOut.kernel', 'projectOut.bias'];
const WINDOWED_LIVE = ['reset.window', 'reset.history', 'reset.recent', 'reset.filledRows'];
const COUNTS = ['lastCounts', 'evalCounts', 'statsWindow'];

const cases: { spec: QuantizerSpec; state: string[]; live: string[]; host: string[] }[] = [
  {
    spec: {
      kind: 'vq',
      codebookSize: 4,
      codeDim: 3,
      codebookDim: 2,
      learning: 'gradient',
      init: 'random',
    },
    state: [...VQ_STATE, 'biasCorrection', ...VQ_TENSORS, 'rng', 'reset', 'projections'],
    live: [...VQ_LIVE, ...PROJECTIONS, ...WINDOWED_LIVE],
    host: ['step', 'initialized', 'rng', 'reset'],
  },
  {
    spec: {
      kind: 'residual',
      depth: 2,
      codebookSize: 4,
      codeDim: 3,
      codebookDim: 2,
      init: 'random',
    },
    state: ['version', 'kind', 'depth', 'sharedCodebook', 'step', 'rng', 'stages', 'projections'],
    live: [0, 1]
      .flatMap((s) => [...VQ_LIVE, ...WINDOWED_LIVE].map((name) => `stages.${s}.${name}`))
      .concat(PROJECTIONS),
    host: ['step', 'rng', 'stages'],
  },
  {
    spec: { kind: 'fsq', levels: [3, 3] },
    state: ['version', 'kind', 'levels', 'step', ...COUNTS],
    live: COUNTS,
    host: ['step'],
  },
  {
    spec: { kind: 'lfq', codeDim: 2 },
    state: ['version', 'kind', 'codeDim', 'step', ...COUNTS],
    live: COUNTS,
    host: ['step'],
  },
];

describe('saved state and live-state names', () => {
  it.each(cases)('$spec.kind keeps the names checkpoints and saved models use', async (c) => {
    const q = createQuantizer(c.spec);
    const live = q.liveState?.();
    expect(Object.keys((await q.getState()) as object)).toEqual(c.state);
    expect(Object.keys(live?.variables ?? {})).toEqual(c.live);
    expect(Object.keys((live?.host ?? {}) as object)).toEqual(c.host);
    q.dispose();
  });
});
