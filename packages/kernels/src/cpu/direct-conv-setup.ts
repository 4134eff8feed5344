/**
 * The calling thread's side of a direct convolution (`direct-conv.ts`): whether a convolution
 * takes the direct path or the GEMM path (`conv2d.ts`), the WebAssembly kernels its geometry
 * needs, and the copies of its operands into the kernels' memory. The choice depends on the
 * geometry alone — never on the thread count — so results stay bit-identical for any thread count.
 */
import type { ConvGeometry } from './conv-geometry';
import {
  directBlocking,
  directChunkRows,
  directKinds,
  directOperands,
  directScratchFloats,
  filterBlockShape,
  forwardLayout,
  inputGradPlan,
} from './direct-conv-layout';
import { ModuleCache } from './module-cache';
import { fillPieces, fillUnitCount, fillUnits } from './operand-fill';
import { directConvModuleBytes, filterGradModuleBytes } from './wasm-direct-conv';
import type { SimdVariant } from './wasm-microkernel';

/** A kernel module and the key threads cache its instance under. */
export interface DirectModule {
  key: string;
  bytes: Uint8Array;
}

/**
 * Floats of operands and output blocks above which a convolution takes the GEMM path instead:
 * 2²⁸ floats (1 GiB). vqkit choice: a wasm32 memory ends at 4 GiB and is shared with every
 * thread's scratch; the GEMM path gathers its operands block by block and needs no copy.
 */
export const DIRECT_MAX_FLOATS = 2 ** 28;

/**
 * Output pixels per row below which the forward convolution and the input gradient take the GEMM
 * path: with 1 or 2 pixels a row fills at most half a tile of `MR = 4`. Measured (3×3, 64 → 64
 * channels, 64 rows, one thread): GEMM 0.9 / 1.3 ms vs direct 1.5 / 1.6 ms at 1 / 2 pixels,
 * direct ahead from 3 pixels (1.6 vs 1.8 ms) on; the filter gradient has no tiles along a row and
 * is faster direct at every width.
 */
export const DIRECT_MIN_ROW_PIXELS = 3;

/**
 * Whether convolution `kind` (`directKinds()`) of geometry `g` runs as a direct convolution: its
 * operands and output block fit in {@link DIRECT_MAX_FLOATS} (or `maxFloats`), and — forward and
 * input gradient — its output rows (for the input gradient: each stride phase's) have at least
 * {@link DIRECT_MIN_ROW_PIXELS} pixels. Everything else takes the GEMM path.
 */
export function usesDirectConv(
  kind: number,
  g: ConvGeometry,
  maxFloats: number = DIRECT_MAX_FLOATS,
): boolean {
  const K = directKinds();
  const floats = directOperands(kind, g).floats + directScratchFloats(kind, g);
  if (floats > maxFloats) return false;
  if (kind === K.forward) return g.outW >= DIRECT_MIN_ROW_PIXELS;
  if (kind === K.input) {
    return inputGradPlan(g).px.every((p) => p.taps === 0 || p.count >= DIRECT_MIN_ROW_PIXELS);
  }
  return true;
}

const moduleCache = new ModuleCache<Array<DirectModule | null>>();

/**
 * The kernels of convolution `kind` for `g` with the instructions of `variant`: one for the
 * forward convolution and the filter gradient, one per stride phase (`ry · sw + rx`; `null` for a
 * phase without taps) for the input gradient.
 */
export function directModules(
  kind: number,
  g: ConvGeometry,
  variant: SimdVariant,
): Array<DirectModule | null> {
  return moduleCache.get(JSON.stringify([kind, g, variant]), () => buildModules(kind, g, variant));
}

function buildModules(
  kind: number,
  g: ConvGeometry,
  variant: SimdVariant,
): Array<DirectModule | null> {
  const K = directKinds();
  const { MR, FILTER_MR, NR } = directBlocking();
  const tag = `${variant.relaxed ? 'r' : 'p'}${variant.shared ? 's' : 'u'}`;
  const named = (shape: object, bytes: Uint8Array): DirectModule => ({
    key: `${tag}${JSON.stringify(shape)}`,
    bytes,
  });
  if (kind === K.filter) {
    const L = forwardLayout(g);
    const shape = {
      mr: FILTER_MR,
      cols: g.outW,
      pixelStride: g.sw * g.inC,
      rowStride: g.sh * L.W * L.C,
      dyStride: g.outC,
      dwStride: filterBlockShape(g).ldw,
    };
    return [named({ filter: shape }, filterGradModuleBytes(shape, variant))];
  }
  const direct = (tapRows: number, rowLength: number, rowStride: number, pixelStride: number) => {
    const outStride = Math.ceil((kind === K.forward ? g.outC : g.inC) / NR) * NR;
    const rows = directChunkRows(tapRows, rowLength);
    const shape = { mr: MR, rows, rowLength, rowStride, pixelStride, outStride };
    return named(shape, directConvModuleBytes(shape, variant));
  };
  if (kind === K.forward) {
    const L = forwardLayout(g);
    return [direct(g.fh, g.fw * g.inC, L.W * L.C, g.sw * g.inC)];
  }
  const plan = inputGradPlan(g);
  const row = plan.layout.W * plan.layout.C;
  return plan.py.flatMap((y) =>
    plan.px.map((x) =>
      y.taps === 0 || x.taps === 0 ? null : direct(y.taps, x.taps * g.outC, row, g.outC),
    ),
  );
}

/**
 * Copies the operands of convolution `kind` into `f32` from `base` (`directOperands` layout):
 * forward `(a, b) = (x, w)`, filter gradient `(x, dy)`, input gradient `(dy, w)` — every unit of
 * its `fillPieces`, on the calling thread.
 */
export function fillDirectOperands(
  kind: number,
  g: ConvGeometry,
  a: Float32Array,
  b: Float32Array,
  f32: Float32Array,
  base: number,
): void {
  const pieces = fillPieces(kind, g, false);
  fillUnits(pieces, g, [a, b], f32, base, 0, fillUnitCount(pieces));
}
