import { gapBits } from '../sweep/families-grid';
import type { FamilyRow, FamilyUsage } from './families';
import { decimalsFor, formatParamsM, formatSpread } from './stats';

/** What each column of the families table is (printed under it). */
export const FAMILIES_LEGEND =
  'Each single-level family is matched by @vqkit/capacity to the index bits per image of the hierarchical VQ reference of the same Table 1 pair (eq. 4 holds for all). ' +
  'PSNR and MSE as in Table 1 (mean over runs of each run’s mean, `± a` over evaluation images, `[± b, n seeds]` across seeds). ' +
  'Usage = perplexity (effective number of codes used) / the codes counted: K codebook vectors for VQ, the implicit codebook for FSQ (∏ levels) and LFQ (2^D), depth × K stage codes for residual (each stage’s codebook counted on its own). ' +
  'bits/img = Σ levels H·W·bits per position of the family; Δbits = reference − this row (positive: fewer bits than the reference; a family without an exact match is run with this gap, never rounded); #Params = trainable parameters in millions.';

const row = (cols: string[]) => `| ${cols.join(' | ')} |`;

function model(r: FamilyRow): string {
  const k = r.codebookSize;
  if (r.role === 'reference') return `hierarchical VQ 2×Kh ${k}, Dh ${r.codeDim}`;
  const stages = r.usage[0]?.stages ?? 1;
  switch (r.family) {
    case 'vq':
      return `single VQ K ${k}, D ${r.codeDim}`;
    case 'residual':
      return `single residual ${stages} × K ${k}, D ${r.codeDim}`;
    case 'fsq':
      return `single FSQ levels ${r.levels?.join('×') ?? '?'} (${k} codes, D ${r.codeDim})`;
    case 'lfq':
      return `single LFQ D ${r.codeDim} (${k} codes)`;
    default:
      return `${r.architecture} ${r.family} K ${k}, D ${r.codeDim}`;
  }
}

function usage(u: readonly FamilyUsage[]): string {
  const one = (x: FamilyUsage) => {
    const codes = x.stages > 1 ? `${x.stages}×${x.codes / x.stages}` : `${x.codes}`;
    return `${x.perplexity.toFixed(1)} / ${codes}`;
  };
  if (u.length === 1) return one(u[0]!);
  return u.map((x) => `${x.level} ${one(x)}`).join(', ');
}

function gap(r: FamilyRow): string {
  if (r.role === 'reference') return 'reference';
  const g = r.gapBitsPerImage;
  if (!Number.isFinite(g)) return '—';
  if (g === 0) return '0 (exact)';
  return `${g > 0 ? '+' : '−'}${gapBits(g)}`;
}

/** The families table as Markdown lines (one table per Table 1 pair). */
export function familiesTable(rows: readonly FamilyRow[]): string[] {
  const means = rows.map((r) => r.mse.mean).filter((x) => x > 0);
  const mseDec = means.length === 0 ? 3 : Math.max(...means.map((m) => decimalsFor(m, 3, 2)));
  const header = [
    'Pair',
    'Family',
    'Model',
    'PSNR ↑',
    'MSE ↓',
    'Usage (perplexity / codes)',
    'bits/img',
    'Δbits/img (ref − this)',
    '#Params (M)',
  ];
  const lines = [row(header), row(header.map((_, i) => (i < 3 ? '---' : '---:')))];
  for (const r of rows) {
    lines.push(
      row([
        r.pair,
        r.family,
        model(r),
        formatSpread(r.psnrSeeds, r.psnr.std, 1),
        formatSpread(r.mseSeeds, r.mse.std, mseDec),
        usage(r.usage),
        r.bitsPerImage.toLocaleString('en-US', { maximumFractionDigits: 2 }),
        gap(r),
        formatParamsM(r.params),
      ]),
    );
  }
  return lines;
}

/** `families.md`: the table, its legend and the scale note. */
export function familiesMarkdown(
  rows: readonly FamilyRow[],
  options: { scaleNote?: string | null } = {},
): string {
  const lines = ['# Quantizer families at a Table 1 pair’s capacity', ''];
  if (options.scaleNote) lines.push(`> **${options.scaleNote}.**`, '');
  lines.push(...familiesTable(rows), '', FAMILIES_LEGEND, '');
  const seeds = rows.filter((r) => r.runs.length > 1);
  for (const r of seeds)
    lines.push(`- ${model(r)}: ${r.runs.length} seeds (${r.seeds.join(', ')})`);
  return `${lines.join('\n').trimEnd()}\n`;
}

/** `families.json` (schema `vqkit.families/1`). */
export function familiesJson(rows: readonly FamilyRow[]): string {
  return `${JSON.stringify({ schema: 'vqkit.families/1', rows }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
