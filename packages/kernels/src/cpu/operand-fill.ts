/**
 * The operand copies of the direct and Winograd convolutions — the zero-padded input, dy, the
 * packed or transformed weights — as a list of {@link FillPiece}s cut into units: the calling
 * thread runs them all before a convolution on one thread; the worker pool runs them as the first
 * units of the convolution's job (`jobs.ts`), on every thread, before any unit of the convolution
 * itself. A copy is a copy whoever makes it, so the results stay bit-identical for any thread
 * count. The pieces and their units depend on the geometry alone. Shipped to the worker threads
 * (`worker-source.ts`): no module-level references except other shipped functions.
 */
import type { ConvGeometry } from './conv-geometry';
import {
  copyPaddedRows,
  directKinds,
  directOperands,
  forwardLayout,
  inputGradPlan,
  type PaddedLayout,
  packPanels,
  packPhaseWeights,
} from './direct-conv-layout';
import { winogradOperands, winogradPlan, winogradWeights } from './winograd-conv';
import { winogradFilterPlan } from './winograd-filter';

/** Kinds of {@link FillPiece} (a function so worker threads get them). */
export function fillPieceKinds() {
  return {
    /** A `[batch, h, w, C]` operand zero-padded into a {@link PaddedLayout}; units: bands of padded rows. */
    padded: 0,
    /** An operand copied as it is, then zeros up to `end`; units: ranges of floats. */
    dense: 1,
    /** The forward weights `[fh · fw · inC, outC]` in panels of 8 columns (`packPanels`); one unit. */
    panels: 2,
    /** The input gradient's flipped weights per stride phase (`packPhaseWeights`); one unit. */
    phaseWeights: 3,
    /** The Winograd-transformed weights (`winogradWeights`); units: ranges of the outer channel loop. */
    winogradWeights: 4,
  } as const;
}

/**
 * Floats a unit of copying covers (at least; whole padded rows): 2¹⁶ floats, 256 KiB — a few tens
 * of microseconds, long enough that claiming it costs nothing in comparison, short enough that
 * the last unit keeps no thread waiting long. vqkit choice.
 */
export function fillUnitFloats(): number {
  return 2 ** 16;
}

/** One piece of a convolution's operand copies. */
export interface FillPiece {
  kind: number;
  /** The operand copied: 0 the first (`a`), 1 the second (`b`). */
  src: number;
  /** Where it goes, in floats from the operands' base. */
  at: number;
  /** Units of this piece. */
  units: number;
  /** `padded`: the operand's `h`, `w` and its layout; `dense`: the floats copied and the end of the zeros (from `at`); `winogradWeights`: whether flipped (input gradient). */
  h?: number;
  w?: number;
  layout?: PaddedLayout;
  floats?: number;
  end?: number;
  flip?: boolean;
}

/** A padded copy of `[batch, h, w, C]` into `layout` at `at`, in bands of whole padded rows. */
function paddedPiece(src: number, h: number, w: number, layout: PaddedLayout, at: number) {
  const rows = layout.batch * layout.H;
  const rowsPerUnit = Math.max(1, Math.ceil(fillUnitFloats() / (layout.W * layout.C)));
  const units = Math.max(1, Math.ceil(rows / rowsPerUnit));
  return { kind: fillPieceKinds().padded, src, at, units, h, w, layout };
}

/**
 * The operand copies of convolution `kind` (`directKinds()`) of geometry `g` on the direct path
 * (`winograd: false`; operands `(x, w)`, `(x, dy)`, `(dy, w)`, `directOperands` layout) or on the
 * Winograd path (`winograd: true`, `g` its forward geometry; `winogradOperands` /
 * `winogradFilterPlan` layout).
 */
