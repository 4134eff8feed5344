import { IMAGE_TRANSFORMS, type ImageTransform } from '@vqkit/data';
import { HIERARCHICAL_DEFAULTS, MODEL_DEFAULTS, SINGLE_LEVEL_DEFAULTS } from '@vqkit/models';
import { z } from 'zod';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const probability = z.number().gt(0).lt(1);

/** `data`: where images come from and how they are cut. */
export const dataSchema = z.strictObject({
  /** Training image folder (class subfolders or flat, recursive), or `'demo'` for the bundled photos. */
  train: z.string().min(1),
  /** Validation image folder, or `'demo'` (held-out crops of the bundled photos). */
  val: z.string().min(1),
  /**
   * Test image folder, or `'demo'` (crops of the bundled photos from a region disjoint from both
   * the training and the validation crops): `vqkit eval` reports on it, so the numbers come from
   * images that model selection (the best checkpoint by validation MSE) never saw. Absent: eval
   * uses `val`.
   */
  test: z.string().min(1).optional(),
  /**
   * How a folder's image becomes a `size` × `size` sample (@vqkit/data): `'resize'` (the paper,
   * §4: "images resized to 256×256"), `'center-crop'`, `'random-resized-crop'`. Folders only
   * (`'demo'` cuts random crops). Absent: @vqkit/data's default, `'resize'`.
   */
  transform: z.enum(IMAGE_TRANSFORMS as readonly [ImageTransform, ...ImageTransform[]]).optional(),
  /**
   * Mirror training samples left–right at random (never evaluation samples). Absent: @vqkit/data's
   * default — no flips for folders (the paper names no augmentation), flips for `'demo'` crops.
   */
  flip: z.boolean().optional(),
  /** Folders only: samples drawn from each training image per epoch (a few photos fill batches). Absent: 1. */
  cropsPerImage: positiveInt.optional(),
  /**
   * Images with more pixels are refused from their header (decompression bombs); null = no limit.
   * Absent: @vqkit/data's `DEFAULT_MAX_PIXELS` (178,956,970: twice PIL's limit).
   */
  maxPixels: positiveInt.nullable().optional(),
  /** S: square crop side in pixels. @default 256 */
  size: positiveInt.default(256),
  /** Pixel value range fed to the model: `'0,1'` (data range 1) or `'-1,1'` (data range 2). @default '0,1' */
  range: z.enum(['0,1', '-1,1']).default('0,1'),
  /** Random crops per epoch for `'demo'` data (ignored for folders: an epoch is one pass). */
  cropsPerEpoch: positiveInt.optional(),
  /** Validation images used each epoch (all when absent). */
  valImages: positiveInt.optional(),
  /** Folder for the decoded uint8 cache (no cache when absent). */
  cacheDir: z.string().min(1).optional(),
});

/**
 * `model`: both sides of the matched pair; `architecture` picks the one that is trained. Every
 * default is @vqkit/models' (where each one's source — paper § or the authors' code — is stated).
 */
export const modelSchema = z.strictObject({
  /** Single-level model: Cs, Ks, Ds (paper 160, 8192, 8). */
  single: z
    .strictObject({
      channels: positiveInt.default(SINGLE_LEVEL_DEFAULTS.channels),
      codebookSize: positiveInt.default(SINGLE_LEVEL_DEFAULTS.codebookSize),
      codeDim: positiveInt.default(SINGLE_LEVEL_DEFAULTS.codeDim),
    })
    .prefault({}),
  /** Hierarchical model: Ch, Kh, Dh (paper 128, 4096, 8); `conditioned` = VQ-VAE-2's conditioned bottom encoder. */
  hierarchical: z
    .strictObject({
      channels: positiveInt.default(HIERARCHICAL_DEFAULTS.channels),
      codebookSize: positiveInt.default(HIERARCHICAL_DEFAULTS.codebookSize),
      codeDim: positiveInt.default(HIERARCHICAL_DEFAULTS.codeDim),
      conditioned: z.boolean().default(HIERARCHICAL_DEFAULTS.conditioned),
    })
    .prefault({}),
  /** Bottom/single encoder downsampling factor (paper 4: 256 → 64). @default 4 */
  downsample: positiveInt.default(MODEL_DEFAULTS.downsample),
  /** Top encoder downsampling factor on the bottom features (paper 2: 64 → 32). @default 2 */
  topDownsample: positiveInt.default(HIERARCHICAL_DEFAULTS.topDownsample),
  /** Residual blocks per encoder/decoder (authors' released code: 2). @default 2 */
  resBlocks: nonNegativeInt.default(MODEL_DEFAULTS.resBlocks),
  /**
   * Hidden width R of each residual block: `'half'` = half the latent channels of each side (80 for
   * Cs 160, 64 for Ch 128, the authors' released code: `n_res_channel = latent_channel // 2`; the
   * paper does not state R), or a number for both sides. @default 'half'
   */
  resChannels: z
    .union([z.literal('half'), positiveInt], {
      error: "must be 'half' (half the latent channels of each side) or an integer ≥ 1",
    })
    .default(MODEL_DEFAULTS.resChannels),
});

