import * as tf from '@tensorflow/tfjs-core';
import { Rng, type RngState } from '@vqkit/random';
import { checkInput, finiteRows } from './check-input';
import { VECTOR_QUANTIZER_DEFAULTS as DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import { EventLog } from './event-log';
import { type IndexInput, indexTensor, inRange } from './indices';
import { type InitPolicy, initFromData } from './init-policies';
import {
  applyLinearProjection,
  createLinearProjection,
  type LinearProjection,
  type LinearProjectionState,
  linearProjectionState,
  setLinearProjectionState,
} from './linear-projection';
import { chunkedNearestCode, type NearestCodeSearch } from './nearest-code';
import type {
  LiveState,
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
import { l2Normalize, rotationTrickGradient } from './rotation-trick';
import type { PolicyState, TensorData } from './state';
import { type CodeUsage, readUsage } from './stats';
import { untaped } from './untaped';

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
 * Everything that defines a quantizer, as plain data (typed arrays + numbers). Tensors are
 * {@link TensorData} `{ shape, data: Float32Array }` (row-major), ready for safetensors; for JSON
 * convert `data` with `Array.from`. Field shapes (Dc = codebook dimension): `codebook` `[K, Dc]`,
 * `emaCount` `[K]` (N), `emaSum` `[K, Dc]` (M), `lastCounts` `[K]`, `evalCounts` `[K]`,
 * `statsWindow` `[W, K]` (oldest first), plus the reset policy's buffers in `reset.tensors` and,
 * with `codebookDim ≠ codeDim`, the projections.
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
  /** `projectIn` `[D, Dc]` / `projectOut` `[Dc, D]` values when `codebookDim ≠ codeDim`. */
  projections?: { projectIn: LinearProjectionState; projectOut: LinearProjectionState };
}

/**
 * One batch's nearest codes (internal; used by {@link ResidualVectorQuantizer} too). Kept tensors
 * the caller disposes: `idx` int32 `[N]`, `codes` `[N, Dc]` (the rows before this step's update),
 * `counts` `[K]`.
 * @internal
 */
export interface Assignment {
  idx: tf.Tensor1D;
  codes: tf.Tensor2D;
  counts: tf.Tensor1D;
}

function checkEnum<T extends string>(fn: string, name: string, value: T, allowed: T[]): T {
  if (!allowed.includes(value)) {
    throw new QuantizerError(
      `${fn}: ${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function checkNumber(
  fn: string,
  name: string,
  value: number,
  ok: (v: number) => boolean,
  expected: string,
  example: number | string,
): number {
  if (typeof value !== 'number' || !ok(value)) {
    throw new QuantizerError(
      `${fn}: ${name} must be ${expected}, got ${String(value)}. Use e.g. ${example}.`,
    );
  }
  return value;
}

const isPositiveInteger = (v: number) => Number.isInteger(v) && v >= 1;
const isNonNegative = (v: number) => Number.isFinite(v) && v >= 0;

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
  private readonly projectIn: LinearProjection | null;
  private readonly projectOut: LinearProjection | null;
  private readonly cb: tf.Variable<tf.Rank.R2>;
  private readonly emaCount: tf.Variable<tf.Rank.R1>;
  private readonly emaSum: tf.Variable<tf.Rank.R2>;
  private readonly last: tf.Variable<tf.Rank.R1>;
  private readonly evalAcc: tf.Variable<tf.Rank.R1>;
  private readonly statsRing: tf.Variable<tf.Rank.R2>;
  /** EMA updates accepted since the last initialisation (the `t` of bias correction), on device:
   * a batch rejected for non-finite values must not advance it, and that is only known there. */
  private readonly emaT: tf.Variable<tf.Rank.R0>;
  private readonly events = new EventLog();
  private stepCount = 0;
  private isInitialized = false;
  private disposed = false;

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
    const codebookDim = checkNumber(
      fn,
      'codebookDim',
      o.codebookDim ?? o.codeDim,
      isPositiveInteger,
      'an integer ≥ 1',
      `${o.codeDim} (no projection)`,
    );
    this.distance = checkEnum(fn, 'distance', o.distance ?? DEFAULTS.distance, [
      'euclidean',
      'cosine',
    ]);
    this.learning = checkEnum(fn, 'learning', o.learning ?? DEFAULTS.learning, ['ema', 'gradient']);
    this.gradient = checkEnum(fn, 'gradient', o.gradient ?? DEFAULTS.gradient, [
      'straight-through',
      'rotation',
    ]);
    if (this.distance === 'cosine' && codebookDim < 2) {
      throw new QuantizerError(
        `${fn}: distance 'cosine' needs a code dimension ≥ 2, got ${codebookDim}: l2-normalised 1-D vectors are only ±1, so at most 2 codes could ever be used. Use distance 'euclidean', or codebookDim ≥ 2.`,
      );
    }
    if (this.distance === 'cosine' && this.learning === 'gradient') {
      throw new QuantizerError(
        `${fn}: distance 'cosine' with learning 'gradient' is not supported (nor in vector-quantize-pytorch): the optimizer would move codes off the unit sphere. Use learning 'ema' with cosine, or distance 'euclidean'.`,
      );
    }
    this.decay = checkNumber(
      fn,
      'decay',
      o.decay ?? DEFAULTS.decay,
      (v) => v > 0 && v < 1,
      'in (0, 1)',
      DEFAULTS.decay,
    );
    this.epsilon = checkNumber(
      fn,
      'epsilon',
      o.epsilon ?? DEFAULTS.epsilon,
      (v) => Number.isFinite(v) && v > 0,
      'a finite number > 0',
      DEFAULTS.epsilon,
    );
    this.commitmentWeight = checkNumber(
      fn,
      'commitmentWeight',
      o.commitmentWeight ?? DEFAULTS.commitmentWeight,
      isNonNegative,
      'a finite number ≥ 0',
      DEFAULTS.commitmentWeight,
    );
    this.codebookLossWeight = checkNumber(
      fn,
      'codebookLossWeight',
      o.codebookLossWeight ?? DEFAULTS.codebookLossWeight,
      isNonNegative,
      'a finite number ≥ 0',
      DEFAULTS.codebookLossWeight,
    );
    this.chunkSize = checkNumber(
      fn,
      'chunkSize',
      o.chunkSize ?? DEFAULTS.chunkSize,
      isPositiveInteger,
      'an integer ≥ 1',
      DEFAULTS.chunkSize,
    );
    this.statsWindowSize = checkNumber(
      fn,
      'statsWindow',
      o.statsWindow ?? DEFAULTS.statsWindow,
      isPositiveInteger,
      'an integer ≥ 1',
      DEFAULTS.statsWindow,
    );
    const seed = checkNumber(
      fn,
      'seed',
      o.seed ?? DEFAULTS.seed,
      Number.isFinite,
      'a finite number',
      DEFAULTS.seed,
    );
    this.codebookSize = o.codebookSize;
    this.codeDim = o.codeDim;
    this.codebookDim = codebookDim;
    this.biasCorrection = o.biasCorrection ?? DEFAULTS.biasCorrection;
    this.bitsPerPosition = Math.log2(o.codebookSize);
    this.initPolicy = o.init ?? initFromData();
    this.resetPolicy = o.reset ?? windowedDeadCodeReset();
    this.search = o.search ?? chunkedNearestCode;
    this.rng = new Rng(seed);
    const k = this.codebookSize;
    const dc = this.codebookDim;
    const projected = dc !== this.codeDim;
    this.projectIn = projected ? createLinearProjection(this.rng, this.codeDim, dc) : null;
    this.projectOut = projected ? createLinearProjection(this.rng, dc, this.codeDim) : null;
    const trainable = this.learning === 'gradient';
    this.cb = tf.tidy(() => tf.variable(tf.zeros([k, dc]), trainable));
    this.emaCount = tf.tidy(() => tf.variable(tf.zeros([k]), false));
    this.emaSum = tf.tidy(() => tf.variable(tf.zeros([k, dc]), false));
    this.last = tf.tidy(() => tf.variable(tf.zeros([k]), false));
    this.evalAcc = tf.tidy(() => tf.variable(tf.zeros([k]), false));
    this.statsRing = tf.tidy(() => tf.variable(tf.zeros([this.statsWindowSize, k]), false));
    this.emaT = tf.tidy(() => tf.variable(tf.scalar(0), false));
    const variables: Record<string, tf.Variable> = {};
    if (trainable) variables.codebook = this.cb;
    if (this.projectIn !== null && this.projectOut !== null) {
      variables['projectIn.kernel'] = this.projectIn.kernel;
      variables['projectIn.bias'] = this.projectIn.bias;
      variables['projectOut.kernel'] = this.projectOut.kernel;
      variables['projectOut.bias'] = this.projectOut.bias;
    }
    this.variables = Object.freeze(variables);
    this.resetState = this.resetPolicy.create({ codebookSize: k, codeDim: dc });
    if (!this.initPolicy.needsData) this.runInit(null, null);
  }

  /** The codebook `[K, Dc]` (a variable updated in place by training; do not dispose). */
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
    this.checkAlive('forward');
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
        const quantized = tf.reshape(this.fromCodeSpace(out.quantized), z.shape);
        const indices = tf.reshape(a.idx, z.shape.slice(0, -1));
        // Re-home the kept counts into this scope (clone shares data; no copy).
        const counts = tf.clone(a.counts);
        return {
          quantized,
          indices,
          loss: out.loss,
          commitmentLoss: out.commitmentLoss,
          ...(out.codebookLoss === undefined ? {} : { codebookLoss: out.codebookLoss }),
          counts,
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
    const projected = this.projectIn === null ? z2d : applyLinearProjection(z2d, this.projectIn);
    return this.distance === 'cosine' ? l2Normalize(projected) : projected;
  }

  /** `[N, Dc]` → `[N, D]` through `projectOut` (identity without projections). @internal */
  fromCodeSpace(q2d: tf.Tensor2D): tf.Tensor2D {
    return this.projectOut === null ? q2d : applyLinearProjection(q2d, this.projectOut);
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
      const idx = this.search(x, this.cb, { chunkSize: this.chunkSize });
      const codes = tf.gather(this.cb, idx) as tf.Tensor2D;
      const at = tf.reshape(idx, [-1, 1]) as tf.Tensor2D;
      const counts = tf.scatterND(at, tf.ones([x.shape[0]]), [this.codebookSize]) as tf.Tensor1D;
      return { idx, codes, counts };
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
        codesReset = this.trainStep(clean, at, a.counts, valid);
      } else {
        this.evalAcc.assign(
          tf.add(this.evalAcc, tf.where(valid, a.counts, tf.zerosLike(a.counts))),
        );
      }
      this.last.assign(a.counts);
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
  outputs(
    x: tf.Tensor2D,
    a: Assignment,
  ): {
    quantized: tf.Tensor2D;
    loss: tf.Scalar;
    commitmentLoss: tf.Scalar;
    codebookLoss?: tf.Scalar;
  } {
    const codes = a.codes;
    const rotation = this.gradient === 'rotation';
    const estimator = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const input = args[0] as tf.Tensor2D;
      if (rotation) (args[1] as tf.GradSaveFunc)([input, codes]);
      return {
        value: tf.clone(codes),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          rotation
            ? rotationTrickGradient(
                saved[0] as tf.Tensor2D,
                saved[1] as tf.Tensor2D,
                dy as tf.Tensor2D,
              )
            : dy,
      };
    });
    const quantized = estimator(x) as tf.Tensor2D;
    // codes is not reachable from any variable on the tape, so it acts as sg(e).
    const commitmentLoss = tf.mul(
      tf.mean(tf.squaredDifference(x, codes)),
      tf.scalar(this.commitmentWeight),
    ) as tf.Scalar;
    if (this.learning !== 'gradient') return { quantized, loss: commitmentLoss, commitmentLoss };
    const rows = codebookRows(this.cb, a.idx, codes);
    const codebookLoss = tf.mul(
      tf.mean(tf.squaredDifference(stopGradient(x), rows)),
      tf.scalar(this.codebookLossWeight),
    ) as tf.Scalar;
    return {
      quantized,
      loss: tf.add(commitmentLoss, codebookLoss) as tf.Scalar,
      commitmentLoss,
      codebookLoss,
    };
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
    this.checkAlive('decode');
    const { tensor, created } = indexTensor(fn, indices, { codebookSize: this.codebookSize });
    try {
      return tf.tidy(() => {
        const ok = inRange(tensor, this.codebookSize);
        const flat = tf.reshape(tf.where(ok, tensor, tf.zerosLike(tensor)), [-1]);
        const codes = this.fromCodeSpace(tf.gather(this.cb, flat) as tf.Tensor2D);
        const okRow = tf.reshape(ok, [-1, 1]);
        const masked = tf.where(okRow, codes, tf.fill(codes.shape, Number.NaN));
        return tf.reshape(masked, [...tensor.shape, this.codeDim]);
      });
    } finally {
      if (created) tensor.dispose();
    }
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
      const x = this.toCodeSpace(tf.reshape(z, [-1, this.codeDim]) as tf.Tensor2D);
      const { clean, valid } = finiteRows(x);
      this.runInit(clean, valid);
      this.events.pushDevice(this.stepCount, tf.scalar(0), valid, false);
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
   * `'eval'` pass, read back as numbers (definitions of `@vqkit/metrics`).
   * @param which - which counts. @default 'window'
   * @param threshold - a code with fewer assignments is counted dead. @default 1
   */
  async usage(
    which: 'last' | 'window' | 'eval' = 'window',
    threshold?: number,
  ): Promise<CodeUsage> {
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
    return this.events.flush(this.resetPolicy.name);
  }

  /** Plain-data snapshot of the whole quantizer (async read). See {@link VectorQuantizerState}. */
  async getState(): Promise<VectorQuantizerState> {
    this.checkAlive('getState');
    const state: VectorQuantizerState = {
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
    if (this.projectIn !== null && this.projectOut !== null) {
      state.projections = {
        projectIn: await linearProjectionState(this.projectIn),
        projectOut: await linearProjectionState(this.projectOut),
      };
    }
    return state;
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
    if ((state.projections !== undefined) !== (this.projectIn !== null)) {
      throw new QuantizerError(
        `${fn}: state ${state.projections === undefined ? 'has no' : 'has'} projections but this quantizer ${this.projectIn === null ? 'has none' : `projects ${this.codeDim} → ${this.codebookDim}`}. Construct it with the saved codebookDim.`,
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
    if (this.projectIn !== null && this.projectOut !== null) {
      const p = state.projections;
      setLinearProjectionState(fn, 'projections.projectIn', this.projectIn, p?.projectIn);
      setLinearProjectionState(fn, 'projections.projectOut', this.projectOut, p?.projectOut);
    }
    tf.tidy(() => this.emaT.assign(tf.scalar(state.emaSteps)));
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
    this.checkAlive('liveState');
    const reset = this.resetState.liveState?.();
    if (reset === undefined) {
      throw new QuantizerError(
        `VectorQuantizer.liveState: reset policy '${this.resetPolicy.name}' does not implement liveState()/setHostState(), which the tf.layers wrapper needs. Add them to the policy (see windowedDeadCodeReset).`,
      );
    }
    const variables: Record<string, tf.Variable> = {
      codebook: this.cb,
      emaCount: this.emaCount,
      emaSum: this.emaSum,
      lastCounts: this.last,
      evalCounts: this.evalAcc,
      statsWindow: this.statsRing,
      emaSteps: this.emaT,
    };
    for (const [name, v] of Object.entries(this.variables)) variables[name] = v;
    for (const [name, v] of Object.entries(reset.variables)) variables[`reset.${name}`] = v;
    return {
      variables,
      host: {
        step: this.stepCount,
        initialized: this.isInitialized,
        rng: this.rng.getState(),
        reset: reset.host,
      },
    };
  }

  /** Restores the `host` part of {@link liveState}. */
  setHostState(host: unknown): void {
    const fn = 'VectorQuantizer.setHostState';
    this.checkAlive('setHostState');
    const h = host as {
      step?: unknown;
      initialized?: unknown;
      rng?: RngState;
      reset?: Record<string, number>;
    } | null;
    if (
      !Number.isInteger(h?.step) ||
      (h?.step as number) < 0 ||
      typeof h?.initialized !== 'boolean'
    ) {
      throw new QuantizerError(
        `${fn}: expected { step, initialized, rng, reset } from liveState().host, got ${JSON.stringify(host)}.`,
      );
    }
    this.rng.setState(h.rng as RngState);
    this.resetState.setHostState?.(h.reset ?? {});
    this.stepCount = h.step as number;
    this.isInitialized = h.initialized;
  }

  /** Releases every device buffer (codebook, EMA state, windows, projections, pending events). */
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
    for (const p of [this.projectIn, this.projectOut])
      if (p !== null) tf.dispose([p.kernel, p.bias]);
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
      if (
        fresh.rank !== 2 ||
        fresh.shape[0] !== this.codebookSize ||
        fresh.shape[1] !== this.codebookDim
      ) {
        throw new QuantizerError(
          `VectorQuantizer: init policy '${this.initPolicy.name}' returned shape [${fresh.shape}], expected [${this.codebookSize},${this.codebookDim}]. Fix the policy's initialize().`,
        );
      }
      const normalized = this.distance === 'cosine' ? l2Normalize(fresh) : fresh;
      const codebook =
        valid === null ? normalized : (tf.where(valid, normalized, this.cb) as tf.Tensor2D);
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
    this.events.pushHost({ kind: 'init', step: this.stepCount, policy: this.initPolicy.name });
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
    const ema = this.learning === 'ema';
    const hiddenN = tf.add(tf.mul(this.emaCount, g), tf.mul(counts, 1 - g)) as tf.Tensor1D;
    const hiddenM = ema
      ? (tf.add(
          tf.mul(this.emaSum, g),
          tf.mul(tf.scatterND(at, clean, [k, this.codebookDim]), 1 - g),
        ) as tf.Tensor2D)
      : this.emaSum;
    const t = tf.add(this.emaT, 1) as tf.Scalar;
    // 1 − γ^t = −expm1(t·ln γ): no float32 cancellation when γ^t is close to 1.
    const scale: tf.Scalar | number = this.biasCorrection
      ? (tf.neg(tf.expm1(tf.mul(t, Math.log(g)))) as tf.Scalar)
      : 1;
    const n = this.biasCorrection ? (tf.div(hiddenN, scale) as tf.Tensor1D) : hiddenN;
    let codebook: tf.Tensor2D = this.cb;
    if (ema) {
      const m = this.biasCorrection ? (tf.div(hiddenM, scale) as tf.Tensor2D) : hiddenM;
      // Laplace smoothing: Ñ_k = (N_k + ε) / (Σ_j N_j + K·ε) · Σ_j N_j.
      const total = tf.sum(n);
      const smoothed = tf.mul(
        tf.div(tf.add(n, this.epsilon), tf.add(total, k * this.epsilon)),
        total,
      );
      codebook = tf.div(m, tf.reshape(smoothed, [k, 1])) as tf.Tensor2D;
      if (this.biasCorrection) {
        codebook = tf.where(tf.reshape(tf.greater(n, 0), [k, 1]), codebook, this.cb) as tf.Tensor2D;
      }
      if (this.distance === 'cosine') codebook = l2Normalize(codebook);
    }
    let newN: tf.Tensor1D = hiddenN;
    let newM: tf.Tensor2D = hiddenM;
    let codesReset: tf.Scalar = tf.scalar(0);
    const decision = this.resetState.step({
      codebookSize: k,
      codeDim: this.codebookDim,
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
      const fresh =
        this.distance === 'cosine' ? l2Normalize(decision.replacement) : decision.replacement;
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

  private checkAlive(method: string): void {
    if (this.disposed) {
      throw new QuantizerError(
        `VectorQuantizer.${method}: the quantizer was disposed. Create a new one.`,
      );
    }
  }

  /** @internal Validates z `[..., D]` (float32, non-empty). */
  checkZ(fn: string, z: tf.Tensor): void {
    checkInput(fn, z, this.codeDim);
  }
}

/** `x` as a constant: its value, no gradient (tfjs has no stopGradient). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return f(x) as T;
}

/**
 * The rows `codebook[idx]` `[N, Dc]` on the gradient tape with value `codes` (the rows read before
 * this step's update) and gradient `Σ_{i: idx_i = k} dy_i` (a scatter-add) to row k of the codebook.
 */
function codebookRows(
  codebook: tf.Variable<tf.Rank.R2>,
  idx: tf.Tensor1D,
  codes: tf.Tensor2D,
): tf.Tensor2D {
  const k = codebook.shape[0];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([idx]);
    return {
      value: tf.clone(codes),
      // scatterND sums duplicate indices in one kernel (unsortedSegmentSum is O(K) kernels on cpu).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.scatterND(tf.reshape(saved[0] as tf.Tensor1D, [-1, 1]), dy, [k, dy.shape[1]!]),
    };
  });
  return f(codebook) as tf.Tensor2D;
}
