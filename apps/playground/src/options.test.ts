import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PLAYGROUND_DEFAULTS } from './defaults';
import { PlaygroundError } from './errors';
import { CROP_MULTIPLE, defaultOptions, parseOptions } from './options';

describe('parseOptions', () => {
  it('fills every missing field with its default', () => {
    expect(parseOptions({})).toEqual(defaultOptions());
    expect(defaultOptions()).toEqual({ ...PLAYGROUND_DEFAULTS });
  });

  it('reads numbers and choices from form strings', () => {
    const o = parseOptions({
      architecture: 'single',
      codebookSize: ' 512 ',
      learningRate: '1e-3',
      reset: 'none',
      cropSize: '32',
    });
    expect(o).toMatchObject({
      architecture: 'single',
      codebookSize: 512,
      learningRate: 1e-3,
      reset: 'none',
      cropSize: 32,
    });
  });

  it('names the field, the range, the value and the default for a bad number', () => {
    const bad = () => parseOptions({ codebookSize: '12.5' });
    expect(bad).toThrow(PlaygroundError);
    expect(bad).toThrow(
      /Codebook size K \(codebookSize\) must be an integer from 2 to 65536, got '12.5'. Default: 256/,
    );
    expect(() => parseOptions({ steps: '' })).toThrow(/Steps \(steps\) must be an integer/);
    expect(() => parseOptions({ decay: '1' })).toThrow(/EMA decay γ \(decay\).*got 1\./);
  });

  it('rejects an unknown choice with the allowed values', () => {
    expect(() => parseOptions({ reset: 'sometimes' })).toThrow(
      "reset must be one of windowed, ema, none, got 'sometimes'. Default: windowed.",
    );
  });

  it('accepts exactly the crop sizes that are multiples of 8 and fit the image side', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 512 }), (s) => {
        const run = () => parseOptions({ cropSize: String(s), imageSide: '512' });
        if (s % CROP_MULTIPLE === 0) expect(run().cropSize).toBe(s);
        else expect(run).toThrow(/must be a multiple of 8/);
      }),
    );
    expect(() => parseOptions({ cropSize: '20' })).toThrow(/Use 16 or 24\./);
    expect(() => parseOptions({ cropSize: '256', imageSide: '128' })).toThrow(
      /larger than the image side \(imageSide\) = 128/,
    );
  });
});
