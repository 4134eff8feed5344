import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve';
import type { RunConfig } from '../src/config/schema';
import { evaluateRun } from '../src/eval/evaluate';
import { buildCells } from '../src/sweep/grids';
import { dryRun } from '../src/train/dry-run';
import { trainRun } from '../src/train/train-run';
import { type CliRun, runVqkit } from './cli-helpers';
import {
  expectSameTensors,
  lastCheckpoint,
  makeDataset,
  silent,
  tinyConfig,
  trainInterrupted,
} from './core-helpers';

let data: Awaited<ReturnType<typeof makeDataset>>;

beforeAll(async () => {
  data = await makeDataset();
});

/**
 * Each family on the tiny pair (16² crops, 4×4 bottom, 2×2 top; Ks 32, Kh 16, D 4): its K and D
 * on the trained side, and the index bits per position it must report.
 */
const FAMILIES: { kind: string; sets: string[]; bits: number; codes: number }[] = [
  { kind: 'vq', sets: [], bits: 5, codes: 32 },
  {
    kind: 'residual',
    sets: ['quantizer={"kind":"residual","depth":2,"chunkSize":256,"resetWindow":2}'],
    bits: 10,
    codes: 64,
  },
  {
    kind: 'fsq',
    sets: ['quantizer={"kind":"fsq","levels":[4,4,2]}', 'model.single.codeDim=3'],
    bits: 5,
    codes: 32,
  },
  { kind: 'lfq', sets: ['quantizer={"kind":"lfq"}', 'model.single.codeDim=5'], bits: 5, codes: 32 },
];

function config(sets: string[], extra: string[] = []): RunConfig {
  return resolveConfig(tinyConfig(data, { seed: 3, allowUnmatched: true }), [...sets, ...extra]);
}

function sameTensors(a: string, b: string): void {
  const x = lastCheckpoint(a);
  const y = lastCheckpoint(b);
  expectSameTensors(x, y);
  expect(JSON.stringify(y.meta.quantizers)).toBe(JSON.stringify(x.meta.quantizers));
}

describe('every quantizer family in the study', () => {
  for (const f of FAMILIES) {
    it(`${f.kind}: trains, resumes bit for bit on cpu, and evaluates with the family's bits and usage`, async () => {
      const c = config(f.sets);
      const straight = join(data.root, 'runs', `${f.kind}-straight`);
      await trainRun(c, { runDir: straight, quiet: true, stderr: silent, backend: 'cpu' });
      const broken = join(data.root, 'runs', `${f.kind}-broken`);
      const first = await trainInterrupted(c, broken, 4);
      expect(first.status).toBe('interrupted');
      const second = await trainRun(null, {
        runDir: broken,
        resume: true,
        quiet: true,
        stderr: silent,
      });
      expect([second.status, second.steps]).toEqual(['completed', 6]);
      sameTensors(straight, broken);

      const m = await evaluateRun(straight, { quiet: true, stderr: silent });
      const [level] = m.levels;
      expect([level!.kind, level!.bitsPerPosition, level!.counts.length]).toEqual([
        f.kind,
        f.bits,
        f.codes,
      ]);
      expect(m.bitsPerImage).toBe(16 * f.bits);
      expect(level!.counts.reduce((a, b) => a + b, 0)).toBe(
        m.images * 16 * (f.kind === 'residual' ? 2 : 1),
      );
      expect(level!.perplexity).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(m.psnr.mean)).toBe(true);
      // Matched in index bits against the hierarchical VQ (16·4 + 4·4 positions × log₂16 = 80 bits).
      expect(m.matched).toMatchObject({
        ok: f.bits === 5,
        mode: f.kind === 'vq' ? 'kd' : 'bits',
        bitGap: { indexBits: 80 - 16 * f.bits },
      });
      if (f.kind === 'residual') expect(level!.stagePerplexities).toHaveLength(2);
    });
  }

  it('hierarchical models take every family at both levels', async () => {
    const hier: [string, string[]][] = [
      ['residual', ['quantizer={"kind":"residual","depth":2,"chunkSize":256,"resetWindow":2}']],
      ['fsq', ['quantizer={"kind":"fsq","levels":[2,2,2,2]}', 'model.hierarchical.codeDim=4']],
      ['lfq', ['quantizer={"kind":"lfq"}']],
    ];
    for (const [kind, sets] of hier) {
      const c = config(sets, ['architecture=hierarchical', 'train.epochs=1']);
      const runDir = join(data.root, 'runs', `hier-${kind}`);
      await trainRun(c, { runDir, quiet: true, stderr: silent, backend: 'cpu' });
      const m = await evaluateRun(runDir, { quiet: true, stderr: silent });
      expect(m.levels.map((l) => [l.name, l.kind])).toEqual([
        ['bottom', kind],
        ['top', kind],
      ]);
      expect(m.bitsPerImage).toBe(20 * (kind === 'residual' ? 8 : 4));
    }
  });

  it('dry run: the trained side is the family (its bits per position), the other side the VQ reference', async () => {
    const r = await dryRun(config(FAMILIES[2]!.sets));
    expect(r.single.quantizer).toBe('FSQ levels 4×4×2');
    expect(r.single.indexBitsPerImage).toBe(80);
    expect([r.hierarchical.quantizer, r.hierarchical.indexBitsPerImage]).toEqual(['VQ', 80]);
    expect(r.match).toMatchObject({ ok: true, mode: 'bits' });
    const residual = await dryRun(config(FAMILIES[1]!.sets));
    expect(residual.single.quantizer).toBe('residual 2 stages × K 32');
    expect(residual.single.indexBitsPerImage).toBe(160);
    expect(residual.match.failures[0]).toContain('index bits');
  });
});

