import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { mat, seeded } from '../test/fixtures';
import {
  affine,
  dot,
  type Mat,
  nearest,
  norm,
  normalizeGradient,
  rotationGradient,
  rotationMatrix,
  sub,
  unit,
  type Vec,
} from '../test/reference';
import {
  emaDeadCodeReset,
  initFromTensor,
  noReset,
  QuantizerError,
  rotateTo,
  VECTOR_QUANTIZER_DEFAULTS,
  VectorQuantizer,
  type VectorQuantizerState,
} from './index';

const expectClose = (got: Mat | Vec, want: Mat | Vec, digits = 5) => {
  expect(got.length).toBe(want.length);
  got.flat().forEach((v, i) => {
    expect(v).toBeCloseTo(want.flat()[i]!, digits);
  });
};

/** Runs L = Σ quantized·c + loss inside tf.variableGrads with z as a variable; returns the grads. */
function gradsOf(vq: VectorQuantizer, z: Mat, c: Mat, training = false) {
  const zVar = tf.variable(tf.tensor2d(z), true);
  const cT = tf.tensor2d(c);
  const { value, grads } = tf.variableGrads(() => {
    const out = vq.forward(zVar, { training });
    return tf.add(tf.sum(tf.mul(out.quantized, cT)), out.loss) as tf.Scalar;
  });
  const byName: Record<string, Mat | Vec> = {};
  for (const [name, v] of Object.entries(vq.variables)) {
    byName[name] = grads[v.name]!.arraySync() as Mat | Vec;
  }
  const dz = grads[zVar.name]!.arraySync() as Mat;
  tf.dispose([zVar, cT, value, ...Object.values(grads)]);
  return { dz, byName };
}

describe('VectorQuantizer defaults', () => {
  it("keep today's behaviour: euclidean, EMA, straight-through, no projections, windowed recent-mean reset", () => {
    const vq = new VectorQuantizer({ codebookSize: 4, codeDim: 3 });
    expect(vq.distance).toBe('euclidean');
    expect(vq.learning).toBe('ema');
    expect(vq.gradient).toBe('straight-through');
    expect(vq.codebookDim).toBe(3);
    expect(vq.variables).toEqual({});
    expect(vq.resetPolicy.name).toBe('windowed(recent-mean)');
    expect([vq.decay, vq.epsilon, vq.commitmentWeight, vq.chunkSize]).toEqual([
      VECTOR_QUANTIZER_DEFAULTS.decay,
      VECTOR_QUANTIZER_DEFAULTS.epsilon,
      VECTOR_QUANTIZER_DEFAULTS.commitmentWeight,
      VECTOR_QUANTIZER_DEFAULTS.chunkSize,
    ]);
    vq.dispose();
  });
});

describe("gradient: 'rotation' (Fifty et al. 2024)", () => {
  const codebook = [
    [1, 0, 0],
    [0, 2, 1],
    [-1, -1, 0.5],
    [0.3, -0.2, 2],
  ];

  it('the reference rotation maps x̂ onto ê (sanity of the plain-JS formula)', () => {
    for (const [x, e] of [
      [
        [1, 2, 3],
        [-2, 0.5, 1],
      ],
      [
        [1, 0, 0],
        [-3, 0, 0],
      ],
    ] as [Vec, Vec][]) {
      expectClose(
        rotationMatrix(x, e).map((row) => dot(row, unit(x))),
        unit(e),
        12,
      );
    }
  });

  it('forward value is exactly the code; gradient to z is λ·Rᵀ·g per row', () => {
    const vq = new VectorQuantizer({
      codebookSize: 4,
      codeDim: 3,
      init: initFromTensor(codebook),
      reset: noReset(),
      gradient: 'rotation',
      commitmentWeight: 0,
    });
    const z = seeded(11, 6, 3);
    const c = seeded(12, 6, 3);
    const out = vq.forward(tf.tensor2d(z));
    const idx = z.map((row) => nearest(row, codebook));
    expect(Array.from(out.indices.dataSync())).toEqual(idx);
    expect(mat(out.quantized)).toEqual(idx.map((k) => codebook[k]!.map(Math.fround)));
    const { dz } = gradsOf(vq, z, c);
    expectClose(
      dz,
      z.map((row, i) => rotationGradient(row, codebook[idx[i]!]!, c[i]!)),
    );
    tf.dispose(Object.values(out));
    vq.dispose();
  });

  it('edge cases: antipodal x and e (a reflection), e = 0 (gradient 0), x = 0 (straight-through)', () => {
    const x = tf.variable(
      tf.tensor2d([
        [1, 0],
        [0.5, 0.5],
        [0, 0],
      ]),
    );
    const e = tf.tensor2d([
      [-2, 0],
      [0, 0],
      [3, 4],
    ]);
    const g = tf.tensor2d([
      [0.7, -0.3],
      [1, 2],
      [5, 6],
    ]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(rotateTo(x, e), g)) as tf.Scalar);
    const dx = mat(grads[x.name]!);
    expectClose(dx, [
      [-1.4, -0.6],
      [0, 0],
      [5, 6],
    ]);
    expectClose(dx[0]!, rotationGradient([1, 0], [-2, 0], [0.7, -0.3]), 6);
    tf.dispose([x, e, g, ...Object.values(grads)]);
  });
});

