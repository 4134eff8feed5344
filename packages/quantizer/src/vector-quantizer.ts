import * as tf from '@tensorflow/tfjs-core';
import { Rng, type RngState } from '@vqkit/random';
import { QuantizerError } from './errors';
import { type InitPolicy, initFromData } from './init-policies';
import { chunkedNearestCode, type NearestCodeSearch } from './nearest-code';
import type {
  QuantizeResult,
  Quantizer,
  QuantizerEvent,
  QuantizerForwardOptions,
} from './quantizer';
import {
  assignData,
  type ResetPolicy,
  type ResetPolicyInstance,
  tensorData,
  windowedDeadCodeReset,
} from './reset-policies';
import type { PolicyState, TensorData } from './state';
import { type CodeUsage, readUsage } from './stats';

/** Constructor options of {@link VectorQuantizer}. */
export interface VectorQuantizerOptions {
  /** Number of codes K (integer ≥ 1). Required. */
  codebookSize: number;
  /** Code dimension D (integer ≥ 1); the last dimension of `z`. Required. */
  codeDim: number;
  /** EMA decay γ in (0, 1). @default 0.99 */
  decay?: number;
  /** Laplace smoothing ε > 0 of the EMA counts. @default 1e-5 */
  epsilon?: number;
  /** Commitment weight β ≥ 0 in `β·mean‖z − sg(e)‖²`. @default 0.25 */
  commitmentWeight?: number;
  /** Codebook initialisation. @default initFromData() */
  init?: InitPolicy;
  /** Dead-code reset rule. @default windowedDeadCodeReset() (the paper's rule: threshold 2, window 10) */
  reset?: ResetPolicy;
  /** Rows of z per nearest-code chunk; peak memory ≈ 4·chunkSize·K bytes. @default 4096 */
  chunkSize?: number;
  /** Nearest-code search. @default chunkedNearestCode */
  search?: NearestCodeSearch;
  /** Seed of the quantizer's {@link Rng} (init draws, reset draws). @default 0 */
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

/** Options of {@link VectorQuantizer.forward} (the {@link Quantizer} interface's). */
export type ForwardOptions = QuantizerForwardOptions;

/** Result of {@link VectorQuantizer.forward}. The caller owns (and disposes) every tensor. */
export interface QuantizerOutput extends QuantizeResult {
  /** `[..., D]`: forward value `e_{k(i)}`, gradient to z is the identity (straight-through). */
  quantized: tf.Tensor;
  /** int32 `[...]`: chosen code per vector; never on the gradient tape. */
  indices: tf.Tensor;
  /**
   * Scalar `β · mean‖z − sg(e)‖²` (paper eq. 3, averaged over all N·D entries): the whole auxiliary
   * loss of an EMA quantizer, so {@link QuantizeResult.loss} is this same tensor.
   */
  commitmentLoss: tf.Scalar;
  /** float32 `[K]`: number of vectors of this batch assigned to each code. */
  counts: tf.Tensor1D;
}

/**
 * Everything that defines a quantizer, as plain data (typed arrays + numbers). Tensors are
 * {@link TensorData} `{ shape, data: Float32Array }` (row-major), ready for safetensors; for JSON
 * convert `data` with `Array.from`. Field shapes: `codebook` `[K, D]`, `emaCount` `[K]` (N),
 * `emaSum` `[K, D]` (M), `lastCounts` `[K]`, `evalCounts` `[K]`, `statsWindow` `[W, K]` (oldest
 * first), plus the reset policy's buffers in `reset.tensors`.
 */
export interface VectorQuantizerState {
  /** Format version, currently 1. */
  version: 1;
  codebookSize: number;
  codeDim: number;
  /** Training steps taken. */
  step: number;
  /** EMA updates since the last initialisation (the `t` of bias correction; batches rejected for
   * non-finite values do not count). */
  emaSteps: number;
  /** Whether the codebook has been initialised. */
  initialized: boolean;
  /** Whether it was saved with `biasCorrection` (then `emaCount`/`emaSum` are hidden accumulators). */
  biasCorrection: boolean;
  codebook: TensorData;
  emaCount: TensorData;
  emaSum: TensorData;
  lastCounts: TensorData;
  evalCounts: TensorData;
  statsWindow: TensorData;
  /** The quantizer's generator state. */
  rng: RngState;
  /** Reset policy state (`policy` is the policy's name). */
  reset: PolicyState;
}

const EVENT_CHUNK = 256;

/**
 * EMA vector quantizer (VQ-VAE with exponential-moving-average codebook, paper §3).
 *
 * Forward: `k(i) = argmin_k ‖z_i − e_k‖²` (ties → lowest index, chunked), `quantized = e_{k(i)}`
 * with a straight-through gradient, `commitmentLoss = β·mean‖z − sg(e_{k(i)})‖²`.
 *
 * Training update with batch counts `n_k` and sums `s_k = Σ_{i: k(i)=k} z_i`:
 * `N_k ← γN_k + (1−γ)n_k`, `M_k ← γM_k + (1−γ)s_k`,
 * `Ñ_k = (N_k + ε)/(Σ_j N_j + Kε)·Σ_j N_j`, `e_k ← M_k / Ñ_k`; then the reset policy.
 *
 * The training path never reads tensors back to the host, so it runs on webgpu; reads happen
 * only in the async methods ({@link flushEvents}, {@link getState}, {@link usage}). The codebook
 * is a non-trainable variable owned by the EMA: optimizers never see it.
 */
export class VectorQuantizer implements Quantizer<VectorQuantizerState> {
  /** Family name (the {@link Quantizer} interface). */
  readonly kind = 'vq' as const;
  /** Number of codes K. */
  readonly codebookSize: number;
  /** Code dimension D. */
  readonly codeDim: number;
  /** EMA decay γ. */
  readonly decay: number;
  /** Laplace smoothing ε. */
  readonly epsilon: number;
  /** Commitment weight β. */
  readonly commitmentWeight: number;
  /** Rows of z per nearest-code chunk. */
  readonly chunkSize: number;
  /** Whether the EMA is bias-corrected. */
  readonly biasCorrection: boolean;
  /** Training batches in {@link windowCounts}. */
  readonly statsWindowSize: number;
  /** log₂K: the discrete capacity of one latent position in bits (paper eq. 5's per-position term). */
  readonly bitsPerPosition: number;
  /** Trainable variables: none, the codebook is learned by the EMA and is state. */
  readonly variables: Readonly<Record<string, tf.Variable>> = Object.freeze({});
  /** The codebook initialisation policy. */
  readonly initPolicy: InitPolicy;
  /** The dead-code reset policy. */
  readonly resetPolicy: ResetPolicy;
  private readonly search: NearestCodeSearch;
  private readonly rng: Rng;
  private readonly resetState: ResetPolicyInstance;
  private readonly cb: tf.Variable<tf.Rank.R2>;
  private readonly emaCount: tf.Variable<tf.Rank.R1>;
  private readonly emaSum: tf.Variable<tf.Rank.R2>;
  private readonly last: tf.Variable<tf.Rank.R1>;
  private readonly evalAcc: tf.Variable<tf.Rank.R1>;
  private readonly statsRing: tf.Variable<tf.Rank.R2>;
  /** EMA updates accepted since the last initialisation (the `t` of bias correction), on device:
   * a batch rejected for non-finite values must not advance it, and that is only known there. */
  private readonly emaT: tf.Variable<tf.Rank.R0>;
  private stepCount = 0;
  private isInitialized = false;
  private disposed = false;
  private hostEvents: QuantizerEvent[] = [];
  /** Unread device event rows `[codesReset, nonFinite, training]`, one per forward. */
  private eventChunks: { steps: number[]; rows: tf.Tensor2D }[] = [];

