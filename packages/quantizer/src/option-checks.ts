import { QuantizerError } from './errors';

/**
 * `value` when it is one of `allowed`.
 * @throws {@link QuantizerError} `fn: name must be 'a' or 'b', got "c".`
 */
export function checkEnum<T extends string>(fn: string, name: string, value: T, allowed: T[]): T {
  if (!allowed.includes(value)) {
    throw new QuantizerError(
      `${fn}: ${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * `value` when it is a number that passes `ok`.
 * @param expected - what `ok` accepts, in words (`'an integer ≥ 1'`).
 * @param example - a valid value to suggest, usually the option's default.
 * @throws {@link QuantizerError} `fn: name must be <expected>, got <value>. Use e.g. <example>.`
 */
export function checkNumber(
  fn: string,
  name: string,
  value: number,
  ok: (v: number) => boolean,
  expected: string,
  example: number | string,
): number {
  if (typeof value !== 'number' || !ok(value)) {
    throw new QuantizerError(
      `${fn}: ${name} must be ${expected}, got ${String(value)}. Use e.g. ${example}.`,
    );
  }
  return value;
}

/** An integer ≥ 1 (sizes, counts, windows). */
export const isPositiveInteger = (v: number) => Number.isInteger(v) && v >= 1;
/** A finite number ≥ 0 (loss weights). */
export const isNonNegative = (v: number) => Number.isFinite(v) && v >= 0;
