import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, pattern, removeDir, writePattern } from '../test/fixtures';
import { DataError } from './errors';
import { createLoader } from './loader';
import type { ImageBatch, ImageLoader } from './loader-core';

let dir: string;
/** Ten 32×40 photos: the "my own photos" folder. */
let photos: string[];

beforeAll(async () => {
  dir = await makeTempDir();
  photos = [];
  for (let i = 0; i < 10; i++) {
    const p = join(dir, 'photos', `p${i}.png`);
    await writePattern(p, 32, 40, i);
    photos.push(p);
  }
});

afterAll(async () => {
  await removeDir(dir);
});

async function collect(loader: ImageLoader, epoch = 0): Promise<ImageBatch[]> {
  const out: ImageBatch[] = [];
  for await (const batch of loader.epoch(epoch)) out.push(batch);
  return out;
}

const floats = (bytes: Uint8Array) => Array.from(bytes, (v) => Math.fround(v / 255));

describe('transforms', () => {
  it("defaults to the paper's preparation: the whole image resized to size × size, no flips", async () => {
    const loader = createLoader({ files: photos.slice(0, 2), batchSize: 2, size: 16 });
    expect(loader.settings).toMatchObject({ transform: 'resize', size: 16, flipProbability: 0 });
    const [batch] = await collect(loader);
    for (let b = 0; b < 2; b++) {
      const path = batch!.paths[b]!;
      const ref = await sharp(path)
        .resize(16, 16, { fit: 'fill', kernel: 'linear' })
        .raw()
        .toBuffer();
      const got = Array.from(batch!.images.subarray(b * 768, (b + 1) * 768));
      expect(got).toEqual(floats(ref));
    }
    // Every epoch sees the same pixels: nothing random but the order.
    const again = await collect(loader, 3);
    const byPath = (bs: ImageBatch[]) =>
      Object.fromEntries(
        bs.flatMap((x) =>
          x.paths.map((p, i) => [p, Array.from(x.images.subarray(i * 768, (i + 1) * 768))]),
        ),
      );
    expect(byPath(again)).toEqual(byPath([batch!]));
  });

  it("'resize' with flip mirrors exactly the resized image", async () => {
    const square = join(dir, 'square.png');
    await writePattern(square, 16, 16, 4);
    const src = floats(pattern(16, 16, 4));
    const opts = { files: [square], batchSize: 1, size: 16, minSide: 1 } as const;
    const [plain] = await collect(createLoader(opts));
    expect(Array.from(plain!.images)).toEqual(src);
    const [mirrored] = await collect(createLoader({ ...opts, flip: true, flipProbability: 1 }));
    for (let x = 0; x < 16; x++) {
      expect(mirrored!.images[x * 3]).toBe(plain!.images[(15 - x) * 3]);
    }
  });

  it("'center-crop' equals torchvision's Resize(resizeTo) + CenterCrop(size)", async () => {
    const loader = createLoader({
      files: [photos[0]!],
      batchSize: 1,
      transform: 'center-crop',
      size: 12,
      minSide: 1,
    });
    expect(loader.settings).toMatchObject({ transform: 'center-crop', resizeTo: 12 });
    const [batch] = await collect(loader);
    const ref = await sharp(photos[0]!)
      .resize(12, 15, { fit: 'fill', kernel: 'linear' })
      .extract({ left: 0, top: 1, width: 12, height: 12 })
      .raw()
      .toBuffer();
    expect(Array.from(batch!.images)).toEqual(floats(ref));
  });
});

describe('cropsPerImage', () => {
  it('a folder of 10 photos fills batches of 16 with several random crops of each', async () => {
    const base = {
      files: photos,
      batchSize: 16,
      size: 16,
      transform: 'random-resized-crop',
      seed: 2,
    } as const;
    expect(() => createLoader(base)).toThrow(
      /10 image\(s\) × cropsPerImage = 1 give 10 sample\(s\) per epoch, no full batch of batchSize = 16\. .*set cropsPerImage to 2 or more/,
    );
    const loader = createLoader({ ...base, cropsPerImage: 4 });
    expect([loader.length, loader.batchesPerEpoch]).toEqual([40, 2]);
    const batches = await collect(loader);
    const paths = batches.flatMap((b) => b.paths);
    expect(paths).toHaveLength(32);
    // Every photo is drawn; each draw of one photo is its own random crop.
    const firstOf = new Map<string, number[]>();
    paths.forEach((p, i) => {
      firstOf.set(p, [...(firstOf.get(p) ?? []), i]);
    });
    expect(firstOf.size).toBeGreaterThanOrEqual(9);
    const repeated = [...firstOf.values()].find((ix) => ix.length >= 2)!;
    const sample = (i: number) => {
      const b = batches[Math.floor(i / 16)]!;
      return Array.from(b.images.subarray((i % 16) * 768, ((i % 16) + 1) * 768));
    };
    expect(sample(repeated[0]!)).not.toEqual(sample(repeated[1]!));
    // A full epoch holds every photo exactly cropsPerImage times.
    const full = createLoader({ ...base, cropsPerImage: 4, batchSize: 8, seed: 9 });
    const counts = new Map<string, number>();
    for (const b of await collect(full))
      for (const p of b.paths) counts.set(p, (counts.get(p) ?? 0) + 1);
    expect([...counts.values()]).toEqual(new Array(10).fill(4));
  });

  it("messages name the caller's settings and never suggest one it does not offer", () => {
    const names = {
      batchSize: 'train.batchSize',
      cropsPerImage: 'data.cropsPerImage',
      dropLast: null,
    } as const;
    let message = '';
    try {
      createLoader({ files: photos, batchSize: 16, settingNames: names });
    } catch (e) {
      message = (e as DataError).message;
    }
    expect(message).toMatch(
      /10 image\(s\) × data\.cropsPerImage = 1 give 10 sample\(s\) per epoch, no full batch of train\.batchSize = 16\. To fix it, lower train\.batchSize, add images or set data\.cropsPerImage to 2 or more\./,
    );
    expect(message).not.toMatch(/dropLast/);
    expect(() => createLoader({ files: photos, cropsPerImage: 0, settingNames: names })).toThrow(
      /data\.cropsPerImage must be an integer ≥ 1, got 0/,
    );
  });
});

