/**
 * CPU kernel benchmark (never part of `npm test`): stock tfjs-backend-cpu vs the vqkit cpu kernels
 * on the conv shapes of a tiny-preset VQ-VAE, then whole training steps (stock cpu, vqkit cpu,
 * and webgpu over whatever adapter Dawn finds — lavapipe on a machine without a GPU), with the
 * ratios measured in the same run.
 *
 *   npm run bench -w @vqkit/kernels -- [--batch 4] [--size 64] [--channels 64] [--codebook 512]
 *     [--reps 3] [--stock-reps 1] [--skip-micro] [--skip-stock-step] [--skip-webgpu]
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { chunkedNearestCode } from '@vqkit/quantizer';
import { stockCpuKernel } from '../src/cpu/register';
import { fusedNearestCode, registerVqkitKernels, unregisterVqkitKernels } from '../src/index';
import { makeVqvaeStep, type StepConfig } from './vqvae-step';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const cfg: StepConfig = {
  batch: arg('batch', 4),
  size: arg('size', 64),
  channels: arg('channels', 64),
  residualChannels: 32,
  resBlocks: 2,
  codeDim: 8,
  codebookSize: arg('codebook', 512),
};
const reps = arg('reps', 3);
const stockReps = arg('stock-reps', 1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s[Math.floor(s.length / 2)];
  if (m === undefined) throw new Error('median: no timings (pass --reps ≥ 1)');
  return m;
}

/** Median wall-clock ms and median process CPU ms (user + system, all threads) of `n` runs. */
async function timeBoth(
  fn: () => void | Promise<void>,
  n: number,
  warmup = 1,
): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

async function micro(): Promise<void> {
  const { batch: B, size: S, channels: C } = cfg;
  const h = S / 4;
  // [name, x shape, filter shape, stride]: the step's heaviest conv geometries.
  const shapes: [string, number[], number[], number][] = [
    [`enc 4×4 s2 ${C / 2}→${C} @${S / 2}²`, [B, S / 2, S / 2, C / 2], [4, 4, C / 2, C], 2],
    [`res 3×3 ${C}→32 @${h}²`, [B, h, h, C], [3, 3, C, 32], 1],
    [`res 1×1 32→${C} @${h}²`, [B, h, h, 32], [1, 1, 32, C], 1],
    [`enc 3×3 ${C}→${C} @${h}²`, [B, h, h, C], [3, 3, C, C], 1],
  ];
  console.log(
    '\n## Kernel microbenchmarks (stock: 1 run; vqkit: median of 5 after 2 warm-ups; speed-up from CPU time)',
  );
  console.log(
    '| conv | kernel | stock wall ms | stock CPU ms | vqkit wall ms | vqkit CPU ms | speed-up |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  registerVqkitKernels({ backend: 'cpu' });
  for (const [name, xs, ws, stride] of shapes) {
    const x = tf.randomUniform(xs, -1, 1, 'float32', 1);
    const w = tf.randomUniform(ws, -1, 1, 'float32', 2);
    const common = { strides: [stride, stride], pad: 'same', dataFormat: 'NHWC' };
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, 'same');
    const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 3);
    const cases: [string, tf.NamedTensorMap, tf.NamedAttrMap][] = [
      [tf.Conv2D, { x, filter: w }, { ...common, dilations: [1, 1] } as tf.NamedAttrMap],
      [tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape: ws } as tf.NamedAttrMap],
      [tf.Conv2DBackpropInput, { dy, filter: w }, { ...common, inputShape: xs } as tf.NamedAttrMap],
    ];
    for (const [kernel, inputs, attrs] of cases) {
      const stock = stockCpuKernel(kernel);
      const tStock = await timeBoth(
        () => {
          const out = stock({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo;
          tf.backend().disposeData(out.dataId);
        },
        1,
        0,
      );
      const tFast = await timeBoth(
        () => {
          tf.dispose(tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor);
        },
        5,
        2,
      );
      console.log(
        `| ${name} | ${kernel} | ${tStock.wall.toFixed(1)} | ${tStock.cpu.toFixed(1)} | ${tFast.wall.toFixed(2)} | ${tFast.cpu.toFixed(2)} | ${(tStock.cpu / tFast.cpu).toFixed(1)}× |`,
      );
    }
    tf.dispose([x, w, y, dy]);
  }
}

interface StepTime {
  wall: number;
  cpu: number;
}

async function stepOn(label: string, vqkit: boolean, n: number): Promise<StepTime> {
  if (vqkit) registerVqkitKernels();
  else unregisterVqkitKernels();
  const step = makeVqvaeStep(cfg, vqkit ? fusedNearestCode : chunkedNearestCode);
  const before = tf.memory().numTensors;
  const t = await timeBoth(async () => {
    await step.step();
  }, n);
  const { wall: ms, cpu } = t;
  const leaked = tf.memory().numTensors - before;
  step.dispose();
  console.log(
    `| ${label} | ${ms.toFixed(0)} | ${cpu.toFixed(0)} | ${(cfg.batch / (ms / 1000)).toFixed(2)} | ${leaked} |`,
  );
  return t;
}

async function webgpuStep(): Promise<StepTime | null> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  const adapter = await gpu.requestAdapter();
  if (adapter == null) {
    console.log('| webgpu | (no adapter) | | | |');
    return null;
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  const desc = adapter.info.description;
  const ms = await stepOn(`webgpu (${desc}), vqkit kernels`, true, reps);
  const msStock = await stepOn(`webgpu (${desc}), stock kernels`, false, reps);
  tf.removeBackend('webgpu');
  return ms.wall <= msStock.wall ? ms : msStock;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  console.log(
    `# vqkit cpu kernels — ${new Date().toISOString().slice(0, 10)}, node ${process.versions.node}, tfjs ${tf.version_core}`,
  );
  console.log(`step config: ${JSON.stringify(cfg)}`);
  if (!flag('skip-micro')) await micro();
  console.log('\n## VQ-VAE training step (median of the timed steps; CPU ms = all threads)');
  console.log('| backend | wall ms / step | CPU ms / step | img/s | tensors leaked |');
  console.log('|---|---:|---:|---:|---:|');
  const fast = await stepOn('cpu, vqkit kernels', true, reps);
  let stock: StepTime | null = null;
  if (!flag('skip-stock-step')) stock = await stepOn('cpu, stock kernels', false, stockReps);
  let gpu: StepTime | null = null;
  if (!flag('skip-webgpu')) gpu = await webgpuStep();
  const ratio = (slow: StepTime, quick: StepTime) =>
    `${(slow.wall / quick.wall).toFixed(1)}× (wall), ${(slow.cpu / quick.cpu).toFixed(1)}× (CPU time)`;
  console.log('\n## Ratios (same run)');
  if (stock != null) console.log(`cpu vqkit vs cpu stock: ${ratio(stock, fast)} faster`);
  if (gpu != null)
    console.log(`cpu vqkit vs webgpu (its faster kernel set): ${ratio(gpu, fast)} faster`);
  if (gpu != null && stock != null) console.log(`webgpu vs cpu stock: ${ratio(stock, gpu)} faster`);
}

await main();
