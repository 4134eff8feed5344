import { EVENT_COLOR, type SeriesStyle, seriesStyle } from './palette';
import {
  axes,
  DEFAULT_FRAME,
  escapeXml,
  type Frame,
  formatTick,
  linearScale,
  niceDomain,
  niceTicks,
  openSvg,
} from './svg';

/** One named line of points `[x, y]`. */
export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
}

/** A vertical event line (e.g. a dead-code reset at a step). */
export interface EventMark {
  x: number;
  label: string;
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Dotted vertical lines with a tooltip, drawn under the series. @default [] */
  events?: readonly EventMark[];
  /** Fixed x/y domains (default: the data's extent). */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  frame?: Frame;
}

function marker(style: SeriesStyle, x: number, y: number): string {
  const a = `fill="${style.color}"`;
  switch (style.marker) {
    case 'square':
      return `<rect x="${x - 2.5}" y="${y - 2.5}" width="5" height="5" ${a}/>`;
    case 'triangle':
      return `<path d="M${x},${y - 3.2}L${x + 3},${y + 2.2}L${x - 3},${y + 2.2}Z" ${a}/>`;
    case 'diamond':
      return `<path d="M${x},${y - 3.2}L${x + 3.2},${y}L${x},${y + 3.2}L${x - 3.2},${y}Z" ${a}/>`;
    default:
      return `<circle cx="${x}" cy="${y}" r="2.6" ${a}/>`;
  }
}

function extent(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/** Summary of each series' last point, for the plot's text description. */
function describe(series: readonly LineSeries[], events: readonly EventMark[]): string {
  const last = series.map((s) => {
    const p = s.points.at(-1);
    return p === undefined ? `${s.name}: no data` : `${s.name}: ${formatTick(p[1])} at ${p[0]}`;
  });
  const ev = events.length > 0 ? `; ${events.length} reset event(s)` : '';
  return `${last.join('; ')}${ev}`;
}

/**
 * A line plot as SVG markup: each series with its own colour, dash pattern and marker shape
 * (colour-blind safe), event lines, axes, a legend, and a text description of the last values.
 */
export function linePlotSvg(o: LinePlotOptions): string {
  const frame = o.frame ?? DEFAULT_FRAME;
  const events = o.events ?? [];
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const xDomain = o.xDomain ?? extent(xs, [0, 1]);
  const yDomain = o.yDomain ?? niceDomain(...extent(ys, [0, 1]));
  const xTicks = niceTicks(xDomain[0], xDomain[1]);
  const yTicks = niceTicks(yDomain[0], yDomain[1]);
  const sx = linearScale(xDomain, [frame.left, frame.width - frame.right]);
  const sy = linearScale(yDomain, [frame.height - frame.bottom, frame.top]);
  const parts = [openSvg(frame, o.title, describe(o.series, events))];
  // Events are short ticks hanging from the top of the plot area, so many of them stay readable.
  for (const e of events) {
    if (e.x < xDomain[0] || e.x > xDomain[1]) continue;
    const px = sx(e.x).toFixed(1);
    parts.push(
      `<line class="event" x1="${px}" x2="${px}" y1="${frame.top}" y2="${frame.top + 9}" ` +
        `stroke="${EVENT_COLOR}" stroke-width="2"><title>${escapeXml(e.label)}</title></line>`,
    );
  }
  parts.push(
    axes(
      frame,
      { ticks: xTicks, scale: sx, label: o.xLabel },
      { ticks: yTicks, scale: sy, label: o.yLabel },
    ),
  );
  o.series.forEach((s, i) => {
    const style = seriesStyle(i);
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    if (pts.length === 0) return;
    const d = pts.map(
      (p, j) => `${j === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`,
    );
    parts.push(
      `<path class="series" d="${d.join('')}" fill="none" stroke="${style.color}" stroke-width="2"` +
        `${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`,
    );
    const every = Math.max(1, Math.ceil(pts.length / 12));
    pts.forEach((p, j) => {
      if (j % every === 0 || j === pts.length - 1) parts.push(marker(style, sx(p[0]), sy(p[1])));
    });
  });
  parts.push(
    legend(
      frame,
      o.series.map((s) => s.name),
      events.length > 0,
    ),
  );
  parts.push('</svg>');
  return parts.join('');
}

/** Legend in one row above the plot area: a short styled line and marker per series, then events. */
function legend(frame: Frame, names: readonly string[], withEvents: boolean): string {
  const y = 11;
  let x = frame.left;
  const parts: string[] = [];
  names.forEach((name, i) => {
    const style = seriesStyle(i);
    parts.push(
      `<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${style.color}" stroke-width="2"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`,
      marker(style, x + 9, y),
      `<text x="${x + 22}" y="${y}" dominant-baseline="middle">${escapeXml(name)}</text>`,
    );
    x += 34 + name.length * 6;
  });
  if (withEvents) {
    parts.push(
      `<line x1="${x + 9}" x2="${x + 9}" y1="${y - 5}" y2="${y + 4}" stroke="${EVENT_COLOR}" stroke-width="2"/>`,
      `<text x="${x + 16}" y="${y}" dominant-baseline="middle">codes reset</text>`,
    );
  }
  return parts.join('');
}
