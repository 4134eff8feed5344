import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RunConfigInput } from '../src/config/schema';

/** A writable sink for progress output in tests. */
export const silent = { write: () => true, isTTY: false };

/**
 * Smooth synthetic RGB images (gradients + a blob + mild noise, seeded) written as PNG, so a tiny
 * VQ-VAE can learn something in a few steps. Sizes ≥ 32 px (the data package's minimum side).
 */
export async function writeSyntheticImages(
  dir: string,
  count: number,
  seed: number,
  side = 40,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  let state = seed * 7919 + 17;
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const paths: string[] = [];
  for (let n = 0; n < count; n++) {
    const px = Buffer.alloc(side * side * 3);
    const [a, b, c] = [rand(), rand(), rand()];
    const cx = rand() * side;
    const cy = rand() * side;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const blob = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * (side / 5) ** 2));
        const i = (y * side + x) * 3;
        px[i] = Math.round(255 * Math.min(1, a * (x / side) + 0.6 * blob + 0.05 * rand()));
        px[i + 1] = Math.round(255 * Math.min(1, b * (y / side) + 0.3 * blob + 0.05 * rand()));
        px[i + 2] = Math.round(255 * Math.min(1, c * 0.8 + 0.2 * blob));
      }
    }
    const path = join(dir, `img-${String(n).padStart(3, '0')}.png`);
    await sharp(px, { raw: { width: side, height: side, channels: 3 } })
      .png()
      .toFile(path);
    paths.push(path);
  }
  return paths;
}

/** A temp dataset: `train/` (with one corrupt file), `val/`. */
export async function makeDataset(): Promise<{
  root: string;
  train: string;
  val: string;
  corrupt: string;
}> {
  const root = mkdtempSync(join(tmpdir(), 'vqkit-core-'));
  const train = join(root, 'data', 'train');
  const val = join(root, 'data', 'val');
  await writeSyntheticImages(train, 12, 1);
  await writeSyntheticImages(val, 6, 2);
  const corrupt = join(train, 'img-corrupt.png');
  writeFileSync(
    corrupt,
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(64, 7),
    ]),
  );
  return { root, train, val, corrupt };
}

/**
 * A tiny matched pair at 16² (4×4 bottom, 2×2 top): eq. 4: 16·10 = 16·8 + 4·8; eq. 5: 32·4 = 2·16·4.
 * Two epochs of three steps of batch 4.
 */
export function tinyConfig(
  data: { train: string; val: string },
  overrides: Partial<RunConfigInput> = {},
): RunConfigInput {
  return {
    name: 'e2e',
    architecture: 'single',
    seed: 1,
    data: { train: data.train, val: data.val, size: 16 },
    model: {
      single: { channels: 10, codebookSize: 32, codeDim: 4 },
      hierarchical: { channels: 8, codebookSize: 16, codeDim: 4, conditioned: false },
      downsample: 4,
      topDownsample: 2,
      resBlocks: 1,
      resChannels: 8,
    },
    quantizer: { chunkSize: 256, resetWindow: 2 },
    train: {
      epochs: 2,
      stepsPerEpoch: 3,
      batchSize: 4,
      learningRate: 2e-3,
      logEvery: 2,
      keepLast: 2,
    },
    eval: { images: null, samples: 2 },
    ...overrides,
  };
}
