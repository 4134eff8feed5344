import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { chunkedNearestCode, fusedNearestCode, registerVqkitKernels } from '../../src/index';
import { makeVqvaeStep } from '../vqvae-step';

await tf.setBackend('cpu');
(tf.backend() as any).firstUse = false;
const fast = process.argv[2] !== 'stock';
if (fast) registerVqkitKernels('cpu');
const s = Number(process.argv[3] ?? 64),
  C = Number(process.argv[4] ?? 64);
const st = makeVqvaeStep(
  {
    batch: 4,
    size: s,
    channels: C,
    residualChannels: 32,
    resBlocks: 2,
    codeDim: 8,
    codebookSize: 512,
  },
  fast ? fusedNearestCode : chunkedNearestCode,
);
await st.step();
const t0 = performance.now();
const prof = await tf.profile(async () => {
  await st.step();
});
const t1 = performance.now();
const agg = new Map<string, number>();
for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log('step (profiled) ms', (t1 - t0).toFixed(0), 'tensors', tf.memory().numTensors);
console.log(
  [...agg]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join('\n'),
);
