/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Plot frame: the SVG's size and the inner drawing area's margins. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_FRAME: Frame = {
  width: 380,
  height: 220,
  left: 48,
  right: 12,
  top: 30,
  bottom: 36,
};

/** A linear map from a data interval onto a pixel interval (a degenerate domain maps to its middle). */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (!(span > 0)) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** A round step (1, 2 or 5 × 10ⁿ) giving about `count` intervals over [lo, hi]. */
function niceStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
}

/** [lo, hi] widened to the nearest round ticks, so the axis has labelled ends. */
export function niceDomain(lo: number, hi: number, count = 4): [number, number] {
  if (!(hi > lo)) return [lo, hi];
  const step = niceStep(lo, hi, count);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 4): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(lo, hi, count);
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/** A tick label: up to 3 significant digits, no exponent for ordinary sizes. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

/** Axes with ticks and labels for a frame, as SVG markup. */
export function axes(
  frame: Frame,
  x: { ticks: number[]; scale: (v: number) => number; label: string },
  y: { ticks: number[]; scale: (v: number) => number; label: string },
): string {
  const x0 = frame.left;
  const x1 = frame.width - frame.right;
  const y0 = frame.height - frame.bottom;
  const y1 = frame.top;
  const parts = [`<path d="M${x0},${y1}V${y0}H${x1}" fill="none" stroke="#333" stroke-width="1"/>`];
  for (const t of x.ticks) {
    const px = x.scale(t).toFixed(1);
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + 4}" stroke="#333"/>`,
      `<text x="${px}" y="${y0 + 15}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  for (const t of y.ticks) {
    const py = y.scale(t).toFixed(1);
    parts.push(
      `<line x1="${x0 - 4}" x2="${x0}" y1="${py}" y2="${py}" stroke="#333"/>`,
      `<text x="${x0 - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${(x0 + x1) / 2}" y="${frame.height - 4}" text-anchor="middle">${escapeXml(x.label)}</text>`,
    `<text transform="translate(11 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(y.label)}</text>`,
  );
  return parts.join('');
}

/** Opens an accessible SVG: `role="img"`, a `<title>` and a `<desc>` that states the values. */
export function openSvg(frame: Frame, title: string, description: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${frame.width} ${frame.height}" ` +
    `width="${frame.width}" height="${frame.height}" role="img" aria-label="${escapeXml(title)}" ` +
    `font-family="system-ui, sans-serif" font-size="11">` +
    `<title>${escapeXml(title)}</title><desc>${escapeXml(description)}</desc>`
  );
}
