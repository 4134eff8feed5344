import { checkMatched, hierarchicalBudget, singleLevelBudget } from '@vqkit/capacity';
import { rungLabel, rungOrder } from '../sweep/ladder';
import type { FinishedRun } from './collect';
import type { ReportedConfig } from './metrics-file';
import { labelSettings, settingKey } from './setting';
import {
  average,
  decimalsFor,
  fixed,
  formatMeanStd,
  formatParamsM,
  type Pooled,
  pool,
  signed,
} from './stats';

/** One architecture's side of a Table 1 row, pooled over its runs (seeds). */
export interface ArchitectureCell {
  /** Run ids pooled into this cell. */
  runs: string[];
  seeds: number[];
  psnr: Pooled;
  /** Images whose PSNR was infinite (exact reconstructions), Σ over runs. */
  psnrInfinite: number;
  mse: Pooled;
  ssim: Pooled | null;
  /** Trainable parameters (mean over runs; identical for identical configs). */
  params: number;
  /** Index bits per image Σ H·W·log2 K, as measured by eval (mean over runs). */
  bitsPerImage: number;
  /** Index bits per pixel (mean over runs). */
  bitsPerPixel: number;
  /** Entropy of the code usage in bits per pixel (mean over runs), or null when not recorded. */
  entropyBitsPerPixel: number | null;
  /** Whether every run's metrics.json says `matched.ok`. */
  matchedOk: boolean;
}

/** Status of a Table 1 row. */
export type RowStatus = 'matched' | 'unmatched' | 'single-only' | 'hierarchical-only';

/** One row of Table 1: a (Ds, Ks) ↔ (Dh, Kh) pair under one setting. */
export interface Table1Row {
  /** Setting label (`base` or how it differs from the most common setting). */
  setting: string;
  /** The ablation rung (`tags.ladder`) all of the row's runs share, or null. */
  ladder: string | null;
  /** What the table prints in its Setting column: the rung's label and/or the setting. */
  settingLabel: string;
  /** Ds. */
  singleCodeDim: number;
  /** Ks. */
  singleCodebookSize: number;
  /** Dh. */
  hierarchicalCodeDim: number;
  /** Kh (the table prints 2×Kh). */
  hierarchicalCodebookSize: number;
  single: ArchitectureCell | null;
  hierarchical: ArchitectureCell | null;
  status: RowStatus;
  /**
   * Eqs. 4–5 check of the row's config pair with @vqkit/capacity, and the index-bit gap those
   * equations leave (hierarchical − single), per image and per pixel.
   */
  capacity: {
    matched: boolean;
    failures: string[];
    bitGap: { bitsPerImage: number; bitsPerPixel: number };
  };
  /** Human-readable notes (why unmatched, infinite PSNR, seeds pooled). */
  notes: string[];
}

/** Table 1 and what it was built from. */
export interface Table1 {
  rows: Table1Row[];
  /** Whether more than one setting is present (then the table shows a setting column). */
  multipleSettings: boolean;
}

function cell(runs: readonly FinishedRun[]): ArchitectureCell {
  const m = runs.map((r) => r.metrics);
  const ssimRuns = m.filter((x) => x.ssim !== undefined);
  const entropy = m.map((x) => x.entropyBitsPerPixel).filter((x): x is number => x !== undefined);
  return {
    runs: runs.map((r) => r.id),
    seeds: m.map((x) => x.config.seed),
    psnr: pool(m.map((x) => ({ mean: x.psnr.mean, std: x.psnr.std, n: x.images }))),
    psnrInfinite: m.reduce((a, x) => a + x.psnr.infinite, 0),
    mse: pool(m.map((x) => ({ mean: x.mse.mean, std: x.mse.std, n: x.images }))),
    ssim:
      ssimRuns.length === m.length
        ? pool(ssimRuns.map((x) => ({ mean: x.ssim!.mean, std: x.ssim!.std, n: x.images })))
        : null,
    params: average(m.map((x) => x.params)),
    bitsPerImage: average(m.map((x) => x.bitsPerImage)),
    bitsPerPixel: average(m.map((x) => x.bitsPerPixel)),
    entropyBitsPerPixel: entropy.length === m.length ? average(entropy) : null,
    matchedOk: m.every((x) => x.matched.ok),
  };
}

