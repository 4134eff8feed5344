import { defineConfig } from 'tsup';

export default defineConfig({
  // The main entry is pure (browser-safe); the CLI (node:util, process) has its own entry, and
  // `bin` is what bin/vqkit-capacity.js runs.
  entry: { index: 'src/index.ts', cli: 'src/cli/index.ts', bin: 'src/cli/bin.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
});
