import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@vqkit/random';
import { WINDOWED_RESET_DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import {
  checkPolicyName,
  type ResetContext,
  type ResetDecision,
  type ResetPolicy,
  type ResetPolicyInstance,
} from './reset-policies';
import { assignData, type PolicyState, tensorData } from './state';

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
  const o = resolveWindowedOptions(options);
  const name = `windowed(${o.source})`;
  return { name, create: (sizes) => new WindowedReset(name, o, sizes.codebookSize, sizes.codeDim) };
}

const FN = 'windowedDeadCodeReset';

/** {@link WindowedResetOptions} after validation, every default filled in. */
type ResolvedWindowedOptions = Required<WindowedResetOptions>;

/**
 * Validates the options and fills in {@link WINDOWED_RESET_DEFAULTS}.
 * @throws {@link QuantizerError} naming the first bad option, the value and the fix.
 */
function resolveWindowedOptions(options: WindowedResetOptions): ResolvedWindowedOptions {
  const d = WINDOWED_RESET_DEFAULTS;
  const threshold = options.threshold ?? d.threshold;
  const window = options.window ?? d.window;
  const source = options.source ?? d.source;
  const bufferSize = options.bufferSize ?? d.bufferSize;
  const groupSize = options.groupSize ?? d.groupSize;
  if (!(Number.isFinite(threshold) && threshold > 0)) {
    throw new QuantizerError(
      `${FN}: threshold must be a number > 0, got ${threshold}. The paper uses 2.`,
    );
  }
  if (!(Number.isInteger(window) && window > 0)) {
    throw new QuantizerError(
      `${FN}: window must be an integer > 0, got ${window}. The paper uses 10.`,
    );
  }
  if (source !== 'random-recent' && source !== 'recent-mean') {
    throw new QuantizerError(
      `${FN}: source must be 'random-recent' or 'recent-mean', got '${String(source)}'.`,
    );
  }
  if (!(Number.isInteger(bufferSize) && bufferSize > 0)) {
    throw new QuantizerError(
      `${FN}: bufferSize must be an integer > 0, got ${bufferSize}. Use e.g. 4096.`,
    );
  }
  if (!(Number.isInteger(groupSize) && groupSize > 0)) {
    throw new QuantizerError(
      `${FN}: groupSize must be an integer > 0, got ${groupSize}. Use e.g. 4.`,
    );
  }
  return { threshold, window, source, bufferSize, groupSize };
}

/** One quantizer's state of {@link windowedDeadCodeReset}: the window, histories and recent rows. */
class WindowedReset implements ResetPolicyInstance {
  /** `[W, K]` per-batch counts, oldest first. */
  private readonly counts: tf.Variable<tf.Rank.R2>;
  /** `[K]` batches of history per code, capped at W. */
  private readonly history: tf.Variable<tf.Rank.R1>;
  /** `[bufferSize, D]` recent encoder outputs, newest rows last. */
  private readonly recent: tf.Variable<tf.Rank.R2>;
  /**
   * Rows of `recent` actually written, on device: a batch rejected for non-finite values writes
   * none, which the host cannot know. `bufferFill` (host) only sizes the draws.
   */
  private readonly filled: tf.Variable<tf.Rank.R0>;
  private bufferFill = 0;
  /** Rows one batch pushes into `recent` at most. */
  private readonly perBatch: number;

  constructor(
    private readonly name: string,
    private readonly o: ResolvedWindowedOptions,
    private readonly k: number,
    private readonly d: number,
  ) {
    this.counts = tf.tidy(() =>
      tf.variable(tf.zeros([o.window, k]), false),
    ) as tf.Variable<tf.Rank.R2>;
    this.history = tf.tidy(() => tf.variable(tf.zeros([k]), false)) as tf.Variable<tf.Rank.R1>;
    this.recent = tf.tidy(() =>
      tf.variable(tf.zeros([o.bufferSize, d]), false),
    ) as tf.Variable<tf.Rank.R2>;
    this.filled = tf.tidy(() => tf.variable(tf.scalar(0), false)) as tf.Variable<tf.Rank.R0>;
    this.perBatch = Math.ceil(o.bufferSize / o.window);
  }

  step({ batch, counts: n, rng, valid }: ResetContext): ResetDecision {
    this.pushRecent(batch, rng, valid);
    // Append this batch's counts to the window; judge codes with a full window.
    const shifted = tf.concat([
      tf.slice(this.counts, [1, 0], [-1, -1]),
      tf.reshape(n, [1, this.k]),
    ]);
    const grown = tf.minimum(tf.add(this.history, 1), this.o.window);
    const windowSum = tf.sum(shifted, 0);
    const dead = tf.logicalAnd(
      valid,
      tf.logicalAnd(tf.greaterEqual(grown, this.o.window), tf.less(windowSum, this.o.threshold)),
    ) as tf.Tensor1D;
    const replacement = this.replacement(rng);
    // Clear the history of reset codes.
    const deadRow = tf.reshape(dead, [1, this.k]);
    const kept = tf.where(deadRow, tf.zerosLike(shifted), shifted);
    this.counts.assign(tf.where(valid, kept, this.counts) as tf.Tensor2D);
    const history = tf.where(dead, tf.zerosLike(grown), grown);
    this.history.assign(tf.where(valid, history, this.history) as tf.Tensor1D);
    return { dead, replacement, count: 1 };
  }

