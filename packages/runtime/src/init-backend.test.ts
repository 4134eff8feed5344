import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, RuntimeError } from './errors';
import {
  describeBackend,
  initBackend,
  releaseBackend,
  softwareAdapterChoice,
} from './init-backend';
import { startTensorflow, TENSORFLOW_PACKAGES } from './tensorflow';
import { isSoftwareAdapter } from './webgpu';

afterAll(async () => {
  await releaseBackend();
  await initBackend({ backend: 'cpu' });
});

describe('initBackend', () => {
  it('cpu: activates tfjs-backend-cpu, registers gradients and the vqkit kernels', async () => {
    const info = await initBackend({ backend: 'cpu' });
    expect(info.name).toBe('cpu');
    expect(info.requested).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.kernels).toEqual([
      'Conv2D',
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'Sum',
      'Add',
      'Sub',
      'Multiply',
      'Relu',
      'Step',
      'VqkitNearestCode',
    ]);
    expect(info.versions.tfjs).toBe(tf.version_core);
    expect(info.versions.node).toBe(process.versions.node);
    // Gradients are registered (tfjs-core alone registers none in Node).
    expect(tf.getGradient('Conv2D')).toBeDefined();
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
    expect(describeBackend()).toMatch(
      /^backend: cpu \(requested cpu; requested explicitly\).*vqkit kernels: Conv2D/,
    );
  });

  it('kernels: false restores the stock tfjs kernels', async () => {
    await initBackend({ backend: 'cpu' });
    const vqkitConv = tf.getKernel('Conv2D', 'cpu').kernelFunc;
    const info = await initBackend({ backend: 'cpu', kernels: false });
    expect(info.kernels).toEqual([]);
    expect(tf.getKernel('Conv2D', 'cpu').kernelFunc).not.toBe(vqkitConv);
    expect(describeBackend(info)).toContain('none (stock tfjs kernels)');
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

  it('auto on a software adapter: cpu with the vqkit kernels, webgpu with the stock ones (measured)', () => {
    expect(softwareAdapterChoice(true).choice).toBe('cpu');
    expect(softwareAdapterChoice(false).choice).toBe('webgpu');
    expect(softwareAdapterChoice(true).measured).toMatch(/cpu \d+ ms vs webgpu on lavapipe \d+ ms/);
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
