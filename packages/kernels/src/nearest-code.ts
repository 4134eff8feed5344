import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { nearestCodeCpu } from './cpu/nearest-code';
import { KernelError } from './errors';
import { webgpuNearestCode } from './webgpu/index';

/** Name under which the fused nearest-code kernel is registered (inputs `z`, `codebook`; attr `chunkSize`). */
export const NEAREST_CODE_KERNEL = 'VqkitNearestCode';

/** Options of a {@link NearestCodeSearch}. */
export interface NearestCodeSearchOptions {
  /**
   * Rows of `z` handled per chunk. The fused kernels keep `O(chunkSize)` running minima and never
   * form `[N, K]`; the plain-ops fallback forms one `[chunkSize, K]` distance block at a time.
   * No default: the caller (e.g. `@vqkit/quantizer`) passes its own.
   */
  chunkSize: number;
}

/**
 * Nearest-code assignment `k(i) = argmin_k ‖z_i − c_k‖²` (the paper's Eq. 2).
 * Shapes: z `[N, D]` float32, codebook `[K, D]` float32 → int32 `[N]`; exact ties go to the lowest
 * code index. Structurally identical to `@vqkit/quantizer`'s `search` option.
 */
export type NearestCodeSearch = (
  z: tf.Tensor2D,
  codebook: tf.Tensor2D,
  options: NearestCodeSearchOptions,
) => tf.Tensor1D;

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

/** Kernel function of {@link NEAREST_CODE_KERNEL} on the cpu backend. */
export function nearestCodeCpuKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = args.backend as MathBackendCPU;
  const { z, codebook } = args.inputs as { z: tf.TensorInfo; codebook: tf.TensorInfo };
  const chunkSize = (args.attrs as { chunkSize: number }).chunkSize;
  const [n, d] = z.shape;
  const k = codebook.shape[0];
  const zv = backend.data.get(z.dataId).values as Float32Array;
  const ev = backend.data.get(codebook.dataId).values as Float32Array;
  const idx = nearestCodeCpu(zv, ev, n, k, d, chunkSize);
  return backend.makeTensorInfo([n], 'int32', idx);
}

/**
 * Backend-independent {@link NearestCodeSearch} from plain tfjs ops: for each chunk of
 * `chunkSize` rows, `argMin_k(‖e_k‖² − 2 z_i·e_k)` over a `[chunk, K]` block (released before
 * the next is formed). Used by {@link fusedNearestCode} on backends without a fused kernel
 * (e.g. `tensorflow`, whose native argMin also returns the first minimum).
 */
export const chunkedNearestCode: NearestCodeSearch = (zIn, codebookIn, options) => {
  validate('chunkedNearestCode', zIn, codebookIn, options.chunkSize);
  return tf.tidy(() => {
    const z = detach(zIn);
    const codebook = detach(codebookIn);
    const n = z.shape[0];
    const norms = tf.reshape(tf.sum(tf.square(codebook), 1), [1, -1]);
    const parts: tf.Tensor1D[] = [];
    for (let r0 = 0; r0 < n; r0 += options.chunkSize) {
      const rows = Math.min(options.chunkSize, n - r0);
      const zc = tf.slice(z, [r0, 0], [rows, -1]);
      const dist = tf.sub(norms, tf.mul(2, tf.matMul(zc, codebook, false, true)));
      parts.push(tf.argMin(dist, 1) as tf.Tensor1D);
    }
    if (parts.length === 0) return tf.zeros([0], 'int32') as tf.Tensor1D;
    return (parts.length === 1 ? parts[0] : tf.concat(parts)) as tf.Tensor1D;
  });
};

/** Kernel config of {@link NEAREST_CODE_KERNEL} on the cpu backend. */
export const nearestCodeCpuConfig: tf.KernelConfig = {
  kernelName: NEAREST_CODE_KERNEL,
  backendName: 'cpu',
  kernelFunc: nearestCodeCpuKernel as tf.KernelFunc,
};

/**
 * Fused nearest-code search (distance + argmin, no `[N, K]` matrix) for the active backend:
 * - `cpu`: the {@link NEAREST_CODE_KERNEL} cpu kernel (registered on first use);
 * - `webgpu`: `webgpuNearestCode` (WGSL, codebook tiles in workgroup memory), where `chunkSize`
 *   bounds the rows per GPU dispatch;
 * - any other backend with a {@link NEAREST_CODE_KERNEL} kernel registered: that kernel;
 * - otherwise (e.g. `tensorflow`): {@link chunkedNearestCode} (plain ops, `[chunkSize, K]` blocks).
 *
 * Runs through the engine, so it works inside `tf.tidy`. The result is computed from detached
 * handles of `z` and `codebook`, so it is not connected to them on the gradient tape (no
 * gradient is ever requested for the integer indices).
 *
 * @throws {@link KernelError} on rank, dtype, width or chunkSize mismatch, or an empty codebook.
 */
export const fusedNearestCode: NearestCodeSearch = (z, codebook, options) => {
  validate('fusedNearestCode', z, codebook, options.chunkSize);
  const backendName = tf.getBackend();
  if (backendName === 'webgpu') {
    return tf.tidy(() =>
      webgpuNearestCode(detach(z), detach(codebook), { chunkSize: options.chunkSize }),
    );
  }
  if (backendName === 'cpu' && tf.getKernel(NEAREST_CODE_KERNEL, 'cpu') == null) {
    tf.registerKernel(nearestCodeCpuConfig);
  }
  if (tf.getKernel(NEAREST_CODE_KERNEL, backendName) == null) {
    return chunkedNearestCode(z, codebook, options);
  }
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
