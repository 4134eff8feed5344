import { defineConfig } from 'tsup';

export default defineConfig({
  // `layers` (the tf.layers wrapper) is its own entry so the main one never loads tfjs-layers.
  entry: { index: 'src/index.ts', layers: 'src/layers/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  external: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'],
});
