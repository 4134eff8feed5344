import type { ConvGeometry } from '../../src/cpu/conv-geometry';
import { conv2dBackpropFilter, conv2dBackpropInput, conv2dForward } from '../../src/cpu/conv2d';

const shapes: [string, ConvGeometry][] = [
  [
    'enc2 4x4s2 32->64 @32',
    {
      batch: 4,
      inH: 32,
      inW: 32,
      inC: 32,
      outH: 16,
      outW: 16,
      outC: 64,
      fh: 4,
      fw: 4,
      sh: 2,
      sw: 2,
      padTop: 1,
      padLeft: 1,
    },
  ],
  [
    'enc3 3x3 64->64 @16',
    {
      batch: 4,
      inH: 16,
      inW: 16,
      inC: 64,
      outH: 16,
      outW: 16,
      outC: 64,
      fh: 3,
      fw: 3,
      sh: 1,
      sw: 1,
      padTop: 1,
      padLeft: 1,
    },
  ],
  [
    'enc1 4x4s2 3->32 @64',
    {
      batch: 4,
      inH: 64,
      inW: 64,
      inC: 3,
      outH: 32,
      outW: 32,
      outC: 32,
      fh: 4,
      fw: 4,
      sh: 2,
      sw: 2,
      padTop: 1,
      padLeft: 1,
    },
  ],
];
for (const [name, g] of shapes) {
  const x = new Float32Array(g.batch * g.inH * g.inW * g.inC).map(() => Math.random());
  const w = new Float32Array(g.fh * g.fw * g.inC * g.outC).map(() => Math.random());
  const dy = new Float32Array(g.batch * g.outH * g.outW * g.outC).map(() => Math.random());
  const flops = 2 * g.batch * g.outH * g.outW * g.fh * g.fw * g.inC * g.outC;
  for (const [k, f] of [
    ['fwd', () => conv2dForward(x, w, g)],
    ['bpf', () => conv2dBackpropFilter(x, dy, g)],
    ['bpi', () => conv2dBackpropInput(dy, w, g)],
  ] as const) {
    for (let i = 0; i < 3; i++) f();
    const ts = [];
    for (let i = 0; i < 7; i++) {
      const t = process.cpuUsage();
      f();
      const d = process.cpuUsage(t);
      ts.push((d.user + d.system) / 1000);
    }
    ts.sort((a, b) => a - b);
    console.log(name, k, ts[3].toFixed(2), 'ms', (flops / ts[3] / 1e6).toFixed(2), 'GFLOPS');
  }
}
