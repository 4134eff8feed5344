import * as tf from '@tensorflow/tfjs-core';
import type { VariableContainer } from './backbone';
import { BackbonesError } from './errors';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors';
import { tensorProblems } from './tensor-checks';

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
  /**
   * Refuse tensors holding NaN or ±Inf values (a diverged run's weights). Set to false to load
   * them anyway, e.g. to inspect a diverged run.
   * @default true
   */
  finite?: boolean;
}

/**
 * Validates a safetensors file against a module's variables and assigns every tensor to the
 * variable of the same name. Nothing is assigned unless everything matches: every variable must be
 * present as F32 with exactly the variable's shape and (with `finite`) only finite values (and,
 * with `strict`, no extra tensors). The file is only parsed, never executed; its checksums, when
 * it has them, are verified (see `decodeSafetensors`).
 *
 * @returns the file's `__metadata__`.
 * @throws {BackbonesError} whose message and `problems` list every missing, extra, wrong-dtype,
 *   wrong-shape and non-finite tensor, or saying the file is malformed or damaged.
 */
export function loadWeights(
  module: VariableContainer,
  bytes: Uint8Array,
  options: LoadWeightsOptions = {},
): Record<string, string> {
  const strict = options.strict ?? true;
  const finite = options.finite ?? true;
  const file = decodeSafetensors(bytes);
  const mismatch: string[] = [];
  const nonFinite: string[] = [];
  for (const [name, v] of Object.entries(module.variables)) {
    const t = Object.hasOwn(file.tensors, name) ? file.tensors[name] : undefined;
    for (const p of tensorProblems(name, t, { dtype: 'F32', shape: v.shape, finite })) {
      (/ has \d+ (NaN|infinite)/.test(p) ? nonFinite : mismatch).push(p);
    }
  }
  const extra = strict
    ? Object.keys(file.tensors)
        .filter((name) => !Object.hasOwn(module.variables, name))
        .map((name) => {
          const t = file.tensors[name]!;
          return `unexpected tensor '${name}' (${t.dtype} [${t.shape.join(',')}]) not in the module`;
        })
    : [];
  const problems = [...mismatch, ...nonFinite, ...extra];
  if (problems.length > 0) {
    const fixes: string[] = [];
    if (mismatch.length > 0)
      fixes.push('build the module with the configuration the file was saved from');
    if (extra.length > 0) fixes.push('pass { strict: false } to ignore extra tensors');
    if (nonFinite.length > 0) {
      fixes.push(
        'non-finite weights come from a diverged run: load an earlier file, or pass { finite: false } to inspect them',
      );
    }
    throw new BackbonesError(
      `loadWeights: the file does not match the module (${problems.length} problem${problems.length === 1 ? '' : 's'}): ` +
        `${problems.join('; ')}. To fix it, ${fixes.join('; or ')}.`,
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
