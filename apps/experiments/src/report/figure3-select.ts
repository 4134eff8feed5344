import { join } from 'node:path';
import { rungLabel, rungOrder } from '../sweep/ladder';
import type { FinishedRun } from './collect';
import {
  composeGrid,
  type GridColumn,
  type GridLayout,
  originalsFingerprint,
  samplePaths,
} from './figure3';
import { type FigureOutcome, ladderOf, shapeOf } from './figures';
import { scaleNote } from './scale';
import { settingKey } from './setting';
import { fixed } from './stats';

/** Options of {@link figure3}. */
export interface Figure3Options {
  /** Runs of matched Table 1 pairs: preferred as columns, as in the paper's Figure 3. */
  preferred: ReadonlySet<string>;
  maxRows: number;
  maxColumns: number;
  /** Collects every run left out and why. */
  excluded: { run: string; reason: string }[];
}

/** Runs with readable, in-directory samples; the others are listed in `excluded`. */
function withSamples(
  runs: readonly FinishedRun[],
  excluded: Figure3Options['excluded'],
): FinishedRun[] {
  const out: FinishedRun[] = [];
  for (const r of runs) {
    const n = Math.min(
      r.metrics.samples.originals.length,
      r.metrics.samples.reconstructions.length,
    );
    if (n === 0) excluded.push({ run: r.id, reason: 'no saved samples (eval.samples = 0)' });
    else if (samplePaths(r, 'originals') === null || samplePaths(r, 'reconstructions') === null)
      excluded.push({
        run: r.id,
        reason: 'sample paths in metrics.json point outside the run directory',
      });
    else out.push(r);
  }
  return out;
}

/** The runs sharing the most common originals (ties: larger images), the others excluded. */
async function sharedOriginals(runs: readonly FinishedRun[], rows: number, o: Figure3Options) {
  const prints = new Map<string, FinishedRun[]>();
  for (const r of runs) {
    const fp = await originalsFingerprint(r, rows);
    if (fp === null)
      o.excluded.push({ run: r.id, reason: 'sample originals missing or unreadable' });
    else prints.set(fp, [...(prints.get(fp) ?? []), r]);
  }
  const groups = [...prints.values()].sort(
    (a, b) =>
      b.length - a.length || b[0]!.metrics.config.data.size - a[0]!.metrics.config.data.size,
  );
  for (const group of groups.slice(1))
    for (const r of group)
      o.excluded.push({
        run: r.id,
        reason: 'evaluated on different images than the runs shown (other data, size or seed)',
      });
  return groups[0] ?? [];
}

/** One run per (architecture, K, D, setting, rung): the lowest seed; the other seeds are excluded. */
function oneSeedEach(
  runs: readonly FinishedRun[],
  excluded: Figure3Options['excluded'],
): FinishedRun[] {
  const byModel = new Map<string, FinishedRun>();
  const key = (r: FinishedRun) =>
    `${r.metrics.architecture}|${shapeOf(r).label}|${shapeOf(r).d}|${ladderOf(r) ?? ''}|${settingKey(r.metrics)}`;
  for (const r of [...runs].sort((a, b) => a.metrics.config.seed - b.metrics.config.seed)) {
    if (byModel.has(key(r)))
      excluded.push({
        run: r.id,
        reason: `another seed (${r.metrics.config.seed}) of a model shown`,
      });
    else byModel.set(key(r), r);
  }
  return runs.filter((r) => [...byModel.values()].includes(r));
}

/** The paper's layout when possible: one setting and one D (the smallest), columns by K then architecture. */
function chooseColumns(shared: readonly FinishedRun[]): FinishedRun[] {
  const archRank = (r: FinishedRun) => (r.metrics.architecture === 'single' ? 0 : 1);
  const bySlice = new Map<string, FinishedRun[]>();
  for (const r of shared) {
    const key = `${settingKey(r.metrics)}|${shapeOf(r).d}`;
    bySlice.set(key, [...(bySlice.get(key) ?? []), r]);
  }
  const slice = [...bySlice.values()].sort(
    (a, b) => b.length - a.length || shapeOf(a[0]!).d - shapeOf(b[0]!).d,
  )[0]!;
  if (slice.length >= 2 && !shared.every((r) => ladderOf(r) !== undefined)) {
    return [...slice].sort((a, b) => shapeOf(a).k - shapeOf(b).k || archRank(a) - archRank(b));
  }
  return [...shared].sort(
    (a, b) =>
      rungOrder(ladderOf(a) ?? '') - rungOrder(ladderOf(b) ?? '') ||
      archRank(a) - archRank(b) ||
      shapeOf(a).k - shapeOf(b).k ||
      shapeOf(a).d - shapeOf(b).d,
  );
}

function columnOf(r: FinishedRun, rows: number, anyLadder: boolean): GridColumn {
  const s = shapeOf(r);
  const arch = r.metrics.architecture === 'single' ? 'single' : 'hier.';
  const ladder = ladderOf(r);
  const second =
    anyLadder && ladder !== undefined ? rungLabel(ladder) : `${fixed(r.metrics.psnr.mean, 1)} dB`;
  return {
    heading: [`${arch} ${s.label.slice(1)} D${s.d}`, second],
    images: samplePaths(r, 'reconstructions')!.slice(0, rows),
  };
}

/**
 * Figure 3: originals and reconstructions side by side, from the runs of matched Table 1 pairs when
 * there are any (the paper: "reconstructions obtained with varying codebook sizes Ks = 2Kh … Ds = Dh
 * = 8"), else from every run; only runs evaluated on the same images share the grid.
 */
export async function figure3(
  runs: readonly FinishedRun[],
  out: string,
  o: Figure3Options,
): Promise<FigureOutcome<{ png: string; layout: GridLayout }>> {
  const preferred = runs.filter((r) => o.preferred.has(r.id));
  const pool = withSamples(preferred.length > 0 ? preferred : runs, o.excluded);
  if (pool.length === 0)
    return { written: false, reason: 'no finished run saved sample reconstructions' };
  const rows = Math.min(
    o.maxRows,
    ...pool.map((r) =>
      Math.min(r.metrics.samples.originals.length, r.metrics.samples.reconstructions.length),
    ),
  );
  const shared = oneSeedEach(await sharedOriginals(pool, rows, o), o.excluded);
  if (shared.length === 0)
    return { written: false, reason: 'no run has readable sample originals' };
  const ordered = chooseColumns(shared);
  for (const r of ordered.slice(o.maxColumns))
    o.excluded.push({ run: r.id, reason: `more than ${o.maxColumns} columns` });
  const chosen = ordered.slice(0, o.maxColumns);
  for (const r of shared)
    if (!chosen.includes(r) && !o.excluded.some((e) => e.run === r.id))
      o.excluded.push({
        run: r.id,
        reason: 'other setting or code dimension than the columns shown',
      });
  const reference = chosen[0]!;
  const size = reference.metrics.config.data.size;
  const anyLadder = chosen.some((r) => ladderOf(r) !== undefined);
  const columns: GridColumn[] = [
    {
      heading: ['original', `${size}×${size}`],
      images: samplePaths(reference, 'originals')!.slice(0, rows),
    },
    ...chosen.map((r) => columnOf(r, rows, anyLadder)),
  ];
  const caption = ['Figure 3: originals (first column) and reconstructions'];
  const note = scaleNote(chosen.map((r) => r.metrics.config));
  if (note) caption.push(note);
  const png = join(out, 'figure3.png');
  const layout = await composeGrid(columns, png, caption);
  return { written: true, runs: chosen.map((r) => r.id), files: { png, layout } };
}
