import * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsTensor } from '@vqkit/backbones';
import { ModelsError } from './errors';
import { quantizerStateProblems } from './level-quantizers';
import { decodeState, encodeState, type StateSkeleton } from './state-codec';
import type { VQVAE } from './types';

/** Prefix of every trainable variable's tensor in a model file or checkpoint: `model/<name>`. */
export const WEIGHT_PREFIX = 'model/';
/** Prefix of every quantizer-state tensor: `quantizer/<level>/<path>`. */
export const QUANTIZER_PREFIX = 'quantizer';

/**
 * A model's complete state as safetensors tensors plus the JSON skeleton of its quantizer states:
 * what {@link saveModel} writes, and what a training checkpoint adds its optimizer state and
 * run metadata to.
 */
export interface EncodedModelState {
  /** `model/<variable>` (F32, one per trainable variable) and `quantizer/<level>/…` tensors. */
  tensors: Record<string, SafetensorsTensor>;
  /** JSON skeleton of every quantizer's state (see `encodeState`); store it in the file's metadata. */
  quantizers: StateSkeleton;
}

/**
 * Reads every trainable variable and every quantizer's state (async reads, so it works on webgpu).
 * Variables become `model/<name>` F32 tensors; quantizer states are split by `encodeState` into
 * `quantizer/<level>/…` tensors and a JSON skeleton.
 */
export async function encodeModelState(model: VQVAE): Promise<EncodedModelState> {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, v] of Object.entries(model.trainableVariables)) {
    const data = new Float32Array((await v.data()) as Float32Array);
    tensors[`${WEIGHT_PREFIX}${name}`] = { dtype: 'F32', shape: [...v.shape], data };
  }
  const quantizers = await encodeState(await model.getQuantizerStates(), QUANTIZER_PREFIX, tensors);
  return { tensors, quantizers };
}

/**
 * Every reason why `state` cannot be restored into `model`: missing, unexpected, wrong-dtype and
 * wrong-shape weights, and missing, unexpected or differently sized quantizer levels. Empty when
 * it fits.
 */
export function modelStateProblems(model: VQVAE, state: EncodedModelState): string[] {
  const problems: string[] = [];
  const { tensors } = state;
  for (const [name, v] of Object.entries(model.trainableVariables)) {
    const key = `${WEIGHT_PREFIX}${name}`;
    const t = Object.hasOwn(tensors, key) ? tensors[key] : undefined;
    const want = `F32 [${v.shape}]`;
    if (t === undefined) problems.push(`missing weight '${name}' (expected ${want})`);
    else if (t.dtype !== 'F32' || t.shape.join(',') !== v.shape.join(',')) {
      problems.push(
        `weight '${name}' is ${t.dtype} [${t.shape}] in the file, the model expects ${want}`,
      );
    }
  }
  for (const key of Object.keys(tensors)) {
    const name = key.slice(WEIGHT_PREFIX.length);
    if (key.startsWith(WEIGHT_PREFIX) && !Object.hasOwn(model.trainableVariables, name)) {
      const t = tensors[key] as SafetensorsTensor;
      problems.push(`unexpected weight '${name}' (${t.dtype} [${t.shape}]) not in the model`);
    }
  }
  let states: unknown;
  try {
    states = decodeState(state.quantizers, tensors);
  } catch (error) {
    return [...problems, (error as Error).message];
  }
  return [...problems, ...quantizerStateProblems(model.quantizers, states)];
}

/**
 * Restores a state from {@link encodeModelState} into a model built with the same options:
 * checks everything first ({@link modelStateProblems}), then assigns every weight and restores
 * every quantizer, so training continues exactly where the state was taken.
 *
 * @param source - names the file in error messages (e.g. its path). @default 'the state'
 * @throws {@link ModelsError} listing every mismatch; nothing is assigned then.
 */
export async function decodeModelState(
  model: VQVAE,
  state: EncodedModelState,
  source = 'the state',
): Promise<void> {
  const problems = modelStateProblems(model, state);
  if (problems.length > 0) {
    throw new ModelsError(
      `decodeModelState: ${source} must fit the ${model.architecture} model, got ${problems.length} mismatch${problems.length === 1 ? '' : 'es'}: ` +
        `${problems.join('; ')}. Build the model with the options the file was saved from.`,
      problems,
    );
  }
  for (const [name, v] of Object.entries(model.trainableVariables)) {
    const t = state.tensors[`${WEIGHT_PREFIX}${name}`] as SafetensorsTensor;
    tf.tidy(() => v.assign(tf.tensor(t.data as Float32Array, t.shape, 'float32')));
  }
  await model.setQuantizerStates(
    decodeState(state.quantizers, state.tensors) as Record<string, unknown>,
  );
}
