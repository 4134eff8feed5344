import { IMAGE_TRANSFORMS, type ImageTransform } from '@vqkit/data';
import { HIERARCHICAL_DEFAULTS, MODEL_DEFAULTS, SINGLE_LEVEL_DEFAULTS } from '@vqkit/models';
import { z } from 'zod';
import { DATA_DEFAULTS, SAFE_NAME, TRAIN_DEFAULTS } from './defaults';
import { familyProblems } from './family-check';
import { quantizerSchema } from './quantizer-schema';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const transforms = IMAGE_TRANSFORMS as readonly ImageTransform[] as [
  ImageTransform,
  ...ImageTransform[],
];

/** `data`: where images come from and how they are cut. */
export const dataSchema = z.strictObject({
  /** Training image folder (class subfolders or flat, recursive), or `'demo'` for the bundled photos. */
  train: z.string().min(1),
  /** Validation image folder, or `'demo'` (held-out crops of the bundled photos). */
  val: z.string().min(1),
  /** Held-out test folder (or `'demo'`) that `vqkit eval` reports on; model selection never sees it. */
  test: z.string().min(1).optional(),
  /** S: square crop side in pixels (paper 256). @default 256 */
  size: positiveInt.default(DATA_DEFAULTS.size),
  /** Pixel value range fed to the model: `'0,1'` (data range 1) or `'-1,1'` (data range 2). @default '0,1' */
  range: z.enum(['0,1', '-1,1']).default(DATA_DEFAULTS.range),
  /**
   * How an image becomes a `size`² sample (@vqkit/data): `'resize'` (the paper's "resized to
   * 256×256"), `'center-crop'`, or `'random-resized-crop'`. @default 'resize'
   */
  transform: z.enum(transforms).default(DATA_DEFAULTS.transform),
  /** Mirror training samples left–right at random (the paper names no augmentation). @default false */
  flip: z.boolean().default(DATA_DEFAULTS.flip),
  /** Samples of every training image per epoch, each its own random crop: raise it for a folder of a few photos. @default 1 */
  cropsPerImage: positiveInt.default(DATA_DEFAULTS.cropsPerImage),
  /** Images with more pixels are refused from their header (decompression bombs); null = no limit. @default 178956970 */
  maxPixels: positiveInt.nullable().default(DATA_DEFAULTS.maxPixels),
  /** Random crops per epoch for `'demo'` data (ignored for folders: see cropsPerImage). */
  cropsPerEpoch: positiveInt.optional(),
  /**
   * `'demo'` data only: each bundled photo is resized so its shorter side has this many pixels
   * (≥ size) before crops are cut, for every split alike, so training and evaluation samples
   * share one pixel scale; absent = full resolution. Smaller photos make a `size`² crop show more
   * of a photo (the demo's Table 1 runs: 2·size, a quarter of a square photo). Refused with image
   * folders, which data.transform resizes instead.
   */
  decodeShorterSide: positiveInt.optional(),
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
  /**
   * Which budgets the pair equalises: `'kd'` = eqs. 4–5 (the paper: Hs·Ws·Cs = (Hb·Wb + Ht·Wt)·Ch and
   * Ks·Ds = 2·Kh·Dh), `'bits'` = eq. 4 and equal index bits per image (Hs·Ws·log₂Ks =
   * (Hb·Wb + Ht·Wt)·log₂Kh) instead of eq. 5. @default 'kd'
   */
  match: z.enum(['kd', 'bits']).default('kd'),
});

/** `train`: the optimisation schedule. */
export const trainSchema = z.strictObject({
  /** Epochs (paper 300). @default 300 */
  epochs: positiveInt.default(TRAIN_DEFAULTS.epochs),
  /** Steps per epoch, at most one pass over the training data; null = one full pass (cropsPerEpoch / batchSize for demo data). @default null */
  stepsPerEpoch: positiveInt.nullable().default(null),
  /** Images per step (the paper does not state it: vqkit choice). @default 16 */
  batchSize: positiveInt.default(TRAIN_DEFAULTS.batchSize),
  /** Adam learning rate (paper 3e-4). @default 3e-4 */
  learningRate: z.number().positive().default(TRAIN_DEFAULTS.learningRate),
  /** Exponential learning-rate decay factor: lr = learningRate · lrDecay^n (paper 0.99). @default 0.99 */
  lrDecay: z.number().gt(0).lte(1).default(TRAIN_DEFAULTS.lrDecay),
  /** What n counts in the decay: epochs, optimizer steps, or no decay (the paper does not state the unit). @default 'epoch' */
  lrDecayEvery: z.enum(['epoch', 'step', 'none']).default(TRAIN_DEFAULTS.lrDecayEvery),
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

/**
 * A complete run configuration. Every key has a default except the data folders. The `quantizer`
 * section must agree with the trained side's `model.<side>` (see `familyProblems`).
 */
export const runConfigSchema = z
  .strictObject({
    /** Run name (default: preset or file name + architecture); it names folders, so letters, digits and `._-` only. */
    name: z
      .string()
      .regex(SAFE_NAME, {
        error: 'must use only letters, digits, ".", "_" and "-" (it names a folder)',
      })
      .refine((n) => n !== '.' && n !== '..', {
        error: "must not be '.' or '..' (it names a folder)",
      })
      .optional(),
    /** Which side of the matched pair is trained. @default 'single' */
    architecture: z.enum(['single', 'hierarchical']).default('single'),
    /** Seed of every random choice: weights, data order, crops, codebook init and resets. @default 0 */
    seed: z.number().int().nonnegative().default(0),
    data: dataSchema,
    model: modelSchema.prefault({}),
    /** The quantizer family of every level of the trained side (`kind`, default the paper's 'vq') and its options. */
    quantizer: quantizerSchema.prefault({}),
    train: trainSchema.prefault({}),
    eval: evalSchema.prefault({}),
    /** Train an architecture pair that does not satisfy eqs. 4–5 (metrics.json then says so). @default false */
    allowUnmatched: z.boolean().default(false),
    /** Free labels carried into metrics.json, e.g. { ladder: 'reset', cell: 'K8192-D8' }. @default {} */
    tags: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((config, ctx) => {
    for (const p of familyProblems(config)) {
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message, input: undefined });
    }
  });

/** A fully resolved run configuration (every default filled in, `name` set). */
export type RunConfig = z.output<typeof runConfigSchema> & { name: string };

/** What a config file or object may contain before defaults are applied. */
export type RunConfigInput = z.input<typeof runConfigSchema>;
