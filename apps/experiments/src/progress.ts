/** What the progress display shows for one logged step. */
export interface ProgressSnapshot {
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  loss: number;
  psnr: number;
  /** Perplexity per level over the last log interval, e.g. { bottom: 812.4, top: 640.1 }. */
  perplexity: Record<string, number>;
  imagesPerSecond: number;
  /** Seconds until the run ends at the current speed (NaN while unknown). */
  etaSeconds: number;
  /** What `step` counts. @default 'step' (e.g. 'images' during evaluation) */
  unit?: string;
}

/** A writable stream as far as the progress display is concerned. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Formats seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** One human-readable status line. */
export function formatProgress(p: ProgressSnapshot, width?: number): string {
  const pct = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
  const ppl = Object.entries(p.perplexity)
    .map(([name, v]) => `ppl[${name}] ${fmt(v, 1)}`)
    .join(' ');
  const parts = [
    `${p.unit ?? 'step'} ${p.step}/${p.totalSteps}`,
    p.epochs > 1 || p.unit === undefined ? `ep ${p.epoch + 1}/${p.epochs}` : '',
    Number.isFinite(p.loss) ? `loss ${p.loss.toExponential(3)}` : '',
    Number.isFinite(p.psnr) ? `PSNR ${fmt(p.psnr, 2)} dB` : '',
    ppl,
    `${fmt(p.imagesPerSecond, 1)} img/s`,
    Number.isFinite(p.etaSeconds) ? `ETA ${formatDuration(p.etaSeconds)}` : '',
  ];
  const stats = parts.filter((x) => x.length > 0).join(' ');
  if (width === undefined) return `${(pct * 100).toFixed(1).padStart(5)}% ${stats}`;
  const barWidth = 20;
  const filled = Math.round(pct * barWidth);
  const line = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${stats}`;
  return line.length > width ? line.slice(0, Math.max(0, width - 1)) : line;
}

/**
 * Training progress on stderr: on a TTY a single bar line rewritten in place; otherwise one plain
 * line per update (so logs of batch jobs stay readable). `quiet` silences it entirely.
 */
export class ProgressDisplay {
  private active = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly quiet = false,
  ) {}

  update(p: ProgressSnapshot): void {
    if (this.quiet) return;
    if (this.stream.isTTY) {
      const columns = this.stream.columns ?? 0;
      const width = columns >= 40 ? columns : 100;
      this.stream.write(`\r\x1b[2K${formatProgress(p, width)}`);
      this.active = true;
    } else {
      this.stream.write(`${formatProgress(p)}\n`);
    }
  }

  /** Prints a message on its own line (ending an in-place bar first). */
  message(text: string): void {
    if (this.quiet) return;
    this.end();
    this.stream.write(`${text}\n`);
  }

  /** Ends the in-place bar line. */
  end(): void {
    if (this.active) {
      this.stream.write('\n');
      this.active = false;
    }
  }
}
