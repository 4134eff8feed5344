import * as tf from '@tensorflow/tfjs-core';
import {
  type Backbone,
  createDecoder,
  createEncoder,
  createProjection,
  createTopDecoder,
  createUpsampler,
  mergeVariables,
} from '@vqkit/backbones';
import type { VectorQuantizer } from '@vqkit/quantizer';
import { Rng } from '@vqkit/random';
import { latentSizes } from '../config/matching';
import type { RunConfig } from '../config/schema';
import { createLevelQuantizer } from './quantizers';
import { requireState } from './single';
import type { ForwardResult, LevelInfo, QuantizerStates, VQVAE } from './types';

/**
 * The paper's two-level hierarchical VQ-VAE (§3.1, "Two-level hierarchical VQ-VAE", VQ-VAE-2 style):
 *
 * - bottom encoder E_φb: x `[B, S, S, 3]` → z_o,b `[B, Hb, Wb, Ch]`, Hb = S / downsample;
 * - top encoder E_φt: z_o,b → z_o,t `[B, Ht, Wt, Ch]`, Ht = Hb / topDownsample;
 * - eq. 1 per level: z_e,t = P_t(z_o,t), z_e,b = P_b(z_o,b) (1×1 convs Ch → Dh);
 *   conditioned variant (VQ-VAE-2's): z_e,b = P_b(concat(z_o,b, topDecoder(z_q,t))) (Ch + Dh → Dh);
 * - eq. 2 per level, each with its own codebook of Kh codes: z_q,t, z_q,b;
 * - z_q,h = concat(z_q,b, upsample(z_q,t)) `[B, Hb, Wb, 2Dh]` (upsample: ConvT4×4 s2, Dh → Dh);
 * - decoder G_θh: x̂ = G_θh(z_q,h) `[B, S, S, 3]` (2Dh → Ch → 3).
 *
 * The objective (eq. 3) sums the commitment terms of both levels: ‖x − x̂‖² + β Σ_l ‖z_e,l − sg(z_q,l)‖².
 * The paper reports the unconditioned model (the default, `conditioned: false`) after observing no
 * difference in reconstruction accuracy between the two.
 *
 * Variables: `bottom.encoder.*`, `top.encoder.*`, `top.projection.*`, `bottom.projection.*`,
 * `upsampler.*`, `decoder.*`, plus `top.decoder.*` when conditioned.
 */
export class HierarchicalVQVAE implements VQVAE {
  readonly architecture = 'hierarchical' as const;
  readonly levels: readonly LevelInfo[];
  readonly variables: Readonly<Record<string, tf.Variable>>;
  readonly conditioned: boolean;
  readonly bottomEncoder: Backbone;
  readonly topEncoder: Backbone;
  readonly topProjection: Backbone;
  readonly bottomProjection: Backbone;
  readonly upsampler: Backbone;
  readonly topDecoder: Backbone | null;
  readonly decoder: Backbone;
  readonly bottomQuantizer: VectorQuantizer;
  readonly topQuantizer: VectorQuantizer;
  readonly quantizers: readonly { name: 'bottom' | 'top'; quantizer: VectorQuantizer }[];

  constructor(config: RunConfig) {
    const m = config.model;
    const h = m.hierarchical;
    const latent = latentSizes(config);
    const rng = new Rng(config.seed);
    const common = { resBlocks: m.resBlocks, resChannels: m.resChannels };
    this.conditioned = h.conditioned;
    this.bottomEncoder = createEncoder({
      name: 'bottom.encoder',
      inChannels: 3,
      channels: h.channels,
      downsample: m.downsample,
      seed: rng,
      ...common,
    });
    this.topEncoder = createEncoder({
      name: 'top.encoder',
      inChannels: h.channels,
      channels: h.channels,
      downsample: m.topDownsample,
      seed: rng,
      ...common,
    });
    this.topProjection = createProjection({
      name: 'top.projection',
      inChannels: h.channels,
      codeDim: h.codeDim,
      seed: rng,
    });
    this.topDecoder = h.conditioned
      ? createTopDecoder({
          name: 'top.decoder',
          codeDim: h.codeDim,
          channels: h.channels,
          upsample: m.topDownsample,
          seed: rng,
          ...common,
        })
      : null;
    this.bottomProjection = createProjection({
      name: 'bottom.projection',
      inChannels: h.conditioned ? h.channels + h.codeDim : h.channels,
      codeDim: h.codeDim,
      seed: rng,
    });
    this.upsampler = createUpsampler({
      name: 'upsampler',
      inChannels: h.codeDim,
      factor: m.topDownsample,
      seed: rng,
    });
    this.decoder = createDecoder({
      name: 'decoder',
      inChannels: 2 * h.codeDim,
      channels: h.channels,
      outChannels: 3,
      upsample: m.downsample,
      seed: rng,
      ...common,
    });
    this.bottomQuantizer = createLevelQuantizer(config, h, rng.nextUint32());
    this.topQuantizer = createLevelQuantizer(config, h, rng.nextUint32());
    this.quantizers = [
      { name: 'bottom', quantizer: this.bottomQuantizer },
      { name: 'top', quantizer: this.topQuantizer },
    ];
    this.variables = mergeVariables(...this.modules()).variables;
    this.levels = [
      {
        name: 'bottom',
        codebookSize: h.codebookSize,
        codeDim: h.codeDim,
        height: latent.bottom,
        width: latent.bottom,
      },
      {
        name: 'top',
        codebookSize: h.codebookSize,
        codeDim: h.codeDim,
        height: latent.top,
        width: latent.top,
      },
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

  forward(x: tf.Tensor4D, options: { training: boolean }): ForwardResult {
    return tf.tidy(() => {
      const training = options.training;
      const zob = this.bottomEncoder.apply(x);
      const zot = this.topEncoder.apply(zob);
      const qt = this.topQuantizer.forward(this.topProjection.apply(zot), { training });
      const zqt = qt.quantized as tf.Tensor4D;
      const bottomInput =
        this.topDecoder === null
          ? zob
          : (tf.concat([zob, this.topDecoder.apply(zqt)], 3) as tf.Tensor4D);
      const qb = this.bottomQuantizer.forward(this.bottomProjection.apply(bottomInput), {
        training,
      });
      const zqh = tf.concat(
        [qb.quantized as tf.Tensor4D, this.upsampler.apply(zqt)],
        3,
      ) as tf.Tensor4D;
      const reconstruction = this.decoder.apply(zqh);
      return {
        reconstruction,
        commitmentLoss: tf.add(qb.commitmentLoss, qt.commitmentLoss) as tf.Scalar,
        levels: [
          {
            name: 'bottom' as const,
            indices: qb.indices,
            counts: qb.counts,
            commitmentLoss: qb.commitmentLoss,
          },
          {
            name: 'top' as const,
            indices: qt.indices,
            counts: qt.counts,
            commitmentLoss: qt.commitmentLoss,
          },
        ],
      };
    });
  }

  countParams(): number {
    let n = 0;
    for (const module of this.modules()) n += module.countParams();
    return n;
  }

  async getQuantizerStates(): Promise<QuantizerStates> {
    return {
      bottom: await this.bottomQuantizer.getState(),
      top: await this.topQuantizer.getState(),
    };
  }

  async setQuantizerStates(states: QuantizerStates): Promise<void> {
    await this.bottomQuantizer.setState(requireState(states, 'bottom') as never);
    await this.topQuantizer.setState(requireState(states, 'top') as never);
  }

  dispose(): void {
    for (const module of this.modules()) module.dispose();
    this.bottomQuantizer.dispose();
    this.topQuantizer.dispose();
  }
}
