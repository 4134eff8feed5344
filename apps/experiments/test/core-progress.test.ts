import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatProgress,
  ProgressDisplay,
  type ProgressSnapshot,
} from '../src/progress';

const snap: ProgressSnapshot = {
  step: 50,
  totalSteps: 200,
  epoch: 1,
  epochs: 4,
  loss: 0.0123,
  psnr: 27.456,
  perplexity: { bottom: 812.44, top: 640.1 },
  imagesPerSecond: 31.25,
  etaSeconds: 3725,
};

function sink(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (t: string) => writes.push(t) } };
}

describe('progress display', () => {
  it('shows step, loss, PSNR, per-level perplexity, img/s and ETA', () => {
    const line = formatProgress(snap);
    expect(line).toBe(
      ' 25.0% step 50/200 ep 2/4 loss 1.230e-2 PSNR 27.46 dB ppl[bottom] 812.4 ppl[top] 640.1 31.3 img/s ETA 1h02m',
    );
  });

  it('writes plain lines when stderr is not a TTY', () => {
    const { writes, stream } = sink(false);
    const p = new ProgressDisplay(stream);
    p.update(snap);
    p.update({ ...snap, step: 60 });
    p.message('done');
    expect(writes).toHaveLength(3);
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
  });

  it('rewrites one bar line in place on a TTY, within the terminal width', () => {
    const { writes, stream } = sink(true, 80);
    const p = new ProgressDisplay(stream);
    p.update(snap);
    p.update({ ...snap, step: 100 });
    p.message('epoch 2/4: val MSE …');
    expect(writes[0]!.startsWith('\r\x1b[2K[#####...............]')).toBe(true);
    expect(writes[1]!.startsWith('\r\x1b[2K[##########..........]')).toBe(true);
    for (const w of writes.slice(0, 2)) expect(w.length - '\r\x1b[2K'.length).toBeLessThan(80);
    expect(writes.slice(2)).toEqual(['\n', 'epoch 2/4: val MSE …\n']);
  });

  it('prints nothing when quiet', () => {
    const { writes, stream } = sink(true, 80);
    const p = new ProgressDisplay(stream, true);
    p.update(snap);
    p.message('x');
    p.end();
    expect(writes).toEqual([]);
  });

  it('formats durations', () => {
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(Number.NaN)).toBe('--');
  });
});
