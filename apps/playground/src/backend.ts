/**
 * The one place the page chooses a TensorFlow.js backend. `auto` takes the fastest the browser
 * offers: WebGPU, then WebGL, then cpu; the page shows which one it got and why others were skipped.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's ES module registers no gradients; this side-effect module registers them all.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { PlaygroundError } from './errors';
import type { BackendRequest } from './options';

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

/** The backend in use and what was tried before it. */
export interface BackendInfo {
  name: BackendName;
  requested: BackendRequest;
  /** One line per backend tried and not used, with the reason. */
  skipped: string[];
}

/** Registers a backend's kernels (each backend is its own chunk, loaded only when tried). */
const LOADERS: Record<BackendName, () => Promise<unknown>> = {
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
};

/** Why a backend cannot be tried in this browser at all, or null. */
function unavailable(name: BackendName): string | null {
  if (name === 'webgpu' && !('gpu' in navigator)) return 'navigator.gpu is missing';
  if (name === 'webgpu' && !window.isSecureContext)
    return 'WebGPU needs a secure origin (https or localhost)';
  if (name === 'webgl' && document.createElement('canvas').getContext('webgl2') === null)
    return 'no WebGL 2 context';
  return null;
}

async function tryBackend(name: BackendName): Promise<string | null> {
  const reason = unavailable(name);
  if (reason !== null) return reason;
  try {
    await LOADERS[name]();
    if (await tf.setBackend(name)) {
      await tf.ready();
      return null;
    }
    return 'it failed to initialise';
  } catch (error) {
    return `it failed to initialise (${(error as Error)?.message ?? String(error)})`;
  }
}

/**
 * Selects and initialises a backend: `auto` tries webgpu, webgl, cpu in that order; a named
 * request tries only that one.
 * @throws PlaygroundError (`no-backend`) naming the backend and the reason, with the fix.
 */
export async function selectBackend(requested: BackendRequest): Promise<BackendInfo> {
  const order: BackendName[] = requested === 'auto' ? ['webgpu', 'webgl', 'cpu'] : [requested];
  const skipped: string[] = [];
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === null) return { name, requested, skipped };
    skipped.push(`${name}: ${reason}`);
  }
  throw new PlaygroundError(
    `Backend '${requested}' is not available in this browser (${skipped.join('; ')}). Choose 'auto' to fall back to one that is.`,
    'no-backend',
  );
}
