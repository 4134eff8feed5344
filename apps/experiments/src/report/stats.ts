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

/** Mean and sample standard deviation (n − 1) of one number per run, e.g. each seed's mean PSNR. */
export interface SeedSpread {
  /** Mean over runs of each run's value. */
  mean: number;
  /** Sample std over runs (n − 1); NaN with fewer than 2 runs. */
  std: number;
  /** Runs (seeds). */
  n: number;
}

/**
 * Mean ± sample std across runs of each run's value (an infinite value — every image reconstructed
 * exactly — makes the mean +∞ and the std undefined). Error bars across seeds say how much a result
 * moves when only the seed changes; the per-image std says how much images differ.
 */
export function seedSpread(values: readonly number[]): SeedSpread {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2 || !Number.isFinite(mean)) return { mean, std: Number.NaN, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n };
}

/**
 * A Table 1 cell: `mean ± per-image std`, then `[± seed std, n seeds]` when there are several runs.
 * The mean is the mean over runs of each run's mean.
 */
export function formatSpread(seeds: SeedSpread, imageStd: number, decimals: number): string {
  const main = formatMeanStd(seeds.mean, imageStd, decimals);
  if (seeds.n < 2 || !Number.isFinite(seeds.std)) return main;
  return `${main} [± ${seeds.std.toFixed(decimals + 1)}, ${seeds.n} seeds]`;
}

/** `+3.4 %` style relative difference (max/min − 1), `—` when not finite. */
export function percent(value: number, decimals = 1): string {
  return Number.isFinite(value) ? `${(100 * value).toFixed(decimals)} %` : '—';
}
