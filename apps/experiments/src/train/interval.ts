import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';

/** The loss terms of one step, as `vqvaeTrainStep` returns them (device scalars). */
export interface StepLoss {
  total: tf.Scalar;
  reconstruction: tf.Scalar;
}

/** What one log interval amounted to, read back from the device in one go. */
export interface IntervalReading {
  steps: number;
  images: number;
  /** Wall-clock seconds since the interval started. */
  seconds: number;
  /** Mean eq. 3 loss and mean reconstruction MSE over the interval's steps. */
  loss: number;
  mse: number;
  /** The first step (1-based) whose loss was NaN or ±Infinity, or null. */
  firstBadStep: number | null;
  /** Whether the probe passed to {@link IntervalAccumulator.read} was finite (true without one). */
  probeFinite: boolean;
  /** Per level: assignment counts summed over the interval. */
  counts: Float32Array[];
}

/**
 * Device-side accumulators of one log interval: loss and MSE sums, the first step with a
 * non-finite loss, and per-level code counts. Adding a step reads nothing back to the host; the
 * interval is read once, by {@link read} (the only host reads of the training path).
 */
export class IntervalAccumulator {
  steps = 0;
  images = 0;
  private startedAt = performance.now();
  private lossSum: tf.Scalar | null = null;
  private mseSum: tf.Scalar | null = null;
  private firstBad: tf.Scalar | null = null;
  private counts: tf.Tensor1D[] | null = null;

  /** Restarts the clock of an empty interval (so img/s excludes validation and checkpoints). */
  restartClock(): void {
    if (this.steps === 0) this.startedAt = performance.now();
  }

  /**
   * Adds one step: its loss terms, its per-level counts (`[K]` each, levels in model order), the
   * step's 1-based number and its batch size. The caller keeps ownership of the tensors passed.
   */
  add(loss: StepLoss, counts: readonly tf.Tensor1D[], stepNumber: number, images: number): void {
    const next = tf.tidy(() => {
      const bad = tf.logicalNot(tf.isFinite(loss.total));
      const prevBad = this.firstBad ?? tf.scalar(-1);
      const firstBad = tf.where(
        tf.logicalAnd(tf.less(prevBad, 0), bad),
        tf.scalar(stepNumber),
        prevBad,
      ) as tf.Scalar;
      const sum = (acc: tf.Tensor | null, t: tf.Tensor) => (acc ? tf.add(acc, t) : tf.clone(t));
      return {
        lossSum: sum(this.lossSum, loss.total) as tf.Scalar,
        mseSum: sum(this.mseSum, loss.reconstruction) as tf.Scalar,
        firstBad,
        counts: counts.map((c, i) => sum(this.counts?.[i] ?? null, c) as tf.Tensor1D),
      };
    });
    this.dispose();
    this.lossSum = next.lossSum;
    this.mseSum = next.mseSum;
    this.firstBad = next.firstBad;
    this.counts = next.counts;
    this.steps++;
    this.images += images;
  }

  /**
   * Reads the interval back (and `probe`, a scalar that is finite when all is well, in the same
   * round trip), then empties it and disposes `probe`. Null when no step was added.
   */
  async read(probe: tf.Scalar | null = null): Promise<IntervalReading | null> {
    if (this.steps === 0 || this.lossSum === null || this.mseSum === null) {
      probe?.dispose();
      return null;
    }
    const scalars = [
      this.lossSum,
      this.mseSum,
      this.firstBad ?? tf.scalar(-1),
      probe ?? tf.scalar(0),
    ];
    const [values, counts] = await Promise.all([
      Promise.all(scalars.map((s) => s.data())),
      Promise.all((this.counts ?? []).map((c) => c.data() as Promise<Float32Array>)),
    ]);
    const [loss, mse, bad, probed] = values.map((v) => v[0]!) as [number, number, number, number];
    const reading: IntervalReading = {
      steps: this.steps,
      images: this.images,
      seconds: (performance.now() - this.startedAt) / 1000,
      loss: loss / this.steps,
      mse: mse / this.steps,
      firstBadStep: bad >= 0 ? bad : null,
      probeFinite: Number.isFinite(probed),
      counts,
    };
    tf.dispose([...scalars, ...(this.counts ?? [])]);
    this.clear();
    this.steps = 0;
    this.images = 0;
    this.startedAt = performance.now();
    return reading;
  }

  /** Frees the accumulators. */
  dispose(): void {
    const held: (tf.Tensor | null)[] = [
      this.lossSum,
      this.mseSum,
      this.firstBad,
      ...(this.counts ?? []),
    ];
    tf.dispose(held.filter((t): t is tf.Tensor => t !== null));
    this.clear();
  }

  private clear(): void {
    this.lossSum = null;
    this.mseSum = null;
    this.firstBad = null;
    this.counts = null;
  }
}
