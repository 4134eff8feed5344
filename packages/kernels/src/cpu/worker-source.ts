/**
 * The source text of a worker thread: the shipped functions of the cpu kernels (each file lists
 * them in a `…_WORKER_FUNCTIONS` array), then a call of `workerMain` with the worker's data. The
 * workers therefore run the very functions the calling thread runs — as they are in this build,
 * whether bundled, transpiled on the fly or plain — and no separate worker file has to be found
 * next to the package at run time (bundles stay one file).
 *
 * Shipped functions may reference only globals, their own parameters and locals, and other
 * shipped functions. Two rewrites that tools make are mapped back here:
 * - `__name(fn, "name")` (esbuild's keepNames, used by tsx) → the identity;
 * - `(0, __vite_ssr_import_N__.fn)` (vitest's module transform of an imported binding) → each
 *   such namespace is an object of all shipped functions by name.
 */

import { GEOMETRY_WORKER_FUNCTIONS } from './conv-geometry';
import { CONV_WORKER_FUNCTIONS } from './conv2d';
import { DIRECT_WORKER_FUNCTIONS } from './direct-conv';
import { DIRECT_LAYOUT_WORKER_FUNCTIONS } from './direct-conv-layout';
import { ELEMENTWISE_WORKER_FUNCTIONS } from './elementwise';
import { GEMM_WORKER_FUNCTIONS } from './gemm';
import { JOB_WORKER_FUNCTIONS } from './jobs';
import { NEAREST_WORKER_FUNCTIONS } from './nearest-code';
import { FILL_WORKER_FUNCTIONS } from './operand-fill';
import { REDUCE_WORKER_FUNCTIONS } from './reduce';
import { CONTEXT_WORKER_FUNCTIONS } from './thread-context';
import { WINOGRAD_WORKER_FUNCTIONS } from './winograd-conv';
import { WINOGRAD_FILTER_WORKER_FUNCTIONS } from './winograd-filter';
import { MAIN_WORKER_FUNCTIONS, workerMain } from './worker-main';

/** The name a function declaration has in its source text (which bundlers may have renamed). */
export function declaredName(fn: (...args: never[]) => unknown): string {
  const match = /^function\s*\*?\s*([\w$]+)\s*\(/.exec(String(fn));
  if (match?.[1] === undefined) {
    throw new Error(
      `worker source: expected a function declaration, got ${String(fn).slice(0, 60)}`,
    );
  }
  return match[1];
}

/** Source of a CommonJS worker script (`new Worker(source, { eval: true, workerData })`): it calls `workerMain(workerData, receiveMessageOnPort)`. */
export function workerSource(): string {
  const fns: Array<(...args: never[]) => unknown> = [
    ...GEOMETRY_WORKER_FUNCTIONS,
    ...GEMM_WORKER_FUNCTIONS,
    ...CONV_WORKER_FUNCTIONS,
    ...DIRECT_LAYOUT_WORKER_FUNCTIONS,
    ...DIRECT_WORKER_FUNCTIONS,
    ...WINOGRAD_WORKER_FUNCTIONS,
    ...WINOGRAD_FILTER_WORKER_FUNCTIONS,
    ...FILL_WORKER_FUNCTIONS,
    ...ELEMENTWISE_WORKER_FUNCTIONS,
    ...REDUCE_WORKER_FUNCTIONS,
    ...NEAREST_WORKER_FUNCTIONS,
    ...CONTEXT_WORKER_FUNCTIONS,
    ...JOB_WORKER_FUNCTIONS,
    ...MAIN_WORKER_FUNCTIONS,
  ];
  const text = fns.map(String).join('\n\n');
  const names = fns.map(declaredName);
  const namespaces = [...new Set(text.match(/__vite_ssr_import_\d+__/g) ?? [])];
  return [
    '"use strict";',
    'var __name = (fn) => fn;',
    text,
    ...namespaces.map((ns) => `var ${ns} = { ${names.join(', ')} };`),
    "const { workerData, receiveMessageOnPort } = require('node:worker_threads');",
    `${declaredName(workerMain)}(workerData, receiveMessageOnPort);`,
  ].join('\n');
}
