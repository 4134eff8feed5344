import {
  FINITE_SCALAR_QUANTIZER_DEFAULTS,
  LOOKUP_FREE_QUANTIZER_DEFAULTS,
  RESIDUAL_QUANTIZER_DEFAULTS,
  VECTOR_QUANTIZER_DEFAULTS,
} from '@vqkit/quantizer';
import { describe, expect, it } from 'vitest';
import { runConfigJsonSchema } from '../src/commands/config';
import { ExperimentsError } from '../src/config/errors';
import { resolveConfig } from '../src/config/resolve';
import { createModel } from '../src/train/create-model';
import { trainingMemory } from '../src/train/memory-estimate';
import { err, vqkit } from './cli-helpers';

const tiny = (...sets: string[]) => resolveConfig('tiny', sets, { requireData: false });

describe('quantizer.kind in run configs', () => {
  it("defaults to the paper's VQ; each family's defaults are @vqkit/quantizer's", () => {
    expect(tiny().quantizer).toMatchObject({
      kind: 'vq',
      distance: VECTOR_QUANTIZER_DEFAULTS.distance,
      learning: VECTOR_QUANTIZER_DEFAULTS.learning,
      gradient: VECTOR_QUANTIZER_DEFAULTS.gradient,
    });
    expect(tiny('quantizer={"kind":"residual","depth":2}').quantizer).toMatchObject({
      kind: 'residual',
      depth: 2,
      sharedCodebook: RESIDUAL_QUANTIZER_DEFAULTS.sharedCodebook,
      quantizerDropout: RESIDUAL_QUANTIZER_DEFAULTS.quantizerDropout,
      decay: VECTOR_QUANTIZER_DEFAULTS.decay,
    });
    const fsq = tiny(
      'quantizer={"kind":"fsq","levels":[8,4,4]}',
      'model.single.codeDim=3',
      'model.single.codebookSize=128',
    );
    expect(fsq.quantizer).toEqual({
      kind: 'fsq',
      levels: [8, 4, 4],
      boundEpsilon: FINITE_SCALAR_QUANTIZER_DEFAULTS.boundEpsilon,
    });
    const lfq = tiny('quantizer={"kind":"lfq"}', 'model.single.codeDim=7');
    expect(lfq.quantizer).toEqual({
      kind: 'lfq',
      entropyWeight: LOOKUP_FREE_QUANTIZER_DEFAULTS.entropyWeight,
      commitmentWeight: LOOKUP_FREE_QUANTIZER_DEFAULTS.commitmentWeight,
      diversityGamma: LOOKUP_FREE_QUANTIZER_DEFAULTS.diversityGamma,
      inverseTemperature: LOOKUP_FREE_QUANTIZER_DEFAULTS.inverseTemperature,
    });
    const schema = JSON.stringify(runConfigJsonSchema());
    for (const kind of ['vq', 'residual', 'fsq', 'lfq'])
      expect(schema).toContain(`"const":"${kind}"`);
  });

  const rows: [string, string[], string[]][] = [
    [
      'an unknown kind',
      ['quantizer.kind=pq'],
      ['\'quantizer.kind\' must be one of "vq", "residual", "fsq", "lfq"', 'the string "pq"'],
    ],
    [
      'an FSQ level < 2',
      ['quantizer={"kind":"fsq","levels":[8,1]}', 'model.single.codeDim=2'],
      ["'quantizer.levels.1'", 'every FSQ level must be an integer ≥ 2', 'e.g. [8, 5, 5, 5]'],
    ],
    [
      'no FSQ levels',
      ['quantizer={"kind":"fsq","levels":[]}'],
      ["'quantizer.levels'", 'needs at least one level'],
    ],
    [
      'residual depth 0',
      ['quantizer={"kind":"residual","depth":0}'],
      ["'quantizer.depth'", 'must be an integer ≥ 1', 'e.g. 2'],
    ],
    [
      'FSQ levels that disagree with the model side',
      ['quantizer={"kind":"fsq","levels":[8,5,5,5]}'],
      [
        "'model.single.codeDim': must equal the number of FSQ levels, 4",
        '--set model.single.codeDim=4',
        "'model.single.codebookSize': must be ∏ quantizer.levels = 1000",
        '--set model.single.codebookSize=1000',
      ],
    ],
    [
      'an LFQ K that is not 2^D',
      ['quantizer={"kind":"lfq"}', 'architecture=hierarchical'],
      [
        "'model.hierarchical.codebookSize': must be 2^codeDim = 256",
        '--set model.hierarchical.codebookSize=256',
      ],
    ],
    [
      "a preset's VQ option under another family",
      ['quantizer.kind=fsq', 'quantizer.levels=[4,4,8]', 'model.single.codeDim=3'],
      [
        "unknown key 'quantizer.chunkSize' for quantizer.kind 'fsq'",
        'Known keys here: kind, levels, boundEpsilon',
        "It is an option of quantizer.kind 'vq', 'residual'",
        '--set \'quantizer={"kind":"fsq"',
      ],
    ],
    [
      'quantizer dropout keeping more stages than there are',
      ['quantizer={"kind":"residual","depth":2,"quantizerDropoutMinDepth":3}'],
      ["'quantizer.quantizerDropoutMinDepth': must be at most quantizer.depth = 2"],
    ],
  ];
  for (const [what, sets, expected] of rows) {
    it(`${what}: exit 2 naming the key and the fix`, async () => {
      const args = sets.flatMap((s) => ['--set', s]);
      expect(await vqkit('config', '--print', 'tiny', ...args)).toBe(2);
      for (const text of expected) expect(err).toContain(text);
      expect(err.match(/^ {2}- /gm)?.length, err).toBe(
        expected.filter((t) => t.startsWith("'") || t.startsWith('unknown')).length,
      );
    });
  }
});

