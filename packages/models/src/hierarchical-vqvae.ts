import * as tf from '@tensorflow/tfjs-core';
import {
  type Backbone,
  createDecoder,
  createEncoder,
  createProjection,
  createTopDecoder,
  createUpsampler,
} from '@vqkit/backbones';
import type { QuantizeResult, Quantizer } from '@vqkit/quantizer';
import { Rng } from '@vqkit/random';
import { checkFactor, checkImages, checkTraining, describe, fail, levelIndices } from './assert';
import { HIERARCHICAL_DEFAULTS } from './defaults';
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

type Levels = 'bottom' | 'top';

/** Options of {@link HierarchicalVQVAE}: {@link VQVAEOptions} (defaults Ch 128, Kh 4096, Dh 8) and: */
export interface HierarchicalVQVAEOptions extends VQVAEOptions {
  /** Downsampling of the top encoder on the bottom features, a power of two. @default 2 */
  topDownsample?: number;
  /**
   * VQ-VAE-2's conditioned bottom level: the bottom projection sees
   * `concat(z_o,b, topDecoder(z_q,t))`. @default false
   */
  conditioned?: boolean;
}

/**
 * The paper's two-level hierarchical VQ-VAE (§3.1, "Two-level hierarchical VQ-VAE", VQ-VAE-2 style):
 *
 * - bottom encoder E_φb: x `[B, S, S, 3]` → z_o,b `[B, Hb, Wb, Ch]`, Hb = S / downsample;
 * - top encoder E_φt: z_o,b → z_o,t `[B, Ht, Wt, Ch]`, Ht = Hb / topDownsample;
 * - eq. 1 per level: z_e,t = P_t(z_o,t), z_e,b = P_b(z_o,b) (1×1 convs Ch → Dh); conditioned:
 *   z_e,b = P_b(concat(z_o,b, topDecoder(z_q,t))) (Ch + Dh → Dh);
 * - eq. 2 per level, each with its own quantizer of Kh codes: z_q,t, z_q,b;
 * - z_q,h = concat(z_q,b, upsample(z_q,t)) `[B, Hb, Wb, 2Dh]` (upsample: ConvT4×4 s2, Dh → Dh);
 * - decoder G_θh: x̂ = G_θh(z_q,h) `[B, S, S, 3]` (2Dh → Ch → 3);
 * - eq. 3 with both levels' terms: ‖x − x̂‖² + β Σ_l ‖z_e,l − sg(z_q,l)‖² ({@link vqvaeLoss}).
 *
 * Variables: `bottom.encoder.*`, `top.encoder.*`, `top.projection.*`, `bottom.projection.*`,
 * `upsampler.*`, `decoder.*`, plus `top.decoder.*` when conditioned (drawn from one `Rng(seed)` in
 * that order, then the bottom and top quantizer seeds).
 */
export class HierarchicalVQVAE implements VQVAE<Levels> {
  readonly architecture = 'hierarchical' as const;
  readonly inputSize: number;
  readonly imageChannels: number;
  readonly conditioned: boolean;
  readonly levels: readonly LevelInfo<Levels>[];
  readonly quantizers: readonly LevelQuantizer<Levels>[];
  readonly trainableVariables: Readonly<Record<string, tf.Variable>>;
  readonly bottomEncoder: Backbone;
  readonly topEncoder: Backbone;
  readonly topProjection: Backbone;
  readonly bottomProjection: Backbone;
  readonly upsampler: Backbone;
  readonly topDecoder: Backbone | null;
  readonly decoder: Backbone;
  readonly bottomQuantizer: Quantizer;
  readonly topQuantizer: Quantizer;
  private readonly sizeMultiple: number;

