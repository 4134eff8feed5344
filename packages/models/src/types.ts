import type * as tf from '@tensorflow/tfjs-core';
import type { Quantizer } from '@vqkit/quantizer';

/** Name of one quantised latent level: `single`, or `bottom` and `top` of the hierarchical model. */
export type LevelName = 'single' | 'bottom' | 'top';

/**
 * One value per level, keyed by level name. For a concrete model (`'single'`, or `'bottom' | 'top'`)
 * every key is present; for the wide {@link VQVAE} type (any architecture) each key is optional.
 */
export type PerLevel<L extends LevelName, T> = LevelName extends L
  ? { readonly [K in LevelName]?: T }
  : { readonly [K in L]: T };

/** Static description of one quantised level at the model's `inputSize`. */
export interface LevelInfo<L extends LevelName = LevelName> {
  name: L;
  /** K: codes one index can name (the quantizer's `codebookSize`). */
  codebookSize: number;
  /** D: the quantizer's input width. */
  codeDim: number;
  /** Latent map height H at `inputSize`. */
  height: number;
  /** Latent map width W at `inputSize`. */
  width: number;
}

/** What a {@link QuantizerFactory} is asked to build: one level's quantizer. */
export interface QuantizerLevel {
  name: LevelName;
  /** K requested by the model's `codebookSize` option. */
  codebookSize: number;
  /** D: the quantizer's input and output width (the projection's output channels). */
  codeDim: number;
  /** A seed drawn for this level from the model's seeded generator. */
  seed: number;
}

/**
 * Builds the quantizer of one level. Any family implementing `Quantizer` from @vqkit/quantizer
 * plugs in (EMA vector quantizer, residual, FSQ, LFQ, a third party's); its `codeDim` must equal
 * `level.codeDim`.
 */
export type QuantizerFactory = (level: QuantizerLevel) => Quantizer;

/** A level's quantizer, as listed in {@link VQVAE.quantizers}. */
export interface LevelQuantizer<L extends LevelName = LevelName> {
  name: L;
  quantizer: Quantizer;
}

/** The terms of eq. 3 for one batch (scalars on the device). */
export type VQVAELoss<L extends LevelName = LevelName> = {
  /** L = reconstruction + commitment (eq. 3). */
  total: tf.Scalar;
  /** ‖x − x̂‖², averaged over every pixel and channel of the batch. */
  reconstruction: tf.Scalar;
  /** Σ over levels of each quantizer's loss (β·mean‖z_e − sg(z_q)‖² for the EMA quantizer). */
  commitment: tf.Scalar;
  /** Each level's quantizer loss. */
  levels: PerLevel<L, tf.Scalar>;
};

/** Result of {@link VQVAE.forward}; the caller owns every tensor (`tf.dispose(out)` frees all). */
export type VQVAEOutput<L extends LevelName = LevelName> = {
  /** x̂ = G(z_q): `[B, H, W, imageChannels]`, the input's shape. */
  reconstruction: tf.Tensor4D;
  /** Eq. 3 and its terms. */
  loss: VQVAELoss<L>;
  /** int32 code indices per level, `[B, h, w]` (`[B, h, w, depth]` for residual quantizers). */
  indices: PerLevel<L, tf.Tensor>;
  /** float32 `[K]` assignments of this batch per code, for levels whose quantizer counts them. */
  counts: { readonly [K in L]?: tf.Tensor1D };
};

/** Options of {@link VQVAE.forward}. */
export interface VQVAEForwardOptions {
  /**
   * A training step: the quantizers update their state (EMA codebooks, dead-code resets).
   * Otherwise nothing changes but evaluation counts.
   */
  training: boolean;
}

/** What both architectures offer to training loops, evaluation and the model file codec. */
export interface VQVAE<L extends LevelName = LevelName> {
  readonly architecture: 'single' | 'hierarchical';
  /** The square input side S that {@link levels} describe (other multiples of the downsampling work too). */
  readonly inputSize: number;
  /** Quantised levels (`single`, or `bottom` then `top`) at {@link inputSize}. */
  readonly levels: readonly LevelInfo<L>[];
  /** One quantizer per level, in {@link levels} order. */
  readonly quantizers: readonly LevelQuantizer<L>[];
  /**
   * Every trainable variable by stable name (backbones, then each quantizer's `variables` as
   * `<level prefix>quantizer.<name>`): what an optimizer updates and the model file stores.
   */
  readonly trainableVariables: Readonly<Record<string, tf.Variable>>;
  /**
   * x `[B, H, W, imageChannels]` → reconstruction, eq. 3's loss terms, indices and counts per level.
   * With `training: true` the quantizers update their state. Usable inside `tf.variableGrads`; no
   * synchronous reads, so it runs on webgpu.
   */
  forward(x: tf.Tensor4D, options: VQVAEForwardOptions): VQVAEOutput<L>;
  /** x → int32 indices per level (no state changes besides evaluation counts). */
  encode(x: tf.Tensor4D): PerLevel<L, tf.Tensor>;
  /** Indices per level (as from {@link encode}) → image `[B, H, W, imageChannels]`. */
  decode(indices: PerLevel<L, tf.Tensor>): tf.Tensor4D;
  /** Number of trainable parameters (sum of {@link trainableVariables}' sizes; EMA codebooks are state). */
  countParams(): number;
  /** Every quantizer's state by level name (async: reads back from the device). */
  getQuantizerStates(): Promise<Record<string, unknown>>;
  /** Restores states from {@link getQuantizerStates}; every level must be present. */
  setQuantizerStates(states: Readonly<Record<string, unknown>>): Promise<void>;
  /** Frees every variable and quantizer buffer. */
  dispose(): void;
}
