import sharp from 'sharp';
import type { CropBox } from './crop';
import type { ResizeKernel, RgbImage } from './decode';

/** Output value range of a batch: `'0,1'` maps 0..255 to [0, 1], `'-1,1'` maps it to [−1, 1]. */
export type PixelRange = '0,1' | '-1,1';

/** uint8 → float lookup tables; 0 and 255 map exactly onto the range ends. */
const LUT_01 = Float32Array.from({ length: 256 }, (_, v) => v / 255);
const LUT_11 = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/** Copies `box` out of an RGB image without resampling. */
export function extractRegion(image: RgbImage, box: CropBox): RgbImage {
  const out = new Uint8Array(box.width * box.height * 3);
  const rowBytes = box.width * 3;
  for (let y = 0; y < box.height; y++) {
    const src = ((box.top + y) * image.width + box.left) * 3;
    out.set(image.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { data: out, width: box.width, height: box.height };
}

/**
 * Crops `box` out of `image` and resizes it to `size` × `size` with libvips (sharp's `extract`
 * then `resize`, aspect not kept). A box that is already `size` × `size` is copied exactly.
 */
export async function cropResize(
  image: RgbImage,
  box: CropBox,
  size: number,
  kernel: ResizeKernel,
): Promise<Uint8Array> {
  if (box.width === size && box.height === size) return extractRegion(image, box).data;
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .extract(box)
    .resize(size, size, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== size * size * 3) {
    throw new Error(`cropResize: libvips returned ${info.width}×${info.height}×${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/**
 * Writes one `size` × `size` × 3 uint8 image into `out` at element `offset` as float32 in
 * `range`, mirrored left–right when `flip` is set.
 */
export function writeSample(
  out: Float32Array,
  offset: number,
  pixels: Uint8Array,
  size: number,
  flip: boolean,
  range: PixelRange,
): void {
  const lut = range === '0,1' ? LUT_01 : LUT_11;
  const row = size * 3;
  for (let y = 0; y < size; y++) {
    const base = y * row;
    for (let x = 0; x < size; x++) {
      const src = base + (flip ? size - 1 - x : x) * 3;
      const dst = offset + base + x * 3;
      out[dst] = lut[pixels[src]!]!;
      out[dst + 1] = lut[pixels[src + 1]!]!;
      out[dst + 2] = lut[pixels[src + 2]!]!;
    }
  }
}
