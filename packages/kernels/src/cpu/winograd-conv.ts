/**
 * 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) (Lavin & Gray 2016): per 2×2 block of
 * output pixels (a *tile*), the 4×4 input patch and the 3×3 filter are transformed
 * (`wasm-winograd.ts`), multiplied element-wise and summed over the input channels — 16 GEMMs of
 * `[tiles, C] × [C, O]`, run by the direct kernel as 1×1 convolutions — and transformed back:
 * 16 multiplies per tile and channel pair instead of 36, 2.25× fewer.
 *
 * The forward convolution is this on the zero-padded input; the input gradient is this on the
 * zero-padded dy with the filter flipped and its channel axes swapped
 * ({@link transposedGeometry}). A unit is a range of tile rows (`b · tilesH + ty`): it transforms
 * its tiles into its own scratch, runs the 16 GEMMs, transforms back and writes its two output
 * rows per tile row — every element in a fixed order, whatever thread runs it. Shipped to the
 * worker threads (`worker-source.ts`): no module-level references except other shipped functions.
 */
import type { ConvGeometry } from './conv-geometry';
import type { DirectKernel } from './direct-conv';
import { copyOut, directBlocking, paddedLayout } from './direct-conv-layout';

/** `k(x, v, tiles)` / `k(m, y, tiles)` of `wasm-winograd.ts` (byte offsets). */
export type WinogradTransform = (from: number, to: number, tiles: number) => void;

/**
 * The input gradient of a 3×3 stride-1 convolution `g` as the forward convolution it equals:
 * dy `[batch, outH, outW, outC]` convolved (padding `2 − pad`) with the flipped filter whose
 * input and output channels are swapped, giving dx `[batch, inH, inW, inC]`.
 */
export function transposedGeometry(g: ConvGeometry): ConvGeometry {
  return {
    batch: g.batch,
    inH: g.outH,
    inW: g.outW,
    inC: g.outC,
    outH: g.inH,
    outW: g.inW,
    outC: g.inC,
    fh: 3,
    fw: 3,
    sh: 1,
    sw: 1,
    padTop: 2 - g.padTop,
    padLeft: 2 - g.padLeft,
  };
}

/**
 * Sizes of the F(2×2, 3×3) convolution of forward geometry `g`: tiles, the padded input, the
 * transformed weights (`U[ξ][panel][c][8]`) and each thread's scratch (16 transformed-input
 * matrices `V[ξ]`, 16 product matrices `M[ξ]`, the two-row output block), in floats.
 */
export function winogradPlan(g: ConvGeometry) {
  const { MR, NR } = directBlocking();
  const tilesH = Math.ceil(g.outH / 2);
  const tilesW = Math.ceil(g.outW / 2);
  const dims = { h: g.inH, w: g.inW, c: g.inC };
  const layout = paddedLayout(g.batch, dims, g.padTop, g.padLeft, 2 * tilesH + 2, 2 * tilesW + 2);
  const rows = Math.ceil(tilesW / MR) * MR;
  const ldv = Math.ceil(g.inC / 4) * 4;
  const panels = Math.ceil(g.outC / NR);
  const ldc = panels * NR;
  const vFloats = rows * ldv;
  const mFloats = rows * ldc;
  const outRowFloats = 2 * tilesW * ldc;
  return {
    tilesH,
    tilesW,
    layout,
    rows,
    ldv,
    panels,
    ldc,
    vFloats,
    mFloats,
    outRowFloats,
    weightFloats: 16 * panels * g.inC * NR,
    scratch: { v: 0, m: 16 * vFloats, y: 16 * (vFloats + mFloats) },
    scratchFloats: 16 * (vFloats + mFloats) + 2 * outRowFloats,
  };
}

/**
 * `U[ξ] = (G g Gᵀ)[ξ]` for every input channel `c` and output channel `o` of forward geometry
 * `g` into `f32` at `at` (layout of {@link winogradPlan}), `G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]`,
 * in float64, rounded once. The 3×3 filter `g_{c,o}` is `w[fy, fx, c, o]` (`w [3, 3, C, O]`), or
 * with `flip` — the input gradient of the convolution with filter `w [3, 3, O, C]` —
 * `w[2 − fy, 2 − fx, o, c]`. The loops run along whichever channel is contiguous in `w`: the
 * outer one (`o` when flipped, else `c`) over `[outer0, outer1)` only (default all), so threads
 * can share the work; the part that ends the loop also zeroes the last panel's columns past O.
 */
