/**
 * Fused nearest-code search on `Float32Array`s (the paper's Eq. 2): `k(i) = argmin_k ‖z_i − e_k‖²`,
 * evaluated as `argmin_k (‖e_k‖² − 2 z_i·e_k)` (the row constant `‖z_i‖²` does not move the
 * argmin) in float64, without ever forming the `[N, K]` distance matrix.
 *
 * Blocking: rows of z are taken `chunkSize` at a time; for each chunk the codebook is swept in
 * blocks of {@link CODE_BLOCK} codes (L1-resident at small D) and four rows share each code load.
 * Running minima live in `O(chunkSize)` scratch. Comparison is a strict `<` in code order, so
 * exact ties go to the lowest index; a row whose distances are all NaN gets index 0 (like argMin).
 */

/** Codes per inner block (512 codes × D = 8 × 4 B = 16 KiB). */
export const CODE_BLOCK = 512;

/**
 * @param z `[n, d]` row-major.
 * @param e codebook `[k, d]` row-major.
 * @param chunkSize rows whose running minima are kept while the codebook is swept.
 * @returns int32 `[n]` code indices.
 */
export function nearestCodeCpu(
  z: Float32Array,
  e: Float32Array,
  n: number,
  k: number,
  d: number,
  chunkSize: number,
): Int32Array {
  const out = new Int32Array(n);
  if (n === 0 || k === 0) return out;
  const norms = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    const o = j * d;
    for (let t = 0; t < d; t++) s += e[o + t] * e[o + t];
    norms[j] = s;
  }
  const chunk = Math.max(1, Math.min(chunkSize, n));
  const best = new Float64Array(chunk);
  for (let r0 = 0; r0 < n; r0 += chunk) {
    const rows = Math.min(chunk, n - r0);
    best.fill(Number.POSITIVE_INFINITY, 0, rows);
    out.fill(0, r0, r0 + rows);
    for (let k0 = 0; k0 < k; k0 += CODE_BLOCK) {
      const k1 = Math.min(k, k0 + CODE_BLOCK);
      let r = 0;
      for (; r + 4 <= rows; r += 4) sweep4(z, e, norms, d, r0 + r, k0, k1, best, r, out);
      for (; r < rows; r++) sweep1(z, e, norms, d, r0 + r, k0, k1, best, r, out);
    }
  }
  return out;
}

/** Four rows `i … i+3` against codes `[k0, k1)`, updating `best[b …]` and `out[i …]`. */
function sweep4(
  z: Float32Array,
  e: Float32Array,
  norms: Float64Array,
  d: number,
  i: number,
  k0: number,
  k1: number,
  best: Float64Array,
  b: number,
  out: Int32Array,
): void {
  const z0 = i * d;
  const z1 = z0 + d;
  const z2 = z1 + d;
  const z3 = z2 + d;
  let m0 = best[b];
  let m1 = best[b + 1];
  let m2 = best[b + 2];
  let m3 = best[b + 3];
  let i0 = out[i];
  let i1 = out[i + 1];
  let i2 = out[i + 2];
  let i3 = out[i + 3];
  for (let j = k0; j < k1; j++) {
    const eo = j * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < d; t++) {
      const v = e[eo + t];
      s0 += z[z0 + t] * v;
      s1 += z[z1 + t] * v;
      s2 += z[z2 + t] * v;
      s3 += z[z3 + t] * v;
    }
    const nj = norms[j];
    const d0 = nj - 2 * s0;
    const d1 = nj - 2 * s1;
    const d2 = nj - 2 * s2;
    const d3 = nj - 2 * s3;
    if (d0 < m0) {
      m0 = d0;
      i0 = j;
    }
    if (d1 < m1) {
      m1 = d1;
      i1 = j;
    }
    if (d2 < m2) {
      m2 = d2;
      i2 = j;
    }
    if (d3 < m3) {
      m3 = d3;
      i3 = j;
    }
  }
  best[b] = m0;
  best[b + 1] = m1;
  best[b + 2] = m2;
  best[b + 3] = m3;
  out[i] = i0;
  out[i + 1] = i1;
  out[i + 2] = i2;
  out[i + 3] = i3;
}

/** One row `i` against codes `[k0, k1)`. */
function sweep1(
  z: Float32Array,
  e: Float32Array,
  norms: Float64Array,
  d: number,
  i: number,
  k0: number,
  k1: number,
  best: Float64Array,
  b: number,
  out: Int32Array,
): void {
  const zo = i * d;
  let m = best[b];
  let idx = out[i];
  for (let j = k0; j < k1; j++) {
    const eo = j * d;
    let s = 0;
    for (let t = 0; t < d; t++) s += z[zo + t] * e[eo + t];
    const dist = norms[j] - 2 * s;
    if (dist < m) {
      m = dist;
      idx = j;
    }
  }
  best[b] = m;
  out[i] = idx;
}
