import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { describe, expect, it, vi } from 'vitest';
import {
  emaDeadCodeReset,
  initFromTensor,
  initKMeans,
  noReset,
  QuantizerError,
  VectorQuantizer,
  type VectorQuantizerState,
  windowedDeadCodeReset,
} from './index';

const rows = (t: tf.Tensor) => t.arraySync() as number[][];

describe('VectorQuantizer forward', () => {
  it('keeps the leading shape, returns int32 indices, and decode(indices) == quantized', () => {
    const vq = new VectorQuantizer({
      codebookSize: 5,
      codeDim: 3,
      init: initFromTensor(new Rng(1).fillNormal(new Float32Array(15))),
      reset: noReset(),
    });
    const z = tf.randomNormal([2, 3, 4, 3], 0, 1, 'float32', 7);
    const out = vq.forward(z);
    expect(out.quantized.shape).toEqual([2, 3, 4, 3]);
    expect(out.indices.shape).toEqual([2, 3, 4]);
    expect(out.indices.dtype).toBe('int32');
    expect(out.counts.shape).toEqual([5]);
    expect(Array.from(out.counts.dataSync()).reduce((a, b) => a + b, 0)).toBe(24);
    const decoded = vq.decode(out.indices);
    expect(decoded.arraySync()).toEqual(out.quantized.arraySync());
    tf.dispose([z, out.quantized, out.indices, out.commitmentLoss, out.counts, decoded]);
    vq.dispose();
  });

  it('one EMA step matches hand-computed numbers', async () => {
    const eps = 1e-5;
    const vq = new VectorQuantizer({
      codebookSize: 2,
      codeDim: 2,
      decay: 0.5,
      epsilon: eps,
      init: initFromTensor([
        [0, 0],
        [10, 10],
      ]),
      reset: noReset(),
    });
    const z = tf.tensor2d([
      [1, 0],
      [0, 1],
      [9, 10],
    ]);
    const out = vq.forward(z, { training: true });
    // Quantized with the codebook before the update.
    expect(rows(out.quantized)).toEqual([
      [0, 0],
      [0, 0],
      [10, 10],
    ]);
    expect(Array.from(out.indices.dataSync())).toEqual([0, 0, 1]);
    expect(Array.from(out.counts.dataSync())).toEqual([2, 1]);
    // β · mean‖z − e‖² = 0.25 · (1 + 1 + 1) / 6.
    expect(out.commitmentLoss.dataSync()[0]).toBeCloseTo(0.125, 6);
    // N = 0.5·1 + 0.5·[2, 1]; M = 0.5·e + 0.5·[[1, 1], [9, 10]].
    const n = [1.5, 1.0];
    const m = [
      [0.5, 0.5],
      [9.5, 10],
    ];
    const total = n[0]! + n[1]!;
    const smooth = n.map((v) => ((v + eps) / (total + 2 * eps)) * total);
    const want = m.map((row, k) => row.map((v) => v / smooth[k]!));
    const got = rows(vq.codebook);
    for (let k = 0; k < 2; k++)
      for (let j = 0; j < 2; j++) expect(got[k]![j]).toBeCloseTo(want[k]![j]!, 5);
    const state = await vq.getState();
    expect(Array.from(state.emaCount.data)).toEqual(n);
    expect(Array.from(state.emaSum.data)).toEqual(m.flat());
    expect(vq.step).toBe(1);
    tf.dispose([z, out.quantized, out.indices, out.commitmentLoss, out.counts]);
    vq.dispose();
  });

  it('inside tf.variableGrads: straight-through identity, commitment gradient 2β(z−e)/numel, EMA afterwards, no leaks', () => {
    const d = 3;
    const beta = 0.4;
    const vq = new VectorQuantizer({
      codebookSize: 6,
      codeDim: d,
      commitmentWeight: beta,
      init: initFromTensor(new Rng(2).fillNormal(new Float32Array(6 * d))),
      reset: windowedDeadCodeReset({ window: 2 }),
    });
    const w = tf.variable(tf.eye(d), true, 'vq-test-encoder');
    const x = tf.randomNormal([2, 2, 2, d], 0, 1, 'float32', 5);
    const c = tf.randomNormal([2, 2, 2, d], 0, 1, 'float32', 6);
    const step = () => {
      let indices: tf.Tensor | undefined;
      const result = tf.variableGrads(() => {
        const z = tf.reshape(tf.matMul(tf.reshape(x, [-1, d]), w), x.shape);
        const out = vq.forward(z, { training: true });
        indices = tf.keep(out.indices);
        return tf.add(tf.sum(tf.mul(out.quantized, c)), out.commitmentLoss) as tf.Scalar;
      });
      return { ...result, indices: indices! };
    };
    // Warm-up step creates the pending-event buffer.
    const warm = step();
    tf.dispose([warm.value, warm.indices, ...Object.values(warm.grads)]);

    const before = tf.memory().numTensors;
    const codebookBefore = tf.clone(vq.codebook);
    const z = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(x, [-1, d]), w), x.shape));
    const { value, grads, indices } = step();
    expect(Object.keys(grads)).toEqual(['vq-test-encoder']);
    // Expected dL/dz = c + 2β(z − e)/numel; dL/dw = xᵀ · dL/dz.
    const e = vq.decode(indices);
    const ePre = tf.gather(codebookBefore, indices);
    const want = tf.tidy(() => {
      const dz = tf.add(c, tf.mul(tf.sub(z, ePre), (2 * beta) / z.size));
      return tf.matMul(tf.reshape(x, [-1, d]), tf.reshape(dz, [-1, d]), true, false);
    });
    const got = grads['vq-test-encoder']!.arraySync() as number[][];
    (want.arraySync() as number[][]).forEach((row, i) => {
      row.forEach((v, j) => {
        expect(got[i]![j]).toBeCloseTo(v, 5);
      });
    });
    // The EMA moved the codebook after quantizing (decode uses the updated codebook).
    expect(rows(e)).not.toEqual(rows(ePre));
    expect(rows(vq.codebook)).not.toEqual(rows(codebookBefore));
    tf.dispose([value, indices, ...Object.values(grads), e, ePre, want, z, codebookBefore]);
    expect(tf.memory().numTensors).toBe(before);

    // optimizer.minimize works the same way and leaks nothing.
    const opt = tf.train.sgd(0.01);
    const minimize = () =>
      opt.minimize(() => {
        const zz = tf.reshape(tf.matMul(tf.reshape(x, [-1, d]), w), x.shape);
        const out = vq.forward(zz, { training: true });
        return tf.add(
          tf.mean(tf.square(tf.sub(out.quantized, c))),
          out.commitmentLoss,
        ) as tf.Scalar;
      });
    minimize();
    const beforeOpt = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) minimize();
    expect(tf.memory().numTensors).toBe(beforeOpt);
    tf.dispose([w, x, c]);
    opt.dispose();
    vq.dispose();
  });

  it('the training path never reads synchronously (webgpu has no sync reads)', () => {
    const readSync = vi.spyOn(tf.engine(), 'readSync');
    try {
      for (const reset of [
        windowedDeadCodeReset({ window: 1, source: 'recent-mean' }),
        emaDeadCodeReset(),
      ]) {
        const vq = new VectorQuantizer({
          codebookSize: 4,
          codeDim: 2,
          init: initKMeans({ iterations: 2 }),
          reset,
        });
        const z = tf.randomNormal([2, 3, 2], 0, 1, 'float32', 1);
        vq.initialize(z);
        for (let i = 0; i < 3; i++) tf.dispose(Object.values(vq.forward(z, { training: true })));
        tf.dispose(Object.values(vq.forward(z)));
        vq.dispose();
        z.dispose();
      }
      expect(readSync).not.toHaveBeenCalled();
      // The spy would catch one: a sanity check that the spy is effective.
      tf.tidy(() => tf.scalar(1).dataSync());
      expect(readSync).toHaveBeenCalledTimes(1);
    } finally {
      readSync.mockRestore();
    }
  });

  it('a batch with NaN changes no state and is reported as an event', async () => {
    const vq = new VectorQuantizer({
      codebookSize: 2,
      codeDim: 2,
      init: initFromTensor([
        [0, 0],
        [1, 1],
      ]),
      reset: windowedDeadCodeReset({ window: 1 }),
    });
    const before = await vq.getState();
    const z = tf.tensor2d([
      [0.1, 0],
      [Number.NaN, 1],
    ]);
    const out = vq.forward(z, { training: true });
    const after = await vq.getState();
    expect(after.codebook).toEqual(before.codebook);
    expect(after.emaCount).toEqual(before.emaCount);
    expect(after.emaSum).toEqual(before.emaSum);
    expect(after.reset.tensors).toEqual(before.reset.tensors);
    expect(await vq.flushEvents()).toEqual([
      { kind: 'init', step: 0, policy: 'from-tensor' },
      { kind: 'non-finite-input', step: 0, training: true },
    ]);
    tf.dispose([z, out.quantized, out.indices, out.commitmentLoss, out.counts]);
    vq.dispose();
  });

  it('bias-corrected EMA: a NaN batch does not advance the debias step t', async () => {
    const make = () =>
      new VectorQuantizer({
        codebookSize: 3,
        codeDim: 2,
        decay: 0.5,
        biasCorrection: true,
        init: initFromTensor([
          [0, 0],
          [4, 4],
          [9, 9],
        ]),
        reset: noReset(),
      });
    const z = tf.tensor2d([
      [1, 0],
      [4, 5],
      [8, 9],
    ]);
    const bad = tf.tensor2d([[Number.NaN, 0]]);
    const clean = make();
    const skipped = make();
    tf.dispose(Object.values(clean.forward(z, { training: true })));
    tf.dispose(Object.values(skipped.forward(z, { training: true })));
    tf.dispose(Object.values(skipped.forward(bad, { training: true })));
    expect((await skipped.getState()).emaSteps).toBe(1);
    tf.dispose(Object.values(clean.forward(z, { training: true })));
    tf.dispose(Object.values(skipped.forward(z, { training: true })));
    expect(rows(skipped.codebook)).toEqual(rows(clean.codebook));
    expect((await skipped.getState()).emaSteps).toBe(2);
    tf.dispose([z, bad]);
    clean.dispose();
    skipped.dispose();
  });

  it('tracks last-batch, window and evaluation-pass counts', async () => {
    const vq = new VectorQuantizer({
      codebookSize: 2,
      codeDim: 1,
      init: initFromTensor([0, 10]),
      reset: noReset(),
      statsWindow: 2,
    });
    const batches = [
      tf.tensor2d([[0], [0], [10]]),
      tf.tensor2d([[0], [10], [10]]),
      tf.tensor2d([[10], [10], [10]]),
    ];
    for (const b of batches) tf.dispose(Object.values(vq.forward(b, { training: true })));
    const win = vq.windowCounts();
    expect(Array.from(win.dataSync())).toEqual([1, 5]);
    const usage = await vq.usage('last');
    expect(usage).toMatchObject({ perplexity: 1, deadFraction: 0.5, total: 3 });
    for (const b of batches.slice(0, 2)) tf.dispose(Object.values(vq.forward(b)));
    const ev = vq.evalCounts();
    expect(Array.from(ev.dataSync())).toEqual([3, 3]);
    expect((await vq.usage('eval')).perplexity).toBeCloseTo(2, 5);
    vq.resetEvalCounts();
    expect((await vq.usage('eval')).total).toBe(0);
    tf.dispose([...batches, win, ev]);
    vq.dispose();
  });

  it('bias-corrected EMA: after one step N̂ = n, e = s/n, an unused code keeps its vector', async () => {
    const vq = new VectorQuantizer({
      codebookSize: 3,
      codeDim: 1,
      decay: 0.9,
      epsilon: 1e-9,
      biasCorrection: true,
      init: initFromTensor([0, 10, 50]),
      reset: noReset(),
    });
    const z = tf.tensor2d([[1], [2], [9]]);
    tf.dispose(Object.values(vq.forward(z, { training: true })));
    const cb = Array.from(vq.codebook.dataSync());
    expect(cb[0]).toBeCloseTo(1.5, 4);
    expect(cb[1]).toBeCloseTo(9, 4);
    expect(cb[2]).toBe(50);
    const state = await vq.getState();
    expect(state.emaCount.data[0]).toBeCloseTo(0.1 * 2, 6); // hidden accumulator (1−γ)·n
    z.dispose();
    vq.dispose();
  });
});

