import * as tf from '@tensorflow/tfjs-core';
import { checkInput, finiteRows, MAX_IMPLICIT_CODEBOOK } from './check-input';
import { LOOKUP_FREE_QUANTIZER_DEFAULTS as DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import { EventLog } from './event-log';
import { type IndexInput, indexTensor, inRange } from './indices';
import { batchEntropy, codeBits, perSampleEntropy } from './lfq-entropy';
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
  private readonly usageTracker: UsageTracker;
  private readonly events = new EventLog();
  private stepCount = 0;
  private disposed = false;

  constructor(options: LookupFreeQuantizerOptions) {
    const fn = 'LookupFreeQuantizer';
    const d = options?.codeDim;
    if (!Number.isInteger(d) || d < 1 || 2 ** d > MAX_IMPLICIT_CODEBOOK) {
      throw new QuantizerError(
        `${fn}: codeDim must be an integer in [1, 24] (2^codeDim codes, indices exact in float32), got ${JSON.stringify(d)}. MAGVIT-v2 uses 18; project z to that many channels first.`,
      );
    }
    const num = (
      name: keyof LookupFreeQuantizerOptions,
      fallback: number,
      ok: (v: number) => boolean,
      expected: string,
    ) => {
      const v = (options[name] as number | undefined) ?? fallback;
      if (typeof v !== 'number' || !ok(v)) {
        throw new QuantizerError(
          `${fn}: ${name} must be ${expected}, got ${String(v)}. Use e.g. ${fallback}.`,
        );
      }
      return v;
    };
    const nonNegative = (v: number) => Number.isFinite(v) && v >= 0;
    this.codeDim = d;
    this.codebookSize = 2 ** d;
    this.bitsPerPosition = d;
    this.entropyWeight = num(
      'entropyWeight',
      DEFAULTS.entropyWeight,
      nonNegative,
      'a finite number ≥ 0',
    );
    this.commitmentWeight = num(
      'commitmentWeight',
      DEFAULTS.commitmentWeight,
      nonNegative,
      'a finite number ≥ 0',
    );
    this.diversityGamma = num(
      'diversityGamma',
      DEFAULTS.diversityGamma,
      nonNegative,
      'a finite number ≥ 0',
    );
    this.inverseTemperature = num(
      'inverseTemperature',
      DEFAULTS.inverseTemperature,
      (v) => Number.isFinite(v) && v > 0,
      'a finite number > 0',
    );
    this.entropyChunkSize = num(
      'entropyChunkSize',
      Math.max(1, Math.floor(2 ** 22 / this.codebookSize)),
      (v) => Number.isInteger(v) && v >= 1,
      'an integer ≥ 1',
    );
    const window = num(
      'statsWindow',
      DEFAULTS.statsWindow,
      (v) => Number.isInteger(v) && v >= 1,
      'an integer ≥ 1',
    );
    this.bits = codeBits(d);
    this.powers = tf.tensor2d(
      Array.from({ length: d }, (_, i) => 2 ** (d - 1 - i)),
      [d, 1],
    );
    this.usageTracker = new UsageTracker(this.codebookSize, window);
  }

  /** Training steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * Quantizes `z` `[..., D]` to signs; usable inside `tf.variableGrads`. In training `loss` holds
   * the weighted entropy and commitment terms; in evaluation only the commitment term.
   */
  forward(z: tf.Tensor, options: QuantizerForwardOptions = {}): LookupFreeQuantizerOutput {
    const fn = 'LookupFreeQuantizer.forward';
    this.checkAlive('forward');
    checkInput(fn, z, this.codeDim);
    const training = options.training ?? false;
    const out = tf.tidy(() => {
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
      let loss = commitmentLoss;
      let entropyLoss: tf.Scalar | undefined;
      if (training) {
        const a = tf.mul(x, 4 * this.inverseTemperature) as tf.Tensor2D;
        entropyLoss = tf.sub(
          perSampleEntropy(a),
          tf.mul(batchEntropy(a, this.bits, this.entropyChunkSize), this.diversityGamma),
        ) as tf.Scalar;
        loss = tf.add(commitmentLoss, tf.mul(entropyLoss, this.entropyWeight)) as tf.Scalar;
      }
      const a = untaped(() => {
        const { clean, valid } = finiteRows(x);
        const idx = this.indicesOf(clean);
        const counts = tf.scatterND(tf.reshape(idx, [-1, 1]), tf.ones([idx.shape[0]]), [
          this.codebookSize,
        ]) as tf.Tensor1D;
        this.usageTracker.record(counts, valid, training);
        this.events.pushDevice(this.stepCount, tf.scalar(0), valid, training);
        return { idx, counts };
      });
      const indices = tf.reshape(a.idx, z.shape.slice(0, -1));
      const counts = tf.clone(a.counts);
      tf.dispose([a.idx, a.counts, signs]);
      return {
        quantized: tf.reshape(q, z.shape),
        indices,
        loss,
        commitmentLoss,
        ...(entropyLoss === undefined ? {} : { entropyLoss }),
        counts,
      };
    });
    if (training) this.stepCount++;
    return out as LookupFreeQuantizerOutput;
  }

  /**
   * ±1 codes for indices: `q_i = 2·bit_i − 1`, `bit_i = ⌊index / 2^(D−1−i)⌋ mod 2`.
   * @param indices - int32 tensor or host integers in [0, 2^D) (host data is range-checked; a
   *   tensor's out-of-range entries decode to NaN).
   * @returns `[..., D]` float32.
   */
  decode(indices: IndexInput): tf.Tensor {
    const fn = 'LookupFreeQuantizer.decode';
    this.checkAlive('decode');
    const { tensor, created } = indexTensor(fn, indices, { codebookSize: this.codebookSize });
    try {
      return tf.tidy(() => {
        const ok = tf.reshape(inRange(tensor, this.codebookSize), [-1, 1]);
        const v = tf.reshape(tf.cast(tensor, 'float32'), [-1, 1]);
        // Divisions by powers of two are exact in float32.
        const shifted = tf.floor(tf.div(v, tf.reshape(this.powers, [1, -1])));
        const bit = tf.sub(shifted, tf.mul(tf.floor(tf.div(shifted, 2)), 2));
        const codes = tf.sub(tf.mul(bit, 2), 1);
        const masked = tf.where(ok, codes, tf.fill(codes.shape, Number.NaN));
        return tf.reshape(masked, [...tensor.shape, this.codeDim]);
      });
    } finally {
      if (created) tensor.dispose();
    }
  }

  /** Usage of the 2^D codes over the `'window'` (default), `'last'` batch or `'eval'` pass. */
  usage(which: 'last' | 'window' | 'eval' = 'window', threshold?: number): Promise<CodeUsage> {
    this.checkAlive('usage');
    return this.usageTracker.usage(which, threshold);
  }

  /** Counts per code of the last batch / window / evaluation pass `[2^D]` (new tensors). */
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

  /** Batches skipped for non-finite input (LFQ never initialises or resets). */
  flushEvents(): Promise<QuantizerEvent[]> {
    return this.events.flush('none');
  }

  async getState(): Promise<LookupFreeQuantizerState> {
    this.checkAlive('getState');
    return {
      version: 1,
      kind: 'lfq',
      codeDim: this.codeDim,
      step: this.stepCount,
      ...(await this.usageTracker.getState()),
    };
  }

  setState(state: LookupFreeQuantizerState): void {
    const fn = 'LookupFreeQuantizer.setState';
    this.checkAlive('setState');
    if (state?.version !== 1 || state.kind !== 'lfq') {
      throw new QuantizerError(
        `${fn}: expected a lookup-free state (version 1, kind 'lfq') from getState(), got ${JSON.stringify({ version: state?.version, kind: state?.kind })}.`,
      );
    }
    if (state.codeDim !== this.codeDim) {
      throw new QuantizerError(
        `${fn}: state is for codeDim ${state.codeDim}, this quantizer has ${this.codeDim}. Construct it with the saved codeDim.`,
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
        `LookupFreeQuantizer.setHostState: expected { step } from liveState().host, got ${JSON.stringify(host)}.`,
      );
    }
    this.stepCount = step as number;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([this.bits, this.powers]);
    this.usageTracker.dispose();
    this.events.dispose();
  }

  /** int32 `[N]`: `Σ_i [z_i > 0]·2^(D−1−i)` (exact in float32 for D ≤ 24). */
  private indicesOf(x: tf.Tensor2D): tf.Tensor1D {
    const bit = tf.cast(tf.greater(x, 0), 'float32');
    return tf.cast(tf.reshape(tf.matMul(bit, this.powers), [-1]), 'int32') as tf.Tensor1D;
  }

  private checkAlive(method: string): void {
    if (this.disposed) {
      throw new QuantizerError(
        `LookupFreeQuantizer.${method}: the quantizer was disposed. Create a new one.`,
      );
    }
  }
}
