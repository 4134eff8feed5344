import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { type Assignment, assignCodes } from './assign-codes';
import { checkInput, finiteRows } from './check-input';
import { EmaCodebook } from './ema-codebook';
import { QuantizerError } from './errors';
import { EventLog } from './event-log';
import { decodeIndices, type IndexInput } from './indices';
import type { InitPolicy } from './init-policies';
import { Lifecycle } from './lifecycle';
import {
  applyLinearProjection,
  createProjectionPair,
  disposeProjectionPair,
  type ProjectionPair,
  projectionPairState,
  projectionVariables,
  setProjectionPairState,
} from './linear-projection';
import type { NearestCodeSearch } from './nearest-code';
import type {
  LiveState,
  QuantizeResult,
  Quantizer,
  QuantizerEvent,
  QuantizerForwardOptions,
} from './quantizer';
import type { ResetPolicy, ResetPolicyInstance } from './reset-policies';
import { l2Normalize } from './rotation-trick';
import type { CodeUsage } from './stats';
import { untaped } from './untaped';
import { UsageTracker } from './usage-tracker';
import {
  resolveVectorQuantizerOptions,
  type VectorQuantizerOptions,
} from './vector-quantizer-options';
import { type VectorQuantizerOutputs, vectorQuantizerOutputs } from './vector-quantizer-outputs';
import {
  checkVectorQuantizerState,
  parseVectorQuantizerHost,
  type VectorQuantizerState,
} from './vector-quantizer-state';

/** Options of {@link VectorQuantizer.forward} (the {@link Quantizer} interface's). */
export type ForwardOptions = QuantizerForwardOptions;

/** Result of {@link VectorQuantizer.forward}. The caller owns (and disposes) every tensor. */
export interface QuantizerOutput extends QuantizeResult {
  /** `[..., D]`: forward value `e_{k(i)}` (projected out when `codebookDim ≠ codeDim`). */
  quantized: tf.Tensor;
  /** int32 `[...]`: chosen code per vector; never on the gradient tape. */
  indices: tf.Tensor;
  /**
   * Scalar `β · mean‖z − sg(e)‖²` (paper eq. 3, averaged over all N·D entries, in the codebook
   * space). With EMA learning it is the whole auxiliary loss, so {@link QuantizeResult.loss} is
   * this same tensor; with gradient learning `loss` adds {@link codebookLoss}.
   */
  commitmentLoss: tf.Scalar;
  /** Scalar `codebookLossWeight · mean‖sg(z) − e‖²` with `learning: 'gradient'`, else absent. */
  codebookLoss?: tf.Scalar;
  /** float32 `[K]`: number of vectors of this batch assigned to each code. */
  counts: tf.Tensor1D;
}

/**
 * Vector quantizer (VQ-VAE; EMA codebook by default, paper §3).
 *
 * Forward on `x = P_in(z)` (`P_in` the optional projection, then l2-normalisation for cosine):
 * `k(i) = argmin_k ‖x_i − e_k‖²` (ties → lowest index, chunked), value `e_{k(i)}` (then `P_out`),
 * gradient straight-through or by the rotation trick, `commitmentLoss = β·mean‖x − sg(e)‖²`
 * (+ `codebookLoss = w·mean‖sg(x) − e‖²` with gradient learning).
 *
 * EMA update with batch counts `n_k` and sums `s_k = Σ_{i: k(i)=k} x_i`:
 * `N_k ← γN_k + (1−γ)n_k`, `M_k ← γM_k + (1−γ)s_k`,
 * `Ñ_k = (N_k + ε)/(Σ_j N_j + Kε)·Σ_j N_j`, `e_k ← M_k / Ñ_k` (l2-normalised for cosine); then
 * the reset policy.
 *
 * Built from small parts: the options ({@link resolveVectorQuantizerOptions}), the codebook with
 * its EMA statistics ({@link EmaCodebook}), the outputs and losses
 * ({@link vectorQuantizerOutputs}), usage counts ({@link UsageTracker}), the projections and the
 * state checks ({@link checkVectorQuantizerState}).
 *
 * The training path never reads tensors back to the host, so it runs on webgpu; reads happen
 * only in the async methods ({@link flushEvents}, {@link getState}, {@link usage}).
 */
