import * as tf from '@tensorflow/tfjs-core';
import type { VariableContainer } from './backbone';
import { BackbonesError } from './errors';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors';

/**
 * Reads every variable of a module (or of {@link mergeVariables}' result) and serialises them as
 * F32 safetensors, one tensor per variable under its stable name, in tfjs layout: conv filters
 * `[k, k, in, out]`, transposed-conv filters `[k, k, out, in]`, biases `[out]`. (PyTorch stores
 * `[out, in, k, k]` and `[in, out, k, k]`: transpose with perm [3, 2, 0, 1] for both.)
 * Reads are asynchronous (`await v.data()`), so this works on webgpu.
 *
 * @param metadata string map stored as `__metadata__` (e.g. the config the model was built with). @default {}
 * @returns the file's bytes; write them wherever you like (this package never touches a filesystem).
 */
export async function saveWeights(
  module: VariableContainer,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const tensors: Record<string, SafetensorsTensor> = Object.create(null);
  for (const [name, v] of Object.entries(module.variables)) {
    if (v.dtype !== 'float32') {
      throw new BackbonesError(
        `saveWeights: variable '${name}' has dtype ${v.dtype}; only float32 variables are supported. Cast it to float32.`,
      );
    }
    const data = (await v.data()) as Float32Array;
    tensors[name] = { dtype: 'F32', shape: [...v.shape], data: new Float32Array(data) };
  }
  return encodeSafetensors(tensors, metadata);
}

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /**
   * Reject files holding tensors the module does not have. Set to false to load one module out of
   * a whole-model file (the other tensors are ignored). @default true
   */
  strict?: boolean;
}

/**
 * Validates a safetensors file against a module's variables and assigns every tensor to the
 * variable of the same name. Nothing is assigned unless everything matches: every variable must be
 * present as F32 with exactly the variable's shape (and, with `strict`, no extra tensors). The file
 * is only parsed, never executed.
 *
 * @returns the file's `__metadata__`.
 * @throws {BackbonesError} whose message and `problems` list every missing, extra, wrong-dtype and
 *   wrong-shape tensor.
 */
export function loadWeights(
  module: VariableContainer,
  bytes: Uint8Array,
  options: LoadWeightsOptions = {},
): Record<string, string> {
  const strict = options.strict ?? true;
  const file = decodeSafetensors(bytes);
  const problems: string[] = [];
  for (const [name, v] of Object.entries(module.variables)) {
    const t = Object.hasOwn(file.tensors, name) ? file.tensors[name] : undefined;
    const want = `F32 [${v.shape.join(',')}]`;
    if (t === undefined) {
      problems.push(`missing tensor '${name}' (expected ${want})`);
      continue;
    }
    const got = `${t.dtype} [${t.shape.join(',')}]`;
    const shapeOk = t.shape.length === v.shape.length && t.shape.every((d, i) => d === v.shape[i]);
    if (t.dtype !== 'F32' || !shapeOk) {
      const what = [t.dtype !== 'F32' ? 'dtype' : '', shapeOk ? '' : 'shape']
        .filter(Boolean)
        .join(' and ');
      problems.push(`tensor '${name}': wrong ${what}, expected ${want}, file has ${got}`);
    }
  }
  if (strict) {
    for (const name of Object.keys(file.tensors)) {
      if (!Object.hasOwn(module.variables, name)) {
        const t = file.tensors[name]!;
        problems.push(
          `unexpected tensor '${name}' (${t.dtype} [${t.shape.join(',')}]) not in the module`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new BackbonesError(
      `loadWeights: the file does not match the module (${problems.length} problem${problems.length === 1 ? '' : 's'}): ` +
        `${problems.join('; ')}. Build the module with the configuration the file was saved from` +
        `${strict ? ', or pass { strict: false } to ignore extra tensors' : ''}.`,
      problems,
    );
  }
  for (const [name, v] of Object.entries(module.variables)) {
    const t = file.tensors[name]!;
    const value = tf.tensor(t.data as Float32Array, v.shape, 'float32');
    v.assign(value);
    value.dispose();
  }
  return { ...file.metadata };
}
