import * as tf from '@tensorflow/tfjs-core';
import {
  type Backbone,
  createDecoder,
  createEncoder,
  createProjection,
  mergeVariables,
} from '@vqkit/backbones';
import type { VectorQuantizer } from '@vqkit/quantizer';
import { Rng } from '@vqkit/random';
import { runtimeError } from '../config/errors';
import { latentSizes } from '../config/matching';
import type { RunConfig } from '../config/schema';
import { createLevelQuantizer } from './quantizers';
import type { ForwardResult, LevelInfo, QuantizerStates, VQVAE } from './types';

/**
 * The paper's single-level VQ-VAE (§3.1, "Single-level VQ-VAE"):
 *
 * - encoder E_φs: x `[B, S, S, 3]` → z_o,s `[B, Hs, Ws, Cs]`, Hs = S / downsample;
 * - eq. 1, projection P_ω (1×1 conv): z_e = P_ω(z_o,s) `[B, Hs, Ws, Ds]`;
 * - eq. 2, quantizer with Ks codes: z_q,s `[B, Hs, Ws, Ds]` (EMA codebook, straight-through);
 * - decoder G_θs: x̂ = G_θs(z_q,s) `[B, S, S, 3]` (D → Cs → 3).
 *
 * The training objective (eq. 3) is ‖x − x̂‖² + β‖z_e − sg(z_q)‖², assembled by the training loop
 * from {@link ForwardResult}.
 *
 * Variables: `encoder.*`, `projection.*`, `decoder.*`. Weights are drawn from one `Rng(seed)` in
 * that order; the quantizer has its own seed derived from the same generator.
 */
export class SingleLevelVQVAE implements VQVAE {
  readonly architecture = 'single' as const;
  readonly levels: readonly LevelInfo[];
  readonly variables: Readonly<Record<string, tf.Variable>>;
  readonly encoder: Backbone;
  readonly projection: Backbone;
  readonly decoder: Backbone;
  readonly quantizer: VectorQuantizer;
  readonly quantizers: readonly { name: 'single'; quantizer: VectorQuantizer }[];

  constructor(config: RunConfig) {
    const m = config.model;
    const s = m.single;
    const latent = latentSizes(config);
    const rng = new Rng(config.seed);
    const common = { resBlocks: m.resBlocks, resChannels: m.resChannels };
    this.encoder = createEncoder({
      name: 'encoder',
      inChannels: 3,
      channels: s.channels,
      downsample: m.downsample,
      seed: rng,
      ...common,
    });
    this.projection = createProjection({
      name: 'projection',
      inChannels: s.channels,
      codeDim: s.codeDim,
      seed: rng,
    });
    this.decoder = createDecoder({
      name: 'decoder',
      inChannels: s.codeDim,
      channels: s.channels,
      outChannels: 3,
      upsample: m.downsample,
      seed: rng,
      ...common,
    });
    this.quantizer = createLevelQuantizer(config, s, rng.nextUint32());
    this.quantizers = [{ name: 'single', quantizer: this.quantizer }];
    this.variables = mergeVariables(this.encoder, this.projection, this.decoder).variables;
    this.levels = [
      {
        name: 'single',
        codebookSize: s.codebookSize,
        codeDim: s.codeDim,
        height: latent.bottom,
        width: latent.bottom,
      },
    ];
  }

  forward(x: tf.Tensor4D, options: { training: boolean }): ForwardResult {
    return tf.tidy(() => {
      const ze = this.projection.apply(this.encoder.apply(x));
      const q = this.quantizer.forward(ze, { training: options.training });
      const reconstruction = this.decoder.apply(q.quantized as tf.Tensor4D);
      return {
        reconstruction,
        commitmentLoss: q.commitmentLoss,
        levels: [
          {
            name: 'single' as const,
            indices: q.indices,
            counts: q.counts,
            commitmentLoss: q.commitmentLoss,
          },
        ],
      };
    });
  }

  countParams(): number {
    return this.encoder.countParams() + this.projection.countParams() + this.decoder.countParams();
  }

  async getQuantizerStates(): Promise<QuantizerStates> {
    return { single: await this.quantizer.getState() };
  }

  async setQuantizerStates(states: QuantizerStates): Promise<void> {
    await this.quantizer.setState(requireState(states, 'single') as never);
  }

  dispose(): void {
    this.encoder.dispose();
    this.projection.dispose();
    this.decoder.dispose();
    this.quantizer.dispose();
  }
}

/** The named level's state, or a clear error. */
export function requireState(states: QuantizerStates, name: string): unknown {
  if (states === null || typeof states !== 'object' || !Object.hasOwn(states, name)) {
    throw runtimeError(
      `setQuantizerStates: no state for level '${name}' (have: ${Object.keys(states ?? {}).join(', ') || 'none'}). ` +
        'The checkpoint belongs to the other architecture; resume it with its own config.',
    );
  }
  return states[name];
}
