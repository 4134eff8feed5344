/**
 * Direct convolutions for the cpu backend: the operands are copied into the kernel's memory once
 * per call — the input zero-padded so every tap of every output pixel is inside it, the weights
 * packed in panels of 8 output channels — and WebAssembly kernels (`wasm-direct-conv.ts`) sweep
 * them with no im2col packing at all. This is what the small-channel layers need (the 3 → C input
 * convolution, the C → C/2 → C residual blocks, the projections), where packing im2col blocks in
 * JavaScript cost as much as the arithmetic.
 *
 * - forward `y = conv(x, w)`: output tiles of {@link directBlocking}`().MR` pixels of one output
 *   row × 8 channels, reduced over the taps and channels in order;
 * - input gradient `dx = conv_transpose(dy, w)`: split into `sh · sw` stride phases (the dx
 *   pixels `(iy, ix)` with the same `(iy + padTop) mod sh`, `(ix + padLeft) mod sw`), each a
 *   stride-1 direct convolution of the padded dy with the phase's taps, flipped — the zeros of the
 *   dilated gradient are never multiplied;
 * - filter gradient `dW = Σ_pixels patch ⊗ dy`: tiles of 4 patch entries × 8 channels, each
 *   reduced over every output pixel in order (blocks of output rows, images in order).
 *
 * Each element is reduced in an order fixed by the geometry alone, so any split of the output
 * across threads gives the same bits. Units (see `jobs.ts`): forward — output rows; input gradient
 * — bands of dx rows of one image; filter gradient — ranges of dW tiles. These functions are
 * shipped to the worker threads (`worker-source.ts`): no module-level references except other
 * shipped functions.
 */
import type { ConvGeometry } from './conv-geometry';
import {
  copyOut,
  directBlocking,
  directChunkRows,
  filterBlockShape,
  forwardLayout,
  inputGradPlan,
} from './direct-conv-layout';

/** `k(x, w, y, tiles)` of `wasm-direct-conv.ts` (byte offsets). */
export type DirectKernel = (x: number, w: number, y: number, tiles: number) => void;
/** `k(x, dy, dw, panels, outRows)` of `wasm-direct-conv.ts` (byte offsets). */
export type FilterKernel = (
  x: number,
  dy: number,
  dw: number,
  panels: number,
  rows: number,
) => void;

/**
 * Output rows `[r0, r1)` (`r = b · outH + oy`) of the forward convolution: the padded x at `xp`
 * and the packed weights at `wp` in `f32` (the kernel's memory); `out` holds `tiles · MR` pixels ×
 * `8 · panels` floats of scratch. The kernel covers {@link directChunkRows} tap rows per call and
 * adds into the zeroed block, so each element is still summed over taps and channels in order.
 */
export function directForwardRows(
  kernel: DirectKernel,
  f32: Float32Array,
  g: ConvGeometry,
  at: { xp: number; wp: number; out: number },
  y: Float32Array,
  r0: number,
  r1: number,
): void {
  const { MR, NR } = directBlocking();
  const L = forwardLayout(g);
  const panels = Math.ceil(g.outC / NR);
  const ldc = panels * NR;
  const tiles = Math.ceil(g.outW / MR);
  const rowLength = g.fw * g.inC;
  const Q = g.fh * rowLength;
  const chunk = directChunkRows(g.fh, rowLength);
  for (let r = r0; r < r1; r++) {
    const b = Math.floor(r / g.outH);
    const oy = r - b * g.outH;
    const x = at.xp + (b * L.H + oy * g.sh) * L.W * L.C;
    f32.fill(0, at.out, at.out + tiles * MR * ldc);
    for (let j = 0; j < panels; j++) {
      for (let fy = 0; fy < g.fh; fy += chunk) {
        const xr = x + fy * L.W * L.C;
        const w = at.wp + (j * Q + fy * rowLength) * NR;
        kernel(4 * xr, 4 * w, 4 * (at.out + j * NR), tiles);
      }
    }
    copyOut(f32, at.out, ldc, y, r * g.outW * g.outC, g.outW, g.outC, g.outC);
  }
}

/**
 * dW tiles `[t0, t1)` (tile `t`: tap row `⌊t / rowTiles⌋`, patch entries `(t mod rowTiles) · 4 …`
 * of it) × panels `[j0, j1)` of the filter gradient, reduced over every output pixel — blocks of
 * output rows of one image, images in order — into the dW block at `at.dw`, then copied into
 * `dw [fh, fw, inC, outC]`. The padded x (`forwardLayout`) is at `at.xp`, dy (plus 8 floats of
 * slack) at `at.dy`.
 */
