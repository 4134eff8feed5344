import * as tf from '@tensorflow/tfjs-core';
import { ModelsError } from './errors';
import type { VQVAEForwardOptions } from './types';

/**
 * Throws the package's error: `${fn}: ${arg} must be ${expected}, got ${got}. ${fix}`.
 * Every check of this package goes through here, so every message names the function, the
 * argument, what was expected, what was got and how to fix it.
 */
export function fail(fn: string, arg: string, expected: string, got: string, fix: string): never {
  throw new ModelsError(`${fn}: ${arg} must be ${expected}, got ${got}. ${fix}`);
}

/** A short description of any value for error messages. */
export function describe(value: unknown): string {
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** An integer ≥ `min`. */
export function checkInt(
  fn: string,
  arg: string,
  value: unknown,
  min: number,
  fix: string,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(fn, arg, `an integer ≥ ${min}`, describe(value), fix);
  }
  return value;
}

/** A power of two ≥ 2 (a down/upsampling factor). */
export function checkFactor(fn: string, arg: string, value: unknown, fix: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 2 ||
    (value & (value - 1)) !== 0
  ) {
    fail(fn, arg, 'a power of two ≥ 2 (2, 4, 8, …)', describe(value), fix);
  }
  return value;
}

/**
 * A batch of images: a float32 `[B, H, W, channels]` tensor whose H and W are multiples of
 * `multiple` (the model's total downsampling).
 */
export function checkImages(fn: string, x: unknown, channels: number, multiple: number): void {
  const want = `a float32 tensor [batch, height, width, ${channels}]`;
  if (!(x instanceof tf.Tensor) || x.rank !== 4) {
    fail(
      fn,
      'x',
      want,
      describe(x),
      'Add a batch dimension with tf.expandDims(x, 0) for one image.',
    );
  }
  if (x.dtype !== 'float32') {
    fail(
      fn,
      'x',
      want,
      describe(x),
      "Convert with tf.cast(x, 'float32') and scale pixels to [0, 1].",
    );
  }
  if (x.shape[3] !== channels) {
    fail(fn, 'x', want, describe(x), 'Transpose NCHW images to NHWC, or set imageChannels.');
  }
  const [, h, w] = x.shape as [number, number, number, number];
  if (h % multiple !== 0 || w % multiple !== 0) {
    const lo = Math.floor(h / multiple) * multiple;
    fail(
      fn,
      'x',
      `${want} with height and width multiples of ${multiple} (the total downsampling)`,
      describe(x),
      `Crop or resize the images, e.g. to ${lo > 0 ? lo : multiple}.`,
    );
  }
}

/** `options.training` as a boolean, or the package's error. */
export function checkTraining(fn: string, options: VQVAEForwardOptions): boolean {
  const training = (options as Partial<VQVAEForwardOptions> | undefined)?.training;
  if (typeof training !== 'boolean') {
    fail(
      fn,
      'options.training',
      'a boolean',
      describe(training),
      'Pass { training: true } for a training step (quantizers update), { training: false } to evaluate.',
    );
  }
  return training;
}

/** The int32 indices of one level from an indices map, or the package's error. */
export function levelIndices(fn: string, indices: unknown, name: string): tf.Tensor {
  const t =
    indices !== null && typeof indices === 'object'
      ? (indices as Record<string, unknown>)[name]
      : undefined;
  if (!(t instanceof tf.Tensor) || t.dtype !== 'int32') {
    fail(
      fn,
      `indices.${name}`,
      'an int32 tensor of code indices',
      describe(t),
      'Pass the indices returned by encode() or forward().',
    );
  }
  return t;
}
