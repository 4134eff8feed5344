import {
  type NearestCodeSearch,
  VectorQuantizer,
  type VectorQuantizerOptions,
} from '@vqkit/quantizer';
import { describe, fail } from './assert';
import type { QuantizerFactory } from './types';

/**
 * Options of the default EMA vector quantizer: everything of `VectorQuantizerOptions` except what
 * the model sets per level (`codebookSize`, `codeDim`, `seed`) and the search (its own option).
 */
export type EmaQuantizerOptions = Partial<
  Omit<VectorQuantizerOptions, 'codebookSize' | 'codeDim' | 'seed' | 'search'>
>;

/** Options of {@link emaQuantizerFactory}. */
export interface EmaQuantizerFactoryOptions {
  /** Forwarded to every level's `VectorQuantizer` (decay, β, init and reset policies, …). @default {} */
  vq?: EmaQuantizerOptions;
  /** Nearest-code search of every level. @default the quantizer's own (`chunkedNearestCode`) */
  search?: NearestCodeSearch;
}

const PER_LEVEL = ['codebookSize', 'codeDim', 'seed', 'search'] as const;

/**
 * The models' default quantizer: one EMA `VectorQuantizer` per level (paper §3.1, eq. 2:
 * `k(i,j) = argmin_k ‖z_e,ij − c_k‖²`, EMA codebook, straight-through gradient), with the level's
 * K, D and seed and the same `vq` options at every level, so both architectures train their
 * codebooks identically.
 */
export function emaQuantizerFactory(options: EmaQuantizerFactoryOptions = {}): QuantizerFactory {
  const fn = 'emaQuantizerFactory';
  const vq = options.vq ?? {};
  if (typeof vq !== 'object' || vq === null) {
    fail(
      fn,
      'vq',
      'an object of VectorQuantizer options',
      describe(vq),
      'Pass e.g. { decay: 0.99 }.',
    );
  }
  for (const key of PER_LEVEL) {
    if (Object.hasOwn(vq, key)) {
      fail(
        fn,
        `vq.${key}`,
        'absent (the model sets it per level)',
        describe((vq as Record<string, unknown>)[key]),
        key === 'search'
          ? 'Pass search as its own option: { search }.'
          : `Set the model's ${key} option instead.`,
      );
    }
  }
  const search = options.search;
  return (level) =>
    new VectorQuantizer({
      ...vq,
      codebookSize: level.codebookSize,
      codeDim: level.codeDim,
      seed: level.seed,
      ...(search === undefined ? {} : { search }),
    });
}
