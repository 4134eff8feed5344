import * as tf from '@tensorflow/tfjs-core';
import { deadFraction, msePerImage, perplexity, psnrFromMse } from '@vqkit/metrics';
import type { Quantizer } from '@vqkit/quantizer';
import { Rng } from '@vqkit/random';
import { DATA_RANGE } from './defaults';
import type { ImageLayout } from './image-layout';
import type { RgbImage } from './pixels';
import { randomCrops } from './random-crops';
import type { EvalRecord, ResetRecord, StepRecord } from './run-record';
import { fromTiles, toTiles } from './tiles';

/** What the loop needs of a VQ-VAE (the shape of @vqkit/models' models). */
export interface TrainableVQVAE {
  /** Every gradient-trained variable, by stable name. */
  readonly trainableVariables: Readonly<Record<string, tf.Variable>>;
  /** One quantizer per level (`single`, or `bottom` then `top`). */
  readonly quantizers: readonly { name: string; quantizer: Quantizer }[];
  /**
   * x `[B, S, S, 3]` → x̂ `[B, S, S, 3]`, eq. 3's loss terms (scalars) and per-level counts `[K]`.
   * Usable inside `tf.variableGrads`; no synchronous reads.
   */
  forward(
    x: tf.Tensor4D,
    options: { training: boolean },
  ): {
    reconstruction: tf.Tensor4D;
    loss: { total: tf.Scalar; reconstruction: tf.Scalar; commitment: tf.Scalar };
    counts: Readonly<Record<string, tf.Tensor1D | undefined>>;
  };
}

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
    private readonly model: TrainableVQVAE,
    private readonly image: RgbImage,
    private readonly layout: Pick<ImageLayout, 'tilesX' | 'tilesY'>,
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

  /** One optimizer step on a fresh batch of crops; returns its losses (read after the step). */
  private async trainStep(): Promise<StepRecord> {
    const s = this.settings;
    const x = tf.tensor4d(randomCrops(this.image, s.cropSize, s.batchSize, this.rng), [
      s.batchSize,
      s.cropSize,
      s.cropSize,
      3,
    ]);
    const kept: tf.Tensor[] = [];
    let terms: { reconstruction: tf.Scalar; commitment: tf.Scalar } | undefined;
    let counts: Record<string, tf.Tensor1D> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = this.model.forward(x, { training: true });
      terms = { reconstruction: out.loss.reconstruction, commitment: out.loss.commitment };
      counts = presentCounts(out.counts);
      kept.push(tf.keep(terms.reconstruction), tf.keep(terms.commitment));
      for (const c of Object.values(counts)) kept.push(tf.keep(c));
      return out.loss.total;
    }, this.trainableList());
    this.optimizer.applyGradients(grads);
    this.accumulate(counts);
    const [total, rec, com] = await Promise.all(
      [value, terms!.reconstruction, terms!.commitment].map(async (t) => (await t.data())[0]!),
    );
    tf.dispose([x, value, ...Object.values(grads), ...kept]);
    this.stepsDone += 1;
    return { step: this.stepsDone, loss: total!, reconstruction: rec!, commitment: com! };
  }

  private trainableList(): tf.Variable[] {
    return Object.values(this.model.trainableVariables);
  }

  /** Adds a step's per-level counts to the running interval totals, on device. */
  private accumulate(counts: Record<string, tf.Tensor1D>): void {
    for (const [level, c] of Object.entries(counts)) {
      const prev = this.intervalCounts[level];
      this.intervalCounts[level] = prev === undefined ? tf.clone(c) : tf.add(prev, c);
      prev?.dispose();
    }
  }

  /**
   * Reconstructs the whole photo tile by tile, measures its PSNR, reads and clears the interval's
   * code counts and the quantizers' reset events, and reports them.
   */
  private async evaluate(): Promise<void> {
    const s = this.settings.cropSize;
    const picture = tf.tidy(() => {
      const tiles = toTiles(this.original, s);
      const out = this.model.forward(tiles, { training: false });
      const clipped = tf.clipByValue(out.reconstruction, DATA_RANGE.low, DATA_RANGE.high);
      return fromTiles(clipped as tf.Tensor4D, this.layout.tilesX, this.layout.tilesY);
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

function presentCounts(
  counts: Readonly<Record<string, tf.Tensor1D | undefined>>,
): Record<string, tf.Tensor1D> {
  const out: Record<string, tf.Tensor1D> = {};
  for (const [level, c] of Object.entries(counts)) if (c !== undefined) out[level] = c;
  return out;
}