describe('VectorQuantizer state', () => {
  const makeBatches = (count: number) => {
    const rng = new Rng(99);
    return Array.from({ length: count }, (_, i) =>
      // Later batches drift away so codes die and get reset after the restore point too.
      tf.tensor2d(rng.fillNormal(new Float32Array(12 * 3), i * 0.8, 1), [12, 3]),
    );
  };
  const make = (seed: number) =>
    new VectorQuantizer({
      codebookSize: 8,
      codeDim: 3,
      seed,
      reset: windowedDeadCodeReset({ window: 2, bufferSize: 16 }),
    });
  const run = (vq: VectorQuantizer, batches: tf.Tensor[]) =>
    batches.map((b) => {
      const out = vq.forward(b, { training: true });
      const idx = Array.from(out.indices.dataSync());
      tf.dispose(Object.values(out));
      return idx;
    });

  it('a restored quantizer continues exactly like the uninterrupted one (JSON round trip)', async () => {
    const batches = makeBatches(8);
    const a = make(3);
    const idxA = run(a, batches);
    const eventsA = await a.flushEvents();

    const b = make(3);
    const idxB = run(b, batches.slice(0, 4));
    const eventsB1 = await b.flushEvents();
    const json = JSON.stringify(await b.getState(), (_, v) =>
      v instanceof Float32Array ? Array.from(v) : v,
    );
    b.dispose();
    const c = make(12345);
    c.setState(JSON.parse(json) as VectorQuantizerState);
    const idxC = run(c, batches.slice(4));
    const eventsC = await c.flushEvents();

    expect([...idxB, ...idxC]).toEqual(idxA);
    expect(Array.from(c.codebook.dataSync())).toEqual(Array.from(a.codebook.dataSync()));
    const resetsAfter = eventsC.filter((e) => e.kind === 'reset');
    expect(resetsAfter.length).toBeGreaterThan(0);
    expect([...eventsB1, ...eventsC]).toEqual(eventsA);
    expect(c.step).toBe(8);
    tf.dispose(batches);
    a.dispose();
    c.dispose();
  });

  it('setState validates sizes, shapes and the reset policy', async () => {
    const vq = make(1);
    const batch = makeBatches(1);
    run(vq, batch);
    const state = await vq.getState();
    const other = new VectorQuantizer({
      codebookSize: 4,
      codeDim: 3,
      reset: windowedDeadCodeReset({ window: 2, bufferSize: 16 }),
    });
    expect(() => other.setState(state)).toThrow(
      /codebookSize 8, codeDim 3, but this quantizer has 4, 3/,
    );
    const noResetVq = new VectorQuantizer({ codebookSize: 8, codeDim: 3, reset: noReset() });
    expect(() => noResetVq.setState(state)).toThrow(
      /saved by reset policy 'windowed\(recent-mean\)'/,
    );
    const broken = { ...state, emaSum: { shape: [8, 2], data: new Float32Array(16) } };
    expect(() => vq.setState(broken)).toThrow(QuantizerError);
    expect(() => vq.setState(broken)).toThrow(/emaSum must have shape \[8,3\]/);
    tf.dispose(batch);
    for (const q of [vq, other, noResetVq]) q.dispose();
  });
});

