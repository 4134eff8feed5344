import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ssimPerImage } from '@vqkit/metrics';
import sharp from 'sharp';
import { withIo } from '../io-error';
import { writeFileAtomic } from '../run-dir';

/**
 * Per-image SSIM `[B]` of `[B, S, S, 3]` images in the run's pixel range, computed on pixels in
 * [0, 1] (L = 1). SSIM's luminance term (2μxμy + C1)/(μx² + μy² + C1) assumes non-negative
 * intensities: on [−1, 1] pixels mid-grey is 0 and the term collapses, so '-1,1' images are mapped
 * by (v + 1)/2 first (PSNR needs no mapping: R = 2 on [−1, 1] equals R = 1 on [0, 1]).
 */
export function ssimOnUnitRange(
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  range: '0,1' | '-1,1',
  windowSize: number,
): tf.Tensor1D {
  if (range === '0,1') return ssimPerImage(x, y, { dataRange: 1, windowSize });
  return tf.tidy(() => {
    const unit = (t: tf.Tensor4D) => tf.mul(tf.add(t, 1), 0.5) as tf.Tensor4D;
    return ssimPerImage(unit(x), unit(y), { dataRange: 1, windowSize });
  });
}

/** Float pixels in the run's range → 8-bit RGB. */
function toUint8(values: Float32Array, range: '0,1' | '-1,1'): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = range === '0,1' ? values[i]! : (values[i]! + 1) / 2;
    out[i] = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
  }
  return out;
}

/** Writes the sample pairs as PNGs; returns their paths relative to the run dir. */
export async function writeSamples(
  dir: string,
  runDir: string,
  samples: { original: Float32Array; reconstruction: Float32Array }[],
  size: number,
  range: '0,1' | '-1,1',
): Promise<{ originals: string[]; reconstructions: string[] }> {
  const originals: string[] = [];
  const reconstructions: string[] = [];
  if (samples.length === 0) return { originals, reconstructions };
  withIo('eval: cannot create', dir, () => mkdirSync(dir, { recursive: true }));
  for (const [i, pair] of samples.entries()) {
    for (const [kind, data, list] of [
      ['original', pair.original, originals],
      ['recon', pair.reconstruction, reconstructions],
    ] as const) {
      const path = join(dir, `${kind}-${i}.png`);
      const png = await sharp(Buffer.from(toUint8(data, range)), {
        raw: { width: size, height: size, channels: 3 },
      })
        .png()
        .toBuffer();
      writeFileAtomic(path, png);
      list.push(relative(runDir, path));
    }
  }
  return { originals, reconstructions };
}
