/**
 * Where the direct convolutions (`direct-conv.ts`) find their operands in the kernels' memory, and
 * the copies that put them there: the zero-padded NHWC input, the weights packed in panels of 8
 * output channels (for the input gradient: per stride phase, flipped), dy and the dW block of the
 * filter gradient, each thread's output block. Shipped to the worker threads
 * (`worker-source.ts`): no module-level references except other shipped functions.
 */
import type { ConvGeometry } from './conv-geometry';

/** Tile sizes of the direct kernels (a function so worker threads get them). */
export function directBlocking() {
  return {
    /** Output pixels per tile of the forward / input-gradient kernel. */
    MR: 4,
    /** Patch entries (dW rows) per tile of the filter-gradient kernel. */
    FILTER_MR: 4,
    /** Output channels per panel (two f32x4). */
    NR: 8,
    /** Output pixels the filter gradient reduces per kernel call (at least; whole output rows). */
    FILTER_BLOCK_PIXELS: 256,
    /** Floats of a weight chunk the forward kernel keeps in L1 (16 KiB). */
    CHUNK_FLOATS: 4096,
  } as const;
}

/**
 * A zero-padded NHWC copy of a `[batch, h, w, c]` tensor: `H × W` per image, the original at rows
 * `top…`, columns `left…`; `floats` includes slack after the last image for the reads of the
 * partial last tile of a row (their results are discarded).
 */
export interface PaddedLayout {
  batch: number;
  H: number;
  W: number;
  C: number;
  top: number;
  left: number;
  floats: number;
}

/** A layout holding `[batch, h, w, c]` at `(top, left)` with at least `H × W` per image. */
export function paddedLayout(
  batch: number,
  dims: { h: number; w: number; c: number },
  top: number,
  left: number,
  H: number,
  W: number,
): PaddedLayout {
  const { MR, NR } = directBlocking();
  const h = Math.max(H, top + dims.h);
  const w = Math.max(W, left + dims.w);
  const slack = (MR + 1) * w * dims.c + 4 * NR;
  return { batch, H: h, W: w, C: dims.c, top, left, floats: batch * h * w * dims.c + slack };
}

/** The padded input of a forward convolution (and its filter gradient). */
export function forwardLayout(g: ConvGeometry): PaddedLayout {
  const H = (g.outH - 1) * g.sh + g.fh;
  const W = (g.outW - 1) * g.sw + g.fw;
  return paddedLayout(g.batch, { h: g.inH, w: g.inW, c: g.inC }, g.padTop, g.padLeft, H, W);
}

/**
 * Padded rows `[r0, r1)` (`r = b · H + Y`, every image's `H` rows in turn) of `src [batch, h, w, C]`
 * copied into `f32` at `at` as `layout`, their padding zeroed (the slack after the last image is
 * not touched).
 */
export function copyPaddedRows(
  src: Float32Array,
  h: number,
  w: number,
  layout: PaddedLayout,
  f32: Float32Array,
  at: number,
  r0: number,
  r1: number,
): void {
  const { H, W, C, top, left } = layout;
  const row = W * C;
  const inRow = w * C;
  for (let r = r0; r < r1; r++) {
    const b = Math.floor(r / H);
    const y = r - b * H - top;
    const dst = at + r * row;
    if (y < 0 || y >= h) {
      f32.fill(0, dst, dst + row);
      continue;
    }
    f32.fill(0, dst, dst + left * C);
    f32.set(src.subarray((b * h + y) * inRow, (b * h + y + 1) * inRow), dst + left * C);
    f32.fill(0, dst + left * C + inRow, dst + row);
  }
}

/** Panels of 8 columns of a `[rows, n]` matrix `m`: panel `j` at `at + j · rows · 8`, row-major, zero past `n`. */
export function packPanels(
  m: Float32Array,
  rows: number,
  n: number,
  f32: Float32Array,
  at: number,
): void {
  const NR = directBlocking().NR;
  const panels = Math.ceil(n / NR);
  for (let j = 0; j < panels; j++) {
    let o = at + j * rows * NR;
    const j0 = j * NR;
    const width = Math.min(NR, n - j0);
    for (let r = 0; r < rows; r++, o += NR) {
      const src = r * n + j0;
      for (let t = 0; t < width; t++) f32[o + t] = m[src + t]!;
      for (let t = width; t < NR; t++) f32[o + t] = 0;
    }
  }
}