  constructor(options: HierarchicalVQVAEOptions = {}) {
    const fn = 'HierarchicalVQVAE';
    const { topDownsample, conditioned } = resolveHierarchical(fn, options);
    const o = resolveOptions(fn, options, HIERARCHICAL_DEFAULTS, (d) => d * topDownsample);
    const rng = new Rng(o.seed);
    this.inputSize = o.inputSize;
    this.imageChannels = o.imageChannels;
    this.conditioned = conditioned;
    this.sizeMultiple = o.downsample * topDownsample;
    const m = hierarchicalModules(o, topDownsample, conditioned, rng);
    this.bottomEncoder = m.bottomEncoder;
    this.topEncoder = m.topEncoder;
    this.topProjection = m.topProjection;
    this.topDecoder = m.topDecoder;
    this.bottomProjection = m.bottomProjection;
    this.upsampler = m.upsampler;
    this.decoder = m.decoder;
    const level = { codebookSize: o.codebookSize, codeDim: o.codeDim };
    const quantizer = (name: Levels) =>
      createLevelQuantizer(fn, o.quantizer, { name, ...level, seed: rng.nextUint32() });
    this.bottomQuantizer = quantizer('bottom');
    this.topQuantizer = quantizer('top');
    this.quantizers = [
      { name: 'bottom', quantizer: this.bottomQuantizer },
      { name: 'top', quantizer: this.topQuantizer },
    ];
    this.trainableVariables = collectTrainableVariables(
      this.modules(),
      this.quantizers,
      (n) => `${n}.`,
    );
    const bottom = o.inputSize / o.downsample;
    this.levels = [
      levelInfo('bottom', this.bottomQuantizer, bottom),
      levelInfo('top', this.topQuantizer, bottom / topDownsample),
    ];
  }

  private modules(): Backbone[] {
    const list = [
      this.bottomEncoder,
      this.topEncoder,
      this.topProjection,
      this.bottomProjection,
      this.upsampler,
    ];
    if (this.topDecoder !== null) list.push(this.topDecoder);
    list.push(this.decoder);
    return list;
  }

  /** Encoders, projections and both quantizers: the top level first (the bottom may depend on it). */
  private quantize(
    x: tf.Tensor4D,
    training: boolean,
  ): { bottom: QuantizeResult; top: QuantizeResult } {
    const zob = this.bottomEncoder.apply(x);
    const top = this.topQuantizer.forward(this.topProjection.apply(this.topEncoder.apply(zob)), {
      training,
    });
    const bottomInput =
      this.topDecoder === null
        ? zob
        : (tf.concat([zob, this.topDecoder.apply(top.quantized as tf.Tensor4D)], 3) as tf.Tensor4D);
    const bottom = this.bottomQuantizer.forward(this.bottomProjection.apply(bottomInput), {
      training,
    });
    return { bottom, top };
  }

  /** z_q,t, z_q,b → x̂ = G(concat(z_q,b, upsample(z_q,t))). */
  private reconstruct(zqb: tf.Tensor, zqt: tf.Tensor): tf.Tensor4D {
    const zqh = tf.concat(
      [zqb as tf.Tensor4D, this.upsampler.apply(zqt as tf.Tensor4D)],
      3,
    ) as tf.Tensor4D;
    return this.decoder.apply(zqh);
  }

  /**
   * x `[B, H, W, imageChannels]` → x̂ (same shape), eq. 3's terms, indices
   * `{ bottom: [B, H/f, W/f], top: [B, H/(f·t), W/(f·t)] }` and counts `{ bottom: [K], top: [K] }`
   * (f = downsample, t = topDownsample).
   */
  forward(x: tf.Tensor4D, options: VQVAEForwardOptions): VQVAEOutput<Levels> {
    checkImages('HierarchicalVQVAE.forward', x, this.imageChannels, this.sizeMultiple);
    const training = checkTraining('HierarchicalVQVAE.forward', options);
    return tf.tidy(() => {
      const { bottom, top } = this.quantize(x, training);
      const reconstruction = this.reconstruct(bottom.quantized, top.quantized);
      const counts: { bottom?: tf.Tensor1D; top?: tf.Tensor1D } = {};
      if (bottom.counts !== undefined) counts.bottom = bottom.counts;
      if (top.counts !== undefined) counts.top = top.counts;
      return {
        reconstruction,
        loss: vqvaeLoss(x, reconstruction, { bottom: bottom.loss, top: top.loss }),
        indices: { bottom: bottom.indices, top: top.indices },
        counts,
      };
    });
  }

