import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataset, makeTempDir, removeDir } from '../test/fixtures';
import { DataError } from './errors';
import { scanImageFolder } from './scan';

let root: string;
let other: string;

beforeAll(async () => {
  root = await makeTempDir();
  await makeDataset(root);
  other = await makeTempDir();
});

afterAll(async () => {
  await removeDir(root);
  await removeDir(other);
});

describe('scanImageFolder', () => {
  it('lists images recursively by extension (any case), sorted by relative path, skipping hidden files', async () => {
    const files = await scanImageFolder(root);
    expect(files.map((f) => relative(root, f))).toEqual([
      'broken/not-an-image.jpg',
      'broken/tiny.png',
      'broken/truncated.jpg',
      'cat/B.JPEG',
      'cat/a.jpg',
      'cat/c.webp',
      'dog/cmyk.jpg',
      'dog/deep16.png',
      'dog/gray.png',
      'dog/rgba.png',
      'dog/sub/d.png',
    ]);
    expect(files.every((f) => f.startsWith(root))).toBe(true);
  });

  it('honours extensions and includeHidden', async () => {
    const pngs = await scanImageFolder(root, { extensions: ['.PNG'] });
    expect(pngs.map((f) => relative(root, f))).toEqual([
      'broken/tiny.png',
      'dog/deep16.png',
      'dog/gray.png',
      'dog/rgba.png',
      'dog/sub/d.png',
    ]);
    const withHidden = await scanImageFolder(root, { includeHidden: true });
    expect(withHidden.map((f) => relative(root, f))).toContain('cat/.hidden.jpg');
  });

  it('follows symlinked folders without looping on cycles', async () => {
    const dir = join(other, 'linked');
    await mkdir(dir, { recursive: true });
    await symlink(join(root, 'cat'), join(dir, 'cat-link'));
    await symlink(dir, join(dir, 'loop'));
    const files = await scanImageFolder(dir);
    expect(files.map((f) => relative(dir, f))).toEqual([
      'cat-link/B.JPEG',
      'cat-link/a.jpg',
      'cat-link/c.webp',
    ]);
  });

  it('rejects a missing folder, naming the path', async () => {
    const missing = join(other, 'does-not-exist');
    await expect(scanImageFolder(missing)).rejects.toThrow(DataError);
    await expect(scanImageFolder(missing)).rejects.toThrow(
      /cannot open image folder ".*does-not-exist" \(ENOENT\)/,
    );
  });

  it('rejects a folder without images, saying what was expected', async () => {
    const empty = join(other, 'empty');
    await mkdir(join(empty, 'nested'), { recursive: true });
    await writeFile(join(empty, 'nested/notes.txt'), 'x');
    await expect(scanImageFolder(empty)).rejects.toThrow(
      /no \.jpg\/\.jpeg\/\.png\/\.webp files under ".*empty" \(searched recursively; 1 other file\(s\) ignored\)/,
    );
  });

  it('rejects a file passed as the root', async () => {
    await expect(scanImageFolder(join(root, 'cat/a.jpg'))).rejects.toThrow(
      /is a file, expected a folder/,
    );
  });
});
