/**
 * The direct-convolution kernels as WebAssembly SIMD functions, generated per geometry (the
 * strides are baked into the instructions' constant offsets), over operands in the kernel's
 * memory: a zero-padded NHWC input (`direct-conv-layout.ts`), so no tap ever needs a bounds
 * check, and weights packed in panels of {@link DIRECT_NR} output channels.
 *
 * - {@link directConvModuleBytes} `k(x, w, y, tiles)`: output tiles of `mr` pixels × 8 channels,
 *   `y[i][j] += Σ_r Σ_l x[i · pixelStride + r · rowStride + l] · w[(r · rowLength + l) · 8 + j]`
 *   (`r < rows`, `l < rowLength`, summed in that order onto the loaded `y`): one tap row of the
 *   filter covers `rowLength = fw · inC` consecutive floats of the padded input. Tiles follow each
 *   other along an output row (`x += mr · pixelStride`, `y += mr · outStride`); `y[i][j]` is at
 *   `y + i · outStride + j`. A call covers a chunk of tap rows; the caller zeroes `y` and calls
 *   once per chunk, so every element is still one float32 sum over all taps in order. The forward
 *   convolution, and each stride phase of the input gradient, is this kernel.
 * - {@link filterGradModuleBytes} `k(x, dy, dw, panels, outRows)`: the filter-gradient tile of
 *   `mr` consecutive patch entries × 8 output channels, `dw[i][j] += Σ_pixels x[p + i] · dy[p][j]`
 *   over `outRows` output rows of `cols` pixels (summed from 0 in pixel order, then added to dw:
 *   a long reduction is summed in blocks, which keeps its rounding error small), for `panels`
 *   panels of 8 channels side by side.
 *
 * Every output element is a float32 sum in a fixed order (taps, then channels; or pixels in
 * order), each lane independently, with `f32x4.relaxed_madd` or `f32x4.mul` + `f32x4.add` like the
 * GEMM micro-kernel (`wasm-microkernel.ts`): the same bits whatever thread computes it.
 *
 * The inner loops are deliberately not unrolled, and tiles are 4 × 8 (8 accumulators): V8's
 * optimizing compiler schedules an unrolled body's loads all up front and spills accumulators to
 * the stack (measured on the 3×3 160 → 80 layer: 4× unrolled 33 GFLOP/s, not unrolled 54); 5 × 8
 * and 6 × 8 tiles spill too (28 and 24 GFLOP/s).
 */
import { kernelModule, memarg, OP, SIMD, simd, sleb } from './wasm-asm';
import { multiplyAdd, type SimdVariant } from './wasm-microkernel';

/** Output channels per panel of a direct-convolution kernel (two f32x4 vectors). */
export const DIRECT_NR = 8;

/** Geometry baked into a {@link directConvModuleBytes} kernel (strides in floats). */
export interface DirectConvKernelShape {
  /** Output pixels per tile (accumulators: 2 · mr vectors). */
  mr: number;
  /** Tap rows per call (a chunk of the filter's). */
  rows: number;
  /** Floats of one tap row (consecutive in the padded input): `fw · inC`. */
  rowLength: number;
  /** Floats between tap rows in the padded input: `Wp · inC`. */
  rowStride: number;
  /** Floats between the tile's output pixels in the padded input: `sw · inC`. */
  pixelStride: number;
  /** Floats between output pixels in the output block. */
  outStride: number;
}

const V128_CONST = 0x0c;

/** `v128.const 0`, then `local.set l`. */
function zero(l: number): number[] {
  return [...simd(V128_CONST), ...Array<number>(16).fill(0), OP.localSet, l];
}

/** `local.set l (local.get l + by)`. */
function bump(l: number, by: number): number[] {
  return by === 0 ? [] : [OP.localGet, l, OP.i32Const, ...sleb(by), OP.i32Add, OP.localSet, l];
}

/**
 * A counted loop of `count` iterations of `body` (nothing when `count` is 0), counter in local
 * `counter`: `counter = count; loop { body; br_if (counter -= 1) }`.
 */
function countedLoop(counter: number, count: number, body: number[]): number[] {
  if (count === 0) return [];
  if (count === 1) return body;
  const { localGet, localTee, i32Const, i32Sub } = OP;
  return [
    i32Const,
    ...sleb(count),
    OP.localSet,
    counter,
    OP.loop,
    OP.void,
    ...body,
    localGet,
    counter,
    i32Const,
    ...sleb(1),
    i32Sub,
    localTee,
    counter,
    OP.brIf,
    0,
    OP.end,
  ];
}

/**
 * One multiply-add step: two weight vectors at `w + wOff` (bytes), then for each of the `mr`
 * rows a splat of `x[xOff + aStride · i]` (bytes) times both into `acc(i, 0..1)`.
 */
function step(
  v: SimdVariant,
  mr: number,
  ptr: { x: number; w: number },
  off: { x: number; w: number; aStride: number },
  reg: { acc: (i: number, h: number) => number; b0: number; a: number },
): number[] {
  const { localGet: get, localSet: set } = OP;
  const out: number[] = [];
  for (let h = 0; h < 2; h++) {
    out.push(get, ptr.w, ...simd(SIMD.load), ...memarg(off.w + 16 * h), set, reg.b0 + h);
  }
  for (let i = 0; i < mr; i++) {
    out.push(get, ptr.x, ...simd(SIMD.load32Splat), ...memarg(off.x + off.aStride * i), set, reg.a);
    for (let h = 0; h < 2; h++)
      out.push(...multiplyAdd(reg.acc(i, h), reg.a, reg.b0 + h, v.relaxed));
  }
  return out;
}