describe('the memory check per family', () => {
  const paper = (...sets: string[]) =>
    resolveConfig('paper', ['data.train=/t', 'data.val=/v', ...sets]);

  it('FSQ and LFQ hold usage counts only; a residual level one codebook state per stage', () => {
    const vq = trainingMemory(paper()).parts[1]!;
    const residual = trainingMemory(paper('quantizer={"kind":"residual","depth":3}')).parts[1]!;
    expect(residual.bytes).toBe(3 * vq.bytes);
    const fsq = trainingMemory(
      paper(
        'quantizer={"kind":"fsq","levels":[8,8,8,5,5]}',
        'model.single.codeDim=5',
        'model.single.codebookSize=12800',
      ),
    );
    expect(fsq.parts[1]).toEqual({
      label: 'usage counts of 1 level(s)',
      key: 'quantizer.levels',
      bytes: (FINITE_SCALAR_QUANTIZER_DEFAULTS.statsWindow + 2) * 12800 * 4,
    });
    // No codebook and no distance block: the largest tensor is the backbone's.
    expect(fsq.largestTensor.key).toBe('train.batchSize');
    const lfq = trainingMemory(
      paper(
        'quantizer={"kind":"lfq","entropyChunkSize":4096}',
        'model.single.codeDim=20',
        'model.single.codebookSize=1048576',
      ),
    );
    expect(lfq.largestTensor).toMatchObject({
      key: 'quantizer.entropyChunkSize',
      bytes: 4096 * 2 ** 20 * 4,
    });
  });
});

describe('createModel', () => {
  it("a value only the quantizer can judge (cosine with D 1) is exit 2 naming the side and the quantizer's reason", () => {
    const config = resolveConfig('tiny', ['quantizer.distance=cosine', 'model.single.codeDim=1'], {
      requireData: false,
    });
    let error: unknown;
    try {
      createModel(config).dispose();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExperimentsError);
    expect((error as ExperimentsError).exitCode).toBe(2);
    expect((error as Error).message).toContain('the single side of the config cannot be built');
    expect((error as Error).message).toContain("distance 'cosine' needs a code dimension ≥ 2");
  });
});
