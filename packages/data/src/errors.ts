/**
 * Why an image could not be used: `'unreadable'` (corrupt, truncated, not an image, I/O error),
 * `'too-small'` (below `minSide`) or `'too-large'` (above the `maxPixels` limit).
 */
export type SkipKind = 'unreadable' | 'too-small' | 'too-large';

/**
 * A file that was left out, as reported in a loader's stats (and meant for the run log).
 * `reason` is human-readable, e.g. `"too small: 4×4 px, shorter side below minSide = 32"`.
 */
export interface SkippedImage {
  path: string;
  kind: SkipKind;
  reason: string;
}

/**
 * Thrown by @vqkit/data for invalid arguments, missing or empty folders, loader misuse and
 * datasets with too many unreadable images. The message names the function and argument, what
 * was expected, what was given, and how to fix it. When a single image cannot be used
 * (`decodeImage` on a corrupt or too-small file), `skipped` describes it; loaders catch those
 * and report them in their stats instead of throwing.
 */
export class DataError extends Error {
  override name = 'DataError';
  /** Set when the error is about one unusable image file. */
  readonly skipped?: SkippedImage;

  constructor(message: string, skipped?: SkippedImage) {
    super(message);
    if (skipped) this.skipped = skipped;
  }
}
