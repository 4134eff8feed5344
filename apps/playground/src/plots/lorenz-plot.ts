import { lorenzCurve } from '@vqkit/metrics';
import { linePlotSvg } from './line-plot';
import { REFERENCE_COLOR } from './palette';
import { DEFAULT_FRAME, type Frame, linearScale } from './svg';

/** At most this many points per curve (the Lorenz curve is convex, so sub-sampling keeps its shape). */
const MAX_POINTS = 200;

/**
 * Lorenz curves of code usage (paper Fig. 3), one per level, over the line of equality: the
 * closer a curve is to the diagonal, the more evenly the codebook is used.
 * @param levels per level, its name and per-code counts `[K]` (all-zero levels are skipped).
 */
export function lorenzPlotSvg(
  levels: readonly { name: string; counts: ArrayLike<number> }[],
  options: { title: string; frame?: Frame },
): string {
  const frame = options.frame ?? DEFAULT_FRAME;
  const series = levels
    .filter((l) => Array.from(l.counts).some((c) => c > 0))
    .map((l) => {
      const { x, y } = lorenzCurve(l.counts);
      const every = Math.max(1, Math.ceil(x.length / MAX_POINTS));
      const points = x
        .map((xi, i) => [xi, y[i]!] as const)
        .filter((_, i) => i % every === 0 || i === x.length - 1);
      return { name: l.name, points };
    });
  const svg = linePlotSvg({
    title: options.title,
    xLabel: 'fraction of codes (least used first)',
    yLabel: 'share of assignments',
    series,
    xDomain: [0, 1],
    yDomain: [0, 1],
    frame,
  });
  const sx = linearScale([0, 1], [frame.left, frame.width - frame.right]);
  const sy = linearScale([0, 1], [frame.height - frame.bottom, frame.top]);
  const diagonal = `<line class="equality" x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="${REFERENCE_COLOR}" stroke-dasharray="4 4"/>`;
  // The diagonal goes right after the description, under the curves.
  return svg.replace('</desc>', `</desc>${diagonal}`);
}
