import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { WebGPUBackend } from './program';
import { registerWebGPUKernels, unregisterWebGPUKernels } from './register';
import { setupWebGPU } from './test-backend';
import { maxAbsDiff, normalArray } from './test-util';

const ctx = await setupWebGPU();
const NAMES = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'VqkitNearestCode'];

describe.skipIf(!ctx)('registerWebGPUKernels', () => {
  afterAll(() => {
    unregisterWebGPUKernels();
  });

  it('replaces the stock kernels, is idempotent, and unregisterWebGPUKernels restores them', () => {
    const stockFilter = tf.getKernel('Conv2DBackpropFilter', 'webgpu').kernelFunc;
    const stockInput = tf.getKernel('Conv2DBackpropInput', 'webgpu').kernelFunc;
    expect(registerWebGPUKernels()).toEqual(NAMES);
    const ours = tf.getKernel('Conv2DBackpropFilter', 'webgpu').kernelFunc;
    expect(ours).not.toBe(stockFilter);
    expect(tf.getKernel('Conv2DBackpropInput', 'webgpu').kernelFunc).not.toBe(stockInput);
    expect(registerWebGPUKernels()).toEqual(NAMES);
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu').kernelFunc).toBe(ours);
    expect(unregisterWebGPUKernels()).toEqual(NAMES);
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu').kernelFunc).toBe(stockFilter);
    expect(tf.getKernel('Conv2DBackpropInput', 'webgpu').kernelFunc).toBe(stockInput);
    expect(tf.getKernel('VqkitNearestCode', 'webgpu')).toBeUndefined();
    expect(unregisterWebGPUKernels()).toEqual([]);
  });

  it('serves a conv / conv2dTranspose training step on webgpu with cpu-equal gradients', async () => {
    const rng = new Rng(5);
    const shapes = {
      x: [2, 12, 10, 8],
      w1: [4, 4, 8, 8], // conv 4×4 stride 2 SAME
      w2: [3, 3, 8, 8], // conv 3×3 stride 1
      w3: [4, 4, 8, 8], // conv2dTranspose 4×4 stride 2 back to 12×10×8
    } as const;
    const values = Object.fromEntries(
      Object.entries(shapes).map(([k, s]) => [k, normalArray(rng, tf.util.sizeFromShape([...s]))]),
    ) as Record<keyof typeof shapes, Float32Array>;
    const tensors = () =>
      (Object.keys(shapes) as Array<keyof typeof shapes>).map((k) =>
        tf.tensor(values[k], [...shapes[k]]),
      );
    const loss = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor) => {
      const h1 = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same'));
      const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Tensor4D, 1, 'same'));
      const y = tf.conv2dTranspose(h2, w3 as tf.Tensor4D, [2, 12, 10, 8], 2, 'same');
      return tf.mean(tf.square(tf.sub(y, x)));
    };
    const gradsOf = (inputs: tf.Tensor[]) =>
      tf.grads((x, w1, w2, w3) => loss(x, w1, w2, w3))(inputs);

    registerWebGPUKernels();
    const inputs = tensors();
    const before = tf.memory().numTensors;
    const spy = vi.spyOn(tf.backend() as unknown as WebGPUBackend, 'runWebGPUProgram');
    const grads = tf.tidy(() => gradsOf(inputs));
    const keys = spy.mock.calls.map(([program]) => program.shaderKey);
    spy.mockRestore();
    expect(keys.some((k) => k.startsWith('vqkitConv2DBackpropFilterGemm'))).toBe(true);
    expect(keys.some((k) => k.startsWith('vqkitConv2DBackpropInputGemm'))).toBe(true);
    expect(tf.memory().numTensors).toBe(before + grads.length);
    const got = await Promise.all(grads.map((g) => g.data()));
    tf.dispose([...inputs, ...grads]);

    await tf.setBackend('cpu');
    let want: Float32Array[];
    try {
      want = tf.tidy(() => gradsOf(tensors()).map((g) => g.dataSync() as Float32Array));
    } finally {
      await tf.setBackend('webgpu');
    }
    got.forEach((g, i) => {
      const w = want[i] as Float32Array;
      const scale = Math.max(1e-3, ...Array.from(w, Math.abs));
      expect(maxAbsDiff(g, w)).toBeLessThan(1e-4 * scale);
    });
  });
});
