import type { BudgetOptions } from './budget';
import { CapacityError } from './errors';
import { gcd } from './integers';
import type { HierarchicalConfig, SingleLevelConfig, SpatialSize } from './types';
import {
  hierarchicalConfig,
  inputPixels,
  positiveInteger,
  singleConfig,
  spatialSize,
} from './validate';

/**
 * The discrete part of a quantizer family's configuration — structurally a subset of
 * `@vqkit/quantizer`'s specs, so a spec can be passed as is.
 */
export type QuantizerFamilyConfig =
  /** Vector quantization: one index into K codes. */
  | { kind: 'vq'; codebookSize: number }
  /** Residual VQ: `depth` indices, each into K codes. */
  | { kind: 'residual'; depth: number; codebookSize: number }
  /** Finite scalar quantization: one level in [0, Lᵢ) per dimension. */
  | { kind: 'fsq'; levels: readonly number[] }
  /** Lookup-free quantization: one bit per dimension. */
  | { kind: 'lfq'; codeDim: number };

/** The discrete capacity of one family configuration on a latent map. */
export interface FamilyBudget {
  kind: QuantizerFamilyConfig['kind'];
  /** Bits per latent position: VQ log₂K; residual depth·log₂K; FSQ Σ log₂ Lᵢ; LFQ D. */
  bitsPerPosition: number;
  /** H·W latent positions. */
  positions: number;
  /** positions · bitsPerPosition. */
  bitsPerImage: number;
  /** bitsPerImage / (input height · width), or null without an input size. */
  bitsPerPixel: number | null;
}

/**
 * The code counts one latent position's index is made of (their product is the number of distinct
 * codes per position): VQ `[K]`, residual `[K, …]` (depth times), FSQ the levels, LFQ `[2, …]` (D
 * times). Validates the config.
 * @throws CapacityError for an unknown kind or non-integer / out-of-range sizes.
 */
export function familyCodeFactors(config: QuantizerFamilyConfig): number[] {
  return codeFactors('familyCodeFactors', config);
}

function codeFactors(fn: string, config: QuantizerFamilyConfig): number[] {
  const kind = (config as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case 'vq':
      return [
        positiveInteger(
          fn,
          'config.codebookSize',
          (config as { codebookSize: unknown }).codebookSize,
        ),
      ];
    case 'residual': {
      const c = config as { depth: unknown; codebookSize: unknown };
      const depth = positiveInteger(fn, 'config.depth', c.depth);
      const k = positiveInteger(fn, 'config.codebookSize', c.codebookSize);
      return new Array<number>(depth).fill(k);
    }
    case 'fsq': {
      const levels = (config as { levels: unknown }).levels;
      if (!Array.isArray(levels) || levels.length === 0) {
        throw new CapacityError(
          `${fn}: config.levels must be a non-empty array of integers ≥ 2, got ${JSON.stringify(levels)}. Use e.g. [8, 5, 5, 5].`,
          'invalid-argument',
        );
      }
      return levels.map((l, i) => {
        const v = positiveInteger(fn, `config.levels[${i}]`, l);
        if (v < 2) {
          throw new CapacityError(
            `${fn}: config.levels[${i}] must be ≥ 2 (a dimension with 1 level carries no bits), got ${v}.`,
            'invalid-argument',
          );
        }
        return v;
      });
    }
    case 'lfq':
      return new Array<number>(
        positiveInteger(fn, 'config.codeDim', (config as { codeDim: unknown }).codeDim),
      ).fill(2);
    default:
      throw new CapacityError(
        `${fn}: config.kind must be 'vq', 'residual', 'fsq' or 'lfq', got ${JSON.stringify(kind)}.`,
        'invalid-argument',
      );
  }
}

/** Bits per latent position of a family config: Σ log₂ of its {@link familyCodeFactors}. */
export function familyBitsPerPosition(config: QuantizerFamilyConfig): number {
  return codeFactors('familyBitsPerPosition', config).reduce((s, f) => s + Math.log2(f), 0);
}

/**
 * The discrete capacity of a family config on a latent map of `size`: bits per position, per
 * image and (given `options.inputSize`) per pixel.
 * @example familyBudget({ kind: 'fsq', levels: [8, 5, 5, 5] }, { height: 32, width: 32 }).bitsPerImage
 *   // 1024 · (3 + 3·log₂5) ≈ 10,205
 */
