/**
 * The transforms of Winograd's F(2×2, 3×3) convolution (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016) as WebAssembly SIMD functions, four channels per vector:
 *
 *   y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1]
 *
 * for a 4×4 input tile `d` and a 2×2 output tile `y` of a 3×3 filter `g` (stride 1). The weight
 * transform `G g Gᵀ` is done once per call in JavaScript (`winograd-conv.ts`), the product summed
 * over channels is 16 GEMMs (the direct kernel of `wasm-direct-conv.ts`, as a 1×1 convolution).
 *
 * - {@link winogradInputModuleBytes} `k(x, v, tiles)`: for `tiles` consecutive tiles along a row
 *   of the padded NHWC input (tile `t` at `x + 2t` pixels) and every group of 4 channels,
 *   `v[ξ][t][c…c+3] = (Bᵀ d B)[ξ]` (`ξ = 4i + j`; 16 matrices of `matrixFloats` floats, rows of
 *   `ldv` floats).
 * - {@link winogradOutputModuleBytes} `k(m, y, tiles)`: for `tiles` tiles and every group of 4
 *   channels, `y[i][2t + k][o…o+3] = (Aᵀ M A)[i][k]` from `m[ξ][t][o…o+3]`, the two output rows
 *   `outRowFloats` apart, pixels `ldc` floats apart.
 *
 * - {@link winogradGradientModuleBytes} `k(dy, z, tiles)`: for the filter gradient, the 2×2
 *   output-gradient tile `δ` (zero-padded dy) of each of `tiles` tiles along a row, every group of
 *   4 channels: `z[ξ][t][o…o+3] = (A δ Aᵀ)[ξ]` — the transform `G` and `Bᵀ` pair with in
 *   `dW = Gᵀ [Σ_t (Bᵀ d B) ⊙ (A δ Aᵀ)] G` (the gradient of the bilinear form above).
 *
 * - {@link blockSumModuleBytes} `k(s, groups, blocks, strideBytes)`: for the filter gradient,
 *   the blocks' partial sums added in block order, in place into block 0:
 *   `s[e] = s[e] + s[stride + e] + … ` for `groups` vectors of 4 floats.
 *
 * Additions, subtractions and negations only, each lane independently and in a fixed order: the
 * same bits on every thread.
 */
import { kernelModule, memarg, OP, SIMD, simd, sleb } from './wasm-asm';

/** Geometry baked into a {@link winogradInputModuleBytes} kernel (in floats). */
export interface WinogradInputShape {
  /** Channel groups of 4 (⌈C / 4⌉). */
  groups: number;
  /** Floats per pixel of the padded input (its channels). */
  pixelFloats: number;
  /** Floats per row of the padded input. */
  rowFloats: number;
  /** Floats per row of a transformed matrix (`⌈C / 4⌉ · 4`). */
  ldv: number;
  /** Floats per transformed matrix (`ξ` to `ξ + 1`). */
  matrixFloats: number;
}

/** Geometry baked into a {@link winogradOutputModuleBytes} kernel (in floats). */
export interface WinogradOutputShape {
  /** Channel groups of 4 (⌈O / 4⌉). */
  groups: number;
  /** Floats per row of a product matrix and per pixel of the output block. */
  ldc: number;
  /** Floats per product matrix. */
  matrixFloats: number;
  /** Floats between the two output rows of the block. */
  outRowFloats: number;
}

const F32X4_ADD = SIMD.f32x4Add;
const F32X4_SUB = SIMD.f32x4Sub;
const F32X4_NEG = 0xe1;

/** Geometry baked into a {@link winogradGradientModuleBytes} kernel (in floats). */
export interface WinogradGradientShape {
  /** Channel groups of 4 (⌈O / 4⌉). */
  groups: number;
  /** Floats per pixel of the padded dy (its channels). */
  pixelFloats: number;
  /** Floats per row of the padded dy. */
  rowFloats: number;
  /** Floats per row of a transformed matrix. */
  ldz: number;
  /** Floats per transformed matrix. */
  matrixFloats: number;
}

/** `local.set dst (a op b)` on v128 locals. */
function op(dst: number, a: number, code: number, b: number): number[] {
  return [OP.localGet, a, OP.localGet, b, ...simd(code), OP.localSet, dst];
}

/** `local.set dst (a + b − c)` and friends: `a op1 b op2 c`. */
function op3(dst: number, a: number, op1: number, b: number, op2: number, c: number): number[] {
  return [
    OP.localGet,
    a,
    OP.localGet,
    b,
    ...simd(op1),
    OP.localGet,
    c,
    ...simd(op2),
    OP.localSet,
    dst,
  ];
}

/** `local.set l (local.get l + by)`. */
function bump(l: number, by: number): number[] {
  return [OP.localGet, l, OP.i32Const, ...sleb(by), OP.i32Add, OP.localSet, l];
}

