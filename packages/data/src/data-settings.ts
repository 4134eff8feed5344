import type { FailOn, ResizeKernel } from './decode';
import type { PixelRange } from './transform';

/**
 * How a folder loader turns each image into a `size` × `size` sample:
 * - `'resize'`: the whole image resized to `size` × `size`, aspect not kept (the paper, §4:
 *   "ImageNet with images resized to 256×256"; torchvision's `Resize((size, size))`);
 * - `'center-crop'`: shorter side resized to `resizeTo`, then the centre `size` × `size`
 *   (torchvision's `Resize(resizeTo)` + `CenterCrop(size)`, the usual ImageNet evaluation);
 * - `'random-resized-crop'`: torchvision's `RandomResizedCrop(size, scale, ratio)`, a new crop
 *   every time the image is drawn.
 */
export type ImageTransform = 'resize' | 'center-crop' | 'random-resized-crop';

/** Every {@link ImageTransform}, in documentation order. */
export const IMAGE_TRANSFORMS: readonly ImageTransform[] = [
  'resize',
  'center-crop',
  'random-resized-crop',
];

/** Decode settings that decide pixels, shared by every loader's settings. */
export interface DecodeSettings {
  range: PixelRange;
  minSide: number;
  /** `null` when unlimited (`Infinity`, which JSON cannot hold). */
  maxPixels: number | null;
  background: readonly [number, number, number];
  failOn: FailOn;
  kernel: ResizeKernel;
}

/** What a folder loader (`createLoader`) does to the pixels, defaults filled in. */
export interface FolderDataSettings extends DecodeSettings {
  source: 'files';
  transform: ImageTransform;
  size: number;
  /** `'center-crop'` only: the shorter side before the centre crop. */
  resizeTo?: number;
  /** `'random-resized-crop'` only. */
  scale?: readonly [number, number];
  ratio?: readonly [number, number];
  /** `'random-resized-crop'` only: shrink-on-load bound of the shorter side; null = full resolution. */
  maxShorterSide?: number | null;
  /** Probability of a left–right flip (0 = no flips). */
  flipProbability: number;
  cropsPerImage: number;
}

/** What a random-crop dataset (`randomCropDataset`) does to the pixels, defaults filled in. */
export interface RandomCropDataSettings extends DecodeSettings {
  source: 'random-crops';
  cropSize: number;
  cropsPerEpoch: number;
  scaleRange: readonly [number, number];
  flip: boolean;
  decodeShorterSide: number | null;
  region: { left: number; top: number; width: number; height: number };
}

/** The settings of any loader; `source` tells which kind. */
export type DataSettings = FolderDataSettings | RandomCropDataSettings;
