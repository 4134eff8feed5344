import { it, expect } from 'vitest';
import { join } from 'node:path';
import { resolveConfig } from '../src/config/resolve';
import { trainRun } from '../src/train/train-run';
import { evaluateRun } from '../src/eval/evaluate';
import { makeDataset, silent, tinyConfig } from './core-helpers';

it('smoke', async () => {
  const data = await makeDataset();
  const fams: [string, string[]][] = [
    ['vq', []],
    ['residual', ['quantizer={"kind":"residual","depth":2,"chunkSize":256,"resetWindow":2}']],
    ['fsq', ['quantizer={"kind":"fsq","levels":[4,4,2]}', 'model.single.codeDim=3']],
    ['lfq', ['quantizer={"kind":"lfq"}', 'model.single.codeDim=5']],
  ];
  for (const [name, sets] of fams) {
    const t0 = Date.now();
    const config = resolveConfig(tinyConfig(data, { allowUnmatched: true }), sets);
    const runDir = join(data.root, 'runs', name);
    await trainRun(config, { runDir, quiet: true, stderr: silent, backend: 'cpu' });
    const m = await evaluateRun(runDir, { quiet: true, stderr: silent });
    console.log(name, Date.now() - t0, m.psnr.mean, m.bitsPerImage, m.matched, m.levels.map((l) => [l.kind, l.perplexity, l.codebookSize, l.counts.length, l.usageOver, l.stagePerplexities]));
    expect(Number.isFinite(m.psnr.mean)).toBe(true);
  }
});
