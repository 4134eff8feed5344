import { describe, expect, it } from 'vitest';
import { DataError } from './errors';
import { type LoaderOptions, resolveLoaderOptions } from './loader-options';

const files = ['/data/a.jpg', '/data/b.jpg'];
const resolve = (extra: Partial<LoaderOptions> = {}) =>
  resolveLoaderOptions('createLoader', { files, ...extra });

describe('resolveLoaderOptions', () => {
  it("defaults to the paper's preparation, and says so in the settings", () => {
    const r = resolve();
    expect(r.settings).toEqual({
      source: 'files',
      transform: 'resize',
      size: 256,
      flipProbability: 0,
      cropsPerImage: 1,
      range: '0,1',
      minSide: 32,
      maxPixels: 178_956_970,
      background: [255, 255, 255],
      failOn: 'error',
      kernel: 'linear',
    });
    expect(r.decode.resize).toEqual({ width: 256, height: 256 });
    expect([r.shuffle, r.dropLast, r.onUnreadable]).toEqual([true, true, 'substitute']);
    const ev = resolve({ split: 'eval' });
    expect([ev.shuffle, ev.dropLast, ev.onUnreadable]).toEqual([false, false, 'drop']);
    expect(ev.settings).toEqual(r.settings); // the split never changes the pixels
  });

  it('decodes exactly what each transform needs', () => {
    expect(resolve({ transform: 'center-crop', size: 64, resizeTo: 80 }).decode.resize).toEqual({
      shorterSide: 80,
    });
    const rrc = resolve({ transform: 'random-resized-crop', size: 256 });
    expect(rrc.decode.resize).toEqual({ maxShorterSide: 1046 });
    expect(rrc.settings).toMatchObject({
      scale: [0.08, 1],
      ratio: [3 / 4, 4 / 3],
      maxShorterSide: 1046,
    });
    const full = resolve({ transform: 'random-resized-crop', maxShorterSide: null });
    expect(full.decode.resize).toBeUndefined();
    expect(resolve({ maxPixels: Infinity }).settings.maxPixels).toBeNull();
    expect(resolve({ maxPixels: null }).decode.maxPixels).toBe(Infinity);
    expect(JSON.parse(JSON.stringify(rrc.settings))).toEqual(rrc.settings);
  });

  it('flips only when asked, with probability 0.5 unless told otherwise', () => {
    expect(resolve().flipProbability).toBe(0);
    expect(resolve({ flip: true }).flipProbability).toBe(0.5);
    expect(resolve({ flip: true, flipProbability: 0.25 }).settings.flipProbability).toBe(0.25);
  });

  it.each([
    [
      { transform: 'crop' as never },
      /transform must be one of 'resize', 'center-crop', 'random-resized-crop', got "crop"/,
    ],
    [
      { scale: [0.5, 1] as const },
      /scale only applies to transform 'random-resized-crop', but transform is 'resize'\. Set transform to 'random-resized-crop' or remove scale\./,
    ],
    [
      { transform: 'center-crop' as const, ratio: [1, 1] as const, maxShorterSide: 300 },
      /ratio and maxShorterSide only apply to transform 'random-resized-crop'/,
    ],
    [
      { transform: 'random-resized-crop' as const, resizeTo: 300 },
      /resizeTo only applies to transform 'center-crop'/,
    ],
    [{ flipProbability: 0.5 }, /flipProbability only applies when flip is true/],
    [{ flip: 'yes' as never }, /flip must be true or false, got "yes"/],
    [{ flip: true, flipProbability: 2 }, /flipProbability must be in \[0, 1\], got 2/],
    [
      { transform: 'center-crop' as const, size: 64, resizeTo: 32 },
      /resizeTo must be an integer ≥ 64, got 32/,
    ],
    [
      { transform: 'random-resized-crop' as const, size: 64, maxShorterSide: 32 },
      /maxShorterSide must be an integer ≥ 64, got 32\. .*262 keeps every crop a downsampling/,
    ],
    [{ cropsPerImage: 1.5 }, /cropsPerImage must be an integer ≥ 1, got 1\.5/],
    [
      { maxPixels: -1 },
      /maxPixels must be a positive integer \(pixels per image\), or null for no limit/,
    ],
    [{ settingNames: { size: '' } as never }, /settingNames must map option names/],
  ])('refuses %j', (extra, message) => {
    expect(() => resolve(extra as Partial<LoaderOptions>)).toThrow(DataError);
    expect(() => resolve(extra as Partial<LoaderOptions>)).toThrow(message);
  });

  it("names options the caller's way", () => {
    const settingNames = { transform: 'data.transform', scale: 'data.scale', size: 'data.size' };
    expect(() => resolve({ scale: [0.5, 1], settingNames })).toThrow(
      /data\.scale only applies to data\.transform 'random-resized-crop', but data\.transform is 'resize'\. Set data\.transform to 'random-resized-crop' or remove data\.scale\./,
    );
    expect(() => resolve({ size: 0, settingNames })).toThrow(/data\.size must be an integer ≥ 1/);
  });
});