describe("distance: 'cosine'", () => {
  it('searches l2-normalised inputs against unit codes; gradient flows through the normalisation', () => {
    const beta = 0.3;
    const raw = [
      [2, 0, 0],
      [0, 3, 0],
      [1, 1, 1],
      [-1, 0, 2],
    ];
    const vq = new VectorQuantizer({
      codebookSize: 4,
      codeDim: 3,
      distance: 'cosine',
      commitmentWeight: beta,
      init: initFromTensor(raw),
      reset: noReset(),
    });
    const codes = raw.map(unit);
    expectClose(mat(vq.codebook), codes, 6);
    const z = seeded(21, 5, 3, 2);
    const c = seeded(22, 5, 3);
    const xs = z.map(unit);
    const idx = xs.map((x) => nearest(x, codes));
    const out = vq.forward(tf.tensor2d(z));
    expect(Array.from(out.indices.dataSync())).toEqual(idx);
    expectClose(
      mat(out.quantized),
      idx.map((k) => codes[k]!),
      6,
    );
    const numel = 5 * 3;
    const commit = xs.reduce(
      (s, x, i) => s + dot(sub(x, codes[idx[i]!]!), sub(x, codes[idx[i]!]!)),
      0,
    );
    expect(out.commitmentLoss.dataSync()[0]).toBeCloseTo((beta * commit) / numel, 6);
    const { dz } = gradsOf(vq, z, c);
    expectClose(
      dz,
      z.map((zi, i) =>
        normalizeGradient(
          zi,
          c[i]!.map((cv, j) => cv + (2 * beta * (xs[i]![j]! - codes[idx[i]!]![j]!)) / numel),
        ),
      ),
    );
    tf.dispose(Object.values(out));
    vq.dispose();
  });

  it('keeps codes on the unit sphere through EMA updates and resets', () => {
    const vq = new VectorQuantizer({
      codebookSize: 3,
      codeDim: 2,
      distance: 'cosine',
      init: initFromTensor([
        [1, 0],
        [0, 1],
        [-1, -1],
      ]),
      reset: emaDeadCodeReset({ threshold: 2 }),
    });
    for (let i = 0; i < 3; i++) {
      const z = tf.tensor2d(seeded(30 + i, 8, 2, 3));
      tf.dispose(Object.values(vq.forward(z, { training: true })));
      z.dispose();
      for (const row of mat(vq.codebook)) expect(norm(row)).toBeCloseTo(1, 5);
    }
    vq.dispose();
  });
});