export function winogradWeights(
  w: Float32Array,
  g: ConvGeometry,
  flip: boolean,
  f32: Float32Array,
  at: number,
  [outer0, outer1]: [number, number] = [0, flip ? g.outC : g.inC],
): void {
  const { NR } = directBlocking();
  const { panels } = winogradPlan(g);
  const tapStride = g.inC * g.outC;
  const [cStride, oStride] = flip ? [1, g.inC] : [g.outC, 1];
  const tapAt = (t: number) => (flip ? 8 - t : t) * tapStride;
  const xiStride = panels * g.inC * NR;
  const d = new Float64Array(9);
  const r = new Float64Array(12);
  /** U of one channel pair: `G g` row by row (`r`), then `(G g) Gᵀ` written to its 16 slots. */
  const one = (c: number, o: number) => {
    const base = c * cStride + o * oStride;
    for (let t = 0; t < 9; t++) d[t] = w[base + tapAt(t)]!;
    for (let x = 0; x < 3; x++) {
      r[x] = d[x]!;
      r[3 + x] = (d[x]! + d[3 + x]! + d[6 + x]!) * 0.5;
      r[6 + x] = (d[x]! - d[3 + x]! + d[6 + x]!) * 0.5;
      r[9 + x] = d[6 + x]!;
    }
    let u = at + (Math.floor(o / NR) * g.inC + c) * NR + (o % NR);
    for (let i = 0; i < 4; i++, u += 4 * xiStride) {
      const [a, b, e] = [r[3 * i]!, r[3 * i + 1]!, r[3 * i + 2]!];
      f32[u] = a;
      f32[u + xiStride] = (a + b + e) * 0.5;
      f32[u + 2 * xiStride] = (a - b + e) * 0.5;
      f32[u + 3 * xiStride] = e;
    }
  };
  for (let outer = outer0; outer < outer1; outer++) {
    for (let inner = 0; inner < (flip ? g.inC : g.outC); inner++) {
      if (flip) one(inner, outer);
      else one(outer, inner);
    }
  }
  if (outer1 < (flip ? g.outC : g.inC)) return;
  // Output channels past O in the last panel are zero.
  for (let o = g.outC; o < panels * NR; o++) {
    for (let c = 0; c < g.inC; c++) {
      const u = at + (Math.floor(o / NR) * g.inC + c) * NR + (o % NR);
      for (let xi = 0; xi < 16; xi++) f32[u + xi * xiStride] = 0;
    }
  }
}

/** Where the operands sit from their base (floats): the padded input at `xp`, the weights at `wp`. */
export function winogradOperands(g: ConvGeometry) {
  const p = winogradPlan(g);
  const wp = Math.ceil(p.layout.floats / 16) * 16;
  return { xp: 0, wp, floats: Math.ceil((wp + p.weightFloats) / 16) * 16 };
}

/** The three kernels of a Winograd convolution unit. */
export interface WinogradKernels {
  input: WinogradTransform;
  gemm: DirectKernel;
  output: WinogradTransform;
}

/**
 * Tile rows `[r0, r1)` (`r = b · tilesH + ty`) of the F(2×2, 3×3) convolution of forward geometry
 * `g` into `y [batch, outH, outW, outC]`: the padded input at `at.xp` and the transformed weights
 * at `at.wp` in `f32` (the kernels' memory), this thread's scratch at `at.out`.
 */
export function winogradRows(
  k: WinogradKernels,
  f32: Float32Array,
  g: ConvGeometry,
  at: { xp: number; wp: number; out: number },
  y: Float32Array,
  r0: number,
  r1: number,
): void {
  const { MR, NR } = directBlocking();
  const p = winogradPlan(g);
  const L = p.layout;
  const V = at.out + p.scratch.v;
  const M = at.out + p.scratch.m;
  const Y = at.out + p.scratch.y;
  f32.fill(0, V, V + 16 * p.vFloats);
  for (let r = r0; r < r1; r++) {
    const b = Math.floor(r / p.tilesH);
    const ty = r - b * p.tilesH;
    k.input(4 * (at.xp + (b * L.H + 2 * ty) * L.W * L.C), 4 * V, p.tilesW);
    f32.fill(0, M, M + 16 * p.mFloats);
    for (let xi = 0; xi < 16; xi++) {
      for (let j = 0; j < p.panels; j++) {
        const u = at.wp + (xi * p.panels + j) * g.inC * NR;
        k.gemm(4 * (V + xi * p.vFloats), 4 * u, 4 * (M + xi * p.mFloats + j * NR), p.rows / MR);
      }
    }
    k.output(4 * M, 4 * Y, p.tilesW);
    for (let i = 0; i < 2 && 2 * ty + i < g.outH; i++) {
      const to = (b * g.outH + 2 * ty + i) * g.outW * g.outC;
      copyOut(f32, Y + i * p.outRowFloats, p.ldc, y, to, g.outW, g.outC, g.outC);
    }
  }
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const WINOGRAD_WORKER_FUNCTIONS = [
  transposedGeometry,
  winogradPlan,
  winogradWeights,
  winogradOperands,
  winogradRows,
];