/** `counter = count; loop { body; br_if (counter -= 1) }` (count ≥ 1, or a local holding it). */
function loop(counter: number, init: number[], body: number[]): number[] {
  return [
    ...init,
    OP.localSet,
    counter,
    OP.loop,
    OP.void,
    ...body,
    OP.localGet,
    counter,
    OP.i32Const,
    1,
    OP.i32Sub,
    OP.localTee,
    counter,
    OP.brIf,
    0,
    OP.end,
  ];
}

/** Bytes of the input-transform module (see the module comment). */
export function winogradInputModuleBytes(s: WinogradInputShape, shared: boolean): Uint8Array {
  const { localGet: get, localSet: set } = OP;
  const [X, V, T] = [0, 1, 2];
  const [XP, VP, G, XT] = [3, 4, 5, 6];
  const D = 7; // d[i] of one column j: locals D … D+3
  const TC = 11; // t[:, 1] (TC … TC+3) and t[:, 2] (TC+4 … TC+7)
  const TX = 19; // t[:, 0], then t[:, 3]: TX … TX+3
  const R = 23; // a result
  const load = (i: number, j: number) => [
    get,
    XP,
    ...simd(SIMD.load),
    ...memarg(4 * (i * s.rowFloats + j * s.pixelFloats)),
  ];
  /** t[:, j] = Bᵀ d[:, j] into locals at `to`. */
  const column = (j: number, to: number) => [
    ...[0, 1, 2, 3].flatMap((i) => [...load(i, j), set, D + i]),
    ...op(to, D, F32X4_SUB, D + 2),
    ...op(to + 1, D + 1, F32X4_ADD, D + 2),
    ...op(to + 2, D + 2, F32X4_SUB, D + 1),
    ...op(to + 3, D + 1, F32X4_SUB, D + 3),
  ];
  const store = (i: number, j: number) => [
    get,
    VP,
    get,
    R,
    ...simd(SIMD.store),
    ...memarg(4 * ((4 * i + j) * s.matrixFloats)),
  ];
  /** V[:, j] = combine(t columns) for every row i, stored. */
  const emit = (j: number, a: number, code: number, b: number) =>
    [0, 1, 2, 3].flatMap((i) => [...op(R, a + i, code, b + i), ...store(i, j)]);
  const T1 = TC;
  const T2 = TC + 4;
  const group = [
    ...column(1, T1),
    ...column(2, T2),
    ...emit(1, T1, F32X4_ADD, T2), // V[:,1] = t1 + t2
    ...emit(2, T2, F32X4_SUB, T1), // V[:,2] = t2 − t1
    ...column(0, TX),
    ...emit(0, TX, F32X4_SUB, T2), // V[:,0] = t0 − t2
    ...column(3, TX),
    ...emit(3, T1, F32X4_SUB, TX), // V[:,3] = t1 − t3
    ...bump(XP, 16),
    ...bump(VP, 16),
  ];
  const tile = [
    get,
    X,
    set,
    XP,
    get,
    V,
    set,
    VP,
    ...loop(G, [OP.i32Const, ...sleb(s.groups)], group),
    ...bump(X, 4 * 2 * s.pixelFloats),
    ...bump(V, 4 * s.ldv),
  ];
  const body = loop(XT, [get, T], tile);
  return kernelModule(
    3,
    [
      [4, OP.i32],
      [17, OP.v128],
    ],
    body,
    shared,
  );
}

/** Bytes of the output-transform module (see the module comment). */
export function winogradOutputModuleBytes(s: WinogradOutputShape, shared: boolean): Uint8Array {
  const { localGet: get, localSet: set } = OP;
  const [M, Y, T] = [0, 1, 2];
  const [MP, YP, G, CT] = [3, 4, 5, 6];
  const S = 7; // s[i][j] = (Aᵀ M)[i][j]: S + 4i + j (8 locals)
  const L = 15; // loaded m[ξ] of one column: L … L+3
  const R = 19;
  const load = (xi: number, to: number) => [
    get,
    MP,
    ...simd(SIMD.load),
    ...memarg(4 * xi * s.matrixFloats),
    set,
    to,
  ];
  /** s[0][j] = m0j + m1j + m2j, s[1][j] = m1j − m2j − m3j. */
  const column = (j: number) => [
    ...[0, 1, 2, 3].flatMap((i) => load(4 * i + j, L + i)),
    ...op3(S + j, L, F32X4_ADD, L + 1, F32X4_ADD, L + 2),
    ...op3(S + 4 + j, L + 1, F32X4_SUB, L + 2, F32X4_SUB, L + 3),
  ];
  const store = (i: number, k: number) => [
    get,
    YP,
    get,
    R,
    ...simd(SIMD.store),
    ...memarg(4 * (i * s.outRowFloats + k * s.ldc)),
  ];
  /** y[i][0] = s_i0 + s_i1 + s_i2, y[i][1] = s_i1 − s_i2 − s_i3. */
  const row = (i: number) => {
    const b = S + 4 * i;
    return [
      ...op3(R, b, F32X4_ADD, b + 1, F32X4_ADD, b + 2),
      ...store(i, 0),
      ...op3(R, b + 1, F32X4_SUB, b + 2, F32X4_SUB, b + 3),
      ...store(i, 1),
    ];
  };
  const group = [
    ...[0, 1, 2, 3].flatMap(column),
    ...row(0),
    ...row(1),
    ...bump(MP, 16),
    ...bump(YP, 16),
  ];
  const tile = [
    get,
    M,
    set,
    MP,
    get,
    Y,
    set,
    YP,
    ...loop(G, [OP.i32Const, ...sleb(s.groups)], group),
    ...bump(M, 4 * s.ldc),
    ...bump(Y, 4 * 2 * s.ldc),
  ];
  return kernelModule(
    3,
    [
      [4, OP.i32],
      [13, OP.v128],
    ],
    loop(CT, [get, T], tile),
    shared,
  );
}

