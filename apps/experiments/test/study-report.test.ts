import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentsError } from '../src/config/errors';
import { collectRuns } from '../src/report/collect';
import { parseMetricsFile } from '../src/report/metrics-file';
import { type ReportResult, resampleLorenz, writeReport } from '../src/report/report';
import { decimalsFor, formatMeanStd, pool } from '../src/report/stats';
import { fixtureConfig, writeFixtureRun } from './study-fixtures';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let root: string;
let runsDir: string;
let result: ReportResult;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vqkit-study-report-'));
  runsDir = join(root, 'runs');
  const noIntervention = { init: 'random', reset: 'none' };
  const fixtures = [
    // Row D8 / Ks 256 / 2×128: two single-level seeds pooled, one hierarchical run.
    {
      name: 's-256-seed0',
      architecture: 'single',
      ks: 256,
      ds: 8,
      kh: 128,
      dh: 8,
      seed: 0,
      psnr: [30, 2],
      mse: [0.01, 0.004],
    },
    {
      name: 's-256-seed1',
      architecture: 'single',
      ks: 256,
      ds: 8,
      kh: 128,
      dh: 8,
      seed: 1,
      psnr: [32, 2],
      mse: [0.008, 0.004],
    },
    {
      name: 'h-128',
      architecture: 'hierarchical',
      ks: 256,
      ds: 8,
      kh: 128,
      dh: 8,
      psnr: [31.5, 2.5],
      mse: [0.0085, 0.0035],
      params: 60000,
    },
    // Row D8 / Ks 512 / 2×256, tagged as the ladder's reset rung.
    {
      name: 's-512',
      architecture: 'single',
      ks: 512,
      ds: 8,
      kh: 256,
      dh: 8,
      psnr: [33, 3],
      mse: [0.006, 0.003],
      tags: { ladder: 'reset' },
    },
    {
      name: 'h-256',
      architecture: 'hierarchical',
      ks: 512,
      ds: 8,
      kh: 256,
      dh: 8,
      psnr: [33.4, 3],
      mse: [0.0055, 0.003],
      tags: { ladder: 'reset' },
    },
    // Ladder rung (a): no intervention (a different setting).
    {
      name: 'ladder-none-s',
      architecture: 'single',
      ks: 512,
      ds: 8,
      kh: 256,
      dh: 8,
      psnr: [28, 3],
      mse: [0.02, 0.01],
      tags: { ladder: 'none' },
      quantizer: noIntervention,
    },
    {
      name: 'ladder-none-h',
      architecture: 'hierarchical',
      ks: 512,
      ds: 8,
      kh: 256,
      dh: 8,
      psnr: [29, 3],
      mse: [0.015, 0.01],
      tags: { ladder: 'none' },
      quantizer: noIntervention,
    },
    // Unmatched: eq. 5 fails (256·8 ≠ 2·100·8), trained with allowUnmatched.
    {
      name: 'h-unmatched',
      architecture: 'hierarchical',
      ks: 256,
      ds: 8,
      kh: 100,
      dh: 8,
      psnr: [31, 2],
      mse: [0.009, 0.004],
      matchedOk: false,
    },
    // Single-level only, evaluated on other images (left out of Figure 3).
    {
      name: 's-1024-d16',
      architecture: 'single',
      ks: 1024,
      ds: 16,
      kh: 512,
      dh: 16,
      psnr: [32.5, 2],
      mse: [0.007, 0.003],
      samplesSeed: 2,
    },
  ] as const;
  for (const f of fixtures) {
    await writeFixtureRun(runsDir, { ...f, psnr: [...f.psnr], mse: [...f.mse] });
  }
  // An unfinished run (config only) and one with a metrics.json of another schema.
  const unfinished = join(runsDir, 'unfinished');
  mkdirSync(unfinished, { recursive: true });
  writeFileSync(
    join(unfinished, 'config.json'),
    JSON.stringify(
      fixtureConfig({
        name: 'unfinished',
        architecture: 'single',
        ks: 256,
        ds: 8,
        kh: 128,
        dh: 8,
        psnr: [0, 0],
        mse: [0, 0],
      }),
    ),
  );
  const invalid = join(runsDir, 'nested', 'invalid');
  mkdirSync(invalid, { recursive: true });
  writeFileSync(join(invalid, 'metrics.json'), JSON.stringify({ schema: 'vqkit.metrics/0' }));
  result = await writeReport({
    runs: [runsDir],
    out: join(root, 'report'),
    now: () => new Date('2025-01-02T03:04:05Z'),
  });
}, 120_000);

