import * as tf from '@tensorflow/tfjs-core';
import { checkInput, finiteRows, MAX_IMPLICIT_CODEBOOK } from './check-input';
import { FINITE_SCALAR_QUANTIZER_DEFAULTS as DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import { EventLog } from './event-log';
import { type IndexInput, indexTensor, inRange } from './indices';
import type {
  LiveState,
  QuantizeResult,
  Quantizer,
  QuantizerEvent,
  QuantizerForwardOptions,
} from './quantizer';
import { straightThrough } from './rotation-trick';
import type { CodeUsage } from './stats';
import { untaped } from './untaped';
import { UsageTracker, type UsageTrackerState } from './usage-tracker';

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
  private readonly usageTracker: UsageTracker;
  private readonly events = new EventLog();
  private stepCount = 0;
  private disposed = false;

  constructor(options: FiniteScalarQuantizerOptions) {
    const fn = 'FiniteScalarQuantizer';
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
    const eps = options.boundEpsilon ?? DEFAULTS.boundEpsilon;
    if (!(Number.isFinite(eps) && eps > 0 && eps < 1)) {
      throw new QuantizerError(`${fn}: boundEpsilon must be in (0, 1), got ${eps}. Use e.g. 1e-3.`);
    }
    const window = options.statsWindow ?? DEFAULTS.statsWindow;
    if (!(Number.isInteger(window) && window >= 1)) {
      throw new QuantizerError(
        `${fn}: statsWindow must be an integer ≥ 1, got ${window}. Use e.g. 10.`,
      );
    }
    this.levels = Object.freeze([...levels]);
    this.codeDim = levels.length;
    this.codebookSize = size;
    this.bitsPerPosition = levels.reduce((s, l) => s + Math.log2(l), 0);
    this.boundEpsilon = eps;
    this.halfL = levels.map((l) => ((l - 1) * (1 + eps)) / 2);
    this.offset = levels.map((l) => (l % 2 === 0 ? 0.5 : 0));
    this.shift = levels.map((_, i) => Math.atanh(this.offset[i]! / this.halfL[i]!));
    this.halfWidth = levels.map((l) => Math.floor(l / 2));
    this.basis = levels.map((_, i) => levels.slice(0, i).reduce((a, b) => a * b, 1));
    this.usageTracker = new UsageTracker(size, window);
  }

  /** Training steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * Quantizes `z` `[..., D]`; usable inside `tf.variableGrads`. `loss` is 0 (FSQ has no
   * auxiliary loss). A batch with NaN/±Inf is not counted (reported as a `'non-finite-input'`
   * event); its NaN entries stay NaN in `quantized`.
   */
  forward(z: tf.Tensor, options: QuantizerForwardOptions = {}): FiniteScalarQuantizerOutput {
    const fn = 'FiniteScalarQuantizer.forward';
    this.checkAlive('forward');
    checkInput(fn, z, this.codeDim);
    const training = options.training ?? false;
    const out = tf.tidy(() => {
      const x = tf.reshape(z, [-1, this.codeDim]) as tf.Tensor2D;
      const bounded = this.bound(x);
      const rounded = tf.round(bounded) as tf.Tensor2D;
      const codes = straightThrough(bounded, rounded);
      const quantized = tf.reshape(tf.div(codes, this.constant(this.halfWidth)), z.shape);
      const a = untaped(() => {
        const { clean, valid } = finiteRows(x);
        const idx = this.indicesOf(tf.round(this.bound(clean)) as tf.Tensor2D);
        const counts = tf.scatterND(tf.reshape(idx, [-1, 1]), tf.ones([idx.shape[0]]), [
          this.codebookSize,
        ]) as tf.Tensor1D;
        this.usageTracker.record(counts, valid, training);
        this.events.pushDevice(this.stepCount, tf.scalar(0), valid, training);
        return { idx, counts };
      });
      const indices = tf.reshape(a.idx, z.shape.slice(0, -1));
      const counts = tf.clone(a.counts);
      tf.dispose([a.idx, a.counts]);
      return { quantized, indices, loss: tf.scalar(0), counts };
    });
    if (training) this.stepCount++;
    return out as FiniteScalarQuantizerOutput;
  }

  /**
   * Codes for indices: digit `levelᵢ = ⌊index / ∏_{j<i} L_j⌋ mod Lᵢ`, value
   * `(levelᵢ − ⌊Lᵢ/2⌋) / ⌊Lᵢ/2⌋`.
   * @param indices - int32 tensor `[...]` or host integers in [0, ∏ Lᵢ) (host data is range-checked;
   *   a tensor's out-of-range entries decode to NaN).
   * @returns `[..., D]` float32.
   */
  decode(indices: IndexInput): tf.Tensor {
    const fn = 'FiniteScalarQuantizer.decode';
    this.checkAlive('decode');
    const { tensor, created } = indexTensor(fn, indices, { codebookSize: this.codebookSize });
    try {
      return tf.tidy(() => {
        const ok = tf.reshape(inRange(tensor, this.codebookSize), [-1, 1]);
        let rest = tf.reshape(tf.cast(tensor, 'float32'), [-1, 1]) as tf.Tensor2D;
        const digits: tf.Tensor2D[] = [];
        for (const l of this.levels) {
          const d = exactMod(rest, l);
          digits.push(d);
          rest = tf.div(tf.sub(rest, d), l) as tf.Tensor2D;
        }
        const level = tf.concat(digits, 1);
        const hw = this.constant(this.halfWidth);
        const codes = tf.div(tf.sub(level, hw), hw);
        const masked = tf.where(ok, codes, tf.fill(codes.shape, Number.NaN));
        return tf.reshape(masked, [...tensor.shape, this.codeDim]);
      });
    } finally {
      if (created) tensor.dispose();
    }
  }

  /** Usage of the implicit codes over the `'window'` (default), `'last'` batch or `'eval'` pass. */
  usage(which: 'last' | 'window' | 'eval' = 'window', threshold?: number): Promise<CodeUsage> {
    this.checkAlive('usage');
    return this.usageTracker.usage(which, threshold);
  }

  /** Counts per implicit code of the last batch / window / evaluation pass `[∏ Lᵢ]` (new tensors). */
  lastCounts(): tf.Tensor1D {
    return this.usageTracker.lastCounts();
  }
  windowCounts(): tf.Tensor1D {
    return this.usageTracker.windowCounts();
  }
  evalCounts(): tf.Tensor1D {
    return this.usageTracker.evalCounts();
  }
  resetEvalCounts(): void {
    this.usageTracker.resetEvalCounts();
  }

  /** Batches skipped for non-finite input (FSQ never initialises or resets). */
  flushEvents(): Promise<QuantizerEvent[]> {
    return this.events.flush('none');
  }

  async getState(): Promise<FiniteScalarQuantizerState> {
    this.checkAlive('getState');
    return {
      version: 1,
      kind: 'fsq',
      levels: [...this.levels],
      step: this.stepCount,
      ...(await this.usageTracker.getState()),
    };
  }

  setState(state: FiniteScalarQuantizerState): void {
    const fn = 'FiniteScalarQuantizer.setState';
    this.checkAlive('setState');
    if (state?.version !== 1 || state.kind !== 'fsq') {
      throw new QuantizerError(
        `${fn}: expected a finite-scalar state (version 1, kind 'fsq') from getState(), got ${JSON.stringify({ version: state?.version, kind: state?.kind })}.`,
      );
    }
    if (JSON.stringify(state.levels) !== JSON.stringify(this.levels)) {
      throw new QuantizerError(
        `${fn}: state is for levels ${JSON.stringify(state.levels)}, this quantizer has ${JSON.stringify(this.levels)}. Construct it with the saved levels.`,
      );
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new QuantizerError(`${fn}: step must be a non-negative integer, got ${state.step}.`);
    }
    this.usageTracker.setState(fn, state);
    this.stepCount = state.step;
  }

  /** The state without reads (for the tf.layers wrapper): the usage counts and `{ step }`. */
  liveState(): LiveState {
    this.checkAlive('liveState');
    return { variables: this.usageTracker.variables(), host: { step: this.stepCount } };
  }

  /** Restores the `host` part of {@link liveState}. */
  setHostState(host: unknown): void {
    const step = (host as { step?: unknown } | null)?.step;
    if (!Number.isInteger(step) || (step as number) < 0) {
      throw new QuantizerError(
        `FiniteScalarQuantizer.setHostState: expected { step } from liveState().host, got ${JSON.stringify(host)}.`,
      );
    }
    this.stepCount = step as number;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.usageTracker.dispose();
    this.events.dispose();
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

  private checkAlive(method: string): void {
    if (this.disposed) {
      throw new QuantizerError(
        `FiniteScalarQuantizer.${method}: the quantizer was disposed. Create a new one.`,
      );
    }
  }
}

/** `a mod m` for non-negative integers `a < 2^24` in float32, exact (floor's rounding corrected). */
function exactMod(a: tf.Tensor2D, m: number): tf.Tensor2D {
  const r = tf.sub(a, tf.mul(tf.floor(tf.div(a, m)), m));
  const low = tf.where(tf.less(r, 0), tf.add(r, m), r);
  return tf.where(tf.greaterEqual(low, m), tf.sub(low, m), low) as tf.Tensor2D;
}