describe('codebookDim (trainable in/out projections)', () => {
  it('projects z in and the code out, with the gradients of x·W + b to every projection variable', () => {
    const beta = 0.3;
    const codebook = seeded(41, 4, 2);
    const vq = new VectorQuantizer({
      codebookSize: 4,
      codeDim: 3,
      codebookDim: 2,
      commitmentWeight: beta,
      init: initFromTensor(codebook),
      reset: noReset(),
      seed: 7,
    });
    expect(Object.keys(vq.variables)).toEqual([
      'projectIn.kernel',
      'projectIn.bias',
      'projectOut.kernel',
      'projectOut.bias',
    ]);
    const v = (name: string) => vq.variables[name]!.arraySync() as Mat & Vec;
    const [wIn, bIn, wOut, bOut] = [
      v('projectIn.kernel'),
      v('projectIn.bias') as unknown as Vec,
      v('projectOut.kernel'),
      v('projectOut.bias') as unknown as Vec,
    ];
    // PyTorch nn.Linear init: |w| ≤ 1/√fan_in.
    for (const w of wIn.flat()) expect(Math.abs(w)).toBeLessThanOrEqual(1 / Math.sqrt(3));
    const z = seeded(42, 5, 3);
    const c = seeded(43, 5, 3);
    const xs = z.map((row) => affine(row, wIn, bIn));
    const idx = xs.map((x) => nearest(x, codebook));
    const es = idx.map((k) => codebook[k]!);
    const out = vq.forward(tf.tensor2d(z));
    expect(out.quantized.shape).toEqual([5, 3]);
    expectClose(
      mat(out.quantized),
      es.map((e) => affine(e, wOut, bOut)),
    );
    const numel = 5 * 2;
    // dL/dx_i = W_out·c_i + 2β(x_i − e_i)/numel (straight-through from e to x).
    const dx = xs.map((x, i) =>
      wOut.map((row, a) => dot(row, c[i]!) + (2 * beta * (x[a]! - es[i]![a]!)) / numel),
    );
    const { dz, byName } = gradsOf(vq, z, c);
    // dL/dz_i = W_in·dL/dx_i.
    expectClose(
      dz,
      dx.map((g) => wIn.map((row) => dot(row, g))),
    );
    const outer = (a: Mat, b: Mat) =>
      a[0]!.map((_, p) =>
        b[0]!.map((__, q) => a.reduce((s, row, i) => s + row[p]! * b[i]![q]!, 0)),
      );
    expectClose(byName['projectOut.kernel'] as Mat, outer(es, c));
    expectClose(
      byName['projectOut.bias'] as Vec,
      c[0]!.map((_, q) => c.reduce((s, r) => s + r[q]!, 0)),
    );
    expectClose(byName['projectIn.kernel'] as Mat, outer(z, dx));
    expectClose(
      byName['projectIn.bias'] as Vec,
      dx[0]!.map((_, q) => dx.reduce((s, r) => s + r[q]!, 0)),
    );
    tf.dispose(Object.values(out));
    vq.dispose();
  });

  it('saves the projections in the state and refuses a state without them', async () => {
    const make = (seed: number, codebookDim = 2) =>
      new VectorQuantizer({ codebookSize: 4, codeDim: 3, codebookDim, seed, reset: noReset() });
    const a = make(1);
    const z = tf.tensor2d(seeded(44, 6, 3));
    tf.dispose(Object.values(a.forward(z, { training: true })));
    const state = await a.getState();
    expect(state.codebook.shape).toEqual([4, 2]);
    expect(state.projections?.projectIn.kernel.shape).toEqual([3, 2]);
    const b = make(99);
    b.setState(
      JSON.parse(
        JSON.stringify(state, (_, v) => (v instanceof Float32Array ? Array.from(v) : v)),
      ) as VectorQuantizerState,
    );
    const [qa, qb] = [a.forward(z), b.forward(z)];
    expect(mat(qb.quantized)).toEqual(mat(qa.quantized));
    const plain = make(1, 3);
    expect(() => plain.setState(state)).toThrow(
      /state has projections but this quantizer has none/,
    );
    tf.dispose([z, ...Object.values(qa), ...Object.values(qb)]);
    for (const q of [a, b, plain]) q.dispose();
  });
});

