/**
 * Training-step benchmark: the paper's single-level and hierarchical VQ-VAE training steps,
 * stock tfjs kernels vs vqkit's kernels, in ONE process on ONE backend, plus (optionally) the
 * PyTorch reference of the same architecture (bench/reference/vqvae_step.py) in the same run.
 * Prints img/s, ms/step, peak tensor memory and the ratios. Never part of `npm test`.
 *
 *   npm run build && npx tsx bench/train-step.ts [--backend cpu|webgpu|auto] [--preset paper|tiny]
 *       [--batch 16] [--steps 10] [--warmup 2] [--arch single|hierarchical|both]
 *       [--modes stock,vqkit] [--pytorch] [--json out.json]
 *
 * On the GPU host (no Node there): ../shared/gpu-host/pack.sh gpu-pack bench/train-step.ts, carry
 * gpu-pack, then `bash gpu-pack/run.sh train-step --backend webgpu --preset paper --pytorch`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { registerVqkitKernels, unregisterVqkitKernels } from '@vqkit/kernels';
import { vqvaeTrainStep } from '@vqkit/models';
import { initBackend, shutdownBackend } from '@vqkit/runtime';
import { createModel, resolveConfig } from '../apps/experiments/src/index';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    preset: { type: 'string', default: 'paper' },
    batch: { type: 'string' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    arch: { type: 'string', default: 'both' },
    modes: { type: 'string', default: 'stock,vqkit' },
    pytorch: { type: 'boolean', default: false },
    python: { type: 'string', default: 'python3' },
    json: { type: 'string' },
  },
});

interface Row {
  framework: string;
  arch: string;
  mode: string;
  backend: string;
  batch: number;
  size: number;
  msPerStep: number;
  imgPerSec: number;
  peakBytes: number | null;
  loss: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function timeArch(
  arch: 'single' | 'hierarchical',
  mode: string,
  backend: string,
): Promise<Row> {
  const sets = ['data.train=bench', 'data.val=bench', `architecture=${arch}`];
  if (args.batch) sets.push(`train.batchSize=${args.batch}`);
  const config = resolveConfig(args.preset!, sets);
  const batch = config.train.batchSize;
  const size = config.data.size;
  const model = createModel(config); // @vqkit/models, configured exactly as `vqkit train` does
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
  const profile = await tf.profile(async () => {
    loss = await step();
  });
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    loss = await step();
    times.push(performance.now() - t0);
  }
  x.dispose();
  optimizer.dispose();
  model.dispose();
  const ms = median(times);
  return {
    framework: 'vqkit',
    arch,
    mode,
    backend,
    batch,
    size,
    msPerStep: ms,
    imgPerSec: batch / (ms / 1000),
    peakBytes: profile.peakBytes,
    loss,
  };
}

function runPytorch(batch: number, size: number, steps: number): Row[] {
  // Next to this file when run with tsx; under bench/ of the working directory when bundled (gpu-pack).
  const script =
    [
      join(dirname(fileURLToPath(import.meta.url)), 'reference', 'vqvae_step.py'),
      join(process.cwd(), 'bench', 'reference', 'vqvae_step.py'),
    ].find((p) => existsSync(p)) ?? 'bench/reference/vqvae_step.py';
  const r = spawnSync(
    args.python!,
    [script, '--batch', String(batch), '--size', String(size), '--steps', String(steps)],
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
      batch: j.batch,
      size: j.size,
      msPerStep: j.ms_per_step,
      imgPerSec: j.img_per_s,
      peakBytes: j.peak_bytes,
      loss: j.loss,
    }));
}

async function main() {
  const info = await initBackend({ backend: args.backend as 'auto', kernels: false });
  console.log(
    `backend: ${info.name}${info.adapter ? ` (${info.adapter.vendor} ${info.adapter.architecture} ${info.adapter.description ?? ''})` : ''}`,
  );
  const archs =
    args.arch === 'both' ? (['single', 'hierarchical'] as const) : [args.arch as 'single'];
  const modes = args.modes!.split(',');
  const rows: Row[] = [];
  for (const arch of archs) {
    for (const mode of modes) {
      if (mode === 'vqkit') registerVqkitKernels(info.name);
      else unregisterVqkitKernels();
      try {
        const row = await timeArch(arch, mode, info.name);
        rows.push(row);
        console.log(
          `${arch} ${mode}: ${row.msPerStep.toFixed(1)} ms/step, ${row.imgPerSec.toFixed(2)} img/s`,
        );
      } catch (error) {
        console.error(`${arch} ${mode}: failed: ${(error as Error).message}`);
      }
    }
  }
  unregisterVqkitKernels();
  if (args.pytorch && rows.length > 0)
    rows.push(...runPytorch(rows[0]!.batch, rows[0]!.size, Number(args.steps)));

  const base = (arch: string) => rows.find((r) => r.arch === arch && r.mode === 'stock');
  const torchFp32 = (arch: string) => rows.find((r) => r.arch === arch && r.mode === 'fp32');
  console.log(
    '\n| arch | framework | mode | backend | batch | size | ms/step | img/s | peak MiB | × stock | × PyTorch fp32 |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const s = base(r.arch);
    const p = torchFp32(r.arch);
    console.log(
      `| ${r.arch} | ${r.framework} | ${r.mode} | ${r.backend} | ${r.batch} | ${r.size} | ${r.msPerStep.toFixed(1)} | ${r.imgPerSec.toFixed(2)} | ${r.peakBytes === null ? '–' : (r.peakBytes / 2 ** 20).toFixed(0)} | ${s ? (r.imgPerSec / s.imgPerSec).toFixed(2) : '–'} | ${p ? (r.imgPerSec / p.imgPerSec).toFixed(3) : '–'} |`,
    );
  }
  if (args.json)
    writeFileSync(
      args.json,
      `${JSON.stringify({ date: new Date().toISOString(), backend: info, rows }, null, 2)}\n`,
    );
  await shutdownBackend();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
