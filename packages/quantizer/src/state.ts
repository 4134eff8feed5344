import * as tf from '@tensorflow/tfjs-core';
import { QuantizerError } from './errors';

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

/** Reads a tensor into a {@link TensorData} (async; works on webgpu). */
export async function tensorData(t: tf.Tensor): Promise<TensorData> {
  return { shape: [...t.shape], data: (await t.data()) as Float32Array };
}

/**
 * Validates `value` against the shape of `target` and assigns it.
 * @throws {@link QuantizerError} naming `field` when the shape or length differs or data is missing.
 */
export function assignData(
  fn: string,
  field: string,
  target: tf.Variable,
  value: TensorData | undefined,
): void {
  const shape = target.shape;
  const size = shape.reduce((a, b) => a * b, 1);
  const ok =
    value !== undefined &&
    Array.isArray(value.shape) &&
    value.shape.length === shape.length &&
    value.shape.every((s, i) => s === shape[i]) &&
    value.data != null &&
    value.data.length === size;
  if (!ok) {
    throw new QuantizerError(
      `${fn}: ${field} must have shape [${shape}] with ${size} values, got ${value === undefined ? 'nothing' : `shape [${value.shape}] with ${value.data?.length} values`}. Restore a state saved by a quantizer with the same options.`,
    );
  }
  tf.tidy(() => target.assign(tf.tensor(Float32Array.from(value.data), shape, 'float32')));
}

/**
 * Checks the header of a family's saved state: `version` 1 and the family's `kind`.
 * @param what - the family in words, e.g. `'finite-scalar'`.
 * @throws {@link QuantizerError} naming `fn` and what was got.
 */
export function checkStateKind(
  fn: string,
  state: { version?: unknown; kind?: unknown } | null | undefined,
  kind: string,
  what: string,
): void {
  if (state?.version !== 1 || state.kind !== kind) {
    throw new QuantizerError(
      `${fn}: expected a ${what} state (version 1, kind '${kind}') from getState(), got ${JSON.stringify({ version: state?.version, kind: state?.kind })}.`,
    );
  }
}

/**
 * Checks a saved counter (`step`, `emaSteps`): a non-negative integer.
 * @throws {@link QuantizerError} naming `fn`, the field and the value.
 */
export function checkCounter(fn: string, field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new QuantizerError(`${fn}: ${field} must be a non-negative integer, got ${value}.`);
  }
}
