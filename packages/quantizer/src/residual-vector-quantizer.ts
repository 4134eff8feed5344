import * as tf from '@tensorflow/tfjs-core';
import { Rng, type RngState } from '@vqkit/random';
import type { Assignment } from './assign-codes';
import { checkInput } from './check-input';
import { RESIDUAL_QUANTIZER_DEFAULTS as DEFAULTS, VECTOR_QUANTIZER_DEFAULTS } from './defaults';
import { QuantizerError } from './errors';
import { type IndexInput, indexTensor } from './indices';
import { Lifecycle } from './lifecycle';
import {
  applyLinearProjection,
  checkProjectionPresence,
  createProjectionPair,
  disposeProjectionPair,
  type ProjectionPair,
  type ProjectionPairState,
  projectionPairState,
  projectionVariables,
  setProjectionPairState,
} from './linear-projection';
import type {
  LiveState,
  QuantizeResult,
  Quantizer,
  QuantizerEvent,
  QuantizerForwardOptions,
} from './quantizer';
import { checkCounter, checkStateKind } from './state';
import type { CodeUsage } from './stats';
import { stopGradient } from './stop-gradient';
import { VectorQuantizer } from './vector-quantizer';
import type { VectorQuantizerOptions } from './vector-quantizer-options';
import type { VectorQuantizerState } from './vector-quantizer-state';

/** Constructor options of {@link ResidualVectorQuantizer}; every stage gets the VQ options. */
export interface ResidualVectorQuantizerOptions extends VectorQuantizerOptions {
  /** Number of stages (integer ≥ 1); each quantizes the residual left by the previous ones. Required. */
  depth: number;
  /**
   * One codebook for every stage (its EMA updated once per batch with all stages' assignments),
   * instead of one per stage. @default false
   */
  sharedCodebook?: boolean;
  /**
   * Quantizer dropout (SoundStream, Zeghidour et al. 2021): each training batch uses only the first
   * n stages, n uniform in [quantizerDropoutMinDepth, depth] (drawn per batch from the seeded
   * generator, as vector-quantize-pytorch); dropped stages get index −1 and add nothing. Until
   * every stage is initialised, training batches use all stages.
   * @default false
   */
  quantizerDropout?: boolean;
  /** Fewest stages a training batch keeps under quantizer dropout. @default 1 */
  quantizerDropoutMinDepth?: number;
}

/** Result of {@link ResidualVectorQuantizer.forward}. The caller owns every tensor. */
export interface ResidualQuantizerOutput extends QuantizeResult {
  /** int32 `[..., depth]`: each stage's code; −1 for stages dropped by quantizer dropout. */
  indices: tf.Tensor;
  /** float32 `[depth, K]`: this batch's assignments per stage and code (zeros for dropped stages). */
  stageCounts: tf.Tensor2D;
  /** Stages used by this forward (`depth` unless quantizer dropout dropped some). */
  activeDepth: number;
}

/** Plain-data state of a {@link ResidualVectorQuantizer}. */
export interface ResidualVectorQuantizerState {
  version: 1;
  kind: 'residual';
  depth: number;
  sharedCodebook: boolean;
  /** Training steps taken. */
  step: number;
  /** Generator of the quantizer-dropout draws. */
  rng: RngState;
  /** One state per stage (one in all with a shared codebook). */
  stages: VectorQuantizerState[];
  /** `projectIn` / `projectOut` values when `codebookDim ≠ codeDim`. */
  projections?: ProjectionPairState;
}

/**
 * Residual vector quantization (SoundStream; vector-quantize-pytorch's `ResidualVQ`): stage s
 * quantizes `r_s = x − Σ_{j<s} sg(q_j)` (`r_0 = x`, the input after the optional projection) with
 * its own {@link VectorQuantizer} (or one shared codebook); `quantized = Σ_s q_s`, indices
 * `[..., depth]`, loss = Σ of the stages' losses, `depth·log₂K` bits per position.
 *
 * Gradients, as vector-quantize-pytorch and EnCodec: each stage passes its estimator's gradient
 * (straight-through or rotation trick) to its own residual, and every residual to z, so under
 * straight-through `∂quantized/∂z = activeDepth·I`.
 */
