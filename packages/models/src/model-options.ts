import type { ResChannels } from '@vqkit/backbones';
import type { NearestCodeSearch } from '@vqkit/quantizer';
import { checkFactor, checkInt, describe, fail } from './assert';
import { MODEL_DEFAULTS } from './defaults';
import { type EmaQuantizerOptions, emaQuantizerFactory } from './ema-quantizer-factory';
import type { QuantizerFactory } from './types';

/** Options both architectures take (the paper's names; every one has a default). */
export interface VQVAEOptions {
  /** Feature channels C of the encoders and decoder (even). @default 160 single-level (Cs), 128 hierarchical (Ch) */
  channels?: number;
  /** K per level. @default 8192 single-level (Ks), 4096 hierarchical (Kh) */
  codebookSize?: number;
  /** D: code dimension of every level. @default 8 */
  codeDim?: number;
  /** Downsampling of the (bottom) encoder, a power of two. @default 4 */
  downsample?: number;
  /** Residual blocks n per encoder/decoder. @default 2 */
  resBlocks?: number;
  /** Residual width R, or `'half'` for C/2. @default 'half' */
  resChannels?: ResChannels;
  /** Square input side S that `levels` describes; a multiple of the total downsampling. @default 256 */
  inputSize?: number;
  /** Image channels. @default 3 */
  imageChannels?: number;
  /** Seeds every weight and each quantizer (through one `Rng`). @default 0 */
  seed?: number;
  /**
   * Builds each level's quantizer; any `Quantizer` family plugs in.
   * @default emaQuantizerFactory({ vq, search }): an EMA `VectorQuantizer` per level
   */
  quantizer?: QuantizerFactory;
  /** Options of the default EMA quantizer (not with `quantizer`). @default {} */
  vq?: EmaQuantizerOptions;
  /** Nearest-code search of the default EMA quantizer (not with `quantizer`). @default chunkedNearestCode */
  search?: NearestCodeSearch;
}

/** What each architecture defaults on its own: C, K and D (see `SINGLE_LEVEL_DEFAULTS`). */
export interface ArchitectureDefaults {
  channels: number;
  codebookSize: number;
  codeDim: number;
}

/**
 * {@link VQVAEOptions} with every default applied and checked: the shared options (those of
 * {@link MODEL_DEFAULTS}), the architecture's own, and the quantizer factory.
 */
export type ResolvedOptions = typeof MODEL_DEFAULTS &
  Readonly<ArchitectureDefaults> & { readonly quantizer: QuantizerFactory };

/**
 * Applies the defaults (shared ones from {@link MODEL_DEFAULTS}, the architecture's own from
 * `own`) and checks every value; `multiple` is the total downsampling `inputSize` must divide by.
 */
export function resolveOptions(
  fn: string,
  options: VQVAEOptions,
  own: ArchitectureDefaults,
  multiple: (downsample: number) => number,
): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    fail(fn, 'options', 'an object', describe(options), 'Pass {} for the paper configuration.');
  }
  const o = { ...MODEL_DEFAULTS, ...own, ...definedOnly(options) };
  const channels = checkInt(fn, 'channels', o.channels, 2, `The paper uses ${own.channels}.`);
  if (channels % 2 !== 0) {
    fail(
      fn,
      'channels',
      'even (the first stage has C/2)',
      String(channels),
      `Use ${channels + 1}.`,
    );
  }
  const downsample = checkFactor(fn, 'downsample', o.downsample, 'The paper uses 4 (256 → 64).');
  const resChannels = o.resChannels;
  if (resChannels !== 'half') {
    checkInt(fn, 'resChannels', resChannels, 1, "Or pass 'half' for C/2 (the authors' width).");
  }
  const inputSize = checkInt(fn, 'inputSize', o.inputSize, 1, 'The paper uses 256.');
  const m = multiple(downsample);
  if (inputSize % m !== 0) {
    const lo = Math.floor(inputSize / m) * m;
    fail(
      fn,
      'inputSize',
      `a multiple of the total downsampling ${m}`,
      String(inputSize),
      `Use ${lo > 0 ? `${lo} or ` : ''}${lo + m}.`,
    );
  }
  return {
    channels,
    codebookSize: checkInt(
      fn,
      'codebookSize',
      o.codebookSize,
      1,
      `The paper uses ${own.codebookSize}.`,
    ),
    codeDim: checkInt(fn, 'codeDim', o.codeDim, 1, `The paper uses ${own.codeDim}.`),
    downsample,
    resBlocks: checkInt(fn, 'resBlocks', o.resBlocks, 0, "The authors' code uses 2."),
    resChannels,
    inputSize,
    imageChannels: checkInt(fn, 'imageChannels', o.imageChannels, 1, 'Use 3 for RGB.'),
    seed: checkInt(fn, 'seed', o.seed, 0, 'Pass e.g. seed: 0.'),
    quantizer: quantizerFactory(fn, options),
  };
}

function quantizerFactory(fn: string, options: VQVAEOptions): QuantizerFactory {
  if (options.quantizer === undefined) {
    return emaQuantizerFactory({
      ...(options.vq === undefined ? {} : { vq: options.vq }),
      ...(options.search === undefined ? {} : { search: options.search }),
    });
  }
  if (typeof options.quantizer !== 'function') {
    fail(
      fn,
      'quantizer',
      'a function (level) => Quantizer',
      describe(options.quantizer),
      'Pass e.g. (level) => new VectorQuantizer(level).',
    );
  }
  for (const key of ['vq', 'search'] as const) {
    if (options[key] !== undefined) {
      fail(
        fn,
        key,
        'absent when a quantizer factory is given',
        describe(options[key]),
        `${key} configures the default EMA quantizer only; configure yours inside the factory.`,
      );
    }
  }
  return options.quantizer;
}

/** The options that are not `undefined` (so an explicit `undefined` keeps the default). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