afterAll(() => {
  if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
});

describe('pooling and formatting', () => {
  it('pools per-run mean ± std by the law of total variance', () => {
    const p = pool([
      { mean: 30, std: 2, n: 16 },
      { mean: 32, std: 2, n: 16 },
    ]);
    expect(p.mean).toBeCloseTo(31, 12);
    expect(p.std).toBeCloseTo(Math.sqrt(5), 12);
    expect(p.images).toBe(32);
    expect(pool([{ mean: 0.004, std: 0.003, n: 10 }])).toEqual({
      mean: 0.004,
      std: 0.003,
      images: 10,
      runs: 1,
    });
  });

  it('formats like the paper and keeps small MSE visible', () => {
    expect(formatMeanStd(34.14, 3.46, 1)).toBe('34.1 ± 3.5');
    expect(formatMeanStd(0.0031, 0.0042, decimalsFor(0.0031, 3))).toBe('0.003 ± 0.004');
    expect(decimalsFor(0.00031, 3)).toBe(4);
    expect(decimalsFor(0.009, 3, 2)).toBe(4);
  });

  it('resamples Lorenz curves on an even grid', () => {
    const y = resampleLorenz({ x: [0, 0.5, 1], y: [0, 0.2, 1] }, 5);
    expect(y.map((v) => Number(v.toFixed(6)))).toEqual([0, 0.1, 0.2, 0.6, 1]);
  });
});

describe('metrics.json parsing', () => {
  it('reads an all-exact evaluation (PSNR +∞ written as null by JSON) back as +∞', () => {
    const text = readFileSync(join(runsDir, 's-256-seed0', 'metrics.json'), 'utf8');
    const json = JSON.parse(text);
    json.psnr = { mean: Number.POSITIVE_INFINITY, std: 0, infinite: json.images };
    const parsed = parseMetricsFile(JSON.stringify(json)); // Infinity → null on the way out
    expect(parsed.ok && parsed.metrics.psnr.mean).toBe(Number.POSITIVE_INFINITY);
    expect(formatMeanStd(Number.POSITIVE_INFINITY, 0, 1)).toBe('∞');
    json.psnr = { mean: null, std: null, infinite: 0 };
    const bad = parseMetricsFile(JSON.stringify(json));
    expect(bad.ok ? '' : bad.reason).toMatch(/psnr.*null but psnr.infinite is 0/);
  });
});