export function familyBudget(
  config: QuantizerFamilyConfig,
  size: SpatialSize,
  options: BudgetOptions = {},
): FamilyBudget {
  const fn = 'familyBudget';
  const factors = codeFactors(fn, config);
  const s = spatialSize(fn, 'size', size);
  const positions = s.height * s.width;
  const bitsPerPosition = factors.reduce((a, f) => a + Math.log2(f), 0);
  let bitsPerPixel: number | null = null;
  if (options.inputSize !== undefined)
    bitsPerPixel = (positions * bitsPerPosition) / inputPixels(fn, options.inputSize, [s]);
  return {
    kind: config.kind,
    bitsPerPosition,
    positions,
    bitsPerImage: positions * bitsPerPosition,
    bitsPerPixel,
  };
}

/** One term `positions · log₂ codebookSize` of a target's index bits per image. */
export interface CapacityTerm {
  positions: number;
  codebookSize: number;
}

/** A family configuration matched to a target capacity, with what it misses by. */
export interface FamilyMatch<C extends QuantizerFamilyConfig = QuantizerFamilyConfig> {
  config: C;
  bitsPerPosition: number;
  bitsPerImage: number;
  /** Target − this config's bits per image (positive: the family has fewer bits); 0 iff exact. */
  gapBitsPerImage: number;
  /** The same per latent position. */
  gapBitsPerPosition: number;
  /** Whether the bits per image are exactly equal (exact integer arithmetic: ∏ codes^positions). */
  exact: boolean;
}

/** Every family matched to one target. */
export interface FamilyMatches {
  /** The target: Σ positions·log₂K of its terms, and the latent positions the families use. */
  target: { bitsPerImage: number; bitsPerPosition: number; positions: number };
  vq: FamilyMatch<{ kind: 'vq'; codebookSize: number }>;
  residual: FamilyMatch<{ kind: 'residual'; depth: number; codebookSize: number }>;
  fsq: FamilyMatch<{ kind: 'fsq'; levels: number[] }>;
  lfq: FamilyMatch<{ kind: 'lfq'; codeDim: number }>;
}

/** Options of the family matchers. Defaults: {@link FAMILY_MATCH_DEFAULTS}. */
export interface FamilyMatchOptions {
  /**
   * Residual: fix `codebookSize` (depth follows) or `depth` (K follows), or both (evaluated as is).
   * @default `{ codebookSize: Kh }` against a hierarchical pair, `{ depth: 2 }` against a single level
   */
  residual?: { depth?: number; codebookSize?: number };
  /** FSQ: the number of dimensions (any when omitted) and the allowed levels per dimension. */
  fsq?: { codeDim?: number; minLevel?: number; maxLevel?: number };
}

/** Defaults of the family matchers. */
export const FAMILY_MATCH_DEFAULTS = Object.freeze({
  /** Residual depth against a single-level target. vqkit choice: the smallest depth that is residual. */
  residualDepth: 2,
  /**
   * FSQ levels per dimension. vqkit choice following the FSQ paper's level sets (e.g. [8, 5, 5, 5]),
   * which use 5 to 8 levels per dimension.
   */
  fsqMinLevel: 5,
  fsqMaxLevel: 8,
});

/** Whether ∏ factors^positions = ∏ K_j^{p_j} exactly (BigInt, exponents reduced by their gcd). */
function exactlyEqual(
  factors: number[],
  positions: number,
  terms: readonly CapacityTerm[],
): boolean {
  const g = terms.reduce((a, t) => gcd(a, t.positions), positions);
  const pow = (base: number, e: number) => BigInt(base) ** BigInt(e / g);
  const left = factors.reduce((acc, f) => acc * pow(f, positions), 1n);
  const right = terms.reduce((acc, t) => acc * pow(t.codebookSize, t.positions), 1n);
  return left === right;
}

function evaluate<C extends QuantizerFamilyConfig>(
  config: C,
  factors: number[],
  positions: number,
  terms: readonly CapacityTerm[],
  targetBits: number,
): FamilyMatch<C> {
  const bitsPerPosition = factors.reduce((s, f) => s + Math.log2(f), 0);
  const exact = exactlyEqual(factors, positions, terms);
  const gap = exact ? 0 : targetBits - positions * bitsPerPosition;
  return {
    config,
    bitsPerPosition,
    bitsPerImage: positions * bitsPerPosition,
    gapBitsPerImage: gap,
    gapBitsPerPosition: gap / positions,
    exact,
  };
}

/** The candidate with the smallest |gap| (exact first); ties keep the earlier candidate. */
function best<C extends QuantizerFamilyConfig>(candidates: FamilyMatch<C>[]): FamilyMatch<C> {
  return candidates.reduce((a, b) =>
    Number(b.exact) > Number(a.exact) ||
    (b.exact === a.exact && Math.abs(b.gapBitsPerImage) < Math.abs(a.gapBitsPerImage))
      ? b
      : a,
  );
}

