/**
 * The `tensorflow` backend (native libtensorflow through tfjs-node-gpu or tfjs-node). Both are
 * optional peer dependencies of @vqkit/runtime: never installed with it, loaded with a dynamic
 * `import()` only when asked for, never at import time.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors';

/** Packages tried, in order. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** How to get the tensorflow backend. */
export const TENSORFLOW_FIX =
  "Install '@tensorflow/tfjs-node-gpu@4.22.0' (needs CUDA 11.2 + cuDNN 8.1) or '@tensorflow/tfjs-node@4.22.0' with network access to storage.googleapis.com: their install script downloads libtensorflow and builds the native addon (`npm rebuild @tensorflow/tfjs-node-gpu` after a blocked install).";

/** Loader hook, replaceable in tests. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

const defaultLoader: ModuleLoader = (specifier) => import(specifier);

function describeError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}

/**
 * Loads tfjs-node-gpu, else tfjs-node, and activates the `tensorflow` backend.
 *
 * @returns the package that loaded.
 * @throws {@link BackendUnavailableError} quoting each loader error and naming the fix.
 */
export async function startTensorflow(load: ModuleLoader = defaultLoader): Promise<string> {
  const failures: string[] = [];
  for (const pkg of TENSORFLOW_PACKAGES) {
    try {
      await load(pkg);
    } catch (e) {
      failures.push(`${pkg}: "${describeError(e)}"`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      failures.push(
        `${pkg}: loaded, but registered no 'tensorflow' backend on this @tensorflow/tfjs-core (two copies of tfjs-core are installed; dedupe them to 4.22.0 with \`npm dedupe\`)`,
      );
      continue;
    }
    try {
      if (await tf.setBackend('tensorflow')) return pkg;
      failures.push(`${pkg}: tf.setBackend('tensorflow') returned false`);
    } catch (e) {
      failures.push(`${pkg}: the backend failed to start: "${describeError(e)}"`);
    }
  }
  throw new BackendUnavailableError(
    'tensorflow',
    `initBackend('tensorflow'): the native TensorFlow backend is unavailable. ${failures.join('; ')}. ${TENSORFLOW_FIX}`,
  );
}