/**
 * Tap rows per kernel call of a direct convolution whose tap rows are `rowLength` floats: as many
 * as keep the weight chunk (`rows · rowLength · 8` floats) in L1 while every tile of an output
 * row passes over it (at least one; a divisor of `tapRows`, so every call has the same shape).
 */
export function directChunkRows(tapRows: number, rowLength: number): number {
  const budget = Math.max(1, Math.floor(directBlocking().CHUNK_FLOATS / (8 * rowLength)));
  let rows = Math.min(tapRows, budget);
  while (tapRows % rows !== 0) rows--;
  return rows;
}

/** The dW block of a filter gradient: `[fh][rowTiles · FILTER_MR][8 · panels]` floats. */
export function filterBlockShape(g: ConvGeometry) {
  const { FILTER_MR, NR } = directBlocking();
  const rowLength = g.fw * g.inC;
  const rowTiles = Math.ceil(rowLength / FILTER_MR);
  const panels = Math.ceil(g.outC / NR);
  return {
    rowLength,
    rowTiles,
    tiles: g.fh * rowTiles,
    panels,
    ldw: panels * NR,
    floats: g.fh * rowTiles * FILTER_MR * panels * NR,
  };
}

/**
 * One stride phase along one axis of the input gradient: the dx indices `first + s · k`
 * (`k < count`) take the taps `r + s · t` (`t < taps`) of the dy indices `u + k − t`.
 */
export interface AxisPhase {
  taps: number;
  first: number;
  count: number;
  u: number;
}

/** The `s` phases along an axis of dx size `inSize`, filter size `f`, stride `s`, padding `pad` (residue r = index). */
export function axisPhases(inSize: number, f: number, s: number, pad: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const first = (((r - pad) % s) + s) % s;
    phases.push({
      taps: r < f ? Math.ceil((f - r) / s) : 0,
      first,
      count: first < inSize ? Math.ceil((inSize - first) / s) : 0,
      u: (first + pad - r) / s,
    });
  }
  return phases;
}

/**
 * The padded dy of an input gradient and where each phase's packed, flipped weights start:
 * phase `(ry, rx)` (index `ry · sw + rx`) covers taps `fy = ry + sh · (Ty − 1 − ty)`,
 * `fx = rx + sw · (Tx − 1 − tx)` packed as panels of 8 input channels `[ty][tx][o][8]`.
 */
export function inputGradPlan(g: ConvGeometry) {
  const { NR } = directBlocking();
  const py = axisPhases(g.inH, g.fh, g.sh, g.padTop);
  const px = axisPhases(g.inW, g.fw, g.sw, g.padLeft);
  const pad = (ps: AxisPhase[]) =>
    Math.max(0, ...ps.filter((p) => p.taps > 0).map((p) => p.taps - 1 - p.u));
  const end = (ps: AxisPhase[]) =>
    Math.max(0, ...ps.filter((p) => p.taps > 0).map((p) => p.u + p.count));
  const top = pad(py);
  const left = pad(px);
  const layout = paddedLayout(
    g.batch,
    { h: g.outH, w: g.outW, c: g.outC },
    top,
    left,
    top + end(py),
    left + end(px),
  );
  const cPanels = Math.ceil(g.inC / NR);
  const weightAt: number[] = [];
  let floats = 0;
  for (const y of py) {
    for (const x of px) {
      weightAt.push(floats);
      floats += y.taps * x.taps * g.outC * NR * cPanels;
    }
  }
  return { py, px, layout, cPanels, weightAt, weightFloats: floats };
}

