import { MetricsError } from './errors';

/** Mean ± std of a set of per-image values, with exact reconstructions (+Infinity) counted apart. */
export interface SummaryStats {
  /** Number of finite values (those in mean, std, min, max). */
  count: number;
  /** Number of +Infinity values (e.g. PSNR of exact reconstructions), excluded from the statistics. */
  infiniteCount: number;
  /** Mean of the finite values; +Infinity when every value was +Infinity. */
  mean: number;
  /**
   * Standard deviation of the finite values, √(Σ(v − mean)² / (count − ddof)); 0 when every value was
   * +Infinity; NaN when count ≤ ddof.
   */
  std: number;
  /** Smallest finite value (+Infinity when every value was +Infinity). */
  min: number;
  /** Largest finite value (+Infinity when every value was +Infinity). */
  max: number;
}

/** Options of {@link summarize} and {@link MeanStdAccumulator}. */
export interface SummaryOptions {
  /**
   * Delta degrees of freedom of the std: 0 for the population std (numpy's default), 1 for the
   * sample std (torch's default).
   * @default 0
   */
  ddof?: 0 | 1;
}

/**
 * Streaming mean ± std (Welford's algorithm) of per-image values, fed in any chunking. Values are folded
 * in one at a time in order, so the result is bitwise identical however the stream is split into `add`
 * calls. +Infinity is counted in `infiniteCount` and excluded; NaN and −Infinity are rejected.
 */
export class MeanStdAccumulator {
  private readonly ddof: 0 | 1;
  private n = 0;
  private inf = 0;
  private m = 0;
  private m2 = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  /** @param options.ddof std degrees-of-freedom correction. @default 0 */
  constructor(options: SummaryOptions = {}) {
    const ddof = options.ddof ?? 0;
    if (ddof !== 0 && ddof !== 1) {
      throw new MetricsError(
        `MeanStdAccumulator: options.ddof must be 0 or 1, got ${String(ddof)}.`,
      );
    }
    this.ddof = ddof;
  }

  /** Number of values added so far (finite and +Infinity). */
  get size(): number {
    return this.n + this.inf;
  }

  /**
   * Folds in a chunk of values. The whole chunk is validated first, so a rejected chunk leaves the
   * accumulator unchanged.
   * @throws MetricsError for NaN or −Infinity.
   */
  add(values: ArrayLike<number>, name = 'values'): this {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v) || v === Number.NEGATIVE_INFINITY || typeof v !== 'number') {
        throw new MetricsError(
          `MeanStdAccumulator.add: ${name}[${i}] = ${v} is not a number or +Infinity. Check the inputs for NaN (e.g. a data range of 0 or NaN pixels).`,
        );
      }
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v === Number.POSITIVE_INFINITY) {
        this.inf++;
        continue;
      }
      this.n++;
      const delta = v - this.m;
      this.m += delta / this.n;
      this.m2 += delta * (v - this.m);
      if (v < this.lo) this.lo = v;
      if (v > this.hi) this.hi = v;
    }
    return this;
  }

  /**
   * Merges another accumulator's values into this one (Chan et al.'s parallel update). Unlike chunked
   * `add`, the result can differ from a single pass in the last bits.
   */
  merge(other: MeanStdAccumulator): this {
    if (other.n > 0) {
      const n = this.n + other.n;
      const delta = other.m - this.m;
      this.m += (delta * other.n) / n;
      this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
      this.n = n;
      this.lo = Math.min(this.lo, other.lo);
      this.hi = Math.max(this.hi, other.hi);
    }
    this.inf += other.inf;
    return this;
  }

  /**
   * The statistics so far.
   * @throws MetricsError when nothing was added (an empty set has no mean).
   */
  result(): SummaryStats {
    if (this.size === 0) {
      throw new MetricsError(
        'MeanStdAccumulator.result: no values were added; an empty set has no mean. Add at least one batch.',
      );
    }
    if (this.n === 0) {
      const inf = Number.POSITIVE_INFINITY;
      return { count: 0, infiniteCount: this.inf, mean: inf, std: 0, min: inf, max: inf };
    }
    return {
      count: this.n,
      infiniteCount: this.inf,
      mean: this.m,
      std: this.n > this.ddof ? Math.sqrt(this.m2 / (this.n - this.ddof)) : Number.NaN,
      min: this.lo,
      max: this.hi,
    };
  }

  /** Forgets every value. */
  reset(): this {
    this.n = 0;
    this.inf = 0;
    this.m = 0;
    this.m2 = 0;
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = Number.NEGATIVE_INFINITY;
    return this;
  }
}

/**
 * Mean ± std of per-image values in one shot (the paper's Table 1 reports mean ± std). +Infinity values
 * (exact reconstructions under PSNR) are counted in `infiniteCount` and excluded from the statistics.
 *
 * @throws MetricsError for an empty set, NaN or −Infinity.
 */
export function summarize(values: ArrayLike<number>, options: SummaryOptions = {}): SummaryStats {
  if (values.length === 0) {
    throw new MetricsError(
      'summarize: values is empty; an empty set has no mean. Pass at least one per-image value.',
    );
  }
  return new MeanStdAccumulator(options).add(values).result();
}
