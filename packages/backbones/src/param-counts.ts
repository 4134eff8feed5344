import { BackbonesError } from './errors';
import {
  checkChannels,
  checkFactor,
  checkInt,
  DEFAULT_RES_BLOCKS,
  DEFAULT_RES_CHANNELS,
  decoderPlan,
  encoderPlan,
  planParamCount,
  projectionPlan,
  type ResChannels,
  resolveResChannels,
  upsamplerPlan,
} from './plan';

/** Options of {@link vqvaeParamCounts}; the defaults are the paper's configurations (§4, Table 1). */
export interface VqvaeParamCountOptions {
  /** Image channels. @default 3 */
  imageChannels?: number;
  /** Single-level feature channels Cs. @default 160 */
  singleChannels?: number;
  /** Hierarchical feature channels Ch (both levels). @default 128 */
  hierarchicalChannels?: number;
  /** Code dimension D = Ds = Dh. @default 8 */
  codeDim?: number;
  /** Residual blocks n per encoder/decoder (authors' released code: 2). @default 2 */
  resBlocks?: number;
  /**
   * Residual hidden channels R of every block, or `'half'` for half the feature channels of each
   * side: Cs/2 in the single-level model, Ch/2 in the hierarchical one (authors' released code:
   * `n_res_channel = latent_channel // 2`; the paper does not state R). @default 'half'
   */
  resChannels?: ResChannels;
  /** Bottom (and single-level) downsampling factor. @default 4 */
  downsample?: number;
  /** Top-level downsampling factor, relative to the bottom features. @default 2 */
  topDownsample?: number;
  /**
   * Count the conditioned VQ-VAE-2 variant: adds the top decoder (D → C → D, ×topDownsample) and
   * widens the bottom projection to C + D inputs. @default false
   */
  conditioned?: boolean;
}

/** Trainable parameters of the single-level model, per module. */
export interface SingleLevelParamCounts {
  /** encoder(image → Cs, ×downsample) */
  encoder: number;
  /** projection(Cs → D) */
  projection: number;
  /** decoder(D → Cs → image, ×downsample) */
  decoder: number;
  total: number;
}

/** Trainable parameters of the two-level hierarchical model, per module. */
export interface HierarchicalParamCounts {
  /** bottom encoder(image → Ch, ×downsample) */
  bottomEncoder: number;
  /** top encoder(Ch → Ch, ×topDownsample) */
  topEncoder: number;
  /** bottom projection(Ch → D), or (Ch + D → D) when conditioned */
  bottomProjection: number;
  /** top projection(Ch → D) */
  topProjection: number;
  /** top-code upsampler(D → D, ConvT ×topDownsample) */
  upsampler: number;
  /** top decoder(D → Ch → D, ×topDownsample); 0 unless conditioned */
  topDecoder: number;
  /** decoder(2D → Ch → image, ×downsample) */
  decoder: number;
  total: number;
}

/**
 * Trainable parameters of the full single-level and hierarchical VQ-VAEs exactly as the experiments
 * app assembles them from this package's modules (weights and biases of every convolution).
 * Codebooks are not included: EMA codebooks are updated by moving averages, not by gradients
 * (a K×D codebook would add K·D per level). Computed from the layer plans, nothing is allocated.
 *
 * With the defaults (paper: Cs = 160, Ch = 128, D = 8; authors' code: n = 2, R = C/2, i.e. 80 and
 * 64): single = 1,174,091, hierarchical = 1,135,451; the paper reports ≈ 1.1 M for both (Table 1).
 * `bench/reference/vqvae_step.py --params-only` prints the same numbers from PyTorch.
 */
export function vqvaeParamCounts(options: VqvaeParamCountOptions = {}): {
  single: SingleLevelParamCounts;
  hierarchical: HierarchicalParamCounts;
} {
  const fn = 'vqvaeParamCounts';
  if (options === null || typeof options !== 'object') {
    throw new BackbonesError(
      `${fn}: options must be an object, got ${String(options)}. Pass {} for the paper's configuration.`,
    );
  }
  const img = checkInt(fn, 'imageChannels', options.imageChannels ?? 3, 1, 'Use 3 for RGB.');
  const cs = checkChannels(fn, options.singleChannels ?? 160);
  const ch = checkChannels(fn, options.hierarchicalChannels ?? 128);
  const d = checkInt(fn, 'codeDim', options.codeDim ?? 8, 1, 'The paper uses D = 8.');
  const n = checkInt(
    fn,
    'resBlocks',
    options.resBlocks ?? DEFAULT_RES_BLOCKS,
    0,
    `The authors' released code uses ${DEFAULT_RES_BLOCKS}.`,
  );
  const resChannels = options.resChannels ?? DEFAULT_RES_CHANNELS;
  const down = options.downsample ?? 4;
  const topDown = options.topDownsample ?? 2;
  checkFactor(fn, 'downsample', down);
  checkFactor(fn, 'topDownsample', topDown);
  const conditioned = options.conditioned ?? false;
  const res = { resBlocks: n, resChannels: resolveResChannels(fn, resChannels, cs) };

  const sEnc = planParamCount(
    encoderPlan({ name: 'e', inChannels: img, channels: cs, downsample: down, ...res }),
  );
  const sProj = planParamCount(projectionPlan('p', cs, d));
  const sDec = planParamCount(
    decoderPlan({
      name: 'd',
      inChannels: d,
      channels: cs,
      outChannels: img,
      upsample: down,
      ...res,
    }),
  );
  const single = { encoder: sEnc, projection: sProj, decoder: sDec, total: sEnc + sProj + sDec };

  const hRes = { resBlocks: n, resChannels: resolveResChannels(fn, resChannels, ch) };
  const h = {
    bottomEncoder: planParamCount(
      encoderPlan({ name: 'b', inChannels: img, channels: ch, downsample: down, ...hRes }),
    ),
    topEncoder: planParamCount(
      encoderPlan({ name: 't', inChannels: ch, channels: ch, downsample: topDown, ...hRes }),
    ),
    bottomProjection: planParamCount(projectionPlan('pb', conditioned ? ch + d : ch, d)),
    topProjection: planParamCount(projectionPlan('pt', ch, d)),
    upsampler: planParamCount(upsamplerPlan('u', d, d, topDown)),
    topDecoder: conditioned
      ? planParamCount(
          decoderPlan({
            name: 'td',
            inChannels: d,
            channels: ch,
            outChannels: d,
            upsample: topDown,
            ...hRes,
          }),
        )
      : 0,
    decoder: planParamCount(
      decoderPlan({
        name: 'd',
        inChannels: 2 * d,
        channels: ch,
        outChannels: img,
        upsample: down,
        ...hRes,
      }),
    ),
  };
  const total = Object.values(h).reduce((a, b) => a + b, 0);
  return { single, hierarchical: { ...h, total } };
}