/** Eqs. 4–5 check and index-bit gap of a config's pair via @vqkit/capacity. */
export function capacityOf(config: ReportedConfig): Table1Row['capacity'] {
  const { size } = config.data;
  const { downsample, topDownsample, single, hierarchical } = config.model;
  const bottom = size / downsample;
  const top = bottom / topDownsample;
  if (!Number.isInteger(bottom) || !Number.isInteger(top) || top < 1) {
    return {
      matched: false,
      failures: [
        `data.size ${size} is not divisible by downsample ${downsample} · topDownsample ${topDownsample}`,
      ],
      bitGap: { bitsPerImage: Number.NaN, bitsPerPixel: Number.NaN },
    };
  }
  const s = {
    height: bottom,
    width: bottom,
    channels: single.channels,
    codebookSize: single.codebookSize,
    codeDim: single.codeDim,
  };
  const h = {
    bottom: { height: bottom, width: bottom },
    top: { height: top, width: top },
    channels: hierarchical.channels,
    codebookSize: hierarchical.codebookSize,
    codeDim: hierarchical.codeDim,
  };
  const inputSize = { height: size, width: size };
  const check = checkMatched(s, h, { match: 'kd' });
  const sb = singleLevelBudget(s, { inputSize });
  const hb = hierarchicalBudget(h, { inputSize });
  return {
    matched: check.matched,
    failures: check.failures,
    bitGap: {
      bitsPerImage: hb.indexBits - sb.indexBits,
      bitsPerPixel: (hb.bitsPerPixel ?? Number.NaN) - (sb.bitsPerPixel ?? Number.NaN),
    },
  };
}

/**
 * Groups finished runs into Table 1 rows: one row per (setting, Ds, Ks, Dh, Kh), single-level runs on
 * the left, hierarchical on the right, each pooled over its seeds. A row is `matched` only when both
 * sides exist, the pair satisfies eqs. 4–5 (checked again here with @vqkit/capacity) and every run's
 * metrics.json says `matched.ok`; otherwise it is flagged (`unmatched`, `single-only`,
 * `hierarchical-only`) and never mixed into a matched row. Rows are sorted like the paper: by D, then K.
 */
export function buildTable1(runs: readonly FinishedRun[]): Table1 {
  const { labels } = labelSettings(runs.map((r) => r.metrics.config));
  const groups = new Map<
    string,
    { setting: string; config: ReportedConfig; runs: FinishedRun[] }
  >();
  for (const run of runs) {
    const c = run.metrics.config;
    const key = [
      settingKey(c),
      c.model.single.codeDim,
      c.model.single.codebookSize,
      c.model.hierarchical.codeDim,
      c.model.hierarchical.codebookSize,
    ].join('|');
    const g = groups.get(key);
    if (g) g.runs.push(run);
    else groups.set(key, { setting: labels.get(settingKey(c)) ?? 'base', config: c, runs: [run] });
  }
  const rows: Table1Row[] = [];
  for (const g of groups.values()) {
    const singles = g.runs.filter((r) => r.metrics.architecture === 'single');
    const hiers = g.runs.filter((r) => r.metrics.architecture === 'hierarchical');
    const single = singles.length > 0 ? cell(singles) : null;
    const hierarchical = hiers.length > 0 ? cell(hiers) : null;
    const capacity = capacityOf(g.config);
    const notes: string[] = [];
    let status: RowStatus;
    if (!capacity.matched || single?.matchedOk === false || hierarchical?.matchedOk === false) {
      status = 'unmatched';
      if (!capacity.matched) notes.push(`not capacity-matched: ${capacity.failures.join('; ')}`);
      else notes.push('metrics.json says matched.ok: false');
    } else if (single === null) {
      status = 'hierarchical-only';
      notes.push('no finished single-level run for this pair');
    } else if (hierarchical === null) {
      status = 'single-only';
      notes.push('no finished hierarchical run for this pair');
    } else {
      status = 'matched';
    }
    for (const [name, c] of [
      ['single', single],
      ['hierarchical', hierarchical],
    ] as const) {
      if (c === null) continue;
      if (c.runs.length > 1)
        notes.push(`${name}: ${c.runs.length} runs pooled (seeds ${c.seeds.join(', ')})`);
      if (c.psnrInfinite > 0)
        notes.push(
          `${name}: ${c.psnrInfinite} image(s) reconstructed exactly (PSNR = ∞, counted in metrics.json psnr.infinite)`,
        );
    }
    const ladders = new Set(
      g.runs.map((r) => r.metrics.tags['ladder'] ?? r.metrics.config.tags['ladder'] ?? ''),
    );
    const ladder = ladders.size === 1 && !ladders.has('') ? [...ladders][0]! : null;
    rows.push({
      setting: g.setting,
      ladder,
      settingLabel:
        ladder === null
          ? g.setting
          : g.setting === 'base'
            ? rungLabel(ladder)
            : `${rungLabel(ladder)} (${g.setting})`,
      singleCodeDim: g.config.model.single.codeDim,
      singleCodebookSize: g.config.model.single.codebookSize,
      hierarchicalCodeDim: g.config.model.hierarchical.codeDim,
      hierarchicalCodebookSize: g.config.model.hierarchical.codebookSize,
      single,
      hierarchical,
      status,
      capacity,
      notes,
    });
  }
  rows.sort(
    (a, b) =>
      (a.ladder === null ? -1 : rungOrder(a.ladder)) -
        (b.ladder === null ? -1 : rungOrder(b.ladder)) ||
      Number(a.setting !== 'base') - Number(b.setting !== 'base') ||
      a.setting.localeCompare(b.setting) ||
      a.singleCodeDim - b.singleCodeDim ||
      a.singleCodebookSize - b.singleCodebookSize ||
      a.hierarchicalCodeDim - b.hierarchicalCodeDim ||
      a.hierarchicalCodebookSize - b.hierarchicalCodebookSize,
  );
  return { rows, multipleSettings: new Set(rows.map((r) => r.settingLabel)).size > 1 };
}

