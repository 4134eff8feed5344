import * as tf from '@tensorflow/tfjs-core';
import { checkInput, MAX_IMPLICIT_CODEBOOK } from './check-input';
import { LOOKUP_FREE_QUANTIZER_DEFAULTS as DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import { ImplicitCodebook } from './implicit-codebook';
import { decodeIndices, type IndexInput } from './indices';
import { batchEntropy, codeBits, perSampleEntropy } from './lfq-entropy';
import { checkNumber, isNonNegative, isPositiveInteger } from './option-checks';
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
import type { UsageTrackerState } from './usage-tracker';

/** Constructor options of {@link LookupFreeQuantizer}. Defaults: {@link LOOKUP_FREE_QUANTIZER_DEFAULTS}. */
export interface LookupFreeQuantizerOptions {
  /** D: bits per position, the last dimension of z (integer in [1, 24]; 2^D codes). Required. */
  codeDim: number;
  /** Weight of the entropy loss `H_sample − γ·H_batch`. @default 0.1 */
  entropyWeight?: number;
  /** Weight β of the commitment loss `β·mean‖z − sg(q)‖²`. @default 0.25 */
  commitmentWeight?: number;
  /** γ: weight of the batch entropy inside the entropy loss. @default 1 */
  diversityGamma?: number;
  /** 1/τ of the code distribution `softmax(−‖z − c‖²/τ)`. @default 100 */
  inverseTemperature?: number;
  /** Rows per chunk of the batch-entropy computation (peak memory `4·rows·2^D` bytes). @default max(1, ⌊2^22 / 2^D⌋) */
  entropyChunkSize?: number;
  /** Training batches summed by the window usage statistics. @default 10 */
  statsWindow?: number;
}

/** Result of {@link LookupFreeQuantizer.forward}. The caller owns every tensor. */
export interface LookupFreeQuantizerOutput extends QuantizeResult {
  /** Scalar `β·mean‖z − sg(q)‖²`. */
  commitmentLoss: tf.Scalar;
  /** Scalar `H_sample − γ·H_batch` (nats, unweighted) in training; absent in evaluation. */
  entropyLoss?: tf.Scalar;
  /** float32 `[2^D]` assignments per code. */
  counts: tf.Tensor1D;
}

/** Plain-data state of a {@link LookupFreeQuantizer}: its usage statistics (LFQ has no codebook). */
export interface LookupFreeQuantizerState extends UsageTrackerState {
  version: 1;
  kind: 'lfq';
  codeDim: number;
  /** Training steps taken. */
  step: number;
}

/**
 * Lookup-free quantization (Yu et al. 2023, MAGVIT-v2 "Language Model Beats Diffusion", §3.1):
 * each dimension is quantized to its sign, `q_i = +1` if `z_i > 0` else `−1` (straight-through
 * gradient), so the codebook {±1}^D is implicit (2^D codes, D bits per position) and the index is
 * the bits `Σ_i [q_i > 0]·2^(D−1−i)` (first dimension most significant, as vector-quantize-pytorch).
 *
 * Auxiliary loss `entropyWeight·(H_sample − γ·H_batch) + β·mean‖z − sg(q)‖²` where, with
 * `p(c | z) = softmax_c(−‖z − c‖²/τ)` over the 2^D codes, `H_sample = mean_n H(p(·|z_n))` (pushes
 * each z to be confident) and `H_batch = H(mean_n p(·|z_n))` (pushes codes to be used uniformly);
 * both exact (the batch term chunked, see {@link batchEntropy}), and computed in training only
 * (as vector-quantize-pytorch). The batch term costs `O(N·2^D·D)` per step.
 */
export class LookupFreeQuantizer implements Quantizer<LookupFreeQuantizerState> {
  readonly kind = 'lfq' as const;
  /** D: bits per position. */
  readonly codeDim: number;
  /** 2^D. */
  readonly codebookSize: number;
  /** D. */
  readonly bitsPerPosition: number;
  /** None: LFQ learns nothing itself. */
  readonly variables: Readonly<Record<string, tf.Variable>> = Object.freeze({});
  readonly entropyWeight: number;
  readonly commitmentWeight: number;
  readonly diversityGamma: number;
  readonly inverseTemperature: number;
  readonly entropyChunkSize: number;
  private readonly bits: tf.Tensor2D;
  private readonly powers: tf.Tensor2D;
  private readonly book: ImplicitCodebook;

  constructor(options: LookupFreeQuantizerOptions) {
    const fn = 'LookupFreeQuantizer';
    const d = options?.codeDim;
    if (!Number.isInteger(d) || d < 1 || 2 ** d > MAX_IMPLICIT_CODEBOOK) {
      throw new QuantizerError(
        `${fn}: codeDim must be an integer in [1, 24] (2^codeDim codes, indices exact in float32), got ${JSON.stringify(d)}. MAGVIT-v2 uses 18; project z to that many channels first.`,
      );
    }
    const number = (
      name: NumberOption,
      fallback: number,
      ok: (v: number) => boolean,
      expected: string,
    ) => checkNumber(fn, name, options[name] ?? fallback, ok, expected, fallback);
    this.codeDim = d;
    this.codebookSize = 2 ** d;
    this.bitsPerPosition = d;
    this.entropyWeight = number(
      'entropyWeight',
      DEFAULTS.entropyWeight,
      isNonNegative,
      'a finite number ≥ 0',
    );
    this.commitmentWeight = number(
      'commitmentWeight',
      DEFAULTS.commitmentWeight,
      isNonNegative,
      'a finite number ≥ 0',
    );
    this.diversityGamma = number(
      'diversityGamma',
      DEFAULTS.diversityGamma,
      isNonNegative,
      'a finite number ≥ 0',
    );
    this.inverseTemperature = number(
      'inverseTemperature',
      DEFAULTS.inverseTemperature,
      (v) => Number.isFinite(v) && v > 0,
      'a finite number > 0',
    );
    this.entropyChunkSize = number(
      'entropyChunkSize',
      Math.max(1, Math.floor(2 ** 22 / this.codebookSize)),
      isPositiveInteger,
      'an integer ≥ 1',
    );
    const window = number('statsWindow', DEFAULTS.statsWindow, isPositiveInteger, 'an integer ≥ 1');
    this.bits = codeBits(d);
    this.powers = tf.tensor2d(
      Array.from({ length: d }, (_, i) => 2 ** (d - 1 - i)),
      [d, 1],
    );
    this.book = new ImplicitCodebook(fn, this.codebookSize, window);
  }

  /** Training steps taken so far. */
  get step(): number {
    return this.book.step;
  }

  /**
   * Quantizes `z` `[..., D]` to signs; usable inside `tf.variableGrads`. In training `loss` holds
   * the weighted entropy and commitment terms; in evaluation only the commitment term.
   */
  forward(z: tf.Tensor, options: QuantizerForwardOptions = {}): LookupFreeQuantizerOutput {
    this.book.life.check('forward');
    checkInput('LookupFreeQuantizer.forward', z, this.codeDim);
    const training = options.training ?? false;
    return tf.tidy(() => {
      const x = tf.reshape(z, [-1, this.codeDim]) as tf.Tensor2D;
      // Off the tape: the comparison has no gradient, and sg(q) must be a constant.
      const { signs } = untaped(() => ({
        signs: tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, -1)) as tf.Tensor2D,
      }));
      const q = straightThrough(x, signs);
      const commitmentLoss = tf.mul(
        tf.mean(tf.squaredDifference(x, signs)),
        this.commitmentWeight,
      ) as tf.Scalar;
      const entropyLoss = training ? this.entropyLoss(x) : undefined;
      const loss =
        entropyLoss === undefined
          ? commitmentLoss
          : (tf.add(commitmentLoss, tf.mul(entropyLoss, this.entropyWeight)) as tf.Scalar);
      const { indices, counts } = this.book.observe(x, z.shape.slice(0, -1), training, (clean) =>
        this.indicesOf(clean),
      );
      signs.dispose();
      return {
        quantized: tf.reshape(q, z.shape),
        indices,
        loss,
        commitmentLoss,
        ...(entropyLoss === undefined ? {} : { entropyLoss }),
        counts,
      };
    }) as LookupFreeQuantizerOutput;
  }

  /**
   * ±1 codes for indices: `q_i = 2·bit_i − 1`, `bit_i = ⌊index / 2^(D−1−i)⌋ mod 2`.
   * @param indices - int32 tensor or host integers in [0, 2^D) (host data is range-checked; a
   *   tensor's out-of-range entries decode to NaN).
   * @returns `[..., D]` float32.
   */
  decode(indices: IndexInput): tf.Tensor {
    this.book.life.check('decode');
    return decodeIndices(
      'LookupFreeQuantizer.decode',
      indices,
      this.codebookSize,
      this.codeDim,
      (flat) => {
        const v = tf.reshape(tf.cast(flat, 'float32'), [-1, 1]);
        // Divisions by powers of two are exact in float32.
        const shifted = tf.floor(tf.div(v, tf.reshape(this.powers, [1, -1])));
        const bit = tf.sub(shifted, tf.mul(tf.floor(tf.div(shifted, 2)), 2));
        return tf.sub(tf.mul(bit, 2), 1) as tf.Tensor2D;
      },
    );
  }

  /** Usage of the 2^D codes over the `'window'` (default), `'last'` batch or `'eval'` pass. */
  usage(which: 'last' | 'window' | 'eval' = 'window', threshold?: number): Promise<CodeUsage> {
    return this.book.counts.usage(which, threshold);
  }

  /** Counts per code of the last batch / window / evaluation pass `[2^D]` (new tensors). */
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

  /** Batches skipped for non-finite input (LFQ never initialises or resets). */
  flushEvents(): Promise<QuantizerEvent[]> {
    return this.book.flushEvents();
  }

  getState(): Promise<LookupFreeQuantizerState> {
    return this.book.getState({ kind: 'lfq' as const, codeDim: this.codeDim });
  }

  setState(state: LookupFreeQuantizerState): void {
    this.book.setState(state, 'lfq', 'lookup-free', (fn) => {
      if (state.codeDim !== this.codeDim) {
        throw new QuantizerError(
          `${fn}: state is for codeDim ${state.codeDim}, this quantizer has ${this.codeDim}. Construct it with the saved codeDim.`,
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
    if (this.book.dispose()) tf.dispose([this.bits, this.powers]);
  }

  /** `H_sample − γ·H_batch` of `x` `[N, D]` (nats, unweighted; on the tape). */
  private entropyLoss(x: tf.Tensor2D): tf.Scalar {
    const a = tf.mul(x, 4 * this.inverseTemperature) as tf.Tensor2D;
    return tf.sub(
      perSampleEntropy(a),
      tf.mul(batchEntropy(a, this.bits, this.entropyChunkSize), this.diversityGamma),
    ) as tf.Scalar;
  }

  /** int32 `[N]`: `Σ_i [z_i > 0]·2^(D−1−i)` (exact in float32 for D ≤ 24). */
  private indicesOf(x: tf.Tensor2D): tf.Tensor1D {
    const bit = tf.cast(tf.greater(x, 0), 'float32');
    return tf.cast(tf.reshape(tf.matMul(bit, this.powers), [-1]), 'int32') as tf.Tensor1D;
  }
}

/** The numeric options of {@link LookupFreeQuantizerOptions}, each checked by one rule. */
type NumberOption = Exclude<keyof LookupFreeQuantizerOptions, 'codeDim'>;
