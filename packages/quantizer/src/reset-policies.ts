import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@vqkit/random';
import { EMA_RESET_DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import type { PolicyState } from './state';

/** What a {@link ResetPolicyInstance} sees on every training step, after the EMA update. */
export interface ResetContext {
  /** Number of codes K. */
  codebookSize: number;
  /** Code dimension D. */
  codeDim: number;
  /** The quantizer's seeded generator; draw all randomness from it, and only as a function of
   * host-known sizes (never of tensor values), so resumed runs draw the same numbers. */
  rng: Rng;
  /** 0-based index of this training step. */
  step: number;
  /** This batch's encoder outputs `[N, D]` (non-finite entries replaced by 0). */
  batch: tf.Tensor2D;
  /** This batch's per-code assignment counts `n_k`, `[K]` float32. */
  counts: tf.Tensor1D;
  /** EMA counts `N_k` after this step's update, `[K]` (bias-corrected values in that mode). */
  emaCount: tf.Tensor1D;
  /** Codebook after this step's EMA update, `[K, D]`. */
  codebook: tf.Tensor2D;
  /** bool scalar; false when the batch held non-finite values: then the policy must keep its
   * state unchanged (use `tf.where(valid, new, old)`) — the quantizer ignores `dead` anyway. */
  valid: tf.Scalar;
}

/** Which codes to reset and with what; applied atomically by the quantizer. */
export interface ResetDecision {
  /** bool `[K]`: codes to reset this step. */
  dead: tf.Tensor1D;
  /** `[K, D]`: new vector for each code (rows where `dead` is false are ignored). */
  replacement: tf.Tensor2D;
  /** EMA count a reset code starts from: `N_k ← count`, `M_k ← count · e_k`. */
  count: number;
}

/** Per-quantizer state of a reset policy (device buffers such as a window of counts). */
export interface ResetPolicyInstance {
  /**
   * Called inside the quantizer's `tf.tidy` on every training step. Must not read tensors back
   * to the host. Returns `null` when the policy never resets. Tensors it returns are disposed by
   * the caller's tidy; buffers it keeps across steps should be non-trainable `tf.Variable`s.
   */
  step(ctx: ResetContext): ResetDecision | null;
  /** Called after every codebook (re)initialisation: forget all history. */
  onInitialize(): void;
  /** Plain-data copy of the state (async: may read device buffers). */
  getState(): Promise<PolicyState>;
  /** Restores a state from {@link getState}; validates shapes and throws {@link QuantizerError}. */
  setState(state: PolicyState): void;
  /** Releases device buffers. */
  dispose(): void;
  /**
   * Optional (the built-in policies have it; needed by the tf.layers wrapper): the device buffers
   * as live variables and the host numbers, without reads.
   */
  liveState?(): { variables: Record<string, tf.Variable>; host: Record<string, number> };
  /** Restores the host numbers of {@link liveState}. */
  setHostState?(host: Record<string, number>): void;
}

/**
 * How a {@link VectorQuantizer} revives dead codes. A policy is a small value; write your own by
 * implementing this interface — the quantizer needs no change. Each reset is atomic: for every
 * dead code the quantizer sets `e_k`, `N_k` and `M_k` together in the same step, after the EMA
 * update, so stale EMA statistics never overwrite a fresh code.
 */
export interface ResetPolicy {
  /** Short name, used in events and saved state. */
  readonly name: string;
  /** Creates this policy's per-quantizer state. */
  create(sizes: { codebookSize: number; codeDim: number }): ResetPolicyInstance;
}

/** Options of {@link emaDeadCodeReset}. */
export interface EmaResetOptions {
  /** A code whose EMA count `N_k` is below `threshold` is dead. @default 2 */
  threshold?: number;
}

/**
 * The rule of the paper's released code and of vector-quantize-pytorch
 * (`threshold_ema_dead_code`): after each EMA update, a code with `N_k < threshold` is dead and is
 * replaced by a random vector of the current batch (distinct vectors when the batch has ≥ K);
 * then `N_k ← threshold`, `M_k ← threshold · e_k`. Stateless.
 */
export function emaDeadCodeReset(options: EmaResetOptions = {}): ResetPolicy {
  const threshold = options.threshold ?? EMA_RESET_DEFAULTS.threshold;
  if (!(Number.isFinite(threshold) && threshold > 0)) {
    throw new QuantizerError(
      `emaDeadCodeReset: threshold must be a number > 0, got ${threshold}. vector-quantize-pytorch uses 2.`,
    );
  }
  const name = 'ema';
  return {
    name,
    create: ({ codebookSize: k }) =>
      statelessInstance(name, ({ batch, emaCount, rng, valid }) => {
        const rows = batch.shape[0];
        const pick = rng.sample(rows, k, rows < k);
        const replacement = tf.gather(batch, tf.tensor1d(pick, 'int32')) as tf.Tensor2D;
        const dead = tf.logicalAnd(valid, tf.less(emaCount, threshold)) as tf.Tensor1D;
        return { dead, replacement, count: threshold };
      }),
  };
}

/** Never resets a code (plain EMA VQ-VAE). */
export function noReset(): ResetPolicy {
  const name = 'none';
  return { name, create: () => statelessInstance(name, () => null) };
}

/** The instance of a policy that keeps no state between steps: only `step` does anything. */
function statelessInstance(
  name: string,
  step: (ctx: ResetContext) => ResetDecision | null,
): ResetPolicyInstance {
  return {
    step,
    onInitialize() {},
    async getState() {
      return { policy: name, tensors: {}, numbers: {} };
    },
    setState(state) {
      checkPolicyName(name, state);
    },
    dispose() {},
    liveState() {
      return { variables: {}, host: {} };
    },
    setHostState() {},
  };
}

/**
 * @throws {@link QuantizerError} unless `state` was saved by the policy called `name`.
 */
export function checkPolicyName(name: string, state: PolicyState): void {
  if (state?.policy !== name) {
    throw new QuantizerError(
      `ResetPolicy.setState: state was saved by reset policy '${state?.policy}', but this quantizer uses '${name}'. Construct the quantizer with the same reset policy.`,
    );
  }
}
