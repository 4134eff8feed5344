import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` with the gradient tape off, even inside `tf.variableGrads` / `optimizer.minimize`:
 * nothing it computes is recorded for backprop (no `[N, K]` distance matrix is kept alive until
 * the backward pass, and int32 indices never enter the tape). `fn` runs inside a `tf.tidy`; the
 * tensors it returns are kept and belong to the caller, who must dispose them.
 */
export function untaped<T extends Record<string, tf.Tensor>>(fn: () => T): T {
  let result: T | undefined;
  // customGrad runs its forward function as one kernel, with recording disabled.
  const op = tf.customGrad((..._args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const out = fn();
    for (const t of Object.values(out)) tf.keep(t);
    result = out;
    return { value: tf.scalar(0), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  const trigger = tf.scalar(0);
  try {
    op(trigger).dispose();
  } finally {
    trigger.dispose();
  }
  return result as T;
}
