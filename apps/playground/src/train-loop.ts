import * as tf from '@tensorflow/tfjs-core';
import { deadFraction, msePerImage, perplexity, psnrFromMse } from '@vqkit/metrics';
import { type VQVAE, vqvaeTrainStep } from '@vqkit/models';
import { Rng } from '@vqkit/random';
import { DATA_RANGE } from './defaults';
import type { RgbImage } from './pixels';
import { randomCrops } from './random-crops';
import type { EvalRecord, ResetRecord, StepRecord } from './run-record';

/** How one run trains: the page's options that the loop reads. */
export interface LoopSettings {
  cropSize: number;
  batchSize: number;
  learningRate: number;
  steps: number;
  evalEvery: number;
  seed: number;
}

/** What the loop reports, as it happens. Callbacks may be async; the loop awaits them. */
export interface LoopCallbacks {
  onStep?(record: StepRecord): void | Promise<void>;
  /**
   * `reconstruction` is the whole photo `[1, H, W, 3]` clipped to [0, 1] (disposed after the
   * callback); `counts` are each level's assignments `[K]` since the previous evaluation.
   */
  onEval?(
    record: EvalRecord,
    reconstruction: tf.Tensor4D,
    counts: Readonly<Record<string, Float32Array>>,
  ): void | Promise<void>;
  onReset?(record: ResetRecord): void | Promise<void>;
}

/** Gives the browser a turn (input, painting) between steps. */
export function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Trains a VQ-VAE on random S×S crops of one photo with Adam, reading the losses back after every
 * step (asynchronously: works on webgpu), evaluating the whole photo after the first step, every
 * `evalEvery` steps and at the end (a data-initialised codebook exists only after the first
 * training step), and yielding to the browser between steps. {@link stop} takes effect
 * before the next step starts, so at most the step in flight completes after it.
 */
export class TrainingLoop {
  private stopRequested = false;
  private readonly rng: Rng;
  private readonly optimizer: tf.Optimizer;
  private readonly original: tf.Tensor4D;
  private intervalCounts: Record<string, tf.Tensor1D> = {};
  private stepsDone = 0;

  constructor(
    private readonly model: VQVAE,
    private readonly image: RgbImage,
    private readonly settings: LoopSettings,
    private readonly callbacks: LoopCallbacks = {},
  ) {
    this.rng = new Rng(settings.seed);
    this.optimizer = tf.train.adam(settings.learningRate);
    this.original = tf.tensor4d(image.data, [1, image.height, image.width, 3]);
  }

  /** Steps completed so far. */
  get step(): number {
    return this.stepsDone;
  }

  /** Asks the loop to end before its next step. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Runs until `steps` are done or {@link stop}; returns how it ended. Frees its tensors at the end. */
  async run(): Promise<'finished' | 'stopped'> {
    try {
      while (this.stepsDone < this.settings.steps && !this.stopRequested) {
        const record = await this.trainStep();
        await this.callbacks.onStep?.(record);
        const n = this.stepsDone;
        if ((n === 1 || n % this.settings.evalEvery === 0) && n < this.settings.steps) {
          await this.evaluate();
        }
        await yieldToBrowser();
      }
      // A data-initialised codebook exists only after the first training step.
      if (this.stepsDone > 0) await this.evaluate();
      return this.stopRequested && this.stepsDone < this.settings.steps ? 'stopped' : 'finished';
    } finally {
      this.dispose();
    }
  }

  /** One optimizer step (eq. 3) on a fresh batch of crops; returns its losses, read after the step. */
  private async trainStep(): Promise<StepRecord> {
    const s = this.settings;
    const crops = randomCrops(this.image, s.cropSize, s.batchSize, this.rng);
    const x = tf.tensor4d(crops, [s.batchSize, s.cropSize, s.cropSize, 3]);
    const result = vqvaeTrainStep(this.model, this.optimizer, x);
    this.accumulate(result.counts);
    const { total, reconstruction, commitment } = result.loss;
    const [loss, rec, com] = await Promise.all(
      [total, reconstruction, commitment].map(async (t) => (await t.data())[0]!),
    );
    tf.dispose([x, total, reconstruction, commitment, ...Object.values(result.counts)]);
    this.stepsDone += 1;
    return { step: this.stepsDone, loss: loss!, reconstruction: rec!, commitment: com! };
  }

  /** Adds a step's per-level counts to the running interval totals, on device. */
  private accumulate(counts: Readonly<Record<string, tf.Tensor1D | undefined>>): void {
    for (const [level, c] of Object.entries(counts)) {
      if (c === undefined) continue;
      const prev = this.intervalCounts[level];
      this.intervalCounts[level] = prev === undefined ? tf.clone(c) : tf.add(prev, c);
      prev?.dispose();
    }
  }

  /**
   * Reconstructs the whole photo in one pass (the model is fully convolutional: any sides that are
   * multiples of 8 work), measures its PSNR, reads and clears the interval's code counts and the
   * quantizers' reset events, and reports them.
   */
  private async evaluate(): Promise<void> {
    const picture = tf.tidy(() => {
      const out = this.model.forward(this.original, { training: false });
      return tf.clipByValue(out.reconstruction, DATA_RANGE.low, DATA_RANGE.high) as tf.Tensor4D;
    });
    const mseT = msePerImage(this.original, picture);
    const mse = (await mseT.data())[0]!;
    mseT.dispose();
    const usage: EvalRecord['usage'] = {};
    const countsByLevel: Record<string, Float32Array> = {};
    for (const [level, t] of Object.entries(this.intervalCounts)) {
      const counts = (await t.data()) as Float32Array;
      countsByLevel[level] = counts;
      const total = counts.reduce((a, b) => a + b, 0);
      usage[level] = {
        perplexity: total > 0 ? perplexity(counts) : 0,
        deadFraction: total > 0 ? deadFraction(counts) : 1,
        total,
      };
      t.dispose();
    }
    this.intervalCounts = {};
    await this.reportResets();
    const record: EvalRecord = {
      step: this.stepsDone,
      psnr: psnrFromMse(mse, DATA_RANGE.span),
      mse,
      usage,
    };
    try {
      await this.callbacks.onEval?.(record, picture, countsByLevel);
    } finally {
      picture.dispose();
    }
  }

  private async reportResets(): Promise<void> {
    for (const { name, quantizer } of this.model.quantizers) {
      for (const event of await quantizer.flushEvents()) {
        if (event.kind !== 'reset') continue;
        // The quantizer numbers its training forwards from 0; the page counts completed steps.
        await this.callbacks.onReset?.({
          step: event.step + 1,
          level: name,
          codesReset: event.codesReset,
          policy: event.policy,
        });
      }
    }
  }

  private dispose(): void {
    tf.dispose([this.original, ...Object.values(this.intervalCounts)]);
    this.intervalCounts = {};
    this.optimizer.dispose();
  }
}
