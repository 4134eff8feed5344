import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWKWARD,
  makeDataset,
  makeTempDir,
  pattern,
  removeDir,
  writePattern,
} from '../test/fixtures';
import { DataError } from './errors';
import { createLoader, type LoaderOptions } from './loader';
import type { ImageBatch, ImageLoader } from './loader-core';
import { scanImageFolder } from './scan';

let root: string;
let files: string[];
let usable: string[];

beforeAll(async () => {
  root = await makeTempDir();
  ({ usable } = await makeDataset(root));
  files = await scanImageFolder(root);
});

afterAll(async () => {
  await removeDir(root);
});

async function collect(
  loader: ImageLoader,
  epoch?: number,
  limit = Number.POSITIVE_INFINITY,
): Promise<ImageBatch[]> {
  const out: ImageBatch[] = [];
  for await (const batch of loader.epoch(epoch)) {
    out.push(batch);
    if (out.length >= limit) break;
  }
  return out;
}

function sameBatches(a: ImageBatch[], b: ImageBatch[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return (
      x.epoch === y.epoch &&
      x.index === y.index &&
      JSON.stringify(x.paths) === JSON.stringify(y.paths) &&
      x.images.length === y.images.length &&
      x.images.every((v, j) => v === y.images[j])
    );
  });
}

/** Random resized crops + flips: every draw is random, so determinism tests mean something. */
const train = (extra: Partial<LoaderOptions> = {}): ImageLoader =>
  createLoader({
    files,
    batchSize: 3,
    size: 16,
    seed: 5,
    minSide: 8,
    transform: 'random-resized-crop',
    flip: true,
    ...extra,
  });

