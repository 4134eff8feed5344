import { CapacityError } from './errors';
import type { HierarchicalConfig, MatchMode, SingleLevelConfig, SpatialSize } from './types';

/** Throws unless `value` is a positive safe integer; the message offers the nearest integers. */
export function positiveInteger(fn: string, name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  let hint = 'Pass a positive integer.';
  if (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value > 0 &&
    value < Number.MAX_SAFE_INTEGER
  ) {
    const lo = Math.floor(value);
    const hi = Math.ceil(value);
    hint = `It is not an integer; nearest valid: ${lo >= 1 ? `${lo} or ${hi}` : `${hi}`} (never rounded for you).`;
  } else if (typeof value === 'number' && value >= Number.MAX_SAFE_INTEGER) {
    hint = 'It exceeds Number.MAX_SAFE_INTEGER; use a smaller value.';
  }
  throw new CapacityError(
    `${fn}: ${name} must be a positive integer, got ${typeof value === 'number' ? value : JSON.stringify(value)}. ${hint}`,
    'invalid-argument',
  );
}

/** Product of positive integers, or a `too-large` error when it exceeds Number.MAX_SAFE_INTEGER. */
export function safeProduct(fn: string, what: string, ...factors: number[]): number {
  let p = 1;
  for (const f of factors) p *= f;
  if (!Number.isSafeInteger(p)) {
    throw new CapacityError(
      `${fn}: ${what} = ${factors.join(' · ')} exceeds Number.MAX_SAFE_INTEGER; use smaller sizes.`,
      'too-large',
    );
  }
  return p;
}

export function spatialSize(fn: string, name: string, value: unknown): SpatialSize {
  if (typeof value !== 'object' || value === null) {
    throw new CapacityError(
      `${fn}: ${name} must be an object { height, width }, got ${JSON.stringify(value)}. Pass e.g. { height: 64, width: 64 }.`,
      'invalid-argument',
    );
  }
  const v = value as Partial<SpatialSize>;
  return {
    height: positiveInteger(fn, `${name}.height`, v.height),
    width: positiveInteger(fn, `${name}.width`, v.width),
  };
}

/**
 * Pixels per image for a bits-per-pixel figure: `inputSize` validated as a size, and at least as
 * large as every latent grid (a latent position stands for at least one pixel; a smaller input is
 * a mistake, e.g. `1x1`, that would report thousands of bits per pixel).
 */
export function inputPixels(
  fn: string,
  inputSize: unknown,
  latents: readonly SpatialSize[],
): number {
  const input = spatialSize(fn, 'options.inputSize', inputSize);
  for (const grid of latents) {
    if (input.height < grid.height || input.width < grid.width) {
      throw new CapacityError(
        `${fn}: options.inputSize ${input.height}×${input.width} is smaller than the ${grid.height}×${grid.width} latent grid; a latent position covers at least one pixel. Pass the image size the latents come from, e.g. { height: ${grid.height * 4}, width: ${grid.width * 4} } for a ×4 encoder.`,
        'spatial-mismatch',
      );
    }
  }
  return input.height * input.width;
}

/** Validates a single-level config and returns a clean copy. */
export function singleConfig(
  fn: string,
  config: SingleLevelConfig,
  name = 'single',
): SingleLevelConfig {
  if (typeof config !== 'object' || config === null) {
    throw new CapacityError(
      `${fn}: ${name} must be a single-level config { height, width, channels, codebookSize, codeDim }, got ${JSON.stringify(config)}.`,
      'invalid-argument',
    );
  }
  const out: SingleLevelConfig = {
    height: positiveInteger(fn, `${name}.height`, config.height),
    width: positiveInteger(fn, `${name}.width`, config.width),
    channels: positiveInteger(fn, `${name}.channels`, config.channels),
    codebookSize: positiveInteger(fn, `${name}.codebookSize`, config.codebookSize),
    codeDim: positiveInteger(fn, `${name}.codeDim`, config.codeDim),
  };
  safeProduct(fn, `${name} continuous budget Hs·Ws·Cs`, out.height, out.width, out.channels);
  safeProduct(fn, `${name} discrete budget Ks·Ds`, out.codebookSize, out.codeDim);
  return out;
}

/** Validates a hierarchical config (positive integers, top strictly coarser) and returns a clean copy. */
export function hierarchicalConfig(
  fn: string,
  config: HierarchicalConfig,
  name = 'hierarchical',
): HierarchicalConfig {
  if (typeof config !== 'object' || config === null) {
    throw new CapacityError(
      `${fn}: ${name} must be a hierarchical config { bottom, top, channels, codebookSize, codeDim }, got ${JSON.stringify(config)}.`,
      'invalid-argument',
    );
  }
  const out: HierarchicalConfig = {
    bottom: spatialSize(fn, `${name}.bottom`, config.bottom),
    top: spatialSize(fn, `${name}.top`, config.top),
    channels: positiveInteger(fn, `${name}.channels`, config.channels),
    codebookSize: positiveInteger(fn, `${name}.codebookSize`, config.codebookSize),
    codeDim: positiveInteger(fn, `${name}.codeDim`, config.codeDim),
  };
  assertCoarser(fn, `${name}.top`, `${name}.bottom`, out.bottom, out.top);
  const positions =
    safeProduct(fn, 'Hb·Wb', out.bottom.height, out.bottom.width) +
    safeProduct(fn, 'Ht·Wt', out.top.height, out.top.width);
  safeProduct(fn, `${name} continuous budget (Hb·Wb + Ht·Wt)·Ch`, positions, out.channels);
  safeProduct(fn, `${name} discrete budget 2·Kh·Dh`, 2, out.codebookSize, out.codeDim);
  return out;
}

/** The top level must be strictly coarser: Ht ≤ Hb, Wt ≤ Wb and Ht·Wt < Hb·Wb. */
export function assertCoarser(
  fn: string,
  topLabel: string,
  bottomLabel: string,
  bottom: SpatialSize,
  top: SpatialSize,
): void {
  const ok =
    top.height <= bottom.height &&
    top.width <= bottom.width &&
    top.height * top.width < bottom.height * bottom.width;
  if (ok) return;
  const halves =
    bottom.height % 2 === 0 && bottom.width % 2 === 0
      ? `, e.g. ${bottom.height / 2}x${bottom.width / 2} (bottom downsampled by 2)`
      : '';
  throw new CapacityError(
    `${fn}: ${topLabel} ${top.height}x${top.width} is not coarser than ${bottomLabel} ${bottom.height}x${bottom.width}. ` +
      `The top level must have no side larger than the bottom's and strictly fewer positions${halves}.`,
    'not-coarser',
  );
}

export function matchMode(fn: string, value: unknown): MatchMode {
  if (value === undefined) return 'kd';
  if (value === 'kd' || value === 'bits') return value;
  throw new CapacityError(
    `${fn}: match must be 'kd' (eqs. 4–5) or 'bits' (eq. 4 + equal index bits), got ${JSON.stringify(value)}.`,
    'invalid-argument',
  );
}