export class VectorQuantizer implements Quantizer<VectorQuantizerState> {
  /** Family name (the {@link Quantizer} interface). */
  readonly kind = 'vq' as const;
  /** Number of codes K. */
  readonly codebookSize: number;
  /** D: the last dimension of z and quantized. */
  readonly codeDim: number;
  /** Dc: the dimension of the code vectors (= D unless projections are used). */
  readonly codebookDim: number;
  /** Nearest-code distance. */
  readonly distance: 'euclidean' | 'cosine';
  /** How the codebook learns. */
  readonly learning: 'ema' | 'gradient';
  /** Gradient estimator from quantized to z. */
  readonly gradient: 'straight-through' | 'rotation';
  /** EMA decay γ. */
  readonly decay: number;
  /** Laplace smoothing ε. */
  readonly epsilon: number;
  /** Commitment weight β. */
  readonly commitmentWeight: number;
  /** Weight of the codebook loss (gradient learning). */
  readonly codebookLossWeight: number;
  /** Rows of z per nearest-code chunk. */
  readonly chunkSize: number;
  /** Whether the EMA is bias-corrected. */
  readonly biasCorrection: boolean;
  /** Training batches in {@link windowCounts}. */
  readonly statsWindowSize: number;
  /** log₂K: the discrete capacity of one latent position in bits (paper eq. 5's per-position term). */
  readonly bitsPerPosition: number;
  /**
   * Trainable variables: `codebook` with gradient learning; `projectIn.kernel`, `projectIn.bias`,
   * `projectOut.kernel`, `projectOut.bias` with `codebookDim ≠ codeDim`; otherwise none (the EMA
   * codebook is state).
   */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  /** The codebook initialisation policy. */
  readonly initPolicy: InitPolicy;
  /** The dead-code reset policy. */
  readonly resetPolicy: ResetPolicy;
  private readonly search: NearestCodeSearch;
  private readonly rng: Rng;
  private readonly resetState: ResetPolicyInstance;
  private readonly projections: ProjectionPair | null;
  private readonly ema: EmaCodebook;
  private readonly counts: UsageTracker;
  private readonly events = new EventLog();
  private readonly life = new Lifecycle('VectorQuantizer');
  private stepCount = 0;
  private isInitialized = false;

  constructor(options: VectorQuantizerOptions) {
    const o = resolveVectorQuantizerOptions(options);
    this.codebookSize = o.codebookSize;
    this.codeDim = o.codeDim;
    this.codebookDim = o.codebookDim;
    this.distance = o.distance;
    this.learning = o.learning;
    this.gradient = o.gradient;
    this.decay = o.decay;
    this.epsilon = o.epsilon;
    this.commitmentWeight = o.commitmentWeight;
    this.codebookLossWeight = o.codebookLossWeight;
    this.chunkSize = o.chunkSize;
    this.statsWindowSize = o.statsWindow;
    this.biasCorrection = o.biasCorrection;
    this.bitsPerPosition = Math.log2(o.codebookSize);
    this.initPolicy = o.init;
    this.resetPolicy = o.reset;
    this.search = o.search;
    this.rng = new Rng(o.seed);
    this.projections = createProjectionPair(this.rng, o.codeDim, o.codebookDim);
    this.ema = new EmaCodebook(o);
    this.counts = new UsageTracker(o.codebookSize, o.statsWindow, this.life);
    this.variables = Object.freeze({
      ...(o.learning === 'gradient' ? { codebook: this.ema.codebook } : {}),
      ...projectionVariables(this.projections),
    });
    this.resetState = o.reset.create({ codebookSize: o.codebookSize, codeDim: o.codebookDim });
    if (!o.init.needsData) this.runInit(null, null);
  }

