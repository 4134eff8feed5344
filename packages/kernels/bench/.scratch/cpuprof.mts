import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { registerVqkitKernels, fusedNearestCode } from '../../src/index';
import { makeVqvaeStep } from '../vqvae-step';
await tf.setBackend('cpu');
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
registerVqkitKernels('cpu');
const agg = new Map<string, number>();
for (const k of tf.getKernelsForBackend('cpu')) {
  const f = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'cpu');
  tf.registerKernel({ ...k, kernelFunc: (args) => { const c = process.cpuUsage(); const r = f(args); const d = process.cpuUsage(c); agg.set(k.kernelName, (agg.get(k.kernelName) ?? 0) + (d.user + d.system) / 1000); return r; } });
}
const st = makeVqvaeStep({ batch: 4, size: 64, channels: 64, residualChannels: 32, resBlocks: 2, codeDim: 8, codebookSize: 512 }, fusedNearestCode);
await st.step(); await st.step(); agg.clear();
const c0 = process.cpuUsage();
for (let i = 0; i < 3; i++) await st.step();
const d = process.cpuUsage(c0);
console.log('CPU ms/step', ((d.user + d.system) / 3000).toFixed(0));
let tot = 0; for (const v of agg.values()) tot += v;
console.log('in kernels', (tot / 3).toFixed(0));
console.log([...agg].sort((a, b) => b[1] - a[1]).slice(0, 16).map(([k, v]) => `${k} ${(v / 3).toFixed(1)}`).join('\n'));
