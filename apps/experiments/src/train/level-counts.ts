import type * as tf from '@tensorflow/tfjs-core';
import type { VQVAE } from '@vqkit/models';
import { runtimeError } from '../config/errors';

/**
 * A forward pass's per-level assignment counts in `model.levels` order (the order every log,
 * metric and report uses).
 * @throws ExperimentsError (exit 1) when a level's quantizer reports no counts.
 */
export function levelCounts(model: VQVAE, counts: VQVAEOutputCounts): tf.Tensor1D[] {
  return model.levels.map((l) => {
    const c = counts[l.name];
    if (c === undefined) {
      throw runtimeError(
        `level '${l.name}': the quantizer reports no assignment counts, which perplexity and the Lorenz curves need. Use a quantizer family that counts its codes (vq, residual, fsq, lfq all do).`,
      );
    }
    return c;
  });
}

type VQVAEOutputCounts = ReturnType<VQVAE['forward']>['counts'];
