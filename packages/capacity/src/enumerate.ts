import { CapacityError } from './errors';
import { powersEqual } from './integers';
import type { SpatialSize } from './types';
import { assertCoarser, positiveInteger, spatialSize } from './validate';

/**
 * A set of positive integers: an explicit list, or every integer in [min, max] (only the powers of two
 * in it when `powersOfTwo` is true).
 */
export type IntegerRange =
  | readonly number[]
  | {
      /** Smallest value, inclusive. */
      min: number;
      /** Largest value, inclusive. */
      max: number;
      /**
       * Keep only powers of two (the grid the paper sweeps).
       * @default false
       */
      powersOfTwo?: boolean;
    };

/** Ranges of {@link enumerateMatchedPairs}. */
export interface MatchRanges {
  /** Ks values. */
  singleCodebookSizes: IntegerRange;
  /** Ds values. */
  singleCodeDims: IntegerRange;
  /** Kh values. */
  hierarchicalCodebookSizes: IntegerRange;
  /** Dh values. */
  hierarchicalCodeDims: IntegerRange;
  /**
   * Latent map sizes; when given each pair also reports index bits per image and their gap.
   * @default undefined (indexBits is null)
   */
  latent?: { bottom: SpatialSize; top: SpatialSize };
}

/** One (Ks, Ds) ↔ (Kh, Dh) pair satisfying eq. 5, Ks·Ds = 2·Kh·Dh. */
export interface CodebookPair {
  single: { codebookSize: number; codeDim: number };
  hierarchical: { codebookSize: number; codeDim: number };
  /** Ks·Ds = 2·Kh·Dh. */
  discreteBudget: number;
  /**
   * Index bits per image, Hb·Wb·log2 Ks vs (Hb·Wb + Ht·Wt)·log2 Kh, and their gap (hierarchical − single,
   * exactly 0 when equal), or null without `ranges.latent`.
   */
  indexBits: { single: number; hierarchical: number; gap: number } | null;
}

/** Upper bound on Ks-count · Ds-count · Dh-count visited by {@link enumerateMatchedPairs}. */
const MAX_WORK = 10_000_000;

