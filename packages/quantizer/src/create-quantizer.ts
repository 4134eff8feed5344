import { QuantizerError } from './errors';
import {
  FiniteScalarQuantizer,
  type FiniteScalarQuantizerOptions,
} from './finite-scalar-quantizer';
import {
  type InitPolicy,
  initFromData,
  initKMeans,
  initRandom,
  type KMeansInitOptions,
  type RandomInitOptions,
} from './init-policies';
import { LookupFreeQuantizer, type LookupFreeQuantizerOptions } from './lookup-free-quantizer';
import type { NearestCodeSearch } from './nearest-code';
import type { Quantizer } from './quantizer';
import {
  type EmaResetOptions,
  emaDeadCodeReset,
  noReset,
  type ResetPolicy,
} from './reset-policies';
import {
  ResidualVectorQuantizer,
  type ResidualVectorQuantizerOptions,
} from './residual-vector-quantizer';
import { VectorQuantizer } from './vector-quantizer';
import type { VectorQuantizerOptions } from './vector-quantizer-options';
import { type WindowedResetOptions, windowedDeadCodeReset } from './windowed-dead-code-reset';

/** An init policy as plain data: a name, or `{ kind, ...options }`. */
export type InitSpec =
  | 'data'
  | 'kmeans'
  | 'random'
  | { kind: 'data' }
  | ({ kind: 'kmeans' } & KMeansInitOptions)
  | ({ kind: 'random' } & RandomInitOptions);

/** A reset policy as plain data: a name, or `{ kind, ...options }`. */
export type ResetSpec =
  | 'windowed'
  | 'ema'
  | 'none'
  | ({ kind: 'windowed' } & WindowedResetOptions)
  | ({ kind: 'ema' } & EmaResetOptions)
  | { kind: 'none' };

type PolicySpecs = { init?: InitSpec; reset?: ResetSpec };

/** `{ kind: 'vq', ...VectorQuantizerOptions }` with policies as {@link InitSpec}/{@link ResetSpec}. */
export type VectorQuantizerSpec = { kind: 'vq' } & Omit<
  VectorQuantizerOptions,
  'init' | 'reset' | 'search'
> &
  PolicySpecs;
/** `{ kind: 'residual', ...ResidualVectorQuantizerOptions }` with policies as plain data. */
export type ResidualQuantizerSpec = { kind: 'residual' } & Omit<
  ResidualVectorQuantizerOptions,
  'init' | 'reset' | 'search'
> &
  PolicySpecs;
/** `{ kind: 'fsq', levels, ... }`. */
export type FiniteScalarQuantizerSpec = { kind: 'fsq' } & FiniteScalarQuantizerOptions;
/** `{ kind: 'lfq', codeDim, ... }`. */
export type LookupFreeQuantizerSpec = { kind: 'lfq' } & LookupFreeQuantizerOptions;

/** Any built-in family as plain, JSON-serialisable data (e.g. a run config's `quantizer`). */
export type QuantizerSpec =
  | VectorQuantizerSpec
  | ResidualQuantizerSpec
  | FiniteScalarQuantizerSpec
  | LookupFreeQuantizerSpec;

/** What a family's factory receives besides its spec: values that are not plain data. */
export interface QuantizerRuntime {
  /** Nearest-code search for codebook families (e.g. `@vqkit/kernels`' fused search). */
  search?: NearestCodeSearch;
}

/** How {@link createQuantizer} builds one family: its allowed keys and its constructor. */
export interface QuantizerFamily {
  /** Keys a spec of this family may have besides `kind`. */
  readonly keys: readonly string[];
  /** Builds the quantizer (the spec's keys are already checked against {@link keys}). */
  create(spec: Record<string, unknown>, runtime: QuantizerRuntime): Quantizer;
}

const VQ_KEYS = [
  'codebookSize',
  'codeDim',
  'codebookDim',
  'distance',
  'learning',
  'gradient',
  'decay',
  'epsilon',
  'commitmentWeight',
  'codebookLossWeight',
  'init',
  'reset',
  'chunkSize',
  'seed',
  'biasCorrection',
  'statsWindow',
] as const;

/** A policy kind as plain data: the option keys it takes and how to build it from them. */
interface PolicyKind<P> {
  readonly keys: readonly string[];
  create(options: object): P;
}

const INIT_KINDS: Record<string, PolicyKind<InitPolicy>> = {
  data: { keys: [], create: () => initFromData() },
  kmeans: { keys: ['iterations', 'maxSamples'], create: (o) => initKMeans(o as KMeansInitOptions) },
  random: { keys: ['mean', 'std'], create: (o) => initRandom(o as RandomInitOptions) },
};
const RESET_KINDS: Record<string, PolicyKind<ResetPolicy>> = {
  windowed: {
    keys: ['threshold', 'window', 'source', 'bufferSize', 'groupSize'],
    create: (o) => windowedDeadCodeReset(o as WindowedResetOptions),
  },
  ema: { keys: ['threshold'], create: (o) => emaDeadCodeReset(o as EmaResetOptions) },
  none: { keys: [], create: () => noReset() },
};

function checkKeys(fn: string, what: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (key !== 'kind' && !allowed.includes(key)) {
      throw new QuantizerError(
        `${fn}: unknown option '${key}' in ${what}. Allowed: ${allowed.length ? allowed.join(', ') : '(none)'}. Check the spelling.`,
      );
    }
  }
}

