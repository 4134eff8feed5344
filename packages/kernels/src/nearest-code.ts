import * as tf from '@tensorflow/tfjs-core';
import type { NearestCodeSearch } from '@vqkit/quantizer';
import { nearestCodeCpuConfig } from './cpu/nearest-code-kernel';
import { KernelError } from './errors';
import { NEAREST_CODE_KERNEL } from './kernel-names';
import { nearestCodeKernelConfig } from './webgpu/nearest-code';

/** vqkit's fused nearest-code kernel config for each backend it has one for. */
const FUSED_CONFIGS: Readonly<Record<string, tf.KernelConfig>> = {
  cpu: nearestCodeCpuConfig,
  webgpu: nearestCodeKernelConfig,
};

/** Whether vqkit has a fused nearest-code kernel for `backendName`. */
export function hasFusedNearestCode(backendName: string): boolean {
  return Object.hasOwn(FUSED_CONFIGS, backendName);
}

function validate(fn: string, z: tf.Tensor, codebook: tf.Tensor, chunkSize: number): void {
  if (z.rank !== 2 || codebook.rank !== 2 || z.shape[1] !== codebook.shape[1]) {
    throw new KernelError(
      `${fn}: expected z [N, D] and codebook [K, D] with the same D, got z [${z.shape}] and codebook [${codebook.shape}]. Reshape z to [-1, D] first.`,
    );
  }
  if (z.dtype !== 'float32' || codebook.dtype !== 'float32') {
    throw new KernelError(
      `${fn}: expected float32 z and codebook, got ${z.dtype} and ${codebook.dtype}. Cast them with tf.cast(t, 'float32').`,
    );
  }
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new KernelError(
      `${fn}: options.chunkSize must be a positive integer, got ${chunkSize}. Pass e.g. { chunkSize: 4096 }.`,
    );
  }
  if (codebook.shape[0] === 0) {
    throw new KernelError(
      `${fn}: the codebook is empty (shape [${codebook.shape}]); it needs at least one code vector.`,
    );
  }
}

/**
 * Fused nearest-code search (distance + argmin, no `[N, K]` matrix) on the active backend, under
 * the contract of `NearestCodeSearch` (float32 distances, ties → lowest index): it runs the
 * {@link NEAREST_CODE_KERNEL} kernel, registering vqkit's on first use —
 * - `cpu`: the blocked WebAssembly-SIMD search on the configured threads (`registerVqkitKernels`);
 *   `chunkSize` changes neither its result nor its memory (it needs no `[chunk, K]` block);
 * - `webgpu`: the WGSL kernel (codebook tiles in workgroup memory), `chunkSize` rows per dispatch.
 *
 * Works inside `tf.tidy`. The result is computed from detached handles of `z` and `codebook`,
 * so it is not connected to them on the gradient tape (no gradient is ever requested for the
 * integer indices). `registerVqkitKernels()` returns this function as `nearestCodeSearch` for
 * cpu and webgpu, and `undefined` elsewhere (keep the quantizer's default search there).
 *
 * @throws {@link KernelError} on rank, dtype, width or chunkSize mismatch, an empty codebook, or
 *   a backend vqkit has no fused search for (e.g. `tensorflow`).
 */
export const fusedNearestCode: NearestCodeSearch = (z, codebook, options) => {
  validate('fusedNearestCode', z, codebook, options.chunkSize);
  const backendName = tf.getBackend();
  const config = FUSED_CONFIGS[backendName];
  if (config === undefined) {
    throw new KernelError(
      `fusedNearestCode: vqkit has no fused nearest-code kernel for the '${backendName}' backend (only for ${Object.keys(FUSED_CONFIGS).join(' and ')}). Keep the quantizer's default search there: registerVqkitKernels() returns nearestCodeSearch: undefined for such backends.`,
    );
  }
  if (tf.getKernel(NEAREST_CODE_KERNEL, backendName) == null) tf.registerKernel(config);
  return tf.tidy(
    () =>
      tf
        .engine()
        .runKernel(
          NEAREST_CODE_KERNEL,
          { z: detach(z), codebook: detach(codebook) },
          { chunkSize: options.chunkSize },
        ) as tf.Tensor1D,
  );
};

/**
 * A new tensor handle on `t`'s data with no tape history (tfjs has no `stopGradient`): the index
 * result computed from it is not connected to `t` on the gradient tape, so backprop never asks
 * for a gradient with respect to integer indices (e.g. through `tf.gather(codebook, idx)`).
 */
function detach<T extends tf.Tensor>(t: T): T {
  const engine = tf.engine();
  const handle = engine.makeTensorFromDataId(t.dataId, t.shape, t.dtype) as T;
  // makeTensorFromDataId does not take a data reference; take one so disposing the handle
  // leaves `t` intact.
  engine.backend.incRef(t.dataId);
  return handle;
}
