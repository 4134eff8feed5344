import * as tf from '@tensorflow/tfjs-core';

/** `x` as a constant: its value, no gradient (tfjs has no stopGradient). `[...]` → `[...]`. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return f(x) as T;
}
