import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '@vqkit/backbones';
import sharp from 'sharp';
import { expect } from 'vitest';
import { type LoadedCheckpoint, readCheckpoint } from '../src/checkpoint/file';
import { listCheckpoints } from '../src/checkpoint/store';
import type { RunConfig, RunConfigInput } from '../src/config/schema';
import { trainRun } from '../src/train/train-run';

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

/**
 * Trains `config` into `runDir` quietly and stops it with `signal` after step `step`, as that
 * signal would: the run a resume test continues.
 */
export function trainInterrupted(
  config: RunConfig,
  runDir: string,
  step: number,
  signal: 'SIGINT' | 'SIGTERM' = 'SIGINT',
): ReturnType<typeof trainRun> {
  const controller = new AbortController();
  return trainRun(config, {
    runDir,
    quiet: true,
    stderr: silent,
    signal: controller.signal,
    onStep: (progress) => {
      if (progress.step === step) controller.abort(signal);
    },
  });
}

/** The newest checkpoint of the run in `runDir`, read and verified. */
export function lastCheckpoint(runDir: string): LoadedCheckpoint {
  return readCheckpoint(listCheckpoints(join(runDir, 'checkpoints')).at(-1)!.path);
}

/** Expects `b` to hold exactly `a`'s tensors: the same names, each the same bytes. */
export function expectSameTensors(a: LoadedCheckpoint, b: LoadedCheckpoint): void {
  const names = Object.keys(a.tensors).sort();
  expect(Object.keys(b.tensors).sort()).toEqual(names);
  const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  for (const name of names) {
    expect(bytes(b.tensors[name]!.data).equals(bytes(a.tensors[name]!.data)), name).toBe(true);
  }
}

/** A checkpoint file taken apart: tensors and parsed metadata, ready to edit and re-encode. */
export interface OpenCheckpoint {
  tensors: Record<string, SafetensorsTensor>;
  meta: Record<string, unknown>;
}

/**
 * Rewrites a checkpoint file through `edit`, re-encoded with valid checksums (unless
 * `checksum: false`), so the edit reaches the checks behind the checksum verification.
 */
export function rewriteCheckpoint(
  path: string,
  edit: (file: OpenCheckpoint) => void,
  options: { checksum?: boolean } = {},
): void {
  const file = decodeSafetensors(new Uint8Array(readFileSync(path)));
  const open: OpenCheckpoint = { tensors: file.tensors, meta: JSON.parse(file.metadata.vqkit!) };
  edit(open);
  const bytes = encodeSafetensors(
    open.tensors,
    { vqkit: JSON.stringify(open.meta) },
    { checksum: options.checksum ?? true },
  );
  writeFileSync(path, bytes);
}

/** The first tensor whose name starts with `prefix` (throws when none does). */
export function firstTensor(file: OpenCheckpoint, prefix: string): [string, SafetensorsTensor] {
  const found = Object.entries(file.tensors).find(([n]) => n.startsWith(prefix));
  if (found === undefined) throw new Error(`no tensor named ${prefix}…`);
  return found;
}

/** Byte edits of a checkpoint file that damage its structure (checksums then fail, or parsing). */
export const RAW_DAMAGE: Readonly<Record<string, (bytes: Buffer) => Buffer>> = {
  'zero bytes': () => Buffer.alloc(0),
  'truncated to half': (b) => b.subarray(0, Math.floor(b.length / 2)),
  'header length past the end': (b) => withHeaderLength(b, BigInt(b.length)),
  'header length 2^64 − 1': (b) => withHeaderLength(b, 0xffffffffffffffffn),
  'header not JSON': (b) => withHeader(b, (h) => `x${h.slice(1)}`),
  'header a JSON array': (b) => withHeader(b, (h) => `[${' '.repeat(h.length - 2)}]`),
  'tensor relabelled F32 → I32 in the header': (b) =>
    withHeader(b, (h) => h.replace('"dtype":"F32"', '"dtype":"I32"')),
  'exponent bits flipped in the data': (b) => {
    const out = Buffer.from(b);
    const start = 8 + Number(b.readBigUInt64LE(0));
    for (let i = start + 3; i < Math.min(out.length, start + 40); i += 4) out[i]! ^= 0x7f;
    return out;
  },
};

function withHeaderLength(bytes: Buffer, length: bigint): Buffer {
  const out = Buffer.from(bytes);
  out.writeBigUInt64LE(length, 0);
  return out;
}

/** Replaces the JSON header by `edit(header)` of the same length. */
function withHeader(bytes: Buffer, edit: (header: string) => string): Buffer {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = edit(bytes.subarray(8, 8 + n).toString('latin1'));
  if (header.length !== n) throw new Error('a header edit must keep its length');
  return Buffer.concat([
    bytes.subarray(0, 8),
    Buffer.from(header, 'latin1'),
    bytes.subarray(8 + n),
  ]);
}