describe('createLoader (train)', () => {
  it('yields NHWC float batches of the requested size in [0, 1] or [−1, 1]', async () => {
    const loader = train();
    expect(loader.batchesPerEpoch).toBe(3); // 11 files, batchSize 3, dropLast
    const batches = await collect(loader, 0);
    expect(batches).toHaveLength(3);
    for (const b of batches) {
      expect(b.shape).toEqual([3, 16, 16, 3]);
      expect(b.images).toBeInstanceOf(Float32Array);
      expect(b.images.length).toBe(3 * 16 * 16 * 3);
      expect(Math.min(...b.images)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...b.images)).toBeLessThanOrEqual(1);
    }
    const signed = await collect(train({ range: '-1,1' }), 0);
    const all = signed.flatMap((b) => Array.from(b.images));
    expect(Math.min(...all)).toBeGreaterThanOrEqual(-1);
    expect(Math.min(...all)).toBeLessThan(-0.5);
    expect(Math.max(...all)).toBeLessThanOrEqual(1);
    // Same pixels, affinely mapped: v₋₁,₁ = 2·v₀,₁ − 1.
    const unsigned = batches.flatMap((b) => Array.from(b.images));
    for (let i = 0; i < unsigned.length; i += 97)
      expect(all[i]).toBeCloseTo(2 * unsigned[i]! - 1, 5);
  });

  it('is deterministic for a seed, and differs across seeds and epochs', async () => {
    const a = await collect(train(), 0);
    const b = await collect(train(), 0);
    expect(sameBatches(a, b)).toBe(true);
    const otherSeed = await collect(train({ seed: 6 }), 0);
    expect(sameBatches(a, otherSeed)).toBe(false);
    const epoch1 = await collect(train(), 1);
    expect(epoch1.flatMap((x) => x.paths)).not.toEqual(a.flatMap((x) => x.paths));
  });

  it('does not depend on prefetch or concurrency', async () => {
    const base = await collect(train({ prefetch: 0, concurrency: 1 }), 2);
    const eager = await collect(train({ prefetch: 3, concurrency: 8 }), 2);
    expect(sameBatches(base, eager)).toBe(true);
  });

  it('decodes the next batches while the consumer holds one (prefetch), and no further', async () => {
    const good = usable.map((p) => join(root, p)); // 8 files → 4 batches of 2
    const eager = createLoader({ files: good, split: 'eval', size: 16, batchSize: 2, prefetch: 2 });
    const it1 = eager.epoch(0);
    await it1.next();
    const deadline = Date.now() + 10_000;
    while (eager.stats().decoded < 6 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(eager.stats().decoded).toBe(6); // batch 0 plus the two prefetched batches, not batch 3
    await it1.return(undefined);

    const lazy = createLoader({ files: good, split: 'eval', size: 16, batchSize: 2, prefetch: 0 });
    const it2 = lazy.epoch(0);
    await it2.next();
    await new Promise((r) => setTimeout(r, 50));
    expect(lazy.stats().decoded).toBe(2);
    await it2.return(undefined);
  });

  it('resumes from a saved state exactly where the uninterrupted run was', async () => {
    const straight = train();
    const expected = [...(await collect(straight, 0)), ...(await collect(straight, 1))];
    expect(straight.getState()).toMatchObject({ epoch: 2, batch: 0 });

    const first = train();
    const seen = await collect(first, 0);
    const partial = await collect(first, 1, 1); // stopped after one batch of epoch 1
    const saved = JSON.parse(JSON.stringify(first.getState()));
    expect(saved).toEqual({ epoch: 1, batch: 1, seed: 5, length: 11, batchSize: 3 });

    const resumed = train();
    resumed.setState(saved);
    const rest = await collect(resumed); // defaults to the state's epoch
    expect(sameBatches([...seen, ...partial, ...rest], expected)).toBe(true);
    expect(resumed.getState()).toMatchObject({ epoch: 2, batch: 0 });
  });

  it('crops exactly and mirrors with flip and flipProbability', async () => {
    const dir = await makeTempDir();
    try {
      const path = join(dir, 'square.png');
      await writePattern(path, 16, 16, 2);
      const src = pattern(16, 16, 2);
      // scale and ratio pinned to 1: the crop is the whole 16×16 image, no resampling.
      const opts = {
        files: [path],
        batchSize: 1,
        size: 16,
        transform: 'random-resized-crop',
        scale: [1, 1],
        ratio: [1, 1],
        minSide: 1,
        flip: true,
      } as const;
      const [plain] = await collect(createLoader({ ...opts, flipProbability: 0 }), 0);
      expect(Array.from(plain!.images)).toEqual(Array.from(src, (v) => Math.fround(v / 255)));
      const [mirrored] = await collect(createLoader({ ...opts, flipProbability: 1 }), 0);
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          for (let c = 0; c < 3; c++) {
            expect(mirrored!.images[(y * 16 + x) * 3 + c]).toBe(
              plain!.images[(y * 16 + 15 - x) * 3 + c],
            );
          }
        }
      }
    } finally {
      await removeDir(dir);
    }
  });

  it('refuses a state from a different data order', () => {
    const loader = train();
    const state = { ...loader.getState(), seed: 4 };
    expect(() => loader.setState(state)).toThrow(
      /saved state has seed = 4 but this loader has seed = 5/,
    );
    expect(() => loader.setState({ ...loader.getState(), batch: 3 })).toThrow(DataError);
  });

  it('skips corrupt, non-image and too-small files, counts them, and keeps batches full', async () => {
    const loader = train({ minSide: 32, batchSize: 11, dropLast: false });
    const [batch] = await collect(loader, 0);
    expect(batch!.shape[0]).toBe(11);
    const rel = batch!.paths.map((p) => relative(root, p));
    expect(rel.every((p) => usable.includes(p))).toBe(true);
    const stats = loader.stats();
    expect(stats.skipped.map((s) => [relative(root, s.path), s.kind])).toEqual([
      [AWKWARD.notImage, 'unreadable'],
      [AWKWARD.tiny, 'too-small'],
      [AWKWARD.truncated, 'unreadable'],
    ]);
    expect(stats.skipped[1]!.reason).toMatch(/too small: 4×4 px/);
    expect(stats.imagesSeen).toBe(11);
    expect(stats.batchesSeen).toBe(1);
    expect(stats.decoded).toBeGreaterThanOrEqual(11);
    expect(stats.decodeMs).toBeGreaterThan(0);
  });

  it('gives up with a clear error when nothing is readable', async () => {
    const loader = createLoader({
      files: [join(root, AWKWARD.notImage), join(root, AWKWARD.truncated)],
      batchSize: 1,
      size: 8,
    });
    await expect(collect(loader, 0)).rejects.toThrow(
      /33 unusable images in a row .* 2 of 2 files in ".*broken" are unusable so far \(".*not-an-image\.jpg": unreadable/,
    );
  });

  it('refuses overlapping iterations and bad options', async () => {
    const loader = train();
    const it1 = loader.epoch(0);
    await it1.next();
    await expect(loader.epoch(0).next()).rejects.toThrow(/another epoch\(\) iteration/);
    await it1.return(undefined);
    await expect(loader.epoch(0).next()).resolves.toMatchObject({ done: false });
    expect(() => createLoader({ files: [] })).toThrow(/files must be a non-empty array/);
    expect(() => train({ batchSize: 0 })).toThrow(/batchSize must be an integer ≥ 1, got 0/);
    expect(() => train({ maxShorterSide: 8 })).toThrow(/maxShorterSide must be an integer ≥ 16/);
    expect(() => train({ batchSize: 12 })).toThrow(
      /11 image\(s\) × cropsPerImage = 1 give 11 sample\(s\) per epoch, no full batch of batchSize = 12\. To fix it, lower batchSize, add images, set cropsPerImage to 2 or more or set dropLast to false\./,
    );
  });
});