/** Packs the flipped weights of every phase of {@link inputGradPlan} into `f32` at `at`. */
export function packPhaseWeights(
  w: Float32Array,
  g: ConvGeometry,
  f32: Float32Array,
  at: number,
): void {
  const { NR } = directBlocking();
  const plan = inputGradPlan(g);
  for (let ry = 0; ry < g.sh; ry++) {
    for (let rx = 0; rx < g.sw; rx++) {
      const Ty = plan.py[ry]!.taps;
      const Tx = plan.px[rx]!.taps;
      let o = at + plan.weightAt[ry * g.sw + rx]!;
      for (let jc = 0; jc < plan.cPanels; jc++) {
        const c0 = jc * NR;
        const width = Math.min(NR, g.inC - c0);
        for (let ty = 0; ty < Ty; ty++) {
          const fy = ry + g.sh * (Ty - 1 - ty);
          for (let tx = 0; tx < Tx; tx++) {
            const fx = rx + g.sw * (Tx - 1 - tx);
            const tap = (fy * g.fw + fx) * g.inC;
            for (let oc = 0; oc < g.outC; oc++, o += NR) {
              for (let t = 0; t < width; t++) f32[o + t] = w[(tap + c0 + t) * g.outC + oc]!;
              for (let t = width; t < NR; t++) f32[o + t] = 0;
            }
          }
        }
      }
    }
  }
}

/** `count` pixels of `n` channels from the block at `from` (stride `ld`) to `dst[to + k · step …]`. */
export function copyOut(
  f32: Float32Array,
  from: number,
  ld: number,
  dst: Float32Array,
  to: number,
  count: number,
  n: number,
  step: number,
): void {
  if (ld === n && step === n) {
    dst.set(f32.subarray(from, from + count * n), to);
    return;
  }
  for (let k = 0; k < count; k++) {
    const s = from + k * ld;
    const d = to + k * step;
    for (let c = 0; c < n; c++) dst[d + c] = f32[s + c]!;
  }
}

/** The three direct convolutions. */
export function directKinds() {
  return { forward: 0, filter: 1, input: 2 } as const;
}

/**
 * Where a direct convolution's operands sit in the kernels' memory, as float offsets from their
 * base (each a multiple of 16): forward `{ xp, wp }`, filter gradient `{ xp, dy, dw }`, input
 * gradient `{ xp: the padded dy, wp }`; `floats` in all.
 */
export function directOperands(kind: number, g: ConvGeometry) {
  const K = directKinds();
  const { NR } = directBlocking();
  const round = (n: number) => Math.ceil(n / 16) * 16;
  if (kind === K.input) {
    const plan = inputGradPlan(g);
    const wp = round(plan.layout.floats);
    return { xp: 0, wp, dy: 0, dw: 0, floats: round(wp + plan.weightFloats) };
  }
  const xFloats = round(forwardLayout(g).floats);
  if (kind === K.forward) {
    const wFloats = Math.ceil(g.outC / NR) * NR * g.fh * g.fw * g.inC;
    return { xp: 0, wp: xFloats, dy: 0, dw: 0, floats: round(xFloats + wFloats) };
  }
  const dw = round(xFloats + g.batch * g.outH * g.outW * g.outC + 2 * NR);
  return { xp: 0, wp: 0, dy: xFloats, dw, floats: round(dw + filterBlockShape(g).floats) };
}

/** Floats of each thread's output block for a direct convolution (the filter gradient needs none). */
export function directScratchFloats(kind: number, g: ConvGeometry): number {
  const K = directKinds();
  const { MR, NR } = directBlocking();
  if (kind === K.forward) return Math.ceil(g.outW / MR) * MR * Math.ceil(g.outC / NR) * NR;
  if (kind === K.filter) return 0;
  const plan = inputGradPlan(g);
  const widest = Math.max(0, ...plan.px.map((p) => p.count));
  return Math.ceil(widest / MR) * MR * plan.cPanels * NR;
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const DIRECT_LAYOUT_WORKER_FUNCTIONS = [
  directBlocking,
  paddedLayout,
  forwardLayout,
  copyPaddedRows,
  packPanels,
  directChunkRows,
  filterBlockShape,
  axisPhases,
  inputGradPlan,
  packPhaseWeights,
  copyOut,
  directKinds,
  directOperands,
  directScratchFloats,
];
