import { BackbonesError, checkTensors, type TensorSpec } from '@vqkit/backbones';
import {
  decodeModelState,
  ModelsError,
  modelStateProblems,
  QUANTIZER_PREFIX,
  type StateSkeleton,
  type VQVAE,
  WEIGHT_PREFIX,
} from '@vqkit/models';
import { QuantizerError } from '@vqkit/quantizer';
import { runtimeError } from '../config/errors';
import { AdamAdapter, OPTIMIZER_PREFIX } from '../train/adam-adapter';
import type { LoadedCheckpoint } from './file';

/** What a checkpoint of `model` must hold: every weight F32 of its variable's shape, every quantizer tensor finite. */
function modelSpecs(model: VQVAE, checkpoint: LoadedCheckpoint): Record<string, TensorSpec> {
  const specs: Record<string, TensorSpec> = {};
  for (const [name, v] of Object.entries(model.trainableVariables)) {
    specs[`${WEIGHT_PREFIX}${name}`] = { dtype: 'F32', shape: v.shape };
  }
  for (const name of Object.keys(checkpoint.tensors)) {
    if (name.startsWith(`${QUANTIZER_PREFIX}/`)) specs[name] = { finite: true };
  }
  return specs;
}

/** Runs a check, rethrowing a package's typed error as the app's error naming the checkpoint. */
async function fits<T>(checkpoint: LoadedCheckpoint, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    const typed = [BackbonesError, ModelsError, QuantizerError].some((c) => error instanceof c);
    if (typed) {
      throw runtimeError(
        `checkpoint ${checkpoint.path} does not fit the model: ${(error as Error).message} It was written by a run with another config; use the run's own config.json.`,
        error,
      );
    }
    throw error;
  }
}

/**
 * Assigns a checkpoint's model weights and quantizer states. Every weight's dtype and shape, the
 * quantizer tensors' finiteness and every quantizer level (@vqkit/models' state codec) are
 * checked before anything is assigned.
 * @throws ExperimentsError (exit 1) listing every mismatch when the checkpoint belongs to another config.
 */
export async function restoreModel(checkpoint: LoadedCheckpoint, model: VQVAE): Promise<void> {
  // The skeleton is untrusted JSON: modelStateProblems checks it against the model before use.
  const quantizers = checkpoint.meta.quantizers as StateSkeleton;
  const state = { tensors: checkpoint.tensors, quantizers };
  await fits(checkpoint, () => {
    checkTensors(checkpoint.tensors, modelSpecs(model, checkpoint), {
      what: `checkpoint ${checkpoint.path}`,
    });
    const problems = modelStateProblems(model, state);
    if (problems.length > 0) throw new BackbonesError(problems.join('; '), problems);
  });
  await fits(checkpoint, () => decodeModelState(model, state, `checkpoint ${checkpoint.path}`));
}

/**
 * Restores Adam exactly (see {@link AdamAdapter.restore}) after checking that the checkpoint
 * holds its iteration count and one m and one v of each variable's shape, in the model's order.
 * @throws ExperimentsError (exit 1) naming the checkpoint and every missing or misshapen tensor.
 */
export async function restoreOptimizer(
  checkpoint: LoadedCheckpoint,
  model: VQVAE,
  adam: AdamAdapter,
): Promise<void> {
  const { optimizer, learningRate } = checkpoint.meta;
  const variables = Object.values(model.trainableVariables);
  const expected = optimizer.names.length <= 1 ? 1 : 2 * variables.length + 1;
  const specs = AdamAdapter.tensorSpecs(variables, optimizer.names.length);
  await fits(checkpoint, () => {
    const saved = Object.keys(checkpoint.tensors).filter((n) => n.startsWith(OPTIMIZER_PREFIX));
    if (optimizer.names.length !== expected || saved.length !== expected) {
      throw new BackbonesError(
        `the optimizer state must have ${expected} tensors (iteration count, m and v of ${variables.length} variables); the metadata names ${optimizer.names.length} and the file holds ${saved.length}.`,
        [],
      );
    }
    checkTensors(checkpoint.tensors, specs, { what: `checkpoint ${checkpoint.path}` });
  });
  await adam.restore(checkpoint.tensors, optimizer, learningRate);
}
