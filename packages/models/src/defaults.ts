import { DEFAULT_RES_BLOCKS, DEFAULT_RES_CHANNELS, type ResChannels } from '@vqkit/backbones';

/**
 * Defaults of the single-level model's own options, each from the paper (§4, "Model
 * configurations" and the codebook sweeps behind Table 1).
 */
export const SINGLE_LEVEL_DEFAULTS: Readonly<{
  /** Cs = 160: paper §4 ("Cs = 160"), matched to the hierarchical model by eq. 4. */
  channels: number;
  /** Ks = 8192: paper §4 ("we fix the codebook size to Ks = 8192 for the single-level model"). */
  codebookSize: number;
  /** Ds = 8: paper §4 ("we fix the code vector dimensionality to Ds = Dh = 8"). */
  codeDim: number;
}> = Object.freeze({ channels: 160, codebookSize: 8192, codeDim: 8 });

/** Defaults of the hierarchical model's own options (paper §3.1 and §4). */
export const HIERARCHICAL_DEFAULTS: Readonly<{
  /** Ch = 128 at both levels: paper §4 ("Ch = 128 at both levels"). */
  channels: number;
  /** Kh = 4096 per level: paper §4 ("2Kh = 8192"), matched to Ks by eq. 5. */
  codebookSize: number;
  /** Dh = 8: paper §4 ("Ds = Dh = 8"). */
  codeDim: number;
  /** Top level factor 2 (Hb 64 → Ht 32): paper §4 ("Hb × Wb = 64 × 64, Ht × Wt = 32 × 32"). */
  topDownsample: number;
  /**
   * false: paper §3.1 reports the unconditioned model ("We therefore report results for the
   * unconditioned hierarchical model").
   */
  conditioned: boolean;
}> = Object.freeze({
  channels: 128,
  codebookSize: 4096,
  codeDim: 8,
  topDownsample: 2,
  conditioned: false,
});

/** Defaults shared by both architectures. */
export const MODEL_DEFAULTS: Readonly<{
  /** ×4 (256 → 64): paper §4 (images 256 × 256, Hs = Hb = 64). */
  downsample: number;
  /** n = 2: the authors' released code (`n_res_block=2`); defined in @vqkit/backbones. */
  resBlocks: number;
  /**
   * `'half'` (R = C/2: 80 for Cs 160, 64 for Ch 128): the authors' released code
   * (`n_res_channel = latent_channel // 2`; the paper does not state R); defined in @vqkit/backbones.
   */
  resChannels: ResChannels;
  /** S = 256: paper §4 ("ImageNet with images resized to 256 × 256"). */
  inputSize: number;
  /** 3 (RGB): the paper's ImageNet images. */
  imageChannels: number;
  /** 0: vqkit choice, so two models built without a seed are identical. */
  seed: number;
}> = Object.freeze({
  downsample: 4,
  resBlocks: DEFAULT_RES_BLOCKS,
  resChannels: DEFAULT_RES_CHANNELS,
  inputSize: 256,
  imageChannels: 3,
  seed: 0,
});
