import * as tf from '@tensorflow/tfjs-core';

/** Rows scaled to unit l2 norm, `v / max(‖v‖, 1e-12)` (zero rows stay zero). `[N, D]` → `[N, D]`. */
export function l2Normalize(v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(
    () => tf.div(v, tf.maximum(tf.norm(v, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D,
  );
}

/**
 * `λ·Rᵀ·g` per row: the gradient the rotation trick sends to `x` (see {@link rotateTo}).
 * `[N, D]` each → `[N, D]`. Rows with `x = 0` (no rotation defined) pass `g` through unchanged.
 */
export function rotationTrickGradient(x: tf.Tensor2D, e: tf.Tensor2D, g: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const xNorm = tf.norm(x, 'euclidean', 1, true);
    const eNorm = tf.norm(e, 'euclidean', 1, true);
    const u = l2Normalize(x);
    const q = l2Normalize(e);
    const r = l2Normalize(tf.add(u, q) as tf.Tensor2D);
    const dot = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(a, b), 1, true);
    // Rᵀg = g − 2r(r·g) + 2u(q·g)   (R = I − 2rrᵀ + 2quᵀ)
    const rotated = tf.add(
      tf.sub(g, tf.mul(r, tf.mul(dot(r, g), 2))),
      tf.mul(u, tf.mul(dot(q, g), 2)),
    );
    const scaled = tf.mul(rotated, tf.div(eNorm, tf.maximum(xNorm, 1e-30)));
    return tf.where(tf.greater(xNorm, 0), scaled, g) as tf.Tensor2D;
  });
}

/**
 * The rotation trick (Fifty et al. 2024, "Restructuring Vector Quantization with the Rotation
 * Trick", §4.2): the forward value is the code `e`; the gradient reaches the encoder output `x`
 * through the rotation and rescaling that take `x` to `e`, treated as constants:
 * `q̃ = sg(λR)·x`, `λ = ‖e‖/‖x‖`, `R = I − 2rrᵀ + 2ê x̂ᵀ`, `r = (x̂ + ê)/‖x̂ + ê‖`
 * (x̂, ê unit vectors; `R x̂ = ê`), so `∂L/∂x = λ·Rᵀ·∂L/∂q̃`. No gradient reaches `e` on this path.
 * Antipodal `x̂ = −ê` gives `r = 0`, the reflection `I − 2x̂x̂ᵀ`; `e = 0` gives gradient 0; `x = 0`
 * has no rotation and falls back to straight-through.
 *
 * @param x - encoder outputs `[N, D]` (on the gradient tape).
 * @param e - their codes `[N, D]` (constants here).
 * @returns `[N, D]` with the values of `e`.
 */
export function rotateTo(x: tf.Tensor2D, e: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    save([input, e]);
    return {
      value: tf.clone(e),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        rotationTrickGradient(saved[0] as tf.Tensor2D, saved[1] as tf.Tensor2D, dy as tf.Tensor2D),
    };
  });
  return f(x) as tf.Tensor2D;
}

/** Straight-through estimator: value `e`, gradient to `x` the identity. `[N, D]` → `[N, D]`. */
export function straightThrough(x: tf.Tensor2D, e: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((..._args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(e),
    gradFunc: (dy: tf.Tensor) => dy,
  }));
  return f(x) as tf.Tensor2D;
}