export function directFilterTiles(
  kernel: FilterKernel,
  f32: Float32Array,
  g: ConvGeometry,
  at: { xp: number; dy: number; dw: number },
  dw: Float32Array,
  tiles: [number, number],
  panels: [number, number],
): void {
  const { FILTER_MR, NR, FILTER_BLOCK_PIXELS } = directBlocking();
  const L = forwardLayout(g);
  const F = filterBlockShape(g);
  const [t0, t1] = tiles;
  const [j0, j1] = panels;
  const tileAt = (t: number) => {
    const fy = Math.floor(t / F.rowTiles);
    const l0 = (t - fy * F.rowTiles) * FILTER_MR;
    return { fy, l0, dw: at.dw + (fy * F.rowTiles * FILTER_MR + l0) * F.ldw + j0 * NR };
  };
  for (let t = t0; t < t1; t++) {
    const d = tileAt(t).dw;
    for (let i = 0; i < FILTER_MR; i++) f32.fill(0, d + i * F.ldw, d + i * F.ldw + (j1 - j0) * NR);
  }
  const blockRows = Math.min(g.outH, Math.max(1, Math.floor(FILTER_BLOCK_PIXELS / g.outW)));
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outH; oy += blockRows) {
      const rows = Math.min(blockRows, g.outH - oy);
      const x = at.xp + (b * L.H + oy * g.sh) * L.W * L.C;
      const dy = at.dy + (b * g.outH + oy) * g.outW * g.outC + j0 * NR;
      for (let t = t0; t < t1; t++) {
        const { fy, l0, dw: d } = tileAt(t);
        kernel(4 * (x + fy * L.W * L.C + l0), 4 * dy, 4 * d, j1 - j0, rows);
      }
    }
  }
  const n = Math.min(g.outC, j1 * NR) - j0 * NR;
  for (let t = t0; t < t1; t++) {
    const { fy, l0, dw: d } = tileAt(t);
    const count = Math.min(FILTER_MR, F.rowLength - l0);
    const q = fy * F.rowLength + l0;
    copyOut(f32, d, F.ldw, dw, q * g.outC + j0 * NR, count, n, g.outC);
  }
}

/**
 * Input gradient rows `[y0, y1)` of image `b` (`dx` zeroed before): each row belongs to one phase
 * `ry`; for each `rx`, its pixels `first + sw · k` are tiles of a stride-1 direct convolution of
 * the padded dy (at `at.xp`) with that phase's weights (at `at.wp`), `kernels[ry · sw + rx]`.
 */
export function directInputRows(
  kernels: ReadonlyArray<DirectKernel | undefined>,
  f32: Float32Array,
  g: ConvGeometry,
  at: { xp: number; wp: number; out: number },
  dx: Float32Array,
  b: number,
  y0: number,
  y1: number,
): void {
  const { MR, NR } = directBlocking();
  const plan = inputGradPlan(g);
  const { layout: L, cPanels } = plan;
  const ldc = cPanels * NR;
  for (let iy = y0; iy < y1; iy++) {
    const ry = (((iy + g.padTop) % g.sh) + g.sh) % g.sh;
    const Y = plan.py[ry]!;
    if (Y.taps === 0) continue;
    const k = (iy - Y.first) / g.sh;
    const row = b * L.H + Y.u + k - (Y.taps - 1) + L.top;
    for (let rx = 0; rx < g.sw; rx++) {
      const X = plan.px[rx]!;
      const kernel = kernels[ry * g.sw + rx];
      if (X.taps === 0 || X.count === 0 || kernel === undefined) continue;
      const rowLength = X.taps * g.outC;
      const chunk = directChunkRows(Y.taps, rowLength);
      const x = at.xp + (row * L.W + X.u - (X.taps - 1) + L.left) * L.C;
      const tiles = Math.ceil(X.count / MR);
      const w = at.wp + plan.weightAt[ry * g.sw + rx]!;
      f32.fill(0, at.out, at.out + tiles * MR * ldc);
      for (let jc = 0; jc < cPanels; jc++) {
        for (let ty = 0; ty < Y.taps; ty += chunk) {
          const wc = w + (jc * Y.taps + ty) * rowLength * NR;
          kernel(4 * (x + ty * L.W * L.C), 4 * wc, 4 * (at.out + jc * NR), tiles);
        }
      }
      const to = ((b * g.inH + iy) * g.inW + X.first) * g.inC;
      copyOut(f32, at.out, ldc, dx, to, X.count, g.inC, g.sw * g.inC);
    }
  }
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const DIRECT_WORKER_FUNCTIONS = [directForwardRows, directFilterTiles, directInputRows];
