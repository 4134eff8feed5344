import {
  FINITE_SCALAR_QUANTIZER_DEFAULTS,
  LOOKUP_FREE_QUANTIZER_DEFAULTS,
  RESIDUAL_QUANTIZER_DEFAULTS,
} from '@vqkit/quantizer';
import { z } from 'zod';
import { QUANTIZER_DEFAULTS } from './defaults';

/** The quantizer families a run config can name (`quantizer.kind`), as @vqkit/quantizer's `createQuantizer`. */
export const QUANTIZER_KINDS = ['vq', 'residual', 'fsq', 'lfq'] as const;
export type QuantizerKind = (typeof QUANTIZER_KINDS)[number];

const positiveInt = z.number().int().positive();
const probability = z.number().gt(0).lt(1);
const weight = z.number().nonnegative();

/**
 * Options of the EMA vector quantizer (also every residual stage's). Defaults: @vqkit/quantizer's
 * `VECTOR_QUANTIZER_DEFAULTS` / `WINDOWED_RESET_DEFAULTS` through `QUANTIZER_DEFAULTS` (defaults.ts).
 */
const vqShape = {
  /** EMA decay γ. @default 0.99 */
  decay: probability.default(QUANTIZER_DEFAULTS.decay),
  /** Laplace smoothing ε. @default 1e-5 */
  epsilon: z.number().positive().default(QUANTIZER_DEFAULTS.epsilon),
  /** Commitment weight β (eq. 3). @default 0.25 */
  commitmentWeight: weight.default(QUANTIZER_DEFAULTS.commitmentWeight),
  /** Weight of the codebook loss ‖sg(z) − e‖² with `learning: 'gradient'`. @default 1 */
  codebookLossWeight: weight.default(QUANTIZER_DEFAULTS.codebookLossWeight),
  /** Nearest-code distance: eq. 2's squared Euclidean, or cosine (l2-normalised z and codes). @default 'euclidean' */
  distance: z.enum(['euclidean', 'cosine']).default(QUANTIZER_DEFAULTS.distance),
  /** How the codebook learns: EMA (the paper) or by gradient (VQ-VAE's codebook loss). @default 'ema' */
  learning: z.enum(['ema', 'gradient']).default(QUANTIZER_DEFAULTS.learning),
  /** Gradient estimator: straight-through (the paper) or the rotation trick. @default 'straight-through' */
  gradient: z.enum(['straight-through', 'rotation']).default(QUANTIZER_DEFAULTS.gradient),
  /** Dimension the codes live in, with trainable in/out projections when it differs from the level's codeDim (absent: codeDim). */
  codebookDim: positiveInt.optional(),
  /** Codebook initialisation: from encoder outputs, k-means on the first batch, or random normal. @default 'data' */
  init: z.enum(['data', 'kmeans', 'random']).default(QUANTIZER_DEFAULTS.init),
  /** Dead-code reset: the paper's sliding window, the EMA-count rule, or none. @default 'windowed' */
  reset: z.enum(['windowed', 'ema', 'none']).default(QUANTIZER_DEFAULTS.reset),
  /** A code assigned fewer than this many times over the window is dead (paper: 2). @default 2 */
  resetThreshold: z.number().positive().default(QUANTIZER_DEFAULTS.resetThreshold),
  /** Window length in training batches (paper: 10). @default 10 */
  resetWindow: positiveInt.default(QUANTIZER_DEFAULTS.resetWindow),
  /** Replacement vector: the mean of a few recent encoder outputs (the paper's wording) or one of them. @default 'recent-mean' */
  resetSource: z.enum(['recent-mean', 'random-recent']).default(QUANTIZER_DEFAULTS.resetSource),
  /** Rows of the distance computation per chunk (bounds peak memory: chunkSize × K floats). @default 4096 */
  chunkSize: positiveInt.default(QUANTIZER_DEFAULTS.chunkSize),
};

/** `kind: 'vq'` (the default): one EMA vector quantizer per level, K and D from `model.<side>`. */
export const vqQuantizerSchema = z.strictObject({
  kind: z.literal('vq').default('vq'),
  ...vqShape,
});

