/**
 * Browser stand-in for `node:util` in the page's bundle. @vqkit/capacity's main entry re-exports
 * its CLI (`runCapacityCli`), which imports `parseArgs` from `node:util`; the page never runs that
 * CLI, but the bundler must resolve the import. Remove this shim (and its alias in
 * vite.config.ts) once @vqkit/capacity gives its CLI its own entry point.
 */
export function parseArgs(): never {
  throw new Error(
    'parseArgs: the vqkit-capacity command line runs in Node only; in the browser call the capacity functions directly.',
  );
}
