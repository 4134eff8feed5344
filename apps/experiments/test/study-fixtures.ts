/**
 * Hand-written run directories for the study tests: config.json + metrics.json (schema
 * vqkit.metrics/1) + small sample PNGs made with sharp, shaped like what `vqkit eval` writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export interface FixtureRun {
  name: string;
  architecture: 'single' | 'hierarchical';
  /** Ks (single side of the config). */
  ks: number;
  ds: number;
  /** Kh (hierarchical side of the config). */
  kh: number;
  dh: number;
  seed?: number;
  psnr: [number, number];
  mse: [number, number];
  images?: number;
  params?: number;
  matchedOk?: boolean;
  tags?: Record<string, string>;
  quantizer?: Record<string, unknown>;
  /** Seed of the sample originals: runs with equal values share originals. */
  samplesSeed?: number;
  samples?: number;
}

/** A config shaped like the `demo` preset (32² crops, 8×8 / 4×4 latents, Cs 40 / Ch 32). */
export function fixtureConfig(run: FixtureRun): Record<string, unknown> {
  return {
    name: run.name,
    architecture: run.architecture,
    seed: run.seed ?? 0,
    data: { train: 'demo', val: 'demo', size: 32, range: '0,1', cropsPerEpoch: 64, valImages: 16 },
    model: {
      single: { channels: 40, codebookSize: run.ks, codeDim: run.ds },
      hierarchical: { channels: 32, codebookSize: run.kh, codeDim: run.dh, conditioned: false },
      downsample: 4,
      topDownsample: 2,
      resBlocks: 1,
      resChannels: 16,
    },
    quantizer: {
      decay: 0.99,
      epsilon: 1e-5,
      commitmentWeight: 0.25,
      init: 'data',
      reset: 'windowed',
      resetThreshold: 2,
      resetWindow: 10,
      resetSource: 'recent-mean',
      chunkSize: 2048,
      ...run.quantizer,
    },
    train: {
      epochs: 1,
      stepsPerEpoch: null,
      batchSize: 8,
      learningRate: 1e-3,
      lrDecay: 0.99,
      checkpointEvery: 0,
      keepLast: 2,
      logEvery: 8,
    },
    eval: { images: 16, samples: run.samples ?? 3 },
    allowUnmatched: run.matchedOk === false,
    tags: run.tags ?? {},
  };
}

function lorenz(k: number, skew: number): { x: number[]; y: number[] } {
  const x = [0];
  const y = [0];
  for (let i = 1; i <= k; i++) {
    x.push(i / k);
    y.push((i / k) ** skew);
  }
  return { x, y };
}

async function noisePng(path: string, seed: number, side: number): Promise<void> {
  const data = Buffer.alloc(side * side * 3);
  let s = seed * 7919 + 17;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s % 256;
  }
  await sharp(data, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toFile(path);
}

/** Writes one finished run directory under `root` and returns its path. */
export async function writeFixtureRun(root: string, run: FixtureRun): Promise<string> {
  const dir = join(root, run.name);
  mkdirSync(dir, { recursive: true });
  const config = fixtureConfig(run);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'train-summary.json'), JSON.stringify({ steps: 8 }));
  await writeFixtureMetrics(dir, config, run);
  return dir;
}

/**
 * Writes `metrics.json` and sample PNGs into `dir` for `config` (a run config object), as `vqkit eval`
 * would; the numbers come from `run`.
 */
export async function writeFixtureMetrics(
  dir: string,
  config: Record<string, unknown>,
  run: Pick<
    FixtureRun,
    'name' | 'psnr' | 'mse' | 'images' | 'params' | 'matchedOk' | 'samplesSeed' | 'samples'
  >,
): Promise<void> {
  mkdirSync(join(dir, 'samples'), { recursive: true });
  const model = config['model'] as {
    single: { codebookSize: number; codeDim: number };
    hierarchical: { codebookSize: number; codeDim: number };
  };
  const architecture = config['architecture'] as 'single' | 'hierarchical';
  const tags = (config['tags'] ?? {}) as Record<string, string>;
  const samples = run.samples ?? 3;
  const originals: string[] = [];
  const reconstructions: string[] = [];
  for (let i = 0; i < samples; i++) {
    originals.push(`samples/original-${i}.png`);
    reconstructions.push(`samples/recon-${i}.png`);
    await noisePng(join(dir, originals[i]!), (run.samplesSeed ?? 1) * 100 + i, 32);
    await noisePng(join(dir, reconstructions[i]!), run.name.length * 1000 + i, 32);
  }
  const { single, hierarchical } = model;
  const levels =
    architecture === 'single'
      ? [{ name: 'single', k: single.codebookSize, d: single.codeDim, h: 8 }]
      : [
          { name: 'bottom', k: hierarchical.codebookSize, d: hierarchical.codeDim, h: 8 },
          { name: 'top', k: hierarchical.codebookSize, d: hierarchical.codeDim, h: 4 },
        ];
  const pixels = 32 * 32;
  const bitsPerImage = levels.reduce((a, l) => a + l.h * l.h * Math.log2(l.k), 0);
  const metrics = {
    schema: 'vqkit.metrics/1',
    run: run.name,
    architecture,
    tags,
    config,
    params: run.params ?? 51234,
    images: run.images ?? 16,
    dataRange: 1,
    mse: { mean: run.mse[0], std: run.mse[1] },
    psnr: { mean: run.psnr[0], std: run.psnr[1], infinite: 0 },
    ssim: { mean: 0.8, std: 0.05 },
    bitsPerImage,
    bitsPerPixel: bitsPerImage / pixels,
    entropyBitsPerPixel: (bitsPerImage / pixels) * 0.9,
    levels: levels.map((l, i) => ({
      name: l.name,
      codebookSize: l.k,
      codeDim: l.d,
      height: l.h,
      width: l.h,
      perplexity: l.k * (0.5 - i * 0.1),
      normalizedPerplexity: 0.5 - i * 0.1,
      activeCodes: Math.round(l.k * 0.7),
      deadFraction: 0.3,
      gini: 0.4,
      lorenz: lorenz(Math.min(l.k, 64), 2 + i),
      counts: Array.from({ length: l.k }, (_, j) => j % 5),
    })),
    matched: {
      ok: run.matchedOk ?? true,
      allowUnmatched: run.matchedOk === false,
      budgets: {},
      bitGap: {},
    },
    samples: { originals, reconstructions },
    backend: { name: 'cpu' },
    steps: 8,
    finishedAt: '2025-01-01T00:00:00.000Z',
  };
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2));
}
