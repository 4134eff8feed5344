import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { describe, expect, it } from 'vitest';
import { createQuantizer, type QuantizerSpec } from './create-quantizer';
import { QuantizerError } from './errors';
import type { LiveState, Quantizer } from './quantizer';

/** What a test captures before `dispose()`: valid arguments for every method. */
interface Saved {
  z: tf.Tensor;
  indices: tf.Tensor;
  state: unknown;
  host: unknown;
}

/** The union of the families' methods (a family lacking one never has it called). */
interface AnyQuantizer extends Quantizer {
  readonly codebook: tf.Tensor;
  initialize(z: tf.Tensor): void;
  stageUsage(): Promise<unknown>;
  lastCounts(): tf.Tensor;
  windowCounts(): tf.Tensor;
  evalCounts(): tf.Tensor;
  resetEvalCounts(): void;
  liveState(): LiveState;
  setHostState(host: unknown): void;
}

/** Every method of every family, called with valid arguments. */
const CALLS: Record<string, (q: AnyQuantizer, s: Saved) => unknown> = {
  forward: (q, s) => q.forward(s.z, { training: true }),
  decode: (q, s) => q.decode(s.indices),
  initialize: (q, s) => q.initialize(s.z),
  codebook: (q) => q.codebook,
  usage: (q) => q.usage(),
  stageUsage: (q) => q.stageUsage(),
  lastCounts: (q) => q.lastCounts(),
  windowCounts: (q) => q.windowCounts(),
  evalCounts: (q) => q.evalCounts(),
  resetEvalCounts: (q) => q.resetEvalCounts(),
  flushEvents: (q) => q.flushEvents(),
  getState: (q) => q.getState(),
  setState: (q, s) => q.setState(s.state),
  liveState: (q) => q.liveState(),
  setHostState: (q, s) => q.setHostState(s.host),
};

/**
 * Prototype members that are not methods a user calls after `dispose()`: `dispose` itself (a
 * second call does nothing), host numbers that hold no buffer, and internal helpers (TypeScript
 * `private` or `@internal`, reached only behind a checked public method).
 */
const NOT_CHECKED: Record<string, string[]> = {
  VectorQuantizer: [
    ...['constructor', 'dispose', 'step', 'initialized'],
    ...['toCodeSpace', 'fromCodeSpace', 'assign', 'update', 'outputs'],
    ...['checkInitialized', 'checkZ', 'runInit'],
  ],
  ResidualVectorQuantizer: [
    ...['constructor', 'dispose', 'step'],
    ...['activeDepth', 'padDropped', 'separateStages', 'sharedStages'],
  ],
  FiniteScalarQuantizer: ['constructor', 'dispose', 'step', 'bound', 'indicesOf', 'constant'],
  LookupFreeQuantizer: ['constructor', 'dispose', 'step', 'entropyLoss', 'indicesOf'],
};

const FAMILIES: [string, QuantizerSpec][] = [
  ['VectorQuantizer', { kind: 'vq', codebookSize: 4, codeDim: 3 }],
  ['ResidualVectorQuantizer', { kind: 'residual', depth: 2, codebookSize: 4, codeDim: 3 }],
  ['FiniteScalarQuantizer', { kind: 'fsq', levels: [3, 3, 2] }],
  ['LookupFreeQuantizer', { kind: 'lfq', codeDim: 3 }],
];

/** A trained-once quantizer, disposed, with valid arguments captured before. */
async function disposedAfterOneStep(spec: QuantizerSpec): Promise<[AnyQuantizer, Saved]> {
  const q = createQuantizer(spec) as unknown as AnyQuantizer;
  const z = tf.tensor2d(new Rng(5).fillNormal(new Float32Array(8 * 3), 0, 1), [8, 3]);
  const out = q.forward(z, { training: true });
  const saved: Saved = {
    z,
    indices: out.indices,
    state: await q.getState(),
    host: q.liveState().host,
  };
  tf.dispose([out.quantized, out.loss, out.counts ?? []]);
  q.dispose();
  return [q, saved];
}

/** Public methods on a family's prototype (getters included), per the list above. */
function publicMembers(q: object, owner: string): string[] {
  const skip = new Set(NOT_CHECKED[owner]);
  return Object.getOwnPropertyNames(Object.getPrototypeOf(q)).filter((name) => !skip.has(name));
}

describe.each(FAMILIES)('%s after dispose()', (owner, spec) => {
  it('every public method is in the table of calls (a new method needs a row)', async () => {
    const [q, saved] = await disposedAfterOneStep(spec);
    expect(publicMembers(q, owner).filter((name) => !(name in CALLS))).toEqual([]);
    tf.dispose([saved.z, saved.indices]);
  });

  it('every method throws (or rejects with) QuantizerError naming itself; dispose() again is a no-op', async () => {
    const [q, saved] = await disposedAfterOneStep(spec);
    const methods = publicMembers(q, owner);
    expect(methods.length).toBeGreaterThanOrEqual(9);
    for (const method of methods) {
      const error = await (async () => CALLS[method]!(q, saved))().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, method).toBeInstanceOf(QuantizerError);
      expect((error as Error).message, method).toBe(
        `${owner}.${method}: the quantizer was disposed. Create a new one.`,
      );
    }
    expect(() => q.dispose()).not.toThrow();
    tf.dispose([saved.z, saved.indices]);
  });
});
