/**
 * Test helper: makes tfjs's webgpu backend active on Dawn (npm `webgpu`) in Node, which on a
 * machine without a GPU runs on Mesa's lavapipe (software Vulkan). Same rules as
 * @vqkit/kernels' helper: `navigator.gpu` must exist before `@tensorflow/tfjs-backend-webgpu` is
 * evaluated, so the backend is imported dynamically; under `CI=true` a missing adapter throws (the
 * webgpu tests fail), elsewhere the tests are skipped with a warning naming the fix.
 */
import * as tf from '@tensorflow/tfjs-core';
import { QuantizerError } from '../src/index';

const FIX =
  'Install a Vulkan driver: on Debian/Ubuntu `apt-get install mesa-vulkan-drivers` (Mesa ≥ 24, lavapipe), and set XDG_RUNTIME_DIR.';

let pending: Promise<string | undefined> | undefined;

async function init(): Promise<string | undefined> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let cause = 'none';
  let adapter: { info: { vendor: string; architecture: string; description: string } } | null =
    null;
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const g = globalThis as { navigator?: object };
    if (g.navigator === undefined) g.navigator = { gpu };
    else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    adapter = await gpu.requestAdapter();
  } catch (error) {
    cause = `an error: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (adapter == null) {
    if (process.env.CI) {
      throw new QuantizerError(
        `setupWebGPU: expected a WebGPU adapter in CI, got ${cause}. ${FIX}`,
      );
    }
    console.warn(
      `[@vqkit/quantizer] WebGPU tests skipped: no WebGPU adapter (got ${cause}). ${FIX}`,
    );
    return undefined;
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) {
    throw new QuantizerError(
      `setupWebGPU: tf.setBackend('webgpu') failed although an adapter exists. ${FIX}`,
    );
  }
  const { vendor, architecture, description } = adapter.info;
  return [vendor, architecture, description].filter(Boolean).join(' / ');
}

/** Activates webgpu once per process; resolves to the adapter's description, or undefined (skip). */
export function setupWebGPU(): Promise<string | undefined> {
  pending ??= init();
  return pending;
}
