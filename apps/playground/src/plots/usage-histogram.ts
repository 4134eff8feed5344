import { seriesStyle } from './palette';
import { axes, DEFAULT_FRAME, escapeXml, type Frame, linearScale, niceTicks, openSvg } from './svg';

/** Largest number of bars drawn; with more codes, consecutive ranks are summed into one bar. */
const MAX_BARS = 128;

/**
 * Codebook usage of one level as SVG: codes sorted from most to least used (rank on x, share of
 * assignments on y), so collapse shows as a short head and a long flat tail of dead codes.
 * @param counts per-code assignment counts `[K]` over the plotted interval.
 */
export function usageHistogramSvg(
  counts: ArrayLike<number>,
  options: {
    title: string;
    /** Short name shown in the corner (the level: `single`, `bottom`, `top`). */
    label: string;
    /** Series index: picks the level's colour, as in the other plots. */
    level: number;
    frame?: Frame;
  },
): string {
  const frame = options.frame ?? DEFAULT_FRAME;
  const k = counts.length;
  const sorted = Array.from(counts).sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0);
  const perBar = Math.max(1, Math.ceil(k / MAX_BARS));
  const bars: number[] = [];
  for (let i = 0; i < k; i += perBar) {
    let sum = 0;
    for (let j = i; j < Math.min(k, i + perBar); j++) sum += sorted[j]!;
    bars.push(total > 0 ? sum / total : 0);
  }
  const used = sorted.filter((c) => c > 0).length;
  const top = Math.max(...bars, 1e-9);
  const sx = linearScale([0, bars.length], [frame.left, frame.width - frame.right]);
  const sy = linearScale([0, top], [frame.height - frame.bottom, frame.top]);
  const style = seriesStyle(options.level);
  const width = Math.max(0.5, sx(1) - sx(0) - 0.5);
  const parts = [
    openSvg(
      frame,
      options.title,
      `${used} of ${k} codes used; the most used code has ${((sorted[0] ?? 0) / Math.max(total, 1e-30)).toFixed(3)} of ${total} assignments.`,
    ),
  ];
  bars.forEach((b, i) => {
    const y = sy(b);
    parts.push(
      `<rect x="${sx(i).toFixed(1)}" y="${y.toFixed(1)}" width="${width.toFixed(2)}" height="${(frame.height - frame.bottom - y).toFixed(1)}" fill="${style.color}"/>`,
    );
  });
  const rankTicks = niceTicks(0, k).filter((t) => t <= k);
  const rankScale = linearScale([0, k], [frame.left, frame.width - frame.right]);
  parts.push(
    axes(
      frame,
      {
        ticks: rankTicks,
        scale: rankScale,
        label: `code rank (${perBar > 1 ? `${perBar} per bar, ` : ''}most used first)`,
      },
      { ticks: niceTicks(0, top), scale: sy, label: 'share' },
    ),
  );
  parts.push(
    `<text x="${frame.width - frame.right}" y="${frame.top / 2}" dominant-baseline="middle" text-anchor="end">${escapeXml(options.label)}: ${used}/${k} used</text></svg>`,
  );
  return parts.join('');
}