describe('VectorQuantizer bad input', () => {
  it('rejects bad options with messages naming the option', () => {
    expect(() => new VectorQuantizer({ codebookSize: 0, codeDim: 2 })).toThrow(
      /codebookSize must be an integer ≥ 1, got 0/,
    );
    expect(() => new VectorQuantizer({ codebookSize: 2, codeDim: 0 })).toThrow(/codeDim/);
    expect(() => new VectorQuantizer({ codebookSize: 2, codeDim: 2, decay: 1 })).toThrow(
      /decay must be in \(0, 1\), got 1/,
    );
    expect(() => new VectorQuantizer({ codebookSize: 2, codeDim: 2, decay: 0 })).toThrow(
      QuantizerError,
    );
    expect(() => new VectorQuantizer({ codebookSize: 2, codeDim: 2, epsilon: 0 })).toThrow(
      /epsilon/,
    );
    expect(
      () => new VectorQuantizer({ codebookSize: 2, codeDim: 2, commitmentWeight: -1 }),
    ).toThrow(/commitmentWeight/);
    expect(() => new VectorQuantizer({ codebookSize: 2, codeDim: 2, chunkSize: 0.5 })).toThrow(
      /chunkSize/,
    );
  });

  it('rejects a wrong last dimension, eval before init, bad indices and use after dispose', () => {
    const vq = new VectorQuantizer({ codebookSize: 4, codeDim: 8 });
    const z = tf.zeros([2, 4, 16]);
    expect(() => vq.forward(z, { training: true })).toThrow(
      'VectorQuantizer.forward: z must have last dimension codeDim = 8, got shape [2,4,16]. Project z to 8 channels first (1×1 conv).',
    );
    const ok = tf.zeros([3, 8]);
    expect(() => vq.forward(ok)).toThrow(/not initialised yet/);
    expect(() => vq.forward(tf.zeros([3, 8], 'int32'), { training: true })).toThrow(
      /must be float32/,
    );
    expect(() => vq.decode(tf.zeros([2]))).toThrow(/indices must be an int32 tensor, got float32/);
    vq.dispose();
    expect(() => vq.forward(ok)).toThrow(/disposed/);
    tf.dispose([z, ok]);
  });
});