/** Integers around 2^bits (its floor and ceiling, ≥ 1), or a `too-large` error. */
function aroundPowerOfTwo(fn: string, what: string, bits: number): number[] {
  const v = 2 ** bits;
  if (!(v <= Number.MAX_SAFE_INTEGER)) {
    throw new CapacityError(
      `${fn}: ${what} = 2^${bits} exceeds Number.MAX_SAFE_INTEGER; use a smaller target.`,
      'too-large',
    );
  }
  return [...new Set([Math.max(1, Math.floor(v)), Math.max(1, Math.ceil(v))])];
}

/** Non-increasing FSQ level tuples in [min, max] closest to `bits` (exhaustive with pruning). */
function fsqCandidates(bits: number, dims: number[], min: number, max: number): number[][] {
  let bestGap = Number.POSITIVE_INFINITY;
  let found: number[][] = [];
  const consider = (levels: number[]) => {
    const gap = Math.abs(bits - levels.reduce((s, l) => s + Math.log2(l), 0));
    if (gap < bestGap - 1e-12) {
      bestGap = gap;
      found = [levels];
    } else if (Math.abs(gap - bestGap) <= 1e-12) {
      found.push(levels);
    }
  };
  const extend = (prefix: number[], sum: number, length: number) => {
    if (prefix.length === length) {
      consider(prefix);
      return;
    }
    const remaining = length - prefix.length;
    const top = prefix.length === 0 ? max : prefix[prefix.length - 1]!;
    for (let l = top; l >= min; l--) {
      const s = sum + Math.log2(l);
      // The rest adds at least log₂min per dimension: prune once that overshoots past the best.
      if (s + (remaining - 1) * Math.log2(min) - bits > bestGap + 1e-12) continue;
      // The rest adds at most log₂l per dimension: prune when even that stays short of the best.
      if (bits - (s + (remaining - 1) * Math.log2(l)) > bestGap + 1e-12) break;
      extend([...prefix, l], s, length);
    }
  };
  for (const d of dims) extend([], 0, d);
  return found;
}

/**
 * Each family's configuration closest to a target capacity of `Σ_j p_j·log₂K_j` bits per image on
 * `positions` latent positions: VQ `K ≈ 2^b`, residual depth or K, FSQ levels, LFQ `D ≈ b` (b the
 * target bits per position). Every match carries its gap (target − match, per image and per
 * position) and whether it is exact; nothing is rounded silently.
 *
 * @throws CapacityError for invalid terms, positions or options.
 */
export function matchFamiliesToBits(
  terms: readonly CapacityTerm[],
  positions: number,
  options: FamilyMatchOptions = {},
  fn = 'matchFamiliesToBits',
): FamilyMatches {
  if (!Array.isArray(terms) || terms.length === 0) {
    throw new CapacityError(
      `${fn}: terms must be a non-empty array of { positions, codebookSize }, got ${JSON.stringify(terms)}.`,
      'invalid-argument',
    );
  }
  const clean = terms.map((t, i) => ({
    positions: positiveInteger(fn, `terms[${i}].positions`, t?.positions),
    codebookSize: positiveInteger(fn, `terms[${i}].codebookSize`, t?.codebookSize),
  }));
  const p = positiveInteger(fn, 'positions', positions);
  const bitsPerImage = clean.reduce((s, t) => s + t.positions * Math.log2(t.codebookSize), 0);
  const b = bitsPerImage / p;
  const at = <C extends QuantizerFamilyConfig>(config: C) =>
    evaluate(config, codeFactors(fn, config), p, clean, bitsPerImage);

  const vq = best(
    aroundPowerOfTwo(fn, 'codebookSize', b).map((k) =>
      at({ kind: 'vq' as const, codebookSize: k }),
    ),
  );
  const lfq = best(
    [...new Set([Math.max(1, Math.floor(b)), Math.max(1, Math.ceil(b))])].map((d) =>
      at({ kind: 'lfq' as const, codeDim: d }),
    ),
  );
  const residual = matchResidual(
    fn,
    b,
    options.residual ?? { depth: FAMILY_MATCH_DEFAULTS.residualDepth },
    at,
  );
  const fsq = matchFsq(fn, b, options.fsq ?? {}, at);
  return { target: { bitsPerImage, bitsPerPosition: b, positions: p }, vq, residual, fsq, lfq };
}

