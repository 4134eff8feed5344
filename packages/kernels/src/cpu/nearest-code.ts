/**
 * Fused nearest-code search on `Float32Array`s (the paper's Eq. 2): `k(i) = argmin_k ‖z_i − e_k‖²`
 * evaluated as `argmin_k (‖e_k‖² − 2 z_i·e_k)` (the row constant `‖z_i‖²` does not move the
 * argmin), without ever forming the `[N, K]` distance matrix. Comparison is a strict `<` in code
 * order, so ties go to the lowest index; a row whose distances are all NaN gets index 0.
 *
 * - {@link nearestRows}: the blocked SIMD search (float32, `wasm-nearest-code.ts`): rows of z
 *   {@link nearestBlocking}`().rowBlock` at a time, transposed so four rows share each code load;
 *   the codebook swept in tiles of `tileFloats` floats (cache-resident while every row group
 *   passes over them); `‖e‖²` precomputed once ({@link codeNorms}). Shipped to the worker threads
 *   (`worker-source.ts`), so it references nothing at module level but shipped functions.
 * - {@link nearestCodeScalar}: the scalar float64 search, for runtimes without WebAssembly SIMD
 *   (and the baseline of `bench/nearest-code.ts`).
 */

/** Row block and codebook tile of {@link nearestRows} (a function so worker threads get them). */
export function nearestBlocking() {
  return {
    /** Rows of z per block (their running minima stay in the kernel's memory). */
    rowBlock: 256,
    /** Floats of codebook per tile (16 KiB: L1-resident). */
    tileFloats: 4096,
  } as const;
}

/** `k(groups, zt, e, norms, k0, k1, best, idx)`: the SIMD micro-kernel (`wasm-nearest-code.ts`). */
export type NearestKernel = (
  groups: number,
  zt: number,
  e: number,
  norms: number,
  k0: number,
  k1: number,
  best: number,
  idx: number,
) => void;

/** Offsets (in 4-byte elements of the heap) of one thread's search scratch ({@link nearestRows}). */
export interface NearestScratch {
  /** `rowBlock · D` floats: the row block transposed in groups of four. */
  zt: number;
  /** `rowBlock` floats: running minima. */
  best: number;
  /** `rowBlock` int32: running argmins. */
  idx: number;
}

/** Floats of scratch {@link nearestRows} needs for code dimension `d`. */
export function nearestScratchFloats(d: number): number {
  return nearestBlocking().rowBlock * (d + 2);
}

/** `out[j] = ‖e_j‖²` (summed in float64, rounded once to float32) for the `k` codes of `e [k, d]`. */
export function codeNorms(e: Float32Array, k: number, d: number, out: Float32Array): void {
  for (let j = 0; j < k; j++) {
    let s = 0;
    const o = j * d;
    for (let t = 0; t < d; t++) s += e[o + t]! * e[o + t]!;
    out[j] = s;
  }
}

/**
 * Rows `[r0, r1)` of the search with the SIMD kernel: `rows.out[i]` for `rows.z [n, d]`. The
 * kernel reads the codebook `e [k, d]` and its norms `‖e‖² [k]` ({@link codeNorms}) and its
 * scratch from its own memory, seen as `f32` and `i32` (the same buffer; offsets in 4-byte
 * elements).
 */
