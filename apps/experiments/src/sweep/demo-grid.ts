import type { RunConfig } from '../config/schema';
import { DEMO_DATA } from '../train/data';
import { type LadderDims, ladderCells } from './ladder-cells';
import { kxdCells, table1Cells } from './pair-cells';
import type { SweepCell } from './sweep-cell';

/**
 * What `vqkit demo` runs at demo scale on the bundled photos (vqkit choices, sized so the whole demo
 * stays well within 10 minutes on 2 cores):
 * - Figure 1: the ladder lowers D from 16 to 8 (the paper: 64 → 16 at Ch 128). At the demo's
 *   widths (Cs 40, Ch 32) D 64 would give the hierarchical side 94 % more trainable parameters (its
 *   decoder reads 2·D channels) and D 32 30 % more; at D 16 and 8 the sides differ by 8 % and 1 %.
 *   D 8 is the paper's best code dimension (§4.2), and it reports a sharp drop below it, so the
 *   factor is 2 rather than the paper's 4;
 * - Figure 2: the single-level model at 3 codebook sizes × 2 code dimensions (the paper: 4 × 5);
 * - Table 1: 2 matched pairs at D 8 with different K (the paper: 4 at D 8, 4 more at K 8192), on
 *   crops of at least 64² cut from the photos resized to twice the crop side (shorter side 128 px
 *   for 64² crops), so that a test crop shows a quarter of a photo and Figure 3 is recognisable;
 *   training, validation and test crops of a run share that scale.
 */
export const DEMO_STUDY = Object.freeze({
  ladder: { fromDim: 16, toDim: 8 },
  figure2: { codebookSizes: [64, 128, 256], codeDims: [8, 16] },
  table1: { codebookSizes: [128, 256], codeDim: 8, minSize: 64, photoSidePerCrop: 2 },
});

/**
 * The demo's Table 1 base: `base` on crops of at least {@link DEMO_STUDY}.table1.minSize; when
 * every split is the bundled photos, cut from them resized to `photoSidePerCrop` times the crop
 * side (`data.decodeShorterSide`; image folders are resized by data.transform instead).
 */
export function demoTable1Base(base: RunConfig): RunConfig {
  const { minSize, photoSidePerCrop } = DEMO_STUDY.table1;
  const config = structuredClone(base);
  config.data.size = Math.max(base.data.size, minSize);
  const { train, val, test } = config.data;
  if ([train, val, test ?? DEMO_DATA].every((source) => source === DEMO_DATA))
    config.data.decodeShorterSide = photoSidePerCrop * config.data.size;
  return config;
}

/**
 * The cells of `vqkit demo` on a base config (the `demo` preset): (a) Figure 1's ladder for both
 * architectures (`ladder-…`), (b) Figure 2's single-level grid (`fig2-single-K…-D…`), and
 * (c) Table 1's matched pairs at D 8 (`table1-single-…`, `table1-hier-…`) on larger crops.
 * Table 1 is built only from (c), Figure 2 only from (b), Figure 1 only from (a).
 */
export function demoCells(base: RunConfig, options: LadderDims = {}): SweepCell[] {
  const { ladder, figure2, table1 } = DEMO_STUDY;
  return [
    ...ladderCells(base, {
      fromDim: options.fromDim ?? ladder.fromDim,
      toDim: options.toDim ?? ladder.toDim,
    }),
    ...kxdCells(base, figure2.codebookSizes, figure2.codeDims, 'fig2-'),
    ...table1Cells(
      demoTable1Base(base),
      table1.codebookSizes.map((k): [number, number] => [k, table1.codeDim]),
      'kd',
      'table1-',
    ),
  ];
}
