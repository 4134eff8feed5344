/**
 * Test helper (not exported from the package): brings up tfjs's webgpu backend on Dawn (npm
 * `webgpu`) in Node, which on a machine without a GPU runs on Mesa's lavapipe (software Vulkan).
 *
 * `navigator.gpu` must exist before `@tensorflow/tfjs-backend-webgpu` is evaluated (the module
 * registers the backend at import time only then), so the backend is imported dynamically here.
 * In CI (`process.env.CI` set) a missing adapter throws, so WebGPU tests fail instead of skipping.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError } from './errors';

/** What {@link setupWebGPU} found: the adapter's features and whether the backend is active. */
export interface WebGPUTestContext {
  /** Features the adapter offers (e.g. `subgroups`, `timestamp-query`). */
  adapterFeatures: string[];
  /** The adapter's description (vendor / architecture / device / description). */
  adapterInfo: string;
}

const MISSING_ADAPTER_FIX =
  'Install a Vulkan driver: on Debian/Ubuntu `apt-get install mesa-vulkan-drivers` (Mesa ≥ 24, lavapipe), and set XDG_RUNTIME_DIR.';

let pending: Promise<WebGPUTestContext | undefined> | undefined;

/**
 * The adapter `request` yields, or — when there is none or the request throws (no Vulkan loader,
 * no driver) — a `KernelError` if `ci` is set, else `undefined` after a warning naming the fix.
 */
export async function requireAdapterInCI(
  request: () => Promise<GPUAdapter | null>,
  ci: boolean,
): Promise<GPUAdapter | undefined> {
  let adapter: GPUAdapter | null = null;
  let cause = 'none';
  try {
    adapter = await request();
  } catch (error) {
    cause = `an error: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (adapter != null) return adapter;
  if (ci) {
    throw new KernelError(
      `setupWebGPU: expected a WebGPU adapter in CI, got ${cause}. ${MISSING_ADAPTER_FIX}`,
    );
  }
  console.warn(
    `[@vqkit/kernels] WebGPU tests skipped: no WebGPU adapter (got ${cause}). ${MISSING_ADAPTER_FIX}`,
  );
  return undefined;
}

async function init(): Promise<WebGPUTestContext | undefined> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const adapter = await requireAdapterInCI(async () => {
    const gpu = create([]);
    const g = globalThis as { navigator?: object };
    if (g.navigator === undefined) {
      g.navigator = { gpu };
    } else {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    }
    return gpu.requestAdapter();
  }, Boolean(process.env.CI));
  if (adapter === undefined) return undefined;
  const info = adapter.info;
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) {
    throw new KernelError(
      `setupWebGPU: tf.setBackend('webgpu') failed although an adapter exists. ${MISSING_ADAPTER_FIX}`,
    );
  }
  return {
    adapterFeatures: [...adapter.features].map(String).sort(),
    adapterInfo: [info.vendor, info.architecture, info.device, info.description]
      .filter(Boolean)
      .join(' / '),
  };
}

/**
 * Makes `webgpu` the active tfjs backend (once per process). Resolves to `undefined` when no
 * adapter exists outside CI (callers skip, and a warning names the fix); throws in CI.
 */
export function setupWebGPU(): Promise<WebGPUTestContext | undefined> {
  pending ??= init();
  return pending;
}