export function nearestRows(
  kernel: NearestKernel,
  f32: Float32Array,
  i32: Int32Array,
  op: { e: number; norms: number; k: number; d: number },
  rows: { z: Float32Array; out: Int32Array },
  s: NearestScratch,
  r0: number,
  r1: number,
): void {
  const { rowBlock, tileFloats } = nearestBlocking();
  const { k, d } = op;
  const tile = Math.max(1, Math.floor(tileFloats / d));
  for (let b0 = r0; b0 < r1; b0 += rowBlock) {
    const count = Math.min(rowBlock, r1 - b0);
    const groups = Math.ceil(count / 4);
    transposeRows(rows.z, b0 * d, count, d, f32, s.zt);
    f32.fill(Number.POSITIVE_INFINITY, s.best, s.best + groups * 4);
    i32.fill(0, s.idx, s.idx + groups * 4);
    for (let k0 = 0; k0 < k; k0 += tile) {
      const k1 = Math.min(k, k0 + tile);
      kernel(groups, 4 * s.zt, 4 * op.e, 4 * op.norms, k0, k1, 4 * s.best, 4 * s.idx);
    }
    rows.out.set(i32.subarray(s.idx, s.idx + count), b0);
  }
}

/** `zt[(4g + …)]`: rows `4g … 4g+3` of `z` (from `z[z0]`, `[rows, d]`) as `[g][d][lane]`, zero-padded. */
function transposeRows(
  z: Float32Array,
  z0: number,
  rows: number,
  d: number,
  f32: Float32Array,
  zt: number,
): void {
  const groups = Math.ceil(rows / 4);
  for (let g = 0; g < groups; g++) {
    const out = zt + g * 4 * d;
    for (let lane = 0; lane < 4; lane++) {
      const r = 4 * g + lane;
      if (r < rows) {
        const src = z0 + r * d;
        for (let t = 0; t < d; t++) f32[out + 4 * t + lane] = z[src + t]!;
      } else {
        for (let t = 0; t < d; t++) f32[out + 4 * t + lane] = 0;
      }
    }
  }
}

/** Codes per inner block of {@link nearestCodeScalar} (512 codes × D = 8 × 4 B = 16 KiB). */
const SCALAR_CODE_BLOCK = 512;

/**
 * The scalar search in float64 (no SIMD): rows `chunkSize` at a time, the codebook in blocks of
 * 512 codes, four rows sharing each code load.
 *
 * @param z `[n, d]` row-major.
 * @param e codebook `[k, d]` row-major.
 * @param chunkSize rows whose running minima are kept while the codebook is swept.
 * @returns int32 `[n]` code indices.
 */
export function nearestCodeScalar(
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
    for (let t = 0; t < d; t++) s += e[j * d + t]! * e[j * d + t]!;
    norms[j] = s;
  }
  const chunk = Math.max(1, Math.min(chunkSize, n));
  const best = new Float64Array(chunk);
  for (let r0 = 0; r0 < n; r0 += chunk) {
    const rows = Math.min(chunk, n - r0);
    best.fill(Number.POSITIVE_INFINITY, 0, rows);
    for (let k0 = 0; k0 < k; k0 += SCALAR_CODE_BLOCK) {
      const k1 = Math.min(k, k0 + SCALAR_CODE_BLOCK);
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
  let m0 = best[b]!;
  let m1 = best[b + 1]!;
  let m2 = best[b + 2]!;
  let m3 = best[b + 3]!;
  let i0 = out[i]!;
  let i1 = out[i + 1]!;
  let i2 = out[i + 2]!;
  let i3 = out[i + 3]!;
  for (let j = k0; j < k1; j++) {
    const eo = j * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < d; t++) {
      const v = e[eo + t]!;
      s0 += z[z0 + t]! * v;
      s1 += z[z1 + t]! * v;
      s2 += z[z2 + t]! * v;
      s3 += z[z3 + t]! * v;
    }
    const nj = norms[j]!;
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
  let m = best[b]!;
  let idx = out[i]!;
  for (let j = k0; j < k1; j++) {
    const eo = j * d;
    let s = 0;
    for (let t = 0; t < d; t++) s += z[zo + t]! * e[eo + t]!;
    const dist = norms[j]! - 2 * s;
    if (dist < m) {
      m = dist;
      idx = j;
    }
  }
  best[b] = m;
  out[i] = idx;
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const NEAREST_WORKER_FUNCTIONS = [nearestBlocking, nearestRows, transposeRows];
