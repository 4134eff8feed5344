import * as tf from '@tensorflow/tfjs-core';
import { checkInput, MAX_IMPLICIT_CODEBOOK } from './check-input';
import { FINITE_SCALAR_QUANTIZER_DEFAULTS as DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import { ImplicitCodebook } from './implicit-codebook';
import { decodeIndices, type IndexInput } from './indices';
import { checkNumber, isPositiveInteger } from './option-checks';
import type {
  LiveState,
  QuantizeResult,
  Quantizer,
  QuantizerEvent,
  QuantizerForwardOptions,
} from './quantizer';
import { straightThrough } from './rotation-trick';
import type { CodeUsage } from './stats';
import type { UsageTrackerState } from './usage-tracker';

/** Constructor options of {@link FiniteScalarQuantizer}. Defaults: {@link FINITE_SCALAR_QUANTIZER_DEFAULTS}. */
export interface FiniteScalarQuantizerOptions {
  /**
   * Lᵢ: the number of levels of each of the D = `levels.length` dimensions (integers ≥ 2, e.g.
   * `[8, 5, 5, 5]` for ≈ 2^10 codes, the FSQ paper's table 1). Required.
   */
  levels: number[];
  /** D, the last dimension of z; must equal `levels.length` when given. @default levels.length */
  codeDim?: number;
  /** ε of the bound's `half_l = (L − 1)(1 + ε)/2` (keeps the outer levels reachable). @default 1e-3 */
  boundEpsilon?: number;
  /** Training batches summed by the window usage statistics. @default 10 */
  statsWindow?: number;
}

/** Result of {@link FiniteScalarQuantizer.forward}. The caller owns every tensor. */
export interface FiniteScalarQuantizerOutput extends QuantizeResult {
  /** float32 `[∏ Lᵢ]` assignments per implicit code. */
  counts: tf.Tensor1D;
}

/** Plain-data state of a {@link FiniteScalarQuantizer}: its usage statistics (FSQ learns nothing). */
export interface FiniteScalarQuantizerState extends UsageTrackerState {
  version: 1;
  kind: 'fsq';
  levels: number[];
  /** Training steps taken. */
  step: number;
}

/**
 * Finite scalar quantization (Mentzer et al. 2023, "Finite Scalar Quantization: VQ-VAE Made
 * Simple"): each of the D dimensions is bounded and rounded to one of Lᵢ levels, so the codebook
 * is implicit (∏ Lᵢ codes, `Σ log₂ Lᵢ` bits per position) and nothing is learned (no loss, no
 * codebook collapse).
 *
 * Per dimension with L levels: `half_l = (L − 1)(1 + ε)/2`, `offset = 0.5` for even L else 0,
 * `shift = atanh(offset / half_l)`, `b = tanh(z + shift)·half_l − offset`, then
 * `quantized = round(b) / ⌊L/2⌋` ∈ [−1, 1] with a straight-through round (gradient
 * `(1 − tanh²)·half_l / ⌊L/2⌋`). Level `round(b) + ⌊L/2⌋` ∈ [0, L); index
 * `Σᵢ levelᵢ · ∏_{j<i} L_j` (mixed radix, first dimension least significant, as the paper's code).
 */
export class FiniteScalarQuantizer implements Quantizer<FiniteScalarQuantizerState> {
  readonly kind = 'fsq' as const;
  /** Lᵢ per dimension. */
  readonly levels: readonly number[];
  /** D = levels.length. */
  readonly codeDim: number;
  /** ∏ Lᵢ: the implicit codebook size. */
  readonly codebookSize: number;
  /** Σ log₂ Lᵢ. */
  readonly bitsPerPosition: number;
  /** None: FSQ learns nothing. */
  readonly variables: Readonly<Record<string, tf.Variable>> = Object.freeze({});
  /** ε of the bound. */
  readonly boundEpsilon: number;
  private readonly halfL: number[];
  private readonly offset: number[];
  private readonly shift: number[];
  private readonly halfWidth: number[];
  private readonly basis: number[];
  private readonly book: ImplicitCodebook;

  constructor(options: FiniteScalarQuantizerOptions) {
    const fn = 'FiniteScalarQuantizer';
    const levels = checkLevels(fn, options);
    const eps = checkNumber(
      fn,
      'boundEpsilon',
      options.boundEpsilon ?? DEFAULTS.boundEpsilon,
      (v) => Number.isFinite(v) && v > 0 && v < 1,
      'in (0, 1)',
      '1e-3',
    );
    const window = checkNumber(
      fn,
      'statsWindow',
      options.statsWindow ?? DEFAULTS.statsWindow,
      isPositiveInteger,
      'an integer ≥ 1',
      DEFAULTS.statsWindow,
    );
    this.levels = Object.freeze([...levels]);
    this.codeDim = levels.length;
    this.codebookSize = levels.reduce((a, b) => a * b, 1);
    this.bitsPerPosition = levels.reduce((s, l) => s + Math.log2(l), 0);
    this.boundEpsilon = eps;
    this.halfL = levels.map((l) => ((l - 1) * (1 + eps)) / 2);
    this.offset = levels.map((l) => (l % 2 === 0 ? 0.5 : 0));
    this.shift = levels.map((_, i) => Math.atanh(this.offset[i]! / this.halfL[i]!));
    this.halfWidth = levels.map((l) => Math.floor(l / 2));
    this.basis = levels.map((_, i) => levels.slice(0, i).reduce((a, b) => a * b, 1));
    this.book = new ImplicitCodebook(fn, this.codebookSize, window);
  }

  /** Training steps taken so far. */
  get step(): number {
    return this.book.step;
  }

  /**
   * Quantizes `z` `[..., D]`; usable inside `tf.variableGrads`. `loss` is 0 (FSQ has no
   * auxiliary loss). A batch with NaN/±Inf is not counted (reported as a `'non-finite-input'`
   * event); its NaN entries stay NaN in `quantized`.
   */
  forward(z: tf.Tensor, options: QuantizerForwardOptions = {}): FiniteScalarQuantizerOutput {
    this.book.life.check('forward');
    checkInput('FiniteScalarQuantizer.forward', z, this.codeDim);
    const training = options.training ?? false;
    return tf.tidy(() => {
      const x = tf.reshape(z, [-1, this.codeDim]) as tf.Tensor2D;
      const bounded = this.bound(x);
      const codes = straightThrough(bounded, tf.round(bounded) as tf.Tensor2D);
      const quantized = tf.reshape(tf.div(codes, this.constant(this.halfWidth)), z.shape);
      const { indices, counts } = this.book.observe(x, z.shape.slice(0, -1), training, (clean) =>
        this.indicesOf(tf.round(this.bound(clean)) as tf.Tensor2D),
      );
      return { quantized, indices, loss: tf.scalar(0), counts };
    }) as FiniteScalarQuantizerOutput;
  }

  /**
   * Codes for indices: digit `levelᵢ = ⌊index / ∏_{j<i} L_j⌋ mod Lᵢ`, value
   * `(levelᵢ − ⌊Lᵢ/2⌋) / ⌊Lᵢ/2⌋`.
   * @param indices - int32 tensor `[...]` or host integers in [0, ∏ Lᵢ) (host data is range-checked;
   *   a tensor's out-of-range entries decode to NaN).
   * @returns `[..., D]` float32.
   */
  decode(indices: IndexInput): tf.Tensor {
    this.book.life.check('decode');
    return decodeIndices(
      'FiniteScalarQuantizer.decode',
      indices,
      this.codebookSize,
      this.codeDim,
      (flat) => {
        let rest = tf.reshape(tf.cast(flat, 'float32'), [-1, 1]) as tf.Tensor2D;
        const digits: tf.Tensor2D[] = [];
        for (const l of this.levels) {
          const d = exactMod(rest, l);
          digits.push(d);
          rest = tf.div(tf.sub(rest, d), l) as tf.Tensor2D;
        }
        const hw = this.constant(this.halfWidth);
        return tf.div(tf.sub(tf.concat(digits, 1), hw), hw) as tf.Tensor2D;
      },
    );
  }

  /** Usage of the implicit codes over the `'window'` (default), `'last'` batch or `'eval'` pass. */
  usage(which: 'last' | 'window' | 'eval' = 'window', threshold?: number): Promise<CodeUsage> {
    return this.book.counts.usage(which, threshold);
  }

  /** Counts per implicit code of the last batch / window / evaluation pass `[∏ Lᵢ]` (new tensors). */
  lastCounts(): tf.Tensor1D {
    return this.book.counts.lastCounts();
  }
  windowCounts(): tf.Tensor1D {
    return this.book.counts.windowCounts();
  }
  evalCounts(): tf.Tensor1D {
    return this.book.counts.evalCounts();
  }
  resetEvalCounts(): void {
    this.book.counts.resetEvalCounts();
  }

  /** Batches skipped for non-finite input (FSQ never initialises or resets). */
  flushEvents(): Promise<QuantizerEvent[]> {
    return this.book.flushEvents();
  }

  getState(): Promise<FiniteScalarQuantizerState> {
    return this.book.getState({ kind: 'fsq' as const, levels: [...this.levels] });
  }

  setState(state: FiniteScalarQuantizerState): void {
    this.book.setState(state, 'fsq', 'finite-scalar', (fn) => {
      if (JSON.stringify(state.levels) !== JSON.stringify(this.levels)) {
        throw new QuantizerError(
          `${fn}: state is for levels ${JSON.stringify(state.levels)}, this quantizer has ${JSON.stringify(this.levels)}. Construct it with the saved levels.`,
        );
      }
    });
  }

  /** The state without reads (for the tf.layers wrapper): the usage counts and `{ step }`. */
  liveState(): LiveState {
    return this.book.liveState();
  }

  /** Restores the `host` part of {@link liveState}. */
  setHostState(host: unknown): void {
    this.book.setHostState(host);
  }

  dispose(): void {
    this.book.dispose();
  }

  /** `tanh(x + shift)·half_l − offset` per dimension, `[N, D]` (on the tape). */
  private bound(x: tf.Tensor2D): tf.Tensor2D {
    return tf.sub(
      tf.mul(tf.tanh(tf.add(x, this.constant(this.shift))), this.constant(this.halfL)),
      this.constant(this.offset),
    ) as tf.Tensor2D;
  }

  /** Mixed-radix int32 index of rounded bounded values `[N, D]` → `[N]` (exact in float32). */
  private indicesOf(rounded: tf.Tensor2D): tf.Tensor1D {
    const level = tf.add(rounded, this.constant(this.halfWidth));
    const index = tf.sum(tf.mul(level, this.constant(this.basis)), 1);
    return tf.cast(index, 'int32') as tf.Tensor1D;
  }

  private constant(values: number[]): tf.Tensor2D {
    return tf.tensor2d(values, [1, values.length]);
  }
}

/**
 * `levels` of the options when each is an integer ≥ 2, their product (the implicit codebook) is
 * at most 2^24 and `codeDim`, when given, is their number.
 * @throws {@link QuantizerError} naming the first bad entry and the fix.
 */
function checkLevels(fn: string, options: FiniteScalarQuantizerOptions): number[] {
  const levels = options?.levels;
  if (!Array.isArray(levels) || levels.length === 0) {
    throw new QuantizerError(
      `${fn}: levels must be a non-empty array of integers ≥ 2 (one per dimension), got ${JSON.stringify(levels)}. Use e.g. [8, 5, 5, 5].`,
    );
  }
  levels.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 2) {
      throw new QuantizerError(
        `${fn}: levels[${i}] must be an integer ≥ 2, got ${JSON.stringify(l)}: a dimension needs at least 2 levels to carry information. Use e.g. [8, 5, 5, 5].`,
      );
    }
  });
  const size = levels.reduce((a, b) => a * b, 1);
  if (size > MAX_IMPLICIT_CODEBOOK) {
    throw new QuantizerError(
      `${fn}: the implicit codebook ∏ levels = ${size} exceeds 2^24 = ${MAX_IMPLICIT_CODEBOOK} (indices are exact in float32 only up to there). Use fewer or smaller levels.`,
    );
  }
  if (options.codeDim !== undefined && options.codeDim !== levels.length) {
    throw new QuantizerError(
      `${fn}: codeDim ${options.codeDim} does not match levels.length ${levels.length} (FSQ quantizes each input dimension with its own levels). Give one level count per dimension, or project z to ${levels.length} channels first.`,
    );
  }
  return levels;
}

/** `a mod m` for non-negative integers `a < 2^24` in float32, exact (floor's rounding corrected). */
function exactMod(a: tf.Tensor2D, m: number): tf.Tensor2D {
  const r = tf.sub(a, tf.mul(tf.floor(tf.div(a, m)), m));
  const low = tf.where(tf.less(r, 0), tf.add(r, m), r);
  return tf.where(tf.greaterEqual(low, m), tf.sub(low, m), low) as tf.Tensor2D;
}