function kindOf(fn: string, what: string, spec: unknown, kinds: readonly string[]): string {
  const kind = typeof spec === 'string' ? spec : (spec as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !kinds.includes(kind)) {
    throw new QuantizerError(
      `${fn}: ${what} kind must be one of ${kinds.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(kind ?? spec)}.`,
    );
  }
  return kind;
}

/** An {@link InitPolicy} from its plain-data spec. */
export function initPolicyFromSpec(spec: InitSpec): InitPolicy {
  return policyFromSpec('initPolicyFromSpec', 'init', spec, INIT_KINDS);
}

/** A {@link ResetPolicy} from its plain-data spec. */
export function resetPolicyFromSpec(spec: ResetSpec): ResetPolicy {
  return policyFromSpec('resetPolicyFromSpec', 'reset', spec, RESET_KINDS);
}

/** A policy from `'kind'` or `{ kind, ...options }`, its kind and option names checked. */
function policyFromSpec<P>(
  fn: string,
  what: string,
  spec: string | { kind: string },
  kinds: Record<string, PolicyKind<P>>,
): P {
  const kind = kindOf(fn, what, spec, Object.keys(kinds));
  const options = typeof spec === 'string' ? {} : spec;
  const policy = kinds[kind]!;
  checkKeys(fn, `${what} '${kind}'`, options, policy.keys);
  return policy.create(options);
}

function codebookOptions(spec: Record<string, unknown>, runtime: QuantizerRuntime) {
  const { kind: _kind, init, reset, ...rest } = spec;
  return {
    ...rest,
    ...(init === undefined ? {} : { init: initPolicyFromSpec(init as InitSpec) }),
    ...(reset === undefined ? {} : { reset: resetPolicyFromSpec(reset as ResetSpec) }),
    ...(runtime.search === undefined ? {} : { search: runtime.search }),
  };
}

/** The built-in families by `kind`. Pass your own map to {@link createQuantizer} to add one. */
export const QUANTIZER_FAMILIES: Readonly<Record<string, QuantizerFamily>> = Object.freeze({
  vq: {
    keys: VQ_KEYS,
    create: (spec, runtime) =>
      new VectorQuantizer(codebookOptions(spec, runtime) as unknown as VectorQuantizerOptions),
  },
  residual: {
    keys: [...VQ_KEYS, 'depth', 'sharedCodebook', 'quantizerDropout', 'quantizerDropoutMinDepth'],
    create: (spec, runtime) =>
      new ResidualVectorQuantizer(
        codebookOptions(spec, runtime) as unknown as ResidualVectorQuantizerOptions,
      ),
  },
  fsq: {
    keys: ['levels', 'codeDim', 'boundEpsilon', 'statsWindow'],
    create: (spec) => {
      const { kind: _kind, ...options } = spec;
      return new FiniteScalarQuantizer(options as unknown as FiniteScalarQuantizerOptions);
    },
  },
  lfq: {
    keys: [
      'codeDim',
      'entropyWeight',
      'commitmentWeight',
      'diversityGamma',
      'inverseTemperature',
      'entropyChunkSize',
      'statsWindow',
    ],
    create: (spec) => {
      const { kind: _kind, ...options } = spec;
      return new LookupFreeQuantizer(options as unknown as LookupFreeQuantizerOptions);
    },
  },
});

/**
 * Builds a quantizer of any family from plain, JSON-serialisable data:
 * `createQuantizer({ kind: 'fsq', levels: [8, 5, 5, 5] })`. Unknown kinds and unknown option
 * names (typos) throw a {@link QuantizerError} listing what is allowed; values are validated by
 * the family's constructor with its own messages.
 *
 * @param spec - `{ kind: 'vq' | 'residual' | 'fsq' | 'lfq', ...options }` (init and reset
 *   policies as {@link InitSpec} / {@link ResetSpec}).
 * @param runtime - non-data values, e.g. a faster nearest-code `search`.
 * @param families - the families to choose from. @default QUANTIZER_FAMILIES
 */
export function createQuantizer(
  spec: VectorQuantizerSpec,
  runtime?: QuantizerRuntime,
): VectorQuantizer;
export function createQuantizer(
  spec: ResidualQuantizerSpec,
  runtime?: QuantizerRuntime,
): ResidualVectorQuantizer;
export function createQuantizer(
  spec: FiniteScalarQuantizerSpec,
  runtime?: QuantizerRuntime,
): FiniteScalarQuantizer;
export function createQuantizer(
  spec: LookupFreeQuantizerSpec,
  runtime?: QuantizerRuntime,
): LookupFreeQuantizer;
export function createQuantizer(
  spec: QuantizerSpec | ({ kind: string } & Record<string, unknown>),
  runtime?: QuantizerRuntime,
  families?: Readonly<Record<string, QuantizerFamily>>,
): Quantizer;
export function createQuantizer(
  spec: QuantizerSpec | ({ kind: string } & Record<string, unknown>),
  runtime: QuantizerRuntime = {},
  families: Readonly<Record<string, QuantizerFamily>> = QUANTIZER_FAMILIES,
): Quantizer {
  const fn = 'createQuantizer';
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new QuantizerError(
      `${fn}: spec must be an object { kind, ...options }, got ${JSON.stringify(spec)}. Use e.g. { kind: 'vq', codebookSize: 512, codeDim: 64 }.`,
    );
  }
  const kind = kindOf(fn, 'quantizer', spec, Object.keys(families));
  const family = families[kind]!;
  checkKeys(fn, `a '${kind}' spec`, spec, family.keys);
  return family.create(spec as Record<string, unknown>, runtime);
}
