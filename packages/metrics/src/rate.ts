import { MetricsError } from './errors';
import { entropy } from './usage';
import { type Counts, positiveInteger } from './validate';

/** A quantised latent level: an H×W map of indices into a codebook of K entries. */
export interface IndexLevel {
  /** H, latent positions. */
  height: number;
  /** W, latent positions. */
  width: number;
  /** K. */
  codebookSize: number;
}

/** A quantised latent level with its observed assignment counts (length K). */
export interface CountedLevel {
  /** H, latent positions. */
  height: number;
  /** W, latent positions. */
  width: number;
  /** Per-code assignment counts for this level, length K. */
  counts: Counts;
}

/** Options of {@link indexRate} and {@link entropyRate}. */
export interface RateOptions {
  /**
   * Input image size, to report bits per pixel.
   * @default undefined (bitsPerPixel is null)
   */
  inputSize?: { height: number; width: number };
}

/** Bits per image (and pixel) of a stack of latent levels. */
export interface Rate {
  /** Σ over levels of positions · bitsPerPosition. */
  bitsPerImage: number;
  /** bitsPerImage / (input height · width), or null without an input size. */
  bitsPerPixel: number | null;
  /** One entry per level, in input order. */
  levels: Array<{ positions: number; bitsPerPosition: number; bitsPerImage: number }>;
}

function finish(fn: string, levels: Rate['levels'], options: RateOptions): Rate {
  let bits = 0;
  for (const l of levels) bits += l.bitsPerImage;
  let bitsPerPixel: number | null = null;
  if (options.inputSize !== undefined) {
    const h = positiveInteger(fn, 'options.inputSize.height', options.inputSize.height);
    const w = positiveInteger(fn, 'options.inputSize.width', options.inputSize.width);
    bitsPerPixel = bits / (h * w);
  }
  return { bitsPerImage: bits, bitsPerPixel, levels };
}

function checkLevels(fn: string, levels: readonly unknown[]): void {
  if (!Array.isArray(levels) || levels.length === 0) {
    throw new MetricsError(
      `${fn}: levels must be a non-empty array (one entry per quantised latent map).`,
    );
  }
}

/**
 * Index rate of raw (fixed-length) code indices: Σ over levels of H·W·log2 K bits per image.
 * E.g. 64×64 + 32×32 with K = 4096: 5120 · 12 = 61,440 bits, 0.9375 bits per pixel at 256×256.
 */
export function indexRate(levels: readonly IndexLevel[], options: RateOptions = {}): Rate {
  const fn = 'indexRate';
  checkLevels(fn, levels);
  return finish(
    fn,
    levels.map((l, i) => {
      const positions =
        positiveInteger(fn, `levels[${i}].height`, l.height) *
        positiveInteger(fn, `levels[${i}].width`, l.width);
      const bitsPerPosition = Math.log2(
        positiveInteger(fn, `levels[${i}].codebookSize`, l.codebookSize),
      );
      return { positions, bitsPerPosition, bitsPerImage: positions * bitsPerPosition };
    }),
    options,
  );
}

/**
 * Empirical entropy-coded rate: Σ over levels of H·W·H₂(p_level) bits per image, where p_level is the
 * level's empirical assignment distribution and H₂ its entropy in bits. This is what a static entropy
 * coder fitted to the observed code frequencies would spend (a lower bound for any coder that ignores
 * context); it equals {@link indexRate} exactly when every code is used equally often.
 */
export function entropyRate(levels: readonly CountedLevel[], options: RateOptions = {}): Rate {
  const fn = 'entropyRate';
  checkLevels(fn, levels);
  return finish(
    fn,
    levels.map((l, i) => {
      const positions =
        positiveInteger(fn, `levels[${i}].height`, l.height) *
        positiveInteger(fn, `levels[${i}].width`, l.width);
      let bitsPerPosition: number;
      try {
        bitsPerPosition = entropy(l.counts, { base: 2 });
      } catch (e) {
        if (e instanceof MetricsError)
          throw new MetricsError(`${fn}: levels[${i}].counts: ${e.message}`);
        throw e;
      }
      return { positions, bitsPerPosition, bitsPerImage: positions * bitsPerPosition };
    }),
    options,
  );
}
