import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CropRegion } from '@vqkit/data';
import { mse, ssim } from '@vqkit/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/checkpoint/file';
import { restoreModel } from '../src/checkpoint/restore';
import { listCheckpoints } from '../src/checkpoint/store';
import { ExperimentsError } from '../src/config/errors';
import { resolveConfig } from '../src/config/resolve';
import { evaluateRun } from '../src/eval/evaluate';
import { runEvalPass } from '../src/eval/pass';
import { type LogRecord, readLog } from '../src/run-dir';
import { createModel } from '../src/train/create-model';
import { createEvalLoader, createTrainLoader, DEMO_REGIONS, demoPhotos } from '../src/train/data';
import { trainRun } from '../src/train/train-run';
import {
  expectSameTensors,
  lastCheckpoint,
  makeDataset,
  silent,
  tinyConfig,
  trainInterrupted,
} from './core-helpers';

let data: Awaited<ReturnType<typeof makeDataset>>;

beforeAll(async () => {
  data = await makeDataset();
});

const byType = (log: LogRecord[], type: string) => log.filter((r) => r.type === type);

describe('train → eval (single level, cpu)', () => {
  it('writes config, log, checkpoints, summary and metrics with sane numbers', async () => {
    const runDir = join(data.root, 'runs', 'single');
    const config = resolveConfig(tinyConfig(data, { tags: { cell: 'K32-D4' } }));
    const live: number[] = [];
    const summary = await trainRun(config, {
      runDir,
      quiet: true,
      stderr: silent,
      onStep: () => live.push(tf.memory().numTensors),
    });
    // After the first step (codebook init, Adam moments), steps, logging, validation and checkpoints
    // leave the number of live tensors unchanged.
    expect(new Set(live.slice(1)).size).toBe(1);
    expect(summary.status).toBe('completed');
    expect(summary.steps).toBe(6);
    expect(Number.isFinite(summary.finalLoss)).toBe(true);

    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'))).toEqual(config);
    expect(JSON.parse(readFileSync(join(runDir, 'train-summary.json'), 'utf8')).steps).toBe(6);
    const log = readLog(join(runDir, 'log.jsonl'));
    const start = byType(log, 'start')[0]!;
    expect(start.config).toEqual(config);
    expect((start.backend as { name: string }).name).toBe('cpu');
    expect((start.versions as Record<string, string>)['@tensorflow/tfjs-core']).toBe(
      tf.version_core,
    );
    expect(byType(log, 'step').map((r) => r.step)).toEqual([2, 3, 4, 6]);
    expect(byType(log, 'validation')).toHaveLength(2);
    expect(byType(log, 'epoch').map((r) => r.epoch)).toEqual([0, 1]);
    expect(byType(log, 'init')).toHaveLength(1);
    // The corrupt file is skipped, listed once, and counted.
    const skipped = byType(log, 'skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ split: 'train', path: data.corrupt, kind: 'unreadable' });
    expect(byType(log, 'epoch').at(-1)!.skippedImages).toBe(1);
    const ckpts = listCheckpoints(join(runDir, 'checkpoints'));
    expect(ckpts.map((c) => c.step)).toEqual([3, 6]);
    expect(byType(log, 'checkpoint')).toHaveLength(2);
    // An epoch-end checkpoint records the rate of the next step: that of the epoch it resumes into.
    for (const c of ckpts) {
      expect(c.meta.learningRate).toBe(
        config.train.learningRate * config.train.lrDecay ** c.meta.epoch,
      );
    }

    const metrics = await evaluateRun(runDir, { quiet: true, stderr: silent });
    const onDisk = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
    expect(onDisk.schema).toBe('vqkit.metrics/1');
    expect(onDisk.run).toBe('e2e');
    expect(onDisk.tags).toEqual({ cell: 'K32-D4' });
    expect(metrics.images).toBe(6);
    expect(Number.isFinite(metrics.psnr.mean)).toBe(true);
    expect(metrics.psnr.mean).toBeGreaterThan(5);
    expect(metrics.mse.mean).toBeGreaterThan(0);
    expect(metrics.ssim.mean).toBeLessThanOrEqual(1);
    expect(metrics.params).toBe(summary.params);
    expect(metrics.matched.ok).toBe(true);
    expect(metrics.bitsPerImage).toBe(16 * 5); // 4×4 positions · log2 32
    expect(metrics.bitsPerPixel).toBeCloseTo(80 / 256, 12);
    expect(metrics.entropyBitsPerPixel).toBeLessThanOrEqual(metrics.bitsPerPixel + 1e-12);
    const [level] = metrics.levels;
    expect(level).toMatchObject({
      name: 'single',
      codebookSize: 32,
      codeDim: 4,
      height: 4,
      width: 4,
    });
    expect(level!.perplexity).toBeGreaterThanOrEqual(1);
    expect(level!.perplexity).toBeLessThanOrEqual(32);
    expect(level!.counts.reduce((a, b) => a + b, 0)).toBe(6 * 16);
    expect(level!.lorenz.x.at(-1)).toBe(1);
    expect(level!.lorenz.y.at(-1)).toBe(1);
    expect(level!.lorenz.x[0]).toBe(0);
    expect(metrics.samples.originals).toEqual(['samples/original-0.png', 'samples/original-1.png']);
    for (const rel of [...metrics.samples.originals, ...metrics.samples.reconstructions]) {
      expect(statSync(join(runDir, rel)).size).toBeGreaterThan(50);
    }
    expect(byType(readLog(join(runDir, 'log.jsonl')), 'eval')).toHaveLength(1);
  });

  it('refuses to overwrite an existing run without --resume', async () => {
    const runDir = join(data.root, 'runs', 'single');
    const config = resolveConfig(tinyConfig(data));
    const error = await trainRun(config, { runDir, quiet: true, stderr: silent }).catch((e) => e);
    expect(error).toBeInstanceOf(ExperimentsError);
    expect((error as ExperimentsError).exitCode).toBe(2);
    expect((error as Error).message).toContain('--resume');
  });
});

describe("'-1,1' data", () => {
  it('reports PSNR with data range 2 and SSIM on the pixels mapped to [0, 1]', async () => {
    const runDir = join(data.root, 'runs', 'range-11');
    const config = resolveConfig(
      tinyConfig(data, {
        data: { train: data.train, val: data.val, size: 16, range: '-1,1' },
        train: { epochs: 1, stepsPerEpoch: 2, batchSize: 4, logEvery: 1 },
      }),
    );
    await trainRun(config, { runDir, quiet: true, stderr: silent });
    const metrics = await evaluateRun(runDir, { quiet: true, stderr: silent });
    expect(metrics.dataRange).toBe(2);
    // Reference: the evaluated checkpoint's reconstructions of every image, mapped to [0, 1].
    // SSIM's luminance term (2μxμy + C1)/(μx² + μy² + C1) assumes non-negative intensities, so
    // [−1, 1] pixels must be shifted, not just given L = 2 (mid-grey 0 would make it collapse).
    const model = createModel(config);
    const loader = await createEvalLoader(config, 'val', config.data.val, null, 'data.val');
    try {
      await restoreModel(readCheckpoint(join(runDir, metrics.checkpoint.path)), model);
      const pass = await runEvalPass(model, loader, { samples: metrics.images });
      const to01 = (v: Float32Array) =>
        tf.tensor4d(
          v.map((p) => (p + 1) / 2),
          [1, 16, 16, 3],
        );
      const ssims: number[] = [];
      const mses: number[] = [];
      for (const s of pass.samples) {
        const [x, y] = [to01(s.original), to01(s.reconstruction)];
        ssims.push((await ssim(x, y, { dataRange: 1, windowSize: 11 }))[0]!);
        mses.push((await mse(x, y))[0]!);
        tf.dispose([x, y]);
      }
      const mean = (a: number[]) => a.reduce((u, v) => u + v, 0) / a.length;
      expect(ssims).toHaveLength(6);
      expect(metrics.ssim.mean).toBeCloseTo(mean(ssims), 5);
      expect(metrics.ssim.mean).toBeGreaterThan(0);
      // PSNR with R = 2 on [−1, 1] equals PSNR with R = 1 on [0, 1].
      expect(metrics.psnr.mean).toBeCloseTo(mean(mses.map((m) => 10 * Math.log10(1 / m))), 3);
    } finally {
      model.dispose();
    }
  });
});

describe('hierarchical and unmatched runs', () => {
  it('trains and evaluates the hierarchical model with bottom and top levels', async () => {
    const runDir = join(data.root, 'runs', 'hier');
    const config = resolveConfig(
      tinyConfig(data, {
        architecture: 'hierarchical',
        train: { epochs: 1, stepsPerEpoch: 2, batchSize: 4, logEvery: 1 },
      }),
    );
    await trainRun(config, { runDir, quiet: true, stderr: silent });
    const metrics = await evaluateRun(runDir, { quiet: true, stderr: silent });
    expect(metrics.architecture).toBe('hierarchical');
    expect(metrics.levels.map((l) => [l.name, l.height, l.codebookSize])).toEqual([
      ['bottom', 4, 16],
      ['top', 2, 16],
    ]);
    expect(metrics.bitsPerImage).toBe((16 + 4) * 4);
    for (const l of metrics.levels) expect(l.perplexity).toBeGreaterThanOrEqual(1);
    const steps = byType(readLog(join(runDir, 'log.jsonl')), 'step');
    expect(Object.keys(steps[0]!.perplexity as object)).toEqual(['bottom', 'top']);
  });

  it('refuses an unmatched pair unless allowUnmatched, then records matched.ok: false', async () => {
    const unmatched = tinyConfig(data, { train: { epochs: 1, stepsPerEpoch: 1, batchSize: 4 } });
    (unmatched.model as { single: { channels: number } }).single.channels = 12;
    const refused = await trainRun(resolveConfig(unmatched), {
      runDir: join(data.root, 'runs', 'refused'),
      quiet: true,
      stderr: silent,
    }).catch((e) => e);
    expect(refused).toBeInstanceOf(ExperimentsError);
    expect((refused as Error).message).toMatch(/eq\. 4.*--allow-unmatched/s);
    expect(existsSync(join(data.root, 'runs', 'refused', 'config.json'))).toBe(false);

    const runDir = join(data.root, 'runs', 'unmatched');
    await trainRun(resolveConfig({ ...unmatched, allowUnmatched: true }), {
      runDir,
      quiet: true,
      stderr: silent,
    });
    const metrics = await evaluateRun(runDir, { quiet: true, stderr: silent });
    expect(metrics.matched).toMatchObject({ ok: false, allowUnmatched: true });
  });
});

describe('runs survive', () => {
  for (const architecture of ['single', 'hierarchical'] as const) {
    it(`${architecture}: a run interrupted by a signal and resumed equals the uninterrupted run bit for bit`, async () => {
      const config = resolveConfig(tinyConfig(data, { seed: 5, architecture }));
      const suffix = architecture === 'single' ? '' : '-hier';
      const straight = join(data.root, 'runs', `straight${suffix}`);
      await trainRun(config, { runDir: straight, quiet: true, stderr: silent });

      const broken = join(data.root, 'runs', `broken${suffix}`);
      const first = await trainInterrupted(config, broken, 4);
      expect(first.status).toBe('interrupted');
      expect(first.steps).toBe(4);
      expect(existsSync(join(broken, 'train-summary.json'))).toBe(false);
      const stop = byType(readLog(join(broken, 'log.jsonl')), 'stop')[0]!;
      expect(stop).toMatchObject({ reason: 'SIGINT', step: 4 });
      expect(listCheckpoints(join(broken, 'checkpoints')).at(-1)!.meta).toMatchObject({
        step: 4,
        epoch: 1,
        stepInEpoch: 1,
        reason: 'signal',
      });

      const second = await trainRun(null, {
        runDir: broken,
        resume: true,
        quiet: true,
        stderr: silent,
      });
      expect(second.status).toBe('completed');
      expect(second.steps).toBe(6);

      const a = lastCheckpoint(straight);
      const b = lastCheckpoint(broken);
      expect(b.meta.step).toBe(6);
      const names = Object.keys(a.tensors);
      expect(names.some((n) => n.startsWith('model/'))).toBe(true);
      expect(names.some((n) => n.startsWith('optimizer/'))).toBe(true);
      expect(names.some((n) => n.startsWith('quantizer/'))).toBe(true);
      expectSameTensors(a, b);
      const lossAt6 = (dir: string) =>
        byType(readLog(join(dir, 'log.jsonl')), 'step').find((r) => r.step === 6)!.loss;
      expect(lossAt6(broken)).toBe(lossAt6(straight));
      expect(b.meta.valMse).toBe(a.meta.valMse);
      // Adam's bias-correction products β^t continue exactly (tfjs' setWeights would recompute them with pow()).
      expect(b.meta.optimizer.accBeta).toEqual(a.meta.optimizer.accBeta);
      expect(b.meta.optimizer.names.length).toBe(a.meta.optimizer.names.length);
    });
  }

  it("bundled 'demo' photos: held-out validation photos, and an exact resume", async () => {
    const sets = [
      'data.size=16',
      'model.single.channels=10',
      'model.hierarchical.channels=8',
      'model.resChannels=8',
      'data.cropsPerEpoch=16',
      'data.valImages=8',
      'train.batchSize=4',
      'train.logEvery=2',
      'eval.images=8',
    ];
    const config = resolveConfig('tiny', sets);
    expect(config.data.train).toBe('demo');
    expect((await demoPhotos()).length).toBeGreaterThan(1);
    // Training, validation and test regions of each photo are pairwise disjoint.
    const overlap = (a: CropRegion, b: CropRegion) =>
      a.left < b.left + b.width &&
      b.left < a.left + a.width &&
      a.top < b.top + b.height &&
      b.top < a.top + a.height;
    const { train, val, test } = DEMO_REGIONS;
    expect([overlap(train, val), overlap(train, test), overlap(val, test)]).toEqual([
      false,
      false,
      false,
    ]);
    const straight = join(data.root, 'runs', 'demo-straight');
    await trainRun(config, { runDir: straight, quiet: true, stderr: silent });
    const broken = join(data.root, 'runs', 'demo-broken');
    await trainInterrupted(config, broken, 5, 'SIGTERM');
    await trainRun(null, { runDir: broken, resume: true, quiet: true, stderr: silent });
    const a = lastCheckpoint(straight);
    const b = lastCheckpoint(broken);
    expect(b.meta.step).toBe(8);
    for (const name of Object.keys(a.tensors)) {
      expect(Array.from(b.tensors[name]!.data as Float32Array), name).toEqual(
        Array.from(a.tensors[name]!.data as Float32Array),
      );
    }
    const metrics = await evaluateRun(straight, { quiet: true, stderr: silent });
    expect(metrics.images).toBe(8);
    // The tiny preset has data.test: demo, so eval reports on crops model selection never saw.
    expect(metrics.data).toMatchObject({ split: 'test', source: 'demo' });
  });

  it("'demo' photos at data.decodeShorterSide: one pixel scale for every split, test crops a whole quarter of a photo", async () => {
    const config = resolveConfig('tiny', [
      'data.size=64',
      'data.decodeShorterSide=128',
      'train.batchSize=16',
      'eval.images=48',
    ]);
    const test = await createEvalLoader(config, 'test', 'demo', 48, 'data.test');
    const val = await createEvalLoader(config, 'val', 'demo', 16, 'data.val');
    const train = await createTrainLoader(config);
    for (const [loader, region] of [
      [train, DEMO_REGIONS.train],
      [val, DEMO_REGIONS.val],
      [test, DEMO_REGIONS.test],
    ] as const) {
      expect(loader.settings).toMatchObject({ cropSize: 64, decodeShorterSide: 128, region });
    }
    // The astronaut (512² → 128²) has one 64² crop in its top-left quarter: every test crop of it
    // is that whole quarter (her face), the same pixels each time.
    const crops: string[] = [];
    for await (const batch of test.epoch(0)) {
      const per = 64 * 64 * 3;
      batch.paths.forEach((path, b) => {
        if (path.endsWith('astronaut.jpg'))
          crops.push(
            Buffer.from(batch.images.slice(b * per, (b + 1) * per).buffer).toString('hex'),
          );
      });
    }
    expect(crops.length).toBeGreaterThan(1);
    expect(new Set(crops).size).toBe(1);
  });

  it('ignores a temp file left by a crash mid-write and resumes from the last checkpoint', async () => {
    const runDir = join(data.root, 'runs', 'straight');
    const dir = join(runDir, 'checkpoints');
    const stray = join(dir, 'step-00000007.safetensors.tmp-4242-deadbeef');
    writeFileSync(stray, Buffer.alloc(100, 0xab)); // a torn write: garbage, not a checkpoint
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([3, 6]);
    const metrics = await evaluateRun(runDir, { quiet: true, stderr: silent });
    expect(metrics.steps).toBeGreaterThan(0);
    const config = resolveConfig(
      tinyConfig(data, {
        seed: 5,
        train: {
          epochs: 3,
          stepsPerEpoch: 3,
          batchSize: 4,
          learningRate: 2e-3,
          logEvery: 2,
          keepLast: 2,
        },
      }),
    );
    const summary = await trainRun(config, { runDir, resume: true, quiet: true, stderr: silent });
    expect(summary.steps).toBe(9);
    const resume = byType(readLog(join(runDir, 'log.jsonl')), 'resume').at(-1)!;
    expect(resume.step).toBe(6);
    expect(resume.ignoredTempFiles).toEqual([stray]);
    // keepLast 2 plus the best by validation MSE.
    const steps = listCheckpoints(dir).map((c) => c.step);
    expect(steps.slice(-2)).toEqual([6, 9]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.safetensors')).length).toBeLessThanOrEqual(
      3,
    );
  });

  it('a resume that changes the experiment is refused', async () => {
    const config = resolveConfig(tinyConfig(data, { seed: 6 }));
    const error = await trainRun(config, {
      runDir: join(data.root, 'runs', 'straight'),
      resume: true,
      quiet: true,
      stderr: silent,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ExperimentsError);
    expect((error as Error).message).toContain("'seed'");
  });

  it('stops on a non-finite loss, naming the step and the last good checkpoint, overwriting nothing', async () => {
    const runDir = join(data.root, 'runs', 'nan');
    const config = resolveConfig(
      tinyConfig(data, {
        train: {
          epochs: 1,
          stepsPerEpoch: 3,
          batchSize: 4,
          learningRate: 1e30,
          logEvery: 1,
          checkpointEvery: 1,
          keepLast: 5,
        },
      }),
    );
    const error = await trainRun(config, { runDir, quiet: true, stderr: silent }).catch((e) => e);
    expect(error).toBeInstanceOf(ExperimentsError);
    expect((error as ExperimentsError).exitCode).toBe(1);
    const message = (error as Error).message;
    const bad = Number(/non-finite \(NaN or ±Infinity\) at step (\d+)/.exec(message)?.[1]);
    expect(bad).toBeGreaterThanOrEqual(2);
    const ckpts = listCheckpoints(join(runDir, 'checkpoints'));
    expect(ckpts.length).toBeGreaterThan(0);
    expect(ckpts.every((c) => c.step < bad)).toBe(true);
    expect(message).toContain(`last good checkpoint is ${ckpts.at(-1)!.path}`);
    // A resume may not change train.learningRate, so the advice to lower it must point at a new run.
    expect(message).toMatch(/lower train\.learningRate in a new run/);
    const log = readLog(join(runDir, 'log.jsonl'));
    expect(byType(log, 'non-finite-loss')[0]).toMatchObject({ step: bad });
    expect(existsSync(join(runDir, 'train-summary.json'))).toBe(false);
  });
});
