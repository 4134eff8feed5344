/**
 * Test helper (not exported from the package): the ONE set of cases that pins the nearest-code
 * contract written on `NearestCodeSearch` (in `@vqkit/quantizer`), run against every search on
 * every backend — the fused cpu search (any thread count, plain and relaxed SIMD),
 * `chunkedNearestCode` on cpu, and both on webgpu — by `nearest-code.test.ts` and
 * `nearest-code.webgpu.test.ts`.
 *
 * The contract, restated: squared Euclidean distance in float32 (direct or expanded form); for
 * each row the index of a smallest computed distance, ties → lowest index, all-NaN row → 0; the
 * exact distance of the returned code exceeds the exact minimum by at most
 * `τ_i = (D + 3) · 2⁻²² · (‖z_i‖² + max_k ‖e_k‖²)`.
 */

/** One case: rows `z` `[N, D]`, codes `e` `[K, D]`, and the indices wherever they are exact. */
export interface NearestCodeCase {
  name: string;
  z: number[][];
  e: number[][];
  /** Indices every search must return exactly (exact ties, NaN rows); else checked by tolerance. */
  exact?: number[];
  chunkSize: number;
}

/** A search under test: float32 `z [n, d]`, `e [k, d]` in, int32 indices out. */
export type SearchRunner = (
  z: Float32Array,
  e: Float32Array,
  shape: { n: number; k: number; d: number },
  chunkSize: number,
) => Promise<ArrayLike<number>>;

/** Deterministic values in [−½, ½) rounded to float32 (a linear congruential generator). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.fround(s / 2 ** 32 - 0.5);
  };
}

function matrix(rows: number, cols: number, next: () => number, scale = 1, offset = 0) {
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => Math.fround(offset + scale * next())),
  );
}

/** Codes with exact ties (small integers: every form computes them exactly in float32). */
function tieCase(): NearestCodeCase {
  const k = 4200;
  const e = Array.from({ length: k }, () => [9, 9]);
  e[0] = [1, 0];
  e[1] = [5, 5];
  e[2] = [-1, 0];
  e[3] = [5, 5];
  // Equidistant pairs straddling the block / tile boundaries of the cpu, SIMD and WGSL kernels.
  e[513] = [0, 3];
  e[580] = [3, 0];
  e[2047] = [-3, 0];
  e[2049] = [0, -3];
  e[4100] = [6, -6];
  const z = [
    [0, 0],
    [5, 5],
    [0, 0.5],
    [0.25, 3],
    [3, 0.25],
    [2.5, 2.5],
    [-2.5, -2.5],
    [9, 9],
    [6, -6],
  ];
  return {
    name: 'exact ties → lowest index',
    z,
    e,
    exact: [0, 1, 0, 513, 580, 513, 2047, 4, 4100],
    chunkSize: 4,
  };
}

/** Every case of the contract. */
export function nearestCodeCases(): NearestCodeCase[] {
  const next = uniform(7);
  const random = (name: string, n: number, k: number, d: number, chunkSize: number) => ({
    name,
    z: matrix(n, d, next),
    e: matrix(k, d, next),
    chunkSize,
  });
  const nan = random('a NaN row → 0', 9, 37, 3, 4);
  nan.z[5] = [Number.NaN, 0, 0];
  const nanCase: NearestCodeCase = { ...nan, exact: undefined };
  return [
    tieCase(),
    nanCase,
    random('one row, one code', 1, 1, 1, 1),
    random('D = 1, odd sizes', 23, 601, 1, 5),
    random('D = 3, rows not a multiple of 4', 37, 300, 3, 8),
    random('D = 8 (the paper), several tiles', 130, 1100, 8, 64),
    random('D = 17 (z reloaded per code)', 21, 70, 17, 7),
    random('D = 64', 9, 40, 64, 3),
    {
      name: 'far from the origin (cancellation in ‖e‖² − 2z·e)',
      z: matrix(30, 8, next, 0.01, 40),
      e: matrix(200, 8, next, 0.01, 40),
      chunkSize: 16,
    },
  ];
}

/** Exact (float64) squared distance of row `z` to code `e`. */
function exactDistance(z: number[], e: number[]): number {
  let s = 0;
  for (let t = 0; t < z.length; t++) s += (z[t]! - e[t]!) ** 2;
  return s;
}

/**
 * Checks `search` on one case: valid int32 indices, the exact ones where given (and 0 for NaN
 * rows), else within the contract's tolerance τ of the exact minimum.
 * @returns a message per violated row (empty when the search honours the contract).
 */
export async function contractViolations(
  search: SearchRunner,
  c: NearestCodeCase,
): Promise<string[]> {
  const n = c.z.length;
  const k = c.e.length;
  const d = c.e[0]!.length;
  const got = Array.from(
    await search(
      Float32Array.from(c.z.flat()),
      Float32Array.from(c.e.flat()),
      { n, k, d },
      c.chunkSize,
    ),
  );
  if (got.length !== n) return [`${c.name}: expected ${n} indices, got ${got.length}`];
  const maxNorm = Math.max(
    ...c.e.map((code) =>
      exactDistance(
        code,
        code.map(() => 0),
      ),
    ),
  );
  const violations: string[] = [];
  c.z.forEach((row, i) => {
    const idx = got[i]!;
    if (!Number.isInteger(idx) || idx < 0 || idx >= k) {
      violations.push(`${c.name}: row ${i}: index ${idx} out of [0, ${k})`);
      return;
    }
    const want = row.some(Number.isNaN) ? 0 : c.exact?.[i];
    if (want !== undefined) {
      if (idx !== want) violations.push(`${c.name}: row ${i}: expected index ${want}, got ${idx}`);
      return;
    }
    const min = Math.min(...c.e.map((code) => exactDistance(row, code)));
    const tau =
      (d + 3) *
      2 ** -22 *
      (exactDistance(
        row,
        row.map(() => 0),
      ) +
        maxNorm);
    const excess = exactDistance(row, c.e[idx]!) - min;
    if (excess > tau)
      violations.push(
        `${c.name}: row ${i}: index ${idx} is ${excess} above the minimum (τ = ${tau})`,
      );
  });
  return violations;
}
