import * as tf from '@tensorflow/tfjs-core';
import type { Lifecycle } from './lifecycle';
import { assignData, type TensorData, tensorData } from './state';
import { type CodeUsage, readUsage } from './stats';

/** Saved values of a {@link UsageTracker}. */
export interface UsageTrackerState {
  /** `[C]`: counts of the last forward batch. */
  lastCounts: TensorData;
  /** `[C]`: counts of evaluation forwards since the last reset. */
  evalCounts: TensorData;
  /** `[W, C]`: counts of the last W training batches, oldest first. */
  statsWindow: TensorData;
}

/**
 * float32 `[C]`: how many of the indices `[N]` (int32 in [0, C)) name each code, in one
 * scatter-add.
 */
export function countCodes(indices: tf.Tensor1D, codebookSize: number): tf.Tensor1D {
  return tf.scatterND(tf.reshape(indices, [-1, 1]), tf.ones([indices.shape[0]]), [
    codebookSize,
  ]) as tf.Tensor1D;
}

/**
 * Per-code usage counts of a quantizer (every built-in family with a countable codebook): the last
 * batch, a window of training batches and an evaluation pass, all on device. Holds `(W + 2)·C`
 * floats (C = codebook size, W = window). Its reads ({@link usage}, {@link lastCounts},
 * {@link windowCounts}, {@link evalCounts}, {@link resetEvalCounts}) are the quantizer's public
 * methods of those names: each first checks the quantizer's lifecycle.
 */
export class UsageTracker {
  private readonly last: tf.Variable<tf.Rank.R1>;
  private readonly evalAcc: tf.Variable<tf.Rank.R1>;
  private readonly ring: tf.Variable<tf.Rank.R2>;

  /**
   * @param codebookSize - C, the number of codes counted.
   * @param window - W, the training batches summed by {@link windowCounts}.
   * @param life - the owning quantizer's lifecycle: the reads fail once it was disposed.
   */
  constructor(
    readonly codebookSize: number,
    readonly window: number,
    private readonly life: Lifecycle,
  ) {
    this.last = tf.tidy(() => tf.variable(tf.zeros([codebookSize]), false));
    this.evalAcc = tf.tidy(() => tf.variable(tf.zeros([codebookSize]), false));
    this.ring = tf.tidy(() => tf.variable(tf.zeros([window, codebookSize]), false));
  }

  /**
   * Records one forward's counts `[C]` (call off the gradient tape, inside a tidy): always as the
   * last batch; into the window (training) or the evaluation counts, unless `valid` is false.
   */
  record(counts: tf.Tensor1D, valid: tf.Scalar, training: boolean): void {
    this.last.assign(counts);
    if (training) {
      const shifted = tf.concat([
        tf.slice(this.ring, [1, 0], [-1, -1]),
        tf.reshape(counts, [1, this.codebookSize]),
      ]);
      this.ring.assign(tf.where(valid, shifted, this.ring) as tf.Tensor2D);
    } else {
      this.evalAcc.assign(tf.add(this.evalAcc, tf.where(valid, counts, tf.zerosLike(counts))));
    }
  }

  /** Counts of the last forward batch `[C]` (new tensor). */
  lastCounts(): tf.Tensor1D {
    this.life.check('lastCounts');
    return tf.clone(this.last);
  }

  /** Counts summed over the last W training batches `[C]` (new tensor). */
  windowCounts(): tf.Tensor1D {
    this.life.check('windowCounts');
    return tf.tidy(() => tf.sum(this.ring, 0) as tf.Tensor1D);
  }

  /** Evaluation counts since {@link resetEvalCounts} `[C]` (new tensor). */
  evalCounts(): tf.Tensor1D {
    this.life.check('evalCounts');
    return tf.clone(this.evalAcc);
  }

  /** Zeroes the evaluation counts. */
  resetEvalCounts(): void {
    this.life.check('resetEvalCounts');
    tf.tidy(() => this.evalAcc.assign(tf.zerosLike(this.evalAcc)));
  }

  /** Perplexity, dead fraction and total of the chosen counts (async read; `@vqkit/metrics` definitions). */
  async usage(which: 'last' | 'window' | 'eval', threshold?: number): Promise<CodeUsage> {
    this.life.check('usage');
    const counts =
      which === 'last'
        ? this.lastCounts()
        : which === 'eval'
          ? this.evalCounts()
          : this.windowCounts();
    try {
      return await readUsage(counts, threshold);
    } finally {
      counts.dispose();
    }
  }

  /** Reads the counts (async). */
  async getState(): Promise<UsageTrackerState> {
    return {
      lastCounts: await tensorData(this.last),
      evalCounts: await tensorData(this.evalAcc),
      statsWindow: await tensorData(this.ring),
    };
  }

  /** Restores counts saved by {@link getState}; a `QuantizerError` names a mismatching field. */
  setState(fn: string, state: Partial<UsageTrackerState>): void {
    assignData(fn, 'lastCounts', this.last, state.lastCounts);
    assignData(fn, 'evalCounts', this.evalAcc, state.evalCounts);
    assignData(fn, 'statsWindow', this.ring, state.statsWindow);
  }

  /** The live count variables: `lastCounts`, `evalCounts`, `statsWindow`. */
  variables(): Record<string, tf.Variable> {
    return { lastCounts: this.last, evalCounts: this.evalAcc, statsWindow: this.ring };
  }

  dispose(): void {
    tf.dispose([this.last, this.evalAcc, this.ring]);
  }
}
