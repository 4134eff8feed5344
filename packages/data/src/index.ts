export type { CacheProgress } from './cache';
export {
  type CropBox,
  centerCropBox,
  DEFAULT_CROP_RATIO,
  DEFAULT_CROP_SCALE,
  type RandomResizedCropOptions,
  randomResizedCropBox,
  shorterSideSize,
} from './crop';
export {
  type DecodeOptions,
  decodeImage,
  type FailOn,
  type ResizeKernel,
  type RgbImage,
} from './decode';
export { DataError, type SkipKind, type SkippedImage } from './errors';
export { createLoader, type LoaderOptions } from './loader';
export type { CommonLoaderOptions, ImageBatch, ImageLoader, LoaderState } from './loader-core';
export { type CropRegion, type RandomCropOptions, randomCropDataset } from './random-crop';
export { IMAGE_EXTENSIONS, type ScanOptions, scanImageFolder } from './scan';
export type { LoaderStats } from './stats';
export type { PixelRange } from './transform';
