import { MetricsError } from './errors';
import { type Counts, checkCounts, checkDistribution, positiveInteger } from './validate';

/** Options of {@link entropy}. */
export interface EntropyOptions {
  /**
   * Logarithm base: `Math.E` for nats, 2 for bits.
   * @default Math.E
   */
  base?: number;
}

/**
 * The default dead-code threshold of every usage function in vqkit (host and device): a code is
 * dead when its count is below 1, i.e. it was never assigned. Source: the paper's wording
 * ("assignment count stays below a threshold"), with the threshold of a plain usage report.
 */
export const DEAD_CODE_THRESHOLD = 1;

/** Options of the active/dead code counts. */
export interface ActivityOptions {
  /**
   * A code is dead when its count is below `threshold` (`count < threshold`, the paper's "stays
   * below a threshold") and active otherwise. Any finite number ≥ 0; 0 makes every code active.
   * @default 1 ({@link DEAD_CODE_THRESHOLD}: a code never assigned is dead)
   */
  threshold?: number;
}

/** Lorenz curve of code usage: `x[i] = i / K`, `y[i]` = share of assignments held by the i least used codes. */
export interface LorenzCurve {
  /** Cumulative fraction of codes, length K + 1, from 0 to 1. */
  x: number[];
  /** Cumulative share of assignments, length K + 1, from 0 to 1 (convex, ≤ x). */
  y: number[];
}

/** Everything {@link usageSummary} reports about one codebook's usage. */
export interface UsageSummary {
  /** K = counts.length. */
  codebookSize: number;
  /** Σ counts. */
  total: number;
  /** Shannon entropy of the assignment distribution, in bits. */
  entropyBits: number;
  /** exp(H), the effective number of codes. */
  perplexity: number;
  /** perplexity / K, in [1/K, 1]. */
  normalizedPerplexity: number;
  /** Codes with count ≥ threshold. */
  activeCodes: number;
  /** 1 − activeCodes / K. */
  deadFraction: number;
  /** Gini coefficient of the counts, in [0, 1 − 1/K]. */
  gini: number;
  /** Share of assignments held by the `topK` most used codes. */
  topKShare: number;
  /** The k used for `topKShare`. */
  topK: number;
}

/**
 * Histogram of code indices: `counts[k]` = number of entries of `indices` equal to k.
 *
 * @param indices flat code indices (any shape, flattened), each an integer in [0, codebookSize).
 * @param codebookSize K.
 * @returns Float64Array of length K.
 * @throws MetricsError for non-integer or out-of-range indices, or a bad K.
 */
export function codeCounts(indices: ArrayLike<number>, codebookSize: number): Float64Array {
  const fn = 'codeCounts';
  const k = positiveInteger(fn, 'codebookSize', codebookSize);
  const counts = new Float64Array(k);
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new MetricsError(
        `${fn}: indices[${i}] = ${v} is not a code index in [0, ${k}). Pass argmin indices of a codebook with ${k} entries, or the right codebookSize.`,
      );
    }
    counts[v]! += 1;
  }
  return counts;
}

/**
 * Shannon entropy of the empirical assignment distribution p_k = c_k / Σ c: H = −Σ p_k log p_k
 * (0 log 0 = 0).
 *
 * @param counts per-code assignment counts, length K.
 * @throws MetricsError for empty, negative, non-finite or all-zero counts, or a bad base.
 */
export function entropy(counts: Counts, options: EntropyOptions = {}): number {
  const fn = 'entropy';
  const base = options.base ?? Math.E;
  if (!Number.isFinite(base) || base <= 0 || base === 1) {
    throw new MetricsError(
      `${fn}: options.base must be a finite number > 0 and ≠ 1, got ${base}. Use 2 for bits.`,
    );
  }
  const total = checkDistribution(fn, counts);
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) {
      const p = c / total;
      h -= p * Math.log(p);
    }
  }
  return base === Math.E ? h : h / Math.log(base);
}

/**
 * Perplexity exp(H) of the assignment distribution (paper §4: "the exponential of the Shannon
 * entropy of the empirical code-assignment distribution"): the effective number of codes in use —
 * K for uniform usage, 1 when a single code takes every assignment (so 1 whenever K = 1), and 0
 * when the counts are all zero (no code in use; the one edge case where it is not exp(H), since H
 * of an empty distribution is undefined). {@link perplexityTensor} is the same definition on device.
 *
 * @param counts per-code assignment counts, length K.
 * @throws MetricsError for empty, negative or non-finite counts.
 */
export function perplexity(counts: Counts): number {
  const total = checkCounts('perplexity', counts);
  return total > 0 ? Math.exp(entropy(counts)) : 0;
}

/**
 * Perplexity divided by the codebook size K = counts.length: 1 for uniform usage, 1/K for one code,
 * 0 for all-zero counts.
 */
