import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@vqkit/random';
import { EMA_RESET_DEFAULTS, WINDOWED_RESET_DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import { assignData, type PolicyState, tensorData } from './state';

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

/** Options of {@link windowedDeadCodeReset}. */
export interface WindowedResetOptions {
  /** A code assigned fewer than `threshold` times over the window is dead. @default 2 */
  threshold?: number;
  /** Number of recent training batches in the window. @default 10 */
  window?: number;
  /**
   * Where a dead code's new vector comes from:
   * `'recent-mean'`: the mean of `groupSize` random vectors from the buffer of recent encoder
   * outputs — vqkit's reading of the paper's "reset using an average from recently observed
   * encoder outputs";
   * `'random-recent'`: one random vector from that buffer.
   * @default 'recent-mean'
   */
  source?: 'random-recent' | 'recent-mean';
  /**
   * Rows in the buffer of recent encoder outputs. Each batch contributes
   * `min(N, ceil(bufferSize / window))` random rows, so the buffer spans about `window` batches.
   * @default 4096
   */
  bufferSize?: number;
  /** Vectors averaged per reset code with `source: 'recent-mean'`. @default 4 */
  groupSize?: number;
}

/**
 * The paper's rule (§3, "periodic dead-code reset"): a code whose assignment count summed over
 * the last `window` training batches is below `threshold` is dead and is reset with recently
 * observed encoder outputs. A code is only judged once it has a full window of history (so
 * nothing is reset before `window` batches, nor within `window` batches after its own reset).
 * After a reset `N_k = 1`, `M_k = e_k`, and the code's window history is cleared.
 *
 * Device buffers: `window` `[W, K]` (per-batch counts, oldest first), `history` `[K]` (batches
 * of history per code, capped at W), `recent` `[bufferSize, D]` (newest rows last), and the
 * number of its rows written so far (a batch rejected for non-finite values writes none).
 */
export function windowedDeadCodeReset(options: WindowedResetOptions = {}): ResetPolicy {
  const d = WINDOWED_RESET_DEFAULTS;
  const threshold = options.threshold ?? d.threshold;
  const window = options.window ?? d.window;
  const source = options.source ?? d.source;
  const bufferSize = options.bufferSize ?? d.bufferSize;
  const groupSize = options.groupSize ?? d.groupSize;
  const fn = 'windowedDeadCodeReset';
  if (!(Number.isFinite(threshold) && threshold > 0)) {
    throw new QuantizerError(
      `${fn}: threshold must be a number > 0, got ${threshold}. The paper uses 2.`,
    );
  }
  if (!(Number.isInteger(window) && window > 0)) {
    throw new QuantizerError(
      `${fn}: window must be an integer > 0, got ${window}. The paper uses 10.`,
    );
  }
  if (source !== 'random-recent' && source !== 'recent-mean') {
    throw new QuantizerError(
      `${fn}: source must be 'random-recent' or 'recent-mean', got '${String(source)}'.`,
    );
  }
  if (!(Number.isInteger(bufferSize) && bufferSize > 0)) {
    throw new QuantizerError(
      `${fn}: bufferSize must be an integer > 0, got ${bufferSize}. Use e.g. 4096.`,
    );
  }
  if (!(Number.isInteger(groupSize) && groupSize > 0)) {
    throw new QuantizerError(
      `${fn}: groupSize must be an integer > 0, got ${groupSize}. Use e.g. 4.`,
    );
  }
  const name = `windowed(${source})`;
  return {
    name,
    create({ codebookSize: k, codeDim: d }) {
      const counts = tf.tidy(() =>
        tf.variable(tf.zeros([window, k]), false),
      ) as tf.Variable<tf.Rank.R2>;
      const history = tf.tidy(() => tf.variable(tf.zeros([k]), false)) as tf.Variable<tf.Rank.R1>;
      const recent = tf.tidy(() =>
        tf.variable(tf.zeros([bufferSize, d]), false),
      ) as tf.Variable<tf.Rank.R2>;
      // Rows of `recent` actually written, on device: a batch rejected for non-finite values
      // writes none, which the host cannot know. `bufferFill` (host) only sizes the draws.
      const filled = tf.tidy(() => tf.variable(tf.scalar(0), false)) as tf.Variable<tf.Rank.R0>;
      let bufferFill = 0;
      const perBatch = Math.ceil(bufferSize / window);
      return {
        step({ batch, counts: n, rng, valid }) {
          const rows = batch.shape[0];
          // 1. Push a random subset of this batch into the recent-output buffer (FIFO).
          const m = Math.min(rows, perBatch, bufferSize);
          const incoming = tf.gather(batch, tf.tensor1d(rng.sample(rows, m), 'int32'));
          const pushed =
            m === bufferSize ? incoming : tf.concat([tf.slice(recent, [m, 0], [-1, -1]), incoming]);
          recent.assign(tf.where(valid, pushed, recent) as tf.Tensor2D);
          bufferFill = Math.min(bufferSize, bufferFill + m);
          filled.assign(
            tf.where(valid, tf.minimum(tf.add(filled, m), bufferSize), filled) as tf.Scalar,
          );
          // 2. Append this batch's counts to the window; judge codes with a full window.
          const shifted = tf.concat([tf.slice(counts, [1, 0], [-1, -1]), tf.reshape(n, [1, k])]);
          const grown = tf.minimum(tf.add(history, 1), window);
          const windowSum = tf.sum(shifted, 0);
          const dead = tf.logicalAnd(
            valid,
            tf.logicalAnd(tf.greaterEqual(grown, window), tf.less(windowSum, threshold)),
          ) as tf.Tensor1D;
          // 3. Replacement rows gathered at host-drawn offsets among the filled buffer rows. The
          // offsets fold into the rows written on device (identical unless a batch was rejected).
          const rowsAt = (offsets: Int32Array) =>
            tf.tidy(() => {
              const f = tf.maximum(filled, 1);
              const at = tf.add(tf.sub(bufferSize, f), tf.mod(tf.tensor1d(offsets, 'float32'), f));
              return tf.cast(at, 'int32') as tf.Tensor1D;
            });
          let replacement: tf.Tensor2D;
          if (source === 'random-recent') {
            const pick = rng.sample(bufferFill, k, bufferFill < k);
            replacement = tf.gather(recent, rowsAt(pick)) as tf.Tensor2D;
          } else {
            const pick = rng.sample(bufferFill, k * groupSize, true);
            const group = tf.reshape(tf.gather(recent, rowsAt(pick)), [k, groupSize, d]);
            replacement = tf.mean(group, 1) as tf.Tensor2D;
          }
          // 4. Clear the history of reset codes.
          const deadRow = tf.reshape(dead, [1, k]);
          counts.assign(
            tf.where(
              valid,
              tf.where(deadRow, tf.zerosLike(shifted), shifted),
              counts,
            ) as tf.Tensor2D,
          );
          history.assign(
            tf.where(valid, tf.where(dead, tf.zerosLike(grown), grown), history) as tf.Tensor1D,
          );
          return { dead, replacement, count: 1 };
        },
        onInitialize() {
          tf.tidy(() => {
            counts.assign(tf.zerosLike(counts));
            history.assign(tf.zerosLike(history));
          });
        },
        async getState() {
          return {
            policy: name,
            tensors: {
              window: await tensorData(counts),
              history: await tensorData(history),
              recent: await tensorData(recent),
            },
            numbers: { bufferFill, filledRows: (await filled.data())[0]! },
          };
        },
        setState(state) {
          checkPolicyName(name, state);
          const fill = state.numbers?.bufferFill;
          if (!Number.isInteger(fill) || fill! < 0 || fill! > bufferSize) {
            throw new QuantizerError(
              `${fn}.setState: numbers.bufferFill must be an integer in [0, ${bufferSize}], got ${fill}.`,
            );
          }
          const rowsWritten = state.numbers?.filledRows ?? fill!;
          if (!Number.isInteger(rowsWritten) || rowsWritten < 0 || rowsWritten > fill!) {
            throw new QuantizerError(
              `${fn}.setState: numbers.filledRows must be an integer in [0, bufferFill = ${fill}], got ${rowsWritten}.`,
            );
          }
          assignData(`${fn}.setState`, 'window', counts, state.tensors?.window);
          assignData(`${fn}.setState`, 'history', history, state.tensors?.history);
          assignData(`${fn}.setState`, 'recent', recent, state.tensors?.recent);
          tf.tidy(() => filled.assign(tf.scalar(rowsWritten)));
          bufferFill = fill!;
        },
        dispose() {
          tf.dispose([counts, history, recent, filled]);
        },
        liveState() {
          return {
            variables: { window: counts, history, recent, filledRows: filled },
            host: { bufferFill },
          };
        },
        setHostState(host) {
          const fill = host?.bufferFill;
          if (!Number.isInteger(fill) || fill! < 0 || fill! > bufferSize) {
            throw new QuantizerError(
              `${fn}.setHostState: bufferFill must be an integer in [0, ${bufferSize}], got ${fill}.`,
            );
          }
          bufferFill = fill!;
        },
      };
    },
  };
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

function checkPolicyName(name: string, state: PolicyState): void {
  if (state?.policy !== name) {
    throw new QuantizerError(
      `ResetPolicy.setState: state was saved by reset policy '${state?.policy}', but this quantizer uses '${name}'. Construct the quantizer with the same reset policy.`,
    );
  }
}
