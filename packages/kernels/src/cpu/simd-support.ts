/**
 * What the JavaScript runtime offers the cpu kernels: WebAssembly SIMD, relaxed SIMD (fused
 * multiply-add; shipped in V8 ≥ 11.4, i.e. Node ≥ 22, behind `--experimental-wasm-relaxed-simd`
 * in Node 20), and module bytes compiled for a variant.
 */
import { KernelError } from '../errors';
import { wasmApi } from './thread-context';
import { microKernelModuleBytes, type SimdVariant } from './wasm-microkernel';

/** Which micro-kernels run: relaxed-SIMD FMA, plain SIMD, or none (scalar JavaScript). */
export type SimdLevel = 'relaxed' | 'plain' | 'none';

/** Whether the runtime validates the micro-kernel of `variant`. */
function validates(variant: SimdVariant): boolean {
  const api = wasmApi();
  return api?.validate(microKernelModuleBytes(variant)) === true;
}

/** What this runtime supports, checked now (a V8 flag set at run time takes effect). */
export function simdSupport(): { simd: boolean; relaxed: boolean } {
  const simd = validates({ relaxed: false, shared: false });
  return { simd, relaxed: simd && validates({ relaxed: true, shared: false }) };
}

/**
 * The SIMD level for the `relaxedSimd` option: `undefined` → relaxed where supported, else plain
 * SIMD, else none; `false` → plain SIMD (else none); `true` → relaxed, or a {@link KernelError}.
 */
export function chooseSimdLevel(relaxedSimd: boolean | undefined): SimdLevel {
  const support = simdSupport();
  if (relaxedSimd === true && !support.relaxed) {
    throw new KernelError(
      'registerVqkitKernels: options.relaxedSimd is true, but this JavaScript runtime does not support WebAssembly relaxed SIMD. Use Node.js >= 22, or run Node 20 with --experimental-wasm-relaxed-simd, or omit the option (relaxed SIMD where available, plain SIMD otherwise).',
    );
  }
  if (relaxedSimd !== false && support.relaxed) return 'relaxed';
  return support.simd ? 'plain' : 'none';
}
