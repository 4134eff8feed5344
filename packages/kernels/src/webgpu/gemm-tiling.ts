/**
 * Tiling heuristics shared by the implicit-GEMM WGSL programs of this folder: workgroups of 256
 * invocations, a TM × TN output tile per workgroup with a WM × WN register micro-tile per
 * invocation, TK reduction rows per workgroup-memory step, and split-K for small outputs.
 */
import { KernelError } from './errors';
import { ceilDiv, nextPow2 } from './program';

/** Invocations per workgroup of the GEMM program (`wgX · wgY`). */
export const GEMM_THREADS = 256;
/** Workgroup-memory budget in f32 elements (16 KiB: WebGPU's default `maxComputeWorkgroupStorageSize`). */
const WORKGROUP_FLOATS = 4096;
/** Split-K aims for at least this many workgroups so a large GPU is filled. */
const TARGET_WORKGROUPS = 256;
/** A split never reduces fewer than this many rows (below it the second pass costs more than it saves). */
const MIN_ROWS_PER_SPLIT = 256;
/** Upper bound on split-K partitions (the partial buffer is `splits · M · N` floats). */
const MAX_SPLITS = 64;

/**
 * Tile shape and split-K partition of one implicit GEMM `C[M, N] = Σ_r A[M, r] · B[r, N]`.
 * Tile sizes: `TM = wgY · wm` filter rows × `TN = wgX · wn` output channels, `tk` reduction
 * rows per step; `splits` workgroups share the reduction, each `chunk` rows (a multiple of `tk`).
 */
export interface GemmTiling {
  /** Workgroup width (invocations along N). */
  wgX: number;
  /** Workgroup height (invocations along M); `wgX · wgY = 256`, and `TM = wgY · wm` divides 256. */
  wgY: number;
  /** Output rows per invocation (1, 2 or 4). */
  wm: number;
  /** Output columns per invocation (1, 2 or 4). */
  wn: number;
  /** Reduction rows staged in workgroup memory per step (8 or 16). */
  tk: number;
  /** Split-K partitions of the reduction (1 = no split, no second pass). */
  splits: number;
  /** Reduction rows per partition (a multiple of `tk`; the last partition may be shorter). */
  chunk: number;
}

/**
 * Picks the tiling for a GEMM with `m` output rows, `n` output columns and a reduction of length
 * `r` (for Conv2DBackpropFilter: M = FH·FW·CI, N = CO, R = B·OH·OW). `splits` forces the split-K factor (it is clamped to
 * `[1, ceil(r / tk)]`); by default split-K is used only when the output has fewer tiles than
 * 256 workgroups and every partition still reduces ≥ 256 rows.
 */
export function chooseGemmTiling(m: number, n: number, r: number, splits?: number): GemmTiling {
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['r', r],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new KernelError(
        `chooseGemmTiling: ${name} must be a positive integer, got ${v}. Pass the GEMM sizes M, N and the reduction length R.`,
      );
    }
  }
  const tn = Math.min(64, Math.max(4, nextPow2(n)));
  const wn = tn >= 64 ? 4 : tn >= 32 ? 2 : 1;
  const wgX = tn / wn;
  const wgY = GEMM_THREADS / wgX;
  const wm = m >= wgY * 4 ? 4 : m >= wgY * 2 ? 2 : 1;
  const tm = wgY * wm;
  const tk = 16 * (tm + tn) <= WORKGROUP_FLOATS ? 16 : 8;
  const tiles = ceilDiv(m, tm) * ceilDiv(n, tn);
  const maxSplits = ceilDiv(r, tk);
  let s: number;
  if (splits !== undefined) {
    if (!Number.isInteger(splits) || splits < 1) {
      throw new KernelError(
        `chooseGemmTiling: splits must be a positive integer, got ${splits}. Omit it to let the heuristic choose.`,
      );
    }
    s = Math.min(splits, maxSplits);
  } else if (tiles >= TARGET_WORKGROUPS) {
    s = 1;
  } else {
    s = Math.max(
      1,
      Math.min(ceilDiv(TARGET_WORKGROUPS, tiles), Math.floor(r / MIN_ROWS_PER_SPLIT), MAX_SPLITS),
    );
  }
  const chunk = ceilDiv(ceilDiv(r, s), tk) * tk;
  return { wgX, wgY, wm, wn, tk, splits: ceilDiv(r, chunk), chunk };
}
