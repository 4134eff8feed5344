import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWKWARD, makeDataset, makeTempDir, removeDir, writePattern } from '../test/fixtures';
import { createLoader, type LoaderOptions } from './loader';
import type { ImageBatch, ImageLoader } from './loader-core';
import { scanImageFolder } from './scan';

let root: string;
let cacheRoot: string;
let files: string[];

beforeAll(async () => {
  root = await makeTempDir();
  cacheRoot = await makeTempDir('vqkit-cache-');
  await makeDataset(root);
  files = await scanImageFolder(root);
});

afterAll(async () => {
  await removeDir(root);
  await removeDir(cacheRoot);
});

async function all(loader: ImageLoader, epoch = 0): Promise<ImageBatch[]> {
  const out: ImageBatch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

function expectSame(a: ImageBatch[], b: ImageBatch[]): void {
  expect(b.map((x) => x.paths)).toEqual(a.map((x) => x.paths));
  a.forEach((x, i) => {
    const y = b[i]!.images;
    expect(x.images.length).toBe(y.length);
    expect(x.images.every((v, j) => v === y[j])).toBe(true);
  });
}

async function shardFiles(dir: string): Promise<string[]> {
  const [key] = await readdir(dir);
  return (await readdir(join(dir, key!))).map((f) => join(dir, key!, f));
}

describe('shard cache', () => {
  it('eval: cached batches equal direct decoding bit-exactly; a second run never decodes', async () => {
    const dir = join(cacheRoot, 'eval');
    const opts: LoaderOptions = {
      files,
      split: 'eval',
      transform: 'center-crop',
      size: 16,
      resizeTo: 20,
      batchSize: 4,
      minSide: 8,
      shardSize: 4,
    };
    const direct = await all(createLoader(opts));
    const progress: number[] = [];
    const first = createLoader({
      ...opts,
      cacheDir: dir,
      onCacheProgress: (p) => progress.push(p.done),
    });
    const built = await all(first);
    expectSame(direct, built);
    expect(first.stats()).toMatchObject({ cacheShardsBuilt: 3, cacheShardsReused: 0, decoded: 11 });
    expect(progress.at(-1)).toBe(11);

    const second = createLoader({ ...opts, cacheDir: dir });
    expectSame(direct, await all(second));
    const stats = second.stats();
    expect(stats).toMatchObject({
      cacheShardsBuilt: 0,
      cacheShardsReused: 3,
      decoded: 0,
      cacheHits: 8,
    });
    // Skips are remembered in the index, without decoding again.
    expect(stats.skipped.map((s) => relative(root, s.path))).toEqual([
      AWKWARD.notImage,
      AWKWARD.tiny,
      AWKWARD.truncated,
    ]);
    // Written atomically: no temp files are left behind.
    expect((await shardFiles(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it.each(['resize', 'center-crop', 'random-resized-crop'] as const)(
    'caching never changes what a %s run sees (default options)',
    async (transform) => {
      const dir = join(cacheRoot, `train-${transform}`);
      // size 8: random-resized-crop shrinks the sources on load to a shorter side of 33 px.
      const opts: LoaderOptions = { files, transform, size: 8, batchSize: 4, seed: 3, minSide: 8 };
      const direct = [...(await all(createLoader(opts), 0)), ...(await all(createLoader(opts), 1))];
      const cachedLoader = createLoader({ ...opts, cacheDir: dir });
      expect(cachedLoader.settings).toEqual(createLoader(opts).settings);
      const cached = [...(await all(cachedLoader, 0)), ...(await all(cachedLoader, 1))];
      expectSame(direct, cached);
      expect(cachedLoader.stats().decoded).toBe(11); // each file decoded once, not once per epoch
    },
  );

  it('rebuilds the shard of a changed source file, and only that shard', async () => {
    const dir = join(cacheRoot, 'changed');
    const data = await makeTempDir();
    try {
      const paths: string[] = [];
      for (let i = 0; i < 6; i++) {
        const p = join(data, `img${i}.png`);
        await writePattern(p, 20, 20, i);
        paths.push(p);
      }
      const opts: LoaderOptions = {
        files: paths,
        split: 'eval',
        size: 16,
        batchSize: 6,
        shardSize: 2,
        minSide: 8,
      };
      await all(createLoader({ ...opts, cacheDir: dir }));
      await writePattern(paths[3]!, 20, 20, 42); // new content
      const later = new Date(Date.now() + 5000);
      await utimes(paths[3]!, later, later);
      const again = createLoader({ ...opts, cacheDir: dir });
      const batches = await all(again);
      expectSame(await all(createLoader(opts)), batches);
      expect(again.stats()).toMatchObject({
        cacheShardsBuilt: 1,
        cacheShardsReused: 2,
        decoded: 2,
      });
    } finally {
      await removeDir(data);
    }
  });

  it('never trusts a damaged shard: bad bytes are re-decoded, truncated shards rebuilt', async () => {
    const dir = join(cacheRoot, 'damaged');
    const opts: LoaderOptions = {
      files,
      split: 'eval',
      size: 16,
      batchSize: 11,
      shardSize: 4,
      minSide: 8,
    };
    const direct = await all(createLoader(opts));
    await all(createLoader({ ...opts, cacheDir: dir }));
    const bins = (await shardFiles(dir)).filter((f) => f.endsWith('.bin')).sort();

    // Flip one pixel byte in shard 1: the header and length still match, the CRC does not.
    const bytes = await readFile(bins[1]!);
    const at = bytes.length - 5;
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(bins[1]!, bytes);
    const reader = createLoader({ ...opts, cacheDir: dir });
    expectSame(direct, await all(reader));
    expect(reader.stats()).toMatchObject({ cacheCorrupt: 1, cacheShardsReused: 3 });

    // Truncate shard 2's data: detected when the cache is opened, and rebuilt.
    const shard2 = await readFile(bins[2]!);
    await writeFile(bins[2]!, shard2.subarray(0, shard2.length - 10));
    const rebuilder = createLoader({ ...opts, cacheDir: dir });
    expectSame(direct, await all(rebuilder));
    // shard 1 (its index was dropped after the bad read) and shard 2 are rebuilt
    expect(rebuilder.stats()).toMatchObject({
      cacheShardsBuilt: 2,
      cacheShardsReused: 1,
      cacheCorrupt: 0,
    });
    expect((await stat(bins[2]!)).size).toBe(shard2.length);

    // An index edited into other valid JSON no longer matches its token: rebuilt.
    const index1 = bins[1]!.replace(/\.bin$/, '.json');
    const parsed = JSON.parse(await readFile(index1, 'utf8'));
    parsed.entries[0].width = 8;
    parsed.entries[0].height = 32;
    await writeFile(index1, JSON.stringify(parsed));
    const fourth = createLoader({ ...opts, cacheDir: dir });
    expectSame(direct, await all(fourth));
    expect(fourth.stats()).toMatchObject({
      cacheShardsBuilt: 1,
      cacheShardsReused: 2,
      cacheCorrupt: 0,
    });

    // A garbled index is rebuilt too.
    const index0 = bins[0]!.replace(/\.bin$/, '.json');
    await writeFile(index0, '{"format": "vqkit-data-shard", "entries": [');
    const third = createLoader({ ...opts, cacheDir: dir });
    expectSame(direct, await all(third));
    expect(third.stats()).toMatchObject({ cacheShardsBuilt: 1, cacheShardsReused: 2 });
  });

  it('keeps different settings apart and reports an unwritable cacheDir', async () => {
    const dir = join(cacheRoot, 'settings');
    const opts: LoaderOptions = { files, split: 'eval', batchSize: 4, minSide: 8, cacheDir: dir };
    await all(createLoader({ ...opts, size: 16 }));
    const variants: Partial<LoaderOptions>[] = [
      { size: 12 },
      { size: 16, transform: 'center-crop' },
      { size: 16, transform: 'center-crop', resizeTo: 20 },
      { size: 16, transform: 'random-resized-crop' },
      { size: 16, transform: 'random-resized-crop', maxShorterSide: 24 },
      { size: 16, maxPixels: 10_000 },
    ];
    for (const variant of variants) {
      const other = createLoader({ ...opts, ...variant });
      await all(other);
      expect(other.stats().cacheShardsBuilt).toBe(1);
    }
    expect(await readdir(dir)).toHaveLength(1 + variants.length);
    // The same transform on the other split shares the shards: the pixels are the same.
    const train = createLoader({ ...opts, split: 'train', size: 16 });
    await all(train);
    expect(train.stats()).toMatchObject({ cacheShardsBuilt: 0, cacheShardsReused: 1 });

    const blocker = join(cacheRoot, 'a-file');
    await writeFile(blocker, 'x');
    const bad = createLoader({
      files,
      split: 'eval',
      size: 16,
      batchSize: 4,
      cacheDir: join(blocker, 'cache'),
    });
    await expect(bad.prepare()).rejects.toThrow(
      /cannot write the image cache under cacheDir ".*a-file\/cache" \(.*\)\. Set cacheDir to a writable folder, or leave it unset/,
    );
  });
});
