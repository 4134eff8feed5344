/**
 * Training-step benchmark: the paper's single-level and hierarchical VQ-VAE training steps,
 * stock tfjs kernels vs vqkit's kernels (on cpu: for each thread count of `--threads`), in ONE
 * process on ONE backend, plus (optionally) the PyTorch reference of the same architecture
 * (bench/reference/vqvae_step.py, with each thread setting of `--pytorch-threads`) in the same
 * run. Prints img/s, ms/step, GFLOP/s of the step (convolutions + nearest-code search, counted
 * from the kernels one step runs) against the machine's WebAssembly-SIMD peak measured in the same
 * run (cpu), peak tensor memory and the ratios. Never part of `npm test`.
 *
 *   npm run build && npx tsx bench/train-step.ts [--backend cpu|webgpu|auto] [--preset paper|tiny]
 *       [--batch 16] [--steps 10] [--warmup 2] [--arch single|hierarchical|both]
 *       [--modes stock,vqkit] [--threads 1,all] [--pytorch] [--pytorch-threads default,all]
 *       [--python python3] [--profile] [--relaxed-simd] [--json out.json]
 *
 * Thread counts: a number, or `all` (every available core). On Node 20, `--relaxed-simd` turns on
 * V8's relaxed SIMD (shipped from Node 22) so the kernels use and the peak counts FMA.
 *
 * On the GPU host (no Node there): ../shared/gpu-host/pack.sh gpu-pack bench/train-step.ts, carry
 * gpu-pack, then `bash gpu-pack/run.sh train-step --backend webgpu --preset paper --pytorch`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { registerVqkitKernels, unregisterVqkitKernels } from '@vqkit/kernels';
import { HierarchicalVQVAE, SingleLevelVQVAE, type VQVAE, vqvaeTrainStep } from '@vqkit/models';
import type { NearestCodeSearch } from '@vqkit/quantizer';
import { initBackend, shutdownBackend } from '@vqkit/runtime';
import { modelOptions, resolveConfig } from '../apps/experiments/src/index';
import { enableRelaxedSimd, hasRelaxedSimd, measureSimdPeak } from './simd-peak';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    preset: { type: 'string', default: 'paper' },
    batch: { type: 'string' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    arch: { type: 'string', default: 'both' },
    modes: { type: 'string', default: 'stock,vqkit' },
    threads: { type: 'string', default: 'all' },
    pytorch: { type: 'boolean', default: false },
    'pytorch-threads': { type: 'string', default: 'default' },
    profile: { type: 'boolean', default: false },
    'relaxed-simd': { type: 'boolean', default: false },
    python: { type: 'string', default: 'python3' },
    json: { type: 'string' },
  },
});

interface Row {
  framework: string;
  arch: string;
  mode: string;
  backend: string;
  /** Threads of the computation (vqkit cpu kernels, PyTorch intra-op); null where not applicable. */
  threads: number | null;
  batch: number;
  size: number;
  msPerStep: number;
  /** CPU time of the whole process (every thread) per step. */
  cpuMsPerStep: number | null;
  /** CPU time of the calling (main) thread per step (Linux /proc), the step's critical path. */
  mainCpuMsPerStep: number | null;
  imgPerSec: number;
  peakBytes: number | null;
  /** Floating-point operations of one step (convolutions, matMuls, nearest code); null if unknown. */
  flopsPerStep: number | null;
  loss: number;
}

/**
 * CPU ms used so far: by the whole process (all threads), and by the main thread alone (from
 * /proc/self/task/<pid>/stat on Linux, 10 ms resolution; null elsewhere).
 */
function cpuTimes(): { all: number; main: number | null } {
  const u = process.cpuUsage();
  let main: number | null = null;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    main = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, clock ticks of 1/100 s
  } catch {
    main = null;
  }
  return { all: (u.user + u.system) / 1000, main };
}

