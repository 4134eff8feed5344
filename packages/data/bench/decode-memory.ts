/**
 * Peak memory of training on a decompression bomb: the 249 KB PNG of 16000² zeros from issue 11
 * (#7), loaded through `createLoader` with each transform, each in a process of its own
 * (`test/decode-peak.ts`), as a ratio to the same process's peak after loading a small image.
 *
 *   npm run bench -w @vqkit/data          (or: npx tsx bench/decode-memory.ts [--size 256])
 *
 * Not part of the test suite (`src/bounded-decode.test.ts` pins the same bound on a 6000² file).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { LoaderOptions } from '../src/index';

const script = fileURLToPath(new URL('../test/decode-peak.ts', import.meta.url));
const i = process.argv.indexOf('--size');
const size = i >= 0 ? Number(process.argv[i + 1]) : 256;

const rows: [string, Partial<LoaderOptions>][] = [
  [
    'random-resized-crop, full resolution (the old training path)',
    { transform: 'random-resized-crop', maxShorterSide: null, maxPixels: Infinity },
  ],
  [
    'random-resized-crop, shrink-on-load (default)',
    { transform: 'random-resized-crop', maxPixels: Infinity },
  ],
  ['resize (default transform)', { maxPixels: Infinity }],
  ['center-crop', { transform: 'center-crop', maxPixels: Infinity }],
  ['defaults (maxPixels refuses it from the header)', {}],
];

const dir = mkdtempSync(join(tmpdir(), 'vqkit-bomb-'));
try {
  const small = join(dir, 'small.png');
  const bomb = join(dir, 'bomb.png');
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#468' } })
    .png()
    .toFile(small);
  await sharp({
    create: { width: 16000, height: 16000, channels: 3, background: '#000' },
    limitInputPixels: false,
  })
    .toColourspace('b-w')
    .png({ compressionLevel: 9 })
    .toFile(bomb);
  console.log(
    `16000² zeros PNG: ${(statSync(bomb).size / 1024).toFixed(0)} KB on disk, ${((16000 * 16000 * 3) / 2 ** 20).toFixed(0)} MiB as RGB; size ${size}`,
  );
  console.log('| training path | baseline MiB | peak MiB | ratio | skipped |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const [label, options] of rows) {
    const arg = JSON.stringify({ baseline: small, file: bomb, options: { size, ...options } });
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, arg], {
      encoding: 'utf8',
    });
    const r = JSON.parse(out) as { baselineMiB: number; peakMiB: number; skipped: string[] };
    const ratio = (r.peakMiB / r.baselineMiB).toFixed(2);
    console.log(
      `| ${label} | ${r.baselineMiB.toFixed(0)} | ${r.peakMiB.toFixed(0)} | ${ratio} | ${r.skipped[0] ?? ''} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
