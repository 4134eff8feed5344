import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMatched } from '@vqkit/capacity';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as registerSweep } from '../src/commands/sweep';
import { assertPairAllowed, capacityConfigs } from '../src/config/matching';
import { resolveConfig } from '../src/config/resolve';
import type { RunConfig } from '../src/config/schema';
import { writeReport } from '../src/report/report';
import { DAWN_LIMIT_NOTE, resolveChildBackend } from '../src/sweep/child-backend';
import { buildCells, type SweepCell } from '../src/sweep/grids';
import { readManifest } from '../src/sweep/manifest';
import { runCells } from '../src/sweep/run-cells';
import { runCellsInParallel, vqkitChildCommand } from '../src/sweep/run-parallel';
import { emitSlurm } from '../src/sweep/study';
import { dryRun } from '../src/train/dry-run';

const PAPER = resolveConfig('paper', [
  'data.train=/data/imagenet/train',
  'data.val=/data/imagenet/val',
]);

function matched(config: RunConfig): boolean {
  const pair = capacityConfigs(config);
  return checkMatched(pair.single, pair.hierarchical, { match: 'kd' }).matched;
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vqkit-study-sweep-'));
});
afterAll(() => {
  if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
});

describe('sweep grids', () => {
  it("the paper grid is the 20 single-level K×D cells plus Table 1's 8 hierarchical cells, all matched by eqs. 4–5", () => {
    const cells = buildCells(PAPER, 'paper');
    expect(cells).toHaveLength(28);
    const singles = cells.filter((c) => c.config.architecture === 'single');
    const hiers = cells.filter((c) => c.config.architecture === 'hierarchical');
    expect(singles).toHaveLength(20);
    expect(hiers).toHaveLength(8);
    expect(new Set(cells.map((c) => c.id)).size).toBe(28);
    const grid = singles.map((c) => [
      c.config.model.single.codebookSize,
      c.config.model.single.codeDim,
    ]);
    for (const k of [1024, 2048, 4096, 8192])
      for (const d of [8, 16, 32, 64, 128]) expect(grid).toContainEqual([k, d]);
    // Table 1: D = 8 with Ks 1024…8192 ↔ Kh = Ks/2, and Ks = 8192 with D 16…128 ↔ Kh 4096.
    const pairs = hiers.map((c) => [
      c.config.model.single.codebookSize,
      c.config.model.hierarchical.codebookSize,
      c.config.model.hierarchical.codeDim,
    ]);
    expect(pairs).toEqual([
      [1024, 512, 8],
      [2048, 1024, 8],
      [4096, 2048, 8],
      [8192, 4096, 8],
      [8192, 4096, 16],
      [8192, 4096, 32],
      [8192, 4096, 64],
      [8192, 4096, 128],
    ]);
    for (const c of cells) {
      expect(matched(c.config)).toBe(true);
      expect(c.config.model.single.channels).toBe(160);
      expect(c.config.model.hierarchical.channels).toBe(128);
      expect(c.config.name).toBe(c.id);
      expect(c.config.tags['cell']).toBe(c.id);
      expect(c.config.model.single.codeDim).toBe(c.config.model.hierarchical.codeDim);
    }
    expect(hiers.map((c) => c.id)).toContain('hier-K4096-D8');
    expect(singles.map((c) => c.id)).toContain('single-K8192-D8');
  });

  it('table1 and kxd are the two halves, and unknown grids are named errors', () => {
    expect(buildCells(PAPER, 'table1')).toHaveLength(16);
    expect(buildCells(PAPER, 'kxd')).toHaveLength(20);
    expect(
      buildCells(PAPER, 'kxd', { codebookSizes: [64, 128], codeDims: [4] }).map((c) => c.id),
    ).toEqual(['single-K64-D4', 'single-K128-D4']);
    expect(() => buildCells(PAPER, 'nope')).toThrow(
      /unknown --grid 'nope'.*paper, table1, kxd, ablation, demo/,
    );
    expect(() => buildCells(PAPER, 'kxd', { codebookSizes: [1023], codeDims: [8] })).toThrow(
      /K1023-D8/,
    );
  });

  it('the ablation ladder adds one intervention per rung and lowers D 64 → 16 at the same K·D', () => {
    const cells = buildCells(PAPER, 'ablation');
    expect(cells.map((c) => c.id)).toEqual([
      'ladder-none-single',
      'ladder-none-hierarchical',
      'ladder-init-single',
      'ladder-init-hierarchical',
      'ladder-reset-single',
      'ladder-reset-hierarchical',
      'ladder-lowdim-single',
      'ladder-lowdim-hierarchical',
    ]);
    const by = Object.fromEntries(cells.map((c) => [c.id, c.config]));
    const q = (id: string) => {
      const quantizer = by[id]!.quantizer;
      if (quantizer.kind !== 'vq') throw new Error(`${id}: the ladder trains VQ codebooks`);
      return quantizer;
    };
    expect([q('ladder-none-single').init, q('ladder-none-single').reset]).toEqual([
      'random',
      'none',
    ]);
    expect([q('ladder-init-hierarchical').init, q('ladder-init-hierarchical').reset]).toEqual([
      'data',
      'none',
    ]);
    for (const id of ['ladder-reset-single', 'ladder-lowdim-hierarchical']) {
      expect(q(id)).toMatchObject({
        init: 'data',
        reset: 'windowed',
        resetThreshold: 2,
        resetWindow: 10,
      });
    }
    const reset = by['ladder-reset-single']!.model;
    const low = by['ladder-lowdim-single']!.model;
    expect([reset.single.codeDim, low.single.codeDim]).toEqual([64, 16]);
    expect(low.single.codebookSize).toBe(4 * reset.single.codebookSize);
    expect(low.hierarchical.codebookSize).toBe(4 * reset.hierarchical.codebookSize);
    // Every rung keeps the base pair's budgets: Ks·Ds = 2·Kh·Dh = 2·4096·8.
    for (const c of cells) {
      expect(c.config.model.single.codebookSize * c.config.model.single.codeDim).toBe(2 * 4096 * 8);
      expect(matched(c.config)).toBe(true);
      expect(c.config.tags['ladder']).toBe(c.id.split('-')[1]);
    }
    expect([reset.single.codebookSize, reset.hierarchical.codebookSize]).toEqual([1024, 512]);
    expect(() => buildCells(PAPER, 'ablation', { fromDim: 48 })).toThrow(
      /not divisible by code dimension 48/,
    );
  });
});

