import { PlaygroundError } from './errors';

/** Where the training image comes from in a photo, and how it splits into S×S tiles. */
export interface ImageLayout {
  /** The photo scaled so its short side is at most `imageSide` (never enlarged). */
  scaledWidth: number;
  scaledHeight: number;
  /** Centre crop of the scaled photo whose sides are multiples of S. */
  left: number;
  top: number;
  width: number;
  height: number;
  /** Tiles of side S across and down (`width / S`, `height / S`). */
  tilesX: number;
  tilesY: number;
}

/**
 * Scales a `width`×`height` photo so its short side is `imageSide` (smaller photos are kept as
 * they are) and centre-crops it to whole S×S tiles.
 * @throws PlaygroundError (`image-too-small`) when the photo is smaller than one S×S crop.
 */
export function imageLayout(
  width: number,
  height: number,
  options: { imageSide: number; cropSize: number },
  name = 'the photo',
): ImageLayout {
  const s = options.cropSize;
  const short = Math.min(width, height);
  if (!(short >= s)) {
    const fits = [8, 16, 24, 32, 48, 64].filter((c) => c <= short);
    const hint =
      fits.length > 0
        ? `choose a crop size S of ${fits.at(-1)} or less (Advanced), or a larger photo`
        : 'choose a photo at least 8×8 pixels large';
    throw new PlaygroundError(
      `${name} is ${width}×${height} px, too small for crops of S = ${s} px (the model downsamples S by 8 to its top level): ${hint}.`,
      'image-too-small',
    );
  }
  const scale = Math.min(1, options.imageSide / short);
  const scaledWidth = Math.max(s, Math.round(width * scale));
  const scaledHeight = Math.max(s, Math.round(height * scale));
  const tilesX = Math.floor(scaledWidth / s);
  const tilesY = Math.floor(scaledHeight / s);
  return {
    scaledWidth,
    scaledHeight,
    left: Math.floor((scaledWidth - tilesX * s) / 2),
    top: Math.floor((scaledHeight - tilesY * s) / 2),
    width: tilesX * s,
    height: tilesY * s,
    tilesX,
    tilesY,
  };
}
