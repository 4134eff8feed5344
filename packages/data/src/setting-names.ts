import { DataError } from './errors';

/**
 * How error messages and skip reasons name a loader's settings, for callers that expose them
 * under names of their own (a CLI's config keys): `{ batchSize: 'train.batchSize',
 * cropsPerImage: 'data.cropsPerImage' }`. A setting mapped to `null` is one the caller's users
 * cannot change, so no message suggests it as a fix. Unmapped settings keep their option name.
 */
export type SettingNames<K extends string = string> = Readonly<Partial<Record<K, string | null>>>;

/** Names settings in messages; see {@link SettingNames}. */
export interface Namer {
  /** The caller's name for option `key` (the option name itself when unmapped or null). */
  (key: string): string;
  /** Whether a message may suggest changing `key` (false when the caller mapped it to null). */
  offers(key: string): boolean;
}

/**
 * Validates a `settingNames` option and returns its {@link Namer}.
 * @throws {DataError} when `names` is not an object of non-empty strings or nulls.
 */
export function namer(fn: string, names: unknown): Namer {
  const ok =
    names === undefined ||
    (typeof names === 'object' &&
      names !== null &&
      !Array.isArray(names) &&
      Object.values(names).every((v) => v === null || (typeof v === 'string' && v !== '')));
  if (!ok) {
    throw new DataError(
      `${fn}: settingNames must map option names to the caller's names (non-empty strings) or to null, got ${JSON.stringify(names)}. For example { batchSize: 'train.batchSize' }.`,
    );
  }
  const map = (names ?? {}) as Record<string, string | null | undefined>;
  const own = (key: string) => (Object.hasOwn(map, key) ? map[key] : undefined);
  const name = ((key: string) => own(key) ?? key) as Namer;
  name.offers = (key: string) => own(key) !== null;
  return name;
}

/** Joins suggested fixes as prose: "a", "a or b", "a, b or c". */
export function either(fixes: readonly string[]): string {
  if (fixes.length <= 1) return fixes[0] ?? '';
  return `${fixes.slice(0, -1).join(', ')} or ${fixes.at(-1)}`;
}
