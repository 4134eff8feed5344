import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('.', import.meta.url));
const shipped = readdirSync(src).filter(
  (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'test-fixtures.ts',
);
const imports = (file: string) =>
  [...readFileSync(`${src}${file}`, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1] as string);

describe('package floor', () => {
  it('is browser-safe and imports only the packages below it (never kernels, runtime, data or the app)', () => {
    const external = new Set(shipped.flatMap(imports).filter((m) => !m.startsWith('.')));
    expect([...external].sort()).toEqual([
      '@tensorflow/tfjs-core',
      '@vqkit/backbones',
      '@vqkit/quantizer',
      '@vqkit/random',
    ]);
    const pkg = JSON.parse(readFileSync(`${src}../package.json`, 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@vqkit/backbones',
      '@vqkit/quantizer',
      '@vqkit/random',
    ]);
    expect(pkg.peerDependencies).toEqual({ '@tensorflow/tfjs-core': '^4.22.0' });
  });
});
