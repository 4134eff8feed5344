import type { HierarchicalConfig, SingleLevelConfig, SpatialSize } from './types';
import { hierarchicalConfig, inputPixels, singleConfig } from './validate';

/** Budgets of one quantised latent level. */
export interface LevelBudget {
  /** Which level: `single` for a single-level model, `bottom`/`top` for a hierarchical one. */
  level: 'single' | 'bottom' | 'top';
  /** H. */
  height: number;
  /** W. */
  width: number;
  /** C, the encoder output width at this level. */
  channels: number;
  /** K. */
  codebookSize: number;
  /** D. */
  codeDim: number;
  /** H·W latent positions (= indices per image). */
  positions: number;
  /** Continuous latent budget H·W·C (eq. 4, one term). */
  continuous: number;
  /** Discrete codebook budget K·D (eq. 5, one term). */
  discrete: number;
  /** Index bits per image H·W·log2 K (fractional when K is not a power of two). */
  indexBits: number;
}

/** Budgets of a whole architecture: per level and summed. */
export interface Budget {
  /** One entry per quantised level (`single`, or `bottom` then `top`). */
  levels: LevelBudget[];
  /** Σ H·W·C over levels (eq. 4). */
  continuous: number;
  /** Σ K·D over levels (eq. 5; 2·Kh·Dh for the hierarchical model). */
  discrete: number;
  /** Σ H·W·log2 K over levels: bits per image of the raw index maps. */
  indexBits: number;
  /** indexBits / (input height · input width), or null when no input size was given. */
  bitsPerPixel: number | null;
}

/** Options shared by the budget functions. */
export interface BudgetOptions {
  /**
   * Input image size, to report bits per pixel.
   * @default undefined (bitsPerPixel is null)
   */
  inputSize?: SpatialSize;
}

function level(
  name: LevelBudget['level'],
  size: SpatialSize,
  channels: number,
  codebookSize: number,
  codeDim: number,
): LevelBudget {
  const positions = size.height * size.width;
  return {
    level: name,
    height: size.height,
    width: size.width,
    channels,
    codebookSize,
    codeDim,
    positions,
    continuous: positions * channels,
    discrete: codebookSize * codeDim,
    indexBits: positions * Math.log2(codebookSize),
  };
}

function total(fn: string, levels: LevelBudget[], options: BudgetOptions): Budget {
  let continuous = 0;
  let discrete = 0;
  let indexBits = 0;
  for (const l of levels) {
    continuous += l.continuous;
    discrete += l.discrete;
    indexBits += l.indexBits;
  }
  let bitsPerPixel: number | null = null;
  if (options.inputSize !== undefined)
    bitsPerPixel = indexBits / inputPixels(fn, options.inputSize, levels);
  return { levels, continuous, discrete, indexBits, bitsPerPixel };
}

/**
 * Budgets of a single-level config: continuous Hs·Ws·Cs (eq. 4 left side), discrete Ks·Ds (eq. 5 left
 * side), index bits Hs·Ws·log2 Ks per image and, given an input size, bits per pixel.
 *
 * @throws CapacityError for non-positive or non-integer sizes.
 * @example singleLevelBudget({ height: 64, width: 64, channels: 160, codebookSize: 8192, codeDim: 8 })
 *   // continuous 655,360; discrete 65,536; indexBits 53,248
 */
export function singleLevelBudget(config: SingleLevelConfig, options: BudgetOptions = {}): Budget {
  const fn = 'singleLevelBudget';
  const c = singleConfig(fn, config, 'config');
  return total(fn, [level('single', c, c.channels, c.codebookSize, c.codeDim)], options);
}

/**
 * Budgets of a two-level hierarchical config: continuous Hb·Wb·Ch + Ht·Wt·Ch (eq. 4 right side),
 * discrete 2·Kh·Dh (eq. 5 right side), index bits (Hb·Wb + Ht·Wt)·log2 Kh per image and, given an
 * input size, bits per pixel.
 *
 * @throws CapacityError for non-positive or non-integer sizes, or a top level not coarser than the bottom.
 */
export function hierarchicalBudget(
  config: HierarchicalConfig,
  options: BudgetOptions = {},
): Budget {
  const fn = 'hierarchicalBudget';
  const c = hierarchicalConfig(fn, config, 'config');
  return total(
    fn,
    [
      level('bottom', c.bottom, c.channels, c.codebookSize, c.codeDim),
      level('top', c.top, c.channels, c.codebookSize, c.codeDim),
    ],
    options,
  );
}
