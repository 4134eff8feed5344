import { VECTOR_QUANTIZER_DEFAULTS as DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import { type InitPolicy, initFromData } from './init-policies';
import { chunkedNearestCode, type NearestCodeSearch } from './nearest-code';
import { checkEnum, checkNumber, isNonNegative, isPositiveInteger } from './option-checks';
import type { ResetPolicy } from './reset-policies';
import { windowedDeadCodeReset } from './windowed-dead-code-reset';

/** Constructor options of {@link VectorQuantizer}. Defaults: {@link VECTOR_QUANTIZER_DEFAULTS}. */
export interface VectorQuantizerOptions {
  /** Number of codes K (integer ≥ 1). Required. */
  codebookSize: number;
  /** D: the last dimension of `z` and of `quantized` (integer ≥ 1). Required. */
  codeDim: number;
  /**
   * Dimension of the code vectors when it differs from `codeDim`: `z` is mapped by a trainable
   * `projectIn` (`[codeDim, codebookDim]` + bias) before the search and `quantized` back by
   * `projectOut` (vector-quantize-pytorch's `codebook_dim`). @default codeDim (no projections)
   */
  codebookDim?: number;
  /**
   * Nearest-code distance: `'euclidean'` (eq. 2), or `'cosine'`: the (projected) inputs and the
   * codes are l2-normalised, so the search maximises cosine similarity and `quantized` has unit
   * norm (ViT-VQGAN / Improved VQGAN; vector-quantize-pytorch's `use_cosine_sim`). Needs a
   * codebook dimension ≥ 2 and `learning: 'ema'`. @default 'euclidean'
   */
  distance?: 'euclidean' | 'cosine';
  /**
   * How the codebook learns: `'ema'` (§3: exponential moving averages; the codebook is state), or
   * `'gradient'`: the codebook is a trainable variable (in {@link VectorQuantizer.variables}) and
   * the loss gains the codebook term `codebookLossWeight·mean‖sg(z) − e‖²` (VQ-VAE eq. 3).
   * @default 'ema'
   */
  learning?: 'ema' | 'gradient';
  /**
   * Gradient from `quantized` to `z`: `'straight-through'` (identity, §3) or `'rotation'` (the
   * rotation trick of Fifty et al. 2024: through the rotation and rescaling taking z to e, treated
   * as constants). @default 'straight-through'
   */
  gradient?: 'straight-through' | 'rotation';
  /** EMA decay γ in (0, 1) (with `'gradient'` learning it only smooths the counts N). @default 0.99 */
  decay?: number;
  /** Laplace smoothing ε > 0 of the EMA counts. @default 1e-5 */
  epsilon?: number;
  /** Commitment weight β ≥ 0 in `β·mean‖z − sg(e)‖²`. @default 0.25 */
  commitmentWeight?: number;
  /** Weight ≥ 0 of the codebook loss `mean‖sg(z) − e‖²` (`learning: 'gradient'` only). @default 1 */
  codebookLossWeight?: number;
  /** Codebook initialisation. @default initFromData() */
  init?: InitPolicy;
  /** Dead-code reset rule. @default windowedDeadCodeReset() (the paper's rule: threshold 2, window 10, recent mean) */
  reset?: ResetPolicy;
  /** Rows of z per nearest-code chunk; peak memory ≈ 4·chunkSize·K bytes. @default 4096 */
  chunkSize?: number;
  /** Nearest-code search. @default chunkedNearestCode */
  search?: NearestCodeSearch;
  /** Seed of the quantizer's {@link Rng} (projection init, init draws, reset draws). @default 0 */
  seed?: number;
  /**
   * Sonnet-style bias-corrected EMA (TF `assign_moving_average(zero_debias=True)`): the hidden
   * accumulators start at 0 after initialisation and are divided by `1 − γ^t` (t = updates since
   * initialisation). Unlike Sonnet, a code never assigned since initialisation keeps its vector
   * instead of collapsing to 0. @default false
   */
  biasCorrection?: boolean;
  /** Training batches summed by {@link VectorQuantizer.windowCounts} (logging only). @default 10 */
  statsWindow?: number;
}

/** {@link VectorQuantizerOptions} after validation, every default filled in. */
export type ResolvedVectorQuantizerOptions = Required<
  Omit<VectorQuantizerOptions, 'codebookDim'>
> & {
  /** Dc: `codeDim` unless projections are asked for. */
  codebookDim: number;
};

/**
 * Validates the options of a {@link VectorQuantizer} and fills in the defaults
 * ({@link VECTOR_QUANTIZER_DEFAULTS}; policies `initFromData()`, `windowedDeadCodeReset()`, search
 * `chunkedNearestCode`).
 * @throws {@link QuantizerError} `VectorQuantizer: <option> must be …, got …` for the first bad one.
 */
export function resolveVectorQuantizerOptions(
  options: VectorQuantizerOptions,
): ResolvedVectorQuantizerOptions {
  const o = options ?? ({} as VectorQuantizerOptions);
  const { codebookSize, codeDim, codebookDim } = checkSizes(o);
  const { distance, learning, gradient } = checkModes(o, codebookDim);
  const number = (name: NumberOption, ok: (v: number) => boolean, expected: string): number =>
    checkNumber(FN, name, o[name] ?? DEFAULTS[name], ok, expected, DEFAULTS[name]);
  return {
    codebookSize,
    codeDim,
    codebookDim,
    distance,
    learning,
    gradient,
    decay: number('decay', (v) => v > 0 && v < 1, 'in (0, 1)'),
    epsilon: number('epsilon', (v) => Number.isFinite(v) && v > 0, 'a finite number > 0'),
    commitmentWeight: number('commitmentWeight', isNonNegative, 'a finite number ≥ 0'),
    codebookLossWeight: number('codebookLossWeight', isNonNegative, 'a finite number ≥ 0'),
    chunkSize: number('chunkSize', isPositiveInteger, 'an integer ≥ 1'),
    statsWindow: number('statsWindow', isPositiveInteger, 'an integer ≥ 1'),
    seed: number('seed', Number.isFinite, 'a finite number'),
    biasCorrection: o.biasCorrection ?? DEFAULTS.biasCorrection,
    init: o.init ?? initFromData(),
    reset: o.reset ?? windowedDeadCodeReset(),
    search: o.search ?? chunkedNearestCode,
  };
}

const FN = 'VectorQuantizer';

/** The numeric options with a default, each checked by one rule. */
type NumberOption =
  | 'decay'
  | 'epsilon'
  | 'commitmentWeight'
  | 'codebookLossWeight'
  | 'chunkSize'
  | 'statsWindow'
  | 'seed';

function checkSizes(o: VectorQuantizerOptions) {
  if (!Number.isInteger(o.codebookSize) || o.codebookSize < 1) {
    throw new QuantizerError(
      `${FN}: codebookSize must be an integer ≥ 1, got ${o.codebookSize}. The paper uses e.g. 8192.`,
    );
  }
  if (!Number.isInteger(o.codeDim) || o.codeDim < 1) {
    throw new QuantizerError(
      `${FN}: codeDim must be an integer ≥ 1, got ${o.codeDim}. The paper uses e.g. 16 or 64.`,
    );
  }
  const codebookDim = checkNumber(
    FN,
    'codebookDim',
    o.codebookDim ?? o.codeDim,
    isPositiveInteger,
    'an integer ≥ 1',
    `${o.codeDim} (no projection)`,
  );
  return { codebookSize: o.codebookSize, codeDim: o.codeDim, codebookDim };
}

function checkModes(o: VectorQuantizerOptions, codebookDim: number) {
  const distance = checkEnum(FN, 'distance', o.distance ?? DEFAULTS.distance, [
    'euclidean',
    'cosine',
  ]);
  const learning = checkEnum(FN, 'learning', o.learning ?? DEFAULTS.learning, ['ema', 'gradient']);
  const gradient = checkEnum(FN, 'gradient', o.gradient ?? DEFAULTS.gradient, [
    'straight-through',
    'rotation',
  ]);
  if (distance === 'cosine' && codebookDim < 2) {
    throw new QuantizerError(
      `${FN}: distance 'cosine' needs a code dimension ≥ 2, got ${codebookDim}: l2-normalised 1-D vectors are only ±1, so at most 2 codes could ever be used. Use distance 'euclidean', or codebookDim ≥ 2.`,
    );
  }
  if (distance === 'cosine' && learning === 'gradient') {
    throw new QuantizerError(
      `${FN}: distance 'cosine' with learning 'gradient' is not supported (nor in vector-quantize-pytorch): the optimizer would move codes off the unit sphere. Use learning 'ema' with cosine, or distance 'euclidean'.`,
    );
  }
  return { distance, learning, gradient };
}
