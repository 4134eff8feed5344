/**
 * Why a {@link CapacityError} was thrown, for programmatic handling.
 *
 * - `invalid-argument`: a size, width, codebook size or code dimension is not a positive safe integer,
 *   or an option has an unknown value.
 * - `not-coarser`: the top level is not strictly coarser than the bottom level.
 * - `spatial-mismatch`: the single level does not have Hs·Ws = Hb·Wb positions.
 * - `no-integer-solution`: the budgets of eqs. 4–5 (or equal index bits) have no integer solution
 *   for the given numbers; {@link CapacityError.alternatives} lists the nearest ones that do.
 * - `conflicting-options`: two options fix the same quantity to different values.
 * - `not-matched`: `assertMatched` found an equation that does not hold.
 * - `too-large`: a result would exceed `Number.MAX_SAFE_INTEGER`, or a range is too large to enumerate.
 */
export type CapacityErrorCode =
  | 'invalid-argument'
  | 'not-coarser'
  | 'spatial-mismatch'
  | 'no-integer-solution'
  | 'conflicting-options'
  | 'not-matched'
  | 'too-large';

/**
 * One nearby input that does have an exact solution: what to change and what it yields.
 *
 * @example { change: { channels: 8 }, yields: { singleChannels: 10 } }
 */
export interface CapacityAlternative {
  /** The inputs to change, by name (e.g. `channels`, `singleCodeDim`, `codebookSize`). */
  change: Record<string, number>;
  /** What the matching then produces, by name (e.g. `singleChannels`, `singleCodebookSize`). */
  yields: Record<string, number>;
}

/**
 * Thrown for invalid input to @vqkit/capacity. The message names the function and argument, what was
 * expected, what was got, and the nearest valid alternatives when there are any (never a silent round).
 */
export class CapacityError extends Error {
  override name = 'CapacityError';
  /** Machine-readable reason. */
  readonly code: CapacityErrorCode;
  /** The nearest inputs that have an exact solution (empty when none apply). */
  readonly alternatives: readonly CapacityAlternative[];

  constructor(
    message: string,
    code: CapacityErrorCode,
    alternatives: readonly CapacityAlternative[] = [],
  ) {
    super(message);
    this.code = code;
    this.alternatives = alternatives;
  }
}

/** Formats alternatives as `channels 8 → singleChannels 10; channels 4 → singleChannels 5`. */
export function formatAlternatives(alternatives: readonly CapacityAlternative[]): string {
  return alternatives
    .map((a) => {
      const change = Object.entries(a.change)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const yields = Object.entries(a.yields)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      return `${change} → ${yields}`;
    })
    .join('; ');
}