  /** The codebook `[K, Dc]` (a variable updated in place by training; do not dispose). */
  get codebook(): tf.Tensor2D {
    this.life.check('codebook');
    return this.ema.codebook;
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
   * `optimizer.minimize`: gradients reach `z` through `quantized` (straight-through or rotation
   * trick) and `commitmentLoss` (`2β(z − e)/numel` without projections), the codebook only through
   * `codebookLoss` (gradient learning), never the indices.
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
    this.life.check('forward');
    this.checkZ(fn, z);
    const training = options.training ?? false;
    this.checkInitialized(fn, training);
    // One tidy around the whole pass: every intermediate is freed even when the caller runs
    // forward outside tf.tidy / tf.variableGrads.
    return tf.tidy(() => {
      const x = this.toCodeSpace(tf.reshape(z, [-1, this.codeDim]) as tf.Tensor2D);
      const a = this.assign(x, training);
      try {
        this.update(x, a, training);
        const out = this.outputs(x, a);
        return {
          quantized: tf.reshape(this.fromCodeSpace(out.quantized), z.shape),
          indices: tf.reshape(a.idx, z.shape.slice(0, -1)),
          loss: out.loss,
          commitmentLoss: out.commitmentLoss,
          ...(out.codebookLoss === undefined ? {} : { codebookLoss: out.codebookLoss }),
          // Re-home the kept counts into this scope (clone shares data; no copy).
          counts: tf.clone(a.counts),
        };
      } finally {
        tf.dispose([a.idx, a.codes, a.counts]);
      }
    }) as unknown as QuantizerOutput;
  }

  /**
   * `z` `[N, D]` → the search space `[N, Dc]`: `projectIn` (when codebookDim ≠ codeDim), then
   * l2-normalisation (cosine). On the gradient tape. @internal
   */
  toCodeSpace(z2d: tf.Tensor2D): tf.Tensor2D {
    const p = this.projections;
    const projected = p === null ? z2d : applyLinearProjection(z2d, p.projectIn);
    return this.distance === 'cosine' ? l2Normalize(projected) : projected;
  }

  /** `[N, Dc]` → `[N, D]` through `projectOut` (identity without projections). @internal */
  fromCodeSpace(q2d: tf.Tensor2D): tf.Tensor2D {
    const p = this.projections;
    return p === null ? q2d : applyLinearProjection(q2d, p.projectOut);
  }

  /**
   * Nearest codes of `x` `[N, Dc]` with the current codebook, off the gradient tape; runs the data
   * init policy first on the first training batch. Changes no other state. The caller disposes
   * the returned tensors. @internal
   */
  assign(x: tf.Tensor2D, training: boolean): Assignment {
    return untaped(() => {
      if (training && !this.isInitialized) {
        const { clean, valid } = finiteRows(x);
        this.runInit(clean, valid);
      }
      return assignCodes(x, this.ema.codebook, this.search, this.chunkSize);
    });
  }

  /**
   * The state update of one forward, off the tape: training → EMA update, reset policy, window
   * statistics, step + 1; evaluation → evaluation counts. Always: last-batch counts and the event
   * row. `x` `[N, Dc]` with its assignment `a` (the residual quantizer's shared codebook passes
   * every stage's rows at once). @internal
   */
  update(x: tf.Tensor2D, a: Assignment, training: boolean): void {
    untaped(() => {
      const { clean, valid } = finiteRows(x);
      let codesReset: tf.Scalar = tf.scalar(0);
      if (training) {
        const at = tf.reshape(a.idx, [-1, 1]) as tf.Tensor2D;
        codesReset = this.ema.update({ clean, at, counts: a.counts, valid }, (emaCount, codebook) =>
          this.resetState.step({
            codebookSize: this.codebookSize,
            codeDim: this.codebookDim,
            rng: this.rng,
            step: this.stepCount,
            batch: clean,
            counts: a.counts,
            emaCount,
            codebook,
            valid,
          }),
        );
      }
      this.counts.record(a.counts, valid, training);
      this.events.pushDevice(this.stepCount, codesReset, valid, training);
      return {};
    });
    if (training) this.stepCount++;
  }

  /**
   * On the tape: `quantized` `[N, Dc]` (value `a.codes`, gradient straight-through or rotation
   * trick), `commitmentLoss = β·mean‖x − sg(e)‖²`, and with gradient learning
   * `codebookLoss = w·mean‖sg(x) − e‖²` whose gradient reaches the codebook rows. @internal
   */
  outputs(x: tf.Tensor2D, a: Assignment): VectorQuantizerOutputs {
    return vectorQuantizerOutputs(x, a, this.ema.codebook, this);
  }

