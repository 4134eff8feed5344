import { BackbonesError } from './errors';
import { type ConvSpec, convParamCount } from './layers';

/**
 * One step of a backbone. A `res` step is the VQ-VAE-2 residual block
 * `x + Conv1×1(ReLU(Conv3×3(ReLU(x))))` (C → R → C).
 */
export type PlanStep =
  | { readonly type: 'conv'; readonly spec: ConvSpec }
  | { readonly type: 'relu' }
  | { readonly type: 'res'; readonly conv3x3: ConvSpec; readonly conv1x1: ConvSpec };

/** The full, allocation-free description of a backbone: its steps and channel/scale bookkeeping. */
export interface Plan {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Spatial factor: output size = input size × scale (0.25 for a ×4 encoder, 4 for a ×4 decoder). */
  readonly scale: number;
  /** Input height and width must be multiples of this (the encoder's downsampling factor, else 1). */
  readonly sizeMultiple: number;
  readonly steps: readonly PlanStep[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

export function checkName(fn: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new BackbonesError(
      `${fn}: name must be a dotted identifier such as 'encoder' or 'bottom.encoder', got ${JSON.stringify(name)}. ` +
        'It prefixes every variable name, so use letters, digits, underscores and dots only.',
    );
  }
  return name;
}

export function checkInt(
  fn: string,
  arg: string,
  value: unknown,
  min: number,
  hint: string,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new BackbonesError(
      `${fn}: ${arg} must be an integer ≥ ${min}, got ${String(value)}. ${hint}`,
    );
  }
  return value;
}

/** Returns log2(factor) for a power of two ≥ 2, or throws. */
export function checkFactor(fn: string, arg: string, value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 2 ||
    (value & (value - 1)) !== 0 ||
    value > 2 ** 20
  ) {
    throw new BackbonesError(
      `${fn}: ${arg} must be a power of two ≥ 2 (2, 4, 8, …), got ${String(value)}. ` +
        'The paper uses 4 for the bottom level (256 → 64) and 2 for the top level (64 → 32).',
    );
  }
  return Math.log2(value);
}

/**
 * Residual blocks n per encoder/decoder: 2. Source: the authors' released code
 * (`vqvae/utils.py`: `n_res_block=2`), VQ-VAE-2's value; the paper does not state it.
 */
export const DEFAULT_RES_BLOCKS = 2;

/**
 * Hidden width R of each residual block: a number, or `'half'` for half the module's feature
 * channels C (80 for Cs = 160, 64 for Ch = 128).
 */
export type ResChannels = number | 'half';

/**
 * Residual width default: `'half'`. Source: the authors' released code (`vqvae/utils.py`:
 * `n_res_channel = latent_channel // 2`); the paper does not state R.
 */
export const DEFAULT_RES_CHANNELS: ResChannels = 'half';

/**
 * The residual width R for a module with `channels` feature channels: `'half'` → C/2 (C is even,
 * see {@link checkChannels}), a number → that number (an integer ≥ 1).
 */
export function resolveResChannels(fn: string, value: unknown, channels: number): number {
  if (value === 'half') return channels / 2;
  return checkInt(
    fn,
    'resChannels',
    value,
    1,
    `Or pass 'half' for half the feature channels (${channels / 2} here), the authors' released code's width.`,
  );
}

export function checkChannels(fn: string, value: unknown): number {
  const c = checkInt(
    fn,
    'channels',
    value,
    2,
    'The paper uses 128 (hierarchical) or 160 (single-level).',
  );
  if (c % 2 !== 0) {
    throw new BackbonesError(
      `${fn}: channels must be even (the first stage has channels/2), got ${c}. Use ${c + 1} or ${c - 1}.`,
    );
  }
  return c;
}

function conv(
  name: string,
  kernel: number,
  stride: number,
  padding: number,
  inC: number,
  outC: number,
): ConvSpec {
  return { name, kind: 'conv', kernel, stride, padding, inChannels: inC, outChannels: outC };
}

function convT(name: string, inC: number, outC: number): ConvSpec {
  return {
    name,
    kind: 'convTranspose',
    kernel: 4,
    stride: 2,
    padding: 1,
    inChannels: inC,
    outChannels: outC,
  };
}

function resBlocks(
  prefix: string,
  channels: number,
  resChannels: number,
  count: number,
): PlanStep[] {
  const steps: PlanStep[] = [];
  for (let j = 0; j < count; j++) {
    steps.push({
      type: 'res',
      conv3x3: conv(`${prefix}.res.${j}.conv3x3`, 3, 1, 1, channels, resChannels),
      conv1x1: conv(`${prefix}.res.${j}.conv1x1`, 1, 1, 0, resChannels, channels),
    });
  }
  return steps;
}

export interface EncoderPlanOptions {
  name: string;
  inChannels: number;
  channels: number;
  downsample: number;
  resBlocks: number;
  resChannels: number;
}

