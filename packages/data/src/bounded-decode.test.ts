import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir, writePattern } from '../test/fixtures';
import type { LoaderOptions } from './loader-options';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../test/decode-peak.ts', import.meta.url));

let dir: string;
let small: string;
let bomb: string;

/** A 6000² grayscale PNG of zeros: 35 KB on disk, 108 MB as decoded RGB. */
beforeAll(async () => {
  dir = await makeTempDir();
  small = join(dir, 'small.png');
  bomb = join(dir, 'bomb.png');
  await writePattern(small, 96, 80);
  await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#000' } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9 })
    .toFile(bomb);
});

afterAll(async () => {
  await removeDir(dir);
});

/** Peak RSS after loading the bomb, as a ratio to the peak after loading a small image. */
async function peakRatio(options: Partial<LoaderOptions>): Promise<number> {
  const arg = JSON.stringify({ baseline: small, file: bomb, options: { size: 64, ...options } });
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, arg]);
  const r = JSON.parse(stdout) as { baselineMiB: number; peakMiB: number; skipped: string[] };
  expect(r.skipped).toEqual([]);
  return r.peakMiB / r.baselineMiB;
}

describe('decode memory in training (issue: a tiny PNG expanding to gigabytes)', () => {
  it('follows what the transform needs, not the file: shrink-on-load bounds the peak', async () => {
    // Control: the full-resolution decode the loader did before costs 108 MB more (×2 here).
    expect(
      await peakRatio({ transform: 'random-resized-crop', maxShorterSide: null }),
    ).toBeGreaterThan(1.6);
    expect(await peakRatio({})).toBeLessThan(1.3); // 'resize', the default
    expect(await peakRatio({ transform: 'random-resized-crop' })).toBeLessThan(1.3);
  });
});
