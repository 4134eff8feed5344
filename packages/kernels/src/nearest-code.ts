import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { chunkedNearestCode, type NearestCodeSearch } from '@vqkit/quantizer';
import { nearestCodeCpu } from './cpu/nearest-code';
import { KernelError } from './errors';
import { webgpuNearestCode } from './webgpu/index';

/** Name under which the fused nearest-code kernel is registered (inputs `z`, `codebook`; attr `chunkSize`). */
export const NEAREST_CODE_KERNEL = 'VqkitNearestCode';

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
 * - otherwise (e.g. `tensorflow`): `@vqkit/quantizer`'s `chunkedNearestCode` (plain ops,
 *   `[chunkSize, K]` blocks, ties → lowest index on every backend).
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
    return tf.tidy(() => chunkedNearestCode(detach(z), detach(codebook), options));
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