  /**
   * Code vectors for stored indices: `decode(indices)[...] = P_out(e_{indices[...]})`.
   * @param indices - int32 tensor `[...]`, or host integers (flat or nested arrays). Host data is
   *   range-checked (a {@link QuantizerError} names the bad entry); a tensor's out-of-range entries
   *   decode to NaN on every backend (its values cannot be read synchronously on webgpu).
   * @returns `[..., D]` float32.
   */
  decode(indices: IndexInput): tf.Tensor {
    const fn = 'VectorQuantizer.decode';
    this.life.check('decode');
    return decodeIndices(fn, indices, this.codebookSize, this.codeDim, (flat) =>
      this.fromCodeSpace(tf.gather(this.ema.codebook, flat) as tf.Tensor2D),
    );
  }

  /**
   * (Re)initialises the codebook now with the init policy (using `z` `[..., D]` for data
   * policies), instead of on the first training batch. Sets `N_k = 1`, `M_k = e_k` and clears the
   * reset policy's history. No host reads (non-finite entries of z are replaced by 0 and reported).
   */
  initialize(z?: tf.Tensor): void {
    this.life.check('initialize');
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
      const x = this.toCodeSpace(tf.reshape(z, [-1, this.codeDim]) as tf.Tensor2D);
      const { clean, valid } = finiteRows(x);
      this.runInit(clean, valid);
      this.events.pushDevice(this.stepCount, tf.scalar(0), valid, false);
    });
  }

  /** Counts of the last forward batch `[K]` (new tensor; caller disposes). */
  lastCounts(): tf.Tensor1D {
    return this.counts.lastCounts();
  }

  /** Counts summed over the last `statsWindow` training batches `[K]` (new tensor; caller disposes). */
  windowCounts(): tf.Tensor1D {
    return this.counts.windowCounts();
  }

  /** Counts accumulated by evaluation forwards since {@link resetEvalCounts} `[K]` (new tensor). */
  evalCounts(): tf.Tensor1D {
    return this.counts.evalCounts();
  }

  /** Starts a new evaluation pass: zeroes the evaluation counts. */
  resetEvalCounts(): void {
    this.counts.resetEvalCounts();
  }

  /**
   * Perplexity, dead fraction and total of the `'last'` batch, the training `'window'`, or the
   * `'eval'` pass, read back as numbers (definitions of `@vqkit/metrics`).
   * @param which - which counts. @default 'window'
   * @param threshold - a code with fewer assignments is counted dead. @default 1
   */
  async usage(
    which: 'last' | 'window' | 'eval' = 'window',
    threshold?: number,
  ): Promise<CodeUsage> {
    return this.counts.usage(which, threshold);
  }

  /**
   * Reads and clears the pending events: initialisations, resets (steps where ≥ 1 code was reset,
   * with how many) and batches skipped for non-finite input. Ordered by step. Call it when you log;
   * unread events cost one small device tensor per 256 forwards.
   */
  async flushEvents(): Promise<QuantizerEvent[]> {
    this.life.check('flushEvents');
    return this.events.flush(this.resetPolicy.name);
  }

  /** Plain-data snapshot of the whole quantizer (async read). See {@link VectorQuantizerState}. */
  async getState(): Promise<VectorQuantizerState> {
    this.life.check('getState');
    const ema = await this.ema.getState();
    const counts = await this.counts.getState();
    const state: VectorQuantizerState = {
      version: 1,
      codebookSize: this.codebookSize,
      codeDim: this.codeDim,
      step: this.stepCount,
      emaSteps: ema.emaSteps,
      initialized: this.isInitialized,
      biasCorrection: this.biasCorrection,
      codebook: ema.codebook,
      emaCount: ema.emaCount,
      emaSum: ema.emaSum,
      lastCounts: counts.lastCounts,
      evalCounts: counts.evalCounts,
      statsWindow: counts.statsWindow,
      rng: this.rng.getState(),
      reset: await this.resetState.getState(),
    };
    if (this.projections !== null) state.projections = await projectionPairState(this.projections);
    return state;
  }

  /**
   * Restores a snapshot from {@link getState} of a quantizer built with the same options; training
   * then continues exactly as the uninterrupted run (bit-for-bit on cpu).
   * @throws {@link QuantizerError} naming the first field whose shape or type does not match.
   */
  setState(state: VectorQuantizerState): void {
    const fn = 'VectorQuantizer.setState';
    this.life.check('setState');
    checkVectorQuantizerState(fn, state, {
      codebookSize: this.codebookSize,
      codeDim: this.codeDim,
      codebookDim: this.codebookDim,
      biasCorrection: this.biasCorrection,
      projections: this.projections,
    });
    this.resetState.setState(state.reset);
    this.rng.setState(state.rng);
    this.ema.setState(fn, state);
    this.counts.setState(fn, state);
    setProjectionPairState(fn, this.projections, state.projections);
    this.stepCount = state.step;
    this.isInitialized = Boolean(state.initialized);
  }

  /**
   * The state without reads (for the tf.layers wrapper): device buffers as the live variables —
   * `codebook`, `emaCount`, `emaSum`, `lastCounts`, `evalCounts`, `statsWindow`, `emaSteps`,
   * projections, and the reset policy's as `reset.<name>` — and `host`
   * `{ step, initialized, rng, reset }`.
   * @throws {@link QuantizerError} when the reset policy does not implement `liveState`.
   */
  liveState(): LiveState {
    this.life.check('liveState');
    const reset = this.resetState.liveState?.();
    if (reset === undefined) {
      throw new QuantizerError(
        `VectorQuantizer.liveState: reset policy '${this.resetPolicy.name}' does not implement liveState()/setHostState(), which the tf.layers wrapper needs. Add them to the policy (see windowedDeadCodeReset).`,
      );
    }
    const variables: Record<string, tf.Variable> = {
      codebook: this.ema.codebook,
      emaCount: this.ema.count,
      emaSum: this.ema.sum,
      ...this.counts.variables(),
      emaSteps: this.ema.steps,
      ...this.variables,
    };
    for (const [name, v] of Object.entries(reset.variables)) variables[`reset.${name}`] = v;
    const host = {
      step: this.stepCount,
      initialized: this.isInitialized,
      rng: this.rng.getState(),
      reset: reset.host,
    };
    return { variables, host };
  }

  /** Restores the `host` part of {@link liveState}. */
  setHostState(host: unknown): void {
    const fn = 'VectorQuantizer.setHostState';
    this.life.check('setHostState');
    const h = parseVectorQuantizerHost(fn, host);
    this.rng.setState(h.rng);
    this.resetState.setHostState?.(h.reset);
    this.stepCount = h.step;
    this.isInitialized = h.initialized;
  }

  /** Releases every device buffer (codebook, EMA state, windows, projections, pending events). */
  dispose(): void {
    if (!this.life.end()) return;
    this.ema.dispose();
    this.counts.dispose();
    disposeProjectionPair(this.projections);
    this.resetState.dispose();
    this.events.dispose();
  }

  /** @internal Throws unless the codebook can be used for an evaluation forward. */
  checkInitialized(fn: string, training: boolean): void {
    if (!this.isInitialized && !training) {
      throw new QuantizerError(
        `${fn}: the codebook is not initialised yet (init policy '${this.initPolicy.name}' needs data). Run a training forward ({ training: true }) or vq.initialize(z) first.`,
      );
    }
  }

  /** @internal Validates z `[..., D]` (float32, non-empty). */
  checkZ(fn: string, z: tf.Tensor): void {
    checkInput(fn, z, this.codeDim);
  }

  /** Runs the init policy; `valid` (bool scalar) guards data inits against non-finite batches. */
  private runInit(batch: tf.Tensor2D | null, valid: tf.Scalar | null): void {
    tf.tidy(() => {
      const fresh = this.initPolicy.initialize({
        codebookSize: this.codebookSize,
        codeDim: this.codebookDim,
        rng: this.rng,
        batch,
        search: this.search,
        chunkSize: this.chunkSize,
      });
      const [k, dc] = [this.codebookSize, this.codebookDim];
      if (fresh.rank !== 2 || fresh.shape[0] !== k || fresh.shape[1] !== dc) {
        throw new QuantizerError(
          `VectorQuantizer: init policy '${this.initPolicy.name}' returned shape [${fresh.shape}], expected [${k},${dc}]. Fix the policy's initialize().`,
        );
      }
      this.ema.initialize(fresh, valid);
    });
    this.isInitialized = true;
    this.resetState.onInitialize();
    this.events.pushHost({ kind: 'init', step: this.stepCount, policy: this.initPolicy.name });
  }
}