/** Bytes of the output-gradient transform module (see the module comment). */
export function winogradGradientModuleBytes(s: WinogradGradientShape, shared: boolean): Uint8Array {
  const { localGet: get, localSet: set } = OP;
  const [DY, Z, T] = [0, 1, 2];
  const [DP, ZP, G, CT] = [3, 4, 5, 6];
  const U = 7; // u[i][b] = (A δ)[i][b]: U + 2i + b (8 locals)
  const L = 15; // δ[a][b]: L + 2a + b
  const R = 19;
  const load = (a: number, b: number) => [
    get,
    DP,
    ...simd(SIMD.load),
    ...memarg(4 * (a * s.rowFloats + b * s.pixelFloats)),
    set,
    L + 2 * a + b,
  ];
  const neg = (dst: number, a: number) => [get, a, ...simd(F32X4_NEG), set, dst];
  /** u[:, b] = A δ[:, b]: δ0, δ0 + δ1, δ0 − δ1, −δ1. */
  const column = (b: number) => [
    ...[get, L + b, set, U + b],
    ...op(U + 2 + b, L + b, F32X4_ADD, L + 2 + b),
    ...op(U + 4 + b, L + b, F32X4_SUB, L + 2 + b),
    ...neg(U + 6 + b, L + 2 + b),
  ];
  const store = (i: number, j: number) => [
    get,
    ZP,
    get,
    R,
    ...simd(SIMD.store),
    ...memarg(4 * (4 * i + j) * s.matrixFloats),
  ];
  /** z[i][:] = u[i][:] Aᵀ: u0, u0 + u1, u0 − u1, −u1. */
  const row = (i: number) => {
    const u0 = U + 2 * i;
    return [
      ...[get, u0, set, R],
      ...store(i, 0),
      ...op(R, u0, F32X4_ADD, u0 + 1),
      ...store(i, 1),
      ...op(R, u0, F32X4_SUB, u0 + 1),
      ...store(i, 2),
      ...neg(R, u0 + 1),
      ...store(i, 3),
    ];
  };
  const group = [
    ...load(0, 0),
    ...load(0, 1),
    ...load(1, 0),
    ...load(1, 1),
    ...column(0),
    ...column(1),
    ...[0, 1, 2, 3].flatMap(row),
    ...bump(DP, 16),
    ...bump(ZP, 16),
  ];
  const tile = [
    get,
    DY,
    set,
    DP,
    get,
    Z,
    set,
    ZP,
    ...loop(G, [OP.i32Const, ...sleb(s.groups)], group),
    ...bump(DY, 4 * 2 * s.pixelFloats),
    ...bump(Z, 4 * s.ldz),
  ];
  return kernelModule(
    3,
    [
      [4, OP.i32],
      [13, OP.v128],
    ],
    loop(CT, [get, T], tile),
    shared,
  );
}

/** Bytes of the block-sum module (see the module comment). */
export function blockSumModuleBytes(shared: boolean): Uint8Array {
  const { localGet: get, localSet: set } = OP;
  const [S, GROUPS, BLOCKS, STRIDE] = [0, 1, 2, 3];
  const [P, U, G] = [4, 5, 6];
  const ACC = 7;
  const add = [
    get,
    ACC,
    get,
    P,
    ...simd(SIMD.load),
    ...memarg(0),
    ...simd(F32X4_ADD),
    set,
    ACC,
    get,
    P,
    get,
    STRIDE,
    OP.i32Add,
    set,
    P,
  ];
  const group = [
    ...[get, S, ...simd(SIMD.load), ...memarg(0), set, ACC],
    ...[get, S, get, STRIDE, OP.i32Add, set, P],
    // blocks − 1 more (none when there is one block).
    ...[OP.block, OP.void, get, BLOCKS, OP.i32Const, 1, OP.i32Sub, OP.i32Eqz, OP.brIf, 0],
    ...loop(U, [get, BLOCKS, OP.i32Const, 1, OP.i32Sub], add),
    OP.end,
    ...[get, S, get, ACC, ...simd(SIMD.store), ...memarg(0)],
    ...bump(S, 16),
  ];
  return kernelModule(
    4,
    [
      [3, OP.i32],
      [1, OP.v128],
    ],
    loop(G, [get, GROUPS], group),
    shared,
  );
}