  /** x → `{ bottom: int32 [B, H/f, W/f], top: int32 [B, H/(f·t), W/(f·t)] }`. */
  encode(x: tf.Tensor4D): PerLevel<Levels, tf.Tensor> {
    checkImages('HierarchicalVQVAE.encode', x, this.imageChannels, this.sizeMultiple);
    return tf.tidy(() => {
      const { bottom, top } = this.quantize(x, false);
      return { bottom: bottom.indices, top: top.indices };
    });
  }

  /** `{ bottom, top }` int32 indices → x̂ `[B, h·f, w·f, imageChannels]` (h, w: the bottom map's). */
  decode(indices: PerLevel<Levels, tf.Tensor>): tf.Tensor4D {
    const fn = 'HierarchicalVQVAE.decode';
    const bottom = levelIndices(fn, indices, 'bottom');
    const top = levelIndices(fn, indices, 'top');
    return tf.tidy(() =>
      this.reconstruct(this.bottomQuantizer.decode(bottom), this.topQuantizer.decode(top)),
    );
  }

  countParams(): number {
    return parameterCount(this.trainableVariables);
  }

  getQuantizerStates(): Promise<Record<string, unknown>> {
    return readQuantizerStates(this.quantizers);
  }

  setQuantizerStates(states: Readonly<Record<string, unknown>>): Promise<void> {
    return writeQuantizerStates('HierarchicalVQVAE.setQuantizerStates', this.quantizers, states);
  }

  dispose(): void {
    for (const module of this.modules()) module.dispose();
    this.bottomQuantizer.dispose();
    this.topQuantizer.dispose();
  }
}

/** The hierarchical model's own options, defaults applied and checked. */
function resolveHierarchical(
  fn: string,
  options: HierarchicalVQVAEOptions,
): { topDownsample: number; conditioned: boolean } {
  const topDownsample = checkFactor(
    fn,
    'topDownsample',
    options?.topDownsample ?? HIERARCHICAL_DEFAULTS.topDownsample,
    'The paper uses 2 (64 → 32).',
  );
  const conditioned = options?.conditioned ?? HIERARCHICAL_DEFAULTS.conditioned;
  if (typeof conditioned !== 'boolean') {
    fail(fn, 'conditioned', 'a boolean', describe(conditioned), 'The paper reports false.');
  }
  return { topDownsample, conditioned };
}

/** The backbone modules, drawn from `rng` in the documented order (the variable names' order). */
function hierarchicalModules(
  o: ResolvedOptions,
  topDownsample: number,
  conditioned: boolean,
  rng: Rng,
) {
  const res = { resBlocks: o.resBlocks, resChannels: o.resChannels, seed: rng };
  const [c, d] = [o.channels, o.codeDim];
  const enc = (name: string, inChannels: number, downsample: number) =>
    createEncoder({ name, inChannels, channels: c, downsample, ...res });
  const bottomEncoder = enc('bottom.encoder', o.imageChannels, o.downsample);
  const topEncoder = enc('top.encoder', c, topDownsample);
  const topProjection = createProjection({
    name: 'top.projection',
    inChannels: c,
    codeDim: d,
    seed: rng,
  });
  const topDecoder = conditioned
    ? createTopDecoder({
        name: 'top.decoder',
        codeDim: d,
        channels: c,
        upsample: topDownsample,
        ...res,
      })
    : null;
  const bottomProjection = createProjection({
    name: 'bottom.projection',
    inChannels: conditioned ? c + d : c,
    codeDim: d,
    seed: rng,
  });
  const upsampler = createUpsampler({
    name: 'upsampler',
    inChannels: d,
    factor: topDownsample,
    seed: rng,
  });
  const decoder = createDecoder({
    name: 'decoder',
    inChannels: 2 * d,
    channels: c,
    outChannels: o.imageChannels,
    upsample: o.downsample,
    ...res,
  });
  return {
    bottomEncoder,
    topEncoder,
    topProjection,
    topDecoder,
    bottomProjection,
    upsampler,
    decoder,
  };
}
