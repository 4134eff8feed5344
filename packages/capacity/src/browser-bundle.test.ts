import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const bundle = (path: string) =>
  build({
    entryPoints: [entry(path)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });

describe('browser bundles (esbuild, platform browser)', () => {
  it('the main entry bundles without any Node built-in', async () => {
    const result = await bundle('./index.ts');
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text).not.toMatch(/node:/);
  });

  it('the CLI lives in its own entry (it needs node:util), so importing the main entry never loads it', async () => {
    await expect(bundle('./cli/index.ts')).rejects.toThrow(/node:util|util/);
  });
});
