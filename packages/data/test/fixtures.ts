/**
 * Tiny synthetic image files for the tests, written with sharp into a fresh temp folder.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export async function makeTempDir(prefix = 'vqkit-data-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A deterministic RGB pattern: smooth gradients plus a hash term, so every crop differs. */
export function pattern(width: number, height: number, salt = 0): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const h = Math.imul(x * 73856093 + y * 19349663 + salt * 83492791, 2654435761) >>> 24;
      data[i] = (x * 255) / Math.max(1, width - 1);
      data[i + 1] = (y * 255) / Math.max(1, height - 1);
      data[i + 2] = (h + salt * 40) & 255;
    }
  }
  return data;
}

export async function writeRaw(
  path: string,
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const img = sharp(Buffer.from(data), { raw: { width, height, channels } });
  const ext = path.slice(path.lastIndexOf('.')).toLowerCase();
  if (ext === '.png') await img.png().toFile(path);
  else if (ext === '.webp') await img.webp({ lossless: true }).toFile(path);
  else await img.jpeg({ quality: 95 }).toFile(path);
}

export async function writePattern(
  path: string,
  width: number,
  height: number,
  salt = 0,
): Promise<void> {
  await writeRaw(path, pattern(width, height, salt), width, height, 3);
}

/** Names of the awkward files in {@link makeDataset}'s folder. */
export const AWKWARD = {
  truncated: 'broken/truncated.jpg',
  notImage: 'broken/not-an-image.jpg',
  tiny: 'broken/tiny.png',
} as const;

/**
 * An ImageNet-style folder: class subfolders, mixed formats and extension case, plus a
 * grayscale PNG, a CMYK JPEG, a 16-bit PNG, an RGBA PNG, a truncated JPEG, a text file named
 * .jpg, a 4×4 PNG, a .txt file and a hidden file. Returns the root and the usable image paths
 * (relative, sorted).
 */
export async function makeDataset(root: string): Promise<{ usable: string[] }> {
  await writePattern(join(root, 'cat/a.jpg'), 40, 32, 1);
  await writePattern(join(root, 'cat/B.JPEG'), 32, 48, 2);
  await writePattern(join(root, 'cat/c.webp'), 36, 36, 3);
  await writePattern(join(root, 'dog/sub/d.png'), 48, 40, 4);
  const gray = new Uint8Array(40 * 36).map((_, i) => (i * 7) & 255);
  await writeRaw(join(root, 'dog/gray.png'), gray, 40, 36, 1);
  await sharp(Buffer.from(pattern(36, 40, 5)), { raw: { width: 36, height: 40, channels: 3 } })
    .toColourspace('cmyk')
    .jpeg({ quality: 95 })
    .toFile(join(root, 'dog/cmyk.jpg'));
  await sharp(Buffer.from(pattern(44, 36, 6)), { raw: { width: 44, height: 36, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toFile(join(root, 'dog/deep16.png'));
  const rgba = new Uint8Array(40 * 40 * 4).map((_, i) =>
    i % 4 === 3 ? (i >> 6) & 255 : (i * 5) & 255,
  );
  await writeRaw(join(root, 'dog/rgba.png'), rgba, 40, 40, 4);
  // Awkward files.
  const full = await sharp(Buffer.from(pattern(64, 64, 7)), {
    raw: { width: 64, height: 64, channels: 3 },
  })
    .jpeg()
    .toBuffer();
  await mkdir(join(root, 'broken'), { recursive: true });
  await writeFile(join(root, AWKWARD.truncated), full.subarray(0, Math.floor(full.length / 2)));
  await writeFile(join(root, AWKWARD.notImage), 'this is not a JPEG\n');
  await writePattern(join(root, AWKWARD.tiny), 4, 4, 8);
  await writeFile(join(root, 'broken/readme.txt'), 'not an image');
  await writeFile(join(root, 'cat/.hidden.jpg'), 'hidden');
  const usable = [
    'cat/B.JPEG',
    'cat/a.jpg',
    'cat/c.webp',
    'dog/cmyk.jpg',
    'dog/deep16.png',
    'dog/gray.png',
    'dog/rgba.png',
    'dog/sub/d.png',
  ];
  return { usable };
}