describe('vqkit report on fixture runs', () => {
  it('writes Table 1 with pooled mean ± std, bits per pixel and the eqs. 4–5 bit gap', () => {
    const json = JSON.parse(readFileSync(join(root, 'report', 'table1.json'), 'utf8'));
    expect(json.schema).toBe('vqkit.table1/2');
    const row = json.rows.find(
      (r: { singleCodebookSize: number; hierarchicalCodebookSize: number; setting: string }) =>
        r.singleCodebookSize === 256 && r.hierarchicalCodebookSize === 128 && r.setting === 'base',
    );
    expect(row.status).toBe('matched');
    expect(row.single.runs).toHaveLength(2);
    expect(row.single.psnr.mean).toBeCloseTo(31, 10);
    expect(row.single.psnr.std).toBeCloseTo(Math.sqrt(5), 10);
    expect(row.single.mse.mean).toBeCloseTo(0.009, 12);
    expect(row.hierarchical.psnr.mean).toBe(31.5);
    // Index bits per pixel: single 8·8·log2 256 / 32² = 0.5; hierarchical (8·8 + 4·4)·log2 128 / 32².
    expect(row.single.bitsPerPixel).toBeCloseTo(0.5, 12);
    expect(row.hierarchical.bitsPerPixel).toBeCloseTo(560 / 1024, 12);
    expect(row.capacity.matched).toBe(true);
    expect(row.capacity.bitGap.bitsPerImage).toBe(560 - 512);
    expect(row.capacity.bitGap.bitsPerPixel).toBeCloseTo(48 / 1024, 12);

    // Across seeds: mean of the two runs' means, sample std of those means.
    expect(row.single.psnrSeeds).toEqual({ mean: 31, std: Math.SQRT2, n: 2 });
    expect(row.single.mseSeeds.std).toBeCloseTo(Math.SQRT2 * 0.001, 12);
    const md = readFileSync(join(root, 'report', 'table1.md'), 'utf8');
    expect(md).toContain(
      '| 8 | 256 | 2×128 | 31.0 ± 2.2 [± 1.41, 2 seeds] | 0.0090 ± 0.0041 [± 0.00141, 2 seeds] | 512 | 0.0512 | 31.5 ± 2.5 | 0.0085 ± 0.0035 | 560 | 0.06 | +48 (+9.4 %) | 17.1 % ⚠ | matched |',
    );
    expect(md).toContain('`[± b, n seeds]` = std across the n seeds');
    expect(md).toContain('the sides differ by 17.1 % in trainable parameters');
    // Ablation-ladder runs are Figure 1's, never Table 1's.
    expect(md).not.toContain('periodic reset');
    expect(md).toContain('Single bits/img');
    const ladder = result.ladderPairs.rows.map((r) => [r.ladder, r.status]);
    expect(ladder).toEqual([
      ['none', 'matched'],
      ['reset', 'matched'],
    ]);

    const csv = readFileSync(join(root, 'report', 'table1.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = csv[0]!.split(',');
    expect(header).toContain('single_psnr_mean');
    expect(header).toContain('bit_gap_bits_per_pixel');
    const cells = csv
      .slice(1)
      .map((l) => l.split(','))
      .find(
        (c) =>
          c[0] === 'base' &&
          c[header.indexOf('single_codebook_size')] === '256' &&
          c[header.indexOf('hierarchical_codebook_size')] === '128',
      )!;
    expect(Number(cells[header.indexOf('single_psnr_mean')])).toBeCloseTo(31, 10);
    expect(Number(cells[header.indexOf('single_runs')])).toBe(2);
    expect(cells[header.indexOf('status')]).toBe('matched');
  });

  it('flags the unmatched run and the single-only run instead of mixing them into matched rows', () => {
    const unmatched = result.table1.rows.find((r) => r.hierarchicalCodebookSize === 100)!;
    expect(unmatched.status).toBe('unmatched');
    expect(unmatched.capacity.matched).toBe(false);
    expect(unmatched.notes.join(' ')).toContain('eq. 5');
    expect(result.unmatchedRuns).toContain('h-unmatched');
    expect(result.unmatchedRuns).not.toContain('h-128');
    const md = readFileSync(join(root, 'report', 'table1.md'), 'utf8');
    expect(md).toContain('**UNMATCHED**');
    expect(md).toContain('## Single-level runs without a hierarchical counterpart');
    const singleOnly = result.table1.rows.find((r) => r.singleCodebookSize === 1024)!;
    expect(singleOnly.status).toBe('single-only');
    const report = readFileSync(join(root, 'report', 'report.md'), 'utf8');
    expect(report).toMatch(/`h-unmatched` \| hierarchical .*\*\*no\*\*/);
  });

  it('lists unfinished and invalid run directories with their reasons', () => {
    const byId = Object.fromEntries(result.skipped.map((s) => [s.id, s]));
    expect(byId['unfinished']?.status).toBe('unfinished');
    expect(byId[join('nested', 'invalid')]?.status).toBe('invalid');
    expect(byId[join('nested', 'invalid')]?.reason).toContain("expected 'vqkit.metrics/1'");
    expect(result.runs).toHaveLength(9);
    const report = readFileSync(join(root, 'report', 'report.md'), 'utf8');
    expect(report).toContain('`unfinished` (unfinished)');
    const json = JSON.parse(readFileSync(join(root, 'report', 'report.json'), 'utf8'));
    expect(json.schema).toBe('vqkit.report/2');
    expect(json.skipped).toHaveLength(2);
  });

  it('writes Figures 1 and 2 as vega-lite spec, SVG and a valid PNG', async () => {
    const f1 = result.figures.figure1;
    const f2 = result.figures.figure2;
    if (!f1.written || !f2.written) throw new Error('figures 1 and 2 should be written');
    expect(f1.runs).toHaveLength(4);
    for (const f of [f1.files.mse, f1.files.lorenz, f1.files.perplexity, f2.files]) {
      const spec = JSON.parse(readFileSync(f.spec, 'utf8'));
      expect(spec.$schema).toContain('vega-lite');
      const svg = readFileSync(f.svg, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('</svg>');
      const png = readFileSync(f.png);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      const meta = await sharp(png).metadata();
      expect(meta.width).toBeGreaterThan(300);
      expect(meta.height).toBeGreaterThan(200);
    }
    // Figure 1 orders the ladder's rungs and labels them; Figure 2 has the three single-level cells.
    expect(readFileSync(f1.files.mse.svg, 'utf8')).toContain('no intervention');
    const grid = JSON.parse(readFileSync(f2.files.spec, 'utf8'));
    expect(
      grid.data.values.map((d: { K: number; codeDim: number }) => `${d.K}/${d.codeDim}`),
    ).toEqual(['256/8', '1024/16']); // s-512 is a ladder run: Figure 1's, not Figure 2's
  });

  it('composes Figure 3 from runs sharing the same originals, ordered by K', async () => {
    const f3 = result.figures.figure3;
    if (!f3.written) throw new Error(`figure 3 not written: ${f3.reason}`);
    const png = readFileSync(f3.files.png);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const meta = await sharp(png).metadata();
    expect(meta.width).toBe(f3.files.layout.width);
    expect(meta.height).toBe(f3.files.layout.height);
    expect(f3.files.layout.rows).toBe(3);
    expect(f3.files.layout.tile).toBe(96);
    // Table 1's matched pair (one seed of each model, as the paper shows one model per column).
    expect(f3.runs).toEqual(['s-256-seed0', 'h-128']);
    expect(result.figure3Excluded.find((e) => e.run === 's-256-seed1')?.reason).toContain(
      'another seed',
    );
    expect(f3.files.layout.columns).toBe(1 + f3.runs.length);
  });

  it('never pools runs whose recorded loader settings differ, and never reads samples outside a run', async () => {
    const dir = join(root, 'settings');
    const base = {
      architecture: 'single',
      ks: 256,
      ds: 8,
      kh: 128,
      dh: 8,
      mse: [0.01, 0.004],
    } as const;
    for (const [name, transform] of [
      ['resize-0', 'resize'],
      ['resize-1', 'resize'],
      ['crop', 'center-crop'],
    ] as const) {
      const run = await writeFixtureRun(dir, { ...base, name, psnr: [30, 2], mse: [...base.mse] });
      const path = join(run, 'metrics.json');
      const m = JSON.parse(readFileSync(path, 'utf8'));
      m.data = { split: 'val', settings: { train: { transform, size: 32 }, val: { transform } } };
      if (name === 'resize-1') m.config.seed = 1;
      if (name === 'crop') m.samples.originals[0] = '../../../../etc/hostname';
      writeFileSync(path, JSON.stringify(m));
    }
    const r = await writeReport({ runs: [dir], out: join(root, 'settings-report') });
    const rows = r.table1.rows.map((x) => [x.setting, x.single?.runs.length]);
    expect(rows).toEqual([
      ['base', 2],
      ['loader.train.transform=center-crop, loader.val.transform=center-crop', 1],
    ]);
    expect(r.figure3Excluded).toContainEqual({
      run: 'crop',
      reason: 'sample paths in metrics.json point outside the run directory',
    });
  });

  it('accepts a single run directory and rejects a missing path with a named error', () => {
    const one = collectRuns([join(runsDir, 'h-128')]);
    expect(one.runs.map((r) => r.id)).toEqual(['h-128']);
    expect(() => collectRuns([join(root, 'nope')])).toThrow(ExperimentsError);
    expect(() => collectRuns([join(root, 'nope')])).toThrow(/does not exist/);
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(() => collectRuns([empty])).toThrow(/no run directory/);
    expect(existsSync(join(root, 'report', 'report.md'))).toBe(true);
  });
});
