/**
 * Microbenchmark of the vqkit WebGPU kernels against tfjs-backend-webgpu's stock kernels.
 *
 *   XDG_RUNTIME_DIR=/tmp npx tsx bench/webgpu-kernels.ts [--full] [--reps N]
 *
 * Runs on whatever adapter Dawn finds (Mesa lavapipe on a machine without a GPU). Each case is
 * warmed up once (shader compilation), then timed over `reps` runs ending in a read-back, and
 * reported as ms per run with the stock/vqkit ratio. `--full` adds the paper-sized shapes
 * (64×64 latents, C = 128, batch 4; N = 65 536, K = 8192), which take minutes on lavapipe.
 * Never part of `npm test`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { create, globals } from 'webgpu';
import { prefersPhaseGemm } from '../src/webgpu/conv2d-backprop-input';
import {
  registerWebGPUKernels,
  unregisterWebGPUKernels,
  webgpuConv2DBackpropInputImpl,
  webgpuNearestCode,
} from '../src/webgpu/index';
import type { WebGPUBackend } from '../src/webgpu/program';

const args = process.argv.slice(2);
const full = args.includes('--full');
const repsArg = args.indexOf('--reps');
const reps = repsArg >= 0 ? Number(args[repsArg + 1]) : 3;

process.env.XDG_RUNTIME_DIR ??= '/tmp';
Object.assign(globalThis, globals);
const gpu = create([]);
(globalThis as { navigator?: object }).navigator = { gpu };
const adapter = await gpu.requestAdapter();
if (adapter == null) {
  throw new Error(
    'bench/webgpu-kernels: no WebGPU adapter. Install mesa-vulkan-drivers (Mesa ≥ 24) or run on a GPU.',
  );
}
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
const info = adapter.info;
console.log(
  `adapter: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' / ')}`,
);
console.log(`tfjs ${tf.version_core}, reps ${reps}${full ? ', full sizes' : ''}\n`);

/** Mean ms per call of `fn` (its result is read back each time), after one warm-up call. */
async function time(fn: () => tf.Tensor): Promise<number> {
  const warm = fn();
  await warm.data();
  warm.dispose();
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const out = fn();
    await out.data();
    out.dispose();
  }
  return (performance.now() - start) / reps;
}

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}

const convCases: ConvCase[] = [
  {
    name: 'enc conv1 4×4/2, 3→64',
    x: [4, 128, 128, 3],
    filter: [4, 4, 3, 64],
    stride: 2,
    pad: 'same',
  },
  {
    name: 'enc conv2 4×4/2, 64→64',
    x: [4, 64, 64, 64],
    filter: [4, 4, 64, 64],
    stride: 2,
    pad: 'same',
  },
  { name: 'res 3×3/1, 64→64', x: [4, 32, 32, 64], filter: [3, 3, 64, 64], stride: 1, pad: 'same' },
  {
    name: 'pre-quant 1×1, 128→8',
    x: [4, 32, 32, 128],
    filter: [1, 1, 128, 8],
    stride: 1,
    pad: 'valid',
  },
];
if (full) {
  convCases.push(
    {
      name: 'paper enc conv2 4×4/2, 128→128',
      x: [4, 128, 128, 128],
      filter: [4, 4, 128, 128],
      stride: 2,
      pad: 'same',
    },
    {
      name: 'paper res 3×3/1, 128→128',
      x: [4, 64, 64, 128],
      filter: [3, 3, 128, 128],
      stride: 1,
      pad: 'same',
    },
  );
}

console.log('Conv2DBackpropFilter                     GFLOP   stock ms   vqkit ms   stock/vqkit');
for (const c of convCases) {
  const x = tf.randomNormal(c.x) as tf.Tensor4D;
  const ci = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.stride, 1, c.pad);
  const dy = tf.randomNormal([c.x[0], ci.outHeight, ci.outWidth, c.filter[3]]) as tf.Tensor4D;
  const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
  const run = () =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
  const flop = 2 * c.filter.reduce((a, b) => a * b, 1) * c.x[0] * ci.outHeight * ci.outWidth;
  unregisterWebGPUKernels();
  const stock = await time(run);
  registerWebGPUKernels();
  const ours = await time(run);
  console.log(
    `${c.name.padEnd(40)} ${(flop / 1e9).toFixed(3).padStart(6)} ${stock.toFixed(1).padStart(10)} ${ours.toFixed(1).padStart(10)} ${(stock / ours).toFixed(1).padStart(12)}×`,
  );
  tf.dispose([x, dy]);
}

