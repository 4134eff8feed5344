/**
 * The calling thread's side of a Winograd convolution (`winograd-conv.ts`): which convolutions
 * take it, its kernels, and the copies of its operands into the kernels' memory. The choice
 * depends on the geometry alone — never on the thread count.
 */
import type { ConvGeometry } from './conv-geometry';
import { directKinds } from './direct-conv-layout';
import { DIRECT_MAX_FLOATS, type DirectModule } from './direct-conv-setup';
import { ModuleCache } from './module-cache';
import { fillPieces, fillUnitCount, fillUnits } from './operand-fill';
import { directConvModuleBytes, filterGradModuleBytes } from './wasm-direct-conv';
import type { SimdVariant } from './wasm-microkernel';
import {
  blockSumModuleBytes,
  winogradGradientModuleBytes,
  winogradInputModuleBytes,
  winogradOutputModuleBytes,
} from './wasm-winograd';
import { transposedGeometry, winogradOperands, winogradPlan } from './winograd-conv';
import { winogradFilterPlan } from './winograd-filter';

/**
 * Fewest input and output channels for which a convolution takes the Winograd path: with fewer,
 * the transforms cost more than the multiplies they save. vqkit choice, measured with
 * `packages/kernels/bench/conv-paths.ts` (one thread, batch 4, 64²): 16 → 128 channels 7.0 ms
 * Winograd vs 11.1 direct; the input gradient of 8 → 160 (8 output channels) 9.9 vs 8.6.
 */
export const WINOGRAD_MIN_CHANNELS = 16;

/**
 * Fewest input channels for which a filter gradient takes the Winograd path (its input transform
 * is redone per tile and costs in proportion to them). vqkit choice, measured with
 * `conv-paths.ts`: 16 → 128 channels 12.6 ms Winograd vs 11.7 direct; 64 → 128 (at 32²) 10.9 vs
 * 11.5; 128 → 64 36 vs 46.
 */
export const WINOGRAD_FILTER_MIN_CHANNELS = 32;

/**
 * The forward geometry Winograd computes for convolution `kind` (`directKinds()`: forward, input
 * or filter gradient) of `g`, or null when it does not apply: a 3×3 filter, stride 1, input and
 * output channels ≥ {@link WINOGRAD_MIN_CHANNELS} (input channels ≥
 * {@link WINOGRAD_FILTER_MIN_CHANNELS} for the filter gradient), output rows of at least 4 pixels, operands within
 * `maxFloats`; for the input gradient a padding of at most 2 on the top and left (else the
 * flipped convolution would need a negative one).
 */
export function winogradGeometry(
  kind: number,
  g: ConvGeometry,
  maxFloats: number = DIRECT_MAX_FLOATS,
): ConvGeometry | null {
  const K = directKinds();
  if (g.fh !== 3 || g.fw !== 3 || g.sh !== 1 || g.sw !== 1) return null;
  if (kind === K.input && (g.padTop > 2 || g.padLeft > 2)) return null;
  const f = kind === K.input ? transposedGeometry(g) : g;
  if (Math.min(f.inC, f.outC) < WINOGRAD_MIN_CHANNELS || f.outW < 4) return null;
  if (kind === K.filter && f.inC < WINOGRAD_FILTER_MIN_CHANNELS) return null;
  const F = kind === K.filter ? winogradFilterPlan(f) : null;
  const floats =
    F === null
      ? winogradOperands(f).floats + winogradPlan(f).scratchFloats
      : F.operands.floats + F.scratchFloats;
  return floats <= maxFloats ? f : null;
}

const moduleCache = new ModuleCache<DirectModule[]>();

/**
 * The kernels of the Winograd convolution `kind` of forward geometry `f`: the input transform, the
 * GEMM and the output transform; for the filter gradient the input transform, the gradient
 * transform, the filter-gradient reduction and the block sum (run by the calling thread).
 */
