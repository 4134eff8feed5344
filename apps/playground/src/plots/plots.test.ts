import { describe, expect, it } from 'vitest';
import { linePlotSvg } from './line-plot';
import { lorenzPlotSvg } from './lorenz-plot';
import { SERIES_STYLES } from './palette';
import { escapeXml, niceTicks } from './svg';
import { usageHistogramSvg } from './usage-histogram';

const count = (svg: string, needle: string) => svg.split(needle).length - 1;

describe('linePlotSvg', () => {
  const svg = linePlotSvg({
    title: 'PSNR <dB>',
    xLabel: 'step',
    yLabel: 'PSNR',
    series: [
      {
        name: 'whole photo',
        points: [
          [1, 10],
          [10, 14],
          [20, 17.5],
        ],
      },
      {
        name: 'batch',
        points: [
          [1, 11],
          [20, 18],
        ],
      },
    ],
    events: [{ x: 12, label: 'step 12: 3 codes reset' }],
  });

  it('is an accessible image whose description states the last values', () => {
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-label="PSNR &lt;dB&gt;"/);
    expect(svg).toContain(
      '<desc>whole photo: 17.5 at 20; batch: 18 at 20; 1 reset event(s)</desc>',
    );
  });

  it('gives every series its own colour, dash and marker, and draws the events', () => {
    expect(count(svg, 'class="series"')).toBe(2);
    expect(svg).toContain(`stroke="${SERIES_STYLES[0].color}"`);
    expect(svg).toContain(`stroke-dasharray="${SERIES_STYLES[1].dash}"`);
    expect(count(svg, '<circle')).toBeGreaterThan(0);
    expect(count(svg, '<rect')).toBeGreaterThan(0);
    expect(count(svg, 'class="event"')).toBe(1);
    expect(svg).toContain('<title>step 12: 3 codes reset</title>');
    expect(svg).toContain('codes reset</text>');
  });

  it('draws nothing for empty or non-finite series without failing', () => {
    const empty = linePlotSvg({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [{ name: 'a', points: [[1, Number.NaN]] }],
    });
    expect(count(empty, 'class="series"')).toBe(0);
    expect(empty).toContain('</svg>');
  });
});

describe('usageHistogramSvg', () => {
  it('sorts codes by use and bins large codebooks into at most 128 bars', () => {
    const counts = new Float32Array(1000);
    counts[7] = 30;
    counts[3] = 10;
    const svg = usageHistogramSvg(counts, { title: 'usage', label: 'top', level: 0 });
    expect(count(svg, '<rect')).toBe(Math.ceil(1000 / 8));
    expect(svg).toContain('top: 2/1000 used');
    expect(svg).toContain('2 of 1000 codes used; the most used code has 0.750 of 40 assignments.');
  });
});

describe('lorenzPlotSvg', () => {
  it('draws the line of equality and one curve per level that has counts', () => {
    const svg = lorenzPlotSvg(
      [
        { name: 'bottom', counts: [1, 1, 1, 1] },
        { name: 'top', counts: [0, 0, 0, 8] },
        { name: 'empty', counts: [0, 0] },
      ],
      { title: 'Lorenz' },
    );
    expect(count(svg, 'class="equality"')).toBe(1);
    expect(count(svg, 'class="series"')).toBe(2);
    expect(svg).toContain('top: 1 at 1');
  });
});

describe('svg helpers', () => {
  it('escapes markup and picks round ticks', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(niceTicks(0, 47)).toEqual([0, 20, 40]);
    expect(niceTicks(13.2, 17.9)).toEqual([14, 16]);
    expect(niceTicks(0, 1)).toEqual([0, 0.5, 1]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });
});
