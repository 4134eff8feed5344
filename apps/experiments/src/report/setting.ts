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
    if (key === reference) {
      labels.set(key, 'base');
      continue;
    }
    const diffs: string[] = [];
    for (const path of new Set([...ref.keys(), ...entries.keys()])) {
      const a = ref.get(path);
      const b = entries.get(path);
      if (a !== b) diffs.push(`${path}=${b === undefined ? '(unset)' : b.replace(/^"|"$/g, '')}`);
    }
    diffs.sort();
    labels.set(
      key,
      diffs.length > 4
        ? `${diffs.slice(0, 4).join(', ')} (+${diffs.length - 4} more)`
        : diffs.join(', '),
    );
  }
  return { reference, labels };
}
