import * as tf from '@tensorflow/tfjs-core';
import { QuantizerError } from './errors';

/** Indices as accepted by `decode`: an int32 tensor, or host data (flat or nested arrays). */
export type IndexInput = tf.Tensor | ArrayLike<number> | NestedIndices;
/** Nested arrays of indices, e.g. `[[3, 1], [0, 2]]` for shape `[2, 2]`. */
export type NestedIndices = readonly (number | NestedIndices)[];

/** The allowed index values of a family: `[0, codebookSize)`, plus −1 where a stage may be dropped. */
export interface IndexRange {
  codebookSize: number;
  /** Accept −1 ("stage dropped", the residual quantizer's quantizer dropout). @default false */
  allowDropped?: boolean;
}

function describe(range: IndexRange): string {
  return `[0, ${range.codebookSize})${range.allowDropped ? ' or −1 (dropped stage)' : ''}`;
}

/**
 * `decode`'s input as an int32 tensor the caller owns when `created` is true. Host data is checked
 * entry by entry (a {@link QuantizerError} names the position, value, allowed range and fix);
 * tensors are checked for dtype only — their values live on the device, where an out-of-range
 * entry decodes to NaN instead (see {@link inRange}), because reading them back synchronously is
 * impossible on webgpu.
 */
export function indexTensor(
  fn: string,
  indices: IndexInput,
  range: IndexRange,
): { tensor: tf.Tensor; created: boolean } {
  if (indices instanceof tf.Tensor) {
    if (indices.dtype !== 'int32') {
      throw new QuantizerError(
        `${fn}: indices must be an int32 tensor, got ${indices.dtype}. Use the indices returned by forward, or tf.cast(x, 'int32').`,
      );
    }
    return { tensor: indices, created: false };
  }
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
    throw new QuantizerError(
      `${fn}: indices must be an int32 tensor or an array of integers, got ${String(indices)}.`,
    );
  }
  const nested = Array.isArray(indices);
  const flat: unknown[] = nested
    ? (indices as unknown[]).flat(Number.POSITIVE_INFINITY)
    : Array.from(indices as ArrayLike<number>);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    const ok =
      typeof v === 'number' &&
      Number.isInteger(v) &&
      ((v >= 0 && v < range.codebookSize) || (range.allowDropped === true && v === -1));
    if (!ok) {
      throw new QuantizerError(
        `${fn}: indices (flattened) [${i}] = ${String(v)} is out of range ${describe(range)} for codebookSize ${range.codebookSize}. Decode indices produced by this quantizer's forward, or construct the quantizer with the options the indices were made with.`,
      );
    }
  }
  try {
    return { tensor: tf.tensor(indices as number[], undefined, 'int32'), created: true };
  } catch (error) {
    throw new QuantizerError(
      `${fn}: indices must be a rectangular (non-ragged) array of integers; ${error instanceof Error ? error.message : String(error)}.`,
    );
  }
}

/** bool tensor of the indices' shape: true where `0 ≤ index < codebookSize`. */
export function inRange(indices: tf.Tensor, codebookSize: number): tf.Tensor {
  return tf.tidy(() => tf.logicalAnd(tf.greaterEqual(indices, 0), tf.less(indices, codebookSize)));
}

/**
 * The body of a family's `decode`: `indices` (any {@link IndexInput}) → `[..., codeDim]` float32,
 * where `codesOf` maps the flattened indices `[M]` (int32; out-of-range entries replaced by 0) to
 * their codes `[M, codeDim]`, and every out-of-range entry of a tensor decodes to NaN. Host data
 * is range-checked by {@link indexTensor} first.
 */
export function decodeIndices(
  fn: string,
  indices: IndexInput,
  codebookSize: number,
  codeDim: number,
  codesOf: (flat: tf.Tensor1D) => tf.Tensor2D,
): tf.Tensor {
  const { tensor, created } = indexTensor(fn, indices, { codebookSize });
  try {
    return tf.tidy(() => {
      const ok = inRange(tensor, codebookSize);
      const flat = tf.reshape(tf.where(ok, tensor, tf.zerosLike(tensor)), [-1]) as tf.Tensor1D;
      const codes = codesOf(flat);
      const masked = tf.where(tf.reshape(ok, [-1, 1]), codes, tf.fill(codes.shape, Number.NaN));
      return tf.reshape(masked, [...tensor.shape, codeDim]);
    });
  } finally {
    if (created) tensor.dispose();
  }
}