/** Bytes of the direct-convolution module for `shape` (see the module comment). */
export function directConvModuleBytes(shape: DirectConvKernelShape, v: SimdVariant): Uint8Array {
  const { mr, rows, rowLength, rowStride, pixelStride, outStride } = shape;
  const { localGet: get, localSet: set, localTee: tee, i32Const, i32Add, i32Sub } = OP;
  const [X, W, Y, T] = [0, 1, 2, 3];
  const [XP, WP, CNT] = [4, 5, 6];
  const ACC0 = 7;
  const acc = (i: number, h: number) => ACC0 + 2 * i + h;
  const reg = { acc, b0: ACC0 + 2 * mr, a: ACC0 + 2 * mr + 2 };
  const ptr = { x: XP, w: WP };
  const aStride = 4 * pixelStride;
  const yAt = (i: number, h: number) => memarg(4 * outStride * i + 16 * h);
  const body: number[] = [OP.loop, OP.void];
  for (let i = 0; i < mr; i++) {
    for (let h = 0; h < 2; h++) body.push(get, Y, ...simd(SIMD.load), ...yAt(i, h), set, acc(i, h));
  }
  body.push(get, W, set, WP);
  const inner = [
    ...step(v, mr, ptr, { x: 0, w: 0, aStride }, reg),
    ...bump(XP, 4),
    ...bump(WP, 4 * DIRECT_NR),
  ];
  for (let r = 0; r < rows; r++) {
    body.push(get, X, i32Const, ...sleb(4 * r * rowStride), i32Add, set, XP);
    body.push(...countedLoop(CNT, rowLength, inner));
  }
  for (let i = 0; i < mr; i++) {
    for (let h = 0; h < 2; h++)
      body.push(get, Y, get, acc(i, h), ...simd(SIMD.store), ...yAt(i, h));
  }
  body.push(...bump(X, 4 * mr * pixelStride), ...bump(Y, 4 * mr * outStride));
  body.push(get, T, i32Const, ...sleb(1), i32Sub, tee, T, OP.brIf, 0, OP.end);
  return kernelModule(
    4,
    [
      [3, OP.i32],
      [2 * mr + 3, OP.v128],
    ],
    body,
    v.shared,
  );
}

/** Geometry baked into a {@link filterGradModuleBytes} kernel (strides in floats). */
export interface FilterGradKernelShape {
  /** Patch entries (rows of dW) per tile. */
  mr: number;
  /** Output pixels per output row (the reduction's inner loop). */
  cols: number;
  /** Floats between consecutive output pixels' patches in the padded input: `sw · inC`. */
  pixelStride: number;
  /** Floats between consecutive output rows' patches in the padded input: `sh · Wp · inC`. */
  rowStride: number;
  /** Floats per pixel of dy (its channels). */
  dyStride: number;
  /** Floats between rows of the dW block. */
  dwStride: number;
}

/** Bytes of the filter-gradient module for `shape` (see the module comment). */
export function filterGradModuleBytes(shape: FilterGradKernelShape, v: SimdVariant): Uint8Array {
  const { mr, cols, pixelStride, rowStride, dyStride, dwStride } = shape;
  const { localGet: get, localSet: set, localTee: tee, i32Const, i32Sub } = OP;
  const [X, DY, DW, PANELS, ROWS] = [0, 1, 2, 3, 4];
  const [XR, DR, XP, DP, R, CNT] = [5, 6, 7, 8, 9, 10];
  const ACC0 = 11;
  const acc = (i: number, h: number) => ACC0 + 2 * i + h;
  const reg = { acc, b0: ACC0 + 2 * mr, a: ACC0 + 2 * mr + 2 };
  const ptr = { x: XP, w: DP };
  const body: number[] = [OP.loop, OP.void];
  for (let i = 0; i < mr; i++) for (let h = 0; h < 2; h++) body.push(...zero(acc(i, h)));
  body.push(get, X, set, XR, get, DY, set, DR, get, ROWS, set, R);
  body.push(OP.loop, OP.void, get, XR, set, XP, get, DR, set, DP);
  const inner = [
    ...step(v, mr, ptr, { x: 0, w: 0, aStride: 4 }, reg),
    ...bump(XP, 4 * pixelStride),
    ...bump(DP, 4 * dyStride),
  ];
  body.push(...countedLoop(CNT, cols, inner));
  body.push(...bump(XR, 4 * rowStride), ...bump(DR, 4 * cols * dyStride));
  body.push(get, R, i32Const, ...sleb(1), i32Sub, tee, R, OP.brIf, 0, OP.end);
  for (let i = 0; i < mr; i++) {
    for (let h = 0; h < 2; h++) {
      const at = memarg(4 * dwStride * i + 16 * h);
      body.push(
        get,
        DW,
        get,
        DW,
        ...simd(SIMD.load),
        ...at,
        get,
        acc(i, h),
        ...simd(SIMD.f32x4Add),
      );
      body.push(...simd(SIMD.store), ...at);
    }
  }
  body.push(...bump(DW, 4 * DIRECT_NR), ...bump(DY, 4 * DIRECT_NR));
  body.push(get, PANELS, i32Const, ...sleb(1), i32Sub, tee, PANELS, OP.brIf, 0, OP.end);
  return kernelModule(
    5,
    [
      [6, OP.i32],
      [2 * mr + 3, OP.v128],
    ],
    body,
    v.shared,
  );
}
