import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/commands/demo';
import type { RunConfig } from '../src/config/schema';
import { rungOrder } from '../src/sweep/ladder';
import { writeFixtureMetrics } from './study-fixtures';

const root = mkdtempSync(join(tmpdir(), 'vqkit-study-demo-'));
afterAll(() => {
  if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
});

/**
 * Stand-ins for trainRun / evaluateRun that write what the real ones write (config.json,
 * train-summary.json, metrics.json, samples): the demo's wiring is tested here, the real training of a
 * cell in study-sweep.test.ts. MSE falls with each rung so the report has something to order.
 */
const calls: string[] = [];
const train = (async (config: RunConfig, o: { runDir: string }) => {
  calls.push(`train ${config.name}`);
  mkdirSync(o.runDir, { recursive: true });
  writeFileSync(join(o.runDir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(o.runDir, 'train-summary.json'), JSON.stringify({ status: 'completed' }));
  return { status: 'completed', steps: 1 };
}) as never;
const evaluate = (async (dir: string) => {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RunConfig;
  calls.push(`eval ${config.name}`);
  const rung = rungOrder(config.tags['ladder'] ?? '');
  const mse = 0.05 / (rung + 1);
  await writeFixtureMetrics(dir, config as unknown as Record<string, unknown>, {
    name: config.name,
    psnr: [10 * Math.log10(1 / mse), 2],
    mse: [mse, mse / 2],
    samples: 2,
  });
  return { psnr: { mean: 20 }, mse: { mean: mse } };
}) as never;

describe('vqkit demo', () => {
  it('trains and evaluates the demo pair on every rung of the ladder, reports it, and skips it all on rerun', async () => {
    const lines: string[] = [];
    const out = join(root, 'demo');
    const first = await runDemo({
      out,
      backend: 'cpu',
      quiet: true,
      log: (l) => lines.push(l),
      train,
      evaluate,
    });
    const ids = ['none', 'init', 'reset', 'lowdim'].flatMap((r) => [
      `ladder-${r}-single`,
      `ladder-${r}-hierarchical`,
    ]);
    expect(first.outcomes.map((o) => `${o.id}:${o.status}`)).toEqual(
      ids.map((id) => `${id}:trained`),
    );
    expect(calls).toEqual(ids.flatMap((id) => [`train ${id}`, `eval ${id}`]));
    // The `demo` preset's pair (Kh 128, Dh 8): rungs (a)–(c) at D 64, rung (d) at D 16, K·D kept.
    const config = (id: string) =>
      JSON.parse(readFileSync(join(out, 'runs', id, 'config.json'), 'utf8')) as RunConfig;
    expect(config('ladder-none-single').model.single).toMatchObject({
      codebookSize: 32,
      codeDim: 64,
    });
    expect(config('ladder-lowdim-hierarchical').model.hierarchical).toMatchObject({
      codebookSize: 64,
      codeDim: 16,
    });
    expect(config('ladder-none-hierarchical').quantizer).toMatchObject({
      init: 'random',
      reset: 'none',
    });
    expect(config('ladder-none-single').data.train).toBe('demo');

    const report = first.report;
    expect(report.reportMarkdown).toBe(join(out, 'report', 'report.md'));
    expect(report.table1.rows.map((r) => [r.ladder, r.status])).toEqual([
      ['none', 'matched'],
      ['init', 'matched'],
      ['reset', 'matched'],
      ['lowdim', 'matched'],
    ]);
    expect(report.figures.figure1.written).toBe(true);
    expect(report.figures.figure3.written && report.figures.figure3.runs).toEqual(ids);
    expect(existsSync(join(out, 'runs', 'sweep-manifest.json'))).toBe(true);
    expect(readFileSync(report.reportMarkdown, 'utf8')).toContain('+ lower dimension');

    calls.length = 0;
    const again = await runDemo({
      out,
      backend: 'cpu',
      quiet: true,
      log: (l) => lines.push(l),
      train,
      evaluate,
    });
    expect(again.outcomes.every((o) => o.status === 'skipped')).toBe(true);
    expect(calls).toEqual([]);
    expect(
      lines.filter((l) => l.includes('finished (metrics.json present), skipping')),
    ).toHaveLength(8);
  });
});
