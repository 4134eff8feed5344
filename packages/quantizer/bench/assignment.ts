/**
 * Assignment throughput and peak memory of `chunkedNearestCode`, chunked vs unchunked.
 *
 *   npx tsx bench/assignment.ts                    # cpu backend
 *   npx tsx bench/assignment.ts --backend webgpu   # webgpu (Dawn; lavapipe on a CPU-only box)
 *   options: --n 65536  --chunk 4096  --reps 1  --max-gib 1
 *
 * Each configuration runs in its own child process so that its peak RSS is its own. Unchunked
 * runs whose [N, K] float32 distance matrix exceeds --max-gib (default 1 GiB; WebGPU cannot bind
 * more than 2 GiB at all) are skipped and reported as such. Not part of the test suite.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { arg, useBackend } from './setup';

interface Row {
  k: number;
  d: number;
  mode: 'chunked' | 'unchunked';
  ms?: number;
  largestMiB?: number;
  engineMiB?: number;
  rssMiB?: number;
  agree?: boolean;
  skipped?: string;
}

const backend = arg('backend', 'cpu');
const n = Number(arg('n', '65536'));
const chunk = Number(arg('chunk', '4096'));
const reps = Number(arg('reps', '1'));
const maxGiB = Number(arg('max-gib', '1'));

async function single(k: number, d: number, mode: 'chunked' | 'unchunked'): Promise<Row> {
  const tf = await useBackend(backend);
  const { chunkedNearestCode } = await import('../src/index');
  const z = tf.randomNormal([n, d], 0, 1, 'float32', 1) as import('@tensorflow/tfjs-core').Tensor2D;
  const e = tf.randomNormal([k, d], 0, 1, 'float32', 2) as import('@tensorflow/tfjs-core').Tensor2D;
  const chunkSize = mode === 'chunked' ? chunk : n;
  // Warm-up on a slice (shader compilation, allocator).
  const warm = tf.slice(
    z,
    [0, 0],
    [Math.min(n, chunk), d],
  ) as import('@tensorflow/tfjs-core').Tensor2D;
  await chunkedNearestCode(warm, e, { chunkSize }).data();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const idx = chunkedNearestCode(z, e, { chunkSize });
    await idx.data();
    best = Math.min(best, performance.now() - t0);
    idx.dispose();
  }
  const info = await tf.profile(() => chunkedNearestCode(z, e, { chunkSize }));
  const largest = Math.max(
    ...info.kernels.flatMap((kr) => kr.outputShapes.map((s) => s.reduce((a, b) => a * b, 1) * 4)),
  );
  // Agreement with a small chunk on the first 2048 rows (exact on cpu).
  const head = tf.slice(
    z,
    [0, 0],
    [Math.min(n, 2048), d],
  ) as import('@tensorflow/tfjs-core').Tensor2D;
  const a = await chunkedNearestCode(head, e, { chunkSize }).data();
  const b = await chunkedNearestCode(head, e, { chunkSize: 64 }).data();
  return {
    k,
    d,
    mode,
    ms: best,
    largestMiB: largest / 2 ** 20,
    engineMiB: info.peakBytes / 2 ** 20,
    rssMiB: process.resourceUsage().maxRSS / 1024,
    agree: a.every((v, i) => v === b[i]),
  };
}

function fmt(x: number | undefined, digits = 1): string {
  return x === undefined ? '—' : x.toFixed(digits);
}

async function main(): Promise<void> {
  const one = process.argv.indexOf('--single');
  if (one >= 0) {
    const [k, d, mode] = process.argv.slice(one + 1, one + 4);
    const row = await single(Number(k), Number(d), mode as Row['mode']);
    process.stdout.write(`${JSON.stringify(row)}\n`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  console.log(`backend ${backend}, N = ${n}, chunkSize = ${chunk}, best of ${reps}`);
  for (const k of [1024, 8192]) {
    for (const d of [8, 64]) {
      for (const mode of ['chunked', 'unchunked'] as const) {
        const matrixGiB = (n * k * 4) / 2 ** 30;
        if (mode === 'unchunked' && matrixGiB > maxGiB) {
          rows.push({
            k,
            d,
            mode,
            skipped: `[N,K] matrix would need ${matrixGiB.toFixed(1)} GiB (> --max-gib ${maxGiB})`,
          });
          continue;
        }
        const out = execFileSync(
          process.execPath,
          [
            ...process.execArgv,
            self,
            '--single',
            String(k),
            String(d),
            mode,
            ...process.argv.slice(2),
          ],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        );
        rows.push(JSON.parse(out.trim().split('\n').pop()!) as Row);
      }
    }
  }
  console.log(
    '\n|    K |  D | mode      |  time ms | kvec/s | largest MiB | engine peak MiB | max RSS MiB | agree |',
  );
  console.log(
    '|-----:|---:|-----------|---------:|-------:|------------:|----------------:|------------:|:-----:|',
  );
  for (const r of rows) {
    if (r.skipped) {
      console.log(
        `| ${String(r.k).padStart(4)} | ${String(r.d).padStart(2)} | ${r.mode.padEnd(9)} | skipped: ${r.skipped} |`,
      );
      continue;
    }
    console.log(
      `| ${String(r.k).padStart(4)} | ${String(r.d).padStart(2)} | ${r.mode.padEnd(9)} | ${fmt(r.ms, 0).padStart(8)} | ${fmt(n / r.ms!, 1).padStart(6)} | ${fmt(r.largestMiB).padStart(11)} | ${fmt(r.engineMiB).padStart(15)} | ${fmt(r.rssMiB, 0).padStart(11)} | ${r.agree ? 'yes' : 'NO'} |`,
    );
  }
  console.log('\nRatios unchunked / chunked (time, largest intermediate, max RSS):');
  for (const k of [1024, 8192]) {
    for (const d of [8, 64]) {
      const c = rows.find((r) => r.k === k && r.d === d && r.mode === 'chunked')!;
      const u = rows.find((r) => r.k === k && r.d === d && r.mode === 'unchunked')!;
      if (u.skipped || c.skipped) {
        console.log(`K=${k} D=${d}: unchunked skipped (${u.skipped ?? c.skipped})`);
      } else {
        console.log(
          `K=${k} D=${d}: time ×${(u.ms! / c.ms!).toFixed(2)}, largest ×${(u.largestMiB! / c.largestMiB!).toFixed(1)}, RSS ×${(u.rssMiB! / c.rssMiB!).toFixed(2)}`,
        );
      }
    }
  }
}

await main();