describe('seeds, bit matching and the demo grid', () => {
  it('--seeds N repeats every cell with seeds s, s+1, … and nothing else changed; the first keeps its id', () => {
    const cells = buildCells(PAPER, 'kxd', { codebookSizes: [1024], codeDims: [8, 16], seeds: 3 });
    expect(cells.map((c) => c.id)).toEqual([
      'single-K1024-D8',
      'single-K1024-D8-seed1',
      'single-K1024-D8-seed2',
      'single-K1024-D16',
      'single-K1024-D16-seed1',
      'single-K1024-D16-seed2',
    ]);
    expect(cells.map((c) => c.config.seed)).toEqual([0, 1, 2, 0, 1, 2]);
    const strip = (c: SweepCell) => ({
      ...c.config,
      name: '',
      seed: 0,
      tags: { ...c.config.tags, cell: '' },
    });
    expect(strip(cells[1]!)).toEqual(strip(cells[0]!));
    expect(cells[2]!.config.name).toBe('single-K1024-D8-seed2');
    expect(() => buildCells(PAPER, 'kxd', { seeds: 0 })).toThrow(
      /--seeds expects a positive integer/,
    );
  });

  it('--match bits keeps each Table 1 pair’s hierarchical side when an exact bit match exists, else moves Kh to the nearest one and says so', () => {
    const cells = buildCells(PAPER, 'table1', { match: 'bits' });
    expect(cells).toHaveLength(16);
    for (const c of cells) {
      const pair = capacityConfigs(c.config);
      expect(checkMatched(pair.single, pair.hierarchical, { match: 'bits' }).matched).toBe(true);
      expect(c.config.model.match).toBe('bits');
      expect(c.config.tags['match']).toBe('bits');
      expect(assertPairAllowed(c.config).ok).toBe(true); // training accepts it
      expect(c.id.startsWith('bits-')).toBe(true);
    }
    const byId = Object.fromEntries(cells.map((c) => [c.id, c]));
    // Kh 4096 = 8⁴: Ks = 4096^(5/4) = 32768 gives 64²·15 = (64² + 32²)·12 = 61,440 bits.
    expect(byId['bits-single-K32768-D8']!.config.model.hierarchical.codebookSize).toBe(4096);
    expect(byId['bits-hier-K4096-D128']).toBeDefined();
    // Kh 512 is no 4th power: the nearest with an exact match is 625 = 5⁴ (Ks 3125).
    expect(byId['bits-hier-K625-D8']!.description).toContain(
      'Kh 512 has no integer bit-matched Ks',
    );
    // The paper grid under --match bits is Table 1's pairs (the K×D grid is single-level).
    expect(buildCells(PAPER, 'paper', { match: 'bits' }).map((c) => c.id)).toEqual(
      cells.map((c) => c.id),
    );
  });

  it("the demo grid: Figure 1's ladder, 3 K × 2 D single-level cells, and 2 matched pairs at D 8 on 64² crops", async () => {
    const cells = buildCells(resolveConfig('demo'), 'demo');
    expect(cells).toHaveLength(8 + 6 + 4);
    for (const c of cells) expect(matched(c.config)).toBe(true);
    const fig2 = cells.filter((c) => c.id.startsWith('fig2-'));
    expect(new Set(fig2.map((c) => c.config.model.single.codebookSize))).toEqual(
      new Set([64, 128, 256]),
    );
    expect(new Set(fig2.map((c) => c.config.model.single.codeDim))).toEqual(new Set([8, 16]));
    const t1 = cells.filter((c) => c.id.startsWith('table1-'));
    expect(
      t1.map((c) => [
        c.config.architecture,
        c.config.model.single.codebookSize,
        c.config.data.size,
      ]),
    ).toEqual([
      ['single', 128, 64],
      ['hierarchical', 128, 64],
      ['single', 256, 64],
      ['hierarchical', 256, 64],
    ]);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    // Figure 1's pairs at demo widths: D 16 → 8 keeps both sides within 10 % in trainable parameters
    // (D 64 → 16, the paper's dimensions at Ch 128, would give the hierarchical side 94 % more).
    for (const c of cells.filter(
      (x) => x.id.startsWith('ladder-') && x.config.architecture === 'single',
    )) {
      expect((await dryRun(c.config)).paramsGap, c.id).toBeLessThan(0.1);
    }
  });
});

