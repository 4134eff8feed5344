import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { BackbonesError } from './errors';
import { applyConv, type ConvLayer, convOutputSize, createConvLayer } from './layers';
import {
  checkChannels,
  checkFactor,
  checkInt,
  checkName,
  DEFAULT_RES_BLOCKS,
  DEFAULT_RES_CHANNELS,
  decoderPlan,
  encoderPlan,
  type Plan,
  planConvs,
  projectionPlan,
  type ResChannels,
  resolveResChannels,
  upsamplerPlan,
} from './plan';

/** Anything that owns named variables: every backbone module, or {@link mergeVariables}' result. */
export interface VariableContainer {
  /** Variables keyed by stable hierarchical name (e.g. `encoder.down.0.weight`), in creation order. */
  readonly variables: Readonly<Record<string, tf.Variable>>;
}

/** What kind of module a {@link Backbone} is. */
export type BackboneKind = 'encoder' | 'decoder' | 'projection' | 'upsampler';

/**
 * A backbone module: `tf.Variable`s with stable names and a pure `apply`.
 *
 * All tensors are NHWC (`[batch, height, width, channels]`), float32.
 */
export interface Backbone extends VariableContainer {
  /** Prefix of every variable name. */
  readonly name: string;
  readonly kind: BackboneKind;
  /** Channels the input must have (last dimension). */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** Output height = input height × scale (e.g. 0.25 for a ×4 encoder, 2 for the upsampler). */
  readonly scale: number;
  /**
   * Runs the module on `x: [B, H, W, inChannels]` and returns `[B, H·scale, W·scale, outChannels]`.
   * A pure function of `x` and the current variable values (no reads, no side effects), so it can
   * be called inside `tf.variableGrads` / `tf.grad` and on any backend; intermediates are disposed.
   * @throws {BackbonesError} when `x` is not rank 4 float32 with `inChannels` channels, or an
   *   encoder's input height/width is not a multiple of its downsampling factor.
   */
  apply(x: tf.Tensor4D): tf.Tensor4D;
  /** The output shape for an input shape `[B, H, W, inChannels]`, validated like {@link apply}, without computing. */
  outputShape(inputShape: readonly number[]): [number, number, number, number];
  /** Number of trainable parameters (sum of all variable sizes). */
  countParams(): number;
  /** Disposes every variable; the module cannot be used afterwards. */
  dispose(): void;
}

/** A module's seed: a number (a fresh `Rng(seed)`) or an `Rng` to draw from (it advances). */
export type Seed = number | Rng;

class SequentialBackbone implements Backbone {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly scale: number;
  readonly variables: Readonly<Record<string, tf.Variable>>;
  private readonly layers = new Map<string, ConvLayer>();
  private readonly fn: string;
  private disposed = false;

  constructor(
    readonly kind: BackboneKind,
    private readonly plan: Plan,
    seed: Seed,
  ) {
    this.name = plan.name;
    this.inChannels = plan.inChannels;
    this.outChannels = plan.outChannels;
    this.scale = plan.scale;
    this.fn = `${kind} '${plan.name}'`;
    const rng = seed instanceof Rng ? seed : new Rng(seed);
    const variables: Record<string, tf.Variable> = {};
    for (const spec of planConvs(plan)) {
      const layer = createConvLayer(spec, rng);
      this.layers.set(spec.name, layer);
      variables[`${spec.name}.weight`] = layer.weight;
      variables[`${spec.name}.bias`] = layer.bias;
    }
    this.variables = Object.freeze(variables);
  }

