import * as tf from '@tensorflow/tfjs-core';
import { psnrFromMse } from '@vqkit/metrics';
import type { BackendInfo } from '../backend';
import { DATA_RANGE } from '../defaults';
import { linePlotSvg } from '../plots/line-plot';
import { lorenzPlotSvg } from '../plots/lorenz-plot';
import { DEFAULT_FRAME } from '../plots/svg';
import { usageHistogramSvg } from '../plots/usage-histogram';
import type { EvalRecord, ResetRecord, StepRecord } from '../run-record';

/** The page elements the live view writes to (looked up once by id). */
export interface LiveElements {
  status: HTMLElement;
  backend: HTMLElement;
  step: HTMLElement;
  stepsTotal: HTMLElement;
  psnr: HTMLElement;
  perplexity: HTMLElement;
  reconstruction: HTMLCanvasElement;
  psnrPlot: HTMLElement;
  perplexityPlot: HTMLElement;
  usagePlot: HTMLElement;
  lorenzPlot: HTMLElement;
}

export type RunState = 'idle' | 'starting' | 'training' | 'finished' | 'stopped' | 'failed';

/** Looks up {@link LiveElements} by their ids in index.html. */
export function liveElements(doc: Document): LiveElements {
  const get = <T extends HTMLElement>(id: string) => {
    const el = doc.getElementById(id);
    if (el === null) throw new Error(`index.html has no element #${id}`);
    return el as T;
  };
  return {
    status: get('status'),
    backend: get('backend-name'),
    step: get('step'),
    stepsTotal: get('steps-total'),
    psnr: get('psnr'),
    perplexity: get('perplexity'),
    reconstruction: get<HTMLCanvasElement>('reconstruction-canvas'),
    psnrPlot: get('psnr-plot'),
    perplexityPlot: get('perplexity-plot'),
    usagePlot: get('usage-plot'),
    lorenzPlot: get('lorenz-plot'),
  };
}

/** Shows a run as it happens: status line, reconstruction, PSNR/perplexity curves, usage plots. */
export class LiveView {
  private steps: StepRecord[] = [];
  private evals: EvalRecord[] = [];
  private resets: ResetRecord[] = [];

  constructor(private readonly el: LiveElements) {}

  /** Marks a run as starting (backend and model being set up): the step count restarts at 0. */
  prepare(): void {
    this.setStep(0);
    this.setState('starting');
  }

  /** Clears everything for a new run of `totalSteps` steps. */
  start(totalSteps: number, backend: BackendInfo): void {
    this.steps = [];
    this.evals = [];
    this.resets = [];
    const skipped = backend.skipped.length > 0 ? ` (skipped ${backend.skipped.join('; ')})` : '';
    this.el.backend.textContent = `${backend.name}${skipped}`;
    this.el.backend.dataset.backend = backend.name;
    this.el.stepsTotal.textContent = String(totalSteps);
    this.setStep(0);
    this.el.psnr.textContent = '–';
    delete this.el.psnr.dataset.value;
    this.el.perplexity.textContent = '–';
    for (const plot of [
      this.el.psnrPlot,
      this.el.perplexityPlot,
      this.el.usagePlot,
      this.el.lorenzPlot,
    ])
      plot.replaceChildren();
    this.setState('training');
  }

  setState(state: RunState): void {
    this.el.status.dataset.state = state;
  }

  step(record: StepRecord): void {
    this.steps.push(record);
    this.setStep(record.step);
  }

  reset(record: ResetRecord): void {
    this.resets.push(record);
  }

  /** Draws the reconstruction, updates the numbers and redraws every plot. */
  async evaluation(
    record: EvalRecord,
    picture: tf.Tensor4D,
    counts: Readonly<Record<string, Float32Array>>,
  ): Promise<void> {
    this.evals.push(record);
    const image = tf.squeeze(picture, [0]) as tf.Tensor3D;
    this.el.reconstruction.width = image.shape[1];
    this.el.reconstruction.height = image.shape[0];
    await tf.browser.toPixels(image, this.el.reconstruction);
    image.dispose();
    this.el.psnr.textContent = record.psnr.toFixed(2);
    this.el.psnr.dataset.value = String(record.psnr);
    this.el.psnr.dataset.step = String(record.step);
    this.showPerplexity(record);
    this.drawPlots(counts);
  }

  private setStep(step: number): void {
    this.el.step.textContent = String(step);
    this.el.step.dataset.step = String(step);
  }

  private showPerplexity(record: EvalRecord): void {
    const parts = Object.entries(record.usage).map(([level, u]) => {
      const span = document.createElement('span');
      span.className = 'level-perplexity';
      span.dataset.level = level;
      span.dataset.value = String(u.perplexity);
      span.textContent = `${level} ${u.perplexity.toFixed(1)}`;
      return span;
    });
    this.el.perplexity.replaceChildren();
    parts.forEach((span, i) => {
      if (i > 0) this.el.perplexity.append(' · ');
      this.el.perplexity.append(span);
    });
  }

  private drawPlots(counts: Readonly<Record<string, Float32Array>>): void {
    this.drawCurves();
    this.drawUsage(counts);
  }

  /** PSNR and perplexity over the steps so far, with the reset events as ticks. */
  private drawCurves(): void {
    const events = this.resets.map((r) => ({
      x: r.step,
      label: `step ${r.step}: ${r.codesReset} ${r.level} code(s) reset (${r.policy})`,
    }));
    const levels = this.evals.length > 0 ? Object.keys(this.evals.at(-1)!.usage) : [];
    const batchPsnr = (s: StepRecord) =>
      psnrFromMse(Math.max(s.reconstruction, 1e-12), DATA_RANGE.span);
    this.el.psnrPlot.innerHTML = linePlotSvg({
      title: 'PSNR (dB) over training steps',
      xLabel: 'step',
      yLabel: 'PSNR (dB)',
      series: [
        { name: 'whole photo', points: this.evals.map((e) => [e.step, e.psnr] as const) },
        { name: 'training batch', points: this.steps.map((s) => [s.step, batchPsnr(s)] as const) },
      ],
      events,
    });
    this.el.perplexityPlot.innerHTML = linePlotSvg({
      title: 'Perplexity per level over training steps',
      xLabel: 'step',
      yLabel: 'perplexity (codes)',
      series: levels.map((level) => ({
        name: level,
        points: this.evals.map((e) => [e.step, e.usage[level]?.perplexity ?? 0] as const),
      })),
      events,
    });
  }

  /** Per-level usage histograms and Lorenz curves of the counts since the previous evaluation. */
  private drawUsage(counts: Readonly<Record<string, Float32Array>>): void {
    const entries = Object.entries(counts);
    // Two levels share the figure: each histogram gets half the height.
    const frame = entries.length > 1 ? { ...DEFAULT_FRAME, height: 130, top: 22 } : DEFAULT_FRAME;
    this.el.usagePlot.innerHTML = entries
      .map(([level, c], i) =>
        usageHistogramSvg(c, {
          title: `Codebook usage, ${level} level, since the previous evaluation`,
          label: level,
          level: i,
          frame,
        }),
      )
      .join('');
    this.el.lorenzPlot.innerHTML = lorenzPlotSvg(
      entries.map(([name, c]) => ({ name, counts: c })),
      { title: 'Lorenz curve of code usage (closer to the diagonal = more even)' },
    );
  }
}
