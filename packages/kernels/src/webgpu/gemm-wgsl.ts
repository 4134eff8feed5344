/**
 * The WGSL shared by the implicit-GEMM programs of this folder (Conv2DBackpropFilter,
 * Conv2DBackpropInput): workgroup tiles, the register micro-tile and its update.
 *
 * Layout: `tileA` holds TK × TM values of A (k-major: element (k, m) at k·TM + m), `tileB`
 * TK × TN values of B (element (k, n) at k·TN + n). Invocation (tx, ty) owns output rows
 * ty·WM … ty·WM + WM − 1 and columns tx·WN … tx·WN + WN − 1 of the workgroup's tile. With a 4 × 4
 * micro-tile the tiles are stored as `vec4<f32>` so one step reads one vec4 of A and one of B
 * and does four vec4 FMAs; other micro-tiles use scalar tiles.
 */
import type { GemmTiling } from './gemm-tiling';

/** Whether `tiling` takes the vec4 micro-kernel. */
export function isVec4Tiling(tiling: GemmTiling): boolean {
  return tiling.wm === 4 && tiling.wn === 4;
}

/**
 * Module-scope WGSL: the tile constants (WG_X, WG_Y, WM, WN, TM, TN, TK, THREADS), the two
 * workgroup tiles and `setA(k, m, v)` / `setB(k, n, v)` that store one element.
 */
export function gemmDeclarations(tiling: GemmTiling): string {
  const { wgX, wgY, wm, wn, tk } = tiling;
  const tm = wgY * wm;
  const tn = wgX * wn;
  const vec4 = isVec4Tiling(tiling);
  const tiles = vec4
    ? `
  var<workgroup> tileA : array<vec4<f32>, ${(tk * tm) / 4}>;  // [TK][TM / 4]
  var<workgroup> tileB : array<vec4<f32>, ${(tk * tn) / 4}>;  // [TK][TN / 4]
  fn setA(k : i32, m : i32, v : f32) {
    let i = k * TM + m;
    tileA[i / 4][i % 4] = v;
  }
  fn setB(k : i32, n : i32, v : f32) {
    let i = k * TN + n;
    tileB[i / 4][i % 4] = v;
  }`
    : `
  var<workgroup> tileA : array<f32, ${tk * tm}>;  // [TK][TM]
  var<workgroup> tileB : array<f32, ${tk * tn}>;  // [TK][TN]
  fn setA(k : i32, m : i32, v : f32) {
    tileA[k * TM + m] = v;
  }
  fn setB(k : i32, n : i32, v : f32) {
    tileB[k * TN + n] = v;
  }`;
  return `
  const WG_X = ${wgX};
  const WG_Y = ${wgY};
  const WM = ${wm};
  const WN = ${wn};
  const TM = ${tm};
  const TN = ${tn};
  const TK = ${tk};
  const THREADS = ${wgX * wgY};${tiles}`;
}

/** Function-scope WGSL declaring the zeroed accumulator `acc` of one invocation. */
export function gemmAccumulator(tiling: GemmTiling): string {
  const init = isVec4Tiling(tiling) ? 'array<vec4<f32>, 4>' : 'array<array<f32, WN>, WM>';
  return `var acc : ${init};`;
}

/**
 * WGSL for one workgroup step: `acc += tileA[:, rows]ᵀ · tileB[:, cols]` over the TK staged
 * reduction rows (uses `tx`, `ty`).
 */
export function gemmStep(tiling: GemmTiling): string {
  if (isVec4Tiling(tiling)) {
    return `
      for (var kk = 0; kk < TK; kk = kk + 1) {
        let a = tileA[kk * (TM / 4) + ty];
        let b = tileB[kk * (TN / 4) + tx];
        acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
        acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
        acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
        acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
      }`;
  }
  return `
      for (var kk = 0; kk < TK; kk = kk + 1) {
        var a : array<f32, WM>;
        var b : array<f32, WN>;
        for (var i = 0; i < WM; i = i + 1) {
          a[i] = tileA[kk * TM + ty * WM + i];
        }
        for (var j = 0; j < WN; j = j + 1) {
          b[j] = tileB[kk * TN + tx * WN + j];
        }
        for (var i = 0; i < WM; i = i + 1) {
          for (var j = 0; j < WN; j = j + 1) {
            acc[i][j] = fma(a[i], b[j], acc[i][j]);
          }
        }
      }`;
}

/** WGSL expression for the accumulated value of micro-tile element (i, j); row ty·WM + i, column tx·WN + j. */
export function gemmAcc(i: string, j: string): string {
  return `acc[${i}][${j}]`;
}
