import { type Budget, type BudgetOptions, hierarchicalBudget, singleLevelBudget } from './budget';
import { type CapacityAlternative, CapacityError, formatAlternatives } from './errors';
import {
  divisorsOfProduct,
  exactRoot,
  gcd,
  group,
  integerRoot,
  neighbours,
  powersEqual,
  safePow,
} from './integers';
import type { HierarchicalConfig, MatchMode, SingleLevelConfig, SpatialSize } from './types';
import {
  assertCoarser,
  hierarchicalConfig,
  matchMode,
  positiveInteger,
  singleConfig,
  spatialSize,
} from './validate';

/** Budget differences, always hierarchical − single (positive: the hierarchical model has more). */
export interface BudgetGap {
  /** Continuous latent budget difference (0 for every matched pair: eq. 4). */
  continuous: number;
  /** Discrete codebook budget difference (0 under `match: 'kd'`: eq. 5). */
  discrete: number;
  /**
   * Index bits per image difference (0 under `match: 'bits'`). Under eqs. 4–5 the hierarchical model
   * gets more: Kh = 1024, Ks = 2048, 64×64 + 32×32 gives 51,200 − 45,056 = 6,144 bits.
   */
  indexBits: number;
  /** Bits per pixel difference, or null when no input size was given. */
  bitsPerPixel: number | null;
}

/** A single-level and a hierarchical config matched by eq. 4 and eq. 5 (or equal index bits). */
export interface MatchedPair {
  /** Which budgets were equalised: `kd` (eqs. 4–5) or `bits` (eq. 4 + equal index bits). */
  match: MatchMode;
  single: SingleLevelConfig;
  hierarchical: HierarchicalConfig;
  /** Both configs' budgets side by side. */
  budgets: { single: Budget; hierarchical: Budget };
  /** hierarchical − single for every budget. */
  gap: BudgetGap;
}

/** Options of {@link matchSingleToHierarchical}. */
export interface MatchSingleOptions extends BudgetOptions {
  /**
   * `kd`: eq. 5, Ks·Ds = 2·Kh·Dh. `bits`: equal index bits, Hs·Ws·log2 Ks = (Hb·Wb + Ht·Wt)·log2 Kh,
   * instead of eq. 5 (eq. 4 always holds).
   * @default 'kd'
   */
  match?: MatchMode;
  /**
   * Ds. Under `kd` it fixes Ds and Ks follows (Ks = 2·Kh·Dh / Ds); under `bits` Ks is fixed by the
   * bit equation and Ds is free.
   * @default Dh, unless `codebookSize` is given under `kd` (then Ds follows from it)
   */
  codeDim?: number;
  /**
   * Ks. Under `kd` it fixes Ks and Ds follows (Ds = 2·Kh·Dh / Ks); under `bits` it must equal the
   * bit-matched Ks or a `conflicting-options` error is thrown.
   * @default 2·Kh·Dh / Ds under `kd`; Kh^((Hb·Wb + Ht·Wt) / (Hs·Ws)) under `bits`
   */
  codebookSize?: number;
  /**
   * Hs×Ws of the single level; must have Hs·Ws = Hb·Wb positions.
   * @default the bottom level's size
   */
  size?: SpatialSize;
}

/** Options of {@link matchHierarchicalToSingle}. */
export interface MatchHierarchicalOptions extends BudgetOptions {
  /**
   * `kd`: eq. 5, 2·Kh·Dh = Ks·Ds. `bits`: equal index bits instead of eq. 5 (eq. 4 always holds).
   * @default 'kd'
   */
  match?: MatchMode;
  /**
   * Hb×Wb; must have Hb·Wb = Hs·Ws positions.
   * @default the single level's size
   */
  bottom?: SpatialSize;
  /**
   * Top sizes to consider, each strictly coarser than the bottom.
   * @default every Hb/f × Wb/f for integers f ≥ 2 dividing both sides, coarsest last
   */
  tops?: readonly SpatialSize[];
  /**
   * Dh, or `'all'` to list every integer factorisation Kh·Dh = Ks·Ds / 2 (under `kd`).
   * @default Ds, unless `codebookSize` is given under `kd` (then Dh follows from it)
   */
  codeDim?: number | 'all';
  /**
   * Kh. Under `kd`, Dh follows (Dh = Ks·Ds / (2·Kh)); under `bits` it must equal the bit-matched Kh.
   * @default Ks·Ds / (2·Dh) under `kd`; the bit-matched Kh under `bits`
   */
  codebookSize?: number;
}