describe('vqkit sweep --grid families', () => {
  /** `vqkit sweep --grid families --config demo --list …` → exit code and what it printed. */
  function list(...args: string[]): Promise<CliRun> {
    return runVqkit('sweep', '--config', 'demo', '--list', ...args);
  }

  it('--list: the hierarchical VQ reference and each single-level family matched to its bits, gaps stated', async () => {
    const { code, out } = await list('--grid', 'families');
    expect(code).toBe(0);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[1]),
    ).toEqual([
      'families-hier-vq-K128-D8',
      'families-single-vq-K431-D8',
      'families-single-residual-2xK21-D8',
      'families-single-fsq-L8x8x7',
      'families-single-lfq-D9',
    ]);
    expect(out).toContain('560 index bits per image');
    expect(out).toContain('576 index bits per image, 16 more than the pair');
    const other = await list('--grid', 'families', '--pair', '128,8');
    expect(other.out).toContain('families-hier-vq-K64-D8');
    // A gap below one bit is shown, not rounded to 0: K 181 on 64 positions has 479.99 bits.
    expect(other.out).toContain('479.99 index bits per image, 0.0099 fewer than the pair');
    expect((await list('--grid', 'kxd', '--pair', '128,8')).code).toBe(2);
    expect((await list('--grid', 'families', '--pair', '128')).code).toBe(2);
  });

  it('its cells state their K and D, carry their tags, and are unmatched exactly when inexact', () => {
    const base = resolveConfig('demo', [], { requireData: false });
    const cells = buildCells(base, 'families', { seeds: 2 });
    expect(cells).toHaveLength(10);
    for (const c of cells) {
      expect(resolveConfig(c.config)).toEqual(c.config); // what a manifest stores resolves again
      const { tags, quantizer, model, allowUnmatched, architecture } = c.config;
      expect(tags).toMatchObject({ study: 'families', pair: 'K256-D8', family: quantizer.kind });
      if (tags['role'] === 'reference') {
        expect([architecture, quantizer.kind, model.match, allowUnmatched]).toEqual([
          'hierarchical',
          'vq',
          'kd',
          false,
        ]);
      } else {
        expect([architecture, model.match, allowUnmatched]).toEqual(['single', 'bits', true]);
      }
    }
    const fsq = cells.find((c) => c.id === 'families-single-fsq-L8x8x7')!.config;
    expect(fsq.model.single).toEqual({ channels: 40, codebookSize: 448, codeDim: 3 });
  });
});
