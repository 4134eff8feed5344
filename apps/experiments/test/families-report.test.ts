import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ReportResult, writeReport } from '../src/report/report';
import { fixtureConfig, writeFixtureMetrics, writeFixtureRun } from './study-fixtures';

let root: string;
let result: ReportResult;

interface FamilyFixture {
  name: string;
  family: string;
  role: 'reference' | 'family';
  seed?: number;
  /** model.<side> K and D. */
  k: number;
  d: number;
  quantizer: Record<string, unknown>;
  psnr: [number, number];
  bits: number;
  /** Reference − this run's index bits per image. */
  gap: number;
  perplexity: number;
  stages?: number;
}

/** A families-sweep run directory: config.json + metrics.json with the family's levels and gap. */
async function writeFamilyRun(f: FamilyFixture): Promise<void> {
  const architecture = f.role === 'reference' ? 'hierarchical' : 'single';
  const config = fixtureConfig({
    name: f.name,
    architecture,
    ks: architecture === 'single' ? f.k : 256,
    ds: architecture === 'single' ? f.d : 8,
    kh: 128,
    dh: 8,
    seed: f.seed ?? 0,
    psnr: f.psnr,
    mse: [0.01, 0.002],
    tags: { study: 'families', pair: 'K256-D8', family: f.family, role: f.role },
  });
  config['quantizer'] = f.quantizer;
  const dir = join(root, 'runs', f.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  await writeFixtureMetrics(dir, config, { name: f.name, psnr: f.psnr, mse: [0.01, 0.002] });
  const path = join(dir, 'metrics.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  m.bitsPerImage = f.bits;
  m.matched = { ok: f.gap === 0, allowUnmatched: f.gap !== 0, bitGap: { indexBits: f.gap } };
  for (const l of m.levels) {
    Object.assign(l, { kind: f.family, perplexity: f.perplexity, stages: f.stages ?? 1 });
  }
  writeFileSync(path, JSON.stringify(m));
}

const VQ = { kind: 'vq', init: 'data', reset: 'windowed', chunkSize: 2048 };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vqkit-families-report-'));
  const runs: FamilyFixture[] = [
    {
      name: 'fam-lfq',
      family: 'lfq',
      role: 'family',
      k: 512,
      d: 9,
      quantizer: { kind: 'lfq' },
      psnr: [18, 2],
      bits: 576,
      gap: -16,
      perplexity: 1.9,
    },
    {
      name: 'fam-ref',
      family: 'vq',
      role: 'reference',
      k: 128,
      d: 8,
      quantizer: VQ,
      psnr: [22.9, 2],
      bits: 560,
      gap: 48,
      perplexity: 30,
    },
    {
      name: 'fam-vq',
      family: 'vq',
      role: 'family',
      k: 431,
      d: 8,
      quantizer: VQ,
      psnr: [24.5, 2],
      bits: 560.1,
      gap: -0.099,
      perplexity: 120,
    },
    {
      name: 'fam-fsq',
      family: 'fsq',
      role: 'family',
      k: 448,
      d: 3,
      quantizer: { kind: 'fsq', levels: [8, 8, 7] },
      psnr: [22, 2],
      bits: 563.7,
      gap: -3.7,
      perplexity: 12,
    },
    {
      name: 'fam-fsq-seed1',
      family: 'fsq',
      role: 'family',
      seed: 1,
      k: 448,
      d: 3,
      quantizer: { kind: 'fsq', levels: [8, 8, 7] },
      psnr: [24, 2],
      bits: 563.7,
      gap: -3.7,
      perplexity: 14,
    },
    {
      name: 'fam-res',
      family: 'residual',
      role: 'family',
      k: 21,
      d: 8,
      quantizer: { ...VQ, kind: 'residual', depth: 2 },
      psnr: [23.8, 2],
      bits: 562.2,
      gap: -2.2,
      perplexity: 24,
      stages: 2,
    },
  ];
  for (const r of runs) await writeFamilyRun(r);
  // A Table 1 pair of the ordinary study next to them.
  const pair = { ks: 256, ds: 8, kh: 128, dh: 8, mse: [0.01, 0.002] as [number, number] };
  await writeFixtureRun(join(root, 'runs'), {
    name: 't1-single',
    architecture: 'single',
    psnr: [25, 2],
    ...pair,
  });
  await writeFixtureRun(join(root, 'runs'), {
    name: 't1-hier',
    architecture: 'hierarchical',
    psnr: [24, 2],
    ...pair,
  });
  result = await writeReport({ runs: [join(root, 'runs')], out: join(root, 'report') });
});

describe('the report’s families table', () => {
  it('one row per family cell (seeds pooled): the reference first, then VQ, residual, FSQ, LFQ, with gap and usage', () => {
    const rows = result.families.map((r) => [r.family, r.role, r.runs.length, r.gapBitsPerImage]);
    expect(rows).toEqual([
      ['vq', 'reference', 1, 0],
      ['vq', 'family', 1, -0.099],
      ['residual', 'family', 1, -2.2],
      ['fsq', 'family', 2, -3.7],
      ['lfq', 'family', 1, -16],
    ]);
    const fsq = result.families[3]!;
    expect(fsq.psnr.mean).toBeCloseTo(23);
    expect(fsq.usage).toEqual([
      { level: 'single', perplexity: 13, codes: 448, stages: 1, usageOver: '448 codes' },
    ]);
    expect(result.families[2]!.usage[0]).toMatchObject({ codes: 42, stages: 2 });
    expect(result.families[0]!.usage.map((u) => u.level)).toEqual(['bottom', 'top']);
  });

  it('family runs stay out of Table 1; report.md, families.md and report.json show the table', () => {
    const table1Runs = result.table1.rows.flatMap((r) => [
      ...(r.single?.runs ?? []),
      ...(r.hierarchical?.runs ?? []),
    ]);
    expect(table1Runs.sort()).toEqual(['t1-hier', 't1-single']);
    expect(result.unmatchedRuns).toEqual([]);
    const md = readFileSync(result.reportMarkdown, 'utf8');
    expect(md).toContain('## Quantizer families');
    expect(md).toContain('| K256-D8 | vq | hierarchical VQ 2×Kh 128, Dh 8 |');
    expect(md).toContain(
      '| K256-D8 | fsq | single FSQ levels 8×8×7 (448 codes, D 3) | 23.0 ± 2.2 [± 1.41, 2 seeds]',
    );
    expect(md).toContain('| 24.0 / 2×21 | 562.2 | −2.2 |');
    expect(md).toContain('| −0.099 |');
    expect(md).toMatch(/\| `fam-lfq` \|.*\| families table \|/);
    expect(existsSync(join(root, 'report', 'families.md'))).toBe(true);
    const json = JSON.parse(readFileSync(join(root, 'report', 'report.json'), 'utf8'));
    expect(json.families.rows).toHaveLength(5);
    expect(json.runs.find((r: { id: string }) => r.id === 'fam-vq')).toMatchObject({
      matchedPair: false,
      familiesTable: true,
    });
  });

  it('no families section without families runs', async () => {
    const plain = await writeReport({
      runs: [join(root, 'runs', 't1-single'), join(root, 'runs', 't1-hier')],
      out: join(root, 'plain'),
    });
    expect(plain.families).toEqual([]);
    expect(plain.familyFiles).toBeNull();
    expect(readFileSync(plain.reportMarkdown, 'utf8')).not.toContain('Quantizer families');
    expect(existsSync(join(root, 'plain', 'families.md'))).toBe(false);
  });
});
