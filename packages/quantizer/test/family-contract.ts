/**
 * The {@link Quantizer} contract, checked for every family and the main options, on whatever
 * backend is active (the cpu tests and the webgpu tests both call {@link describeFamilyContract}).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { describe, expect, it, vi } from 'vitest';
import { createQuantizer, type Quantizer, type QuantizerSpec } from '../src/index';

/** Small specs covering each family and the non-default VQ options. */
export const CONTRACT_SPECS: Record<string, QuantizerSpec> = {
  'vq (defaults, windowed reset)': {
    kind: 'vq',
    codebookSize: 8,
    codeDim: 3,
    reset: { kind: 'windowed', window: 2, bufferSize: 16 },
  },
  'vq cosine + rotation trick + ema reset': {
    kind: 'vq',
    codebookSize: 8,
    codeDim: 3,
    distance: 'cosine',
    gradient: 'rotation',
    reset: 'ema',
  },
  'vq gradient learning + codebookDim + kmeans init': {
    kind: 'vq',
    codebookSize: 8,
    codeDim: 3,
    codebookDim: 2,
    learning: 'gradient',
    init: { kind: 'kmeans', iterations: 2 },
  },
  'residual + quantizer dropout': {
    kind: 'residual',
    depth: 3,
    codebookSize: 4,
    codeDim: 3,
    quantizerDropout: true,
    reset: { kind: 'windowed', window: 2, bufferSize: 16 },
  },
  'residual, shared codebook': {
    kind: 'residual',
    depth: 2,
    codebookSize: 4,
    codeDim: 3,
    sharedCodebook: true,
  },
  fsq: { kind: 'fsq', levels: [5, 4, 3] },
  lfq: { kind: 'lfq', codeDim: 3, inverseTemperature: 2 },
};

const batches = (count: number) => {
  const rng = new Rng(123);
  return Array.from({ length: count }, (_, i) =>
    tf.tensor4d(rng.fillNormal(new Float32Array(2 * 3 * 2 * 3), i * 0.3, 1), [2, 3, 2, 3]),
  );
};

const floats = (_: string, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v);

/** One optimizer step of a 3→3 linear encoder through the quantizer. */
function trainStep(q: Quantizer, encoder: tf.Variable, x: tf.Tensor, opt: tf.Optimizer): void {
  const cost = opt.minimize(() => {
    const z = tf.reshape(tf.matMul(tf.reshape(x, [-1, 3]), encoder), x.shape);
    const out = q.forward(z, { training: true });
    return tf.add(tf.mean(tf.squaredDifference(out.quantized, x)), out.loss) as tf.Scalar;
  }, true);
  cost?.dispose();
}

/**
 * @param exact - whether resumed runs must match bit for bit (true on cpu; GPU reductions are
 *   not bit-reproducible, so on webgpu indices must match and values be close).
 */
export function describeFamilyContract(backend: string, exact: boolean): void {
  describe.each(Object.entries(CONTRACT_SPECS))(
    `Quantizer contract on ${backend}: %s`,
    (_, spec) => {
      it('trains through optimizer.minimize without synchronous reads or leaked tensors', async () => {
        const q = createQuantizer(spec);
        const encoder = tf.variable(tf.eye(3), true);
        const opt = tf.train.sgd(0.05);
        const xs = batches(4);
        trainStep(q, encoder, xs[0]!, opt);
        const readSync = vi.spyOn(tf.engine(), 'readSync');
        const before = tf.memory().numTensors;
        try {
          for (const x of xs.slice(1)) trainStep(q, encoder, x, opt);
          expect(readSync).not.toHaveBeenCalled();
        } finally {
          readSync.mockRestore();
        }
        // Nothing grows, except the first pending-event row of a residual stage that quantizer
        // dropout skipped in the warm-up step (one small tensor per stage).
        const allowance = spec.kind === 'residual' ? spec.depth : 0;
        expect(tf.memory().numTensors - before).toBeLessThanOrEqual(allowance);
        const usage = await q.usage();
        expect(usage.codebookSize).toBe(q.codebookSize);
        expect(usage.total).toBeGreaterThan(0);
        expect(usage.perplexity).toBeGreaterThanOrEqual(1);
        await q.flushEvents();
        tf.dispose([encoder, ...xs]);
        opt.dispose();
        q.dispose();
      });

      it('getState → JSON → setState on a fresh instance continues like the uninterrupted run', async () => {
        const xs = batches(6);
        const run = async (q: Quantizer, bs: tf.Tensor[]) => {
          const results: { indices: number[]; quantized: number[] }[] = [];
          for (const b of bs) {
            const out = q.forward(b, { training: true });
            results.push({
              indices: Array.from(await out.indices.data()),
              quantized: Array.from(await out.quantized.data()),
            });
            tf.dispose(Object.values(out).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
          }
          return results;
        };
        const a = createQuantizer(spec);
        const whole = await run(a, xs);
        const b = createQuantizer(spec);
        const first = await run(b, xs.slice(0, 3));
        const json = JSON.stringify(await b.getState(), floats);
        const c = createQuantizer(spec);
        await c.setState(JSON.parse(json));
        const resumed = [...first, ...(await run(c, xs.slice(3)))];
        expect(resumed.map((r) => r.indices)).toEqual(whole.map((r) => r.indices));
        if (exact) {
          expect(resumed.map((r) => r.quantized)).toEqual(whole.map((r) => r.quantized));
        } else {
          resumed.forEach((r, i) => {
            r.quantized.forEach((v, k) => {
              expect(v).toBeCloseTo(whole[i]!.quantized[k]!, 4);
            });
          });
        }
        tf.dispose(xs);
        for (const q of [a, b, c]) q.dispose();
      });

      it('decode(indices) reproduces quantized, and dispose frees every tensor', async () => {
        const before = tf.memory().numTensors;
        const q = createQuantizer(spec);
        const [x] = batches(1);
        // An eval-only pass would fail before a data init: train once (this also moves EMA codes).
        tf.dispose(
          Object.values(q.forward(x!, { training: true })).filter((v) => v instanceof tf.Tensor),
        );
        const out = q.forward(x!);
        const decoded = q.decode(out.indices);
        expect(decoded.shape).toEqual(x!.shape);
        const [got, want] = [await decoded.data(), await out.quantized.data()];
        got.forEach((v, k) => {
          expect(v).toBeCloseTo(want[k]!, 5);
        });
        expect(q.bitsPerPosition).toBeGreaterThan(0);
        tf.dispose([
          x!,
          decoded,
          ...Object.values(out).filter((v): v is tf.Tensor => v instanceof tf.Tensor),
        ]);
        q.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    },
  );
}
