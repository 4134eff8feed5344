import { instantiateMicroKernel } from '../../src/cpu/wasm-microkernel';

const w = instantiateMicroKernel();
console.log('valid', w != null);
if (w) {
  w.memory.grow(10);
  const f = new Float32Array(w.memory.buffer);
  const kc = 5;
  const a = 1024,
    b = 4096,
    out = 0;
  for (let i = 0; i < kc * 4; i++) f[a / 4 + i] = i + 1;
  for (let i = 0; i < kc * 8; i++) f[b / 4 + i] = (i % 7) - 3;
  w.kernel(kc, a, b, out);
  const ref = new Float32Array(32);
  for (let p = 0; p < kc; p++)
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 8; j++) ref[i * 8 + j] += f[a / 4 + p * 4 + i] * f[b / 4 + p * 8 + j];
  console.log(Array.from(f.slice(0, 32)).join(','), '\n', Array.from(ref).join(','));
  const K = 256,
    reps = 20000;
  const t = performance.now();
  for (let r = 0; r < reps; r++) w.kernel(K, a, 65536, out);
  const dt = performance.now() - t;
  console.log('GFLOPS', ((2 * 32 * K * reps) / dt / 1e6).toFixed(2));
}
