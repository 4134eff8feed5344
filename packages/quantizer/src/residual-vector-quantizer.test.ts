import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { mat, seeded } from '../test/fixtures';
import { dot, type Mat, nearest, sub } from '../test/reference';
import {
  initFromTensor,
  initRandom,
  noReset,
  QuantizerError,
  ResidualVectorQuantizer,
  type ResidualVectorQuantizerState,
  VectorQuantizer,
} from './index';

/** Plain-JS residual quantization: per-stage indices, residuals and codes, and the sum. */
function residualReference(z: Mat, codebooks: Mat[]) {
  const stages: { idx: number[]; residual: Mat; codes: Mat }[] = [];
  let residual = z;
  for (const cb of codebooks) {
    const idx = residual.map((r) => nearest(r, cb));
    const codes = idx.map((k) => cb[k]!);
    stages.push({ idx, residual, codes });
    residual = residual.map((r, i) => sub(r, codes[i]!));
  }
  const sum = z.map((_, i) =>
    z[0]!.map((__, j) => stages.reduce((s, st) => s + st.codes[i]![j]!, 0)),
  );
  return { stages, sum };
}

describe('ResidualVectorQuantizer', () => {
  it('stage s quantizes the residual of stages < s; values, indices, loss and gradients match plain JS', () => {
    const beta = 0.3;
    const rvq = new ResidualVectorQuantizer({
      depth: 3,
      codebookSize: 5,
      codeDim: 2,
      commitmentWeight: beta,
      init: initRandom(),
      reset: noReset(),
      seed: 4,
    });
    expect(rvq.bitsPerPosition).toBeCloseTo(3 * Math.log2(5), 12);
    const codebooks = rvq.stages.map((q) => mat(q.codebook));
    expect(codebooks[0]).not.toEqual(codebooks[1]);
    const z = seeded(91, 6, 2, 2);
    const c = seeded(92, 6, 2);
    const ref = residualReference(z, codebooks);
    const zVar = tf.variable(tf.tensor2d(z));
    let snapshot: { q: Mat; idx: Mat; loss: number } = { q: [], idx: [], loss: 0 };
    const { value, grads } = tf.variableGrads(() => {
      const out = rvq.forward(zVar);
      snapshot = { q: mat(out.quantized), idx: mat(out.indices), loss: out.loss.dataSync()[0]! };
      expect(out.stageCounts.shape).toEqual([3, 5]);
      expect(out.counts).toBeUndefined();
      return tf.add(tf.sum(tf.mul(out.quantized, tf.tensor2d(c))), out.loss) as tf.Scalar;
    });
    expect(snapshot.idx).toEqual(z.map((_, i) => ref.stages.map((s) => s.idx[i]!)));
    snapshot.q.flat().forEach((v, k) => {
      expect(v).toBeCloseTo(ref.sum.flat()[k]!, 5);
    });
    const numel = 12;
    const loss = ref.stages.reduce(
      (s, st) =>
        s + st.residual.reduce((a, r, i) => a + dot(sub(r, st.codes[i]!), sub(r, st.codes[i]!)), 0),
      0,
    );
    expect(snapshot.loss).toBeCloseTo((beta * loss) / numel, 5);
    // Every stage passes c (straight-through) and its commitment gradient to its residual, hence to z.
    const dz = z.map((row, i) =>
      row.map(
        (_, j) =>
          3 * c[i]![j]! +
          ref.stages.reduce(
            (s, st) => s + (2 * beta * (st.residual[i]![j]! - st.codes[i]![j]!)) / numel,
            0,
          ),
      ),
    );
    (grads[zVar.name]!.arraySync() as Mat).flat().forEach((g, k) => {
      expect(g).toBeCloseTo(dz.flat()[k]!, 5);
    });
    const decoded = rvq.decode(snapshot.idx);
    mat(decoded)
      .flat()
      .forEach((v, k) => {
        expect(v).toBeCloseTo(snapshot.q.flat()[k]!, 6);
      });
    tf.dispose([zVar, value, decoded, ...Object.values(grads)]);
    rvq.dispose();
  });

  it('a shared codebook updates once per batch from every stage’s rows (= one VQ step on all residuals)', () => {
    const codebook = seeded(93, 6, 2, 1.5);
    const rvq = new ResidualVectorQuantizer({
      depth: 2,
      codebookSize: 6,
      codeDim: 2,
      sharedCodebook: true,
      decay: 0.8,
      init: initFromTensor(codebook),
      reset: noReset(),
    });
    expect(rvq.stages).toHaveLength(1);
    const z = seeded(94, 7, 2, 2);
    const ref = residualReference(z, [codebook, codebook]);
    const out = rvq.forward(tf.tensor2d(z), { training: true });
    expect(Array.from(out.counts!.dataSync()).reduce((a, b) => a + b, 0)).toBe(14);
    // The same EMA step taken by a plain VQ on both stages' residuals at once.
    const plain = new VectorQuantizer({
      codebookSize: 6,
      codeDim: 2,
      decay: 0.8,
      init: initFromTensor(codebook),
      reset: noReset(),
    });
    const all = tf.tensor2d([...ref.stages[0]!.residual, ...ref.stages[1]!.residual]);
    tf.dispose(Object.values(plain.forward(all, { training: true })));
    mat(rvq.stages[0]!.codebook)
      .flat()
      .forEach((v, k) => {
        expect(v).toBeCloseTo(mat(plain.codebook).flat()[k]!, 5);
      });
    expect(rvq.stages[0]!.step).toBe(1);
    tf.dispose([all, ...Object.values(out)]);
    plain.dispose();
    rvq.dispose();
  });

  it('quantizer dropout keeps a seeded prefix of stages; dropped stages are −1 and decode to nothing', () => {
    const rvq = new ResidualVectorQuantizer({
      depth: 4,
      codebookSize: 8,
      codeDim: 2,
      learning: 'gradient',
      init: initRandom(),
      reset: noReset(),
      quantizerDropout: true,
      quantizerDropoutMinDepth: 2,
      seed: 3,
    });
    const z = tf.tensor2d(seeded(95, 5, 2, 2));
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const out = rvq.forward(z, { training: true });
      seen.add(out.activeDepth);
      const idx = mat(out.indices);
      for (const row of idx) {
        expect(row.slice(0, out.activeDepth).every((k) => k >= 0)).toBe(true);
        expect(row.slice(out.activeDepth).every((k) => k === -1)).toBe(true);
      }
      const decoded = rvq.decode(out.indices);
      mat(decoded)
        .flat()
        .forEach((v, k) => {
          expect(v).toBeCloseTo(mat(out.quantized).flat()[k]!, 6);
        });
      tf.dispose([decoded, ...Object.values(out).filter((v) => v instanceof tf.Tensor)]);
    }
    expect([...seen].sort()).toEqual([2, 3, 4]);
    // Evaluation always uses every stage.
    const evalOut = rvq.forward(z);
    expect(evalOut.activeDepth).toBe(4);
    tf.dispose([z, ...Object.values(evalOut).filter((v) => v instanceof tf.Tensor)]);
    rvq.dispose();
  });

  it('a restored quantizer continues exactly like the uninterrupted one (dropout draws included)', async () => {
    const make = (seed: number) =>
      new ResidualVectorQuantizer({
        depth: 3,
        codebookSize: 4,
        codeDim: 3,
        codebookDim: 2,
        quantizerDropout: true,
        seed,
      });
    const batches = Array.from({ length: 6 }, (_, i) =>
      tf.tensor2d(seeded(100 + i, 8, 3, 1 + i * 0.3)),
    );
    const run = (q: ResidualVectorQuantizer, bs: tf.Tensor[]) =>
      bs.map((b) => {
        const out = q.forward(b, { training: true });
        const idx = mat(out.indices);
        tf.dispose(Object.values(out).filter((v) => v instanceof tf.Tensor));
        return idx;
      });
    const a = make(5);
    const full = run(a, batches);
    const b = make(5);
    const first = run(b, batches.slice(0, 3));
    const json = JSON.stringify(await b.getState(), (_, v) =>
      v instanceof Float32Array ? Array.from(v) : v,
    );
    const c = make(77);
    c.setState(JSON.parse(json) as ResidualVectorQuantizerState);
    expect([...first, ...run(c, batches.slice(3))]).toEqual(full);
    expect(Object.keys(c.variables)).toEqual([
      'projectIn.kernel',
      'projectIn.bias',
      'projectOut.kernel',
      'projectOut.bias',
    ]);
    tf.dispose(batches);
    for (const q of [a, b, c]) q.dispose();
  });

  it('bad input names the option, the value and the fix', () => {
    expect(() => new ResidualVectorQuantizer({ depth: 0, codebookSize: 4, codeDim: 2 })).toThrow(
      /depth must be an integer ≥ 1 \(the number of stages\), got 0/,
    );
    expect(
      () =>
        new ResidualVectorQuantizer({
          depth: 2,
          codebookSize: 4,
          codeDim: 2,
          quantizerDropoutMinDepth: 3,
        }),
    ).toThrow(/quantizerDropoutMinDepth must be an integer in \[1, depth = 2\], got 3/);
    expect(() => new ResidualVectorQuantizer({ depth: 2, codebookSize: 0, codeDim: 2 })).toThrow(
      /codebookSize must be an integer ≥ 1/,
    );
    const rvq = new ResidualVectorQuantizer({
      depth: 2,
      codebookSize: 4,
      codeDim: 2,
      init: initRandom(),
    });
    expect(() => rvq.decode([[1, 2, 3]])).toThrow(
      /indices must have last dimension depth = 2, got shape \[1,3\]/,
    );
    expect(() => rvq.decode([[1, 4]])).toThrow(QuantizerError);
    expect(() => rvq.decode([[1, -2]])).toThrow(/out of range \[0, 4\) or −1/);
    rvq.dispose();
  });
});