export class ResidualVectorQuantizer implements Quantizer<ResidualVectorQuantizerState> {
  readonly kind = 'residual' as const;
  /** Stages. */
  readonly depth: number;
  /** D: last dimension of z and quantized. */
  readonly codeDim: number;
  /** Dc: dimension the stages quantize in. */
  readonly codebookDim: number;
  /** K: codes per stage (the range of one index). */
  readonly codebookSize: number;
  /** depth·log₂K. */
  readonly bitsPerPosition: number;
  readonly sharedCodebook: boolean;
  readonly quantizerDropout: boolean;
  readonly quantizerDropoutMinDepth: number;
  /** The stage quantizers (one when the codebook is shared). Do not dispose them. */
  readonly stages: readonly VectorQuantizer[];
  /** Stage variables as `stages.<s>.<name>` (`codebook` alone when shared) plus `projectIn.*`/`projectOut.*`. */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  private readonly rng: Rng;
  private readonly projections: ProjectionPair | null;
  private readonly life = new Lifecycle('ResidualVectorQuantizer');
  private stepCount = 0;

  constructor(options: ResidualVectorQuantizerOptions) {
    const o = options ?? ({} as ResidualVectorQuantizerOptions);
    const minDepth = checkDepths(o);
    const { depth, sharedCodebook, quantizerDropout, quantizerDropoutMinDepth, ...vq } = o;
    const seed = vq.seed ?? VECTOR_QUANTIZER_DEFAULTS.seed;
    const stage = (s: number) =>
      new VectorQuantizer({
        ...vq,
        codeDim: vq.codebookDim ?? vq.codeDim,
        codebookDim: undefined,
        seed: seed + 1 + s,
      });
    // The first stage validates the shared VQ options (codebookSize, codeDim, …) with its messages.
    const first = stage(0);
    this.depth = depth;
    this.sharedCodebook = sharedCodebook ?? DEFAULTS.sharedCodebook;
    this.quantizerDropout = quantizerDropout ?? DEFAULTS.quantizerDropout;
    this.quantizerDropoutMinDepth = minDepth;
    this.codeDim = vq.codeDim;
    this.codebookDim = first.codeDim;
    this.codebookSize = first.codebookSize;
    this.bitsPerPosition = depth * Math.log2(first.codebookSize);
    this.stages = Object.freeze(
      this.sharedCodebook
        ? [first]
        : [first, ...Array.from({ length: depth - 1 }, (_, s) => stage(s + 1))],
    );
    this.rng = new Rng(seed);
    this.projections = createProjectionPair(this.rng, this.codeDim, this.codebookDim);
    const variables: Record<string, tf.Variable> = {};
    this.stages.forEach((q, s) => {
      for (const [name, v] of Object.entries(q.variables)) {
        variables[this.sharedCodebook ? name : `stages.${s}.${name}`] = v;
      }
    });
    this.variables = Object.freeze({ ...variables, ...projectionVariables(this.projections) });
  }

  /** Training steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * Quantizes `z` `[..., D]` stage by stage; usable inside `tf.variableGrads`. With
   * `training: true` every used stage updates (EMA, resets) from its own residual.
   */
  forward(z: tf.Tensor, options: QuantizerForwardOptions = {}): ResidualQuantizerOutput {
    const fn = 'ResidualVectorQuantizer.forward';
    this.life.check('forward');
    checkInput(fn, z, this.codeDim);
    const training = options.training ?? false;
    for (const q of this.stages) q.checkInitialized(fn, training);
    const active = this.activeDepth(training);
    const out = tf.tidy(() => {
      const z2d = tf.reshape(z, [-1, this.codeDim]) as tf.Tensor2D;
      const p = this.projections;
      const x = p === null ? z2d : applyLinearProjection(z2d, p.projectIn);
      const r = this.sharedCodebook
        ? this.sharedStages(x, active, training)
        : this.separateStages(x, active, training);
      const { indices, stageCounts } = this.padDropped(r, x.shape[0], active);
      const sum = p === null ? r.sum : applyLinearProjection(r.sum, p.projectOut);
      return {
        quantized: tf.reshape(sum, z.shape),
        indices: tf.reshape(indices, [...z.shape.slice(0, -1), this.depth]),
        loss: tf.addN(r.losses) as tf.Scalar,
        stageCounts,
        ...(this.sharedCodebook ? { counts: tf.sum(stageCounts, 0) as tf.Tensor1D } : {}),
      };
    });
    if (training) this.stepCount++;
    return { ...out, activeDepth: active } as ResidualQuantizerOutput;
  }