export function normalizedPerplexity(counts: Counts): number {
  return perplexity(counts) / counts.length;
}

/**
 * Validates a dead-code threshold (finite, ≥ 0) and returns it, or {@link DEAD_CODE_THRESHOLD}
 * when undefined. Shared by the host and device usage functions.
 */
export function deadCodeThreshold(fn: string, value: number | undefined): number {
  const t = value ?? DEAD_CODE_THRESHOLD;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new MetricsError(
      `${fn}: threshold must be a finite number ≥ 0, got ${String(t)}. A code with count < threshold is dead; use e.g. ${DEAD_CODE_THRESHOLD}.`,
    );
  }
  return t;
}

/** Number of codes whose count is at least `threshold` (default 1: codes assigned at least once). */
export function activeCodes(counts: Counts, options: ActivityOptions = {}): number {
  const fn = 'activeCodes';
  const t = deadCodeThreshold(fn, options.threshold);
  checkCounts(fn, counts);
  let n = 0;
  for (let i = 0; i < counts.length; i++) if (!(counts[i]! < t)) n++;
  return n;
}

/**
 * Fraction of dead codes (count < threshold), 1 − activeCodes / K: 1 for all-zero counts, 0 or 1
 * when K = 1. {@link deadFractionTensor} is the same definition on device.
 */
export function deadFraction(counts: Counts, options: ActivityOptions = {}): number {
  return 1 - activeCodes(counts, options) / counts.length;
}

function sortedAscending(counts: Counts): Float64Array {
  return Float64Array.from(counts as ArrayLike<number>).sort();
}

/**
 * Lorenz curve of code usage (paper Fig. 1): codes sorted by ascending count; x = cumulative fraction
 * of codes, y = cumulative share of assignments. Starts at (0, 0) and ends at (1, 1); the diagonal
 * means uniform usage.
 *
 * @param counts per-code assignment counts, length K; the result has K + 1 points.
 */
export function lorenzCurve(counts: Counts): LorenzCurve {
  const fn = 'lorenzCurve';
  const total = checkDistribution(fn, counts);
  const sorted = sortedAscending(counts);
  const k = sorted.length;
  const x = new Array<number>(k + 1);
  const y = new Array<number>(k + 1);
  x[0] = 0;
  y[0] = 0;
  let cum = 0;
  for (let i = 0; i < k; i++) {
    cum += sorted[i]!;
    x[i + 1] = (i + 1) / k;
    y[i + 1] = cum / total;
  }
  y[k] = 1;
  return { x, y };
}

/**
 * Gini coefficient of the counts, G = 2·Σ_i i·c_(i) / (K·Σ c) − (K + 1)/K with c_(1) ≤ … ≤ c_(K)
 * (equivalently 1 − 2·area under the Lorenz curve): 0 for uniform usage, 1 − 1/K when one code takes
 * every assignment.
 */
export function gini(counts: Counts): number {
  const total = checkDistribution('gini', counts);
  const sorted = sortedAscending(counts);
  const k = sorted.length;
  let weighted = 0;
  for (let i = 0; i < k; i++) weighted += (i + 1) * sorted[i]!;
  return Math.max(0, (2 * weighted) / (k * total) - (k + 1) / k);
}

/**
 * Share of all assignments held by the k most used codes, in [k/K, 1].
 * @param k number of top codes, 1 ≤ k ≤ K.
 */
export function topKShare(counts: Counts, k: number): number {
  const fn = 'topKShare';
  const total = checkDistribution(fn, counts);
  const n = positiveInteger(fn, 'k', k);
  if (n > counts.length) {
    throw new MetricsError(
      `${fn}: k = ${n} exceeds the codebook size K = ${counts.length}; pass 1 ≤ k ≤ K.`,
    );
  }
  const sorted = sortedAscending(counts);
  let top = 0;
  for (let i = sorted.length - n; i < sorted.length; i++) top += sorted[i]!;
  return top / total;
}

/** Options of {@link usageSummary}. */
export interface UsageSummaryOptions extends ActivityOptions {
  /**
   * k of the reported top-k share.
   * @default min(10, K)
   */
  topK?: number;
}

/** Every usage metric of one codebook at once (see the individual functions). */
export function usageSummary(counts: Counts, options: UsageSummaryOptions = {}): UsageSummary {
  const total = checkDistribution('usageSummary', counts);
  const k = counts.length;
  const topK = options.topK ?? Math.min(10, k);
  const h = entropy(counts);
  const active = activeCodes(counts, options);
  return {
    codebookSize: k,
    total,
    entropyBits: h / Math.LN2,
    perplexity: Math.exp(h),
    normalizedPerplexity: Math.exp(h) / k,
    activeCodes: active,
    deadFraction: 1 - active / k,
    gini: gini(counts),
    topKShare: topKShare(counts, topK),
    topK,
  };
}
