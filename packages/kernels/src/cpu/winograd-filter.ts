/**
 * The filter gradient of a 3×3 stride-1 convolution by Winograd's F(2×2, 3×3): with `d` the 4×4
 * input patch and `δ` the 2×2 output-gradient block of tile `t`,
 *
 *   dW = Gᵀ [ Σ_t (Bᵀ d_t B) ⊙ (A δ_t Aᵀ) ] G
 *
 * (the gradient of `y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` with respect to `g`): per transform position
 * `ξ`, `S[ξ] = Σ_t V_t[ξ]ᵀ Z_t[ξ]` is a `[C, O]` reduction over tiles — the direct filter-gradient
 * kernel's job — with 2.25× fewer multiplies than the direct convolution.
 *
 * The tiles are cut into blocks of whole tile rows fixed by the geometry alone (≥ 512 tiles, at
 * most 16 blocks). A unit is one block: it transforms its tiles into
 * its thread's scratch and sums them into its own `S_u`; the calling thread then adds the blocks
 * in order (float64) and applies `Gᵀ · G`. So every element is summed in the same order whatever
 * thread ran which block — and a long reduction is summed in blocks, which keeps its rounding
 * error small. Shipped to the worker threads (`worker-source.ts`).
 */
import type { ConvGeometry } from './conv-geometry';
import type { FilterKernel } from './direct-conv';
import { directBlocking, paddedLayout } from './direct-conv-layout';
import { type WinogradTransform, winogradPlan } from './winograd-conv';

/**
 * Blocks, scratch and operands of the Winograd filter gradient of forward geometry `g`, in floats:
 * the padded x (as the forward convolution's), dy zero-padded to whole tiles, and per block the
 * 16 matrices `S_u[ξ]` of `⌈C / 4⌉ · 4` rows × `ldw` floats; each thread's scratch holds a block's
 * transformed inputs `V[ξ]` and gradients `Z[ξ]`.
 */
export function winogradFilterPlan(g: ConvGeometry) {
  const { NR } = directBlocking();
  const p = winogradPlan(g);
  const tileRows = g.batch * p.tilesH;
  const blockRows = Math.max(Math.ceil(512 / p.tilesW), Math.ceil(tileRows / 16), 1);
  const blocks = Math.ceil(tileRows / blockRows);
  const blockTiles = blockRows * p.tilesW;
  const ldw = Math.ceil(g.outC / NR) * NR;
  const rowsC = Math.ceil(g.inC / 4) * 4;
  const dy = paddedLayout(
    g.batch,
    { h: g.outH, w: g.outW, c: g.outC },
    0,
    0,
    2 * p.tilesH,
    2 * p.tilesW,
  );
  const round = (n: number) => Math.ceil(n / 16) * 16;
  const dyp = round(p.layout.floats);
  const s = round(dyp + dy.floats);
  const sFloats = rowsC * ldw;
  const vFloats = blockTiles * p.ldv;
  const zFloats = blockTiles * ldw;
  return {
    tileRows,
    blockRows,
    blocks,
    ldw,
    rowsC,
    dy,
    vFloats,
    zFloats,
    sFloats,
    operands: { xp: 0, dyp, s, floats: round(s + blocks * 16 * sFloats) },
    scratchFloats: 16 * (vFloats + zFloats),
  };
}

/** `k(s, groups, blocks, strideBytes)` of `wasm-winograd.ts`: the blocks' sums into block 0. */
export type BlockSum = (s: number, groups: number, blocks: number, strideBytes: number) => void;

/** The kernels of a Winograd filter-gradient unit. */
export interface WinogradFilterKernels {
  input: WinogradTransform;
  gradient: WinogradTransform;
  filter: FilterKernel;
}

/**
 * Block `u` of the Winograd filter gradient of `g`: its tiles' `V` and `Z` into this thread's
 * scratch at `at.out`, then `S_u[ξ] = Σ_t V_t[ξ]ᵀ Z_t[ξ]` (operands from `at.base`,
 * {@link winogradFilterPlan} layout).
 */
