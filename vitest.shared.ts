/**
 * Shared vitest settings for every workspace package.
 *
 * - `@vqkit/*` imports resolve to the sibling package's `src/index.ts` (subpaths `@vqkit/x/y` to
 *   `src/y/index.ts`), so tests never need a build.
 * - `scripts/vitest-fast-check-setup.ts` seeds every fast-check property (`VQKIT_FC_SEED=random` to explore).
 * - `tfjs: true` runs `scripts/vitest-tfjs-setup.ts` first: cpu backend selected, gradients registered.
 * - Each package writes `.vitest/results.json`; `npm test` (scripts/run-tests.mjs) sums them.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export interface SharedOptions {
  /** Register the tfjs cpu backend and all gradients before each test file. */
  tfjs?: boolean;
  /** Per-test timeout in ms (default 60 000: tfjs on a 2-core CPU is slow). */
  testTimeout?: number;
}

export function vqkitVitestConfig(options: SharedOptions = {}) {
  return defineConfig({
    resolve: {
      alias: [
        { find: /^@vqkit\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
        // Subpath entries (`@vqkit/capacity/cli`) live in `src/<subpath>/index.ts`.
        {
          find: /^@vqkit\/([a-z0-9-]+)\/([a-z0-9-]+)$/,
          replacement: `${root}packages/$1/src/$2/index.ts`,
        },
      ],
    },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      setupFiles: [
        `${root}scripts/vitest-fast-check-setup.ts`,
        ...(options.tfjs ? [`${root}scripts/vitest-tfjs-setup.ts`] : []),
      ],
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
      env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest/results.json' },
    },
  });
}
