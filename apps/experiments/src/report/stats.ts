/** A mean ± std summary pooled over one or more runs. */
export interface Pooled {
  mean: number;
  std: number;
  /** Images behind the numbers (Σ over runs). */
  images: number;
  /** Runs pooled. */
  runs: number;
}

/** One run's per-image summary: mean, std over its `n` images. */
export interface RunSummary {
  mean: number;
  std: number;
  n: number;
}

/**
 * Pools per-run mean ± std over images into one mean ± std over all images of all runs (the law of
 * total variance, image-weighted): M = Σ nᵢ mᵢ / N, S² = Σ nᵢ (sᵢ² + (mᵢ − M)²) / N. With one run it
 * returns that run's numbers unchanged. A run with n = 0 images counts with weight 1.
 */
export function pool(parts: readonly RunSummary[]): Pooled {
  if (parts.length === 0) return { mean: Number.NaN, std: Number.NaN, images: 0, runs: 0 };
  const weights = parts.map((p) => (p.n > 0 ? p.n : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const mean = parts.reduce((acc, p, i) => acc + weights[i]! * p.mean, 0) / total;
  const variance =
    parts.reduce((acc, p, i) => acc + weights[i]! * (p.std * p.std + (p.mean - mean) ** 2), 0) /
    total;
  return {
    mean,
    std: Math.sqrt(Math.max(0, variance)),
    images: parts.reduce((a, p) => a + p.n, 0),
    runs: parts.length,
  };
}

/** Arithmetic mean (NaN for an empty list). */
export function average(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Decimals needed to show `significant` significant digits of |value|, at least `min`: the paper
 * prints MSE 0.003 with 3 decimals; 0.0003 then gets 4 instead of collapsing to 0.000.
 */
export function decimalsFor(value: number, min: number, significant = 1): number {
  const a = Math.abs(value);
  if (!Number.isFinite(a) || a === 0) return min;
  return Math.min(12, Math.max(min, Math.ceil(-Math.log10(a)) + significant - 1));
}

/** `34.1 ± 3.5` style, both numbers with the same decimals; `—` for a missing value. */
export function formatMeanStd(mean: number, std: number, decimals: number): string {
  if (!Number.isFinite(mean)) return mean === Number.POSITIVE_INFINITY ? '∞' : '—';
  const s = Number.isFinite(std) ? std.toFixed(decimals) : '—';
  return `${mean.toFixed(decimals)} ± ${s}`;
}

/** Trainable parameters in millions as the paper prints them: 1 decimal from 1 M up, else 3 significant digits. */
export function formatParamsM(params: number): string {
  if (!Number.isFinite(params)) return '—';
  const m = params / 1e6;
  if (m >= 1) return m.toFixed(1);
  return Number(m.toPrecision(3)).toString();
}

/** Fixed decimals, `—` when not finite. */
export function fixed(value: number | null | undefined, decimals: number): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : value.toFixed(decimals);
}

/** Signed fixed decimals (`+0.375`), `—` when not finite. */
export function signed(value: number | null | undefined, decimals: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const s = value.toFixed(decimals);
  return value > 0 ? `+${s}` : s;
}