export function fillPieces(kind: number, g: ConvGeometry, winograd: boolean): FillPiece[] {
  const D = directKinds();
  const P = fillPieceKinds();
  if (winograd) {
    const p = winogradPlan(g);
    if (kind === D.filter) {
      const F = winogradFilterPlan(g);
      return [
        paddedPiece(0, g.inH, g.inW, p.layout, F.operands.xp),
        paddedPiece(1, g.outH, g.outW, F.dy, F.operands.dyp),
      ];
    }
    const at = winogradOperands(g);
    const outer = kind === D.input ? g.outC : g.inC;
    const weights = {
      kind: P.winogradWeights,
      src: 1,
      at: at.wp,
      units: Math.min(outer, Math.ceil((16 * g.inC * g.outC) / fillUnitFloats())),
      flip: kind === D.input,
    };
    return [paddedPiece(0, g.inH, g.inW, p.layout, at.xp), weights];
  }
  const at = directOperands(kind, g);
  if (kind === D.input) {
    const layout = inputGradPlan(g).layout;
    return [
      paddedPiece(0, g.outH, g.outW, layout, at.xp),
      { kind: P.phaseWeights, src: 1, at: at.wp, units: 1 },
    ];
  }
  const x = paddedPiece(0, g.inH, g.inW, forwardLayout(g), at.xp);
  if (kind === D.forward) return [x, { kind: P.panels, src: 1, at: at.wp, units: 1 }];
  const floats = g.batch * g.outH * g.outW * g.outC;
  const units = Math.max(1, Math.ceil(floats / fillUnitFloats()));
  return [x, { kind: P.dense, src: 1, at: at.dy, units, floats, end: at.dw - at.dy }];
}

/** `[first, last)` of `total` items in part `u` of `parts` equal parts (the last one shorter). */
function partRange(total: number, parts: number, u: number): [number, number] {
  const per = Math.ceil(total / parts);
  return [Math.min(total, u * per), Math.min(total, (u + 1) * per)];
}

/**
 * Unit `u` of `piece` of a convolution of geometry `g`: copies from `src` (the piece's operand)
 * into `f32` (the kernels' memory) at `base + piece.at`.
 */
export function fillUnit(
  piece: FillPiece,
  g: ConvGeometry,
  src: Float32Array,
  f32: Float32Array,
  base: number,
  u: number,
): void {
  const P = fillPieceKinds();
  const at = base + piece.at;
  if (piece.kind === P.padded) {
    const L = piece.layout as PaddedLayout;
    const [r0, r1] = partRange(L.batch * L.H, piece.units, u);
    copyPaddedRows(src, piece.h!, piece.w!, L, f32, at, r0, r1);
    if (u === piece.units - 1) f32.fill(0, at + L.batch * L.H * L.W * L.C, at + L.floats);
  } else if (piece.kind === P.dense) {
    const [i0, i1] = partRange(piece.floats!, piece.units, u);
    f32.set(src.subarray(i0, i1), at + i0);
    if (u === piece.units - 1) f32.fill(0, at + piece.floats!, at + piece.end!);
  } else if (piece.kind === P.panels) {
    packPanels(src, g.fh * g.fw * g.inC, g.outC, f32, at);
  } else if (piece.kind === P.phaseWeights) {
    packPhaseWeights(src, g, f32, at);
  } else {
    const outer = piece.flip ? g.outC : g.inC;
    winogradWeights(src, g, piece.flip!, f32, at, partRange(outer, piece.units, u));
  }
}

/**
 * Units `[u0, u1)` of the operand copies `pieces` (numbered across the pieces, in order) from the
 * operands `ops` (`[a, b]`) into `f32` from `base`.
 */
export function fillUnits(
  pieces: readonly FillPiece[],
  g: ConvGeometry,
  ops: readonly Float32Array[],
  f32: Float32Array,
  base: number,
  u0: number,
  u1: number,
): void {
  let first = 0;
  for (const piece of pieces) {
    const from = Math.max(u0, first);
    const to = Math.min(u1, first + piece.units);
    for (let u = from; u < to; u++) {
      fillUnit(piece, g, ops[piece.src] as Float32Array, f32, base, u - first);
    }
    first += piece.units;
  }
}

/** Units of `pieces` in all. */
export function fillUnitCount(pieces: readonly FillPiece[]): number {
  return pieces.reduce((sum, p) => sum + p.units, 0);
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const FILL_WORKER_FUNCTIONS = [
  fillPieceKinds,
  fillUnitFloats,
  paddedPiece,
  fillPieces,
  partRange,
  fillUnit,
  fillUnits,
  fillUnitCount,
];