function expand(fn: string, name: string, range: IntegerRange): number[] {
  let values: number[];
  if (Array.isArray(range)) {
    values = (range as readonly number[]).map((v, i) => positiveInteger(fn, `${name}[${i}]`, v));
  } else if (typeof range === 'object' && range !== null && 'min' in range) {
    const min = positiveInteger(fn, `${name}.min`, range.min);
    const max = positiveInteger(fn, `${name}.max`, range.max);
    if (max < min) {
      throw new CapacityError(
        `${fn}: ${name} has max ${max} < min ${min}. Swap them or widen the range.`,
        'invalid-argument',
      );
    }
    values = [];
    if (range.powersOfTwo === true) {
      for (let v = 1; v <= max; v *= 2) if (v >= min) values.push(v);
    } else {
      if (max - min >= 1_000_000) {
        throw new CapacityError(
          `${fn}: ${name} [${min}, ${max}] holds ${max - min + 1} values, more than the 1,000,000 allowed. ` +
            'Use powersOfTwo: true or an explicit list.',
          'too-large',
        );
      }
      for (let v = min; v <= max; v++) values.push(v);
    }
  } else {
    throw new CapacityError(
      `${fn}: ${name} must be a list of positive integers or { min, max, powersOfTwo? }, got ${JSON.stringify(range)}.`,
      'invalid-argument',
    );
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * Every integer (Ks, Ds) ↔ (Kh, Dh) combination inside the given ranges that satisfies eq. 5,
 * Ks·Ds = 2·Kh·Dh: the grid the paper sweeps (e.g. Ks ∈ {1024..8192}, Ds ∈ {8..128}). Sorted by Ks, Ds,
 * Kh, Dh ascending. With `ranges.latent`, each pair also carries the index-bit gap eqs. 4–5 leave.
 *
 * @throws CapacityError for non-positive or non-integer values, inverted ranges, or ranges too large to
 *   enumerate (more than 10^7 (Ks, Ds, Dh) combinations).
 * @example
 * enumerateMatchedPairs({ singleCodebookSizes: [8192], singleCodeDims: [8],
 *   hierarchicalCodebookSizes: { min: 1024, max: 8192, powersOfTwo: true }, hierarchicalCodeDims: [8, 16] })
 * // [{ single: { codebookSize: 8192, codeDim: 8 }, hierarchical: { codebookSize: 2048, codeDim: 16 }, ... },
 * //  { single: { codebookSize: 8192, codeDim: 8 }, hierarchical: { codebookSize: 4096, codeDim: 8 }, ... }]
 */
export function enumerateMatchedPairs(ranges: MatchRanges): CodebookPair[] {
  const fn = 'enumerateMatchedPairs';
  if (typeof ranges !== 'object' || ranges === null) {
    throw new CapacityError(
      `${fn}: ranges must be an object { singleCodebookSizes, singleCodeDims, hierarchicalCodebookSizes, hierarchicalCodeDims }, got ${JSON.stringify(ranges)}.`,
      'invalid-argument',
    );
  }
  const ks = expand(fn, 'ranges.singleCodebookSizes', ranges.singleCodebookSizes);
  const ds = expand(fn, 'ranges.singleCodeDims', ranges.singleCodeDims);
  const kh = new Set(
    expand(fn, 'ranges.hierarchicalCodebookSizes', ranges.hierarchicalCodebookSizes),
  );
  const dh = expand(fn, 'ranges.hierarchicalCodeDims', ranges.hierarchicalCodeDims);
  const work = ks.length * ds.length * dh.length;
  if (work > MAX_WORK) {
    throw new CapacityError(
      `${fn}: ${ks.length} Ks × ${ds.length} Ds × ${dh.length} Dh = ${work} combinations exceed ${MAX_WORK}. ` +
        'Narrow the ranges or use powersOfTwo: true.',
      'too-large',
    );
  }
  let latent: { bottom: number; top: number } | undefined;
  if (ranges.latent !== undefined) {
    const bottom = spatialSize(fn, 'ranges.latent.bottom', ranges.latent.bottom);
    const top = spatialSize(fn, 'ranges.latent.top', ranges.latent.top);
    assertCoarser(fn, 'ranges.latent.top', 'ranges.latent.bottom', bottom, top);
    latent = { bottom: bottom.height * bottom.width, top: top.height * top.width };
  }
  const pairs: CodebookPair[] = [];
  for (const k of ks) {
    for (const d of ds) {
      const budget = k * d;
      if (!Number.isSafeInteger(budget) || budget % 2 !== 0) continue;
      for (const dHier of dh) {
        const half = budget / 2;
        if (half % dHier !== 0) continue;
        const kHier = half / dHier;
        if (!kh.has(kHier)) continue;
        let indexBits: CodebookPair['indexBits'] = null;
        if (latent !== undefined) {
          const single = latent.bottom * Math.log2(k);
          const hierarchical = (latent.bottom + latent.top) * Math.log2(kHier);
          const equal = powersEqual(k, latent.bottom, kHier, latent.bottom + latent.top);
          indexBits = { single, hierarchical, gap: equal ? 0 : hierarchical - single };
        }
        pairs.push({
          single: { codebookSize: k, codeDim: d },
          hierarchical: { codebookSize: kHier, codeDim: dHier },
          discreteBudget: budget,
          indexBits,
        });
      }
    }
  }
  pairs.sort(
    (a, b) =>
      a.single.codebookSize - b.single.codebookSize ||
      a.single.codeDim - b.single.codeDim ||
      a.hierarchical.codebookSize - b.hierarchical.codebookSize ||
      a.hierarchical.codeDim - b.hierarchical.codeDim,
  );
  return pairs;
}
