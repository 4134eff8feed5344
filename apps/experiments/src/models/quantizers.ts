import * as tf from '@tensorflow/tfjs-core';
import { fusedNearestCode } from '@vqkit/kernels';
import {
  emaDeadCodeReset,
  initFromData,
  initKMeans,
  initRandom,
  noReset,
  VectorQuantizer,
  windowedDeadCodeReset,
} from '@vqkit/quantizer';
import type { RunConfig } from '../config/schema';

/**
 * One EMA vector quantizer for a level (eq. 2: k(i,j) = argmin_k ‖z_e,ij − c_k‖², z_q,ij = c_k(i,j)),
 * configured from the run's `quantizer` section. Every level of both architectures gets the same
 * update rule, init and reset policy, so the comparison isolates the architecture.
 *
 * The fused nearest-code search of @vqkit/kernels is used on the backends it supports (cpu, webgpu);
 * elsewhere the quantizer's own chunked search runs.
 */
export function createLevelQuantizer(
  config: RunConfig,
  level: { codebookSize: number; codeDim: number },
  seed: number,
): VectorQuantizer {
  const q = config.quantizer;
  const init =
    q.init === 'data' ? initFromData() : q.init === 'kmeans' ? initKMeans() : initRandom();
  const reset =
    q.reset === 'windowed'
      ? windowedDeadCodeReset({
          threshold: q.resetThreshold,
          window: q.resetWindow,
          source: q.resetSource,
        })
      : q.reset === 'ema'
        ? emaDeadCodeReset({ threshold: q.resetThreshold })
        : noReset();
  const backend = tf.getBackend();
  const search = backend === 'cpu' || backend === 'webgpu' ? fusedNearestCode : undefined;
  return new VectorQuantizer({
    codebookSize: level.codebookSize,
    codeDim: level.codeDim,
    decay: q.decay,
    epsilon: q.epsilon,
    commitmentWeight: q.commitmentWeight,
    init,
    reset,
    chunkSize: q.chunkSize,
    seed,
    ...(search === undefined ? {} : { search }),
  });
}