const STATUS_TEXT: Record<RowStatus, string> = {
  matched: 'matched',
  unmatched: '**UNMATCHED**',
  'single-only': 'single only',
  'hierarchical-only': 'hierarchical only',
};

/** Decimals for MSE across a whole table, so a column lines up (≥ 3, the paper's). */
function mseDecimals(rows: readonly Table1Row[]): number {
  const means = rows
    .flatMap((r) => [r.single?.mse.mean, r.hierarchical?.mse.mean])
    .filter((x): x is number => x !== undefined && x > 0);
  return means.length === 0 ? 3 : Math.max(...means.map((m) => decimalsFor(m, 3, 2)));
}

function cellColumns(c: ArchitectureCell | null, mseDec: number): string[] {
  if (c === null) return ['—', '—', '—', '—'];
  return [
    formatMeanStd(c.psnr.mean, c.psnr.std, 1),
    formatMeanStd(c.mse.mean, c.mse.std, mseDec),
    fixed(c.bitsPerPixel, 3),
    formatParamsM(c.params),
  ];
}

/** `2×4096` as the paper prints the hierarchical codebook column. */
function twoKh(kh: number): string {
  return `2×${kh}`;
}

/** Table 1 as Markdown: the paper's columns, index bits per pixel beside each side, the bit gap, status, notes. */
export function table1Markdown(table: Table1): string {
  const dec = mseDecimals(table.rows);
  const main = table.rows.filter((r) => r.status !== 'single-only');
  const singleOnly = table.rows.filter((r) => r.status === 'single-only');
  const lines: string[] = [];
  lines.push('# Table 1: single-level vs hierarchical VQ-VAE under matched budgets');
  lines.push('');
  lines.push(
    'Mean ± std over evaluation images (pooled over seeds when a cell has several runs). bpp = index bits per pixel (Σ H·W·log₂K / pixels); ' +
      'Δbpp = hierarchical − single index bits per pixel left by eqs. 4–5; #Params in millions.',
  );
  lines.push('');
  const settingCol = table.multipleSettings ? ['Setting'] : [];
  const header = [
    ...settingCol,
    'Ds = Dh',
    'Ks',
    '2×Kh',
    'Single PSNR ↑',
    'Single MSE ↓',
    'Single bpp',
    'Single #Params (M)',
    'Hier. PSNR ↑',
    'Hier. MSE ↓',
    'Hier. bpp',
    'Hier. #Params (M)',
    'Δbpp (h − s)',
    'Status',
  ];
  const row = (cols: string[]) => `| ${cols.join(' | ')} |`;
  if (main.length === 0) {
    lines.push(
      '_No hierarchical runs finished: no matched pair to compare (single-level-only runs are listed below)._',
    );
  } else {
    lines.push(row(header));
    lines.push(row(header.map((_, i) => (i < settingCol.length ? '---' : '---:'))));
    for (const r of main) {
      const d =
        r.singleCodeDim === r.hierarchicalCodeDim
          ? `${r.singleCodeDim}`
          : `${r.singleCodeDim} / ${r.hierarchicalCodeDim}`;
      lines.push(
        row([
          ...(table.multipleSettings ? [r.settingLabel] : []),
          d,
          `${r.singleCodebookSize}`,
          twoKh(r.hierarchicalCodebookSize),
          ...cellColumns(r.single, dec),
          ...cellColumns(r.hierarchical, dec),
          signed(r.capacity.bitGap.bitsPerPixel, 3),
          STATUS_TEXT[r.status],
        ]),
      );
    }
  }
  if (singleOnly.length > 0) {
    lines.push('');
    lines.push('## Single-level runs without a hierarchical counterpart');
    lines.push('');
    lines.push(
      'Not part of the matched comparison (Figure 2 uses them). The pair each config names is shown.',
    );
    lines.push('');
    const h = [
      ...settingCol,
      'Ds',
      'Ks',
      'matched to Dh, 2×Kh',
      'PSNR ↑',
      'MSE ↓',
      'bpp',
      '#Params (M)',
    ];
    lines.push(row(h));
    lines.push(row(h.map((_, i) => (i < settingCol.length ? '---' : '---:'))));
    for (const r of singleOnly) {
      lines.push(
        row([
          ...(table.multipleSettings ? [r.settingLabel] : []),
          `${r.singleCodeDim}`,
          `${r.singleCodebookSize}`,
          `${r.hierarchicalCodeDim}, ${twoKh(r.hierarchicalCodebookSize)}`,
          ...cellColumns(r.single, dec),
        ]),
      );
    }
  }
  const noted = table.rows.filter((r) => r.notes.length > 0 && r.status !== 'single-only');
  if (noted.length > 0) {
    lines.push('');
    lines.push('## Notes');
    lines.push('');
    for (const r of noted) {
      lines.push(
        `- ${table.multipleSettings ? `[${r.settingLabel}] ` : ''}Ds ${r.singleCodeDim}, Ks ${r.singleCodebookSize} ↔ Dh ${r.hierarchicalCodeDim}, Kh ${r.hierarchicalCodebookSize}: ${r.notes.join('; ')}`,
      );
    }
  }
  if (table.multipleSettings) {
    lines.push('');
    lines.push(
      'Settings: `base` is the setting most runs share; other labels list the config keys that differ from it.',
    );
  }
  return `${lines.join('\n')}\n`;
}