  outputShape(inputShape: readonly number[]): [number, number, number, number] {
    const where = `${this.fn}.apply`;
    if (this.disposed) {
      throw new BackbonesError(
        `${where}: the module was disposed. Create a new one (or load weights into a fresh one).`,
      );
    }
    const shape = `[${inputShape.join(',')}]`;
    if (inputShape.length !== 4 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new BackbonesError(
        `${where}: x must be an NHWC tensor [batch, height, width, ${this.inChannels}] with positive sizes, got shape ${shape}. ` +
          'Add a batch dimension with tf.expandDims(x, 0) for a single image.',
      );
    }
    const [b, h, w, c] = inputShape as [number, number, number, number];
    if (c !== this.inChannels) {
      throw new BackbonesError(
        `${where}: x must have ${this.inChannels} channels (last dimension, NHWC), got shape ${shape}. ` +
          'Transpose NCHW input to NHWC, or create the module with the matching inChannels.',
      );
    }
    const m = this.plan.sizeMultiple;
    for (const [label, size] of [
      ['height', h],
      ['width', w],
    ] as const) {
      if (size % m !== 0) {
        const down = Math.floor(size / m) * m;
        throw new BackbonesError(
          `${where}: input ${label} ${size} is not a multiple of downsample = ${m} (x has shape ${shape}). ` +
            `Crop or pad the image to a multiple of ${m}, e.g. ${down > 0 ? `${down} or ` : ''}${down + m}.`,
        );
      }
    }
    let oh = h;
    let ow = w;
    for (const spec of planConvs(this.plan)) {
      oh = convOutputSize(spec, oh);
      ow = convOutputSize(spec, ow);
    }
    return [b, oh, ow, this.outChannels];
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    if (!(x instanceof tf.Tensor)) {
      throw new BackbonesError(
        `${this.fn}.apply: x must be a tf.Tensor4D, got ${typeof x}. Wrap data with tf.tensor4d(data, shape).`,
      );
    }
    this.outputShape(x.shape);
    if (x.dtype !== 'float32') {
      throw new BackbonesError(
        `${this.fn}.apply: x must be float32, got ${x.dtype}. Convert with tf.cast(x, 'float32') (and scale images to a float range).`,
      );
    }
    return tf.tidy(() => {
      let h: tf.Tensor4D = x;
      for (const step of this.plan.steps) {
        if (step.type === 'relu') h = tf.relu(h);
        else if (step.type === 'conv') h = applyConv(h, this.layers.get(step.spec.name)!);
        else {
          const r = applyConv(tf.relu(h), this.layers.get(step.conv3x3.name)!);
          h = tf.add(h, applyConv(tf.relu(r), this.layers.get(step.conv1x1.name)!));
        }
      }
      return h;
    });
  }

  countParams(): number {
    let n = 0;
    for (const v of Object.values(this.variables)) n += v.size;
    return n;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of Object.values(this.variables)) v.dispose();
  }
}

/** Options of {@link createEncoder}. */
export interface EncoderOptions {
  /** Input channels (3 for RGB images; the bottom encoder's C for the top encoder). */
  inChannels: number;
  /** Feature channels C (must be even). The paper: Ch = 128 hierarchical, Cs = 160 single-level. */
  channels: number;
  /** Spatial downsampling factor, a power of two ≥ 2: 4 for the bottom level, 2 for the top. */
  downsample: number;
  /** Number n of residual blocks (authors' released code: 2). @default 2 */
  resBlocks?: number;
  /**
   * Hidden channels R of each residual block, or `'half'` for C/2 (authors' released code:
   * `n_res_channel = latent_channel // 2`; the paper does not state R). @default 'half'
   */
  resChannels?: ResChannels;
  /** Seeds the PyTorch-default init; a number or an `Rng` to draw from. */
  seed: Seed;
  /** Prefix of every variable name. @default 'encoder' */
  name?: string;
}

/**
 * VQ-VAE-2 encoder `E_φ`: `x: [B, H, W, inChannels]` → `z_o: [B, H/f, W/f, C]` with f = `downsample`.
 *
 * ×4: Conv4×4 s2 (in→C/2) → ReLU → Conv4×4 s2 (C/2→C) → ReLU → Conv3×3 (C→C) → n ResBlocks → ReLU.
 * ×2: Conv4×4 s2 (in→C/2) → ReLU → Conv3×3 (C/2→C) → n ResBlocks → ReLU.
 * ×2^s, s > 2: further Conv4×4 s2 (C/2→C/2) → ReLU stages are inserted after the first one.
 * ResBlock: x + Conv1×1 (R→C)(ReLU(Conv3×3 (C→R)(ReLU(x)))).
 *
 * Variables: `${name}.down.{i}.{weight,bias}`, `${name}.conv.*`, `${name}.res.{j}.conv3x3.*`,
 * `${name}.res.{j}.conv1x1.*`. Input height and width must be multiples of `downsample`.
 */
export function createEncoder(options: EncoderOptions): Backbone {
  const fn = 'createEncoder';
  const o = options ?? ({} as EncoderOptions);
  checkFactor(fn, 'downsample', o.downsample);
  const name = checkName(fn, o.name ?? 'encoder');
  const inChannels = checkInt(fn, 'inChannels', o.inChannels, 1, 'Use 3 for RGB images.');
  const channels = checkChannels(fn, o.channels);
  const plan = encoderPlan({
    name,
    inChannels,
    channels,
    downsample: o.downsample,
    ...residual(fn, o, channels),
  });
  return new SequentialBackbone('encoder', plan, checkSeed(fn, o.seed));
}

