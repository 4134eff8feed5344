import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerVqkitKernels, unregisterVqkitKernels } from './register';

describe('registerVqkitKernels / unregisterVqkitKernels', () => {
  it('cpu: replaces the stock kernels, idempotently, and restores them', () => {
    const stock = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc;
    const names = registerVqkitKernels('cpu');
    expect(names).toContain('Conv2DBackpropFilter');
    expect(names).toContain('VqkitNearestCode');
    const vqkit = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc;
    expect(vqkit).not.toBe(stock);
    expect(registerVqkitKernels('cpu')).toEqual(names);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc).toBe(vqkit);
    expect(unregisterVqkitKernels()).toContain('Conv2DBackpropFilter');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc).toBe(stock);
    expect(unregisterVqkitKernels()).toEqual([]);
  });

  it('defaults to the active backend and registers nothing for backends it has no kernels for', () => {
    expect(registerVqkitKernels()).toContain('Conv2D');
    unregisterVqkitKernels();
    expect(registerVqkitKernels('tensorflow')).toEqual([]);
  });
});