/** `quantizer`: the EMA vector quantizer shared by every level. */
export const quantizerSchema = z.strictObject({
  /** EMA decay γ. @default 0.99 */
  decay: probability.default(0.99),
  /** Laplace smoothing ε. @default 1e-5 */
  epsilon: z.number().positive().default(1e-5),
  /** Commitment weight β (eq. 3). @default 0.25 */
  commitmentWeight: z.number().nonnegative().default(0.25),
  /** Codebook initialisation: from encoder outputs, k-means on the first batch, or random normal. @default 'data' */
  init: z.enum(['data', 'kmeans', 'random']).default('data'),
  /** Dead-code reset: the paper's sliding window, the EMA-count rule, or none. @default 'windowed' */
  reset: z.enum(['windowed', 'ema', 'none']).default('windowed'),
  /** A code assigned fewer than this many times over the window is dead (paper: 2). @default 2 */
  resetThreshold: z.number().positive().default(2),
  /** Window length in training batches (paper: 10). @default 10 */
  resetWindow: positiveInt.default(10),
  /** Replacement vector: the mean of a few recent encoder outputs (the paper's wording) or one of them. @default 'recent-mean' */
  resetSource: z.enum(['recent-mean', 'random-recent']).default('recent-mean'),
  /** Rows of the distance computation per chunk (bounds peak memory: chunkSize × K floats). @default 4096 */
  chunkSize: positiveInt.default(4096),
});

/** `train`: the optimisation schedule. */
export const trainSchema = z.strictObject({
  /** Epochs (paper 300). @default 300 */
  epochs: positiveInt.default(300),
  /** Steps per epoch, at most one pass over the training data; null = one full pass (cropsPerEpoch / batchSize for demo data). @default null */
  stepsPerEpoch: positiveInt.nullable().default(null),
  /** Images per step (paper 16). @default 16 */
  batchSize: positiveInt.default(16),
  /** Adam learning rate (paper 3e-4). @default 3e-4 */
  learningRate: z.number().positive().default(3e-4),
  /** Exponential learning-rate decay per `lrDecayEvery` unit: lr_n = learningRate · lrDecay^n (paper 0.99). @default 0.99 */
  lrDecay: z.number().gt(0).lte(1).default(0.99),
  /**
   * The unit n of the decay: per `'epoch'`, per optimizer `'step'`, or `'none'` (constant rate).
   * The paper gives the factor 0.99 but not its unit; `'epoch'` is vqkit's reading. @default 'epoch'
   */
  lrDecayEvery: z.enum(['epoch', 'step', 'none']).default('epoch'),
  /** Checkpoint every this many steps, besides the one at every epoch end; 0 = epoch ends only. @default 0 */
  checkpointEvery: nonNegativeInt.default(0),
  /** How many of the most recent checkpoints to keep (the best by validation MSE is always kept too). @default 3 */
  keepLast: positiveInt.default(3),
  /** Read scalars back and log a step record every this many steps. @default 50 */
  logEvery: positiveInt.default(50),
});

/** `eval`: the final evaluation. */
export const evalSchema = z.strictObject({
  /** Validation images to evaluate; null = all. @default null */
  images: positiveInt.nullable().default(null),
  /** Reconstructions saved as PNG next to their originals. @default 8 */
  samples: nonNegativeInt.default(8),
});

/** A complete run configuration. Every key has a default except the data folders. */
export const runConfigSchema = z.strictObject({
  /** Run name (default: preset or file name + architecture). */
  name: z.string().min(1).optional(),
  /** Which side of the matched pair is trained. @default 'single' */
  architecture: z.enum(['single', 'hierarchical']).default('single'),
  /** Seed of every random choice: weights, data order, crops, codebook init and resets. @default 0 */
  seed: z.number().int().nonnegative().default(0),
  data: dataSchema,
  model: modelSchema.prefault({}),
  quantizer: quantizerSchema.prefault({}),
  train: trainSchema.prefault({}),
  eval: evalSchema.prefault({}),
  /** Train an architecture pair that does not satisfy eqs. 4–5 (metrics.json then says so). @default false */
  allowUnmatched: z.boolean().default(false),
  /** Free labels carried into metrics.json, e.g. { ladder: 'reset', cell: 'K8192-D8' }. @default {} */
  tags: z.record(z.string(), z.string()).default({}),
});

/** A fully resolved run configuration (every default filled in, `name` set). */
export type RunConfig = z.output<typeof runConfigSchema> & { name: string };

/** What a config file or object may contain before defaults are applied. */
export type RunConfigInput = z.input<typeof runConfigSchema>;
