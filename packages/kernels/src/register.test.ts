import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CPU_KERNELS } from './cpu/register';
import { KernelError } from './errors';
import { fusedNearestCode } from './nearest-code';
import { registerVqkitKernels, unregisterVqkitKernels } from './register';

describe('registerVqkitKernels / unregisterVqkitKernels', () => {
  it('cpu: replaces the stock kernels, idempotently, says what it did, and restores them', () => {
    const stock = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc;
    const reg = registerVqkitKernels({ backend: 'cpu', threads: 1 });
    expect(reg).toEqual({
      backend: 'cpu',
      kernels: [...CPU_KERNELS],
      nearestCodeSearch: fusedNearestCode,
      cpu: { threads: 1, simd: expect.stringMatching(/^(relaxed|plain)$/) },
    });
    const vqkit = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc;
    expect(vqkit).not.toBe(stock);
    expect(registerVqkitKernels({ backend: 'cpu', threads: 1 })).toEqual(reg);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc).toBe(vqkit);
    expect(unregisterVqkitKernels()).toContain(tf.Conv2DBackpropFilter);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc).toBe(stock);
    expect(unregisterVqkitKernels()).toEqual([]);
  });

  it('defaults to the active backend; a backend without vqkit kernels gets none and no search', () => {
    expect(registerVqkitKernels({ threads: 1 }).backend).toBe('cpu');
    unregisterVqkitKernels();
    expect(registerVqkitKernels({ backend: 'tensorflow' })).toEqual({
      backend: 'tensorflow',
      kernels: [],
      nearestCodeSearch: undefined,
    });
  });

  it('rejects a bare backend name and bad thread counts, naming the fix', () => {
    expect(() => registerVqkitKernels('cpu' as never)).toThrow(KernelError);
    expect(() => registerVqkitKernels('cpu' as never)).toThrow(/Pass \{ backend: "cpu" \} instead/);
    expect(() => registerVqkitKernels({ backend: 'cpu', threads: 0 })).toThrow(
      /options\.threads must be a positive integer \(1 = the calling thread only\), got 0/,
    );
    expect(() => registerVqkitKernels({ backend: 'cpu', threads: 2.5 })).toThrow(/got 2\.5/);
  });
});
