/** A dense float32 array with its shape (row-major), as stored in {@link VectorQuantizerState}. */
export interface TensorData {
  /** Shape, e.g. `[K, D]`. */
  shape: number[];
  /** Row-major values; `data.length` is the product of `shape`. On input any array of numbers. */
  data: Float32Array;
}

/** The saved state of a reset policy instance: named tensors and numbers. */
export interface PolicyState {
  /** The policy's `name`; `setState` refuses a state saved by another policy. */
  policy: string;
  /** Device buffers, e.g. the windowed policy's `window` `[W, K]`. */
  tensors: Record<string, TensorData>;
  /** Host numbers, e.g. the windowed policy's `bufferFill`. */
  numbers: Record<string, number>;
}
