/**
 * Cost of one training step (forward + backward of `mean((q − z)²) + loss`) of each quantizer
 * family at a matched capacity, as a ratio to the EMA VectorQuantizer measured in the same run.
 *
 *   npx tsx bench/families.ts                    # cpu backend
 *   npx tsx bench/families.ts --backend webgpu   # webgpu (Dawn; lavapipe on a CPU-only box)
 *   options: --batch 8  --size 16  --steps 10
 *
 * Every family gets 12 bits per position: VQ K 4096, residual 2 × 64, FSQ [8, 8, 8, 8], LFQ D 12.
 * Not part of the test suite.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { arg, useBackend } from './setup';

const backend = arg('backend', 'cpu');
const batch = Number(arg('batch', '8'));
const size = Number(arg('size', '16'));
const steps = Number(arg('steps', '10'));

async function main(): Promise<void> {
  const tf = await useBackend(backend, { layers: true }); // tfjs-layers: gradients in Node
  const { createQuantizer } = await import('../src/index');
  const specs = {
    vq: { kind: 'vq', codebookSize: 4096, codeDim: 4 },
    'vq rotation': { kind: 'vq', codebookSize: 4096, codeDim: 4, gradient: 'rotation' },
    'vq gradient': { kind: 'vq', codebookSize: 4096, codeDim: 4, learning: 'gradient' },
    residual: { kind: 'residual', depth: 2, codebookSize: 64, codeDim: 4 },
    fsq: { kind: 'fsq', levels: [8, 8, 8, 8] },
    lfq: { kind: 'lfq', codeDim: 12 },
  } as const;
  const rows: { family: string; msPerStep: number; ratio: number }[] = [];
  for (const [family, spec] of Object.entries(specs)) {
    const d = spec.kind === 'lfq' ? 12 : 4;
    const q = createQuantizer(spec);
    const z = tf.variable(tf.randomNormal([batch, size, size, d], 0, 1, 'float32', 1));
    const opt = tf.train.sgd(1e-3);
    const step = () =>
      opt.minimize(() => {
        const out = q.forward(z, { training: true });
        return tf.add(tf.mean(tf.squaredDifference(out.quantized, z)), out.loss) as TF.Scalar;
      });
    step(); // warm-up (init, kernel compilation)
    await tf.ready();
    const start = performance.now();
    for (let i = 0; i < steps; i++) step();
    await (z.data() as Promise<unknown>); // wait for queued device work
    const msPerStep = (performance.now() - start) / steps;
    rows.push({ family, msPerStep, ratio: msPerStep / (rows[0]?.msPerStep ?? msPerStep) });
    await q.flushEvents();
    tf.dispose(z);
    opt.dispose();
    q.dispose();
  }
  console.log(
    `backend ${backend}, batch [${batch}, ${size}, ${size}, D], ${steps} steps, 12 bits/position`,
  );
  console.table(
    rows.map((r) => ({ ...r, msPerStep: r.msPerStep.toFixed(1), ratio: r.ratio.toFixed(2) })),
  );
}

await main();
