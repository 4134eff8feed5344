import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, RuntimeError } from './errors';
import {
  chooseWithoutTensorflow,
  describeBackend,
  initBackend,
  releaseBackend,
} from './init-backend';
import { startTensorflow, TENSORFLOW_PACKAGES } from './tensorflow';
import { isSoftwareAdapter } from './webgpu';

afterAll(async () => {
  await releaseBackend();
  await initBackend({ backend: 'cpu' });
});

describe('initBackend', () => {
  it('cpu: activates tfjs-backend-cpu and registers gradients, but no kernels', async () => {
    const stockConv = tf.getKernel('Conv2D', 'cpu').kernelFunc;
    const info = await initBackend({ backend: 'cpu' });
    expect(info.name).toBe('cpu');
    expect(info.requested).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.getKernel('Conv2D', 'cpu').kernelFunc).toBe(stockConv);
    expect(info.versions.tfjs).toBe(tf.version_core);
    expect(info.versions.node).toBe(process.versions.node);
    // Gradients are registered (tfjs-core alone registers none in Node).
    expect(tf.getGradient('Conv2D')).toBeDefined();
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
    expect(describeBackend()).toMatch(
      /^backend: cpu \(requested cpu; requested explicitly\) \| versions: tfjs 4\.22\.0, node /,
    );
  });

  it('the removed kernels option: a RuntimeError saying to call registerVqkitKernels', async () => {
    await expect(initBackend({ backend: 'cpu', kernels: true } as never)).rejects.toThrow(
      /options\.kernels was removed.*registerVqkitKernels\(\{ backend: info\.name \}\) from @vqkit\/kernels/,
    );
  });

  it('rejects an unknown backend name with a RuntimeError that lists the valid ones', async () => {
    await expect(initBackend({ backend: 'cuda' as never })).rejects.toThrow(RuntimeError);
    await expect(initBackend({ backend: 'cuda' as never })).rejects.toThrow(
      "options.backend must be one of 'auto', 'webgpu', 'tensorflow', 'cpu', got 'cuda'",
    );
    await expect(initBackend({ powerPreference: 'fast' as never })).rejects.toThrow(
      /powerPreference must be 'high-performance' or 'low-power', got 'fast'/,
    );
    await expect(initBackend({ dawnToggles: 'x' as never })).rejects.toThrow(/dawnToggles/);
  });

  it('tensorflow unavailable: BackendUnavailableError quoting each loader error and the fix', async () => {
    const load = async (spec: string) => {
      throw new Error(`The native addon of ${spec} can not be found`);
    };
    const err = await startTensorflow(load).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const msg = (err as Error).message;
    for (const pkg of TENSORFLOW_PACKAGES) {
      expect(msg).toContain(`${pkg}: "The native addon of ${pkg} can not be found"`);
    }
    expect(msg).toContain('CUDA 11.2 + cuDNN 8.1');
    expect(msg).toContain('storage.googleapis.com');
    expect((err as BackendUnavailableError).backend).toBe('tensorflow');
  });

  it('tensorflow here: either it loads, or initBackend fails with the typed error (never a crash)', async () => {
    const result = await initBackend({ backend: 'tensorflow' }).catch((e: unknown) => e);
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(BackendUnavailableError);
      expect(result.message).toMatch(
        /@tensorflow\/tfjs-node-gpu: ".+"; @tensorflow\/tfjs-node: ".+"/,
      );
    } else {
      expect((result as { name: string }).name).toBe('tensorflow');
    }
  });

  it('auto without tensorflow decides by what the adapter is: hardware → webgpu, software or none → cpu', () => {
    const adapter = (isSoftware: boolean, description: string) => ({
      vendor: 'v',
      architecture: 'a',
      device: 'd',
      description,
      isSoftware,
    });
    expect(chooseWithoutTensorflow(adapter(false, 'NVIDIA H200'))).toEqual({
      backend: 'webgpu',
      why: 'hardware WebGPU adapter NVIDIA H200',
    });
    const soft = chooseWithoutTensorflow(adapter(true, 'llvmpipe: Mesa 25'));
    expect(soft.backend).toBe('cpu');
    expect(soft.why).toMatch(/\(llvmpipe: Mesa 25\) is a software \(CPU\) implementation/);
    const none = chooseWithoutTensorflow(null);
    expect(none.backend).toBe('cpu');
    expect(none.why).toMatch(/^no WebGPU adapter \(Install a Vulkan driver/);
  });

  it('detects software adapters', () => {
    expect(
      isSoftwareAdapter({
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe',
        description: 'llvmpipe: Mesa 25',
      }),
    ).toBe(true);
    expect(isSoftwareAdapter({ description: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: 'nvidia',
        architecture: 'hopper',
        description: 'NVIDIA H100 80GB HBM3',
      }),
    ).toBe(false);
  });
});
