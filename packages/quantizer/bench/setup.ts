/**
 * What both benchmarks share: command-line options and the backend (cpu, or webgpu on Dawn —
 * lavapipe on a CPU-only box). Not part of the test suite.
 */
import type * as TF from '@tensorflow/tfjs-core';

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/**
 * Makes `backend` (`'cpu'` or `'webgpu'`) active and returns tfjs-core. `layers` also loads
 * tfjs-layers, which registers the gradients training needs in Node.
 */
export async function useBackend(
  backend: string,
  { layers = false }: { layers?: boolean } = {},
): Promise<typeof TF> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  if (backend === 'webgpu') {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    // biome-ignore lint/suspicious/noExplicitAny: navigator.gpu is not in the node typings.
    (globalThis as any).navigator = { gpu: create([]) };
  }
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  if (layers) await import('@tensorflow/tfjs-layers');
  if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend(backend);
  await tf.ready();
  // biome-ignore lint/suspicious/noExplicitAny: silences the cpu backend's "use tfjs-node" banner.
  (tf.backend() as any).firstUse = false;
  return tf;
}