/** The floating-point operations of one kernel call, from its shapes (0 for the cheap ones). */
function kernelFlops(k: {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
}): number {
  const size = (s: number[] | undefined) => (s ?? []).reduce((a, b) => a * b, 1);
  const [in0, in1] = k.inputShapes;
  const out = k.outputShapes[0];
  switch (k.name) {
    case 'Conv2D': // y [b, oh, ow, oc] of filter [fh, fw, ic, oc]
    case 'FusedConv2D':
      return 2 * size(out) * size(in1?.slice(0, 3));
    case 'Conv2DBackpropFilter': // x, dy → dW [fh, fw, ic, oc]
      return 2 * size(in1) * size(out?.slice(0, 3));
    case 'Conv2DBackpropInput': // dy, filter [fh, fw, ic, oc]
      return 2 * size(in0) * size(in1?.slice(0, 3));
    case 'BatchMatMul':
    case '_FusedMatMul': // [.., m, k] · [.., k, n]: 2 · |out| · k (k: the first input's inner or outer dim)
      return (
        2 *
        size(out) *
        Math.min(in0?.at(-1) ?? 0, in0?.at(-2) ?? 0, in1?.at(-1) ?? 0, in1?.at(-2) ?? 0)
      );
    case 'VqkitNearestCode': // z [n, d], codebook [k, d]
      return 2 * size(in0) * (in1?.[0] ?? 0);
    default:
      return 0;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * The model `vqkit train` builds for `config` (`modelOptions` of the app), with `search` as every
 * level's nearest-code search: the one `registerVqkitKernels` returned in vqkit mode, the
 * quantizer's own chunked search in stock mode (`undefined`). The bench registers the kernels
 * itself (to switch modes and thread counts in one process), so it passes the search explicitly.
 */
function benchModel(
  config: ReturnType<typeof resolveConfig>,
  search: NearestCodeSearch | undefined,
): VQVAE {
  const built = modelOptions(config, config.architecture, search);
  return built.architecture === 'single'
    ? new SingleLevelVQVAE(built.options)
    : new HierarchicalVQVAE(built.options);
}

async function timeArch(
  arch: 'single' | 'hierarchical',
  mode: string,
  backend: string,
  threads: number | null,
  search: NearestCodeSearch | undefined,
): Promise<Row> {
  const sets = ['data.train=bench', 'data.val=bench', `architecture=${arch}`];
  if (args.batch) sets.push(`train.batchSize=${args.batch}`);
  const config = resolveConfig(args.preset!, sets);
  const batch = config.train.batchSize;
  const size = config.data.size;
  const model = benchModel(config, search); // @vqkit/models, configured exactly as `vqkit train` does
  const optimizer = tf.train.adam(config.train.learningRate);
  // Fixed random input: data loading is not what this benchmark measures.
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const step = async (): Promise<number> => {
    const result = vqvaeTrainStep(model, optimizer, x);
    const loss = (await result.loss.total.data())[0]!; // forces the step to finish on asynchronous backends
    tf.dispose(result);
    return loss;
  };
  const warmup = Number(args.warmup);
  const steps = Number(args.steps);
  let loss = 0;
  for (let i = 0; i < warmup; i++) loss = await step();
  // Peak memory of one step, measured by the engine (bytes of live tensors at the high-water mark).
  const profile = await withCpuKernelTimes(backend, () =>
    tf.profile(async () => {
      loss = await step();
    }),
  );
  if (args.profile) {
    const clock = backend === 'cpu' ? 'CPU time, all threads' : 'wall time';
    await printKernelTimes(
      `${arch} ${mode}${threads ? ` ${threads} thread(s)` : ''}`,
      clock,
      profile,
    );
  }
  const times: number[] = [];
  const cpu0 = cpuTimes();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    loss = await step();
    times.push(performance.now() - t0);
  }
  const cpu1 = cpuTimes();
  x.dispose();
  optimizer.dispose();
  model.dispose();
  const ms = median(times);
  const flops = profile.kernels.reduce((sum, k) => sum + kernelFlops(k), 0);
  return {
    framework: 'vqkit',
    arch,
    mode,
    backend,
    threads,
    batch,
    size,
    msPerStep: ms,
    cpuMsPerStep: (cpu1.all - cpu0.all) / steps,
    mainCpuMsPerStep:
      cpu1.main === null || cpu0.main === null ? null : (cpu1.main - cpu0.main) / steps,
    imgPerSec: batch / (ms / 1000),
    peakBytes: profile.peakBytes,
    flopsPerStep: flops > 0 ? flops : null,
    loss,
  };
}

/** Runs the PyTorch reference with `threads` CPU threads (undefined: torch's default). */
function runPytorch(batch: number, size: number, steps: number, threads?: number): Row[] {
  // Next to this file when run with tsx; under bench/ of the working directory when bundled (gpu-pack).
  const script =
    [
      join(dirname(fileURLToPath(import.meta.url)), 'reference', 'vqvae_step.py'),
      join(process.cwd(), 'bench', 'reference', 'vqvae_step.py'),
    ].find((p) => existsSync(p)) ?? 'bench/reference/vqvae_step.py';
  const r = spawnSync(
    args.python!,
    [
      script,
      ...['--batch', String(batch), '--size', String(size), '--steps', String(steps)],
      ...['--warmup', String(Math.max(1, Number(args.warmup)))],
      ...(threads === undefined ? [] : ['--threads', String(threads)]),
      ...(args.backend === 'cpu' ? ['--device', 'cpu', '--precision', 'fp32'] : []),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    console.error(
      `bench: PyTorch reference did not run (${args.python} ${script}):\n${r.stderr || r.error}`,
    );
    return [];
  }
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .map((j) => ({
      framework: `pytorch ${j.torch}`,
      arch: j.arch,
      mode: j.precision,
      backend: j.device,
      threads: j.device === 'cpu' ? j.threads : null,
      batch: j.batch,
      size: j.size,
      msPerStep: j.ms_per_step,
      cpuMsPerStep: j.device === 'cpu' ? (j.cpu_ms_per_step ?? null) : null,
      mainCpuMsPerStep: j.device === 'cpu' ? (j.main_cpu_ms_per_step ?? null) : null,
      imgPerSec: j.img_per_s,
      peakBytes: j.peak_bytes,
      flopsPerStep: null,
      loss: j.loss,
    }));
}

/**
 * The calling (main) thread's CPU time in ms, in nanoseconds' resolution (Linux
 * `/proc/self/task/<pid>/schedstat`); null elsewhere.
 */
function mainThreadCpuMs(): number | null {
  try {
    return (
      Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
    );
  } catch {
    return null;
  }
}

/**
 * Runs `f` with the cpu backend's kernel timer (what `tf.profile` reports per kernel) measuring the
 * process's CPU time (every thread, µs resolution) instead of wall time: on a machine shared with
 * other jobs, wall time per kernel measures the load; CPU time measures the kernel. It also records
 * each kernel's wall time and the calling thread's CPU time (as the profile's `extraInfo`, JSON
 * `{ wall, main }`): on an idle machine, a kernel whose wall time equals its calling-thread time and
 * whose CPU time is no larger ran on the calling thread alone. Other backends keep their own timer.
 */
async function withCpuKernelTimes<T>(backend: string, f: () => Promise<T>): Promise<T> {
  if (backend !== 'cpu') return f();
  const b = tf.backend() as unknown as {
    time: (g: () => void) => Promise<{ kernelMs: number; getExtraProfileInfo?: () => string }>;
  };
  const own = Object.hasOwn(b, 'time');
  const wallTimer = b.time;
  b.time = async (g) => {
    const m0 = mainThreadCpuMs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    g();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const m1 = mainThreadCpuMs();
    const main = m0 === null || m1 === null ? null : m1 - m0;
    return {
      kernelMs: (c.user + c.system) / 1000,
      getExtraProfileInfo: () => JSON.stringify({ wall, main }),
    };
  };
  try {
    return await f();
  } finally {
    if (own) b.time = wallTimer;
    else delete (b as { time?: unknown }).time;
  }
}

/** Per kernel name, then per convolution shape: calls, summed time and share of one profiled step (`--profile`). */
async function printKernelTimes(
  label: string,
  clock: string,
  profile: Awaited<ReturnType<typeof tf.profile>>,
): Promise<void> {
  const byName = new Map<string, KernelTotal>();
  const byShape = new Map<string, KernelTotal>();
  for (const k of profile.kernels) {
    const ms = await k.kernelTimeMs;
    const t: KernelTime = { ms: typeof ms === 'number' ? ms : 0, wall: null, main: null };
    const extra = await k.extraInfo;
    if (typeof extra === 'string' && extra.startsWith('{')) Object.assign(t, JSON.parse(extra));
    addTo(byName, k.name, t, kernelFlops(k));
    const shapes = k.inputShapes.map((s) => s.join('×')).join(', ');
    addTo(byShape, `${k.name} ${shapes} → ${k.outputShapes[0]?.join('×')}`, t, kernelFlops(k));
  }
  const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
  const wall = [...byName.values()].reduce((s, e) => s + (e.wall ?? 0), 0);
  console.log(
    `\n${label}: kernel time (${clock}) of one step ${total.toFixed(0)} ms${wall > 0 ? `, kernel wall time ${wall.toFixed(0)} ms` : ''}`,
  );
  printTotals('kernel', byName, total, 0.001);
  console.log('');
  printTotals('kernel (inputs → output)', byShape, total, 0.002);
}

/** One kernel call's times: CPU ms (the profile's clock), and on cpu its wall ms and the calling thread's CPU ms. */
interface KernelTime {
  ms: number;
  wall: number | null;
  main: number | null;
}

interface KernelTotal {
  calls: number;
  ms: number;
  /** Summed wall ms and calling-thread CPU ms (null where not measured). */
  wall: number | null;
  main: number | null;
  flops: number;
}

function addTo(m: Map<string, KernelTotal>, key: string, t: KernelTime, flops: number): void {
  const e = m.get(key) ?? { calls: 0, ms: 0, wall: 0, main: 0, flops: 0 };
  e.calls++;
  e.ms += t.ms;
  e.wall = e.wall === null || t.wall === null ? null : e.wall + t.wall;
  e.main = e.main === null || t.main === null ? null : e.main + t.main;
  e.flops += flops;
  m.set(key, e);
}

/** A markdown table of `totals`, slowest first, leaving out rows under `minShare` of `total`. */
function printTotals(
  what: string,
  totals: Map<string, KernelTotal>,
  total: number,
  minShare: number,
): void {
  console.log(
    `| ${what} | calls | ms | share | GFLOP/s | wall ms | calling thread ms | other threads ms |`,
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, e] of [...totals]
    .sort((a, b) => b[1].ms - a[1].ms)
    .filter(([, e]) => e.ms >= minShare * total)) {
    const rate = e.flops > 0 && e.ms > 0 ? (e.flops / e.ms / 1e6).toFixed(1) : '–';
    const others = e.main === null ? '–' : Math.max(0, e.ms - e.main).toFixed(1);
    console.log(
      `| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(1)}% | ${rate} | ${e.wall?.toFixed(1) ?? '–'} | ${e.main?.toFixed(1) ?? '–'} | ${others} |`,
    );
  }
}

/** `all` → every available core; else a positive integer. */
function threadCount(t: string): number {
  return t === 'all' ? availableParallelism() : Number(t);
}

async function main() {
  enableRelaxedSimd(args['relaxed-simd']!);
  const info = await initBackend({ backend: args.backend as 'auto' });
  console.log(
    `backend: ${info.name}${info.adapter ? ` (${info.adapter.vendor} ${info.adapter.architecture} ${info.adapter.description ?? ''})` : ''}`,
  );
  const archs =
    args.arch === 'both' ? (['single', 'hierarchical'] as const) : [args.arch as 'single'];
  const modes = args.modes!.split(',');
  const threadList = info.name === 'cpu' ? args.threads!.split(',').map(threadCount) : [null];
  const rows: Row[] = [];
  for (const arch of archs) {
    for (const mode of modes) {
      for (const threads of mode === 'vqkit' ? threadList : [null]) {
        unregisterVqkitKernels();
        const search =
          mode === 'vqkit'
            ? registerVqkitKernels({ backend: info.name, ...(threads ? { threads } : {}) })
                .nearestCodeSearch
            : undefined;
        try {
          const row = await timeArch(arch, mode, info.name, threads, search);
          rows.push(row);
          console.log(
            `${arch} ${mode}${threads ? ` ${threads} thread(s)` : ''}: ${row.msPerStep.toFixed(1)} ms/step, ${row.imgPerSec.toFixed(2)} img/s`,
          );
        } catch (error) {
          console.error(`${arch} ${mode}: failed: ${(error as Error).message}`);
          process.exitCode = 1; // the table still prints; a failed row fails the run
        }
      }
    }
  }
  unregisterVqkitKernels();
  if (args.pytorch && rows.length > 0) {
    for (const t of args['pytorch-threads']!.split(',')) {
      const threads = t === 'default' ? undefined : threadCount(t);
      rows.push(...runPytorch(rows[0]!.batch, rows[0]!.size, Number(args.steps), threads));
    }
  }
  const peaks =
    info.name === 'cpu' ? await simdPeaks(threadList as number[]) : new Map<number, number>();
  printTable(rows, peaks);
  if (args.json)
    writeFileSync(
      args.json,
      `${JSON.stringify({ date: new Date().toISOString(), backend: info, simdPeakGflops: Object.fromEntries(peaks), rows }, null, 2)}\n`,
    );
  await shutdownBackend();
}

/** The WebAssembly-SIMD peak (GFLOP/s) for each thread count, of the variant the kernels use. */
async function simdPeaks(threads: number[]): Promise<Map<number, number>> {
  const relaxed = hasRelaxedSimd();
  const peaks = new Map<number, number>();
  for (const t of threads) peaks.set(t, await measureSimdPeak(t, relaxed));
  console.log(
    `WebAssembly ${relaxed ? 'relaxed-SIMD FMA' : 'SIMD mul + add'} peak: ${[...peaks].map(([t, g]) => `${g.toFixed(1)} GFLOP/s on ${t} thread(s)`).join(', ')}`,
  );
  return peaks;
}

/**
 * The wall time per step this row would take on an otherwise idle machine, estimated from CPU
 * times (robust to other load): its critical path, the larger of its main-thread CPU time and its
 * total CPU time spread over its threads. The same formula for vqkit and PyTorch (whose intra-op
 * threads spin while they wait, so under load its estimate errs on the slow side). Null where a
 * time is missing.
 */
function idleWallMs(r: Row): number | null {
  if (r.backend !== 'cpu' || r.cpuMsPerStep === null || r.mainCpuMsPerStep === null) return null;
  return Math.max(r.mainCpuMsPerStep, r.cpuMsPerStep / (r.threads ?? 1));
}

function printTable(rows: Row[], peaks: Map<number, number>): void {
  const base = (arch: string) => rows.find((r) => r.arch === arch && r.mode === 'stock');
  const firstVqkit = (arch: string) => rows.find((r) => r.arch === arch && r.mode === 'vqkit');
  const torchRows = (arch: string) => rows.filter((r) => r.arch === arch && r.mode === 'fp32');
  const torch = (arch: string) => torchRows(arch).sort((a, b) => b.imgPerSec - a.imgPerSec)[0];
  const torchIdle = (arch: string) =>
    torchRows(arch)
      .filter((r) => idleWallMs(r) !== null)
      .sort((a, b) => (idleWallMs(a) as number) - (idleWallMs(b) as number))[0];
  const ratio = (r: Row, b: Row | undefined) => (b ? (r.imgPerSec / b.imgPerSec).toFixed(2) : '–');
  /** `b`'s time over `r`'s, both idle estimates (`b`: its CPU time when `bCpu`). */
  const idleRatio = (r: Row, b: Row | undefined, bCpu: boolean) => {
    const mine = idleWallMs(r);
    const theirs = b === undefined ? null : bCpu ? b.cpuMsPerStep : idleWallMs(b);
    return mine === null || theirs === null ? '–' : (theirs / mine).toFixed(2);
  };
  console.log(
    '\n| arch | framework | mode | backend | threads | batch | size | ms/step | CPU ms/step (all threads / main) | idle-estimate ms/step | img/s | GFLOP/step | GFLOP/s | GFLOP per CPU-s | % SIMD peak | peak MiB | × stock | × first vqkit | × first vqkit, idle estimate | × best PyTorch fp32 | × best PyTorch fp32, idle estimates |',
  );
  console.log(
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of rows) {
    const gflops = r.flopsPerStep === null ? null : r.flopsPerStep / (r.msPerStep * 1e6);
    const peak = r.threads === null ? undefined : peaks.get(r.threads);
    const share = gflops !== null && peak ? `${((100 * gflops) / peak).toFixed(0)}%` : '–';
    const perCpu =
      r.flopsPerStep === null || r.cpuMsPerStep === null
        ? '–'
        : (r.flopsPerStep / (r.cpuMsPerStep * 1e6)).toFixed(1);
    const perStep = r.flopsPerStep === null ? '–' : (r.flopsPerStep / 1e9).toFixed(1);
    const cpu =
      r.cpuMsPerStep === null
        ? '–'
        : `${r.cpuMsPerStep.toFixed(0)} / ${r.mainCpuMsPerStep?.toFixed(0) ?? '–'}`;
    const idle = idleWallMs(r)?.toFixed(0) ?? '–';
    console.log(
      `| ${r.arch} | ${r.framework} | ${r.mode} | ${r.backend} | ${r.threads ?? '–'} | ${r.batch} | ${r.size} | ${r.msPerStep.toFixed(1)} | ${cpu} | ${idle} | ${r.imgPerSec.toFixed(2)} | ${perStep} | ${gflops === null ? '–' : gflops.toFixed(1)} | ${perCpu} | ${share} | ${r.peakBytes === null ? '–' : (r.peakBytes / 2 ** 20).toFixed(0)} | ${ratio(r, base(r.arch))} | ${ratio(r, firstVqkit(r.arch))} | ${idleRatio(r, firstVqkit(r.arch), true)} | ${ratio(r, torch(r.arch))} | ${idleRatio(r, torchIdle(r.arch), false)} |`,
    );
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
