import {
  DEFAULT_CROPS_PER_IMAGE,
  DEFAULT_FLIP,
  DEFAULT_MAX_PIXELS,
  DEFAULT_TRANSFORM,
  type ImageTransform,
} from '@vqkit/data';
import { MODEL_DEFAULTS } from '@vqkit/models';
import { VECTOR_QUANTIZER_DEFAULTS, WINDOWED_RESET_DEFAULTS } from '@vqkit/quantizer';

/**
 * The app's defaults that no library package defines, each once, with its source. Model defaults
 * come from `@vqkit/models` (`SINGLE_LEVEL_DEFAULTS`, `HIERARCHICAL_DEFAULTS`, `MODEL_DEFAULTS`) and
 * data defaults from `@vqkit/data`; the schema imports all of them from here or from there.
 * `HYPERPARAMETER_SOURCES` (sources.ts) quotes where each value comes from.
 */

/**
 * Defaults of the EMA quantizer every level uses: @vqkit/quantizer's own (`VECTOR_QUANTIZER_DEFAULTS`,
 * `WINDOWED_RESET_DEFAULTS`, where each value's source is written), plus the two choices that
 * the library leaves to its caller: init from data (paper §3.3: "initialized from encoder outputs
 * on randomly selected training samples", also the library's default policy) and the paper's
 * windowed dead-code reset (§3.3, §4.1; also the library's default policy).
 */
export const QUANTIZER_DEFAULTS = Object.freeze({
  /** The quantizer family of every level: the paper's EMA vector quantizer (§3). */
  kind: 'vq' as const,
  decay: VECTOR_QUANTIZER_DEFAULTS.decay,
  epsilon: VECTOR_QUANTIZER_DEFAULTS.epsilon,
  commitmentWeight: VECTOR_QUANTIZER_DEFAULTS.commitmentWeight,
  codebookLossWeight: VECTOR_QUANTIZER_DEFAULTS.codebookLossWeight,
  distance: VECTOR_QUANTIZER_DEFAULTS.distance,
  learning: VECTOR_QUANTIZER_DEFAULTS.learning,
  gradient: VECTOR_QUANTIZER_DEFAULTS.gradient,
  init: 'data' as 'data' | 'kmeans' | 'random',
  reset: 'windowed' as 'windowed' | 'ema' | 'none',
  resetThreshold: WINDOWED_RESET_DEFAULTS.threshold,
  resetWindow: WINDOWED_RESET_DEFAULTS.window,
  resetSource: WINDOWED_RESET_DEFAULTS.source,
  chunkSize: VECTOR_QUANTIZER_DEFAULTS.chunkSize,
});

/** Defaults of the optimisation schedule. */
export const TRAIN_DEFAULTS = Object.freeze({
  /** 300 epochs: paper §4 ("Training is run for 300 epochs"). */
  epochs: 300,
  /** 16 images per step: vqkit choice — the paper does not state the batch size (see sources.ts). */
  batchSize: 16,
  /** Adam learning rate 3e-4: paper §4 ("Adam with learning rate 3×10⁻⁴"). */
  learningRate: 3e-4,
  /** Decay factor 0.99: paper §4 ("exponential decay factor 0.99"). */
  lrDecay: 0.99,
  /** The decay is applied once per epoch: vqkit choice — the paper does not state the unit. */
  lrDecayEvery: 'epoch' as 'epoch' | 'step' | 'none',
});

/** Defaults of the data section that @vqkit/data does not define. */
export const DATA_DEFAULTS = Object.freeze({
  /** S = 256: paper §4 ("images resized to 256×256"), as @vqkit/models' inputSize. */
  size: MODEL_DEFAULTS.inputSize,
  /** Pixels in [0, 1]: vqkit choice (the paper does not state the input range). */
  range: '0,1' as '0,1' | '-1,1',
  /** `'resize'`: paper §4 ("resized to 256×256"); @vqkit/data's default. */
  transform: DEFAULT_TRANSFORM as ImageTransform,
  /** No flips: the paper names no augmentation; @vqkit/data's default. */
  flip: DEFAULT_FLIP,
  /** One sample per image per epoch (an epoch is one pass); @vqkit/data's default. */
  cropsPerImage: DEFAULT_CROPS_PER_IMAGE,
  /** Largest decodable image (decompression bombs are refused); @vqkit/data's default. */
  maxPixels: DEFAULT_MAX_PIXELS as number | null,
});

/** Run names and sweep cell ids: they name folders, so only these characters (never `.` or `..`). */
export const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
