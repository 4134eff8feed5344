/**
 * The nearest-code micro-kernel as a WebAssembly SIMD function, generated for one code dimension
 * D (fully unrolled over D): four rows of z in the four lanes, the codes swept in order.
 *
 * For each group of 4 rows (z stored transposed: `zt[g][d][lane]`) and each code `j ∈ [k0, k1)`:
 *
 *   acc  = Σ_d zt[d] · splat(e[j, d])          float32, in d order (mul + add, or relaxed_madd)
 *   dist = splat(‖e_j‖²) − (acc + acc)          ‖e_j‖² precomputed, float32
 *   if (dist < best) { best = dist; idx = j }   per lane, strict <
 *
 * so ties go to the lowest code index and a NaN distance is never taken. The running `best`
 * (f32x4) and `idx` (i32x4) of every group live in memory between calls, so the caller sweeps the
 * codebook tile by tile (each tile cache-resident while every row group passes over it).
 *
 * Signature: `k(groups, zt, e, norms, k0, k1, best, idx)` (byte offsets; `groups ≥ 1`,
 * `k1 > k0`): `zt` → groups × D × 4 floats, `e` → code 0 of the codebook `[K, D]`, `norms` →
 * `‖e_0‖²…`, `best` → groups × 4 floats, `idx` → groups × 4 int32.
 */
import { kernelModule, memarg, OP, SIMD, simd, sleb } from './wasm-asm';
import { multiplyAdd, type SimdVariant } from './wasm-microkernel';

/** Code dimensions up to this keep the 4 rows' z in registers; above, z is reloaded per code. */
const Z_IN_LOCALS_MAX_DIM = 16;

/** Bytes of the nearest-code module for code dimension `d` (see the module comment). */
export function nearestCodeModuleBytes(d: number, variant: SimdVariant): Uint8Array {
  const {
    localGet: get,
    localSet: set,
    localTee: tee,
    i32Const,
    i32Add,
    i32Mul,
    i32Sub,
    i32Ne,
  } = OP;
  const [G, ZT, E, NORMS, K0, K1, BEST, IDX] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [EP, NP, J] = [8, 9, 10];
  const [BV, IV, JV, ACC, ONE, DIST, MASK, EJ] = [11, 12, 13, 14, 15, 16, 17, 18];
  const zInLocals = d <= Z_IN_LOCALS_MAX_DIM;
  const ZV0 = 19;
  const zv = (t: number) =>
    zInLocals ? [get, ZV0 + t] : [get, ZT, ...simd(SIMD.load), ...memarg(16 * t)];
  const splatE = (t: number) => [get, EP, ...simd(SIMD.load32Splat), ...memarg(4 * t), set, EJ];
  const body: number[] = [i32Const, ...sleb(1), ...simd(SIMD.i32x4Splat), set, ONE];
  body.push(OP.loop, OP.void);
  if (zInLocals) {
    for (let t = 0; t < d; t++) {
      body.push(get, ZT, ...simd(SIMD.load), ...memarg(16 * t), set, ZV0 + t);
    }
  }
  body.push(get, BEST, ...simd(SIMD.load), ...memarg(0), set, BV);
  body.push(get, IDX, ...simd(SIMD.load), ...memarg(0), set, IV);
  body.push(get, K0, ...simd(SIMD.i32x4Splat), set, JV);
  body.push(get, E, get, K0, i32Const, ...sleb(4 * d), i32Mul, i32Add, set, EP);
  body.push(get, NORMS, get, K0, i32Const, ...sleb(4), i32Mul, i32Add, set, NP);
  body.push(get, K0, set, J);
  body.push(OP.loop, OP.void);
  body.push(...splatE(0), ...zv(0), get, EJ, ...simd(SIMD.f32x4Mul), set, ACC);
  for (let t = 1; t < d; t++) {
    if (zInLocals) {
      body.push(...splatE(t), ...multiplyAdd(ACC, ZV0 + t, EJ, variant.relaxed));
    } else {
      body.push(...splatE(t), ...zv(t), set, DIST, ...multiplyAdd(ACC, DIST, EJ, variant.relaxed));
    }
  }
  body.push(get, NP, ...simd(SIMD.load32Splat), ...memarg(0));
  body.push(get, ACC, get, ACC, ...simd(SIMD.f32x4Add), ...simd(SIMD.f32x4Sub), tee, DIST);
  body.push(get, BV, ...simd(SIMD.f32x4Lt), set, MASK);
  body.push(get, DIST, get, BV, get, MASK, ...simd(SIMD.bitselect), set, BV);
  body.push(get, JV, get, IV, get, MASK, ...simd(SIMD.bitselect), set, IV);
  body.push(get, JV, get, ONE, ...simd(SIMD.i32x4Add), set, JV);
  body.push(get, EP, i32Const, ...sleb(4 * d), i32Add, set, EP);
  body.push(get, NP, i32Const, ...sleb(4), i32Add, set, NP);
  body.push(get, J, i32Const, ...sleb(1), i32Add, tee, J, get, K1, i32Ne, OP.brIf, 0);
  body.push(OP.end);
  body.push(get, BEST, get, BV, ...simd(SIMD.store), ...memarg(0));
  body.push(get, IDX, get, IV, ...simd(SIMD.store), ...memarg(0));
  body.push(get, ZT, i32Const, ...sleb(16 * d), i32Add, set, ZT);
  body.push(get, BEST, i32Const, ...sleb(16), i32Add, set, BEST);
  body.push(get, IDX, i32Const, ...sleb(16), i32Add, set, IDX);
  body.push(get, G, i32Const, ...sleb(1), i32Sub, tee, G, OP.brIf, 0);
  body.push(OP.end);
  const v128Locals = 8 + (zInLocals ? d : 0);
  return kernelModule(
    8,
    [
      [3, OP.i32],
      [v128Locals, OP.v128],
    ],
    body,
    variant.shared,
  );
}