  constructor(options: VectorQuantizerOptions) {
    const o = options ?? ({} as VectorQuantizerOptions);
    const fn = 'VectorQuantizer';
    if (!Number.isInteger(o.codebookSize) || o.codebookSize < 1) {
      throw new QuantizerError(
        `${fn}: codebookSize must be an integer ≥ 1, got ${o.codebookSize}. The paper uses e.g. 8192.`,
      );
    }
    if (!Number.isInteger(o.codeDim) || o.codeDim < 1) {
      throw new QuantizerError(
        `${fn}: codeDim must be an integer ≥ 1, got ${o.codeDim}. The paper uses e.g. 16 or 64.`,
      );
    }
    const decay = o.decay ?? 0.99;
    if (!(decay > 0 && decay < 1)) {
      throw new QuantizerError(`${fn}: decay must be in (0, 1), got ${decay}. Use e.g. 0.99.`);
    }
    const epsilon = o.epsilon ?? 1e-5;
    if (!(Number.isFinite(epsilon) && epsilon > 0)) {
      throw new QuantizerError(
        `${fn}: epsilon must be a finite number > 0, got ${epsilon}. Use e.g. 1e-5.`,
      );
    }
    const beta = o.commitmentWeight ?? 0.25;
    if (!(Number.isFinite(beta) && beta >= 0)) {
      throw new QuantizerError(
        `${fn}: commitmentWeight must be a finite number ≥ 0, got ${beta}. Use e.g. 0.25.`,
      );
    }
    const chunkSize = o.chunkSize ?? 4096;
    if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) {
      throw new QuantizerError(
        `${fn}: chunkSize must be an integer ≥ 1, got ${chunkSize}. Use e.g. 4096.`,
      );
    }
    const statsWindow = o.statsWindow ?? 10;
    if (!(Number.isInteger(statsWindow) && statsWindow >= 1)) {
      throw new QuantizerError(
        `${fn}: statsWindow must be an integer ≥ 1, got ${statsWindow}. Use e.g. 10.`,
      );
    }
    const seed = o.seed ?? 0;
    if (!Number.isFinite(seed)) {
      throw new QuantizerError(`${fn}: seed must be a finite number, got ${seed}. Use e.g. 0.`);
    }
    this.codebookSize = o.codebookSize;
    this.codeDim = o.codeDim;
    this.decay = decay;
    this.epsilon = epsilon;
    this.commitmentWeight = beta;
    this.chunkSize = chunkSize;
    this.biasCorrection = o.biasCorrection ?? false;
    this.statsWindowSize = statsWindow;
    this.bitsPerPosition = Math.log2(o.codebookSize);
    this.initPolicy = o.init ?? initFromData();
    this.resetPolicy = o.reset ?? windowedDeadCodeReset();
    this.search = o.search ?? chunkedNearestCode;
    this.rng = new Rng(seed);
    const k = this.codebookSize;
    const d = this.codeDim;
    this.cb = tf.tidy(() => tf.variable(tf.zeros([k, d]), false));
    this.emaCount = tf.tidy(() => tf.variable(tf.zeros([k]), false));
    this.emaSum = tf.tidy(() => tf.variable(tf.zeros([k, d]), false));
    this.last = tf.tidy(() => tf.variable(tf.zeros([k]), false));
    this.evalAcc = tf.tidy(() => tf.variable(tf.zeros([k]), false));
    this.statsRing = tf.tidy(() => tf.variable(tf.zeros([statsWindow, k]), false));
    this.emaT = tf.tidy(() => tf.variable(tf.scalar(0), false));
    this.resetState = this.resetPolicy.create({ codebookSize: k, codeDim: d });
    if (!this.initPolicy.needsData) this.runInit(null, null);
  }

