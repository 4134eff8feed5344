/**
 * Plain-JS (float64) reference computations of each quantizer family's formulas, written
 * independently of the tfjs implementations, for the tests. Vectors are number[], matrices
 * number[][] (row-major rows).
 */

export type Vec = number[];
export type Mat = number[][];

export const dot = (a: Vec, b: Vec) => a.reduce((s, v, i) => s + v * b[i]!, 0);
export const norm = (a: Vec) => Math.sqrt(dot(a, a));
export const scale = (a: Vec, s: number) => a.map((v) => v * s);
export const add = (a: Vec, b: Vec) => a.map((v, i) => v + b[i]!);
export const sub = (a: Vec, b: Vec) => a.map((v, i) => v - b[i]!);
export const unit = (a: Vec) => scale(a, 1 / Math.max(norm(a), 1e-12));
export const matVec = (m: Mat, v: Vec) => m.map((row) => dot(row, v));
export const transpose = (m: Mat): Mat => m[0]!.map((_, j) => m.map((row) => row[j]!));
/** x·W (+ b) for a row vector x and W [in, out]. */
export const affine = (x: Vec, w: Mat, b?: Vec) =>
  w[0]!.map((_, j) => x.reduce((s, v, i) => s + v * w[i]![j]!, 0) + (b?.[j] ?? 0));

/** argmin_k ‖x − e_k‖², ties → lowest index. */
export function nearest(x: Vec, codebook: Mat): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  codebook.forEach((e, k) => {
    const d = dot(sub(x, e), sub(x, e));
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  });
  return best;
}

/** The rotation trick's R = I − 2rrᵀ + 2êx̂ᵀ, r = (x̂ + ê)/‖x̂ + ê‖, as an explicit matrix. */
export function rotationMatrix(x: Vec, e: Vec): Mat {
  const u = unit(x);
  const q = unit(e);
  const r = unit(add(u, q));
  return u.map((_, i) =>
    u.map((__, j) => (i === j ? 1 : 0) - 2 * r[i]! * r[j]! + 2 * q[i]! * u[j]!),
  );
}

/** λ·Rᵀ·g with λ = ‖e‖/‖x‖ (the rotation trick's gradient to x). */
export function rotationGradient(x: Vec, e: Vec, g: Vec): Vec {
  if (norm(x) === 0) return g;
  return scale(matVec(transpose(rotationMatrix(x, e)), g), norm(e) / norm(x));
}

/** Gradient of the l2 normalisation at z applied to g: (I − ẑẑᵀ)·g / ‖z‖. */
export function normalizeGradient(z: Vec, g: Vec): Vec {
  const u = unit(z);
  return scale(sub(g, scale(u, dot(u, g))), 1 / norm(z));
}

/** FSQ (Mentzer et al. 2023) for one scalar with L levels: bounded value, code, level index. */
export function fsqScalar(
  z: number,
  levels: number,
  eps = 1e-3,
): { bounded: number; code: number; level: number; dBounded: number } {
  const halfL = ((levels - 1) * (1 + eps)) / 2;
  const offset = levels % 2 === 0 ? 0.5 : 0;
  const shift = Math.atanh(offset / halfL);
  const t = Math.tanh(z + shift);
  const bounded = t * halfL - offset;
  const halfWidth = Math.floor(levels / 2);
  const rounded = Math.round(bounded);
  // d bounded / dz, divided by halfWidth: the straight-through gradient of the code.
  return {
    bounded,
    code: rounded / halfWidth,
    level: rounded + halfWidth,
    dBounded: ((1 - t * t) * halfL) / halfWidth,
  };
}

/** Mixed-radix index Σ level_i · Π_{j<i} L_j (first dimension least significant). */
export function mixedRadix(levelsIdx: number[], levels: number[]): number {
  let index = 0;
  let basis = 1;
  levelsIdx.forEach((l, i) => {
    index += l * basis;
    basis *= levels[i]!;
  });
  return index;
}

const log = (p: number) => (p > 0 ? Math.log(p) : 0);
const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

/**
 * LFQ's entropy terms over the explicit 2^D codebook (no factorisation), as vector-quantize-pytorch
 * computes them: p(c | z) = softmax_c(−invT·‖z − c‖²), per-sample entropy = mean_n H(p(·|z_n)),
 * batch entropy = H(mean_n p(·|z_n)).
 */
export function lfqEntropies(
  zs: Mat,
  inverseTemperature: number,
): { perSample: number; batch: number } {
  const d = zs[0]!.length;
  const codes: Mat = Array.from({ length: 2 ** d }, (_, c) =>
    Array.from({ length: d }, (__, i) => ((c >> (d - 1 - i)) & 1 ? 1 : -1)),
  );
  const avg = new Array<number>(codes.length).fill(0);
  let perSample = 0;
  for (const z of zs) {
    const logits = codes.map((c) => -inverseTemperature * dot(sub(z, c), sub(z, c)));
    const m = Math.max(...logits);
    const w = logits.map((l) => Math.exp(l - m));
    const s = w.reduce((a, b) => a + b, 0);
    const p = w.map((v) => v / s);
    perSample -= p.reduce((h, v) => h + v * log(v), 0);
    p.forEach((v, c) => {
      avg[c]! += v / zs.length;
    });
  }
  return {
    perSample: perSample / zs.length,
    batch: -avg.reduce((h, v) => h + v * log(v), 0),
  };
}

/** Bit probabilities of LFQ's code distribution: p(bit_i = +1 | z) = σ(4·invT·z_i). */
export const lfqBitProbability = (z: number, inverseTemperature: number) =>
  sigmoid(4 * inverseTemperature * z);

/** Central finite difference of f at x along every coordinate. */
export function numericGradient(f: (x: Vec) => number, x: Vec, h = 1e-5): Vec {
  return x.map((_, i) => {
    const up = [...x];
    const down = [...x];
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}
