import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { runtimeError } from '../config/errors';

/** Files written for one figure. */
export interface FigureFiles {
  /** The vega-lite spec (data inlined), so the figure can be restyled or re-rendered elsewhere. */
  spec: string;
  svg: string;
  png: string;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** Shared look: white background, readable fonts, no chart border. */
export const BASE_CONFIG = {
  background: 'white',
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.4 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 13, anchor: 'start' },
} as const;

/** Colours of the two architectures, identical in every figure. */
export const ARCHITECTURE_SCALE = {
  domain: ['single', 'hierarchical'],
  range: ['#1f77b4', '#d62728'],
};

/** Splits `text` into lines of at most `width` characters at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Characters per subtitle line, so a long note never makes a figure wider than its plot. */
const SUBTITLE_WIDTH = 90;

/** A figure subtitle: what the marks show, then the scale note (demo scale …) when there is one, wrapped. */
export function subtitle(what: string, note?: string | null): string[] {
  return [what, ...(note ? [note] : [])].flatMap((t) => wrap(t, SUBTITLE_WIDTH));
}

/** Renders a vega-lite spec headlessly to SVG (vega `renderer: 'none'`). */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG with resvg at `scale`× (system fonts, DejaVu Sans as fallback). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return resvg.render().asPng();
}

/**
 * Writes `<base>.vl.json`, `<base>.svg` and `<base>.png` for a vega-lite spec.
 * @throws ExperimentsError (exit 1) naming the figure when vega cannot render the spec.
 */
export async function writeFigure(spec: TopLevelSpec, base: string): Promise<FigureFiles> {
  const files = { spec: `${base}.vl.json`, svg: `${base}.svg`, png: `${base}.png` };
  writeFileSync(files.spec, `${JSON.stringify(spec, null, 2)}\n`);
  let svg: string;
  try {
    svg = await specToSvg(spec);
  } catch (error) {
    throw runtimeError(
      `report: rendering ${files.spec} with vega failed: ${(error as Error).message}. The spec is kept for inspection.`,
      error,
    );
  }
  writeFileSync(files.svg, svg);
  writeFileSync(files.png, svgToPng(svg));
  return files;
}

/** Figure 1 (top) input: MSE of one (rung, architecture) over its runs (seeds). */
export interface LadderMseDatum {
  rung: string;
  architecture: 'single' | 'hierarchical';
  /** Mean over runs of each run's mean MSE. */
  mse: number;
  /** Sample std across runs (seeds) of each run's mean MSE; NaN with one run. */
  seedStd: number;
  /** Std of MSE over evaluation images, pooled over the runs. */
  imageStd: number;
  psnr: number;
  bitsPerPixel: number;
  runs: number;
}

/** Figure 1 (middle) input: one point of a Lorenz curve. */
export interface LorenzDatum {
  series: string;
  architecture: 'single' | 'hierarchical';
  level: string;
  /** Cumulative fraction of codes (sorted by increasing use). */
  x: number;
  /** Cumulative share of assignments. */
  y: number;
}

/** Figure 1 (bottom) input: normalised perplexity of one level. */
export interface PerplexityDatum {
  rung: string;
  architecture: 'single' | 'hierarchical';
  level: string;
  normalizedPerplexity: number;
  perplexity: number;
  codebookSize: number;
}

/** Whisker ends `lo`/`hi` (± `spread`, clamped at 0), or null when the spread is not finite. */
function whisker(mean: number, spread: number): { lo: number; hi: number } | null {
  return Number.isFinite(spread) ? { lo: Math.max(0, mean - spread), hi: mean + spread } : null;
}

/**
 * Figure 1 (top): MSE per ablation rung, both architectures side by side; thin grey whiskers ± the
 * std over evaluation images, thick black whiskers ± the std across seeds (with ≥ 2 seeds).
 */
