import { setFlagsFromString } from 'node:v8';
import { simdSupport } from './simd-support';

/**
 * Turns on WebAssembly relaxed SIMD in this Node process where it is not on already: Node 20 has it
 * behind V8's `--experimental-wasm-relaxed-simd`; Node ≥ 22 ships it on, and newer V8s no longer
 * know the flag (setting it would print "unrecognized flag"). Call it before any module that uses
 * relaxed SIMD compiles. For tests and benchmarks (Node only; not part of the package's entry).
 * @returns whether relaxed SIMD is supported afterwards.
 */
export function enableRelaxedSimd(): boolean {
  if (simdSupport().relaxed) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return simdSupport().relaxed;
}