/**
 * VQ-VAE-2 encoder, downsampling by `2^s`:
 * `down.0`: Conv4×4 s2 p1 (in → C/2), ReLU; `down.1 … down.{s−2}`: Conv4×4 s2 p1 (C/2 → C/2), ReLU;
 * `down.{s−1}` (s ≥ 2): Conv4×4 s2 p1 (C/2 → C), ReLU; `conv`: Conv3×3 p1 (C → C, or C/2 → C when
 * s = 1); n ResBlocks; ReLU. For s = 2 and s = 1 this is exactly PyTorch VQ-VAE-2's `stride=4` and
 * `stride=2` encoders.
 */
export function encoderPlan(o: EncoderPlanOptions): Plan {
  const s = Math.log2(o.downsample);
  const half = o.channels / 2;
  const steps: PlanStep[] = [];
  for (let i = 0; i < s; i++) {
    const inC = i === 0 ? o.inChannels : half;
    const outC = i === s - 1 && s >= 2 ? o.channels : half;
    steps.push(
      { type: 'conv', spec: conv(`${o.name}.down.${i}`, 4, 2, 1, inC, outC) },
      { type: 'relu' },
    );
  }
  steps.push({
    type: 'conv',
    spec: conv(`${o.name}.conv`, 3, 1, 1, s >= 2 ? o.channels : half, o.channels),
  });
  steps.push(...resBlocks(o.name, o.channels, o.resChannels, o.resBlocks), { type: 'relu' });
  return {
    name: o.name,
    inChannels: o.inChannels,
    outChannels: o.channels,
    scale: 1 / o.downsample,
    sizeMultiple: o.downsample,
    steps,
  };
}

export interface DecoderPlanOptions {
  name: string;
  inChannels: number;
  channels: number;
  outChannels: number;
  upsample: number;
  resBlocks: number;
  resChannels: number;
}

/**
 * VQ-VAE-2 decoder, upsampling by `2^s`:
 * `conv`: Conv3×3 p1 (in → C); n ResBlocks; ReLU; `up.0`: ConvT4×4 s2 p1 (C → C/2, or C → out when
 * s = 1); `up.1 … up.{s−2}`: ReLU, ConvT (C/2 → C/2); `up.{s−1}`: ReLU, ConvT (C/2 → out). No output
 * activation. For s = 2 and s = 1 this is exactly PyTorch VQ-VAE-2's `stride=4` and `stride=2` decoders.
 */
export function decoderPlan(o: DecoderPlanOptions): Plan {
  const s = Math.log2(o.upsample);
  const half = o.channels / 2;
  const steps: PlanStep[] = [
    { type: 'conv', spec: conv(`${o.name}.conv`, 3, 1, 1, o.inChannels, o.channels) },
  ];
  steps.push(...resBlocks(o.name, o.channels, o.resChannels, o.resBlocks), { type: 'relu' });
  for (let i = 0; i < s; i++) {
    if (i > 0) steps.push({ type: 'relu' });
    const inC = i === 0 ? o.channels : half;
    const outC = i === s - 1 ? o.outChannels : half;
    steps.push({ type: 'conv', spec: convT(`${o.name}.up.${i}`, inC, outC) });
  }
  return {
    name: o.name,
    inChannels: o.inChannels,
    outChannels: o.outChannels,
    scale: o.upsample,
    sizeMultiple: 1,
    steps,
  };
}

/** Eq. (1): the 1×1 projection `P_ω` into the quantisation space, C → D. Variables `${name}.weight/bias`. */
export function projectionPlan(name: string, inChannels: number, codeDim: number): Plan {
  return {
    name,
    inChannels,
    outChannels: codeDim,
    scale: 1,
    sizeMultiple: 1,
    steps: [{ type: 'conv', spec: conv(name, 1, 1, 0, inChannels, codeDim) }],
  };
}

/**
 * The top-code upsampler of the hierarchical model: `2^s` ConvT4×4 s2 p1 layers (`up.0 …`, in → out,
 * then out → out) with a ReLU between consecutive layers. For factor 2 this is PyTorch VQ-VAE-2's
 * `upsample_t = ConvTranspose2d(D, D, 4, stride=2, padding=1)`.
 */
export function upsamplerPlan(
  name: string,
  inChannels: number,
  outChannels: number,
  factor: number,
): Plan {
  const s = Math.log2(factor);
  const steps: PlanStep[] = [];
  for (let i = 0; i < s; i++) {
    if (i > 0) steps.push({ type: 'relu' });
    steps.push({
      type: 'conv',
      spec: convT(`${name}.up.${i}`, i === 0 ? inChannels : outChannels, outChannels),
    });
  }
  return { name, inChannels, outChannels, scale: factor, sizeMultiple: 1, steps };
}

/** All convolutions of a plan, in allocation order. */
export function planConvs(plan: Plan): ConvSpec[] {
  const out: ConvSpec[] = [];
  for (const step of plan.steps) {
    if (step.type === 'conv') out.push(step.spec);
    else if (step.type === 'res') out.push(step.conv3x3, step.conv1x1);
  }
  return out;
}

/** Trainable parameters of a plan (weights and biases of every convolution). */
export function planParamCount(plan: Plan): number {
  let n = 0;
  for (const spec of planConvs(plan)) n += convParamCount(spec);
  return n;
}
