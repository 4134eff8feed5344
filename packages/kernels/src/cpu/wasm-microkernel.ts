/**
 * The GEMM micro-kernel as a WebAssembly SIMD function, assembled here from its instructions (no
 * binary blob): a 4×8 tile `T = Σ_p A[:, p] ⊗ B[p, :]` over packed panels in the imported memory,
 * four f32x4 splats of A against two f32x4 loads of B per step (16 multiply-adds on 8 vector
 * accumulators), then added into a row-major C block in the same memory: `C[i][0..8) += T[i]`.
 * Accumulation is float32, in `p` order, each lane independently; `C + T` is one float32 add.
 *
 * Two variants: plain SIMD (`f32x4.mul` then `f32x4.add`, two roundings per step) and relaxed SIMD
 * (`f32x4.relaxed_madd`, one rounding where the CPU has FMA). Every thread of a process runs the
 * same variant, so results never depend on the thread count.
 *
 * Signature: `k(kc, aByteOffset, bByteOffset, cByteOffset, ldcBytes)`, `kc ≥ 1`;
 * A panel: element `(i, p)` at `a + 4 · (4p + i)`; B panel: element `(p, j)` at `b + 4 · (8p + j)`;
 * C element `(i, j)` at `c + i · ldc + 4j`.
 */
import { kernelModule, memarg, OP, SIMD, simd, sleb } from './wasm-asm';

/** Which instructions a kernel module uses for its multiply-adds. */
export interface SimdVariant {
  /** `f32x4.relaxed_madd` instead of `f32x4.mul` + `f32x4.add`. */
  relaxed: boolean;
  /** Import a shared memory (worker pool) instead of an unshared one (calling thread only). */
  shared: boolean;
}

/** `acc = a · b + acc` on three v128 locals. */
export function multiplyAdd(acc: number, a: number, b: number, relaxed: boolean): number[] {
  const { localGet, localSet } = OP;
  if (relaxed) {
    return [localGet, a, localGet, b, localGet, acc, ...simd(SIMD.f32x4RelaxedMadd), localSet, acc];
  }
  return [
    localGet,
    acc,
    localGet,
    a,
    localGet,
    b,
    ...simd(SIMD.f32x4Mul),
    ...simd(SIMD.f32x4Add),
    localSet,
    acc,
  ];
}

/** Bytes of the micro-kernel module (see the module comment). */
export function microKernelModuleBytes(variant: SimdVariant): Uint8Array {
  const { localGet, localSet, localTee, i32Const, i32Add, i32Sub, loop, brIf, end } = OP;
  // Locals: 0 kc, 1 a, 2 b, 3 c, 4 ldc (params); 5..12 accumulators acc[i][h] at 5 + 2i + h;
  // 13, 14 the two B vectors; 15 the A splat.
  const [KC, A, B, C, LDC] = [0, 1, 2, 3, 4];
  const acc = (i: number, h: number) => 5 + 2 * i + h;
  const B0 = 13;
  const AS = 15;
  const body: number[] = [loop, OP.void];
  for (let h = 0; h < 2; h++) {
    body.push(localGet, B, ...simd(SIMD.load), ...memarg(16 * h), localSet, B0 + h);
  }
  for (let i = 0; i < 4; i++) {
    body.push(localGet, A, ...simd(SIMD.load32Splat), ...memarg(4 * i), localSet, AS);
    for (let h = 0; h < 2; h++) body.push(...multiplyAdd(acc(i, h), AS, B0 + h, variant.relaxed));
  }
  body.push(localGet, A, i32Const, ...sleb(16), i32Add, localSet, A);
  body.push(localGet, B, i32Const, ...sleb(32), i32Add, localSet, B);
  body.push(localGet, KC, i32Const, ...sleb(1), i32Sub, localTee, KC, brIf, 0);
  body.push(end);
  // C[i][h] += acc[i][h], row by row (C += ldc between rows).
  for (let i = 0; i < 4; i++) {
    for (let h = 0; h < 2; h++) {
      body.push(localGet, C, localGet, C, ...simd(SIMD.load), ...memarg(16 * h));
      body.push(
        localGet,
        acc(i, h),
        ...simd(SIMD.f32x4Add),
        ...simd(SIMD.store),
        ...memarg(16 * h),
      );
    }
    if (i < 3) body.push(localGet, C, localGet, LDC, i32Add, localSet, C);
  }
  return kernelModule(5, [[11, OP.v128]], body, variant.shared);
}