export function winogradModules(
  kind: number,
  f: ConvGeometry,
  variant: SimdVariant,
): DirectModule[] {
  if (kind === directKinds().filter) return filterModules(f, variant);
  return moduleCache.get(JSON.stringify([f, variant]), () => {
    const p = winogradPlan(f);
    const tag = `w${variant.relaxed ? 'r' : 'p'}${variant.shared ? 's' : 'u'}`;
    const input = {
      groups: Math.ceil(f.inC / 4),
      pixelFloats: f.inC,
      rowFloats: p.layout.W * f.inC,
      ldv: p.ldv,
      matrixFloats: p.vFloats,
    };
    const gemm = {
      mr: 4,
      rows: 1,
      rowLength: f.inC,
      rowStride: 0,
      pixelStride: p.ldv,
      outStride: p.ldc,
    };
    const output = {
      groups: p.ldc / 4,
      ldc: p.ldc,
      matrixFloats: p.mFloats,
      outRowFloats: p.outRowFloats,
    };
    return [
      {
        key: `${tag}in${JSON.stringify(input)}`,
        bytes: winogradInputModuleBytes(input, variant.shared),
      },
      {
        key: `${variant.relaxed ? 'r' : 'p'}${variant.shared ? 's' : 'u'}${JSON.stringify(gemm)}`,
        bytes: directConvModuleBytes(gemm, variant),
      },
      {
        key: `${tag}out${JSON.stringify(output)}`,
        bytes: winogradOutputModuleBytes(output, variant.shared),
      },
    ];
  });
}

function filterModules(f: ConvGeometry, variant: SimdVariant): DirectModule[] {
  return moduleCache.get(JSON.stringify(['filter', f, variant]), () => {
    const p = winogradPlan(f);
    const F = winogradFilterPlan(f);
    const tag = `w${variant.relaxed ? 'r' : 'p'}${variant.shared ? 's' : 'u'}`;
    const input = {
      groups: Math.ceil(f.inC / 4),
      pixelFloats: f.inC,
      rowFloats: p.layout.W * f.inC,
      ldv: p.ldv,
      matrixFloats: F.vFloats,
    };
    const gradient = {
      groups: Math.ceil(f.outC / 4),
      pixelFloats: f.outC,
      rowFloats: F.dy.W * f.outC,
      ldz: F.ldw,
      matrixFloats: F.zFloats,
    };
    const filter = {
      mr: 4,
      cols: p.tilesW,
      pixelStride: p.ldv,
      rowStride: p.tilesW * p.ldv,
      dyStride: F.ldw,
      dwStride: F.ldw,
    };
    return [
      {
        key: `${tag}in${JSON.stringify(input)}`,
        bytes: winogradInputModuleBytes(input, variant.shared),
      },
      {
        key: `${tag}grad${JSON.stringify(gradient)}`,
        bytes: winogradGradientModuleBytes(gradient, variant.shared),
      },
      {
        key: `${tag}filter${JSON.stringify(filter)}`,
        bytes: filterGradModuleBytes(filter, variant),
      },
      { key: `${tag}blocksum`, bytes: blockSumModuleBytes(variant.shared) },
    ];
  });
}

/**
 * Copies the operands of the Winograd convolution `kind` of `g` (forward geometry `f`) into `f32`
 * from `base`: the padded input (`a`: x, or dy for the input gradient) and the transformed
 * weights of `b` (w, flipped for the input gradient); for the filter gradient the padded x (`a`)
 * and dy (`b`) — every unit of its `fillPieces`, on the calling thread.
 */
export function fillWinogradOperands(
  kind: number,
  f: ConvGeometry,
  a: Float32Array,
  b: Float32Array,
  f32: Float32Array,
  base: number,
): void {
  const pieces = fillPieces(kind, f, true);
  fillUnits(pieces, f, [a, b], f32, base, 0, fillUnitCount(pieces));
}
