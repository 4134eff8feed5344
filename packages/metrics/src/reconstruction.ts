import * as tf from '@tensorflow/tfjs-core';
import { MetricsError } from './errors';
import { checkDataRange, positiveInteger } from './validate';

/** Options of the PSNR functions. */
export interface PsnrOptions {
  /** Span of the pixel values: 1 for images in [0, 1], 2 for [−1, 1], 255 for [0, 255]. Required. */
  dataRange: number;
}

/**
 * How SSIM treats colour.
 * - `channels`: SSIM of every channel separately, averaged over channels (scikit-image
 *   `channel_axis=-1`, `tf.image.ssim`).
 * - `luminance`: SSIM of the BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B (needs C = 3; C = 1 is used as is).
 */
export type SsimMode = 'channels' | 'luminance';

/** Options of the SSIM functions (Wang et al. 2004). */
export interface SsimOptions {
  /** Span of the pixel values: 1 for images in [0, 1], 2 for [−1, 1]. Required. */
  dataRange: number;
  /**
   * Colour handling (see {@link SsimMode}).
   * @default 'channels'
   */
  mode?: SsimMode;
  /**
   * Side of the Gaussian window; images must be at least this large in H and W ('valid' filtering).
   * @default 11
   */
  windowSize?: number;
  /**
   * Standard deviation of the Gaussian window, in pixels.
   * @default 1.5
   */
  sigma?: number;
  /**
   * Luminance constant: C1 = (k1 · dataRange)².
   * @default 0.01
   */
  k1?: number;
  /**
   * Contrast constant: C2 = (k2 · dataRange)².
   * @default 0.03
   */
  k2?: number;
}

/** Validates a pair of batched images: same rank-4 NHWC shape, B ≥ 1, at least one pixel, real dtype. */
function checkPair(fn: string, x: tf.Tensor, y: tf.Tensor): void {
  if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) {
    throw new MetricsError(`${fn}: x and y must be tfjs tensors of shape [B, H, W, C].`);
  }
  if (x.rank !== 4 || y.rank !== 4) {
    throw new MetricsError(
      `${fn}: x and y must be rank-4 NHWC batches [B, H, W, C], got shapes [${x.shape}] and [${y.shape}]. ` +
        'Add a batch axis with tf.expandDims(image, 0) for a single image.',
    );
  }
  if (x.shape.some((d, i) => d !== y.shape[i])) {
    throw new MetricsError(
      `${fn}: x and y must have the same shape, got [${x.shape}] and [${y.shape}]. Compare each image with its own reconstruction.`,
    );
  }
  if (x.shape[0] === 0) {
    throw new MetricsError(
      `${fn}: the batch is empty (shape [${x.shape}]); pass at least one image.`,
    );
  }
  if (x.size === 0) {
    throw new MetricsError(`${fn}: images have no pixels (shape [${x.shape}]).`);
  }
  if (
    x.dtype === 'string' ||
    x.dtype === 'complex64' ||
    y.dtype === 'string' ||
    y.dtype === 'complex64'
  ) {
    throw new MetricsError(
      `${fn}: x and y must be real-valued, got dtypes ${x.dtype} and ${y.dtype}.`,
    );
  }
}

function asFloat(t: tf.Tensor): tf.Tensor4D {
  return (t.dtype === 'float32' ? t : tf.cast(t, 'float32')) as tf.Tensor4D;
}

function mseImpl(x: tf.Tensor, y: tf.Tensor): tf.Tensor1D {
  return tf.mean(tf.squaredDifference(asFloat(x), asFloat(y)), [1, 2, 3]) as tf.Tensor1D;
}

function psnrFromMseTensor(mse: tf.Tensor1D, dataRange: number): tf.Tensor1D {
  const db = tf.mul(10 / Math.LN10, tf.log(tf.div(dataRange * dataRange, mse)));
  return tf.where(
    tf.equal(mse, 0),
    tf.fill(mse.shape, Number.POSITIVE_INFINITY),
    db,
  ) as tf.Tensor1D;
}

/**
 * Mean squared error per image, on device: mse_b = mean over (h, w, c) of (x − y)².
 *
 * @param x images [B, H, W, C]. @param y reconstructions [B, H, W, C].
 * @returns float32 Tensor1D [B] (the caller disposes it).
 * @throws MetricsError for rank or shape mismatch or an empty batch.
 */
export function msePerImage(x: tf.Tensor, y: tf.Tensor): tf.Tensor1D {
  checkPair('msePerImage', x, y);
  return tf.tidy(() => mseImpl(x, y));
}

/**
 * PSNR per image in dB, on device: 10·log10(dataRange² / mse_b). Exact reconstructions (mse = 0) give
 * +Infinity.
 *
 * @param x images [B, H, W, C]. @param y reconstructions [B, H, W, C].
 * @returns float32 Tensor1D [B] (the caller disposes it).
 * @throws MetricsError for rank or shape mismatch, an empty batch, or dataRange ≤ 0.
 */
