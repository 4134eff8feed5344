import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const bundle = (path: string) =>
  build({
    entryPoints: [src(path)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    external: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'],
    // Sibling packages from source, as the tests resolve them (no build needed).
    alias: {
      '@vqkit/metrics': src('../../metrics/src/index.ts'),
      '@vqkit/random': src('../../random/src/index.ts'),
    },
  });

describe('browser bundles (esbuild, platform browser)', () => {
  it('the main entry bundles without Node built-ins and without tfjs-layers', async () => {
    const result = await bundle('./index.ts');
    expect(result.errors).toEqual([]);
    const text = result.outputFiles[0]!.text;
    expect(text).not.toMatch(/node:/);
    expect(text).not.toContain('@tensorflow/tfjs-layers');
  });

  it('the layers entry bundles too (tfjs-layers stays an external peer)', async () => {
    const result = await bundle('./layers/index.ts');
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text).toContain('@tensorflow/tfjs-layers');
  });
});
