import { MetricsError } from './errors';

/** Counts as given by users: a plain array or any typed array. */
export type Counts = ArrayLike<number>;

/** Throws unless `counts` is a non-empty array of finite, non-negative numbers; returns the total. */
export function checkCounts(fn: string, counts: Counts, name = 'counts'): number {
  if (counts === null || typeof counts !== 'object' || typeof counts.length !== 'number') {
    throw new MetricsError(
      `${fn}: ${name} must be an array or typed array of per-code assignment counts, got ${String(counts)}.`,
    );
  }
  if (counts.length === 0) {
    throw new MetricsError(
      `${fn}: ${name} is empty; pass one count per codebook entry (length K ≥ 1).`,
    );
  }
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!Number.isFinite(c) || c < 0) {
      throw new MetricsError(
        `${fn}: ${name}[${i}] must be a finite count ≥ 0, got ${c}. Counts are how often each code was assigned.`,
      );
    }
    total += c;
  }
  return total;
}

/** Like {@link checkCounts} but also requires at least one assignment (a distribution to measure). */
export function checkDistribution(fn: string, counts: Counts, name = 'counts'): number {
  const total = checkCounts(fn, counts, name);
  if (total <= 0) {
    throw new MetricsError(
      `${fn}: ${name} sum to 0, so there is no assignment distribution to measure. Feed at least one batch of indices first.`,
    );
  }
  return total;
}

export function positiveInteger(fn: string, name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  throw new MetricsError(`${fn}: ${name} must be a positive integer, got ${String(value)}.`);
}

export function checkDataRange(fn: string, dataRange: unknown): number {
  if (typeof dataRange === 'number' && Number.isFinite(dataRange) && dataRange > 0)
    return dataRange;
  throw new MetricsError(
    `${fn}: dataRange must be a finite number > 0, got ${String(dataRange)}. ` +
      'Use the span of pixel values: 1 for images in [0, 1], 2 for [-1, 1], 255 for [0, 255].',
  );
}
