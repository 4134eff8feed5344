/** The Trainer's named steps, each on its own (issue 13 §2), and what they guarantee. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '@vqkit/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/checkpoint/file';
import { resolveConfig } from '../src/config/resolve';
import type { RunConfig, RunConfigInput } from '../src/config/schema';
import { readLog, runPaths } from '../src/run-dir';
import { AdamAdapter } from '../src/train/adam-adapter';
import { learningRateAt } from '../src/train/lr-schedule';
import { trainingMemory } from '../src/train/memory-estimate';
import { setupTrainer } from '../src/train/setup';
import type { Trainer } from '../src/train/trainer';
import { makeDataset, silent, tinyConfig } from './core-helpers';

let data: Awaited<ReturnType<typeof makeDataset>>;
let runs = 0;

beforeAll(async () => {
  data = await makeDataset();
});

async function trainer(
  overrides: Partial<RunConfigInput> = {},
  signal?: AbortSignal,
): Promise<{ trainer: Trainer; config: RunConfig; batches: ImageBatch[] }> {
  const config = resolveConfig(tinyConfig(data, overrides));
  const paths = runPaths(join(data.root, 'trainers', `t${runs++}`));
  const t = await setupTrainer(config, paths, {
    quiet: true,
    stderr: silent,
    ...(signal ? { signal } : {}),
  });
  const batches: ImageBatch[] = [];
  for await (const b of t.parts.loaders.train.epoch(0)) batches.push(b);
  return { trainer: t, config, batches };
}

const log = (t: Trainer) => readLog(t.parts.paths.log);

describe('learning-rate schedule (train.lrDecayEvery, issue 10 §3)', () => {
  const train = { learningRate: 1e-3, lrDecay: 0.5 };
  it.each([
    ['epoch', { epoch: 2, step: 7 }, 1e-3 * 0.25],
    ['step', { epoch: 2, step: 7 }, 1e-3 * 0.5 ** 7],
    ['none', { epoch: 2, step: 7 }, 1e-3],
  ] as const)('%s at %o → %f', (every, at, lr) => {
    expect(learningRateAt({ ...train, lrDecayEvery: every }, at)).toBe(lr);
  });

  it("the Trainer applies it: 'step' decays every step, 'none' never", async () => {
    for (const [every, want] of [
      ['step', [0, 1, 2].map((n) => 2e-3 * 0.5 ** n)],
      ['none', [2e-3, 2e-3, 2e-3]],
    ] as const) {
      const { trainer: t, batches } = await trainer({
        train: {
          epochs: 1,
          stepsPerEpoch: 3,
          batchSize: 4,
          learningRate: 2e-3,
          lrDecay: 0.5,
          lrDecayEvery: every,
          logEvery: 1,
        },
      });
      for (const b of batches) {
        t.step(b, 0);
        await t.flush();
      }
      expect(
        log(t)
          .filter((r) => r.type === 'step')
          .map((r) => r.lr),
      ).toEqual(want);
      t.dispose();
    }
  });
});

describe('Trainer steps', () => {
  it('step: one update, position advanced, onStep called, no tensor leaked after the first', async () => {
    const { trainer: t, batches } = await trainer();
    const seen: number[] = [];
    t.parts.onStep = () => seen.push(tf.memory().numTensors);
    t.step(batches[0]!, 0);
    t.step(batches[1]!, 0);
    t.step(batches[2]!, 0);
    expect(t.state.position).toEqual({ step: 3, epoch: 0, stepInEpoch: 3 });
    expect(seen[2]).toBe(seen[1]);
    await t.flush();
    expect(
      log(t)
        .filter((r) => r.type === 'step')
        .map((r) => r.step),
    ).toEqual([3]);
    t.dispose();
  });

  it('flush: non-finite weights with a finite loss stop the run, naming the steps and the last good checkpoint', async () => {
    const { trainer: t, batches } = await trainer();
    t.step(batches[0]!, 0);
    await t.flush();
    const good = await t.checkpoint('interval', null);
    t.step(batches[1]!, 0);
    const [first] = Object.values(t.parts.model.trainableVariables);
    first!.assign(tf.fill(first!.shape, Number.POSITIVE_INFINITY));
    await expect(t.flush()).rejects.toThrow(
      `the weights or Adam's moments became non-finite (NaN or ±Infinity) at step 2, while the loss stayed finite (exploding gradients); training stopped and nothing was overwritten. The last good checkpoint is ${good}`,
    );
    expect(log(t).at(-1)).toMatchObject({ type: 'non-finite-state', from: 2, to: 2 });
    t.dispose();
  });

  it('checkpoint: a non-finite state is never written; a finite one is written, verified and pruned', async () => {
    const { trainer: t, batches } = await trainer();
    t.step(batches[0]!, 0);
    const path = await t.checkpoint('interval', null);
    expect(readCheckpoint(path).meta).toMatchObject({
      step: 1,
      reason: 'interval',
      learningRate: 2e-3,
    });
    t.step(batches[1]!, 0);
    const moment = t.parts.adam.moments().at(-1)!;
    moment.assign(tf.fill(moment.shape, Number.POSITIVE_INFINITY));
    await expect(t.checkpoint('interval', null)).rejects.toThrow(
      /the state to checkpoint at step 2 is non-finite .*tensor 'optimizer\/\d+' .* infinite values?; that checkpoint was not written/,
    );
    expect(readdirSync(t.parts.paths.checkpoints)).toEqual(['step-00000001.safetensors']);
    t.dispose();
  });

  it('validate: returns the MSE and logs it; an aborted signal stops the pass (null)', async () => {
    const controller = new AbortController();
    const { trainer: t, batches } = await trainer({}, controller.signal);
    t.step(batches[0]!, 0);
    const mse = await t.validate();
    expect(mse).toBeGreaterThan(0);
    expect(log(t).at(-1)).toMatchObject({ type: 'validation', mse, images: 6 });
    controller.abort('SIGTERM');
    expect(await t.validate()).toBeNull();
    t.dispose();
  });

  it('stop: one signal checkpoint per position and a stop record naming the signal; no train-summary.json', async () => {
    const controller = new AbortController();
    const { trainer: t, batches } = await trainer({}, controller.signal);
    t.step(batches[0]!, 0);
    controller.abort('SIGINT');
    const summary = await t.stop();
    await t.stop();
    expect(summary).toMatchObject({ status: 'interrupted', steps: 1 });
    expect(readdirSync(t.parts.paths.checkpoints)).toEqual(['step-00000001.safetensors']);
    expect(log(t).filter((r) => r.type === 'stop')[0]).toMatchObject({ reason: 'SIGINT', step: 1 });
    expect(existsSync(t.parts.paths.trainSummary)).toBe(false);
    t.dispose();
  });

  it('resume: a second trainer continues from the checkpoint with bit-identical state (Adam internals included)', async () => {
    const { trainer: a, batches } = await trainer({ seed: 3 });
    a.step(batches[0]!, 0);
    a.step(batches[1]!, 0);
    await a.flush();
    const path = await a.checkpoint('interval', null);
    const { trainer: b } = await trainer({ seed: 3 });
    await b.resume(readCheckpoint(path));
    expect(b.state.position).toEqual(a.state.position);
    expect(b.parts.loaders.train.getState()).toEqual(a.parts.loaders.train.getState());
    expect(b.parts.adam.learningRate).toBe(a.parts.adam.learningRate);
    a.step(batches[2]!, 0);
    b.step(batches[2]!, 0);
    const [sa, sb] = await Promise.all([a.parts.adam.encode(), b.parts.adam.encode()]);
    expect(sb.meta.accBeta).toEqual(sa.meta.accBeta);
    for (const name of Object.keys(sa.tensors)) {
      expect(Array.from(sb.tensors[name]!.data as Float32Array), name).toEqual(
        Array.from(sa.tensors[name]!.data as Float32Array),
      );
    }
    a.dispose();
    b.dispose();
  });

  it('resume refuses a checkpoint whose training data settings differ', async () => {
    const { trainer: a, batches } = await trainer();
    a.step(batches[0]!, 0);
    const path = await a.checkpoint('interval', null);
    const { trainer: b } = await trainer({
      data: { train: data.train, val: data.val, size: 16, transform: 'center-crop' },
    });
    await expect(b.resume(readCheckpoint(path))).rejects.toThrow(
      /training data settings differ from those of .*step-00000001\.safetensors/,
    );
    a.dispose();
    b.dispose();
  });
});

describe('Adam adapter', () => {
  it('encode → restore reproduces every tensor, the β^t products and the rate exactly', async () => {
    const v = tf.variable(tf.tensor1d([1, -2, 3]));
    const a = new AdamAdapter(0.1);
    for (let i = 0; i < 3; i++)
      a.optimizer.minimize(() => tf.sum(tf.square(v)) as tf.Scalar, false, [v]);
    const saved = await a.encode();
    expect(saved.meta.names).toHaveLength(3);
    expect(AdamAdapter.tensorSpecs([v], 3)).toEqual({
      'optimizer/0': { dtype: 'I32', shape: [] },
      'optimizer/1': { dtype: 'F32', shape: [3] },
      'optimizer/2': { dtype: 'F32', shape: [3] },
    });
    const b = new AdamAdapter(0.5);
    await b.restore(saved.tensors, saved.meta, 0.1);
    const again = await b.encode();
    expect(again.meta).toEqual(saved.meta);
    expect(b.learningRate).toBe(0.1);
    for (const k of Object.keys(saved.tensors)) expect(again.tensors[k]).toEqual(saved.tensors[k]);
    tf.dispose([v]);
    a.dispose();
    b.dispose();
  });
});

describe('memory estimate', () => {
  it("the paper's models need little; codebookSize 1e9 and channels 1e5 are named", () => {
    const paper = resolveConfig('paper', ['data.train=/t', 'data.val=/v']);
    const need = trainingMemory(paper);
    expect(need.bytes).toBeGreaterThan(4 * 4 * 1_174_091);
    expect(need.bytes).toBeLessThan(2e9);
    expect(
      trainingMemory(
        resolveConfig('paper', ['data.train=/t', 'data.val=/v', 'model.single.codebookSize=1e9']),
      ).largestTensor.key,
    ).toBe('model.single.codebookSize');
    expect(
      trainingMemory(
        resolveConfig('paper', ['data.train=/t', 'data.val=/v', 'model.single.channels=100000']),
      ).largestTensor.key,
    ).toBe('model.single.channels');
  });
});
