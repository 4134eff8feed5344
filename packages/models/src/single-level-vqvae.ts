import * as tf from '@tensorflow/tfjs-core';
import { type Backbone, createDecoder, createEncoder, createProjection } from '@vqkit/backbones';
import type { Quantizer } from '@vqkit/quantizer';
import { Rng } from '@vqkit/random';
import { checkImages, checkTraining, levelIndices } from './assert';
import { SINGLE_LEVEL_DEFAULTS } from './defaults';
import {
  collectTrainableVariables,
  createLevelQuantizer,
  levelInfo,
  parameterCount,
  readQuantizerStates,
  writeQuantizerStates,
} from './level-quantizers';
import { type ResolvedOptions, resolveOptions, type VQVAEOptions } from './model-options';
import type {
  LevelInfo,
  LevelQuantizer,
  PerLevel,
  VQVAE,
  VQVAEForwardOptions,
  VQVAEOutput,
} from './types';
import { vqvaeLoss } from './vqvae-loss';

/** Options of {@link SingleLevelVQVAE}: {@link VQVAEOptions} (defaults Cs 160, Ks 8192, Ds 8). */
export type SingleLevelVQVAEOptions = VQVAEOptions;

/**
 * The paper's single-level VQ-VAE (§3.1, "Single-level VQ-VAE"):
 *
 * - encoder E_φs: x `[B, S, S, 3]` → z_o,s `[B, Hs, Ws, Cs]`, Hs = S / downsample;
 * - eq. 1, projection P_ω (1×1 conv): z_e = P_ω(z_o,s) `[B, Hs, Ws, Ds]`;
 * - eq. 2, the level's quantizer (Ks codes): z_q,s `[B, Hs, Ws, Ds]`;
 * - decoder G_θs: x̂ = G_θs(z_q,s) `[B, S, S, 3]` (Ds → Cs → 3);
 * - eq. 3: L = ‖x − x̂‖² + β‖z_e − sg(z_q)‖² ({@link vqvaeLoss}).
 *
 * Variables: `encoder.*`, `projection.*`, `decoder.*` (plus `quantizer.*` for a quantizer with
 * trainable variables). Weights are drawn from one `Rng(seed)` in that order; the quantizer's seed
 * is the next draw of the same generator.
 */
export class SingleLevelVQVAE implements VQVAE<'single'> {
  readonly architecture = 'single' as const;
  readonly inputSize: number;
  readonly imageChannels: number;
  readonly levels: readonly LevelInfo<'single'>[];
  readonly quantizers: readonly LevelQuantizer<'single'>[];
  readonly trainableVariables: Readonly<Record<string, tf.Variable>>;
  readonly encoder: Backbone;
  readonly projection: Backbone;
  readonly decoder: Backbone;
  readonly quantizer: Quantizer;
  private readonly downsample: number;

  constructor(options: SingleLevelVQVAEOptions = {}) {
    const fn = 'SingleLevelVQVAE';
    const o: ResolvedOptions = resolveOptions(fn, options, SINGLE_LEVEL_DEFAULTS, (d) => d);
    const rng = new Rng(o.seed);
    this.inputSize = o.inputSize;
    this.imageChannels = o.imageChannels;
    this.downsample = o.downsample;
    const res = { resBlocks: o.resBlocks, resChannels: o.resChannels, seed: rng };
    this.encoder = createEncoder({
      name: 'encoder',
      inChannels: o.imageChannels,
      channels: o.channels,
      downsample: o.downsample,
      ...res,
    });
    this.projection = createProjection({
      name: 'projection',
      inChannels: o.channels,
      codeDim: o.codeDim,
      seed: rng,
    });
    this.decoder = createDecoder({
      name: 'decoder',
      inChannels: o.codeDim,
      channels: o.channels,
      outChannels: o.imageChannels,
      upsample: o.downsample,
      ...res,
    });
    this.quantizer = createLevelQuantizer(fn, o.quantizer, {
      name: 'single',
      codebookSize: o.codebookSize,
      codeDim: o.codeDim,
      seed: rng.nextUint32(),
    });
    this.quantizers = [{ name: 'single', quantizer: this.quantizer }];
    this.trainableVariables = collectTrainableVariables(
      [this.encoder, this.projection, this.decoder],
      this.quantizers,
      () => '',
    );
    this.levels = [levelInfo('single', this.quantizer, o.inputSize / o.downsample)];
  }

  /**
   * x `[B, H, W, imageChannels]` → x̂ (same shape), eq. 3's terms, indices `{ single: [B, H/f, W/f] }`
   * and counts `{ single: [K] }` (f = downsample).
   */
  forward(x: tf.Tensor4D, options: VQVAEForwardOptions): VQVAEOutput<'single'> {
    checkImages('SingleLevelVQVAE.forward', x, this.imageChannels, this.downsample);
    const training = checkTraining('SingleLevelVQVAE.forward', options);
    return tf.tidy(() => {
      const ze = this.projection.apply(this.encoder.apply(x));
      const q = this.quantizer.forward(ze, { training });
      const reconstruction = this.decoder.apply(q.quantized as tf.Tensor4D);
      return {
        reconstruction,
        loss: vqvaeLoss(x, reconstruction, { single: q.loss }),
        indices: { single: q.indices },
        counts: q.counts === undefined ? {} : { single: q.counts },
      };
    });
  }

  /** x `[B, H, W, imageChannels]` → `{ single: int32 [B, H/f, W/f] }`. */
  encode(x: tf.Tensor4D): PerLevel<'single', tf.Tensor> {
    checkImages('SingleLevelVQVAE.encode', x, this.imageChannels, this.downsample);
    return tf.tidy(() => {
      const q = this.quantizer.forward(this.projection.apply(this.encoder.apply(x)), {
        training: false,
      });
      return { single: q.indices };
    });
  }

  /** `{ single: int32 [B, h, w] }` → x̂ `[B, h·f, w·f, imageChannels]`. */
  decode(indices: PerLevel<'single', tf.Tensor>): tf.Tensor4D {
    const single = levelIndices('SingleLevelVQVAE.decode', indices, 'single');
    return tf.tidy(() => this.decoder.apply(this.quantizer.decode(single) as tf.Tensor4D));
  }

  countParams(): number {
    return parameterCount(this.trainableVariables);
  }

  getQuantizerStates(): Promise<Record<string, unknown>> {
    return readQuantizerStates(this.quantizers);
  }

  setQuantizerStates(states: Readonly<Record<string, unknown>>): Promise<void> {
    return writeQuantizerStates('SingleLevelVQVAE.setQuantizerStates', this.quantizers, states);
  }

  dispose(): void {
    this.encoder.dispose();
    this.projection.dispose();
    this.decoder.dispose();
    this.quantizer.dispose();
  }
}
