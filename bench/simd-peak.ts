/**
 * The machine's measured WebAssembly-SIMD peak: GFLOP/s of a loop of independent f32x4
 * multiply-adds held in registers (12 accumulators, enough to hide the latency), on 1 thread and
 * on `threads` threads at once (Node worker threads, each timing itself). Plain SIMD counts
 * `f32x4.mul` + `f32x4.add` (8 flops per 2 instructions); relaxed SIMD counts
 * `f32x4.relaxed_madd` (8 flops per instruction) where the runtime has it.
 *
 *   npx tsx bench/simd-peak.ts [--threads 1,all] [--relaxed-simd]   (--relaxed-simd: for Node 20)
 *
 * `bench/train-step.ts` imports {@link measureSimdPeak} to report a step's GFLOP/s against it.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { kernelModule, memarg, OP, SIMD, simd, sleb } from '../packages/kernels/src/cpu/wasm-asm';

const ACCUMULATORS = 12;
/** Flops per loop iteration: accumulators × 4 lanes × (multiply + add). */
const FLOPS_PER_ITERATION = ACCUMULATORS * 4 * 2;

/** `k(iterations)`: `acc_j = acc_j · m + a` for 12 accumulators, `iterations` times. */
function peakModuleBytes(relaxed: boolean): Uint8Array {
  const { localGet, localSet, localTee, i32Const, i32Sub, loop, brIf, end } = OP;
  const [N, M, A] = [0, 1, 2];
  const acc = (j: number) => 3 + j;
  const f32x4Splat = 0x13;
  const f32Const = (v: number) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)];
  const body = [
    ...f32Const(0.999),
    ...simd(f32x4Splat),
    localSet,
    M,
    ...f32Const(0.001),
    ...simd(f32x4Splat),
    localSet,
    A,
  ];
  // Distinct starting values, so no compiler can merge the accumulators into one.
  for (let j = 0; j < ACCUMULATORS; j++)
    body.push(...f32Const(j / 16), ...simd(f32x4Splat), localSet, acc(j));
  body.push(loop, OP.void);
  for (let j = 0; j < ACCUMULATORS; j++) {
    // acc = acc · m + a: each step depends on the last, so nothing can be hoisted out of the loop.
    body.push(localGet, acc(j), localGet, M);
    if (relaxed) body.push(localGet, A, ...simd(SIMD.f32x4RelaxedMadd));
    else body.push(...simd(SIMD.f32x4Mul), localGet, A, ...simd(SIMD.f32x4Add));
    body.push(localSet, acc(j));
  }
  body.push(localGet, N, i32Const, ...sleb(1), i32Sub, localTee, N, brIf, 0, end);
  // Keep the results live: store the sum of the accumulators.
  body.push(i32Const, 0, localGet, acc(0));
  for (let j = 1; j < ACCUMULATORS; j++) body.push(localGet, acc(j), ...simd(SIMD.f32x4Add));
  body.push(...simd(SIMD.store), ...memarg(0));
  return kernelModule(1, [[2 + ACCUMULATORS, OP.v128]], body, false);
}

/** Each worker compiles and warms up, reports ready, waits for the common start, times itself. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const memory = new WebAssembly.Memory({ initial: 1 });
const k = new WebAssembly.Instance(new WebAssembly.Module(workerData.bytes), { env: { memory } }).exports.k;
k(100000);
const sync = new Int32Array(workerData.sync);
Atomics.add(sync, 0, 1);
Atomics.wait(sync, 1, 0);
const t0 = performance.now();
k(workerData.iterations);
parentPort.postMessage(performance.now() - t0);
`;

/** Runs the peak loop on `threads` workers started together; GFLOP/s summed over them. */
async function runOn(threads: number, relaxed: boolean, iterations: number): Promise<number> {
  const bytes = peakModuleBytes(relaxed);
  const sync = new SharedArrayBuffer(8);
  const flags = new Int32Array(sync);
  const times = Array.from(
    { length: threads },
    () =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(WORKER, { eval: true, workerData: { bytes, iterations, sync } });
        w.once('message', (ms: number) => {
          resolve(ms);
          void w.terminate();
        });
        w.once('error', reject);
      }),
  );
  while (Atomics.load(flags, 0) < threads) await new Promise((r) => setTimeout(r, 1));
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  const ms = await Promise.all(times);
  return ms.reduce((sum, t) => sum + (iterations * FLOPS_PER_ITERATION) / t / 1e6, 0);
}

/**
 * Turns on V8's relaxed SIMD when `on` (Node 20 has it behind `--experimental-wasm-relaxed-simd`;
 * Node ≥ 22 ships it). Benchmarks only — a library never sets V8 flags. Call before any kernel
 * module is compiled.
 */
export function enableRelaxedSimd(on: boolean | undefined): void {
  if (on && !hasRelaxedSimd()) setFlagsFromString('--experimental-wasm-relaxed-simd');
}

/** Whether this runtime validates relaxed SIMD. */
export function hasRelaxedSimd(): boolean {
  const api = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } })
    .WebAssembly;
  return api?.validate(peakModuleBytes(true)) === true;
}

/**
 * GFLOP/s of the peak loop on `threads` threads (best of `reps` runs of `iterations` each).
 * @param relaxed count relaxed-SIMD FMA (throws where the runtime lacks it).
 */
export async function measureSimdPeak(
  threads: number,
  relaxed: boolean,
  iterations = 20_000_000,
  reps = 3,
): Promise<number> {
  let best = 0;
  for (let r = 0; r < reps; r++) best = Math.max(best, await runOn(threads, relaxed, iterations));
  return best;
}

async function main() {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '1,all' },
      'relaxed-simd': { type: 'boolean', default: false },
    },
  });
  enableRelaxedSimd(values['relaxed-simd']);
  const cores = availableParallelism();
  const counts = values.threads.split(',').map((t) => (t === 'all' ? cores : Number(t)));
  const variants = hasRelaxedSimd() ? [false, true] : [false];
  console.log(`WebAssembly SIMD peak, ${cores} cores available, Node ${process.versions.node}`);
  console.log('| threads | plain SIMD (mul + add) GFLOP/s | relaxed SIMD (FMA) GFLOP/s |');
  console.log('| ---: | ---: | ---: |');
  for (const t of counts) {
    const plain = await measureSimdPeak(t, false);
    const fma = variants.length > 1 ? await measureSimdPeak(t, true) : undefined;
    console.log(
      `| ${t} | ${plain.toFixed(1)} | ${fma === undefined ? '– (not in this runtime)' : fma.toFixed(1)} |`,
    );
  }
}

// Run as a script (tsx, or its own bundle), not when bundled into train-step.
if (/simd-peak\.(ts|mjs)$/.test(process.argv[1] ?? '')) await main();
