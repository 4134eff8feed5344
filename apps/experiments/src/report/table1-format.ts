import { decimalsFor, formatParamsM, formatSpread, percent } from './stats';
import type { ArchitectureCell, RowStatus, Table1, Table1Row } from './table1';

const STATUS_TEXT: Record<RowStatus, string> = {
  matched: 'matched',
  unmatched: '**UNMATCHED**',
  'single-only': 'single only',
  'hierarchical-only': 'hierarchical only',
};

/** What each number in the tables is (printed under every Table 1). */
export const TABLE1_LEGEND =
  'PSNR and MSE: the mean over runs of each run’s mean over its evaluation images, `± a` = std over evaluation images (pooled over the runs, as the paper’s ±), ' +
  '`[± b, n seeds]` = std across the n seeds of the runs’ means (shown when a cell has several seeds). ' +
  'bits/img = index bits per image Σ H·W·log₂K; Δbits = hierarchical − single; #Params = trainable parameters in millions; ' +
  'Δparams = how much larger the bigger side is (⚠ above 10 %).';

/** Decimals for MSE across a set of rows, so a column lines up (≥ 3, the paper's). */
function mseDecimals(rows: readonly Table1Row[]): number {
  const means = rows
    .flatMap((r) => [r.single?.mse.mean, r.hierarchical?.mse.mean])
    .filter((x): x is number => x !== undefined && x > 0);
  return means.length === 0 ? 3 : Math.max(...means.map((m) => decimalsFor(m, 3, 2)));
}

function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

function cellColumns(c: ArchitectureCell | null, mseDec: number): string[] {
  if (c === null) return ['—', '—', '—', '—'];
  return [
    formatSpread(c.psnrSeeds, c.psnr.std, 1),
    formatSpread(c.mseSeeds, c.mse.std, mseDec),
    int(c.bitsPerImage),
    formatParamsM(c.params),
  ];
}

function bitGap(r: Table1Row): string {
  const g = r.capacity.bitGap.bitsPerImage;
  const base = r.single?.bitsPerImage ?? Number.NaN;
  if (!Number.isFinite(g)) return '—';
  const rel =
    Number.isFinite(base) && base > 0 ? ` (${g >= 0 ? '+' : ''}${percent(g / base)})` : '';
  return `${g > 0 ? '+' : ''}${int(g)}${rel}`;
}

const row = (cols: string[]) => `| ${cols.join(' | ')} |`;

/** One Markdown table of pairs (both sides of each row), with a Setting column when needed. */
export function pairsTable(
  rows: readonly Table1Row[],
  settings = new Set(rows.map((r) => r.settingLabel)).size > 1,
): string[] {
  const dec = mseDecimals(rows);
  const header = [
    ...(settings ? ['Setting'] : []),
    'Ds = Dh',
    'Ks',
    '2×Kh',
    'Single PSNR ↑',
    'Single MSE ↓',
    'Single bits/img',
    'Single #Params (M)',
    'Hier. PSNR ↑',
    'Hier. MSE ↓',
    'Hier. bits/img',
    'Hier. #Params (M)',
    'Δbits/img (h − s)',
    'Δparams',
    'Status',
  ];
  const lines = [row(header), row(header.map((_, i) => (settings && i === 0 ? '---' : '---:')))];
  for (const r of rows) {
    const d =
      r.singleCodeDim === r.hierarchicalCodeDim
        ? `${r.singleCodeDim}`
        : `${r.singleCodeDim} / ${r.hierarchicalCodeDim}`;
    lines.push(
      row([
        ...(settings ? [r.settingLabel] : []),
        d,
        `${r.singleCodebookSize}`,
        `2×${r.hierarchicalCodebookSize}`,
        ...cellColumns(r.single, dec),
        ...cellColumns(r.hierarchical, dec),
        bitGap(r),
        `${percent(r.paramsGap)}${r.paramsFlagged ? ' ⚠' : ''}`,
        STATUS_TEXT[r.status],
      ]),
    );
  }
  return lines;
}

function singleOnlyTable(rows: readonly Table1Row[], settings: boolean): string[] {
  const dec = mseDecimals(rows);
  const h = [
    ...(settings ? ['Setting'] : []),
    'Ds',
    'Ks',
    'matched to Dh, 2×Kh',
    'PSNR ↑',
    'MSE ↓',
    'bits/img',
    '#Params (M)',
  ];
  return [
    row(h),
    row(h.map((_, i) => (settings && i === 0 ? '---' : '---:'))),
    ...rows.map((r) =>
      row([
        ...(settings ? [r.settingLabel] : []),
        `${r.singleCodeDim}`,
        `${r.singleCodebookSize}`,
        `${r.hierarchicalCodeDim}, 2×${r.hierarchicalCodebookSize}`,
        ...cellColumns(r.single, dec),
      ]),
    ),
  ];
}

