import type { MetricsFile } from './metrics-file';

/**
 * Config keys that do not change what a run measures for Table 1: identity and bookkeeping, and the
 * codebook shape (which is the row key itself). Everything else must agree for two runs to share a row.
 */
const IGNORED = new Set([
  'name',
  'architecture',
  'seed',
  'tags',
  'allowUnmatched',
  'model.single.codebookSize',
  'model.single.codeDim',
  'model.hierarchical.codebookSize',
  'model.hierarchical.codeDim',
  'eval.samples',
  'data.cacheDir',
  'train.checkpointEvery',
  'train.keepLast',
  'train.logEvery',
  'quantizer.chunkSize',
]);

/** Flattens a config to `path → JSON value`, leaves only. */
export function flatten(
  value: unknown,
  prefix = '',
  out: Map<string, string> = new Map(),
): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const key of Object.keys(value).sort()) {
      flatten(
        (value as Record<string, unknown>)[key],
        prefix === '' ? key : `${prefix}.${key}`,
        out,
      );
    }
  } else if (value !== undefined) {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

/**
 * The loader settings `metrics.json` records (`data.settings`: every pixel-deciding setting of each
 * split, as @vqkit/data reports it), or undefined for runs that do not record them.
 */
export function loaderSettingsOf(metrics: Pick<MetricsFile, 'data'>): unknown {
  const data = metrics.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return (data as Record<string, unknown>)['settings'];
}

/**
 * The training/evaluation protocol of a run without its identity and codebook shape: its config
 * (see IGNORED) and, when recorded, its loaders' settings (as `loader.…`), so runs whose data were
 * prepared differently are never pooled.
 */
export function settingEntries(run: Pick<MetricsFile, 'config' | 'data'>): Map<string, string> {
  const all = flatten(run.config);
  for (const key of [...all.keys()]) {
    const parts = key.split('.');
    if (parts.some((_, i) => IGNORED.has(parts.slice(0, i + 1).join('.')))) all.delete(key);
  }
  const loader = loaderSettingsOf(run);
  if (loader !== undefined) flatten(loader, 'loader', all);
  return all;
}

/** A stable fingerprint of {@link settingEntries}: runs with equal fingerprints are comparable. */
export function settingKey(run: Pick<MetricsFile, 'config' | 'data'>): string {
  return [...settingEntries(run)].map(([k, v]) => `${k}=${v}`).join('\n');
}

/**
 * Names each setting by how it differs from the reference setting (the one most runs use), e.g.
 * `quantizer.init=random, quantizer.reset=none`; the reference itself is `base`.
 *
 * @param configs one entry per run (duplicates weigh the choice of reference).
 * @returns the reference key and a label for every distinct key.
 */
export function labelSettings(configs: readonly Pick<MetricsFile, 'config' | 'data'>[]): {
  reference: string;
  labels: Map<string, string>;
} {
  const counts = new Map<string, { n: number; entries: Map<string, string> }>();
  for (const c of configs) {
    const key = settingKey(c);
    const slot = counts.get(key);
    if (slot) slot.n++;
    else counts.set(key, { n: 1, entries: settingEntries(c) });
  }
  let reference = '';
  let best = -1;
  for (const [key, { n }] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    if (n > best) {
      best = n;
      reference = key;
    }
  }
  const ref = counts.get(reference)?.entries ?? new Map<string, string>();
  const labels = new Map<string, string>();
  for (const [key, { entries }] of counts) {
    labels.set(key, key === reference ? 'base' : describeDifferences(ref, entries));
  }
  return { reference, labels };
}

/**
 * Loader settings (`loader.<split>.<field>`) that one config key decides: a loader difference is
 * left out of a label when that key differs in the same label with the same value (it says
 * nothing more); any other loader difference is shown.
 */
const DECIDED_BY: Readonly<Record<string, string>> = {
  cropSize: 'data.size',
  size: 'data.size',
  minSide: 'data.size',
  decodeShorterSide: 'data.decodeShorterSide',
  transform: 'data.transform',
  flip: 'data.flip',
  range: 'data.range',
  maxPixels: 'data.maxPixels',
  cropsPerImage: 'data.cropsPerImage',
};

/** How the keys that set a run's pixel scale read in a label, in this order (the rest: `key=value`). */
const PHRASES: Readonly<Record<string, (value: string, demo: boolean) => string>> = {
  'data.size': (v, demo) => `${v}² ${demo ? 'crops' : 'images'}`,
  'data.decodeShorterSide': (v) =>
    v === '(unset)' ? 'photos at full resolution' : `photos at shorter side ${v} px`,
};

/**
 * `64² crops, photos at shorter side 128 px, quantizer.init=random`: how `entries` differ from
 * `ref`, the scale named once (loader settings it decides left out), at most 4 items and a count.
 */
function describeDifferences(ref: Map<string, string>, entries: Map<string, string>): string {
  const diffs = new Map<string, string>();
  for (const path of new Set([...ref.keys(), ...entries.keys()])) {
    const b = entries.get(path);
    if (ref.get(path) !== b) diffs.set(path, b === undefined ? '(unset)' : b.replace(/^"|"$/g, ''));
  }
  for (const [path, value] of diffs) {
    const decidedBy = path.startsWith('loader.') ? DECIDED_BY[path.split('.')[2] ?? ''] : undefined;
    const decided = decidedBy === undefined ? undefined : diffs.get(decidedBy);
    // An unset config key (`(unset)`) is recorded by the loader as null.
    if (decided !== undefined && (decided === value || (decided === '(unset)' && value === 'null')))
      diffs.delete(path);
  }
  const demo = entries.get('data.train') === JSON.stringify('demo');
  const phrased = Object.keys(PHRASES).filter((k) => diffs.has(k));
  const items = [
    ...phrased.map((k) => PHRASES[k]!(diffs.get(k)!, demo)),
    ...[...diffs]
      .filter(([k]) => !phrased.includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .sort(),
  ];
  return items.length > 4
    ? `${items.slice(0, 4).join(', ')} (+${items.length - 4} more)`
    : items.join(', ');
}