  /** Pushes a random subset of `batch` `[N, D]` into the recent-output buffer (FIFO). */
  private pushRecent(batch: tf.Tensor2D, rng: Rng, valid: tf.Scalar): void {
    const rows = batch.shape[0];
    const { bufferSize } = this.o;
    const m = Math.min(rows, this.perBatch, bufferSize);
    const incoming = tf.gather(batch, tf.tensor1d(rng.sample(rows, m), 'int32'));
    const pushed =
      m === bufferSize ? incoming : tf.concat([tf.slice(this.recent, [m, 0], [-1, -1]), incoming]);
    this.recent.assign(tf.where(valid, pushed, this.recent) as tf.Tensor2D);
    this.bufferFill = Math.min(bufferSize, this.bufferFill + m);
    const filled = tf.minimum(tf.add(this.filled, m), bufferSize);
    this.filled.assign(tf.where(valid, filled, this.filled) as tf.Scalar);
  }

  /** `[K, D]` candidate new codes from the recent rows: one each, or the mean of `groupSize`. */
  private replacement(rng: Rng): tf.Tensor2D {
    const { bufferSize, groupSize } = this.o;
    // Rows gathered at host-drawn offsets among the filled buffer rows. The offsets fold into the
    // rows written on device (identical unless a batch was rejected).
    const rowsAt = (offsets: Int32Array) =>
      tf.tidy(() => {
        const f = tf.maximum(this.filled, 1);
        const at = tf.add(tf.sub(bufferSize, f), tf.mod(tf.tensor1d(offsets, 'float32'), f));
        return tf.cast(at, 'int32') as tf.Tensor1D;
      });
    if (this.o.source === 'random-recent') {
      const pick = rng.sample(this.bufferFill, this.k, this.bufferFill < this.k);
      return tf.gather(this.recent, rowsAt(pick)) as tf.Tensor2D;
    }
    const pick = rng.sample(this.bufferFill, this.k * groupSize, true);
    const group = tf.reshape(tf.gather(this.recent, rowsAt(pick)), [this.k, groupSize, this.d]);
    return tf.mean(group, 1) as tf.Tensor2D;
  }

  onInitialize(): void {
    tf.tidy(() => {
      this.counts.assign(tf.zerosLike(this.counts));
      this.history.assign(tf.zerosLike(this.history));
    });
  }

  async getState(): Promise<PolicyState> {
    return {
      policy: this.name,
      tensors: {
        window: await tensorData(this.counts),
        history: await tensorData(this.history),
        recent: await tensorData(this.recent),
      },
      numbers: { bufferFill: this.bufferFill, filledRows: (await this.filled.data())[0]! },
    };
  }

  setState(state: PolicyState): void {
    const fn = `${FN}.setState`;
    checkPolicyName(this.name, state);
    const fill = this.checkBufferFill(fn, 'numbers.bufferFill', state.numbers?.bufferFill);
    const rowsWritten = state.numbers?.filledRows ?? fill;
    if (!Number.isInteger(rowsWritten) || rowsWritten < 0 || rowsWritten > fill) {
      throw new QuantizerError(
        `${fn}: numbers.filledRows must be an integer in [0, bufferFill = ${fill}], got ${rowsWritten}.`,
      );
    }
    assignData(fn, 'window', this.counts, state.tensors?.window);
    assignData(fn, 'history', this.history, state.tensors?.history);
    assignData(fn, 'recent', this.recent, state.tensors?.recent);
    tf.tidy(() => this.filled.assign(tf.scalar(rowsWritten)));
    this.bufferFill = fill;
  }

  dispose(): void {
    tf.dispose([this.counts, this.history, this.recent, this.filled]);
  }

  liveState(): { variables: Record<string, tf.Variable>; host: Record<string, number> } {
    return {
      variables: {
        window: this.counts,
        history: this.history,
        recent: this.recent,
        filledRows: this.filled,
      },
      host: { bufferFill: this.bufferFill },
    };
  }

  setHostState(host: Record<string, number>): void {
    this.bufferFill = this.checkBufferFill(`${FN}.setHostState`, 'bufferFill', host?.bufferFill);
  }

  /** `value` when it is an integer in [0, bufferSize]; else a {@link QuantizerError} naming `field`. */
  private checkBufferFill(fn: string, field: string, value: number | undefined): number {
    if (!Number.isInteger(value) || value! < 0 || value! > this.o.bufferSize) {
      throw new QuantizerError(
        `${fn}: ${field} must be an integer in [0, ${this.o.bufferSize}], got ${value}.`,
      );
    }
    return value!;
  }
}
