/**
 * webgpu (Dawn over whatever Vulkan driver exists; Mesa lavapipe here). In CI (`process.env.CI`)
 * a missing adapter FAILS the test; elsewhere the test reports the install hint and passes as
 * "no adapter on this machine".
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { BackendUnavailableError } from './errors';
import { describeBackend, initBackend, releaseBackend } from './init-backend';

afterAll(async () => {
  await releaseBackend();
});

it('webgpu: initialises on the adapter, reports adapter/limits/features, trains, and releases', async () => {
  const result = await initBackend({ backend: 'webgpu' }).catch((e: unknown) => e);
  if (result instanceof BackendUnavailableError && !process.env.CI) {
    expect(result.message).toContain('mesa-vulkan-drivers');
    console.warn(`[@vqkit/runtime] webgpu not tested here: ${result.message}`);
    return;
  }
  if (result instanceof Error) throw result;
  const info = result as Awaited<ReturnType<typeof initBackend>>;
  expect(info.name).toBe('webgpu');
  expect(tf.getBackend()).toBe('webgpu');
  expect(info.adapter?.description).toBeTruthy();
  expect(typeof info.adapter?.isSoftware).toBe('boolean');
  expect(info.limits?.maxStorageBufferBindingSize).toBeGreaterThan(0);
  expect(info.features).toEqual([...(info.features ?? [])].sort());
  expect(info.versions.dawn).toMatch(/^\d+\.\d+\.\d+$/);
  expect(describeBackend()).toMatch(/^backend: webgpu .*adapter: .*versions: tfjs 4\.22\.0/);
  // A gradient step on the device (async read only).
  const x = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(t)))(x);
  expect(Array.from(await g.data())).toEqual([2, 4, 6, 8]);
  tf.dispose([x, g]);
  expect(await releaseBackend()).toBe(true);
  expect(await releaseBackend()).toBe(false);
});

it('requiredFeatures the adapter lacks: BackendUnavailableError naming them', async () => {
  const result = await initBackend({
    backend: 'webgpu',
    requiredFeatures: ['vqkit-nonexistent-feature'],
  }).catch((e: unknown) => e);
  expect(result).toBeInstanceOf(BackendUnavailableError);
  const msg = (result as Error).message;
  if (/no WebGPU adapter/.test(msg) && !process.env.CI) return;
  expect(msg).toContain('does not offer the required features vqkit-nonexistent-feature');
});

it('auto picks a working backend and says why', async () => {
  const info = await initBackend();
  expect(info.requested).toBe('auto');
  expect(['tensorflow', 'webgpu', 'cpu']).toContain(info.name);
  expect(info.reason).toMatch(/^auto: /);
  expect(tf.getBackend()).toBe(info.name);
  if (info.name === 'cpu') {
    // Here: lavapipe (software) when a Vulkan driver is installed, else no adapter at all.
    expect(info.reason).toMatch(/is a software \(CPU\) implementation|no WebGPU adapter/);
  }
  await releaseBackend();
});