/** `kind: 'residual'`: `depth` stages per level, each a VQ of `model.<side>.codebookSize` codes. */
export const residualQuantizerSchema = z.strictObject({
  kind: z.literal('residual'),
  /** Stages per level (≥ 1); each quantizes the residual of the previous ones. Required. */
  depth: z
    .number({ error: 'must be an integer ≥ 1 (the residual stages per level), e.g. 2' })
    .int({ error: 'must be an integer ≥ 1 (the residual stages per level), e.g. 2' })
    .min(1, { error: 'must be an integer ≥ 1 (the residual stages per level), e.g. 2' }),
  /** One codebook for every stage. @default false */
  sharedCodebook: z.boolean().default(RESIDUAL_QUANTIZER_DEFAULTS.sharedCodebook),
  /** Quantizer dropout (SoundStream): each training batch keeps the first n stages. @default false */
  quantizerDropout: z.boolean().default(RESIDUAL_QUANTIZER_DEFAULTS.quantizerDropout),
  /** Fewest stages a training batch keeps under quantizer dropout. @default 1 */
  quantizerDropoutMinDepth: positiveInt.default(
    RESIDUAL_QUANTIZER_DEFAULTS.quantizerDropoutMinDepth,
  ),
  ...vqShape,
});

const LEVEL_ERROR =
  'every FSQ level must be an integer ≥ 2 (a dimension with one level carries no bits), e.g. [8, 5, 5, 5]';

/** `kind: 'fsq'`: finite scalar quantization, one dimension per level; no codebook, no loss. */
export const fsqQuantizerSchema = z.strictObject({
  kind: z.literal('fsq'),
  /** Lᵢ per dimension (integers ≥ 2); D = levels.length, K = ∏ Lᵢ. Required. */
  levels: z
    .array(
      z.number({ error: LEVEL_ERROR }).int({ error: LEVEL_ERROR }).min(2, { error: LEVEL_ERROR }),
      {
        error: 'must be an array of FSQ levels (integers ≥ 2), e.g. [8, 5, 5, 5]',
      },
    )
    .min(1, { error: 'needs at least one level, e.g. [8, 5, 5, 5]' }),
  /** ε of the tanh bound. @default 1e-3 */
  boundEpsilon: probability.default(FINITE_SCALAR_QUANTIZER_DEFAULTS.boundEpsilon),
});

/** `kind: 'lfq'`: lookup-free quantization, D = `model.<side>.codeDim` bits per position. */
export const lfqQuantizerSchema = z.strictObject({
  kind: z.literal('lfq'),
  /** Weight of the entropy loss H_sample − γ·H_batch. @default 0.1 */
  entropyWeight: weight.default(LOOKUP_FREE_QUANTIZER_DEFAULTS.entropyWeight),
  /** Weight β of the commitment loss. @default 0.25 */
  commitmentWeight: weight.default(LOOKUP_FREE_QUANTIZER_DEFAULTS.commitmentWeight),
  /** γ: weight of the batch entropy. @default 1 */
  diversityGamma: weight.default(LOOKUP_FREE_QUANTIZER_DEFAULTS.diversityGamma),
  /** 1/τ of the code distribution used by the entropy loss. @default 100 */
  inverseTemperature: z
    .number()
    .positive()
    .default(LOOKUP_FREE_QUANTIZER_DEFAULTS.inverseTemperature),
  /** Rows per chunk of the batch entropy (absent: the library's, ⌊2^22 / 2^D⌋). */
  entropyChunkSize: positiveInt.optional(),
});

/**
 * `quantizer`: the family of every level of the trained architecture and its options, as plain
 * data that `createQuantizer` of @vqkit/quantizer builds (`kind` defaults to `'vq'`, the paper's).
 */
export const quantizerSchema = z.discriminatedUnion('kind', [
  vqQuantizerSchema,
  residualQuantizerSchema,
  fsqQuantizerSchema,
  lfqQuantizerSchema,
]);

/** A resolved `quantizer` section. */
export type QuantizerConfig = z.output<typeof quantizerSchema>;
/** The options of the VQ family (also what the residual family's stages take). */
export type VqQuantizerConfig = z.output<typeof vqQuantizerSchema>;

/** The keys one family's section may hold (for error messages). */
export function quantizerKeys(kind: QuantizerKind): string[] {
  const schemas = {
    vq: vqQuantizerSchema,
    residual: residualQuantizerSchema,
    fsq: fsqQuantizerSchema,
    lfq: lfqQuantizerSchema,
  };
  return Object.keys(schemas[kind].shape);
}

/** The VQ options of a VQ or residual section (the other families: the VQ defaults). */
export function vqOptionsOf(q: QuantizerConfig): VqQuantizerConfig {
  if (q.kind === 'vq') return q;
  if (q.kind === 'fsq' || q.kind === 'lfq') return vqQuantizerSchema.parse({});
  const {
    kind: _kind,
    depth: _depth,
    sharedCodebook: _shared,
    quantizerDropout: _dropout,
    quantizerDropoutMinDepth: _min,
    ...vq
  } = q;
  return { kind: 'vq', ...vq };
}
