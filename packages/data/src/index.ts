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
  type DataSettings,
  type DecodeSettings,
  type FolderDataSettings,
  IMAGE_TRANSFORMS,
  type ImageTransform,
  type RandomCropDataSettings,
} from './data-settings';
export {
  DEFAULT_MAX_PIXELS,
  DEFAULT_MIN_SIDE,
  type DecodeOptions,
  decodeImage,
  type FailOn,
  type ResizeKernel,
  type RgbImage,
} from './decode';
export { DataError, type SkipKind, type SkippedImage } from './errors';
export { createLoader } from './loader';
export type {
  CommonLoaderOptions,
  ImageBatch,
  ImageLoader,
  LoaderCheck,
  LoaderState,
} from './loader-core';
export {
  DEFAULT_CROPS_PER_IMAGE,
  DEFAULT_FLIP,
  DEFAULT_FLIP_PROBABILITY,
  DEFAULT_SIZE,
  DEFAULT_TRANSFORM,
  type LoaderOptions,
  type LoaderSetting,
} from './loader-options';
export { type CropRegion, type RandomCropOptions, randomCropDataset } from './random-crop';
export {
  type DecodeResize,
  decodedSize,
  randomResizedCropDecodeSide,
} from './resize-geometry';
export { IMAGE_EXTENSIONS, type ScanOptions, scanImageFolder } from './scan';
export type { SettingNames } from './setting-names';
export type { LoaderStats } from './stats';
export type { PixelRange } from './transform';