describe("learning: 'gradient'", () => {
  it('the codebook is a trainable variable that only the codebook loss moves; no EMA', () => {
    const beta = 0.25;
    const codebook = [
      [0, 0],
      [4, 4],
      [-3, 1],
    ];
    const vq = new VectorQuantizer({
      codebookSize: 3,
      codeDim: 2,
      learning: 'gradient',
      commitmentWeight: beta,
      codebookLossWeight: 0.5,
      init: initFromTensor(codebook),
      reset: noReset(),
    });
    expect(Object.keys(vq.variables)).toEqual(['codebook']);
    expect(vq.variables.codebook!.trainable).toBe(true);
    const z = [
      [0.5, -0.2],
      [3.5, 4.5],
      [1, 0.4],
      [-2, 2],
    ];
    const c = seeded(51, 4, 2);
    const idx = z.map((row) => nearest(row, codebook));
    const numel = 4 * 2;
    const out = vq.forward(tf.tensor2d(z), { training: true });
    const sq = z.reduce(
      (s, x, i) => s + dot(sub(x, codebook[idx[i]!]!), sub(x, codebook[idx[i]!]!)),
      0,
    );
    expect(out.codebookLoss!.dataSync()[0]).toBeCloseTo((0.5 * sq) / numel, 6);
    expect(out.loss.dataSync()[0]).toBeCloseTo(((0.5 + beta) * sq) / numel, 6);
    // No EMA: the codebook did not move.
    expectClose(mat(vq.codebook), codebook, 7);
    const { dz, byName } = gradsOf(vq, z, c, true);
    expectClose(
      dz,
      z.map((x, i) =>
        x.map((v, j) => c[i]![j]! + (2 * beta * (v - codebook[idx[i]!]![j]!)) / numel),
      ),
    );
    // d/de_k 0.5·mean‖sg(x) − e‖² = −2·0.5·Σ_{i: k(i) = k}(x_i − e_k)/numel.
    const want = codebook.map((e, k) =>
      z.reduce(
        (acc, x, i) =>
          idx[i] === k ? acc.map((a, j) => a - (2 * 0.5 * (x[j]! - e[j]!)) / numel) : acc,
        [0, 0],
      ),
    );
    expectClose(byName.codebook as Mat, want);
    tf.dispose(Object.values(out));
    vq.dispose();
  });

  it('dead-code resets still replace rows of the trainable codebook', () => {
    const vq = new VectorQuantizer({
      codebookSize: 2,
      codeDim: 2,
      learning: 'gradient',
      init: initFromTensor([
        [0, 0],
        [100, 100],
      ]),
      reset: emaDeadCodeReset({ threshold: 2 }),
    });
    const z = [
      [0.1, 0.2],
      [0.3, -0.1],
      [-0.2, 0.4],
    ];
    tf.dispose(Object.values(vq.forward(tf.tensor2d(z), { training: true })));
    const row = mat(vq.codebook)[1]!
      .map((v) => v.toFixed(4))
      .join();
    expect(z.map((r) => r.map((v) => Math.fround(v).toFixed(4)).join())).toContain(row);
    vq.dispose();
  });
});

describe('VectorQuantizer option errors and decode range', () => {
  it('names the option, the value and the fix', () => {
    expect(() => new VectorQuantizer({ codebookSize: 4, codeDim: 1, distance: 'cosine' })).toThrow(
      /distance 'cosine' needs a code dimension ≥ 2, got 1.*Use distance 'euclidean', or codebookDim ≥ 2/,
    );
    expect(
      () =>
        new VectorQuantizer({
          codebookSize: 4,
          codeDim: 3,
          distance: 'cosine',
          learning: 'gradient',
        }),
    ).toThrow(QuantizerError);
    expect(
      () => new VectorQuantizer({ codebookSize: 4, codeDim: 3, distance: 'manhattan' as 'cosine' }),
    ).toThrow(/distance must be 'euclidean' or 'cosine', got "manhattan"/);
    expect(() => new VectorQuantizer({ codebookSize: 4, codeDim: 3, codebookDim: 0 })).toThrow(
      /codebookDim must be an integer ≥ 1, got 0/,
    );
    expect(
      () => new VectorQuantizer({ codebookSize: 4, codeDim: 3, gradient: 'gumbel' as 'rotation' }),
    ).toThrow(/gradient must be 'straight-through' or 'rotation'/);
  });

  it('decode: host indices out of range throw; tensor indices out of range decode to NaN', () => {
    const vq = new VectorQuantizer({
      codebookSize: 4,
      codeDim: 2,
      init: initFromTensor(seeded(60, 4, 2)),
    });
    expect(() => vq.decode([0, 3, 9])).toThrow(
      /VectorQuantizer.decode: indices \(flattened\) \[2\] = 9 is out of range \[0, 4\) for codebookSize 4/,
    );
    expect(() => vq.decode([[0], [-1]])).toThrow(QuantizerError);
    const nested = vq.decode([
      [0, 1],
      [2, 3],
    ]);
    expect(nested.shape).toEqual([2, 2, 2]);
    const t = tf.tensor1d([1, 7, -2], 'int32');
    const decoded = mat(vq.decode(t));
    expect(decoded[0]!.every(Number.isFinite)).toBe(true);
    expect(decoded[1]!.every(Number.isNaN)).toBe(true);
    expect(decoded[2]!.every(Number.isNaN)).toBe(true);
    tf.dispose([nested, t]);
    vq.dispose();
  });
});
