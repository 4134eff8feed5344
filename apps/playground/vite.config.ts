import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The playground is a static page: `vite build` writes it to dist/ with relative URLs, so any
 * static server (or `vqkit playground`) can serve it from any path. `@vqkit/*` resolves to the
 * sibling packages' public entry points (src/index.ts), as in the tests.
 */
export default defineConfig({
  base: './',
  resolve: {
    alias: [
      { find: /^@vqkit\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      // @vqkit/capacity's entry re-exports its Node CLI (see src/shims/node-util.ts).
      { find: /^node:util$/, replacement: `${root}apps/playground/src/shims/node-util.ts` },
    ],
  },
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: false,
    // tfjs-core and its backends are large by nature; each backend is its own chunk.
    chunkSizeWarningLimit: 2000,
  },
});
