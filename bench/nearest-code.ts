/**
 * Nearest-code search on cpu at the paper's scale (N 65,536 × K 8,192 × D 8 by default): the
 * scalar float64 kernel vqkit had before (`nearestCodeScalar`) against the blocked SIMD kernel
 * (plain SIMD, relaxed-SIMD FMA where the runtime has it) on 1 thread and on every core, in one
 * run. Ratios are to the scalar kernel measured in the same run; the indices of every variant are
 * checked against the NearestCodeSearch contract's tolerance. Never part of `npm test`.
 *
 *   npx tsx bench/nearest-code.ts [--n 65536] [--k 8192] [--d 8] [--threads 1,all] [--reps 3]
 *       [--relaxed-simd] [--json out.json]
 *   (--relaxed-simd: turn on V8's relaxed SIMD on Node 20 for the FMA rows; Node ≥ 22 has it)
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import {
  type CpuExecutor,
  createCallingThreadExecutor,
} from '../packages/kernels/src/cpu/executor';
import { nearestCodeScalar } from '../packages/kernels/src/cpu/nearest-code';
import { simdSupport } from '../packages/kernels/src/cpu/simd-support';
import { createWorkerPoolExecutor } from '../packages/kernels/src/cpu/worker-pool';
import { enableRelaxedSimd } from './simd-peak';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '65536' },
    k: { type: 'string', default: '8192' },
    d: { type: 'string', default: '8' },
    threads: { type: 'string', default: '1,all' },
    reps: { type: 'string', default: '3' },
    json: { type: 'string' },
    'relaxed-simd': { type: 'boolean', default: false },
  },
});
enableRelaxedSimd(args['relaxed-simd']);

/** Seeded values in [−1, 1) in a SharedArrayBuffer (as the pool's own outputs are). */
function values(count: number, seed: number): Float32Array {
  const a = new Float32Array(new SharedArrayBuffer(4 * count));
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = 2 * (s / 2 ** 32) - 1;
  }
  return a;
}

/** Best wall time of `reps` runs of `f`, and its last result. */
function best<T>(reps: number, f: () => T): { ms: number; out: T } {
  let ms = Number.POSITIVE_INFINITY;
  let out = f();
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    out = f();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, out };
}

const n = Number(args.n);
const k = Number(args.k);
const d = Number(args.d);
const z = values(n * d, 1);
const e = values(k * d, 2);
const flops = 2 * n * k * d;

/** Rows whose index is farther than the contract's τ from the exact (float64) minimum, of a sample. */
function contractMisses(idx: Int32Array): number {
  let maxNorm = 0;
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += e[j * d + t]! ** 2;
    maxNorm = Math.max(maxNorm, s);
  }
  let misses = 0;
  for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 512))) {
    const dist = (j: number) => {
      let s = 0;
      for (let t = 0; t < d; t++) s += (z[i * d + t]! - e[j * d + t]!) ** 2;
      return s;
    };
    let min = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) min = Math.min(min, dist(j));
    let zz = 0;
    for (let t = 0; t < d; t++) zz += z[i * d + t]! ** 2;
    if (dist(idx[i]!) - min > (d + 3) * 2 ** -22 * (zz + maxNorm)) misses++;
  }
  return misses;
}

interface Row {
  kernel: string;
  threads: number;
  ms: number;
  gflops: number;
  speedup: number;
  misses: number;
}

function main(): void {
  const cores = availableParallelism();
  const reps = Number(args.reps);
  console.log(
    `nearest code: N ${n} × K ${k} × D ${d}, ${cores} cores, Node ${process.versions.node}`,
  );
  const before = best(1, () => nearestCodeScalar(z, e, n, k, d, 4096));
  const rows: Row[] = [
    {
      kernel: 'scalar float64 (before)',
      threads: 1,
      ms: before.ms,
      gflops: flops / before.ms / 1e6,
      speedup: 1,
      misses: contractMisses(before.out),
    },
  ];
  const levels = simdSupport().relaxed ? (['plain', 'relaxed'] as const) : (['plain'] as const);
  for (const t of args.threads.split(',').map((s) => (s === 'all' ? cores : Number(s)))) {
    for (const simd of levels) {
      const ex: CpuExecutor =
        t === 1
          ? createCallingThreadExecutor(simd)
          : createWorkerPoolExecutor({ threads: t, simd });
      const r = best(reps, () => ex.nearest(z, e, n, k, d));
      ex.release();
      const kernel = `blocked SIMD, ${simd === 'relaxed' ? 'relaxed-SIMD FMA' : 'plain SIMD'}`;
      rows.push({
        kernel,
        threads: t,
        ms: r.ms,
        gflops: flops / r.ms / 1e6,
        speedup: before.ms / r.ms,
        misses: contractMisses(r.out),
      });
    }
  }
  console.log(
    '\n| kernel | threads | ms | GFLOP/s | × scalar (before) | rows outside τ (of 512 checked) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.kernel} | ${r.threads} | ${r.ms.toFixed(0)} | ${r.gflops.toFixed(1)} | ${r.speedup.toFixed(2)} | ${r.misses} |`,
    );
  }
  if (args.json)
    writeFileSync(
      args.json,
      `${JSON.stringify({ date: new Date().toISOString(), n, k, d, cores, rows }, null, 2)}\n`,
    );
}

main();
