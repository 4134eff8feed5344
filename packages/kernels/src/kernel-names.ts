/**
 * The names of the kernels vqkit adds to tfjs's registry. (The stock kernels it replaces are
 * named by tfjs-core's own constants: `tf.Conv2D`, `tf.Conv2DBackpropFilter`, ….)
 */

/** The fused nearest-code search: inputs `z` `[N, D]`, `codebook` `[K, D]`; attr `chunkSize`. */
export const NEAREST_CODE_KERNEL = 'VqkitNearestCode';
