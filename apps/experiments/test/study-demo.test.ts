import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/commands/demo';
import { printReportSummary } from '../src/commands/report';
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
  it("trains Figure 1's ladder, Figure 2's grid and Table 1's pairs, reports each from its own runs at demo scale, and skips it all on rerun", async () => {
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
    const ladder = ['none', 'init', 'reset', 'lowdim'].flatMap((r) => [
      `ladder-${r}-single`,
      `ladder-${r}-hierarchical`,
    ]);
    const fig2 = [64, 128, 256].flatMap((k) => [8, 16].map((d) => `fig2-single-K${k}-D${d}`));
    const table1 = [
      'table1-single-K128-D8',
      'table1-hier-K64-D8',
      'table1-single-K256-D8',
      'table1-hier-K128-D8',
    ];
    const ids = [...ladder, ...fig2, ...table1];
    expect(first.outcomes.map((o) => `${o.id}:${o.status}`)).toEqual(
      ids.map((id) => `${id}:trained`),
    );
    expect(calls).toEqual(ids.flatMap((id) => [`train ${id}`, `eval ${id}`]));
    const config = (id: string) =>
      JSON.parse(readFileSync(join(out, 'runs', id, 'config.json'), 'utf8')) as RunConfig;
    // The `demo` preset's pair (Kh 128, Dh 8): ladder rungs (a)–(c) at D 16, rung (d) at D 8 (DEMO_STUDY), K·D kept.
    expect(config('ladder-none-single').model.single).toMatchObject({
      codebookSize: 128,
      codeDim: 16,
    });
    expect(config('ladder-lowdim-hierarchical').model.hierarchical).toMatchObject({
      codeDim: 8,
      codebookSize: 128,
    });
    expect(config('ladder-none-hierarchical').quantizer).toMatchObject({
      init: 'random',
      reset: 'none',
    });
    expect(config('ladder-none-single').data.train).toBe('demo');
    // Table 1's pairs on crops of at least 64² (Figure 3 must be recognisable), Figure 2's on 32².
    expect(config('table1-hier-K64-D8').data.size).toBe(64);
    // … cut from the photos resized to shorter side 128, so a test crop shows a quarter of a photo.
    expect(config('table1-single-K128-D8').data.decodeShorterSide).toBe(128);
    expect(config('fig2-single-K64-D16').data.decodeShorterSide).toBeUndefined();
    expect(config('table1-single-K256-D8').model.hierarchical.codebookSize).toBe(128);
    expect(config('fig2-single-K64-D16').data.size).toBe(32);

    const report = first.report;
    expect(report.reportMarkdown).toBe(join(out, 'report', 'report.md'));
    const matched = report.table1.rows.filter((r) => r.status === 'matched');
    expect(
      matched.map((r) => [r.singleCodeDim, r.singleCodebookSize, r.hierarchicalCodebookSize]),
    ).toEqual([
      [8, 128, 64],
      [8, 256, 128],
    ]);
    expect(report.table1.rows.every((r) => r.ladder === null)).toBe(true);
    expect(report.ladderPairs.rows.map((r) => [r.ladder, r.status])).toEqual([
      ['none', 'matched'],
      ['init', 'matched'],
      ['reset', 'matched'],
      ['lowdim', 'matched'],
    ]);
    const f1 = report.figures.figure1;
    const f2 = report.figures.figure2;
    const f3 = report.figures.figure3;
    if (!f1.written || !f2.written || !f3.written) throw new Error('every figure should be drawn');
    expect([...f1.runs].sort()).toEqual([...ladder].sort());
    expect([...f2.runs].sort()).toEqual([...fig2].sort());
    expect(f3.runs).toEqual(table1);
    // Every output says what scale it is.
    expect(report.scaleNote).toMatch(
      /^demo scale \(bundled photos instead of ImageNet; 32², 64² images instead of 256²;/,
    );
    expect(report.scaleNote).toContain('not comparable with the paper’s numbers');
    expect(report.scaleNote).toContain('crops of photos resized to shorter side 128 px');
    expect(readFileSync(report.reportMarkdown, 'utf8')).toContain(report.scaleNote!);
    expect(readFileSync(report.tableFiles.markdown, 'utf8')).toContain(report.scaleNote!);
    for (const spec of [
      f1.files.mse.spec,
      f1.files.lorenz.spec,
      f1.files.perplexity.spec,
      f2.files.spec,
    ]) {
      // Each figure's note names the settings of the runs it draws: Figures 1 and 2 are 32² only.
      const subtitle = JSON.parse(readFileSync(spec, 'utf8')).title.subtitle.join(' ');
      expect(subtitle).toMatch(
        /demo scale \(bundled photos instead of ImageNet; 32² images instead of 256²;/,
      );
      expect(subtitle).toContain('not comparable with the paper’s numbers');
    }
    const summary: string[] = [];
    printReportSummary(report, (l) => summary.push(l));
    expect(summary[0]).toBe(`Note: ${report.scaleNote}.`);
    expect(existsSync(join(out, 'runs', 'sweep-manifest.json'))).toBe(true);
    expect(readFileSync(report.reportMarkdown, 'utf8')).toContain('## Setup');

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
    ).toHaveLength(ids.length);
  });

  it('refuses --seeds 0 and an --out that is a file before training anything', async () => {
    calls.length = 0;
    await expect(
      runDemo({ out: join(root, 'zero'), seeds: 0, train, evaluate, quiet: true, log: () => {} }),
    ).rejects.toThrow(/--seeds expects a positive integer/);
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(
      runDemo({ out: file, train, evaluate, quiet: true, log: () => {} }),
    ).rejects.toThrow(/--out '.*a-file' is a file \(ENOTDIR\)/);
    expect(calls).toEqual([]);
  });
});