export function psnrPerImage(x: tf.Tensor, y: tf.Tensor, options: PsnrOptions): tf.Tensor1D {
  const fn = 'psnrPerImage';
  const range = checkDataRange(fn, options?.dataRange);
  checkPair(fn, x, y);
  return tf.tidy(() => psnrFromMseTensor(mseImpl(x, y), range));
}

/** PSNR in dB of one MSE value: 10·log10(dataRange² / mse); +Infinity for mse = 0. */
export function psnrFromMse(mse: number, dataRange: number): number {
  const range = checkDataRange('psnrFromMse', dataRange);
  if (!Number.isFinite(mse) || mse < 0) {
    throw new MetricsError(`psnrFromMse: mse must be a finite number ≥ 0, got ${mse}.`);
  }
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((range * range) / mse);
}

/** Normalised 1-D Gaussian window of `size` taps and standard deviation `sigma`. */
export function gaussianWindow(size: number, sigma: number): Float32Array {
  const n = positiveInteger('gaussianWindow', 'size', size);
  if (!Number.isFinite(sigma) || sigma <= 0) {
    throw new MetricsError(`gaussianWindow: sigma must be a finite number > 0, got ${sigma}.`);
  }
  const w = new Float64Array(n);
  const c = (n - 1) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    w[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += w[i]!;
  }
  return Float32Array.from(w, (v) => v / sum);
}

interface ResolvedSsim {
  range: number;
  mode: SsimMode;
  windowSize: number;
  sigma: number;
  c1: number;
  c2: number;
}

function resolveSsim(fn: string, options: SsimOptions, x: tf.Tensor): ResolvedSsim {
  const range = checkDataRange(fn, options?.dataRange);
  const mode = options.mode ?? 'channels';
  if (mode !== 'channels' && mode !== 'luminance') {
    throw new MetricsError(
      `${fn}: options.mode must be 'channels' or 'luminance', got ${String(mode)}.`,
    );
  }
  const windowSize = positiveInteger(fn, 'options.windowSize', options.windowSize ?? 11);
  const sigma = options.sigma ?? 1.5;
  if (!Number.isFinite(sigma) || sigma <= 0) {
    throw new MetricsError(`${fn}: options.sigma must be a finite number > 0, got ${sigma}.`);
  }
  const k1 = options.k1 ?? 0.01;
  const k2 = options.k2 ?? 0.03;
  for (const [name, k] of [
    ['k1', k1],
    ['k2', k2],
  ] as const) {
    if (!Number.isFinite(k) || k <= 0) {
      throw new MetricsError(`${fn}: options.${name} must be a finite number > 0, got ${k}.`);
    }
  }
  const [, h, w, c] = x.shape as [number, number, number, number];
  if (h < windowSize || w < windowSize) {
    throw new MetricsError(
      `${fn}: images of ${h}×${w} are smaller than the ${windowSize}×${windowSize} window. ` +
        `Pass options.windowSize ≤ ${Math.min(h, w)} (odd, e.g. ${Math.max(1, Math.min(h, w) - ((Math.min(h, w) + 1) % 2))}) or larger images.`,
    );
  }
  if (mode === 'luminance' && c !== 3 && c !== 1) {
    throw new MetricsError(
      `${fn}: mode 'luminance' needs RGB (C = 3) or grey (C = 1) images, got C = ${c}. Use mode 'channels'.`,
    );
  }
  return { range, mode, windowSize, sigma, c1: (k1 * range) ** 2, c2: (k2 * range) ** 2 };
}

