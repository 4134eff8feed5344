import type * as tf from '@tensorflow/tfjs-core';
import type { CodeUsage } from './stats';

/** Options of {@link Quantizer.forward}. */
export interface QuantizerForwardOptions {
  /**
   * Training step: the quantizer may update its own state (EMA codebook, dead-code resets,
   * window statistics). Otherwise the state is untouched except evaluation counts. @default false
   */
  training?: boolean;
}

/**
 * What every quantizer family returns from {@link Quantizer.forward}. The caller owns (and
 * disposes) every tensor.
 */
export interface QuantizeResult {
  /** `[..., D]`: the quantized value; the gradient reaches `z` (straight-through or the family's rule). */
  quantized: tf.Tensor;
  /**
   * int32 code indices, never on the gradient tape: `[...]` for one index per position, or
   * `[..., depth]` for families with several indices per position (residual).
   */
  indices: tf.Tensor;
  /** Scalar: the family's auxiliary loss terms, already weighted (commitment, codebook, entropy). */
  loss: tf.Scalar;
  /** float32 `[codebookSize]` assignments of this batch per code, where the family has a countable codebook. */
  counts?: tf.Tensor1D;
}

/**
 * A quantizer's state without reading back (see {@link Quantizer.liveState}): the device buffers
 * as live variables keyed by stable names, and everything else as plain JSON data.
 */
export interface LiveState {
  /** Device buffers (the quantizer's own variables, not copies); assigning them restores them. */
  variables: Record<string, tf.Variable>;
  /** Host values (steps, generator state, flags) as JSON-serialisable data. */
  host: unknown;
}

/** Something a quantizer did during training, reported by {@link Quantizer.flushEvents}. */
export type QuantizerEvent =
  | { kind: 'init'; step: number; policy: string }
  | { kind: 'reset'; step: number; policy: string; codesReset: number }
  | { kind: 'non-finite-input'; step: number; training: boolean };

/**
 * The one interface of every quantizer family (`VectorQuantizer`, residual, finite-scalar,
 * lookup-free): models, the trainer and the tf.layers wrapper use nothing else.
 *
 * Contract:
 * - the training path ({@link forward}) never reads tensors back to the host (webgpu has no
 *   synchronous reads); host reads happen only in the async methods;
 * - `getState()` then `setState()` on a fresh instance built with the same options continues
 *   bit for bit (exact resume);
 * - trainable parameters (gradient-learned codebooks, projections) are in {@link variables}, so
 *   an optimizer can find them; EMA buffers are state, not variables.
 *
 * @typeParam State - the family's plain-data state (typed arrays and numbers).
 */
export interface Quantizer<State = unknown> {
  /** Family name: `'vq'`, `'residual'`, `'fsq'`, `'lfq'`, or a third party's. */
  readonly kind: string;
  /** D: the last dimension of the input `z` and of `quantized`. */
  readonly codeDim: number;
  /** Number of distinct codes one index can name (K; ∏ levels for FSQ; 2^D for LFQ). */
  readonly codebookSize: number;
  /** Discrete capacity of one latent position in bits (log₂K; depth·log₂K; Σ log₂ Lᵢ; D). */
  readonly bitsPerPosition: number;
  /** Trainable variables by stable name (empty for a pure EMA quantizer). */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  /** Quantizes `z` `[..., D]`; usable inside `tf.variableGrads`. */
  forward(z: tf.Tensor, options?: QuantizerForwardOptions): QuantizeResult;
  /** Quantized values `[..., D]` for indices as returned by {@link forward}. */
  decode(indices: tf.Tensor): tf.Tensor;
  /** Code usage over recent training batches (async: reads back from the device). */
  usage(): Promise<CodeUsage>;
  /** Reads and clears pending events (inits, resets, rejected batches), ordered by step. */
  flushEvents(): Promise<QuantizerEvent[]>;
  /** The complete state as plain data (async: reads back from the device). */
  getState(): Promise<State>;
  /** Restores a state captured by {@link getState}. */
  setState(state: State): void | Promise<void>;
  /** Frees every tensor and variable. */
  dispose(): void;
  /**
   * Optional (every built-in family has it): the state synchronously and without reads, for
   * wrappers that keep it in their own containers — the tf.layers wrapper saves `variables` as
   * layer weights and `host` in the layer config.
   */
  liveState?(): LiveState;
  /** Restores the `host` part of {@link liveState} (the variables are restored by assigning them). */
  setHostState?(host: unknown): void;
}