export function winogradFilterBlock(
  k: WinogradFilterKernels,
  f32: Float32Array,
  g: ConvGeometry,
  at: { base: number; out: number },
  u: number,
): void {
  const p = winogradPlan(g);
  const P = winogradFilterPlan(g);
  const L = p.layout;
  const r0 = u * P.blockRows;
  const r1 = Math.min(P.tileRows, r0 + P.blockRows);
  const V = at.out;
  const Z = at.out + 16 * P.vFloats;
  f32.fill(0, Z, Z + 16 * P.zFloats);
  for (let r = r0; r < r1; r++) {
    const b = Math.floor(r / p.tilesH);
    const ty = r - b * p.tilesH;
    const i = (r - r0) * p.tilesW;
    const x = at.base + P.operands.xp + (b * L.H + 2 * ty) * L.W * L.C;
    const dy = at.base + P.operands.dyp + (b * P.dy.H + 2 * ty) * P.dy.W * P.dy.C;
    k.input(4 * x, 4 * (V + i * p.ldv), p.tilesW);
    k.gradient(4 * dy, 4 * (Z + i * P.ldw), p.tilesW);
  }
  const S = at.base + P.operands.s + u * 16 * P.sFloats;
  f32.fill(0, S, S + 16 * P.sFloats);
  for (let xi = 0; xi < 16; xi++) {
    for (let c = 0; c < P.rowsC; c += 4) {
      const v = 4 * (V + xi * P.vFloats + c);
      k.filter(
        v,
        4 * (Z + xi * P.zFloats),
        4 * (S + xi * P.sFloats + c * P.ldw),
        P.ldw / 8,
        r1 - r0,
      );
    }
  }
}

/**
 * `dw [3, 3, C, O]` from the blocks' sums: `S = Σ_u S_u` in block order (float32, by `blockSum`,
 * into block 0), then `dW[fy][fx] = Σ_{i,j} Gᵀ[fy][i] S[4i + j] Gᵀ[fx][j]` in float64, rounded
 * once; `Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]`.
 */
export function winogradFilterFinish(
  blockSum: BlockSum,
  f32: Float32Array,
  g: ConvGeometry,
  base: number,
  dw: Float32Array,
): void {
  const P = winogradFilterPlan(g);
  const n = 16 * P.sFloats;
  const from = base + P.operands.s;
  blockSum(4 * from, n / 4, P.blocks, 4 * n);
  const sum = f32.subarray(from, from + n);
  const t = new Float64Array(12);
  for (let c = 0; c < g.inC; c++) {
    for (let o = 0; o < g.outC; o++) {
      const at = c * P.ldw + o;
      // t[i][fx] = Σ_j S[4i + j] G[j][fx]: s0 + ½(s1 + s2), ½(s1 − s2), ½(s1 + s2) + s3.
      for (let i = 0, e = at + 4 * i * P.sFloats; i < 4; i++, e += 4 * P.sFloats) {
        const s0 = sum[e]!;
        const s1 = sum[e + P.sFloats]!;
        const s2 = sum[e + 2 * P.sFloats]!;
        const s3 = sum[e + 3 * P.sFloats]!;
        t[3 * i] = s0 + (s1 + s2) * 0.5;
        t[3 * i + 1] = (s1 - s2) * 0.5;
        t[3 * i + 2] = (s1 + s2) * 0.5 + s3;
      }
      // dW[fy][fx] = Σ_i Gᵀ[fy][i] t[i][fx]: t0 + ½(t1 + t2), ½(t1 − t2), ½(t1 + t2) + t3.
      const to = c * g.outC + o;
      const tap = g.inC * g.outC;
      for (let fx = 0; fx < 3; fx++) {
        const t0 = t[fx]!;
        const t1 = t[3 + fx]!;
        const t2 = t[6 + fx]!;
        const t3 = t[9 + fx]!;
        dw[to + fx * tap] = t0 + (t1 + t2) * 0.5;
        dw[to + (3 + fx) * tap] = (t1 - t2) * 0.5;
        dw[to + (6 + fx) * tap] = (t1 + t2) * 0.5 + t3;
      }
    }
  }
}

/** The functions of this file that run in the worker threads (see `worker-source.ts`). */
export const WINOGRAD_FILTER_WORKER_FUNCTIONS = [winogradFilterPlan, winogradFilterBlock];
