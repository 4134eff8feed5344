/**
 * What the package pulls in at run time: an esbuild `platform: 'browser'` bundle of the entry
 * must build (no Node built-in is imported statically: worker_threads and os are loaded on demand,
 * in Node only), and `@vqkit/quantizer` is imported for its types only.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('bundles for the browser, importing only tfjs at run time (no Node built-ins, no @vqkit/quantizer)', async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    external: ['@tensorflow/*', '@vqkit/*'],
    metafile: true,
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.outputs).flatMap((o) =>
    o.imports.map((i) => i.path),
  );
  expect([...new Set(imports)].sort()).toEqual(['@tensorflow/tfjs-core']);
});