  /**
   * Stages this forward uses: `depth`, or under quantizer dropout in training a seeded draw from
   * [quantizerDropoutMinDepth, depth] (one per training batch).
   */
  private activeDepth(training: boolean): number {
    const drawn =
      training && this.quantizerDropout
        ? this.quantizerDropoutMinDepth +
          this.rng.int(this.depth - this.quantizerDropoutMinDepth + 1)
        : this.depth;
    // Until every stage has been initialised (data init policies run on a stage's first training
    // batch), training batches use every stage, so dropout never leaves a stage uninitialised.
    return this.stages.every((q) => q.initialized) ? drawn : this.depth;
  }

  /** Indices `[N, depth]` (−1 for dropped stages) and counts `[depth, K]` (zeros for them). */
  private padDropped(
    r: StageResults,
    n: number,
    active: number,
  ): { indices: tf.Tensor2D; stageCounts: tf.Tensor2D } {
    if (active === this.depth) {
      return {
        indices: tf.stack(r.idx, 1) as tf.Tensor2D,
        stageCounts: tf.stack(r.counts) as tf.Tensor2D,
      };
    }
    const dropped = tf.fill([n, this.depth - active], -1, 'int32');
    const zeros = tf.zeros([this.depth - active, this.codebookSize]);
    return {
      indices: tf.concat([tf.stack(r.idx, 1), dropped], 1) as tf.Tensor2D,
      stageCounts: tf.concat([tf.stack(r.counts), zeros]) as tf.Tensor2D,
    };
  }

  /** Separate codebooks: stage s runs its own forward on `r_s`. */
  private separateStages(x: tf.Tensor2D, active: number, training: boolean): StageResults {
    const res: StageResults = { sum: tf.zerosLike(x), idx: [], counts: [], losses: [] };
    let residual = x;
    for (let s = 0; s < active; s++) {
      const out = this.stages[s]!.forward(residual, { training });
      res.sum = tf.add(res.sum, out.quantized) as tf.Tensor2D;
      residual = tf.sub(residual, stopGradient(out.quantized)) as tf.Tensor2D;
      res.idx.push(out.indices as tf.Tensor1D);
      res.counts.push(out.counts);
      res.losses.push(out.loss);
    }
    return res;
  }

  /**
   * One shared codebook: every stage is assigned with the codebook as it was before this batch,
   * then one update (EMA, resets, statistics) sees all stages' rows at once.
   */
  private sharedStages(x: tf.Tensor2D, active: number, training: boolean): StageResults {
    const vq = this.stages[0]!;
    const xs: tf.Tensor2D[] = [];
    const as: Assignment[] = [];
    try {
      let residual = x;
      for (let s = 0; s < active; s++) {
        const xs_ = vq.toCodeSpace(residual);
        const a = vq.assign(xs_, training && s === 0);
        xs.push(xs_);
        as.push(a);
        residual = tf.sub(residual, a.codes) as tf.Tensor2D;
      }
      const all: Assignment = {
        idx: tf.concat(as.map((a) => a.idx)) as tf.Tensor1D,
        codes: tf.concat(as.map((a) => a.codes)) as tf.Tensor2D,
        counts: tf.addN(as.map((a) => a.counts)) as tf.Tensor1D,
      };
      vq.update(tf.concat(xs) as tf.Tensor2D, all, training);
      const res: StageResults = { sum: tf.zerosLike(x), idx: [], counts: [], losses: [] };
      as.forEach((a, s) => {
        const out = vq.outputs(xs[s]!, a);
        res.sum = tf.add(res.sum, out.quantized) as tf.Tensor2D;
        res.idx.push(tf.clone(a.idx));
        res.counts.push(tf.clone(a.counts));
        res.losses.push(out.loss);
      });
      return res;
    } finally {
      for (const a of as) tf.dispose([a.idx, a.codes, a.counts]);
    }
  }

