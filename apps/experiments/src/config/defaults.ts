import {
  DEFAULT_CROPS_PER_IMAGE,
  DEFAULT_FLIP,
  DEFAULT_MAX_PIXELS,
  DEFAULT_TRANSFORM,
  type ImageTransform,
} from '@vqkit/data';
import { MODEL_DEFAULTS } from '@vqkit/models';

/**
 * The app's defaults that no library package defines, each once, with its source. Model defaults
 * come from `@vqkit/models` (`SINGLE_LEVEL_DEFAULTS`, `HIERARCHICAL_DEFAULTS`, `MODEL_DEFAULTS`) and
 * data defaults from `@vqkit/data`; the schema imports all of them from here or from there.
 * `HYPERPARAMETER_SOURCES` (sources.ts) quotes where each value comes from.
 */

/**
 * Defaults of the EMA quantizer every level uses. They are @vqkit/quantizer's own defaults
 * (`VECTOR_QUANTIZER_DEFAULTS` and `WINDOWED_RESET_DEFAULTS`, being added on the quantizer branch):
 * until that export is on main they are kept here, in this one place, with the same values and
 * sources; then this object becomes a re-export of those.
 */
export const QUANTIZER_DEFAULTS = Object.freeze({
  /** EMA decay γ = 0.99: authors' released code (`decay: 0.99`); the paper only says "EMA" (§3.1). */
  decay: 0.99,
  /** Laplace smoothing ε = 1e-5 of the EMA counts: vector-quantize-pytorch (used by the authors' code). */
  epsilon: 1e-5,
  /** β = 0.25 (eq. 3): authors' released code (`beta: 0.25`); the paper does not give β's value. */
  commitmentWeight: 0.25,
  /** Initialisation from encoder outputs: paper §3.3 ("initialized from encoder outputs on randomly selected training samples"). */
  init: 'data' as 'data' | 'kmeans' | 'random',
  /** The paper's sliding-window dead-code reset: paper §3.3 and §4.1. */
  reset: 'windowed' as 'windowed' | 'ema' | 'none',
  /** Threshold 2: paper §4.1 ("We sweep thresholds from 1 to 5 and find 2 to work best"). */
  resetThreshold: 2,
  /** Window 10: paper §4.1 ("The window size is fixed to 10 batches"). */
  resetWindow: 10,
  /**
   * The mean of a few recent encoder outputs: vqkit's reading of paper §4.1 ("reset using an average
   * from recently observed encoder outputs"); the paper does not say how many are averaged.
   */
  resetSource: 'recent-mean' as 'recent-mean' | 'random-recent',
  /** Rows per nearest-code chunk: vqkit choice (peak 4·4096·K bytes, far below WebGPU's 2 GiB binding). */
  chunkSize: 4096,
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
