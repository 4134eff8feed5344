import type * as tf from '@tensorflow/tfjs-core';
import type { VectorQuantizer } from '@vqkit/quantizer';

/** Name of one quantised latent level. */
export type LevelName = 'single' | 'bottom' | 'top';

/** Static description of one quantised level of a model at a given input size. */
export interface LevelInfo {
  name: LevelName;
  /** K. */
  codebookSize: number;
  /** D. */
  codeDim: number;
  /** Latent map height H for the model's input size. */
  height: number;
  /** Latent map width W for the model's input size. */
  width: number;
}

/** One level's outputs of a forward pass. */
export interface LevelOutput {
  name: LevelName;
  /** int32 `[B, H, W]` code indices (never on the gradient tape). */
  indices: tf.Tensor;
  /** float32 `[K]` assignment counts of this batch. */
  counts: tf.Tensor1D;
  /** β·mean‖z_e − sg(z_q)‖² of this level (eq. 3, second term). */
  commitmentLoss: tf.Scalar;
}

/** Result of {@link VQVAE.forward}. */
export interface ForwardResult {
  /** x̂ = G(z_q): `[B, S, S, 3]`. */
  reconstruction: tf.Tensor4D;
  /** Σ over levels of the commitment terms. */
  commitmentLoss: tf.Scalar;
  /** Per level, in {@link VQVAE.levels} order. */
  levels: LevelOutput[];
}

/** Serialisable state of every quantizer of a model (codebooks, EMA statistics, reset windows, RNG). */
export type QuantizerStates = Record<string, unknown>;

/** What both architectures offer to the training loop, evaluation and checkpoints. */
export interface VQVAE {
  readonly architecture: 'single' | 'hierarchical';
  /** Quantised levels (`single`, or `bottom` then `top`) at the configured input size. */
  readonly levels: readonly LevelInfo[];
  /** One EMA quantizer per level, in {@link levels} order. */
  readonly quantizers: readonly { name: LevelName; quantizer: VectorQuantizer }[];
  /** Every trainable variable, by stable name (the checkpoint's tensor names). */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  /**
   * x: `[B, S, S, 3]` → reconstruction, commitment loss and per-level indices/counts. With
   * `training: true` the quantizers update their EMA codebooks and may reset dead codes; the pass
   * is usable inside `tf.variableGrads` and does no synchronous reads.
   */
  forward(x: tf.Tensor4D, options: { training: boolean }): ForwardResult;
  /** Trainable parameters (backbones; EMA codebooks are not trained by gradients). */
  countParams(): number;
  /** Every quantizer's state (async: reads codebooks back from the device). */
  getQuantizerStates(): Promise<QuantizerStates>;
  /** Restores states captured by {@link getQuantizerStates}. */
  setQuantizerStates(states: QuantizerStates): Promise<void>;
  /** Frees every variable and quantizer buffer. */
  dispose(): void;
}