function luma(t: tf.Tensor4D): tf.Tensor4D {
  if (t.shape[3] === 1) return t;
  return tf.sum(tf.mul(t, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D;
}

/**
 * SSIM per image (Wang et al. 2004), on device. With Gaussian-weighted local statistics
 * μ, σ², σ_xy ('valid' filtering, no padding):
 *
 *   SSIM = ((2 μx μy + C1)(2 σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2)),
 *   C1 = (k1·L)², C2 = (k2·L)², L = dataRange,
 *
 * averaged over all window positions (and channels in `channels` mode). Local (co)variances are computed
 * from images centred on their per-image, per-channel mean (exact in real arithmetic, far less float32
 * cancellation on flat regions). Runs as one separable depthwise convolution over 5·C channels.
 *
 * @param x images [B, H, W, C]. @param y reconstructions [B, H, W, C], H, W ≥ windowSize.
 * @returns float32 Tensor1D [B] (the caller disposes it); identical images give exactly 1.
 * @throws MetricsError for rank or shape mismatch, an empty batch, dataRange ≤ 0, or too-small images.
 */
export function ssimPerImage(x: tf.Tensor, y: tf.Tensor, options: SsimOptions): tf.Tensor1D {
  const fn = 'ssimPerImage';
  checkPair(fn, x, y);
  const o = resolveSsim(fn, options ?? ({} as SsimOptions), x);
  return tf.tidy(() => {
    let a = asFloat(x);
    let b = asFloat(y);
    if (o.mode === 'luminance') {
      a = luma(a);
      b = luma(b);
    }
    const c = a.shape[3];
    // Second moments are shift-invariant, so filter images centred on their per-image, per-channel
    // mean: this keeps E[x²] − μ² from cancelling catastrophically in float32 on flat regions.
    const meanA = tf.mean(a, [1, 2], true);
    const meanB = tf.mean(b, [1, 2], true);
    const ca = tf.sub(a, meanA);
    const cb = tf.sub(b, meanB);
    // One separable depthwise pass over [x', y', x'², y'², x'y'] stacked along channels.
    const stacked = tf.concat(
      [ca, cb, tf.square(ca), tf.square(cb), tf.mul(ca, cb)],
      3,
    ) as tf.Tensor4D;
    const g = gaussianWindow(o.windowSize, o.sigma);
    const ch = 5 * c;
    const gw = tf.tile(tf.tensor4d(g, [1, o.windowSize, 1, 1]), [1, 1, ch, 1]) as tf.Tensor4D;
    const gh = tf.tile(tf.tensor4d(g, [o.windowSize, 1, 1, 1]), [1, 1, ch, 1]) as tf.Tensor4D;
    const filtered = tf.depthwiseConv2d(
      tf.depthwiseConv2d(stacked, gw, 1, 'valid'),
      gh,
      1,
      'valid',
    );
    const [cmuX, cmuY, exx, eyy, exy] = tf.split(filtered, 5, 3) as tf.Tensor4D[];
    const sigmaXX = tf.sub(exx!, tf.square(cmuX!));
    const sigmaYY = tf.sub(eyy!, tf.square(cmuY!));
    const sigmaXY = tf.sub(exy!, tf.mul(cmuX!, cmuY!));
    const muX = tf.add(cmuX!, meanA);
    const muY = tf.add(cmuY!, meanB);
    const muXX = tf.square(muX);
    const muYY = tf.square(muY);
    const muXY = tf.mul(muX, muY);
    const num = tf.mul(tf.add(tf.mul(2, muXY), o.c1), tf.add(tf.mul(2, sigmaXY), o.c2));
    const den = tf.mul(tf.add(tf.add(muXX, muYY), o.c1), tf.add(tf.add(sigmaXX, sigmaYY), o.c2));
    return tf.mean(tf.div(num, den), [1, 2, 3]) as tf.Tensor1D;
  });
}

async function readBack(t: tf.Tensor1D): Promise<number[]> {
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

/**
 * MSE per image, read back: `await mse(x, y)` → one number per image. Only the [B] vector leaves the
 * device (async read: works on webgpu).
 */
export async function mse(x: tf.Tensor, y: tf.Tensor): Promise<number[]> {
  return readBack(msePerImage(x, y));
}

/** PSNR per image in dB, read back (+Infinity for exact reconstructions). See {@link psnrPerImage}. */
export async function psnr(x: tf.Tensor, y: tf.Tensor, options: PsnrOptions): Promise<number[]> {
  return readBack(psnrPerImage(x, y, options));
}

/** SSIM per image, read back. See {@link ssimPerImage}. */
export async function ssim(x: tf.Tensor, y: tf.Tensor, options: SsimOptions): Promise<number[]> {
  return readBack(ssimPerImage(x, y, options));
}

/** Per-image reconstruction metrics of one batch. */
export interface ReconstructionValues {
  /** MSE per image. */
  mse: number[];
  /** PSNR per image in dB (+Infinity for exact reconstructions). */
  psnr: number[];
  /** SSIM per image, or undefined when not requested. */
  ssim?: number[];
}

/** Options of {@link reconstructionMetrics}. */
export interface ReconstructionOptions {
  /** Span of the pixel values: 1 for [0, 1], 2 for [−1, 1]. Required. */
  dataRange: number;
  /**
   * Also compute SSIM (true for the defaults, or SSIM options without `dataRange`).
   * @default false
   */
  ssim?: boolean | Omit<SsimOptions, 'dataRange'>;
}

/**
 * MSE, PSNR (and optionally SSIM) per image of one batch, computed on device and read back with a single
 * async transfer of a [2 or 3, B] matrix.
 */
export async function reconstructionMetrics(
  x: tf.Tensor,
  y: tf.Tensor,
  options: ReconstructionOptions,
): Promise<ReconstructionValues> {
  const fn = 'reconstructionMetrics';
  const range = checkDataRange(fn, options?.dataRange);
  checkPair(fn, x, y);
  const ssimOptions =
    options.ssim === undefined || options.ssim === false
      ? undefined
      : { ...(options.ssim === true ? {} : options.ssim), dataRange: range };
  if (ssimOptions !== undefined) resolveSsim(fn, ssimOptions, x);
  const rows = tf.tidy(() => {
    const m = mseImpl(x, y);
    const parts = [m, psnrFromMseTensor(m, range)];
    if (ssimOptions !== undefined) parts.push(ssimPerImage(x, y, ssimOptions));
    return tf.stack(parts);
  });
  let data: Float32Array | Int32Array | Uint8Array;
  try {
    data = await rows.data();
  } finally {
    rows.dispose();
  }
  const b = x.shape[0]!;
  const row = (r: number) => Array.from(data.subarray(r * b, (r + 1) * b));
  const out: ReconstructionValues = { mse: row(0), psnr: row(1) };
  if (ssimOptions !== undefined) out.ssim = row(2);
  return out;
}
