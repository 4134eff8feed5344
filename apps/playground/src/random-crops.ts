import type { Rng } from '@vqkit/random';
import type { RgbImage } from './pixels';

/**
 * `count` random S×S crops of `image`, uniformly placed, drawn from `rng` (two draws per crop).
 * @returns Float32Array `[count, S, S, 3]` (NHWC), values as in the image.
 */
export function randomCrops(image: RgbImage, size: number, count: number, rng: Rng): Float32Array {
  if (size > image.width || size > image.height) {
    throw new RangeError(
      `randomCrops: crop size ${size} exceeds the ${image.width}×${image.height} image.`,
    );
  }
  const out = new Float32Array(count * size * size * 3);
  const row = size * 3;
  for (let c = 0; c < count; c++) {
    const x = rng.int(image.width - size + 1);
    const y = rng.int(image.height - size + 1);
    for (let r = 0; r < size; r++) {
      const from = ((y + r) * image.width + x) * 3;
      out.set(image.data.subarray(from, from + row), (c * size + r) * row);
    }
  }
  return out;
}
