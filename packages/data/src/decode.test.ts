import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWKWARD, makeDataset, makeTempDir, pattern, removeDir, writeRaw } from '../test/fixtures';
import { decodeImage } from './decode';
import { DataError } from './errors';

let root: string;

beforeAll(async () => {
  root = await makeTempDir();
  await makeDataset(root);
});

afterAll(async () => {
  await removeDir(root);
});

async function skipKindOf(path: string, minSide?: number): Promise<string | undefined> {
  try {
    await decodeImage(path, { minSide });
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return (err as DataError).skipped?.kind;
  }
}

describe('decodeImage', () => {
  it('returns 8-bit RGB for every format, exact for lossless sources', async () => {
    const png = await decodeImage(join(root, 'dog/sub/d.png'));
    expect([png.width, png.height, png.data.length]).toEqual([48, 40, 48 * 40 * 3]);
    expect(Array.from(png.data)).toEqual(Array.from(pattern(48, 40, 4)));
    const webp = await decodeImage(join(root, 'cat/c.webp'));
    expect(Array.from(webp.data)).toEqual(Array.from(pattern(36, 36, 3)));
    const jpg = await decodeImage(join(root, 'cat/B.JPEG'));
    expect([jpg.width, jpg.height]).toEqual([32, 48]);
  });

  it('expands grayscale to three equal channels', async () => {
    const img = await decodeImage(join(root, 'dog/gray.png'));
    expect([img.width, img.height]).toEqual([40, 36]);
    for (let i = 0; i < 40 * 36; i++) {
      const v = (i * 7) & 255;
      expect([img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2]]).toEqual([v, v, v]);
    }
  });

  it('reduces 16-bit PNGs to the 8-bit values they were made from', async () => {
    const img = await decodeImage(join(root, 'dog/deep16.png'));
    expect(Array.from(img.data)).toEqual(Array.from(pattern(44, 36, 6)));
  });

  it('converts CMYK JPEGs to sRGB', async () => {
    const meta = await sharp(join(root, 'dog/cmyk.jpg')).metadata();
    expect(meta.space).toBe('cmyk');
    const img = await decodeImage(join(root, 'dog/cmyk.jpg'));
    const src = pattern(36, 40, 5);
    expect(img.data.length).toBe(src.length);
    let err = 0;
    for (let i = 0; i < src.length; i++) err += Math.abs(img.data[i]! - src[i]!);
    expect(err / src.length).toBeLessThan(24); // colour-managed round trip, not exact
  });

  it('flattens alpha onto white by default, or onto the given background', async () => {
    const path = join(root, 'alpha.png');
    // pixel 0: transparent red, pixel 1: opaque green, pixel 2: half-transparent blue
    const rgba = new Uint8Array(32 * 32 * 4);
    rgba.set([255, 0, 0, 0, 0, 255, 0, 255, 0, 0, 255, 128]);
    await writeRaw(path, rgba, 32, 32, 4);
    const white = await decodeImage(path);
    expect(Array.from(white.data.subarray(0, 9))).toEqual([
      255, 255, 255, 0, 255, 0, 127, 127, 255,
    ]);
    const black = await decodeImage(path, { background: [0, 0, 0] });
    expect(Array.from(black.data.subarray(0, 9))).toEqual([0, 0, 0, 0, 255, 0, 0, 0, 128]);
  });

  it('applies the EXIF orientation', async () => {
    const w = 48;
    const h = 32;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = w / 2; x < w; x++) data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const path = join(root, 'rotated.jpg');
    // Orientation 6: display = stored rotated 90° clockwise, so the dark left half ends up on top.
    await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toFile(path);
    const img = await decodeImage(path);
    expect([img.width, img.height]).toEqual([h, w]);
    expect(img.data[(8 * h + 16) * 3]).toBeLessThan(30);
    expect(img.data[(40 * h + 16) * 3]).toBeGreaterThan(225);
  });

  it('resizes the shorter side when asked', async () => {
    const img = await decodeImage(join(root, 'cat/a.jpg'), { resize: { shorterSide: 24 } });
    expect([img.width, img.height]).toEqual([30, 24]);
    const tall = await decodeImage(join(root, 'cat/B.JPEG'), { resize: { shorterSide: 64 } });
    expect([tall.width, tall.height]).toEqual([64, 96]);
  });

  it('resizes to an exact size (aspect not kept), as sharp does in one pass', async () => {
    const path = join(root, 'dog/sub/d.png'); // 48×40
    const img = await decodeImage(path, { resize: { width: 16, height: 16 } });
    expect([img.width, img.height]).toEqual([16, 16]);
    const ref = await sharp(path)
      .resize(16, 16, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    expect(Array.from(img.data)).toEqual(Array.from(ref));
  });

  it('maxShorterSide only shrinks', async () => {
    const a = join(root, 'cat/a.jpg'); // 40×32
    const shrunk = await decodeImage(a, { resize: { maxShorterSide: 16 } });
    expect([shrunk.width, shrunk.height]).toEqual([20, 16]);
    const kept = await decodeImage(a, { resize: { maxShorterSide: 64 } });
    expect([kept.width, kept.height]).toEqual([40, 32]);
    expect(Array.from(kept.data)).toEqual(Array.from((await decodeImage(a)).data));
  });

  it('refuses images above maxPixels from the header, naming the file and the limit', async () => {
    const path = join(root, 'dog/sub/d.png'); // 48×40 = 1920 px
    expect((await decodeImage(path, { maxPixels: 1920 })).width).toBe(48);
    const err = await decodeImage(path, { maxPixels: 1919 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).skipped).toMatchObject({ path, kind: 'too-large' });
    expect((err as DataError).message).toMatch(
      /d\.png": too large: 48×40 px = 0\.0 Mpx, above the pixel limit maxPixels = 1919 .*; raise maxPixels to use it/,
    );
    // A caller can name the setting its users know, or offer no fix at all.
    const named = await decodeImage(path, {
      maxPixels: 100,
      settingNames: { maxPixels: 'data.maxPixels' },
    }).catch((e: DataError) => e.message);
    expect(named).toMatch(/pixel limit data\.maxPixels = 100 .*raise data\.maxPixels/);
    const silent = await decodeImage(path, {
      maxPixels: 100,
      settingNames: { maxPixels: null },
    }).catch((e: DataError) => e.message);
    expect(silent).not.toMatch(/raise/);
    expect((await decodeImage(path, { maxPixels: Infinity })).height).toBe(40);
    expect((await decodeImage(path, { maxPixels: null })).height).toBe(40);
  });

  it('rejects truncated, non-image and too-small files with a skip kind', async () => {
    expect(await skipKindOf(join(root, AWKWARD.truncated))).toBe('unreadable');
    expect(await skipKindOf(join(root, AWKWARD.notImage))).toBe('unreadable');
    expect(await skipKindOf(join(root, 'no-such-file.png'))).toBe('unreadable');
    expect(await skipKindOf(join(root, AWKWARD.tiny))).toBe('too-small');
    expect(await skipKindOf(join(root, AWKWARD.tiny), 4)).toBeUndefined();
    await expect(decodeImage(join(root, AWKWARD.tiny))).rejects.toThrow(
      /tiny\.png": too small: 4×4 px, shorter side below minSide = 32/,
    );
  });

  it('validates options', async () => {
    const a = join(root, 'cat/a.jpg');
    await expect(decodeImage(a, { resize: { shorterSide: 0 } })).rejects.toThrow(
      /decodeImage: resize must be one of \{ shorterSide \}, \{ maxShorterSide \} or \{ width, height \}/,
    );
    await expect(
      decodeImage(a, { resize: { width: 4 } as unknown as { width: number; height: number } }),
    ).rejects.toThrow(/resize must be one of/);
    await expect(decodeImage(a, { maxPixels: 0 })).rejects.toThrow(
      /maxPixels must be a positive integer \(pixels per image\), or null for no limit, got 0/,
    );
    await expect(decodeImage(a, { settingNames: [] as never })).rejects.toThrow(
      /settingNames must map option names/,
    );
    await expect(
      decodeImage(join(root, 'cat/a.jpg'), {
        background: [0, 0, 300] as unknown as [number, number, number],
      }),
    ).rejects.toThrow(/background must be three integers in \[0, 255\]/);
  });
});