describe('createLoader (eval)', () => {
  it("'center-crop' resizes the shorter side and takes the exact centre crop", async () => {
    const dir = await makeTempDir();
    try {
      const path = join(dir, 'tall.png');
      await writePattern(path, 12, 20, 9);
      const src = pattern(12, 20, 9);
      const loader = createLoader({
        files: [path],
        split: 'eval',
        transform: 'center-crop',
        size: 12,
        batchSize: 1,
        minSide: 1,
      });
      const [batch] = await collect(loader, 0);
      expect(batch!.shape).toEqual([1, 12, 12, 3]);
      const expected = Array.from(src.subarray(4 * 12 * 3, 16 * 12 * 3), (v) => v / 255);
      expect(Array.from(batch!.images)).toEqual(expected.map((v) => Math.fround(v)));

      // resizeTo > size: shrink first (24×40 → 12×20), then the centre 8×8 (offsets 2, 6).
      const big = join(dir, 'big.png');
      await writePattern(big, 24, 40, 3);
      const ev = createLoader({
        files: [big],
        split: 'eval',
        transform: 'center-crop',
        size: 8,
        resizeTo: 12,
        batchSize: 1,
        minSide: 1,
      });
      const [b2] = await collect(ev, 0);
      expect(b2!.shape).toEqual([1, 8, 8, 3]);
      // The green channel is a vertical gradient: the crop's first row sits 6 rows into a 20-row image.
      expect(b2!.images[1]).toBeCloseTo(6 / 19, 1);
    } finally {
      await removeDir(dir);
    }
  });

  it('sees every readable file exactly once, in order, and drops unreadable ones', async () => {
    const loader = createLoader({ files, split: 'eval', size: 16, batchSize: 4, minSide: 8 });
    expect(loader.batchesPerEpoch).toBe(3);
    const batches = await collect(loader, 0);
    const seen = batches.flatMap((b) => b.paths.map((p) => relative(root, p)));
    expect(seen).toEqual(usable);
    // files 0–2 are the awkward ones, so the first batch keeps only B.JPEG
    expect(batches.map((b) => b.shape[0])).toEqual([1, 4, 3]);
    expect(loader.stats().skipped.map((s) => relative(root, s.path))).toEqual([
      AWKWARD.notImage,
      AWKWARD.tiny,
      AWKWARD.truncated,
    ]);
  });
});
