import { RandomError } from './errors';

/** The complete state of an {@link Rng}: four 32-bit words (xoshiro128**) plus a cached normal deviate. */
export interface RngState {
  /** Four unsigned 32-bit words; never all zero. */
  s: [number, number, number, number];
  /** Second Box–Muller deviate waiting to be returned, or null. */
  spareNormal: number | null;
}

/** SplitMix32 step, used only to expand a seed into the xoshiro state. */
function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A small, fast, seeded pseudo-random generator (xoshiro128**) whose whole state can be
 * captured with {@link Rng.getState} and restored with {@link Rng.setState}, so a resumed
 * training run draws exactly the numbers the uninterrupted run would have drawn.
 *
 * @example
 * const rng = new Rng(42);
 * rng.uniform();      // in [0, 1)
 * rng.int(10);        // integer in [0, 10)
 * rng.normal();       // standard normal
 */
export class Rng {
  private s: [number, number, number, number];
  private spareNormal: number | null = null;

  /** @param seed any finite number; it is reduced to 32 bits (default 0). */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) {
      throw new RandomError(
        `Rng: seed must be a finite number, got ${seed}. Pass an integer such as 42.`,
      );
    }
    const next = splitmix32(Math.floor(seed) >>> 0);
    this.s = [next(), next(), next(), next()];
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new RandomError(`Rng.int: n must be an integer in [1, 2^32], got ${n}.`);
    }
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Standard normal deviate (Box–Muller, both deviates used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills (or creates) a Float32Array with uniform values in [low, high). */
  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  /** Fills a Float32Array with normal values of the given mean and standard deviation. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = p[i]!;
      p[i] = p[j]!;
      p[j] = tmp;
    }
    return p;
  }

  /**
   * `k` indices drawn from [0, n): without replacement when k ≤ n (Floyd's algorithm, order
   * randomised), with replacement otherwise or when `replace` is true.
   */
  sample(n: number, k: number, replace = false): Int32Array {
    if (!Number.isInteger(n) || n < 1)
      throw new RandomError(`Rng.sample: n must be a positive integer, got ${n}.`);
    if (!Number.isInteger(k) || k < 0)
      throw new RandomError(`Rng.sample: k must be a non-negative integer, got ${k}.`);
    const out = new Int32Array(k);
    if (replace || k > n) {
      for (let i = 0; i < k; i++) out[i] = this.int(n);
      return out;
    }
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = this.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    let i = 0;
    for (const v of chosen) out[i++] = v;
    // Floyd's algorithm yields a set; shuffle so the order is random too.
    for (let a = k - 1; a > 0; a--) {
      const b = this.int(a + 1);
      const tmp = out[a]!;
      out[a] = out[b]!;
      out[b] = tmp;
    }
    return out;
  }

  /** A new generator seeded from this one (for independent streams, e.g. one per worker). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  /** A JSON-serialisable copy of the full state. */
  getState(): RngState {
    return { s: [...this.s] as [number, number, number, number], spareNormal: this.spareNormal };
  }

  /** Restores a state captured by {@link getState}; the generator then continues identically. */
  setState(state: RngState): void {
    const s = state?.s;
    if (
      !Array.isArray(s) ||
      s.length !== 4 ||
      s.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff) ||
      s.every((w) => w === 0)
    ) {
      throw new RandomError(
        'Rng.setState: expected { s: [four uint32 words, not all zero], spareNormal }, as returned by getState().',
      );
    }
    this.s = [s[0], s[1], s[2], s[3]];
    this.spareNormal = state.spareNormal ?? null;
  }

  /** Creates a generator from a captured state. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }
}