/** One equation of {@link checkMatched}: both sides and the difference hierarchical − single. */
export interface EquationCheck {
  /** Whether both sides are exactly equal (exact integer arithmetic, also for index bits). */
  holds: boolean;
  /** The single-level side. */
  single: number;
  /** The hierarchical side. */
  hierarchical: number;
  /** hierarchical − single (0 when `holds`). */
  difference: number;
}

/** Result of {@link checkMatched}. */
export interface MatchCheck {
  /** The mode checked. */
  match: MatchMode;
  /** True when every equation the mode requires holds. */
  matched: boolean;
  /** Hs·Ws = Hb·Wb (precondition of eq. 4). */
  spatial: EquationCheck;
  /** Eq. 4: Hs·Ws·Cs = Hb·Wb·Ch + Ht·Wt·Ch. */
  continuous: EquationCheck;
  /** Eq. 5: Ks·Ds = 2·Kh·Dh. */
  discrete: EquationCheck;
  /** Hs·Ws·log2 Ks = (Hb·Wb + Ht·Wt)·log2 Kh. */
  indexBits: EquationCheck;
  /** One line per required equation that fails, naming it and by how much (empty when matched). */
  failures: string[];
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function positions(s: SpatialSize): number {
  return s.height * s.width;
}

/** Exact test of equal index bits: Ks^(Hs·Ws) = Kh^(Hb·Wb + Ht·Wt). */
function bitsEqual(single: SingleLevelConfig, hier: HierarchicalConfig): boolean {
  return powersEqual(
    single.codebookSize,
    single.height * single.width,
    hier.codebookSize,
    positions(hier.bottom) + positions(hier.top),
  );
}

function pairOf(
  match: MatchMode,
  single: SingleLevelConfig,
  hierarchical: HierarchicalConfig,
  options: BudgetOptions,
): MatchedPair {
  const s = singleLevelBudget(single, options);
  const h = hierarchicalBudget(hierarchical, options);
  const exactBits = bitsEqual(single, hierarchical);
  return {
    match,
    single,
    hierarchical,
    budgets: { single: s, hierarchical: h },
    gap: {
      continuous: h.continuous - s.continuous,
      discrete: h.discrete - s.discrete,
      indexBits: exactBits ? 0 : h.indexBits - s.indexBits,
      bitsPerPixel:
        h.bitsPerPixel === null || s.bitsPerPixel === null
          ? null
          : exactBits
            ? 0
            : h.bitsPerPixel - s.bitsPerPixel,
    },
  };
}

function fmtSize(s: SpatialSize): string {
  return `${s.height}x${s.width}`;
}

/** Cs from eq. 4, or a CapacityError listing the nearest channel counts that give an integer Cs. */
function singleChannels(fn: string, hier: HierarchicalConfig, single: SpatialSize): number {
  const t = positions(hier.bottom) + positions(hier.top);
  const s = positions(single);
  const num = t * hier.channels;
  if (num % s === 0) return num / s;
  const step = s / gcd(t, s);
  const lower = Math.floor(hier.channels / step) * step;
  const alternatives: CapacityAlternative[] = [lower, lower + step]
    .filter((c) => c >= 1)
    .map((c) => ({ change: { channels: c }, yields: { singleChannels: (c * t) / s } }));
  const cs = num / s;
  const lo = Math.floor(cs);
  const hi = Math.ceil(cs);
  throw new CapacityError(
    `${fn}: Cs = (Hb·Wb + Ht·Wt)·Ch / (Hs·Ws) = (${positions(hier.bottom)} + ${positions(hier.top)})·${hier.channels} / ${s} ` +
      `would be ${group(cs)}, not an integer, so eq. 4 has no integer solution. Nearest valid: ${formatAlternatives(alternatives)} ` +
      `(channels must be a multiple of ${step}). Rounding Cs to ${lo} or ${hi} would miss eq. 4 by ` +
      `${group(num - lo * s)} and ${group(hi * s - num)} latent values, so it is never done silently.`,
    'no-integer-solution',
    alternatives,
  );
}

/** Nearest divisors of `budget` around `x`, as alternatives for the quantity named `changed`. */
function divisorAlternatives(
  budget: number,
  factors: number[],
  x: number,
  changed: string,
  yielded: string,
): CapacityAlternative[] {
  return neighbours(divisorsOfProduct(factors), x).map((d) => ({
    change: { [changed]: d },
    yields: { [yielded]: budget / d },
  }));
}

/**
 * The single-level config matched to a hierarchical one (paper §3.2).
 *
 * - Eq. 4 (continuous budget): Hs·Ws = Hb·Wb and Hs·Ws·Cs = Hb·Wb·Ch + Ht·Wt·Ch, so
 *   Cs = Ch·(Hb·Wb + Ht·Wt) / (Hs·Ws).
 * - Eq. 5 (`match: 'kd'`, default): Ks·Ds = 2·Kh·Dh. Ds defaults to Dh (Ks = 2·Kh); fix Ds or Ks via options.
 * - `match: 'bits'`: instead of eq. 5, equal index bits per image, Hs·Ws·log2 Ks = (Hb·Wb + Ht·Wt)·log2 Kh,
 *   i.e. Ks = Kh^((Hb·Wb + Ht·Wt)/(Hs·Ws)), which must be an integer.
 *
 * The result carries both budgets and their gap (hierarchical − single), including the index-bit gap
 * that eqs. 4–5 leave.
 *
 * @throws CapacityError for invalid sizes, a top not coarser than the bottom, or when no integer solution
 *   exists (`alternatives` lists the nearest inputs that have one).
 * @example
 * matchSingleToHierarchical({ bottom: { height: 64, width: 64 }, top: { height: 32, width: 32 },
 *   channels: 128, codebookSize: 4096, codeDim: 8 }).single
 * // { height: 64, width: 64, channels: 160, codebookSize: 8192, codeDim: 8 }
 */
export function matchSingleToHierarchical(
  hierarchical: HierarchicalConfig,
  options: MatchSingleOptions = {},
): MatchedPair {
  const fn = 'matchSingleToHierarchical';
  const hier = hierarchicalConfig(fn, hierarchical);
  const mode = matchMode(fn, options.match);
  const size =
    options.size === undefined ? hier.bottom : spatialSize(fn, 'options.size', options.size);
  if (positions(size) !== positions(hier.bottom)) {
    throw new CapacityError(
      `${fn}: options.size ${fmtSize(size)} has ${positions(size)} positions but eq. 4 needs Hs·Ws = Hb·Wb = ` +
        `${positions(hier.bottom)}. Use the bottom size ${fmtSize(hier.bottom)} or another factorisation of ${positions(hier.bottom)}.`,
      'spatial-mismatch',
      [
        {
          change: { height: hier.bottom.height, width: hier.bottom.width },
          yields: { positions: positions(hier.bottom) },
        },
      ],
    );
  }
  const channels = singleChannels(fn, hier, size);
  const fixedDs =
    options.codeDim === undefined
      ? undefined
      : positiveInteger(fn, 'options.codeDim', options.codeDim);
  const fixedKs =
    options.codebookSize === undefined
      ? undefined
      : positiveInteger(fn, 'options.codebookSize', options.codebookSize);
  let codebookSize: number;
  let codeDim: number;
  if (mode === 'kd') {
    const budget = 2 * hier.codebookSize * hier.codeDim;
    const factors = [2, hier.codebookSize, hier.codeDim];
    if (fixedKs !== undefined && fixedDs !== undefined) {
      if (fixedKs * fixedDs !== budget) {
        const alternatives: CapacityAlternative[] = [];
        if (budget % fixedKs === 0)
          alternatives.push({
            change: { singleCodeDim: budget / fixedKs },
            yields: { singleCodebookSize: fixedKs },
          });
        if (budget % fixedDs === 0)
          alternatives.push({
            change: { singleCodebookSize: budget / fixedDs },
            yields: { singleCodeDim: fixedDs },
          });
        throw new CapacityError(
          `${fn}: options.codebookSize ${fixedKs} and options.codeDim ${fixedDs} give Ks·Ds = ${group(fixedKs * fixedDs)}, ` +
            `but eq. 5 needs 2·Kh·Dh = ${group(budget)}. Fix only one of them` +
            (alternatives.length ? `; nearest valid: ${formatAlternatives(alternatives)}.` : '.'),
          'conflicting-options',
          alternatives,
        );
      }
      codebookSize = fixedKs;
      codeDim = fixedDs;
    } else if (fixedKs !== undefined) {
      if (budget % fixedKs !== 0) {
        const alternatives = divisorAlternatives(
          budget,
          factors,
          fixedKs,
          'singleCodebookSize',
          'singleCodeDim',
        );
        throw new CapacityError(
          `${fn}: Ds = 2·Kh·Dh / Ks = ${group(budget)} / ${fixedKs} would be ${group(budget / fixedKs)}, not an integer ` +
            `(eq. 5). Nearest valid: ${formatAlternatives(alternatives)}.`,
          'no-integer-solution',
          alternatives,
        );
      }
      codebookSize = fixedKs;
      codeDim = budget / fixedKs;
    } else {
      codeDim = fixedDs ?? hier.codeDim;
      if (budget % codeDim !== 0) {
        const alternatives = divisorAlternatives(
          budget,
          factors,
          codeDim,
          'singleCodeDim',
          'singleCodebookSize',
        );
        throw new CapacityError(
          `${fn}: Ks = 2·Kh·Dh / Ds = ${group(budget)} / ${codeDim} would be ${group(budget / codeDim)}, not an integer ` +
            `(eq. 5). Nearest valid: ${formatAlternatives(alternatives)}.`,
          'no-integer-solution',
          alternatives,
        );
      }
      codebookSize = budget / codeDim;
    }
  } else {
    const s = positions(size);
    const t = positions(hier.bottom) + positions(hier.top);
    const g = gcd(s, t);
    const a = s / g;
    const b = t / g;
    const m = exactRoot(hier.codebookSize, a);
    if (m === undefined) {
      const r = integerRoot(hier.codebookSize, a);
      const alternatives: CapacityAlternative[] = [];
      for (const root of [r, r + 1]) {
        const kh = safePow(root, a);
        const ks = safePow(root, b);
        if (root >= 2 && kh !== undefined && ks !== undefined)
          alternatives.push({ change: { codebookSize: kh }, yields: { singleCodebookSize: ks } });
      }
      const ideal = hier.codebookSize ** (t / s);
      throw new CapacityError(
        `${fn}: equal index bits need Ks = Kh^((Hb·Wb + Ht·Wt)/(Hs·Ws)) = ${hier.codebookSize}^(${b}/${a}) ≈ ${group(ideal)}, ` +
          `not an integer: Kh must be a perfect ${ordinal(a)} power. ` +
          (alternatives.length
            ? `Nearest valid: ${formatAlternatives(alternatives)}.`
            : 'No nearby codebook size gives a safe-integer Ks.') +
          ` Rounding Ks to ${Math.floor(ideal)} or ${Math.ceil(ideal)} would leave a bit gap, so it is never done silently; use match 'kd' to keep eq. 5 instead.`,
        'no-integer-solution',
        alternatives,
      );
    }
    const ks = safePow(m, b);
    if (ks === undefined) {
      throw new CapacityError(
        `${fn}: equal index bits need Ks = ${m}^${b}, which exceeds Number.MAX_SAFE_INTEGER. Use a smaller codebookSize.`,
        'too-large',
      );
    }
    if (fixedKs !== undefined && fixedKs !== ks) {
      throw new CapacityError(
        `${fn}: options.codebookSize ${fixedKs} conflicts with match 'bits', which fixes Ks = ${ks} ` +
          `(Hs·Ws·log2 Ks = (Hb·Wb + Ht·Wt)·log2 Kh). Drop codebookSize, or use match 'kd'.`,
        'conflicting-options',
        [{ change: { singleCodebookSize: ks }, yields: { indexBitGap: 0 } }],
      );
    }
    codebookSize = ks;
    codeDim = fixedDs ?? hier.codeDim;
  }
  const single: SingleLevelConfig = {
    height: size.height,
    width: size.width,
    channels,
    codebookSize,
    codeDim,
  };
  singleConfig(fn, single, 'matched single');
  return pairOf(mode, single, hier, options);
}

function defaultTops(bottom: SpatialSize): SpatialSize[] {
  const tops: SpatialSize[] = [];
  for (let f = 2; f <= Math.min(bottom.height, bottom.width); f++) {
    if (bottom.height % f === 0 && bottom.width % f === 0)
      tops.push({ height: bottom.height / f, width: bottom.width / f });
  }
  return tops;
}

/**
 * Every hierarchical config matched to a single-level one (the reverse of
 * {@link matchSingleToHierarchical}), one per top size (and per (Kh, Dh) when `codeDim: 'all'`).
 *
 * - Eq. 4: Hb·Wb = Hs·Ws and Ch = Hs·Ws·Cs / (Hb·Wb + Ht·Wt), which must be an integer; top sizes where
 *   it is not are skipped.
 * - Eq. 5 (`kd`): Kh·Dh = Ks·Ds / 2 with Dh defaulting to Ds (Kh = Ks / 2).
 * - `bits`: Kh = Ks^((Hs·Ws)/(Hb·Wb + Ht·Wt)) must be an integer; top sizes where it is not are skipped.
 *
 * @returns matched pairs ordered by top size, finest first (never empty).
 * @throws CapacityError when no top size admits an integer solution (the message lists why for each and
 *   the nearest valid inputs), or for invalid input.
 * @example
 * matchHierarchicalToSingle({ height: 64, width: 64, channels: 160, codebookSize: 8192, codeDim: 8 })[0]
 *   .hierarchical // { bottom: 64x64, top: 32x32, channels: 128, codebookSize: 4096, codeDim: 8 }
 */
export function matchHierarchicalToSingle(
  single: SingleLevelConfig,
  options: MatchHierarchicalOptions = {},
): MatchedPair[] {
  const fn = 'matchHierarchicalToSingle';
  const s = singleConfig(fn, single);
  const mode = matchMode(fn, options.match);
  const bottom =
    options.bottom === undefined
      ? { height: s.height, width: s.width }
      : spatialSize(fn, 'options.bottom', options.bottom);
  const sPos = s.height * s.width;
  if (positions(bottom) !== sPos) {
    throw new CapacityError(
      `${fn}: options.bottom ${fmtSize(bottom)} has ${positions(bottom)} positions but eq. 4 needs Hb·Wb = Hs·Ws = ${sPos}. ` +
        `Use the single level's size ${s.height}x${s.width} or another factorisation of ${sPos}.`,
      'spatial-mismatch',
      [{ change: { bottomHeight: s.height, bottomWidth: s.width }, yields: { positions: sPos } }],
    );
  }
  const tops =
    options.tops === undefined
      ? defaultTops(bottom)
      : options.tops.map((t, i) => spatialSize(fn, `options.tops[${i}]`, t));
  for (const [i, top] of tops.entries())
    assertCoarser(fn, `options.tops[${i}]`, 'bottom', bottom, top);
  if (tops.length === 0) {
    throw new CapacityError(
      `${fn}: bottom ${fmtSize(bottom)} has no integer downsampling (no factor f ≥ 2 divides both sides). ` +
        `Pass options.tops explicitly, e.g. [{ height: ${Math.max(1, Math.floor(bottom.height / 2))}, width: ${Math.max(1, Math.floor(bottom.width / 2))} }].`,
      'no-integer-solution',
    );
  }
  const fixedKh =
    options.codebookSize === undefined
      ? undefined
      : positiveInteger(fn, 'options.codebookSize', options.codebookSize);
  const allDims = options.codeDim === 'all';
  const fixedDh =
    options.codeDim === undefined || allDims
      ? undefined
      : positiveInteger(fn, 'options.codeDim', options.codeDim);

  // Eq. 5 part (independent of the top size under 'kd').
  let kdShapes: Array<[number, number]> = [];
  if (mode === 'kd') {
    const product = s.codebookSize * s.codeDim;
    if (product % 2 !== 0) {
      const alternatives: CapacityAlternative[] = [s.codebookSize - 1, s.codebookSize + 1]
        .filter((k) => k >= 2)
        .map((k) => ({
          change: { codebookSize: k },
          yields: { hierarchicalCodebookTimesDim: (k * s.codeDim) / 2 },
        }));
      throw new CapacityError(
        `${fn}: eq. 5 needs Kh·Dh = Ks·Ds / 2 = ${group(product)} / 2 = ${group(product / 2)}, not an integer ` +
          `(Ks·Ds is odd). Nearest valid: ${formatAlternatives(alternatives)}.`,
        'no-integer-solution',
        alternatives,
      );
    }
    const half = product / 2;
    const factors = [s.codebookSize, s.codeDim];
    if (allDims) {
      if (fixedKh !== undefined && half % fixedKh !== 0) {
        throw new CapacityError(
          `${fn}: options.codebookSize ${fixedKh} does not divide Ks·Ds / 2 = ${group(half)}. Nearest valid: ` +
            `${formatAlternatives(divisorAlternatives(half, factors, fixedKh, 'codebookSize', 'codeDim'))}.`,
          'no-integer-solution',
          divisorAlternatives(half, factors, fixedKh, 'codebookSize', 'codeDim'),
        );
      }
      kdShapes = divisorsOfProduct(factors)
        .filter((d) => half % d === 0 && (fixedKh === undefined || d === fixedKh))
        .map((d) => [half / d, d]);
    } else if (fixedKh !== undefined && fixedDh !== undefined) {
      if (fixedKh * fixedDh !== half) {
        throw new CapacityError(
          `${fn}: options.codebookSize ${fixedKh} and options.codeDim ${fixedDh} give 2·Kh·Dh = ${group(2 * fixedKh * fixedDh)}, ` +
            `but eq. 5 needs Ks·Ds = ${group(product)}. Fix only one of them.`,
          'conflicting-options',
        );
      }
      kdShapes = [[fixedKh, fixedDh]];
    } else if (fixedKh !== undefined) {
      if (half % fixedKh !== 0) {
        const alternatives = divisorAlternatives(half, factors, fixedKh, 'codebookSize', 'codeDim');
        throw new CapacityError(
          `${fn}: Dh = Ks·Ds / (2·Kh) = ${group(half)} / ${fixedKh} would be ${group(half / fixedKh)}, not an integer ` +
            `(eq. 5). Nearest valid: ${formatAlternatives(alternatives)}.`,
          'no-integer-solution',
          alternatives,
        );
      }
      kdShapes = [[fixedKh, half / fixedKh]];
    } else {
      const dh = fixedDh ?? s.codeDim;
      if (half % dh !== 0) {
        const alternatives = divisorAlternatives(half, factors, dh, 'codeDim', 'codebookSize');
        throw new CapacityError(
          `${fn}: Kh = Ks·Ds / (2·Dh) = ${group(half)} / ${dh} would be ${group(half / dh)}, not an integer ` +
            `(eq. 5). Nearest valid: ${formatAlternatives(alternatives)}.`,
          'no-integer-solution',
          alternatives,
        );
      }
      kdShapes = [[half / dh, dh]];
    }
  } else if (allDims) {
    throw new CapacityError(
      `${fn}: options.codeDim 'all' lists eq. 5 factorisations and only applies to match 'kd'; under 'bits' pass a number (default Ds).`,
      'conflicting-options',
    );
  }

  const pairs: MatchedPair[] = [];
  const reasons: string[] = [];
  for (const top of tops) {
    const t = sPos + positions(top);
    const num = sPos * s.channels;
    if (num % t !== 0) {
      reasons.push(`top ${fmtSize(top)}: Ch = ${group(num)} / ${t} = ${group(num / t)} (eq. 4)`);
      continue;
    }
    const ch = num / t;
    let shapes = kdShapes;
    if (mode === 'bits') {
      const g = gcd(sPos, t);
      const a = sPos / g;
      const b = t / g;
      const m = exactRoot(s.codebookSize, b);
      const kh = m === undefined ? undefined : safePow(m, a);
      if (kh === undefined) {
        reasons.push(
          `top ${fmtSize(top)}: Kh = Ks^(${a}/${b}) ≈ ${group(s.codebookSize ** (a / b))} (equal index bits need Ks to be a perfect ${ordinal(b)} power)`,
        );
        continue;
      }
      if (fixedKh !== undefined && fixedKh !== kh) {
        reasons.push(
          `top ${fmtSize(top)}: equal index bits fix Kh = ${kh}, not options.codebookSize ${fixedKh}`,
        );
        continue;
      }
      shapes = [[kh, fixedDh ?? s.codeDim]];
    }
    for (const [kh, dh] of shapes) {
      const hier: HierarchicalConfig = { bottom, top, channels: ch, codebookSize: kh, codeDim: dh };
      pairs.push(pairOf(mode, s, hier, options));
    }
  }
  if (pairs.length === 0) {
    const first = tops[0]!;
    const t = sPos + positions(first);
    const step = t / gcd(t, sPos);
    const lower = Math.floor(s.channels / step) * step;
    const alternatives: CapacityAlternative[] =
      mode === 'kd'
        ? [lower, lower + step]
            .filter((c) => c >= 1)
            .map((c) => ({
              change: { channels: c },
              yields: { hierarchicalChannels: (sPos * c) / t },
            }))
        : [];
    throw new CapacityError(
      `${fn}: no top size gives an integer solution: ${reasons.join('; ')}.` +
        (alternatives.length
          ? ` Nearest valid for top ${fmtSize(first)}: ${formatAlternatives(alternatives)}.`
          : " Pass options.tops with other sizes, or use match 'kd'."),
      'no-integer-solution',
      alternatives,
    );
  }
  return pairs;
}

function equation(
  single: number,
  hierarchical: number,
  holds = single === hierarchical,
): EquationCheck {
  return { holds, single, hierarchical, difference: holds ? 0 : hierarchical - single };
}

/**
 * Verifies that a single-level and a hierarchical config are capacity-matched, and says which equation
 * fails and by how much. Under `kd` the spatial precondition, eq. 4 and eq. 5 must hold; under `bits`
 * the spatial precondition, eq. 4 and equal index bits. All four checks are always reported. Equality is
 * exact (index bits compare Ks^(Hs·Ws) with Kh^(Hb·Wb + Ht·Wt) in integer arithmetic).
 *
 * @param options.match which budgets must be equal. @default 'kd'
 * @throws CapacityError only for invalid configs (non-positive sizes, top not coarser).
 */
export function checkMatched(
  single: SingleLevelConfig,
  hierarchical: HierarchicalConfig,
  options: { match?: MatchMode } = {},
): MatchCheck {
  const fn = 'checkMatched';
  const s = singleConfig(fn, single);
  const h = hierarchicalConfig(fn, hierarchical);
  const mode = matchMode(fn, options.match);
  const sb = singleLevelBudget(s);
  const hb = hierarchicalBudget(h);
  const spatial = equation(s.height * s.width, positions(h.bottom));
  const continuous = equation(sb.continuous, hb.continuous);
  const discrete = equation(sb.discrete, hb.discrete);
  const indexBits = equation(sb.indexBits, hb.indexBits, bitsEqual(s, h));
  const failures: string[] = [];
  const sign = (x: number) => (x > 0 ? `+${group(x)}` : group(x));
  if (!spatial.holds)
    failures.push(
      `spatial: Hs·Ws = ${group(spatial.single)} ≠ Hb·Wb = ${group(spatial.hierarchical)} (hierarchical − single = ${sign(spatial.difference)} positions)`,
    );
  if (!continuous.holds)
    failures.push(
      `eq. 4: Hs·Ws·Cs = ${group(continuous.single)} ≠ (Hb·Wb + Ht·Wt)·Ch = ${group(continuous.hierarchical)} (hierarchical − single = ${sign(continuous.difference)})`,
    );
  if (mode === 'kd' && !discrete.holds)
    failures.push(
      `eq. 5: Ks·Ds = ${group(discrete.single)} ≠ 2·Kh·Dh = ${group(discrete.hierarchical)} (hierarchical − single = ${sign(discrete.difference)})`,
    );
  if (mode === 'bits' && !indexBits.holds)
    failures.push(
      `index bits: Hs·Ws·log2 Ks = ${group(indexBits.single)} ≠ (Hb·Wb + Ht·Wt)·log2 Kh = ${group(indexBits.hierarchical)} (hierarchical − single = ${sign(indexBits.difference)} bits)`,
    );
  return {
    match: mode,
    matched: failures.length === 0,
    spatial,
    continuous,
    discrete,
    indexBits,
    failures,
  };
}

/**
 * Like {@link checkMatched} but throws a `CapacityError` naming every failing equation.
 * @param options.match which budgets must be equal. @default 'kd'
 */
export function assertMatched(
  single: SingleLevelConfig,
  hierarchical: HierarchicalConfig,
  options: { match?: MatchMode } = {},
): void {
  const check = checkMatched(single, hierarchical, options);
  if (!check.matched) {
    throw new CapacityError(
      `assertMatched: the configs are not capacity-matched (match '${check.match}'): ${check.failures.join('; ')}. ` +
        'Derive one side from the other with matchSingleToHierarchical or matchHierarchicalToSingle.',
      'not-matched',
    );
  }
}
