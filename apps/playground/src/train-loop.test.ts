import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { describe, expect, it } from 'vitest';
import { defaultOptions } from './options';
import type { RgbImage } from './pixels';
import type { EvalRecord, ResetRecord, StepRecord } from './run-record';
import { type LoopSettings, TrainingLoop } from './train-loop';
import { buildModel, modelOptions } from './vqvae';

/** A seeded 32×16 photo of smooth colour gradients plus noise. */
function photo(): RgbImage {
  const rng = new Rng(7);
  const width = 32;
  const height = 16;
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        data[(y * width + x) * 3 + c] = Math.min(
          1,
          (x / width + y / height + c * 0.2) / 2.4 + 0.1 * rng.uniform(),
        );
  return { width, height, data };
}

/** The page's options shrunk to a tiny model: 16×16 crops, C 8, K 16, D 4, no residual blocks. */
function tinyModel(reset: 'windowed' | 'none' = 'windowed') {
  const o = {
    ...defaultOptions(),
    cropSize: 16,
    imageSide: 16,
    channels: 8,
    codebookSize: 16,
    codeDim: 4,
    resBlocks: 0,
    reset,
    resetWindow: 2,
  };
  return buildModel(modelOptions(o));
}

const SETTINGS: LoopSettings = {
  cropSize: 16,
  batchSize: 2,
  learningRate: 3e-3,
  steps: 6,
  evalEvery: 3,
  seed: 1,
};

function record() {
  const steps: StepRecord[] = [];
  const evals: { record: EvalRecord; shape: number[]; totals: Record<string, number> }[] = [];
  const resets: ResetRecord[] = [];
  return {
    steps,
    evals,
    resets,
    callbacks: {
      onStep: (s: StepRecord) => {
        steps.push(s);
      },
      onEval: (
        e: EvalRecord,
        picture: tf.Tensor4D,
        counts: Readonly<Record<string, Float32Array>>,
      ) => {
        const totals = Object.fromEntries(
          Object.entries(counts).map(([level, c]) => [level, c.reduce((a, b) => a + b, 0)]),
        );
        evals.push({ record: e, shape: picture.shape, totals });
      },
      onReset: (r: ResetRecord) => {
        resets.push(r);
      },
    },
  };
}

describe('TrainingLoop', () => {
  it('trains, evaluates after step 1, every evalEvery steps and at the end, and frees its tensors', async () => {
    const model = tinyModel();
    const before = tf.memory().numTensors;
    const r = record();
    const loop = new TrainingLoop(model, photo(), SETTINGS, r.callbacks);
    expect(await loop.run()).toBe('finished');
    expect(tf.memory().numTensors).toBe(before);
    expect(r.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const s of r.steps) {
      expect(s.loss).toBeCloseTo(s.reconstruction + s.commitment, 5);
      expect(Number.isFinite(s.loss)).toBe(true);
    }
    expect(r.evals.map((e) => e.record.step)).toEqual([1, 3, 6]);
    // The whole 32×16 photo in one pass.
    expect(r.evals[0]!.shape).toEqual([1, 16, 32, 3]);
    // Counts cover exactly the steps since the previous evaluation: steps × batch × positions.
    expect(r.evals.map((e) => e.totals)).toEqual([
      { bottom: 1 * 2 * 16, top: 1 * 2 * 4 },
      { bottom: 2 * 2 * 16, top: 2 * 2 * 4 },
      { bottom: 3 * 2 * 16, top: 3 * 2 * 4 },
    ]);
    const last = r.evals.at(-1)!.record;
    expect(Object.keys(last.usage)).toEqual(['bottom', 'top']);
    expect(last.usage.bottom!.perplexity).toBeGreaterThan(1);
    expect(last.psnr).toBeGreaterThan(0);
    // Reset events carry the step (1-based, as on the page) after which they happened.
    expect(r.resets.length).toBeGreaterThan(0);
    for (const reset of r.resets) {
      expect(reset.step).toBeGreaterThanOrEqual(1);
      expect(reset.step).toBeLessThanOrEqual(6);
      expect(reset.policy).toBe('windowed(recent-mean)');
    }
    model.dispose();
  });

  it('stop() ends the run before the next step and still evaluates the trained model', async () => {
    const model = tinyModel('none');
    const r = record();
    let loop: TrainingLoop | undefined;
    const callbacks = {
      ...r.callbacks,
      onStep: (s: StepRecord) => {
        r.steps.push(s);
        if (s.step === 2) loop!.stop();
      },
    };
    loop = new TrainingLoop(model, photo(), SETTINGS, callbacks);
    expect(await loop.run()).toBe('stopped');
    expect(loop.step).toBe(2);
    expect(r.steps).toHaveLength(2);
    expect(r.evals.map((e) => e.record.step)).toEqual([1, 2]);
    model.dispose();
  });

  it('a stop before the first step trains nothing and evaluates nothing', async () => {
    const model = tinyModel('none');
    const r = record();
    const loop = new TrainingLoop(model, photo(), SETTINGS, r.callbacks);
    loop.stop();
    expect(await loop.run()).toBe('stopped');
    expect(r.steps).toEqual([]);
    expect(r.evals).toEqual([]);
    model.dispose();
  });
});