  /**
   * `Σ_s e_s[indices[..., s]]` (then `projectOut`) for indices `[..., depth]`; −1 (a dropped stage)
   * adds nothing. Host data is range-checked; a tensor's out-of-range entries decode to NaN.
   * @returns `[..., D]` float32.
   */
  decode(indices: IndexInput): tf.Tensor {
    const fn = 'ResidualVectorQuantizer.decode';
    this.life.check('decode');
    const { tensor, created } = indexTensor(fn, indices, {
      codebookSize: this.codebookSize,
      allowDropped: true,
    });
    try {
      if (tensor.rank < 1 || tensor.shape[tensor.rank - 1] !== this.depth) {
        throw new QuantizerError(
          `${fn}: indices must have last dimension depth = ${this.depth}, got shape [${tensor.shape}]. Pass the [..., depth] indices returned by forward.`,
        );
      }
      return tf.tidy(() => {
        const flat = tf.reshape(tensor, [-1, this.depth]);
        let sum: tf.Tensor2D | null = null;
        for (let s = 0; s < this.depth; s++) {
          const idx = tf.reshape(tf.slice(flat, [0, s], [-1, 1]), [-1]);
          const kept = tf.notEqual(idx, -1);
          const q = this.stages[this.sharedCodebook ? 0 : s]!.decode(
            tf.where(kept, idx, tf.zerosLike(idx)),
          );
          const part = tf.where(tf.reshape(kept, [-1, 1]), q, tf.zerosLike(q)) as tf.Tensor2D;
          sum = sum === null ? part : (tf.add(sum, part) as tf.Tensor2D);
        }
        const p = this.projections;
        const out = p === null ? sum! : applyLinearProjection(sum!, p.projectOut);
        return tf.reshape(out, [...tensor.shape.slice(0, -1), this.codeDim]);
      });
    } finally {
      if (created) tensor.dispose();
    }
  }

  /**
   * Usage over the stages: with a shared codebook the one codebook's usage over all stages'
   * assignments; otherwise the mean over stages of perplexity and dead fraction, the summed total,
   * and `codebookSize` K per stage. Per-stage numbers: {@link stageUsage}.
   */
  async usage(
    which: 'last' | 'window' | 'eval' = 'window',
    threshold?: number,
  ): Promise<CodeUsage> {
    this.life.check('usage');
    const per = await this.stageUsage(which, threshold);
    const mean = (f: (u: CodeUsage) => number) => per.reduce((s, u) => s + f(u), 0) / per.length;
    return {
      perplexity: mean((u) => u.perplexity),
      deadFraction: mean((u) => u.deadFraction),
      total: per.reduce((s, u) => s + u.total, 0),
      codebookSize: this.codebookSize,
    };
  }

  /** Usage of each stage's codebook (one entry when shared). */
  stageUsage(
    which: 'last' | 'window' | 'eval' = 'window',
    threshold?: number,
  ): Promise<CodeUsage[]> {
    this.life.check('stageUsage');
    return Promise.all(this.stages.map((q) => q.usage(which, threshold)));
  }

  /** Every stage's pending events (inits, resets, rejected batches), ordered by each stage's own step. */
  async flushEvents(): Promise<QuantizerEvent[]> {
    this.life.check('flushEvents');
    const all = await Promise.all(this.stages.map((q) => q.flushEvents()));
    return all.flat().sort((a, b) => a.step - b.step);
  }

  async getState(): Promise<ResidualVectorQuantizerState> {
    this.life.check('getState');
    const state: ResidualVectorQuantizerState = {
      version: 1,
      kind: 'residual',
      depth: this.depth,
      sharedCodebook: this.sharedCodebook,
      step: this.stepCount,
      rng: this.rng.getState(),
      stages: await Promise.all(this.stages.map((q) => q.getState())),
    };
    if (this.projections !== null) state.projections = await projectionPairState(this.projections);
    return state;
  }

