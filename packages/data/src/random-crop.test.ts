import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir, writePattern, writeRaw } from '../test/fixtures';
import { DataError } from './errors';
import type { ImageBatch, ImageLoader } from './loader-core';
import { type RandomCropOptions, randomCropDataset } from './random-crop';

let dir: string;
let photos: string[];

/** A photo whose pixel (x, y) is (x, y, id): every crop reveals exactly where it came from. */
function coordinates(width: number, height: number, id: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, id], (y * width + x) * 3);
  }
  return data;
}

beforeAll(async () => {
  dir = await makeTempDir();
  photos = [join(dir, 'one.png'), join(dir, 'two.png')];
  await writeRaw(photos[0]!, coordinates(120, 80, 10), 120, 80, 3);
  await writeRaw(photos[1]!, coordinates(90, 100, 20), 90, 100, 3);
  await writePattern(join(dir, 'small.png'), 10, 10);
});

afterAll(async () => {
  await removeDir(dir);
});

async function all(loader: ImageLoader, epoch: number): Promise<ImageBatch[]> {
  const out: ImageBatch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

const make = (extra: Partial<RandomCropOptions> = {}) =>
  randomCropDataset({
    files: photos,
    cropSize: 16,
    cropsPerEpoch: 20,
    batchSize: 4,
    seed: 11,
    ...extra,
  });

describe('randomCropDataset', () => {
  it('cuts pixel-exact crops (mirrored when flipped) from the decoded photos', async () => {
    const loader = await make();
    expect(loader.batchesPerEpoch).toBe(5);
    let flipped = 0;
    for (const batch of await all(loader, 0)) {
      expect(batch.shape).toEqual([4, 16, 16, 3]);
      for (let b = 0; b < 4; b++) {
        const px = (x: number, y: number, c: number) =>
          Math.round(batch.images[((b * 16 + y) * 16 + x) * 3 + c]! * 255);
        const id = px(0, 0, 2);
        expect(batch.paths[b]).toBe(id === 10 ? photos[0] : photos[1]);
        const mirrored = px(1, 0, 0) < px(0, 0, 0);
        if (mirrored) flipped++;
        const x0 = mirrored ? px(15, 0, 0) : px(0, 0, 0);
        const y0 = px(0, 0, 1);
        for (let y = 0; y < 16; y++) {
          for (let x = 0; x < 16; x++) {
            expect([px(mirrored ? 15 - x : x, y, 0), px(x, y, 1), px(x, y, 2)]).toEqual([
              x0 + x,
              y0 + y,
              id,
            ]);
          }
        }
      }
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(20);
  });

  it('draws crops only inside the requested region; disjoint regions never overlap', async () => {
    const right = await make({
      flip: false,
      region: { left: 0.75, top: 0, width: 0.25, height: 1 },
    });
    const left = await make({ flip: false, region: { left: 0, top: 0, width: 0.75, height: 1 } });
    for (const [loader, inside] of [
      [right, (x: number, w: number) => x >= Math.floor(0.75 * w)],
      [left, (x: number, w: number) => x + 16 <= Math.floor(0.75 * w)],
    ] as const) {
      for (const batch of await all(loader, 0)) {
        for (let b = 0; b < 4; b++) {
          const px = (x: number, c: number) =>
            Math.round(batch.images[(b * 16 * 16 + x) * 3 + c]! * 255);
          const width = px(0, 2) === 10 ? 120 : 90;
          expect(inside(px(0, 0), width)).toBe(true);
        }
      }
    }
  });

  it('skips photos whose region is smaller than cropSize and rejects bad regions', async () => {
    // 0.1 of 90 px = 9 px < 16: photo two is skipped, photo one (12 px)... also too small → error.
    await expect(make({ region: { left: 0, top: 0, width: 0.1, height: 1 } })).rejects.toThrow(
      /none of the 2 photo/,
    );
    const loader = await make({ region: { left: 0, top: 0, width: 0.15, height: 1 } });
    expect(loader.stats().skipped.map((s) => s.path)).toEqual([photos[1]]);
    await expect(make({ region: { left: 0.5, top: 0, width: 0.75, height: 1 } })).rejects.toThrow(
      /left \+ width ≤ 1/,
    );
  });

  it('is deterministic, varies by epoch, and resumes exactly', async () => {
    const a = await make();
    const e0 = await all(a, 0);
    const e1 = await all(a, 1);
    const b = await make();
    const again = await all(b, 0);
    expect(again.map((x) => Array.from(x.images))).toEqual(e0.map((x) => Array.from(x.images)));
    expect(e1.map((x) => Array.from(x.images))).not.toEqual(e0.map((x) => Array.from(x.images)));

    const c = await make();
    const it0 = c.epoch(1);
    const firstTwo = [(await it0.next()).value, (await it0.next()).value] as ImageBatch[];
    await it0.return(undefined);
    const state = JSON.parse(JSON.stringify(c.getState()));
    const d = await make();
    d.setState(state);
    const rest = await all(d, 1);
    expect([...firstTwo, ...rest].map((x) => Array.from(x.images))).toEqual(
      e1.map((x) => Array.from(x.images)),
    );
  });

  it('shrinks larger regions with scaleRange > 1 and never exceeds the photo', async () => {
    const loader = await make({ scaleRange: [2, 8], flip: false });
    for (const batch of await all(loader, 0)) {
      for (let b = 0; b < batch.shape[0]; b++) {
        const x = (i: number) => batch.images[((b * 16 + 0) * 16 + i) * 3]! * 255;
        // The red channel steps by the region's scale (≥ 2 source pixels per output pixel).
        expect(x(15) - x(0)).toBeGreaterThan(15 * 1.5);
      }
    }
  });

  it('skips photos smaller than the crop and fails clearly when none is usable', async () => {
    const loader = await randomCropDataset({
      files: [...photos, join(dir, 'small.png')],
      cropSize: 16,
      cropsPerEpoch: 8,
      batchSize: 4,
    });
    expect(loader.stats().skipped).toEqual([
      expect.objectContaining({ path: join(dir, 'small.png'), kind: 'too-small' }),
    ]);
    const paths = (await all(loader, 0)).flatMap((b) => b.paths);
    expect(paths.every((p) => photos.includes(p))).toBe(true);
    await expect(
      randomCropDataset({ files: [join(dir, 'small.png')], cropSize: 16 }),
    ).rejects.toThrow(
      /none of the 1 photo\(s\) is usable .*shorter side is at least cropSize = 16/,
    );
    await expect(randomCropDataset({ files: photos, scaleRange: [0, 1] })).rejects.toThrow(
      DataError,
    );
  });

  it("reports its settings, checks out, and names settings the caller's way", async () => {
    const loader = await make({ flip: false });
    expect(loader.settings).toEqual({
      source: 'random-crops',
      cropSize: 16,
      cropsPerEpoch: 20,
      scaleRange: [1, 1],
      flip: false,
      decodeShorterSide: null,
      region: { left: 0, top: 0, width: 1, height: 1 },
      range: '0,1',
      minSide: 16,
      maxPixels: 178_956_970,
      background: [255, 255, 255],
      failOn: 'error',
      kernel: 'linear',
    });
    await expect(loader.check()).resolves.toEqual({
      files: 2,
      probed: 2,
      usable: 2,
      needed: 1,
      skipped: [],
    });
    const names = {
      batchSize: 'train.batchSize',
      cropsPerEpoch: 'data.cropsPerEpoch',
      cropSize: 'data.size',
      dropLast: null,
    } as const;
    await expect(make({ batchSize: 32, settingNames: names })).rejects.toThrow(
      /randomCropDataset: data\.cropsPerEpoch = 20 crop\(s\) make no full batch of train\.batchSize = 32\. To fix it, lower train\.batchSize or set data\.cropsPerEpoch to 32 or more\.$/,
    );
    await expect(
      randomCropDataset({ files: [join(dir, 'small.png')], cropSize: 16, settingNames: names }),
    ).rejects.toThrow(
      /too small: 10×10 px, shorter side below data\.size = 16.*at least data\.size = 16/,
    );
  });
});
