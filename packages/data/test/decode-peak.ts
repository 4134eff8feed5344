/**
 * Peak memory of loading one file through a loader, in a process of its own (run with tsx):
 *
 *   node --import tsx test/decode-peak.ts '{"baseline":"small.png","file":"big.png","options":{…}}'
 *
 * Loads `baseline` (a small image) through `createLoader({ files: [baseline], batchSize: 1,
 * ...options })` for one epoch, then `file` the same way, and prints one JSON line: the
 * process's peak RSS after each (`baselineMiB`, `peakMiB`), so `peakMiB / baselineMiB` is what
 * decoding `file` costs on top of a process that has already decoded an image. Skipped files
 * are reported in `skipped`.
 */
import { createLoader, type LoaderOptions } from '../src/index';

const peakMiB = () => process.resourceUsage().maxRSS / 1024;

async function load(file: string, options: Partial<LoaderOptions>): Promise<string[]> {
  const loader = createLoader({ files: [file], batchSize: 1, ...options });
  for await (const batch of loader.epoch(0)) void batch;
  return loader.stats().skipped.map((s) => s.reason);
}

const { baseline, file, options } = JSON.parse(process.argv[2] ?? '{}') as {
  baseline: string;
  file: string;
  options: Partial<LoaderOptions>;
};
await load(baseline, options);
const baselineMiB = peakMiB();
const skipped = await load(file, { ...options, onUnreadable: 'drop' });
console.log(JSON.stringify({ baselineMiB, peakMiB: peakMiB(), skipped }));