console.log(
  '\nConv2DBackpropInput                      GFLOP   stock ms   phase-GEMM ms   stock/phase   registered',
);
for (const c of convCases) {
  const ci = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.stride, 1, c.pad);
  const dy = tf.randomNormal([c.x[0], ci.outHeight, ci.outWidth, c.filter[3]]) as tf.Tensor4D;
  const w = tf.randomNormal(c.filter) as tf.Tensor4D;
  const attrs = { inputShape: c.x, strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
  const backend = tf.backend() as unknown as WebGPUBackend;
  // Useful work only: each dy element meets FH·FW·CI filter taps.
  const flop = 2 * c.filter.reduce((a, b) => a * b, 1) * c.x[0] * ci.outHeight * ci.outWidth;
  unregisterWebGPUKernels();
  const stock = await time(
    () =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs as never) as tf.Tensor,
  );
  const ours = await time(() =>
    tf.engine().makeTensorFromTensorInfo(webgpuConv2DBackpropInputImpl(backend, dy, w, ci)),
  );
  registerWebGPUKernels();
  console.log(
    `${c.name.padEnd(40)} ${(flop / 1e9).toFixed(3).padStart(6)} ${stock.toFixed(1).padStart(10)} ${ours.toFixed(1).padStart(15)} ${(stock / ours).toFixed(1).padStart(12)}×   ${prefersPhaseGemm(ci) ? 'phase GEMM' : 'stock'}`,
  );
  tf.dispose([dy, w]);
}

/**
 * The stock-tfjs way to the same answer: ‖e‖² − 2 z·eᵀ per chunk of rows (a full [N, K] matrix
 * would exceed WebGPU's binding limit), argMin, concat.
 */
function stockNearest(z: tf.Tensor2D, e: tf.Tensor2D, chunk: number): tf.Tensor1D {
  return tf.tidy(() => {
    const ee = tf.sum(tf.square(e), 1);
    const parts: tf.Tensor1D[] = [];
    for (let start = 0; start < z.shape[0]; start += chunk) {
      const zc = tf.slice(z, [start, 0], [Math.min(chunk, z.shape[0] - start), -1]);
      parts.push(tf.argMin(tf.sub(ee, tf.mul(2, tf.matMul(zc, e, false, true))), 1));
    }
    return tf.concat(parts);
  });
}

const nearestCases: Array<[number, number, number]> = [
  [4096, 1024, 8],
  [16_384, 1024, 8],
  [4096, 512, 64],
];
if (full) nearestCases.push([65_536, 8192, 8], [16_384, 4096, 8]);

console.log('\nnearest code  N × K × D                 GFLOP   stock ms   vqkit ms   stock/vqkit');
for (const [n, k, d] of nearestCases) {
  const z = tf.randomNormal([n, d]) as tf.Tensor2D;
  const e = tf.randomNormal([k, d]) as tf.Tensor2D;
  // Rows per stock chunk so that one [rows, K] float matrix stays ≤ 64 MiB.
  const chunk = Math.max(1, Math.floor((64 * 2 ** 20) / (4 * k)));
  const stock = await time(() => stockNearest(z, e, chunk));
  const ours = await time(() => webgpuNearestCode(z, e, { chunkSize: 65_536 }));
  const same = tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(stockNearest(z, e, chunk), webgpuNearestCode(z, e)), 'int32')),
  );
  const agree = ((await same.data())[0] as number) / n;
  same.dispose();
  console.log(
    `${`${n} × ${k} × ${d}`.padEnd(40)} ${((3 * n * k * d) / 1e9).toFixed(3).padStart(6)} ${stock.toFixed(1).padStart(10)} ${ours.toFixed(1).padStart(10)} ${(stock / ours).toFixed(1).padStart(12)}×   (same index: ${(100 * agree).toFixed(2)}%)`,
  );
  tf.dispose([z, e]);
}
process.exit(0);