describe('running cells', () => {
  it('skips finished cells, evaluates trained ones and resumes started ones', async () => {
    const runsDir = join(root, 'fake');
    const tiny = resolveConfig('tiny');
    const cells: SweepCell[] = ['a', 'b', 'c'].map((id) => ({
      id,
      description: id,
      config: { ...tiny, name: id },
    }));
    mkdirSync(join(runsDir, 'b'), { recursive: true });
    writeFileSync(join(runsDir, 'b', 'config.json'), JSON.stringify(cells[1]!.config));
    writeFileSync(join(runsDir, 'b', 'train-summary.json'), '{}');
    mkdirSync(join(runsDir, 'c'), { recursive: true });
    writeFileSync(join(runsDir, 'c', 'config.json'), JSON.stringify(cells[2]!.config));
    const calls: string[] = [];
    const lines: string[] = [];
    const outcomes = await runCells(cells, {
      runsDir,
      log: (l) => lines.push(l),
      train: (async (config: RunConfig, o: { runDir: string; resume?: boolean }) => {
        calls.push(`train ${config.name} resume=${o.resume}`);
        return { status: 'completed', steps: 1 };
      }) as never,
      evaluate: (async (dir: string) => {
        calls.push(`eval ${dir.slice(runsDir.length + 1)}`);
        if (dir.endsWith('c')) throw new Error('boom');
        return { psnr: { mean: 20 }, mse: { mean: 0.01 } };
      }) as never,
    });
    expect(calls).toEqual([
      'train a resume=false',
      'eval a',
      'eval b',
      'train c resume=true',
      'eval c',
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['trained', 'evaluated', 'failed']);
    expect(outcomes[2]!.message).toContain('boom');
    expect(lines.some((l) => l.includes('[3/3] c: FAILED'))).toBe(true);
  });

  it('--jobs runs cells in child processes (longest first, VQKIT_CPU_THREADS=1, auto backend resolved once), reports failures and stops children on abort', async () => {
    const runsDir = join(root, 'jobs');
    const tiny = resolveConfig('tiny');
    const cells: SweepCell[] = ['small', 'fails', 'slow', 'big'].map((id) => ({
      id,
      description: id,
      config: { ...tiny, name: id, data: { ...tiny.data, size: id === 'big' ? 64 : 32 } },
    }));
    // A stand-in for the vqkit CLI: `backend --json` answers cpu after Dawn's adapter warning (as
    // the real probe may) and counts its calls; a cell records its cell, env, --backend and start
    // order and prints Dawn's warning too; `small` waits until `big` has started, `fails` exits 1
    // naming the cell, `slow` waits for SIGINT and exits 130 as vqkit does, the others write
    // metrics.json.
    const dawn =
      'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
    const script = `
      const fs = require('node:fs'); const path = require('node:path');
      const a = process.argv;
      if (a[1] === 'backend') {
        fs.appendFileSync(${JSON.stringify(join(runsDir, 'probes.txt'))}, a.slice(1).join(' ') + '\\n');
        console.error(${JSON.stringify(dawn)});
        console.log(JSON.stringify({ name: 'cpu', requested: 'auto', reason: 'auto: stand-in', description: 'cpu' }));
        process.exit(0);
      }
      const id = a[a.indexOf('--only') + 1]; const dir = path.join(a[a.indexOf('--runs-dir') + 1], id);
      // Only slow answers the abort: on a loaded machine fails may still be exiting when the
      // SIGINT comes, and must end as failed (its exit 1), not interrupted.
      if (id !== 'slow') process.on('SIGINT', () => {});
      fs.mkdirSync(dir, { recursive: true });
      const order = path.join(path.dirname(dir), 'order.txt');
      fs.appendFileSync(order, id + '\\n');
      // small waits (≤ 10 s) until big has started, so the start order is not a race.
      const until = Date.now() + 10000;
      while (id === 'small' && !fs.readFileSync(order, 'utf8').includes('big') && Date.now() < until)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify({ threads: process.env.VQKIT_CPU_THREADS, extra: process.env.EXTRA, backend: a[a.indexOf('--backend') + 1] }));
      console.error(${JSON.stringify(dawn)});
      console.error('[1/1] ' + id + ': training');
      if (id === 'fails') { console.error('[1/1] ' + id + ': FAILED — DataError: boom'); process.exit(1); }
      if (id === 'slow') { process.on('SIGINT', () => process.exit(130)); setInterval(() => {}, 1000); }
      else fs.writeFileSync(path.join(dir, 'metrics.json'), '{}');
    `;
    mkdirSync(runsDir, { recursive: true });
    const controller = new AbortController();
    const lines: string[] = [];
    const outcomes = runCellsInParallel(cells, {
      runsDir,
      jobs: 2,
      manifest: join(runsDir, 'unused.json'),
      command: { argv: [process.execPath, '-e', script, '--'], env: { EXTRA: 'yes' } },
      signal: controller.signal,
      log: (l) => {
        lines.push(l);
        if (l.includes('slow: training')) setTimeout(() => controller.abort(), 300);
      },
    });
    const result = await outcomes;
    expect(result.map((o) => `${o.id}:${o.status}`)).toEqual([
      'small:trained',
      'fails:failed',
      'slow:interrupted',
      'big:trained',
    ]);
    // Longest first: the first two children started are big and small (in cell order they would be
    // small and fails; small waits for big, so fails cannot start before big).
    const started = readFileSync(join(runsDir, 'order.txt'), 'utf8').split('\n');
    expect(started.slice(0, 2).sort()).toEqual(['big', 'small']);
    expect(JSON.parse(readFileSync(join(runsDir, 'small', 'env.json'), 'utf8'))).toEqual({
      threads: '1',
      extra: 'yes',
      backend: 'cpu',
    });
    // `auto` was resolved by one probe before the first cell; Dawn's warnings became one note.
    expect(readFileSync(join(runsDir, 'probes.txt'), 'utf8')).toBe(
      'backend --backend auto --json\n',
    );
    expect(lines[0]).toBe('backend: auto → cpu in every cell (auto: stand-in)');
    expect(lines.filter((l) => l.includes('artificially reduced'))).toEqual([DAWN_LIMIT_NOTE]);
    expect(result[1]!.message).toContain('FAILED — DataError: boom');
    expect(lines).toContain('[2/4] fails: FAILED — DataError: boom');
  });

  it("resolves --backend auto once with the real CLI's `vqkit backend --json`", async () => {
    const resolved = await resolveChildBackend('auto', vqkitChildCommand());
    expect(['cpu', 'webgpu', 'tensorflow']).toContain(resolved.backend);
    expect(resolved.lines[0]).toMatch(
      new RegExp(`^backend: auto → ${resolved.backend} in every cell \\(auto: `),
    );
    expect(await resolveChildBackend('cpu', vqkitChildCommand())).toEqual({
      backend: 'cpu',
      lines: [],
      dawnExplained: false,
    });
  });

  it('emits a well-formed SLURM array whose cell command trains, evaluates, and is skipped on rerun', async () => {
    const runsDir = join(root, 'slurm');
    const files = emitSlurm(
      {
        config: 'tiny',
        sets: [
          'train.epochs=1',
          'data.cropsPerEpoch=16',
          'data.valImages=4',
          'eval.images=4',
          'eval.samples=2',
        ],
        grid: 'kxd',
        codebookSizes: [64, 128],
        codeDims: [8],
        runsDir,
        backend: 'cpu',
        now: () => new Date('2025-01-02T03:04:05Z'),
      },
      { time: '01:00:00', partition: 'gpu', vqkit: 'npx vqkit' },
    );
    expect(files.cells).toBe(2);
    const script = readFileSync(files.script, 'utf8');
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(script).toContain('#SBATCH --array=0-1\n');
    expect(script).toContain('#SBATCH --partition=gpu\n');
    expect(script).toContain('#SBATCH --time=01:00:00\n');
    expect(script).toContain('$((SLURM_ARRAY_TASK_ID + 1))p');
    // Directives must precede the first command for sbatch to read them.
    const firstCommand = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
    expect(lines.slice(firstCommand).some((l) => l.startsWith('#SBATCH'))).toBe(false);
    execFileSync('bash', ['-n', files.script]);
    expect(readFileSync(files.cellList, 'utf8')).toBe('single-K64-D8\nsingle-K128-D8\n');
    expect(readManifest(files.manifest).cells.map((c) => c.id)).toEqual([
      'single-K64-D8',
      'single-K128-D8',
    ]);

    // Ask the script which command array task 0 runs (VQKIT=printf prints its arguments).
    const env = { ...process.env, SLURM_ARRAY_TASK_ID: '0', VQKIT: 'printf %s\\n' };
    const printed = execFileSync('bash', [files.script], { env, encoding: 'utf8' })
      .trim()
      .split('\n');
    const args = printed.slice(1);
    expect(printed[0]).toContain('runs cell single-K64-D8');
    expect(args).toEqual([
      'sweep',
      '--manifest',
      files.manifest,
      '--only',
      'single-K64-D8',
      '--runs-dir',
      runsDir,
      '--backend',
      'cpu',
      '--quiet',
    ]);
    const bad = spawnSync('bash', [files.script], {
      env: { ...env, SLURM_ARRAY_TASK_ID: '2' },
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('no cell for array task 2');

    // Run exactly that command in-process on the cpu backend.
    const run = async () => {
      const program = new Command().exitOverride();
      registerSweep(program);
      const log = console.log;
      const out: string[] = [];
      console.log = (...a: unknown[]) => out.push(a.join(' '));
      try {
        await program.parseAsync(['node', 'vqkit', ...args]);
      } finally {
        console.log = log;
      }
      return out.join('\n');
    };
    const first = await run();
    expect(first).toContain('1 trained');
    const cellDir = join(runsDir, 'single-K64-D8');
    const metrics = JSON.parse(readFileSync(join(cellDir, 'metrics.json'), 'utf8'));
    expect(metrics.schema).toBe('vqkit.metrics/1');
    expect(metrics.config.model.single).toMatchObject({ codebookSize: 64, codeDim: 8 });
    expect(metrics.matched.ok).toBe(true);
    expect(Number.isFinite(metrics.psnr.mean)).toBe(true);
    expect(existsSync(join(runsDir, 'single-K128-D8'))).toBe(false);

    const second = await run();
    expect(second).toContain('1 skipped (finished)');
    expect(second).toContain('0 trained');

    // The finished cell and the missing one merge into a report.
    const report = await writeReport({ runs: [runsDir], out: join(root, 'slurm-report') });
    expect(report.runs.map((r) => r.id)).toEqual(['single-K64-D8']);
    expect(report.table1.rows[0]!.status).toBe('single-only');
    expect(report.figures.figure3.written).toBe(true);
  });
});