describe('check()', () => {
  it('proves a split yields a batch, decoding only as many files as it needs', async () => {
    const loader = createLoader({ files: photos, batchSize: 4, size: 16, concurrency: 2 });
    const report = await loader.check();
    expect(report).toEqual({ files: 10, probed: 4, usable: 4, needed: 4, skipped: [] });
    expect(loader.stats().decoded).toBe(4);
  });

  it('an unreadable folder fails before training, naming the folder, the counts and the reasons', async () => {
    const bad = join(dir, 'val');
    const files = [join(bad, 'a.jpg'), join(bad, 'b.png'), join(bad, 'c.jpg')];
    await mkdir(bad, { recursive: true });
    await writeFile(files[0]!, 'not a jpeg');
    await writeFile(files[1]!, Buffer.alloc(0));
    await writeFile(files[2]!, 'not a jpeg either');
    const loader = createLoader({ files, split: 'eval', batchSize: 2, size: 16 });
    const err = await loader.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    const message = (err as DataError).message;
    expect(message).toMatch(
      /createLoader: the images in ".*val" cannot make one batch of batchSize = 2: 3 file\(s\), 3 checked, 0 usable, 3 unusable \(".*a\.jpg": unreadable: .*; ".*b\.png": unreadable: .*; ".*c\.jpg": unreadable: .*\); 1 usable image\(s\) are needed\. To fix it, make the files readable JPEG\/PNG\/WebP images or point the loader at the right folder\./,
    );
    expect(loader.stats().skipped).toHaveLength(3);
  });

  it('with too few usable files for a training batch, says how many are needed', async () => {
    const files = [...photos.slice(0, 2), join(dir, 'val', 'a.jpg')];
    const loader = createLoader({
      files,
      batchSize: 3,
      size: 16,
      settingNames: { batchSize: 'train.batchSize' },
    });
    await expect(loader.check()).rejects.toThrow(
      /3 file\(s\), 3 checked, 2 usable, 1 unusable .*; 3 usable image\(s\) are needed\. To fix it, .*, lower train\.batchSize or set cropsPerImage to 2 or more\./,
    );
    // With cropsPerImage 2, two usable photos make a batch of 3.
    const crops = createLoader({ files, batchSize: 3, size: 16, cropsPerImage: 2 });
    await expect(crops.check()).resolves.toMatchObject({ usable: 2, needed: 2 });
  });

  it('with a cache, checks by building it', async () => {
    const cacheDir = join(dir, 'cache');
    const loader = createLoader({ files: photos, batchSize: 4, size: 16, cacheDir });
    expect(await loader.check()).toEqual({
      files: 10,
      probed: 10,
      usable: 10,
      needed: 4,
      skipped: [],
    });
    expect(loader.stats().cacheShardsBuilt).toBe(1);
    await collect(loader);
    expect(loader.stats().decoded).toBe(10); // the epoch read what the check cached
  });
});

describe('bounded decoding', () => {
  it('files above maxPixels are skipped from their header and listed with the limit', async () => {
    const big = join(dir, 'big', 'big.png');
    await writePattern(big, 64, 64);
    const files = [big, ...photos.slice(0, 3)];
    const loader = createLoader({
      files,
      batchSize: 3,
      size: 16,
      maxPixels: 2000,
      settingNames: { maxPixels: 'data.maxPixels' },
    });
    await collect(loader);
    expect(loader.stats().skipped).toEqual([
      {
        path: big,
        kind: 'too-large',
        reason:
          'too large: 64×64 px = 0.0 Mpx, above the pixel limit data.maxPixels = 2000 (0.0 Mpx); raise data.maxPixels to use it',
      },
    ]);
    expect(loader.settings.maxPixels).toBe(2000);
  });
});