function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const s = String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const CSV_SIDE = [
  'runs',
  'psnr_mean',
  'psnr_std',
  'psnr_infinite',
  'mse_mean',
  'mse_std',
  'ssim_mean',
  'ssim_std',
  'bits_per_pixel',
  'bits_per_image',
  'entropy_bits_per_pixel',
  'params',
  'images',
] as const;

function csvSide(c: ArchitectureCell | null): (string | number | null)[] {
  if (c === null) return CSV_SIDE.map(() => null);
  return [
    c.runs.length,
    c.psnr.mean,
    c.psnr.std,
    c.psnrInfinite,
    c.mse.mean,
    c.mse.std,
    c.ssim?.mean ?? null,
    c.ssim?.std ?? null,
    c.bitsPerPixel,
    c.bitsPerImage,
    c.entropyBitsPerPixel,
    c.params,
    c.mse.images,
  ];
}

/** Table 1 as CSV, one row per pair, full-precision numbers, empty cells for a missing side. */
export function table1Csv(table: Table1): string {
  const header = [
    'setting',
    'ladder',
    'single_code_dim',
    'single_codebook_size',
    'hierarchical_code_dim',
    'hierarchical_codebook_size',
    ...CSV_SIDE.map((c) => `single_${c}`),
    ...CSV_SIDE.map((c) => `hierarchical_${c}`),
    'bit_gap_bits_per_image',
    'bit_gap_bits_per_pixel',
    'status',
    'notes',
  ];
  const lines = [header.join(',')];
  for (const r of table.rows) {
    lines.push(
      [
        r.setting,
        r.ladder,
        r.singleCodeDim,
        r.singleCodebookSize,
        r.hierarchicalCodeDim,
        r.hierarchicalCodebookSize,
        ...csvSide(r.single),
        ...csvSide(r.hierarchical),
        r.capacity.bitGap.bitsPerImage,
        r.capacity.bitGap.bitsPerPixel,
        r.status,
        r.notes.join('; '),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Table 1 as JSON (schema `vqkit.table1/1`). */
export function table1Json(table: Table1): string {
  return `${JSON.stringify({ schema: 'vqkit.table1/1', ...table }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