/** Options of {@link createDecoder}. */
export interface DecoderOptions {
  /** Input channels: D for the single-level model, 2D for the hierarchical concat(z_q,b, upsample(z_q,t)). */
  inChannels: number;
  /** Feature channels C (must be even). */
  channels: number;
  /** Output channels (3 for RGB reconstructions). */
  outChannels: number;
  /** Spatial upsampling factor, a power of two ≥ 2 (match the encoder's `downsample`). */
  upsample: number;
  /** Number n of residual blocks (authors' released code: 2). @default 2 */
  resBlocks?: number;
  /**
   * Hidden channels R of each residual block, or `'half'` for C/2 (authors' released code:
   * `n_res_channel = latent_channel // 2`; the paper does not state R). @default 'half'
   */
  resChannels?: ResChannels;
  /** Seeds the PyTorch-default init; a number or an `Rng` to draw from. */
  seed: Seed;
  /** Prefix of every variable name. @default 'decoder' */
  name?: string;
}

/**
 * VQ-VAE-2 decoder `G_θ`: `z_q: [B, h, w, inChannels]` → `x̂: [B, h·f, w·f, outChannels]`, f = `upsample`.
 *
 * Conv3×3 (in→C) → n ResBlocks → ReLU → then for ×4: ConvT4×4 s2 (C→C/2) → ReLU → ConvT4×4 s2 (C/2→out);
 * ×2: ConvT4×4 s2 (C→out); ×2^s, s > 2: further ReLU → ConvT (C/2→C/2) stages before the last one.
 * No output activation.
 *
 * Variables: `${name}.conv.*`, `${name}.res.{j}.conv3x3.*`, `${name}.res.{j}.conv1x1.*`, `${name}.up.{i}.*`.
 */
export function createDecoder(options: DecoderOptions): Backbone {
  const fn = 'createDecoder';
  const o = options ?? ({} as DecoderOptions);
  return new SequentialBackbone(
    'decoder',
    buildDecoderPlan(fn, o, 'decoder'),
    checkSeed(fn, o.seed),
  );
}

function buildDecoderPlan(fn: string, o: DecoderOptions, defaultName: string): Plan {
  checkFactor(fn, 'upsample', o.upsample);
  const name = checkName(fn, o.name ?? defaultName);
  const inChannels = checkInt(
    fn,
    'inChannels',
    o.inChannels,
    1,
    'Use the code dimension D (2D for the hierarchical decoder).',
  );
  const channels = checkChannels(fn, o.channels);
  return decoderPlan({
    name,
    inChannels,
    channels,
    outChannels: checkInt(fn, 'outChannels', o.outChannels, 1, 'Use 3 for RGB images.'),
    upsample: o.upsample,
    ...residual(fn, o, channels),
  });
}

/** n and R of a module's residual blocks, defaults applied (R = C/2 for `'half'`). */
function residual(
  fn: string,
  o: { resBlocks?: number; resChannels?: ResChannels },
  channels: number,
): { resBlocks: number; resChannels: number } {
  return {
    resBlocks: checkInt(
      fn,
      'resBlocks',
      o.resBlocks ?? DEFAULT_RES_BLOCKS,
      0,
      `The authors' released code uses ${DEFAULT_RES_BLOCKS}.`,
    ),
    resChannels: resolveResChannels(fn, o.resChannels ?? DEFAULT_RES_CHANNELS, channels),
  };
}

/** Options of {@link createProjection}. */
export interface ProjectionOptions {
  /** Encoder channels C (C + D for the conditioned bottom level, which sees concat(z_o,b, topDecoder(z_q,t))). */
  inChannels: number;
  /** Code dimension D of the quantiser. */
  codeDim: number;
  /** Seeds the PyTorch-default init; a number or an `Rng` to draw from. */
  seed: Seed;
  /** Prefix of every variable name; the variables are `${name}.weight` and `${name}.bias`. @default 'projection' */
  name?: string;
}

/** Eq. (1), `z_e = P_ω(z_o)`: a 1×1 convolution `[B, H, W, C]` → `[B, H, W, D]`. One per level. */
export function createProjection(options: ProjectionOptions): Backbone {
  const fn = 'createProjection';
  const o = options ?? ({} as ProjectionOptions);
  const plan = projectionPlan(
    checkName(fn, o.name ?? 'projection'),
    checkInt(fn, 'inChannels', o.inChannels, 1, 'Use the encoder channels C.'),
    checkInt(fn, 'codeDim', o.codeDim, 1, 'The paper uses D = 8.'),
  );
  return new SequentialBackbone('projection', plan, checkSeed(fn, o.seed));
}

/** Options of {@link createUpsampler}. */
export interface UpsamplerOptions {
  /** Channels of the top code map (the code dimension D). */
  inChannels: number;
  /** Output channels. @default inChannels */
  outChannels?: number;
  /** Spatial factor, a power of two ≥ 2 (the ratio of bottom to top resolution). @default 2 */
  factor?: number;
  /** Seeds the PyTorch-default init; a number or an `Rng` to draw from. */
  seed: Seed;
  /** Prefix of every variable name; variables `${name}.up.{i}.{weight,bias}`. @default 'upsampler' */
  name?: string;
}

