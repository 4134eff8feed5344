import { checkMatched } from '@vqkit/capacity';
import { describe, expect, it } from 'vitest';
import { capacitySummary, describeConfig, latentSides } from './capacity-summary';
import { PlaygroundError } from './errors';
import { defaultOptions } from './options';

describe('capacitySummary', () => {
  it('matches a hierarchical model to its single-level partner (eqs. 4–5)', () => {
    const o = { ...defaultOptions(), architecture: 'hierarchical' as const, cropSize: 64 };
    const s = capacitySummary(o);
    // 16×16 + 8×8, Ch 32, Kh 256, Dh 8 → 16×16, Cs = 32·(256 + 64)/256 = 40, Ks = 2·256 = 512.
    expect(s.partner).toEqual({
      height: 16,
      width: 16,
      channels: 40,
      codebookSize: 512,
      codeDim: 8,
    });
    expect(s.bitsPerImage).toEqual({ trained: (256 + 64) * 8, partner: 256 * 9 });
    expect(s.bitsPerPixel.trained).toBeCloseTo(2560 / 4096, 12);
    expect(checkMatched(s.pair.single, s.pair.hierarchical).matched).toBe(true);
  });

  it('matches a single-level model to its hierarchical partner with the chosen partner D', () => {
    const o = {
      ...defaultOptions(),
      architecture: 'single' as const,
      channels: 40,
      codebookSize: 512,
      codeDim: 8,
      partnerCodeDim: 16,
      cropSize: 32,
    };
    const s = capacitySummary(o);
    expect(s.partner).toEqual({
      bottom: { height: 8, width: 8 },
      top: { height: 4, width: 4 },
      channels: 32,
      codebookSize: 128,
      codeDim: 16,
    });
    expect(s.bitsPerImage.trained).toBe(64 * 9);
  });

  it('explains an unmatched K/D pair with the capacity package’s nearest valid inputs', () => {
    const o = { ...defaultOptions(), codebookSize: 100, codeDim: 8, partnerCodeDim: 3 };
    let error: unknown;
    try {
      capacitySummary(o);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlaygroundError);
    expect((error as PlaygroundError).code).toBe('unmatched-pair');
    expect((error as Error).message).toMatch(
      /No capacity-matched partner for this hierarchical model: .*Nearest valid/,
    );
  });

  it('explains channels that give no integer partner width', () => {
    const o = { ...defaultOptions(), architecture: 'single' as const, channels: 42 };
    expect(() => capacitySummary(o)).toThrow(
      /No capacity-matched partner for this single-level model/,
    );
  });
});

describe('describeConfig / latentSides', () => {
  it('reads like the paper', () => {
    expect(latentSides(64)).toEqual({ bottom: 16, top: 8 });
    expect(
      describeConfig({ height: 16, width: 16, channels: 40, codebookSize: 512, codeDim: 8 }),
    ).toBe('single-level: 16×16, C 40, K 512, D 8');
  });
});