  /** The codebook `[K, D]` (a non-trainable variable updated in place by training; do not dispose). */
  get codebook(): tf.Tensor2D {
    this.checkAlive('codebook');
    return this.cb;
  }

  /** Training steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /** Whether the codebook has been initialised (data policies: after the first training batch). */
  get initialized(): boolean {
    return this.isInitialized;
  }

  /**
   * Quantizes `z` `[..., D]` (e.g. NHWC `[B, H, W, D]`). Callable inside `tf.variableGrads` /
   * `optimizer.minimize`: gradients reach `z` through `quantized` (identity) and
   * `commitmentLoss` (`2β(z − e)/numel`), never the codebook or the indices.
   *
   * With `training: true`, after quantizing with the current codebook: initialise (first batch of a
   * data policy), EMA update, reset policy, window statistics. A batch containing NaN/±Inf changes
   * no state (reported as a `'non-finite-input'` event by {@link flushEvents}).
   *
   * @throws {@link QuantizerError} for a wrong last dimension, non-float32 or empty z, eval before
   *   a data-dependent initialisation, or use after {@link dispose}.
   */
  forward(z: tf.Tensor, options: ForwardOptions = {}): QuantizerOutput {
    const fn = 'VectorQuantizer.forward';
    this.checkAlive('forward');
    this.checkZ(fn, z);
    const training = options.training ?? false;
    if (!this.isInitialized && !training) {
      throw new QuantizerError(
        `${fn}: the codebook is not initialised yet (init policy '${this.initPolicy.name}' needs data). Run a training forward ({ training: true }) or vq.initialize(z) first.`,
      );
    }
    // One tidy around the whole pass: every intermediate (inside the customGrad too) is freed even
    // when the caller runs forward outside tf.tidy / tf.variableGrads.
    const output = tf.tidy(() => ({ ...this.quantize(z, training) })) as unknown as QuantizerOutput;
    if (training) this.stepCount++;
    return output;
  }

