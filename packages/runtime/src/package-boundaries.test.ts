/**
 * What @vqkit/runtime pulls in at run time: tfjs-core and tfjs-backend-cpu statically; the other
 * backends (tfjs-layers for the gradients, tfjs-backend-webgpu, Dawn, tfjs-node) only on demand;
 * never @vqkit/kernels (registering kernels is the caller's explicit call).
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('imports tfjs-core and tfjs-backend-cpu statically, optional peers on demand, and no @vqkit package', async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports);
  const of = (kind: string) =>
    [...new Set(imports.filter((i) => i.kind === kind).map((i) => i.path))].sort();
  expect(of('import-statement')).toEqual([
    '@tensorflow/tfjs-backend-cpu',
    '@tensorflow/tfjs-core',
    'node:module',
  ]);
  expect(of('dynamic-import')).toEqual([
    '@tensorflow/tfjs-backend-webgpu',
    '@tensorflow/tfjs-layers',
    'webgpu',
  ]);
});
