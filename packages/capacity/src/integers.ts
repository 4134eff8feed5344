/** Exact integer helpers (internal). All inputs are positive safe integers unless stated. */

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** All divisors of n, ascending (trial division up to √n). */
export function divisors(n: number): number[] {
  const small: number[] = [];
  const large: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d === 0) {
      small.push(d);
      if (d * d !== n) large.push(n / d);
    }
  }
  return small.concat(large.reverse());
}

/**
 * All divisors of the product of `factors` (each a positive safe integer), ascending, without forming
 * trial division over the (possibly huge) product: every divisor of a·b is d1·d2 with d1 | a, d2 | b.
 */
export function divisorsOfProduct(factors: readonly number[]): number[] {
  let set = new Set<number>([1]);
  for (const f of factors) {
    const next = new Set<number>();
    const ds = divisors(f);
    for (const a of set) for (const d of ds) next.add(a * d);
    set = next;
  }
  return [...set].sort((a, b) => a - b);
}

/** The largest element of the ascending list `sorted` below `x`, and the smallest above it. */
export function neighbours(sorted: readonly number[], x: number): number[] {
  let below: number | undefined;
  let above: number | undefined;
  for (const v of sorted) {
    if (v < x) below = v;
    else if (v > x && above === undefined) above = v;
  }
  return [below, above].filter((v): v is number => v !== undefined);
}

/** m^e as a BigInt. */
export function bigPow(m: number, e: number): bigint {
  return BigInt(m) ** BigInt(e);
}

/** ⌊n^(1/e)⌋ exactly (n ≥ 1, e ≥ 1). */
export function integerRoot(n: number, e: number): number {
  if (e === 1) return n;
  let r = Math.max(1, Math.floor(n ** (1 / e)));
  const target = BigInt(n);
  while (r > 1 && bigPow(r, e) > target) r--;
  while (bigPow(r + 1, e) <= target) r++;
  return r;
}

/** m when n = m^e for an integer m, else undefined. */
export function exactRoot(n: number, e: number): number | undefined {
  const r = integerRoot(n, e);
  return bigPow(r, e) === BigInt(n) ? r : undefined;
}

/** m^e as a number when it is a safe integer, else undefined. */
export function safePow(m: number, e: number): number | undefined {
  const p = bigPow(m, e);
  return p <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(p) : undefined;
}

/**
 * Whether a^s = b^t exactly (a, b, s, t positive integers): with g = gcd(s, t), a^(s/g) = b^(t/g) holds
 * iff a = m^(t/g) and b = m^(s/g) for one integer m.
 */
export function powersEqual(a: number, s: number, b: number, t: number): boolean {
  const g = gcd(s, t);
  const m = exactRoot(a, t / g);
  return m !== undefined && bigPow(m, s / g) === BigInt(b);
}

/** `12,345` style grouping for messages and tables. */
export function group(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: 4 });
}
