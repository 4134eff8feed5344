import { describe, expect, it } from 'vitest';
import type { MetricsFile } from './metrics-file';
import { labelSettings, settingKey } from './setting';

type Run = Pick<MetricsFile, 'config' | 'data'>;

/** A demo run as metrics.json records it: config plus each split's random-crop loader settings. */
function demoRun(
  size: number,
  options: { decode?: number; init?: string; testRegion?: object; loaderSize?: number } = {},
): Run {
  const loader = (region: object) => ({
    source: 'random-crops',
    cropSize: options.loaderSize ?? size,
    minSide: options.loaderSize ?? size,
    decodeShorterSide: options.decode ?? null,
    region,
  });
  return {
    config: {
      data: {
        train: 'demo',
        size,
        ...(options.decode === undefined ? {} : { decodeShorterSide: options.decode }),
      },
      quantizer: { init: options.init ?? 'data' },
    },
    data: {
      split: 'test',
      source: 'demo',
      settings: {
        train: loader({ left: 0.5, top: 0, width: 0.5, height: 1 }),
        test: loader(options.testRegion ?? { left: 0, top: 0, width: 0.5, height: 0.5 }),
      },
    },
  } as unknown as Run;
}

const labelOf = (runs: Run[], run: Run) => labelSettings(runs).labels.get(settingKey(run));

describe('labelSettings (the Setting column)', () => {
  const base = demoRun(32);
  const bigger = demoRun(64, { decode: 128 });

  it('names the scale once: 64² crops of photos at shorter side 128 px, not every loader copy', () => {
    expect(labelOf([base, base, bigger], bigger)).toBe('64² crops, photos at shorter side 128 px');
    expect(labelOf([base, base, bigger], base)).toBe('base');
    // The other way round: the runs without the key read as full-resolution photos.
    expect(labelOf([bigger, bigger, base], base)).toBe('32² crops, photos at full resolution');
  });

  it('still shows every difference the config keys do not explain', () => {
    const moved = demoRun(64, {
      decode: 128,
      testRegion: { left: 0.75, top: 0, width: 0.25, height: 1 },
    });
    expect(labelOf([base, base, moved], moved)).toBe(
      '64² crops, photos at shorter side 128 px, loader.test.region.height=1, loader.test.region.left=0.75 (+1 more)',
    );
    // A loader value that differs from its config key's is shown, not folded into it.
    const odd = demoRun(64, { decode: 128, loaderSize: 48 });
    expect(labelOf([base, base, odd], odd)).toContain('loader.test.cropSize=48');
    const ladder = demoRun(32, { init: 'random' });
    expect(labelOf([base, base, ladder], ladder)).toBe('quantizer.init=random');
  });
});