/** Notes of rows (unmatched, parameter gaps, seeds, infinite PSNR), one bullet per row. */
export function rowNotes(rows: readonly Table1Row[]): string[] {
  return rows
    .filter((r) => r.notes.length > 0)
    .map(
      (r) =>
        `- [${r.settingLabel}] Ds ${r.singleCodeDim}, Ks ${r.singleCodebookSize} ↔ Dh ${r.hierarchicalCodeDim}, Kh ${r.hierarchicalCodebookSize}: ${r.notes.join('; ')}`,
    );
}

/** Options of {@link table1Markdown}. */
export interface Table1MarkdownOptions {
  /** A line saying the runs are not at the paper's scale, printed first. */
  scaleNote?: string | null;
}

const MATCH_HEADINGS = {
  kd: '## Matched by eqs. 4–5 (continuous and discrete budgets, as in the paper)',
  bits: '## Matched in index bits (eq. 4, and Hs·Ws·log₂Ks = (Hb·Wb + Ht·Wt)·log₂Kh instead of eq. 5)',
} as const;

/**
 * Table 1 as Markdown: the paper's columns with bits per image and trainable parameters beside each
 * side, the bit and parameter gaps, and the status; one table per matching mode present (eqs. 4–5,
 * equal index bits), then single-level runs without a partner and the notes.
 */
export function table1Markdown(table: Table1, options: Table1MarkdownOptions = {}): string {
  const lines = ['# Table 1: single-level vs hierarchical VQ-VAE under matched budgets', ''];
  if (options.scaleNote) lines.push(`> **${options.scaleNote}**`, '');
  lines.push(TABLE1_LEGEND, '');
  const main = table.rows.filter((r) => r.status !== 'single-only');
  const modes = (['kd', 'bits'] as const).filter((m) => main.some((r) => r.match === m));
  if (main.length === 0) {
    lines.push(
      '_No hierarchical runs finished: no matched pair to compare (single-level-only runs are listed below)._',
    );
  }
  for (const mode of modes) {
    if (modes.length > 1 || mode === 'bits') lines.push(MATCH_HEADINGS[mode], '');
    lines.push(
      ...pairsTable(
        main.filter((r) => r.match === mode),
        table.multipleSettings,
      ),
      '',
    );
  }
  const singleOnly = table.rows.filter((r) => r.status === 'single-only');
  if (singleOnly.length > 0) {
    lines.push('## Single-level runs without a hierarchical counterpart', '');
    lines.push(
      'Not part of the matched comparison (Figure 2 uses them). The pair each config names is shown.',
      '',
      ...singleOnlyTable(singleOnly, table.multipleSettings),
      '',
    );
  }
  const notes = rowNotes(main);
  if (notes.length > 0) lines.push('## Notes', '', ...notes, '');
  if (table.multipleSettings) {
    lines.push(
      'Settings: `base` is the setting most runs share; other labels list the config keys (and recorded loader settings) that differ from it.',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
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
  'psnr_seed_mean',
  'psnr_seed_std',
  'psnr_infinite',
  'mse_mean',
  'mse_std',
  'mse_seed_mean',
  'mse_seed_std',
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
    c.psnrSeeds.mean,
    c.psnrSeeds.std,
    c.psnrInfinite,
    c.mse.mean,
    c.mse.std,
    c.mseSeeds.mean,
    c.mseSeeds.std,
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
    'match',
    'single_code_dim',
    'single_codebook_size',
    'hierarchical_code_dim',
    'hierarchical_codebook_size',
    ...CSV_SIDE.map((c) => `single_${c}`),
    ...CSV_SIDE.map((c) => `hierarchical_${c}`),
    'bit_gap_bits_per_image',
    'bit_gap_bits_per_pixel',
    'params_gap',
    'params_flagged',
    'status',
    'notes',
  ];
  const lines = [header.join(',')];
  for (const r of table.rows) {
    lines.push(
      [
        r.setting,
        r.ladder,
        r.match,
        r.singleCodeDim,
        r.singleCodebookSize,
        r.hierarchicalCodeDim,
        r.hierarchicalCodebookSize,
        ...csvSide(r.single),
        ...csvSide(r.hierarchical),
        r.capacity.bitGap.bitsPerImage,
        r.capacity.bitGap.bitsPerPixel,
        r.paramsGap,
        r.paramsFlagged,
        r.status,
        r.notes.join('; '),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Table 1 as JSON (schema `vqkit.table1/2`: adds seeds, match, parameter gap). */
export function table1Json(table: Table1): string {
  return `${JSON.stringify({ schema: 'vqkit.table1/2', ...table }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
