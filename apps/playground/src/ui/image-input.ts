import { PlaygroundError } from '../errors';
import { type ImageLayout, imageLayout } from '../image-layout';
import { type RgbImage, rgbaToRgb } from '../pixels';

/** A decoded photo and the name the page calls it by. */
export interface Photo {
  name: string;
  bitmap: ImageBitmap;
}

/**
 * Decodes a file the user picked or dropped.
 * @throws PlaygroundError (`not-an-image`) naming the file and its type when the browser cannot decode it.
 */
export async function decodeImageFile(file: File): Promise<Photo> {
  const what = `'${file.name}' (${file.type || 'unknown type'}, ${file.size} bytes)`;
  if (file.type !== '' && !file.type.startsWith('image/')) {
    throw new PlaygroundError(
      `${what} is not an image. Drop or choose a PNG, JPEG, WebP or GIF file.`,
      'not-an-image',
    );
  }
  try {
    return { name: file.name, bitmap: await createImageBitmap(file) };
  } catch {
    throw new PlaygroundError(
      `${what} could not be decoded as an image by this browser. Drop or choose a PNG, JPEG, WebP or GIF file.`,
      'not-an-image',
    );
  }
}

/** Fetches and decodes one of the bundled photos (served next to the page, no network beyond it). */
export async function loadBundledPhoto(file: string): Promise<Photo> {
  const response = await fetch(new URL(`photos/${file}`, document.baseURI));
  if (!response.ok) {
    throw new PlaygroundError(
      `Bundled photo photos/${file} could not be loaded (HTTP ${response.status}). Rebuild the page (npm run build) or choose your own image.`,
      'not-an-image',
    );
  }
  return { name: file, bitmap: await createImageBitmap(await response.blob()) };
}

/**
 * Scales and crops a photo as {@link imageLayout} says, draws it on `canvas` and returns its pixels.
 * @throws PlaygroundError (`image-too-small`) when the photo is smaller than one crop.
 */
export function preparePhoto(
  photo: Photo,
  options: { imageSide: number; cropSize: number },
  canvas: HTMLCanvasElement,
): { image: RgbImage; layout: ImageLayout } {
  const { width, height } = photo.bitmap;
  const layout = imageLayout(width, height, options, `'${photo.name}'`);
  canvas.width = layout.width;
  canvas.height = layout.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (ctx === null)
    throw new PlaygroundError('No 2D canvas context in this browser.', 'no-backend');
  const sx = width / layout.scaledWidth;
  const sy = height / layout.scaledHeight;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, layout.width, layout.height);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(
    photo.bitmap,
    layout.left * sx,
    layout.top * sy,
    layout.width * sx,
    layout.height * sy,
    0,
    0,
    layout.width,
    layout.height,
  );
  const pixels = ctx.getImageData(0, 0, layout.width, layout.height).data;
  return { image: rgbaToRgb(pixels, layout.width, layout.height), layout };
}
