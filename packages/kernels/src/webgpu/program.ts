/**
 * Shared plumbing for the WGSL programs of this folder: the structural type tfjs-backend-webgpu's
 * `runWebGPUProgram` expects, the backend surface we use, and small dispatch helpers.
 *
 * Nothing here imports `@tensorflow/tfjs-backend-webgpu` at run time (type imports only), so
 * importing @vqkit/kernels never evaluates the webgpu backend module before `navigator.gpu`
 * exists.
 */

import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type * as tf from '@tensorflow/tfjs-core';
import { KernelError } from './errors';

export type { WebGPUBackend, WebGPUProgram };

/** One program-defined uniform as `runWebGPUProgram` takes it (`int32` → `i32`, `float32` → `f32`). */
export interface ProgramUniform {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** `Math.ceil(a / b)` for positive integers. */
export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** Smallest power of two ≥ `n` (n ≥ 1). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * The active tfjs backend as a WebGPU backend, or a `KernelError` naming `op` when the active
 * backend is something else.
 */
export function requireWebGPUBackend(backend: unknown, op: string): WebGPUBackend {
  const candidate = (backend ?? {}) as Partial<WebGPUBackend>;
  if (typeof candidate.runWebGPUProgram !== 'function' || candidate.device == null) {
    throw new KernelError(
      `${op}: expected the tfjs 'webgpu' backend, got a backend without runWebGPUProgram. ` +
        `Call await tf.setBackend('webgpu') first (see @vqkit/runtime), or use the cpu kernels.`,
    );
  }
  return candidate as WebGPUBackend;
}

/**
 * Runs `program` on `backend` and returns the output. When `output` is given the program
 * writes into it (used to fill one tensor from several dispatches).
 */
export function runProgram(
  backend: WebGPUBackend,
  program: WebGPUProgram,
  inputs: tf.TensorInfo[],
  dtype: tf.DataType,
  uniforms: ProgramUniform[],
  output?: tf.TensorInfo,
): tf.TensorInfo {
  // tfjs types the uniform list loosely as `Array<{type: string; data: number[]}>`.
  return backend.runWebGPUProgram(program, inputs, dtype, uniforms, output);
}
