import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import {
  chunkedNearestCode,
  createQuantizer,
  FiniteScalarQuantizer,
  LookupFreeQuantizer,
  type NearestCodeSearch,
  QUANTIZER_FAMILIES,
  QuantizerError,
  type QuantizerFamily,
  ResidualVectorQuantizer,
  VectorQuantizer,
} from './index';

describe('createQuantizer (plain, JSON-able specs)', () => {
  it('builds every family from a JSON round-tripped spec', () => {
    const specs = [
      {
        kind: 'vq',
        codebookSize: 16,
        codeDim: 4,
        init: 'kmeans',
        reset: { kind: 'ema', threshold: 1 },
      },
      { kind: 'residual', depth: 2, codebookSize: 16, codeDim: 4, sharedCodebook: true },
      { kind: 'fsq', levels: [8, 5, 5, 5] },
      { kind: 'lfq', codeDim: 10, entropyWeight: 0.2 },
    ] as const;
    const built = specs.map((s) => createQuantizer(JSON.parse(JSON.stringify(s))));
    expect(built[0]).toBeInstanceOf(VectorQuantizer);
    expect(built[1]).toBeInstanceOf(ResidualVectorQuantizer);
    expect(built[2]).toBeInstanceOf(FiniteScalarQuantizer);
    expect(built[3]).toBeInstanceOf(LookupFreeQuantizer);
    expect(built.map((q) => q.kind)).toEqual(['vq', 'residual', 'fsq', 'lfq']);
    [4, 8, 3 + 3 * Math.log2(5), 10].forEach((bits, i) => {
      expect(built[i]!.bitsPerPosition).toBeCloseTo(bits, 12);
    });
    const vq = built[0] as VectorQuantizer;
    expect([vq.initPolicy.name, vq.resetPolicy.name]).toEqual(['kmeans', 'ema']);
    for (const q of built) q.dispose();
  });

  it('passes a runtime nearest-code search to codebook families', () => {
    const search = vi.fn<NearestCodeSearch>(chunkedNearestCode);
    const q = createQuantizer(
      { kind: 'vq', codebookSize: 4, codeDim: 2, init: 'random' },
      { search },
    );
    const z = tf.ones([3, 2]);
    tf.dispose(Object.values(q.forward(z)));
    expect(search).toHaveBeenCalledTimes(1);
    z.dispose();
    q.dispose();
  });

  it('accepts third-party families without editing the built-in ones', () => {
    const identity: QuantizerFamily = {
      keys: ['codeDim'],
      create: (spec) => new LookupFreeQuantizer({ codeDim: spec.codeDim as number }),
    };
    const q = createQuantizer(
      { kind: 'signs', codeDim: 2 },
      {},
      { ...QUANTIZER_FAMILIES, signs: identity },
    );
    expect(q.codebookSize).toBe(4);
    q.dispose();
  });

  it('rejects unknown kinds, misspelled options and bad policy specs with what is allowed', () => {
    expect(() => createQuantizer({ kind: 'pq' } as never)).toThrow(
      /createQuantizer: quantizer kind must be one of 'vq', 'residual', 'fsq', 'lfq', got "pq"/,
    );
    expect(() => createQuantizer({ kind: 'vq', codebooksize: 8, codeDim: 2 } as never)).toThrow(
      /unknown option 'codebooksize' in a 'vq' spec\. Allowed: codebookSize, codeDim/,
    );
    expect(() => createQuantizer({ kind: 'fsq', levels: [4], depth: 2 } as never)).toThrow(
      QuantizerError,
    );
    expect(() =>
      createQuantizer({ kind: 'vq', codebookSize: 8, codeDim: 2, reset: 'sometimes' } as never),
    ).toThrow(/reset kind must be one of 'windowed', 'ema', 'none', got "sometimes"/);
    expect(() =>
      createQuantizer({
        kind: 'vq',
        codebookSize: 8,
        codeDim: 2,
        reset: { kind: 'windowed', windw: 3 },
      } as never),
    ).toThrow(/unknown option 'windw' in reset 'windowed'/);
    expect(() => createQuantizer(null as never)).toThrow(/spec must be an object/);
    // Values are validated by the family's constructor, with its message.
    expect(() => createQuantizer({ kind: 'fsq', levels: [1, 4] })).toThrow(
      /levels\[0\] must be an integer ≥ 2/,
    );
    expect(() =>
      createQuantizer({ kind: 'residual', depth: 0, codebookSize: 4, codeDim: 2 }),
    ).toThrow(/depth must be an integer ≥ 1/);
  });
});
