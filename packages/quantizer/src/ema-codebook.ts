import * as tf from '@tensorflow/tfjs-core';
import type { ResetDecision } from './reset-policies';
import { l2Normalize } from './rotation-trick';
import { assignData, type TensorData, tensorData } from './state';

/** What an {@link EmaCodebook} needs of the quantizer's options. */
export interface EmaCodebookOptions {
  /** K. */
  codebookSize: number;
  /** Dc: the dimension of the code vectors. */
  codebookDim: number;
  /** `'gradient'`: the codebook is a trainable variable and the EMA only smooths the counts N. */
  learning: 'ema' | 'gradient';
  /** `'cosine'`: codes are kept l2-normalised. */
  distance: 'euclidean' | 'cosine';
  /** γ. */
  decay: number;
  /** ε of the Laplace smoothing. */
  epsilon: number;
  /** Whether `N`, `M` are hidden accumulators divided by `1 − γ^t`. */
  biasCorrection: boolean;
}

/** One training batch as the EMA update sees it (all on device, off the tape). */
export interface EmaBatch {
  /** `[N, Dc]` code-space rows, non-finite entries replaced by 0. */
  clean: tf.Tensor2D;
  /** int32 `[N, 1]`: each row's code (scatter positions). */
  at: tf.Tensor2D;
  /** `[K]`: the batch counts `n_k`. */
  counts: tf.Tensor1D;
  /** bool scalar: false when the batch held non-finite values (then nothing changes). */
  valid: tf.Scalar;
}

/**
 * The reset policy's step, called between the EMA update and the commit with `N_k` (bias-corrected
 * values in that mode) and the updated codebook.
 */
export type ResetStep = (emaCount: tf.Tensor1D, codebook: tf.Tensor2D) => ResetDecision | null;

/** The values one step proposes (nothing assigned yet). */
interface Proposal {
  /** `[K, Dc]` codebook. */
  codebook: tf.Tensor2D;
  /** `[K]` stored N (hidden accumulator with bias correction). */
  count: tf.Tensor1D;
  /** `[K, Dc]` stored M. */
  sum: tf.Tensor2D;
}

/** Saved values of an {@link EmaCodebook} (fields of {@link VectorQuantizerState}). */
export interface EmaCodebookState {
  emaSteps: number;
  codebook: TensorData;
  emaCount: TensorData;
  emaSum: TensorData;
}

/**
 * The codebook `e` `[K, Dc]` of a {@link VectorQuantizer} with its EMA statistics (paper §3):
 * counts `N` `[K]`, sums `M` `[K, Dc]` and `t`, the updates accepted since initialisation (on
 * device: a batch rejected for non-finite values must not advance it, and only the device knows).
 *
 * One step with batch counts `n_k` and sums `s_k = Σ_{i: k(i)=k} x_i`:
 * `N_k ← γN_k + (1−γ)n_k`, `M_k ← γM_k + (1−γ)s_k`,
 * `Ñ_k = (N_k + ε)/(Σ_j N_j + Kε)·Σ_j N_j`, `e_k ← M_k / Ñ_k` (l2-normalised for cosine); then the
 * reset policy's dead codes get `e_k`, `N_k`, `M_k` together. With gradient learning only `N`
 * moves (the optimizer trains `e`).
 */
export class EmaCodebook {
  /** `e` `[K, Dc]` (trainable with gradient learning). */
  readonly codebook: tf.Variable<tf.Rank.R2>;
  /** `N` `[K]`. */
  readonly count: tf.Variable<tf.Rank.R1>;
  /** `M` `[K, Dc]`. */
  readonly sum: tf.Variable<tf.Rank.R2>;
  /** `t`, scalar. */
  readonly steps: tf.Variable<tf.Rank.R0>;

  constructor(private readonly o: EmaCodebookOptions) {
    const [k, dc] = [o.codebookSize, o.codebookDim];
    this.codebook = tf.tidy(() => tf.variable(tf.zeros([k, dc]), o.learning === 'gradient'));
    this.count = tf.tidy(() => tf.variable(tf.zeros([k]), false));
    this.sum = tf.tidy(() => tf.variable(tf.zeros([k, dc]), false));
    this.steps = tf.tidy(() => tf.variable(tf.scalar(0), false));
  }

  /**
   * Sets the codebook to `fresh` `[K, Dc]` (normalised for cosine) where `valid` (bool scalar;
   * `null`: unconditionally), with `N_k = 1`, `M_k = e_k` (bias correction: `N = M = 0`) and `t = 0`.
   */
  initialize(fresh: tf.Tensor2D, valid: tf.Scalar | null): void {
    tf.tidy(() => {
      const normalized = this.o.distance === 'cosine' ? l2Normalize(fresh) : fresh;
      const codebook =
        valid === null ? normalized : (tf.where(valid, normalized, this.codebook) as tf.Tensor2D);
      this.codebook.assign(codebook);
      if (this.o.biasCorrection) {
        this.count.assign(tf.zerosLike(this.count));
        this.sum.assign(tf.zerosLike(this.sum));
      } else {
        this.count.assign(tf.onesLike(this.count));
        this.sum.assign(codebook);
      }
      this.steps.assign(tf.scalar(0));
    });
  }

