import { PLAYGROUND_DEFAULTS as D } from './defaults';
import { PlaygroundError } from './errors';

export type Architecture = 'single' | 'hierarchical';
export type InitName = 'data' | 'kmeans' | 'random';
export type ResetName = 'windowed' | 'ema' | 'none';
export type ResetSource = 'recent-mean' | 'random-recent';
export type BackendRequest = 'auto' | 'webgpu' | 'webgl' | 'cpu';

/** Everything one training run on the page is built from (every field has a default in defaults.ts). */
export interface PlaygroundOptions {
  architecture: Architecture;
  /** K of the trained model. */
  codebookSize: number;
  /** D of the trained model. */
  codeDim: number;
  /** D of the capacity-matched partner (its K follows from eq. 5). */
  partnerCodeDim: number;
  /** C: encoder output width of the trained model. */
  channels: number;
  resBlocks: number;
  /** S: square crop side in pixels. */
  cropSize: number;
  /** Short side of the photo after scaling, in pixels. */
  imageSide: number;
  batchSize: number;
  learningRate: number;
  steps: number;
  evalEvery: number;
  init: InitName;
  reset: ResetName;
  /** Replacement vectors of the windowed reset. */
  resetSource: ResetSource;
  resetThreshold: number;
  resetWindow: number;
  commitmentWeight: number;
  decay: number;
  seed: number;
  backend: BackendRequest;
}

/** The defaults as a complete options object. */
export function defaultOptions(): PlaygroundOptions {
  return { ...D };
}

type NumberKey = {
  [K in keyof PlaygroundOptions]: PlaygroundOptions[K] extends number ? K : never;
}[keyof PlaygroundOptions];

/** Bounds of each numeric option: `integer`, inclusive `min`/`max`, and what the user sees it called. */
const NUMBER_RULES: Record<
  NumberKey,
  { label: string; min: number; max: number; integer: boolean }
> = {
  codebookSize: { label: 'Codebook size K', min: 2, max: 65536, integer: true },
  codeDim: { label: 'Code dimension D', min: 1, max: 512, integer: true },
  partnerCodeDim: { label: 'Partner code dimension', min: 1, max: 512, integer: true },
  channels: { label: 'Channels C', min: 1, max: 512, integer: true },
  resBlocks: { label: 'Residual blocks', min: 0, max: 8, integer: true },
  cropSize: { label: 'Crop size S', min: 8, max: 512, integer: true },
  imageSide: { label: 'Image side', min: 8, max: 2048, integer: true },
  batchSize: { label: 'Batch size', min: 1, max: 256, integer: true },
  learningRate: { label: 'Learning rate', min: 1e-7, max: 1, integer: false },
  steps: { label: 'Steps', min: 1, max: 1_000_000, integer: true },
  evalEvery: { label: 'Evaluate every', min: 1, max: 100_000, integer: true },
  resetThreshold: { label: 'Reset threshold', min: 1e-9, max: 1e9, integer: false },
  resetWindow: { label: 'Reset window', min: 1, max: 10_000, integer: true },
  commitmentWeight: { label: 'Commitment weight β', min: 0, max: 100, integer: false },
  decay: { label: 'EMA decay γ', min: 1e-6, max: 0.999999, integer: false },
  seed: { label: 'Seed', min: 0, max: 2 ** 32 - 1, integer: true },
};

const CHOICES = {
  architecture: ['single', 'hierarchical'],
  init: ['data', 'kmeans', 'random'],
  reset: ['windowed', 'ema', 'none'],
  resetSource: ['recent-mean', 'random-recent'],
  backend: ['auto', 'webgpu', 'webgl', 'cpu'],
} as const;

/** Crop sides must be multiples of this so both latent maps have integer sizes (S/4 and S/8). */
export const CROP_MULTIPLE = D.downsample * D.topDownsample;

function parseNumber(key: NumberKey, raw: string | undefined): number {
  const rule = NUMBER_RULES[key];
  const text = (raw ?? '').trim();
  const value = text === '' ? Number.NaN : Number(text);
  const kind = rule.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) {
    throw new PlaygroundError(
      `${rule.label} (${key}) must be ${kind} from ${rule.min} to ${rule.max}, got '${text}'. Default: ${D[key]}.`,
      'bad-option',
    );
  }
  if (value < rule.min || value > rule.max) {
    throw new PlaygroundError(
      `${rule.label} (${key}) must be ${kind} from ${rule.min} to ${rule.max}, got ${value}. Default: ${D[key]}.`,
      'bad-option',
    );
  }
  return value;
}

function parseChoice<K extends keyof typeof CHOICES>(
  key: K,
  raw: string | undefined,
): (typeof CHOICES)[K][number] {
  const allowed: readonly string[] = CHOICES[key];
  if (raw === undefined || !allowed.includes(raw)) {
    throw new PlaygroundError(
      `${key} must be one of ${allowed.join(', ')}, got '${raw ?? ''}'. Default: ${D[key]}.`,
      'bad-option',
    );
  }
  return raw as (typeof CHOICES)[K][number];
}

/**
 * Options from the form's raw string values (keyed by option name; a missing key takes its default),
 * validated field by field and then together.
 * @throws PlaygroundError (`bad-option`) naming the field, the allowed range, the value and the default.
 */
export function parseOptions(raw: Readonly<Record<string, string | undefined>>): PlaygroundOptions {
  const o = defaultOptions();
  const pick = (key: keyof PlaygroundOptions) => raw[key] ?? String(D[key]);
  for (const key of Object.keys(NUMBER_RULES) as NumberKey[]) o[key] = parseNumber(key, pick(key));
  o.architecture = parseChoice('architecture', pick('architecture'));
  o.init = parseChoice('init', pick('init'));
  o.reset = parseChoice('reset', pick('reset'));
  o.resetSource = parseChoice('resetSource', pick('resetSource'));
  o.backend = parseChoice('backend', pick('backend'));
  checkTogether(o);
  return o;
}

function checkTogether(o: PlaygroundOptions): void {
  if (o.cropSize % CROP_MULTIPLE !== 0) {
    const lo = Math.floor(o.cropSize / CROP_MULTIPLE) * CROP_MULTIPLE;
    throw new PlaygroundError(
      `Crop size S (cropSize) must be a multiple of ${CROP_MULTIPLE} (downsample ${D.downsample} × top downsample ${D.topDownsample}) so the latent maps are S/${D.downsample} and S/${CROP_MULTIPLE}, got ${o.cropSize}. Use ${lo >= 8 ? `${lo} or ` : ''}${lo + CROP_MULTIPLE}.`,
      'bad-option',
    );
  }
  if (o.cropSize > o.imageSide) {
    throw new PlaygroundError(
      `Crop size S (cropSize) = ${o.cropSize} is larger than the image side (imageSide) = ${o.imageSide}: crops are cut from the scaled photo. Raise the image side to at least ${o.cropSize} or lower the crop size.`,
      'bad-option',
    );
  }
}