  setState(state: ResidualVectorQuantizerState): void {
    const fn = 'ResidualVectorQuantizer.setState';
    this.life.check('setState');
    checkStateKind(fn, state, 'residual', 'residual');
    if (
      state.depth !== this.depth ||
      state.sharedCodebook !== this.sharedCodebook ||
      !Array.isArray(state.stages) ||
      state.stages.length !== this.stages.length
    ) {
      throw new QuantizerError(
        `${fn}: state is for depth ${state.depth}, sharedCodebook ${state.sharedCodebook} (${state.stages?.length} stage states), this quantizer has depth ${this.depth}, sharedCodebook ${this.sharedCodebook}. Construct it with the saved options.`,
      );
    }
    checkProjectionPresence(fn, this.projections, state.projections, 'has');
    checkCounter(fn, 'step', state.step);
    this.stages.forEach((q, s) => {
      q.setState(state.stages[s]!);
    });
    setProjectionPairState(fn, this.projections, state.projections);
    this.rng.setState(state.rng);
    this.stepCount = state.step;
  }

  /**
   * The state without reads (for the tf.layers wrapper): every stage's live variables as
   * `stages.<s>.<name>`, the projections, and `host` `{ step, rng, stages }`.
   */
  liveState(): LiveState {
    this.life.check('liveState');
    const variables: Record<string, tf.Variable> = {};
    const stages = this.stages.map((q, s) => {
      const live = q.liveState();
      for (const [name, v] of Object.entries(live.variables)) variables[`stages.${s}.${name}`] = v;
      return live.host;
    });
    Object.assign(variables, projectionVariables(this.projections));
    return { variables, host: { step: this.stepCount, rng: this.rng.getState(), stages } };
  }

  /** Restores the `host` part of {@link liveState}. */
  setHostState(host: unknown): void {
    this.life.check('setHostState');
    const h = host as { step?: unknown; rng?: RngState; stages?: unknown[] } | null;
    if (
      !Number.isInteger(h?.step) ||
      (h?.step as number) < 0 ||
      !Array.isArray(h?.stages) ||
      h.stages.length !== this.stages.length
    ) {
      throw new QuantizerError(
        `ResidualVectorQuantizer.setHostState: expected { step, rng, stages: [${this.stages.length} stage states] } from liveState().host, got ${JSON.stringify(host)}.`,
      );
    }
    this.stages.forEach((q, s) => {
      q.setHostState(h.stages![s]);
    });
    this.rng.setState(h.rng as RngState);
    this.stepCount = h.step as number;
  }

  dispose(): void {
    if (!this.life.end()) return;
    for (const q of this.stages) q.dispose();
    disposeProjectionPair(this.projections);
  }
}

/**
 * `depth` and `quantizerDropoutMinDepth` of the options when both are integers, with
 * 1 ≤ quantizerDropoutMinDepth ≤ depth; returns the latter (default 1).
 * @throws {@link QuantizerError} naming the option, the value and the fix.
 */
function checkDepths(o: ResidualVectorQuantizerOptions): number {
  const fn = 'ResidualVectorQuantizer';
  if (!Number.isInteger(o.depth) || o.depth < 1) {
    throw new QuantizerError(
      `${fn}: depth must be an integer ≥ 1 (the number of stages), got ${JSON.stringify(o.depth)}. Use e.g. 4 (1 is a plain VectorQuantizer).`,
    );
  }
  const minDepth = o.quantizerDropoutMinDepth ?? DEFAULTS.quantizerDropoutMinDepth;
  if (!Number.isInteger(minDepth) || minDepth < 1 || minDepth > o.depth) {
    throw new QuantizerError(
      `${fn}: quantizerDropoutMinDepth must be an integer in [1, depth = ${o.depth}], got ${JSON.stringify(minDepth)}. Use e.g. 1.`,
    );
  }
  return minDepth;
}

interface StageResults {
  sum: tf.Tensor2D;
  idx: tf.Tensor1D[];
  counts: tf.Tensor1D[];
  losses: tf.Scalar[];
}