/**
 * The hierarchical model's `upsample(z_q,t)`: ConvT4×4 s2 p1 `[B, h, w, D]` → `[B, 2h, 2w, D]`, whose
 * output is concatenated with the bottom code, `z_q,h = concat(z_q,b, upsample(z_q,t))` (paper §3.1).
 * Factors 2^s use s transposed convolutions with a ReLU between consecutive ones.
 */
export function createUpsampler(options: UpsamplerOptions): Backbone {
  const fn = 'createUpsampler';
  const o = options ?? ({} as UpsamplerOptions);
  const inChannels = checkInt(fn, 'inChannels', o.inChannels, 1, 'Use the code dimension D.');
  const factor = o.factor ?? 2;
  checkFactor(fn, 'factor', factor);
  const plan = upsamplerPlan(
    checkName(fn, o.name ?? 'upsampler'),
    inChannels,
    checkInt(fn, 'outChannels', o.outChannels ?? inChannels, 1, 'Leave it out to keep D channels.'),
    factor,
  );
  return new SequentialBackbone('upsampler', plan, checkSeed(fn, o.seed));
}

/** Options of {@link createTopDecoder}. */
export interface TopDecoderOptions {
  /** Code dimension D of the top code map. */
  codeDim: number;
  /** Feature channels C (must be even). */
  channels: number;
  /** Output channels. @default codeDim */
  outChannels?: number;
  /** Spatial factor from the top to the bottom level. @default 2 */
  upsample?: number;
  /** Number n of residual blocks (authors' released code: 2). @default 2 */
  resBlocks?: number;
  /**
   * Hidden channels R of each residual block, or `'half'` for C/2 (authors' released code:
   * `n_res_channel = latent_channel // 2`; the paper does not state R). @default 'half'
   */
  resChannels?: ResChannels;
  /** Seeds the PyTorch-default init; a number or an `Rng` to draw from. */
  seed: Seed;
  /** Prefix of every variable name. @default 'topDecoder' */
  name?: string;
}

/**
 * The conditioned VQ-VAE-2 variant's top decoder (PyTorch `dec_t = Decoder(D, D, C, n, R, stride=2)`):
 * `z_q,t: [B, h, w, D]` → `[B, 2h, 2w, outChannels]`, a {@link createDecoder} with in = out = D and ×2.
 * The bottom level is then conditioned on it: its projection sees
 * `concat(z_o,b, topDecoder(z_q,t))` with C + D channels (`createProjection({ inChannels: C + D, … })`).
 */
export function createTopDecoder(options: TopDecoderOptions): Backbone {
  const fn = 'createTopDecoder';
  const o = options ?? ({} as TopDecoderOptions);
  const codeDim = checkInt(fn, 'codeDim', o.codeDim, 1, 'The paper uses D = 8.');
  const plan = buildDecoderPlan(
    fn,
    {
      inChannels: codeDim,
      channels: o.channels,
      outChannels: o.outChannels ?? codeDim,
      upsample: o.upsample ?? 2,
      resBlocks: o.resBlocks,
      resChannels: o.resChannels,
      seed: o.seed,
      name: o.name,
    },
    'topDecoder',
  );
  return new SequentialBackbone('decoder', plan, checkSeed(fn, o.seed));
}

function checkSeed(fn: string, seed: unknown): Seed {
  if (seed instanceof Rng) return seed;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new BackbonesError(
      `${fn}: seed must be a finite number or an Rng from @vqkit/random, got ${String(seed)}. ` +
        'Pass e.g. seed: 1 (give each module its own seed, or share one Rng between them).',
    );
  }
  return seed;
}

/**
 * Merges the variables of several modules into one container (for {@link saveWeights} /
 * {@link loadWeights} of a whole model), keeping each name.
 * @throws {BackbonesError} listing every name that occurs in more than one module.
 */
export function mergeVariables(...containers: readonly VariableContainer[]): VariableContainer {
  const variables: Record<string, tf.Variable> = {};
  const dups: string[] = [];
  for (const c of containers) {
    for (const [name, v] of Object.entries(c.variables)) {
      if (Object.hasOwn(variables, name)) dups.push(name);
      else variables[name] = v;
    }
  }
  if (dups.length > 0) {
    const problems = dups.map((n) => `variable '${n}' occurs in more than one module`);
    throw new BackbonesError(
      `mergeVariables: ${dups.length} duplicate variable name(s): ${dups.join(', ')}. ` +
        "Give each module its own name option (e.g. 'bottom.encoder' and 'top.encoder').",
      problems,
    );
  }
  return { variables: Object.freeze(variables) };
}
