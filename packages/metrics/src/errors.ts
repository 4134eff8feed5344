/**
 * Thrown for invalid input to @vqkit/metrics: length or shape mismatches, negative or non-finite counts,
 * empty sets, a data range ≤ 0. The message names the function and argument, what was expected, what
 * was got, and how to fix it.
 */
export class MetricsError extends Error {
  override name = 'MetricsError';
}
