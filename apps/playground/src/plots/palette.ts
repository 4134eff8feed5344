/**
 * Okabe & Ito's colour-blind-safe palette (Color Universal Design, 2008). Every series also gets
 * its own dash pattern and marker shape, so no plot relies on colour alone.
 */
export const SERIES_STYLES = [
  { color: '#0072B2', dash: '', marker: 'circle' }, // blue
  { color: '#D55E00', dash: '6 3', marker: 'square' }, // vermillion
  { color: '#009E73', dash: '2 2', marker: 'triangle' }, // bluish green
  { color: '#CC79A7', dash: '8 3 2 3', marker: 'diamond' }, // reddish purple
] as const;

/** Reset-event markers: Okabe–Ito orange, dotted, distinct from every series style. */
export const EVENT_COLOR = '#E69F00';

/** Reference lines (the Lorenz curve's line of equality) and axes. */
export const REFERENCE_COLOR = '#777777';

export type SeriesStyle = (typeof SERIES_STYLES)[number];

/** The style of the i-th series (cycling). */
export function seriesStyle(i: number): SeriesStyle {
  return SERIES_STYLES[i % SERIES_STYLES.length]!;
}