function matchResidual(
  fn: string,
  b: number,
  opts: { depth?: number; codebookSize?: number },
  at: <C extends QuantizerFamilyConfig>(config: C) => FamilyMatch<C>,
): FamilyMatches['residual'] {
  const kind = 'residual' as const;
  const depth =
    opts.depth === undefined
      ? undefined
      : positiveInteger(fn, 'options.residual.depth', opts.depth);
  const k =
    opts.codebookSize === undefined
      ? undefined
      : positiveInteger(fn, 'options.residual.codebookSize', opts.codebookSize);
  if (depth !== undefined && k !== undefined) return at({ kind, depth, codebookSize: k });
  if (k !== undefined) {
    if (k < 2) {
      throw new CapacityError(
        `${fn}: options.residual.codebookSize must be ≥ 2 to derive a depth (1 code carries no bits), got ${k}.`,
        'invalid-argument',
      );
    }
    const d = b / Math.log2(k);
    const depths = [...new Set([Math.max(1, Math.floor(d)), Math.max(1, Math.ceil(d))])];
    return best(depths.map((dd) => at({ kind, depth: dd, codebookSize: k })));
  }
  const dd = depth ?? FAMILY_MATCH_DEFAULTS.residualDepth;
  return best(
    aroundPowerOfTwo(fn, 'residual codebookSize', b / dd).map((kk) =>
      at({ kind, depth: dd, codebookSize: kk }),
    ),
  );
}

function matchFsq(
  fn: string,
  b: number,
  opts: { codeDim?: number; minLevel?: number; maxLevel?: number },
  at: <C extends QuantizerFamilyConfig>(config: C) => FamilyMatch<C>,
): FamilyMatches['fsq'] {
  const min = positiveInteger(
    fn,
    'options.fsq.minLevel',
    opts.minLevel ?? FAMILY_MATCH_DEFAULTS.fsqMinLevel,
  );
  const max = positiveInteger(
    fn,
    'options.fsq.maxLevel',
    opts.maxLevel ?? FAMILY_MATCH_DEFAULTS.fsqMaxLevel,
  );
  if (min < 2 || max < min) {
    throw new CapacityError(
      `${fn}: options.fsq needs 2 ≤ minLevel ≤ maxLevel, got minLevel ${min}, maxLevel ${max}. Use e.g. 5 and 8.`,
      'invalid-argument',
    );
  }
  let dims: number[];
  if (opts.codeDim !== undefined) {
    dims = [positiveInteger(fn, 'options.fsq.codeDim', opts.codeDim)];
  } else {
    const most = Math.max(1, Math.ceil(b / Math.log2(min)));
    dims = Array.from({ length: most }, (_, i) => i + 1);
  }
  if (Math.max(...dims) > 64) {
    throw new CapacityError(
      `${fn}: FSQ would need ${Math.max(...dims)} dimensions for ${b.toFixed(2)} bits per position; fix options.fsq.codeDim or raise maxLevel.`,
      'too-large',
    );
  }
  // Among equally close sets: exact first, then the smallest largest level (closest to uniform),
  // then fewer dimensions.
  const matches = fsqCandidates(b, dims, min, max).map((levels) =>
    at({ kind: 'fsq' as const, levels }),
  );
  return matches.reduce((a, c) => {
    const key = (m: typeof c) => [
      Number(!m.exact),
      Math.max(...m.config.levels),
      m.config.levels.length,
    ];
    const [ka, kc] = [key(a), key(c)];
    for (let i = 0; i < ka.length; i++) if (kc[i]! !== ka[i]!) return kc[i]! < ka[i]! ? c : a;
    return a;
  });
}

/**
 * Every family matched to a single-level VQ's index bits `Hs·Ws·log₂Ks`, on its Hs·Ws positions
 * (the VQ itself matches exactly; residual defaults to depth 2).
 */
export function matchFamiliesToSingle(
  single: SingleLevelConfig,
  options: FamilyMatchOptions = {},
): FamilyMatches {
  const fn = 'matchFamiliesToSingle';
  const s = singleConfig(fn, single);
  const positions = s.height * s.width;
  return matchFamiliesToBits([{ positions, codebookSize: s.codebookSize }], positions, options, fn);
}

/**
 * Every family, as a single-level quantizer at the bottom resolution (Hs·Ws = Hb·Wb, eq. 4),
 * matched to a hierarchical pair's index bits `(Hb·Wb + Ht·Wt)·log₂Kh`. The residual quantizer
 * keeps the pair's Kh by default, so its depth answers "how many stages match a hierarchy" — for
 * the paper's 64×64 + 32×32 that is 1.25, reported as depth 1 with its gap, never rounded silently.
 */
export function matchFamiliesToHierarchical(
  hierarchical: HierarchicalConfig,
  options: FamilyMatchOptions = {},
): FamilyMatches {
  const fn = 'matchFamiliesToHierarchical';
  const h = hierarchicalConfig(fn, hierarchical);
  const bottom = h.bottom.height * h.bottom.width;
  const top = h.top.height * h.top.width;
  return matchFamiliesToBits(
    [
      { positions: bottom, codebookSize: h.codebookSize },
      { positions: top, codebookSize: h.codebookSize },
    ],
    bottom,
    { ...options, residual: options.residual ?? { codebookSize: h.codebookSize } },
    fn,
  );
}