  /** The body of {@link forward}, run inside one `tf.tidy`. */
  private quantize(z: tf.Tensor, training: boolean): QuantizerOutput {
    const k = this.codebookSize;
    const d = this.codeDim;
    const lead = z.shape.slice(0, -1);
    const stash: { idx?: tf.Tensor1D; codes?: tf.Tensor2D; counts?: tf.Tensor1D } = {};
    // Everything inside customGrad's forward runs with the gradient tape off: the int32 indices,
    // the EMA update and the resets never enter the tape.
    const straightThrough = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const zIn = args[0] as tf.Tensor;
      const z2d = tf.reshape(zIn, [-1, d]) as tf.Tensor2D;
      const finiteMask = tf.isFinite(z2d);
      const valid = tf.all(finiteMask) as tf.Scalar;
      const clean = tf.where(finiteMask, z2d, tf.zerosLike(z2d)) as tf.Tensor2D;
      if (training && !this.isInitialized) this.runInit(clean, valid);
      const idx = this.search(z2d, this.cb, { chunkSize: this.chunkSize });
      const codes = tf.gather(this.cb, idx) as tf.Tensor2D;
      const at = tf.reshape(idx, [-1, 1]) as tf.Tensor2D;
      const counts = tf.scatterND(at, tf.ones([z2d.shape[0]]), [k]) as tf.Tensor1D;
      let codesReset: tf.Scalar = tf.scalar(0);
      if (training) {
        codesReset = this.trainStep(clean, at, counts, valid);
      } else {
        this.evalAcc.assign(tf.add(this.evalAcc, tf.where(valid, counts, tf.zerosLike(counts))));
      }
      this.last.assign(counts);
      this.logEvent(codesReset, valid, training);
      stash.idx = tf.keep(idx);
      stash.codes = tf.keep(codes);
      stash.counts = tf.keep(counts);
      return { value: tf.reshape(codes, zIn.shape), gradFunc: (dy: tf.Tensor) => dy };
    });
    const quantized = straightThrough(z);
    const { idx, codes, counts } = stash as Required<typeof stash>;
    // Re-home the kept tensors into the caller's scope (clone shares data; no copy).
    const indices = tf.reshape(idx, lead);
    const countsOut = tf.clone(counts);
    // codes is not reachable from any variable on the tape, so it acts as sg(e).
    const commitmentLoss = tf.mul(
      tf.mean(tf.squaredDifference(z, tf.reshape(codes, z.shape))),
      tf.scalar(this.commitmentWeight),
    ) as tf.Scalar;
    tf.dispose([idx, codes, counts]);
    return { quantized, indices, loss: commitmentLoss, commitmentLoss, counts: countsOut };
  }

  /**
   * Code vectors for stored indices: `decode(indices)[...] = e_{indices[...]}`.
   * @param indices - int32 `[...]`, values in [0, K) (out-of-range behaviour is the backend's).
   * @returns `[..., D]` float32.
   */
  decode(indices: tf.Tensor): tf.Tensor {
    this.checkAlive('decode');
    if (!(indices instanceof tf.Tensor) || indices.dtype !== 'int32') {
      throw new QuantizerError(
        `VectorQuantizer.decode: indices must be an int32 tensor, got ${indices instanceof tf.Tensor ? indices.dtype : typeof indices}. Use the indices returned by forward, or tf.cast(x, 'int32').`,
      );
    }
    return tf.gather(this.cb, indices);
  }

  /**
   * (Re)initialises the codebook now with the init policy (using `z` `[..., D]` for data
   * policies), instead of on the first training batch. Sets `N_k = 1`, `M_k = e_k` and clears the
   * reset policy's history. No host reads (non-finite entries of z are replaced by 0 and reported).
   */
  initialize(z?: tf.Tensor): void {
    this.checkAlive('initialize');
    if (this.initPolicy.needsData && z === undefined) {
      throw new QuantizerError(
        `VectorQuantizer.initialize: init policy '${this.initPolicy.name}' needs data; pass a batch of encoder outputs z [..., ${this.codeDim}].`,
      );
    }
    if (!this.initPolicy.needsData || z === undefined) {
      this.runInit(null, null);
      return;
    }
    this.checkZ('VectorQuantizer.initialize', z);
    tf.tidy(() => {
      const z2d = tf.reshape(z, [-1, this.codeDim]) as tf.Tensor2D;
      const finiteMask = tf.isFinite(z2d);
      const valid = tf.all(finiteMask) as tf.Scalar;
      this.runInit(tf.where(finiteMask, z2d, tf.zerosLike(z2d)) as tf.Tensor2D, valid);
      this.logEvent(tf.scalar(0), valid, false);
    });
  }

  /** Counts of the last forward batch `[K]` (new tensor; caller disposes). */
  lastCounts(): tf.Tensor1D {
    this.checkAlive('lastCounts');
    return tf.clone(this.last);
  }

  /** Counts summed over the last `statsWindow` training batches `[K]` (new tensor; caller disposes). */
  windowCounts(): tf.Tensor1D {
    this.checkAlive('windowCounts');
    return tf.tidy(() => tf.sum(this.statsRing, 0) as tf.Tensor1D);
  }

  /** Counts accumulated by evaluation forwards since {@link resetEvalCounts} `[K]` (new tensor). */
  evalCounts(): tf.Tensor1D {
    this.checkAlive('evalCounts');
    return tf.clone(this.evalAcc);
  }

  /** Starts a new evaluation pass: zeroes the evaluation counts. */
  resetEvalCounts(): void {
    this.checkAlive('resetEvalCounts');
    tf.tidy(() => this.evalAcc.assign(tf.zerosLike(this.evalAcc)));
  }

  /**
   * Perplexity, dead fraction and total of the `'last'` batch, the training `'window'`, or the
   * `'eval'` pass, read back as numbers.
   * @param which - which counts. @default 'window'
   * @param threshold - a code with fewer assignments is counted dead. @default 1
   */
  async usage(which: 'last' | 'window' | 'eval' = 'window', threshold = 1): Promise<CodeUsage> {
    const counts =
      which === 'last'
        ? this.lastCounts()
        : which === 'eval'
          ? this.evalCounts()
          : this.windowCounts();
    try {
      return await readUsage(counts, threshold);
    } finally {
      counts.dispose();
    }
  }

  /**
   * Reads and clears the pending events: initialisations, resets (steps where ≥ 1 code was reset,
   * with how many) and batches skipped for non-finite input. Ordered by step. Call it when you log;
   * unread events cost one small device tensor per 256 forwards.
   */
  async flushEvents(): Promise<QuantizerEvent[]> {
    const chunks = this.eventChunks;
    const events = this.hostEvents;
    this.eventChunks = [];
    this.hostEvents = [];
    for (const chunk of chunks) {
      const rows = await chunk.rows.data();
      chunk.rows.dispose();
      chunk.steps.forEach((step, i) => {
        const [reset, nonFinite, training] = [rows[3 * i]!, rows[3 * i + 1]!, rows[3 * i + 2]!];
        if (nonFinite > 0) events.push({ kind: 'non-finite-input', step, training: training > 0 });
        if (reset > 0) {
          events.push({ kind: 'reset', step, policy: this.resetPolicy.name, codesReset: reset });
        }
      });
    }
    return events.sort((a, b) => a.step - b.step);
  }

  /** Plain-data snapshot of the whole quantizer (async read). See {@link VectorQuantizerState}. */
  async getState(): Promise<VectorQuantizerState> {
    this.checkAlive('getState');
    return {
      version: 1,
      codebookSize: this.codebookSize,
      codeDim: this.codeDim,
      step: this.stepCount,
      emaSteps: (await this.emaT.data())[0]!,
      initialized: this.isInitialized,
      biasCorrection: this.biasCorrection,
      codebook: await tensorData(this.cb),
      emaCount: await tensorData(this.emaCount),
      emaSum: await tensorData(this.emaSum),
      lastCounts: await tensorData(this.last),
      evalCounts: await tensorData(this.evalAcc),
      statsWindow: await tensorData(this.statsRing),
      rng: this.rng.getState(),
      reset: await this.resetState.getState(),
    };
  }

  /**
   * Restores a snapshot from {@link getState} of a quantizer built with the same options; training
   * then continues exactly as the uninterrupted run (bit-for-bit on cpu).
   * @throws {@link QuantizerError} naming the first field whose shape or type does not match.
   */
  setState(state: VectorQuantizerState): void {
    const fn = 'VectorQuantizer.setState';
    this.checkAlive('setState');
    if (state?.version !== 1) {
      throw new QuantizerError(
        `${fn}: expected a state with version 1 from getState(), got version ${state?.version}.`,
      );
    }
    if (state.codebookSize !== this.codebookSize || state.codeDim !== this.codeDim) {
      throw new QuantizerError(
        `${fn}: state is for codebookSize ${state.codebookSize}, codeDim ${state.codeDim}, but this quantizer has ${this.codebookSize}, ${this.codeDim}. Construct it with the saved sizes.`,
      );
    }
    if (state.biasCorrection !== this.biasCorrection) {
      throw new QuantizerError(
        `${fn}: state was saved with biasCorrection ${state.biasCorrection}, this quantizer has ${this.biasCorrection}. Construct it with the saved setting.`,
      );
    }
    for (const key of ['step', 'emaSteps'] as const) {
      if (!Number.isInteger(state[key]) || state[key] < 0) {
        throw new QuantizerError(
          `${fn}: ${key} must be a non-negative integer, got ${state[key]}.`,
        );
      }
    }
    this.resetState.setState(state.reset);
    this.rng.setState(state.rng);
    assignData(fn, 'codebook', this.cb, state.codebook);
    assignData(fn, 'emaCount', this.emaCount, state.emaCount);
    assignData(fn, 'emaSum', this.emaSum, state.emaSum);
    assignData(fn, 'lastCounts', this.last, state.lastCounts);
    assignData(fn, 'evalCounts', this.evalAcc, state.evalCounts);
    assignData(fn, 'statsWindow', this.statsRing, state.statsWindow);
    tf.tidy(() => this.emaT.assign(tf.scalar(state.emaSteps)));
    this.stepCount = state.step;
    this.isInitialized = Boolean(state.initialized);
  }

  /** Releases every device buffer (codebook, EMA state, windows, pending events). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([
      this.cb,
      this.emaCount,
      this.emaSum,
      this.last,
      this.evalAcc,
      this.statsRing,
      this.emaT,
    ]);
    this.resetState.dispose();
    for (const chunk of this.eventChunks) chunk.rows.dispose();
    this.eventChunks = [];
  }

  /** Runs the init policy; `valid` (bool scalar) guards data inits against non-finite batches. */
  private runInit(batch: tf.Tensor2D | null, valid: tf.Scalar | null): void {
    tf.tidy(() => {
      const fresh = this.initPolicy.initialize({
        codebookSize: this.codebookSize,
        codeDim: this.codeDim,
        rng: this.rng,
        batch,
        search: this.search,
        chunkSize: this.chunkSize,
      });
      if (
        fresh.rank !== 2 ||
        fresh.shape[0] !== this.codebookSize ||
        fresh.shape[1] !== this.codeDim
      ) {
        throw new QuantizerError(
          `VectorQuantizer: init policy '${this.initPolicy.name}' returned shape [${fresh.shape}], expected [${this.codebookSize},${this.codeDim}]. Fix the policy's initialize().`,
        );
      }
      const codebook = valid === null ? fresh : (tf.where(valid, fresh, this.cb) as tf.Tensor2D);
      this.cb.assign(codebook);
      if (this.biasCorrection) {
        this.emaCount.assign(tf.zerosLike(this.emaCount));
        this.emaSum.assign(tf.zerosLike(this.emaSum));
      } else {
        this.emaCount.assign(tf.onesLike(this.emaCount));
        this.emaSum.assign(codebook);
      }
      this.emaT.assign(tf.scalar(0));
    });
    this.isInitialized = true;
    this.resetState.onInitialize();
    this.hostEvents.push({ kind: 'init', step: this.stepCount, policy: this.initPolicy.name });
  }

  /** EMA update + reset policy + window stats, all on device; returns the number of codes reset. */
  private trainStep(
    clean: tf.Tensor2D,
    at: tf.Tensor2D,
    counts: tf.Tensor1D,
    valid: tf.Scalar,
  ): tf.Scalar {
    const k = this.codebookSize;
    const g = this.decay;
    const sums = tf.scatterND(at, clean, [k, this.codeDim]) as tf.Tensor2D;
    const hiddenN = tf.add(tf.mul(this.emaCount, g), tf.mul(counts, 1 - g)) as tf.Tensor1D;
    const hiddenM = tf.add(tf.mul(this.emaSum, g), tf.mul(sums, 1 - g)) as tf.Tensor2D;
    const t = tf.add(this.emaT, 1) as tf.Scalar;
    // 1 − γ^t = −expm1(t·ln γ): no float32 cancellation when γ^t is close to 1.
    const scale: tf.Scalar | number = this.biasCorrection
      ? (tf.neg(tf.expm1(tf.mul(t, Math.log(g)))) as tf.Scalar)
      : 1;
    const n = this.biasCorrection ? (tf.div(hiddenN, scale) as tf.Tensor1D) : hiddenN;
    const m = this.biasCorrection ? (tf.div(hiddenM, scale) as tf.Tensor2D) : hiddenM;
    // Laplace smoothing: Ñ_k = (N_k + ε) / (Σ_j N_j + K·ε) · Σ_j N_j.
    const total = tf.sum(n);
    const smoothed = tf.mul(
      tf.div(tf.add(n, this.epsilon), tf.add(total, k * this.epsilon)),
      total,
    );
    let codebook = tf.div(m, tf.reshape(smoothed, [k, 1])) as tf.Tensor2D;
    if (this.biasCorrection) {
      codebook = tf.where(tf.reshape(tf.greater(n, 0), [k, 1]), codebook, this.cb) as tf.Tensor2D;
    }
    let newN: tf.Tensor1D = hiddenN;
    let newM: tf.Tensor2D = hiddenM;
    let codesReset: tf.Scalar = tf.scalar(0);
    const decision = this.resetState.step({
      codebookSize: k,
      codeDim: this.codeDim,
      rng: this.rng,
      step: this.stepCount,
      batch: clean,
      counts,
      emaCount: n,
      codebook,
      valid,
    });
    if (decision !== null) {
      const dead = tf.logicalAnd(decision.dead, valid) as tf.Tensor1D;
      const deadRow = tf.reshape(dead, [k, 1]);
      const fresh = decision.replacement;
      // Atomic reset: codebook row, N_k and M_k together (hidden = value · scale).
      codebook = tf.where(deadRow, fresh, codebook) as tf.Tensor2D;
      const hiddenCount = tf.mul(scale, decision.count);
      newN = tf.where(dead, tf.mul(tf.onesLike(hiddenN), hiddenCount), hiddenN) as tf.Tensor1D;
      newM = tf.where(deadRow, tf.mul(fresh, hiddenCount), hiddenM) as tf.Tensor2D;
      codesReset = tf.sum(tf.cast(dead, 'float32')) as tf.Scalar;
    }
    this.cb.assign(tf.where(valid, codebook, this.cb) as tf.Tensor2D);
    this.emaCount.assign(tf.where(valid, newN, this.emaCount) as tf.Tensor1D);
    this.emaSum.assign(tf.where(valid, newM, this.emaSum) as tf.Tensor2D);
    const ring = tf.concat([
      tf.slice(this.statsRing, [1, 0], [-1, -1]),
      tf.reshape(counts, [1, k]),
    ]);
    this.statsRing.assign(tf.where(valid, ring, this.statsRing) as tf.Tensor2D);
    this.emaT.assign(tf.where(valid, t, this.emaT) as tf.Scalar);
    return codesReset;
  }

  /** Appends one `[codesReset, nonFinite, training]` row to the pending device event log. */
  private logEvent(codesReset: tf.Scalar, valid: tf.Scalar, training: boolean): void {
    const row = tf.reshape(
      tf.stack([codesReset, tf.cast(tf.logicalNot(valid), 'float32'), tf.scalar(training ? 1 : 0)]),
      [1, 3],
    ) as tf.Tensor2D;
    let chunk = this.eventChunks[this.eventChunks.length - 1];
    if (chunk === undefined || chunk.steps.length >= EVENT_CHUNK) {
      chunk = { steps: [], rows: tf.keep(row) };
      this.eventChunks.push(chunk);
    } else {
      const grown = tf.keep(tf.concat([chunk.rows, row]) as tf.Tensor2D);
      chunk.rows.dispose();
      chunk.rows = grown;
    }
    chunk.steps.push(this.stepCount);
  }

  private checkAlive(method: string): void {
    if (this.disposed) {
      throw new QuantizerError(
        `VectorQuantizer.${method}: the quantizer was disposed. Create a new one.`,
      );
    }
  }

  private checkZ(fn: string, z: tf.Tensor): void {
    if (!(z instanceof tf.Tensor)) {
      throw new QuantizerError(
        `${fn}: z must be a tf.Tensor [..., ${this.codeDim}], got ${typeof z}.`,
      );
    }
    if (z.rank < 1 || z.shape[z.rank - 1] !== this.codeDim) {
      throw new QuantizerError(
        `${fn}: z must have last dimension codeDim = ${this.codeDim}, got shape [${z.shape}]. Project z to ${this.codeDim} channels first (1×1 conv).`,
      );
    }
    if (z.dtype !== 'float32') {
      throw new QuantizerError(
        `${fn}: z must be float32, got ${z.dtype}. Use tf.cast(z, 'float32').`,
      );
    }
    if (z.size === 0) {
      throw new QuantizerError(
        `${fn}: z must contain at least one vector, got shape [${z.shape}].`,
      );
    }
  }
}