export function ladderMseSpec(
  data: LadderMseDatum[],
  rungs: string[],
  note?: string | null,
): TopLevelSpec {
  const rows = data.map((d) => {
    const img = whisker(d.mse, d.imageStd);
    const seed = whisker(d.mse, d.seedStd);
    return {
      ...d,
      imgLo: img?.lo ?? null,
      imgHi: img?.hi ?? null,
      seedLo: seed?.lo ?? null,
      seedHi: seed?.hi ?? null,
    };
  });
  return {
    $schema: SCHEMA,
    title: {
      text: 'Figure 1 (top): average reconstruction error per intervention',
      subtitle: subtitle(
        'bars: mean over seeds of each run’s mean MSE; thin grey whiskers: ± std over evaluation images; thick black: ± std across seeds (≥ 2 seeds)',
        note,
      ),
    },
    config: BASE_CONFIG,
    data: { values: rows },
    width: { step: 70 },
    height: 220,
    encoding: {
      x: {
        field: 'rung',
        type: 'nominal',
        sort: rungs,
        title: null,
        axis: { labelAngle: -20, labelLimit: 200 },
      },
      xOffset: { field: 'architecture', type: 'nominal', sort: ARCHITECTURE_SCALE.domain },
      color: {
        field: 'architecture',
        type: 'nominal',
        scale: ARCHITECTURE_SCALE,
        title: 'architecture',
      },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: { y: { field: 'mse', type: 'quantitative', title: 'MSE ↓' } },
      },
      {
        transform: [{ filter: 'datum.imgLo !== null' }],
        mark: { type: 'rule', strokeWidth: 1, opacity: 0.8 },
        encoding: {
          y: { field: 'imgLo', type: 'quantitative', title: 'MSE ↓' },
          y2: { field: 'imgHi' },
          color: { value: '#888888' },
        },
      },
      {
        transform: [{ filter: 'datum.seedLo !== null' }],
        mark: { type: 'rule', strokeWidth: 3 },
        encoding: {
          y: { field: 'seedLo', type: 'quantitative', title: 'MSE ↓' },
          y2: { field: 'seedHi' },
          color: { value: 'black' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Figure 1 (middle): Lorenz curves of code usage per rung and level, one panel per architecture. */
export function lorenzSpec(
  data: LorenzDatum[],
  series: string[],
  note?: string | null,
): TopLevelSpec {
  const diagonal = ARCHITECTURE_SCALE.domain.flatMap((architecture) =>
    [0, 1].map((v) => ({ series: 'uniform usage', architecture, level: '—', x: v, y: v })),
  );
  const present = new Set(data.map((d) => d.architecture));
  return {
    $schema: SCHEMA,
    title: {
      text: 'Figure 1 (middle): Lorenz curves of codebook usage',
      subtitle: subtitle(
        'codes sorted by use (curves averaged over seeds); closer to the diagonal = more uniform usage',
        note,
      ),
    },
    config: BASE_CONFIG,
    data: { values: [...diagonal.filter((d) => present.has(d.architecture as 'single')), ...data] },
    facet: {
      column: {
        field: 'architecture',
        type: 'nominal',
        sort: ARCHITECTURE_SCALE.domain,
        title: null,
      },
    },
    spec: {
      width: 240,
      height: 220,
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          title: 'cumulative fraction of codes',
          scale: { domain: [0, 1] },
        },
        y: {
          field: 'y',
          type: 'quantitative',
          title: 'cumulative share of assignments',
          scale: { domain: [0, 1] },
        },
        order: { field: 'x', type: 'quantitative' },
      },
      layer: [
        {
          transform: [{ filter: "datum.series === 'uniform usage'" }],
          mark: { type: 'line', strokeWidth: 1, color: '#999999', strokeDash: [2, 2] },
        },
        {
          transform: [{ filter: "datum.series !== 'uniform usage'" }],
          mark: { type: 'line', strokeWidth: 1.8 },
          encoding: {
            color: {
              field: 'series',
              type: 'nominal',
              sort: series,
              scale: {
                domain: series,
                range: [
                  '#9467bd',
                  '#ff7f0e',
                  '#2ca02c',
                  '#1f77b4',
                  '#8c564b',
                  '#e377c2',
                  '#17becf',
                ],
              },
              title: 'intervention',
            },
            strokeDash: {
              field: 'level',
              type: 'nominal',
              title: 'level',
              scale: {
                domain: ['single', 'bottom', 'top'],
                range: [
                  [1, 0],
                  [1, 0],
                  [5, 3],
                ],
              },
            },
            detail: { field: 'level', type: 'nominal' },
          },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Figure 1 (bottom): normalised perplexity (perplexity / K) per rung and level, one panel per architecture. */
export function perplexitySpec(
  data: PerplexityDatum[],
  rungs: string[],
  note?: string | null,
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: {
      text: 'Figure 1 (bottom): normalised perplexity per level',
      subtitle: subtitle(
        'perplexity / K: the fraction of the codebook used effectively (mean over seeds)',
        note,
      ),
    },
    config: BASE_CONFIG,
    data: { values: data },
    facet: {
      column: {
        field: 'architecture',
        type: 'nominal',
        sort: ARCHITECTURE_SCALE.domain,
        title: null,
      },
    },
    spec: {
      width: { step: 30 },
      height: 200,
      mark: { type: 'bar' },
      encoding: {
        x: {
          field: 'rung',
          type: 'nominal',
          sort: rungs,
          title: null,
          axis: { labelAngle: -30, labelLimit: 200 },
        },
        xOffset: { field: 'level', type: 'nominal', sort: ['single', 'bottom', 'top'] },
        y: {
          field: 'normalizedPerplexity',
          type: 'quantitative',
          title: 'normalised perplexity ↑',
          scale: { domain: [0, 1] },
        },
        color: {
          field: 'level',
          type: 'nominal',
          sort: ['single', 'bottom', 'top'],
          scale: { domain: ['single', 'bottom', 'top'], range: ['#1f77b4', '#d62728', '#ff9896'] },
        },
      },
    },
  } as TopLevelSpec;
}

/** Figure 2 input: one single-level cell of the K×D grid over its runs (seeds). */
export interface GridDatum {
  codebookSize: number;
  codeDim: number;
  /** Mean over runs of each run's mean PSNR. */
  psnr: number;
  /** Sample std across seeds of the runs' mean PSNR (NaN with one run). */
  psnrSeedStd: number;
  /** Std of PSNR over evaluation images, pooled over the runs. */
  psnrImageStd: number;
  mse: number;
  mseSeedStd: number;
  mseImageStd: number;
  bitsPerPixel: number;
  runs: number;
}

/**
 * Figure 2: PSNR and MSE over code dimension D, one line per codebook size K (single-level runs);
 * thin whiskers ± the std over evaluation images, thick ones ± the std across seeds (≥ 2 seeds).
 */
export function gridSpec(data: GridDatum[], note?: string | null): TopLevelSpec {
  const dims = [...new Set(data.map((d) => d.codeDim))].sort((a, b) => a - b);
  const bars = (
    field: 'psnr' | 'mse',
    title: string,
    spread: string,
    width: number,
    opacity: number,
  ) => ({
    transform: [
      { filter: `isFinite(datum.${spread})` },
      { calculate: `datum.${field} - datum.${spread}`, as: 'lo' },
      { calculate: `datum.${field} + datum.${spread}`, as: 'hi' },
    ],
    mark: { type: 'rule', strokeWidth: width, opacity },
    encoding: { y: { field: 'lo', type: 'quantitative', title }, y2: { field: 'hi' } },
  });
  const panel = (field: 'psnr' | 'mse', title: string) => ({
    width: 260,
    height: 220,
    encoding: {
      x: {
        field: 'codeDim',
        type: 'quantitative',
        title: 'code dimension Ds',
        scale: {
          type: 'log',
          base: 2,
          domain: [dims[0]!, dims[dims.length - 1]!],
          nice: false,
          padding: 12,
        },
        axis: { values: dims, format: 'd' },
      },
      y: { field, type: 'quantitative', title, scale: { zero: false, padding: 12 } },
      color: {
        field: 'K',
        type: 'ordinal',
        title: 'codebook size Ks',
        scale: { scheme: 'viridis' },
      },
    },
    layer: [
      { mark: { type: 'line' } },
      { mark: { type: 'point', filled: true, size: 50 } },
      bars(field, title, `${field}ImageStd`, 1, 0.35),
      bars(field, title, `${field}SeedStd`, 3, 0.9),
    ],
  });
  return {
    $schema: SCHEMA,
    title: {
      text: 'Figure 2: codebook size and dimension (single-level VQ-VAE)',
      subtitle: subtitle(
        'points: mean over seeds of each run’s mean over evaluation images; thin whiskers: ± std over images; thick: ± std across seeds (≥ 2 seeds)',
        note,
      ),
    },
    config: BASE_CONFIG,
    data: { values: data.map((d) => ({ ...d, K: d.codebookSize })) },
    hconcat: [panel('psnr', 'PSNR (dB) ↑'), panel('mse', 'MSE ↓')],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}