  /**
   * One training step (inside a tidy, off the tape): EMA update, then `resetStep` and its atomic
   * resets, committed only where `batch.valid`. Returns the number of codes reset (float32 scalar).
   */
  update(batch: EmaBatch, resetStep: ResetStep): tf.Scalar {
    const t = tf.add(this.steps, 1) as tf.Scalar;
    // 1 − γ^t = −expm1(t·ln γ): no float32 cancellation when γ^t is close to 1.
    const scale: tf.Scalar | number = this.o.biasCorrection
      ? (tf.neg(tf.expm1(tf.mul(t, Math.log(this.o.decay)))) as tf.Scalar)
      : 1;
    const hidden = this.emaStep(batch);
    const n = this.o.biasCorrection ? (tf.div(hidden.count, scale) as tf.Tensor1D) : hidden.count;
    const updated = { ...hidden, codebook: this.codebookFrom(n, hidden.sum, scale) };
    const decision = resetStep(n, updated.codebook);
    const { next, codesReset } =
      decision === null
        ? { next: updated, codesReset: tf.scalar(0) as tf.Scalar }
        : this.applyReset(updated, decision, batch.valid, scale);
    const v = batch.valid;
    this.codebook.assign(tf.where(v, next.codebook, this.codebook) as tf.Tensor2D);
    this.count.assign(tf.where(v, next.count, this.count) as tf.Tensor1D);
    this.sum.assign(tf.where(v, next.sum, this.sum) as tf.Tensor2D);
    this.steps.assign(tf.where(v, t, this.steps) as tf.Scalar);
    return codesReset;
  }

  /** `N ← γN + (1−γ)n`, and `M ← γM + (1−γ)s` with EMA learning (stored values). */
  private emaStep({ clean, at, counts }: EmaBatch): Proposal {
    const g = this.o.decay;
    const count = tf.add(tf.mul(this.count, g), tf.mul(counts, 1 - g)) as tf.Tensor1D;
    const sum =
      this.o.learning === 'ema'
        ? (tf.add(
            tf.mul(this.sum, g),
            tf.mul(tf.scatterND(at, clean, [this.o.codebookSize, this.o.codebookDim]), 1 - g),
          ) as tf.Tensor2D)
        : this.sum;
    return { codebook: this.codebook, count, sum };
  }

  /**
   * `e_k = M_k / Ñ_k` with Laplace smoothing `Ñ_k = (N_k + ε)/(Σ_j N_j + Kε)·Σ_j N_j` of the
   * (bias-corrected) counts `n` (EMA learning; gradient learning keeps `e`).
   */
  private codebookFrom(
    n: tf.Tensor1D,
    hiddenSum: tf.Tensor2D,
    scale: tf.Scalar | number,
  ): tf.Tensor2D {
    if (this.o.learning !== 'ema') return this.codebook;
    const { codebookSize: k, epsilon } = this.o;
    const m = this.o.biasCorrection ? (tf.div(hiddenSum, scale) as tf.Tensor2D) : hiddenSum;
    const total = tf.sum(n);
    const smoothed = tf.mul(tf.div(tf.add(n, epsilon), tf.add(total, k * epsilon)), total);
    let codebook = tf.div(m, tf.reshape(smoothed, [k, 1])) as tf.Tensor2D;
    if (this.o.biasCorrection) {
      // A code never assigned since initialisation keeps its vector (Sonnet's would become 0).
      codebook = tf.where(
        tf.reshape(tf.greater(n, 0), [k, 1]),
        codebook,
        this.codebook,
      ) as tf.Tensor2D;
    }
    return this.o.distance === 'cosine' ? l2Normalize(codebook) : codebook;
  }

  /** Atomic reset of the dead codes: `e_k`, `N_k` and `M_k` together (hidden = value · scale). */
  private applyReset(
    p: Proposal,
    decision: ResetDecision,
    valid: tf.Scalar,
    scale: tf.Scalar | number,
  ): { next: Proposal; codesReset: tf.Scalar } {
    const k = this.o.codebookSize;
    const dead = tf.logicalAnd(decision.dead, valid) as tf.Tensor1D;
    const deadRow = tf.reshape(dead, [k, 1]);
    const fresh =
      this.o.distance === 'cosine' ? l2Normalize(decision.replacement) : decision.replacement;
    const hiddenCount = tf.mul(scale, decision.count);
    const next = {
      codebook: tf.where(deadRow, fresh, p.codebook) as tf.Tensor2D,
      count: tf.where(dead, tf.mul(tf.onesLike(p.count), hiddenCount), p.count) as tf.Tensor1D,
      sum: tf.where(deadRow, tf.mul(fresh, hiddenCount), p.sum) as tf.Tensor2D,
    };
    return { next, codesReset: tf.sum(tf.cast(dead, 'float32')) as tf.Scalar };
  }

  /** Reads `t`, `e`, `N`, `M` (async). */
  async getState(): Promise<EmaCodebookState> {
    return {
      emaSteps: (await this.steps.data())[0]!,
      codebook: await tensorData(this.codebook),
      emaCount: await tensorData(this.count),
      emaSum: await tensorData(this.sum),
    };
  }

  /**
   * Restores `e`, `N`, `M` (a {@link QuantizerError} names the first mismatching field) and `t`
   * (`emaSteps`, already checked by the caller).
   */
  setState(fn: string, state: EmaCodebookState): void {
    assignData(fn, 'codebook', this.codebook, state.codebook);
    assignData(fn, 'emaCount', this.count, state.emaCount);
    assignData(fn, 'emaSum', this.sum, state.emaSum);
    tf.tidy(() => this.steps.assign(tf.scalar(state.emaSteps)));
  }

  dispose(): void {
    tf.dispose([this.codebook, this.count, this.sum, this.steps]);
  }
}
