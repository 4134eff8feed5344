/**
 * The cpu convolution paths on every distinct layer of the paper's two architectures (256²,
 * batch 4 by default): the GEMM path (im2col packing + 4×8 micro-kernel), the direct kernels and
 * Winograd F(2×2, 3×3), one thread, for the forward convolution and both gradients. CPU time
 * (process user + system, so other load on the machine does not count), best of `--reps`, with
 * the ratio to the GEMM path measured in the same run. Never part of `npm test`.
 *
 *   npx tsx packages/kernels/bench/conv-paths.ts [--batch 4] [--reps 3] [--relaxed-simd]
 */
import { parseArgs } from 'node:util';
import type { ConvGeometry } from '../src/cpu/conv-geometry';
import { directKinds } from '../src/cpu/direct-conv-layout';
import { usesDirectConv } from '../src/cpu/direct-conv-setup';
import { type ConvPath, createCallingThreadExecutor } from '../src/cpu/executor';
import { enableRelaxedSimd } from '../src/cpu/relaxed-simd-flag';
import { winogradGeometry } from '../src/cpu/winograd-setup';

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '4' },
    reps: { type: 'string', default: '3' },
    'relaxed-simd': { type: 'boolean', default: false },
  },
});
if (args['relaxed-simd']) enableRelaxedSimd();
const batch = Number(args.batch);
const reps = Number(args.reps);
const simd = args['relaxed-simd'] ? 'relaxed' : 'plain';

/** A convolution with PyTorch's symmetric padding `pad`. */
function conv(
  name: string,
  size: number,
  inC: number,
  outC: number,
  k: number,
  s: number,
  pad: number,
) {
  const out = Math.floor((size + 2 * pad - k) / s) + 1;
  const g: ConvGeometry = {
    batch,
    inH: size,
    inW: size,
    inC,
    outH: out,
    outW: out,
    outC,
    fh: k,
    fw: k,
    sh: s,
    sw: s,
    padTop: pad,
    padLeft: pad,
  };
  return { name, g };
}

/** Every distinct convolution of both architectures (C 160 / R 80 single, C 128 / R 64 hierarchical). */
const LAYERS = [
  conv('enc 4×4 s2 3→80 @256 (single)', 256, 3, 80, 4, 2, 1),
  conv('enc 4×4 s2 80→160 @128', 128, 80, 160, 4, 2, 1),
  conv('3×3 160→160 @64', 64, 160, 160, 3, 1, 1),
  conv('res 3×3 160→80 @64', 64, 160, 80, 3, 1, 1),
  conv('res 1×1 80→160 @64', 64, 80, 160, 1, 1, 0),
  conv('dec in 3×3 8→160 @64', 64, 8, 160, 3, 1, 1),
  conv('enc 4×4 s2 3→64 @256 (hier.)', 256, 3, 64, 4, 2, 1),
  conv('enc 4×4 s2 64→128 @128', 128, 64, 128, 4, 2, 1),
  conv('3×3 128→128 @64', 64, 128, 128, 3, 1, 1),
  conv('res 3×3 128→64 @64', 64, 128, 64, 3, 1, 1),
  conv('res 1×1 64→128 @64', 64, 64, 128, 1, 1, 0),
  conv('top 4×4 s2 128→64 @64', 64, 128, 64, 4, 2, 1),
  conv('top 3×3 64→128 @32', 32, 64, 128, 3, 1, 1),
  conv('top res 3×3 128→64 @32', 32, 128, 64, 3, 1, 1),
  conv('dec in 3×3 16→128 @64', 64, 16, 128, 3, 1, 1),
];

function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

/** Best CPU ms of `reps` runs of `f` (after one warm-up run). */
function cpuMs(f: () => void): number {
  f();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

const D = directKinds();
const executors = new Map<ConvPath, ReturnType<typeof createCallingThreadExecutor>>([
  ['gemm', createCallingThreadExecutor(simd, { convPaths: ['gemm'] })],
  ['direct', createCallingThreadExecutor(simd, { convPaths: ['direct', 'gemm'] })],
  ['winograd', createCallingThreadExecutor(simd, { convPaths: ['winograd', 'gemm'] })],
]);
console.log(`one thread, ${simd} SIMD, batch ${batch}; CPU ms (GFLOP/s), × GEMM path\n`);
console.log('| layer | convolution | GEMM | direct | Winograd | default path |');
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const [i, { name, g }] of LAYERS.entries()) {
  const x = values(g.batch * g.inH * g.inW * g.inC, 3 * i + 1);
  const w = values(g.fh * g.fw * g.inC * g.outC, 3 * i + 2);
  const dy = values(g.batch * g.outH * g.outW * g.outC, 3 * i + 3);
  const flops = 2 * g.batch * g.outH * g.outW * g.outC * g.fh * g.fw * g.inC;
  for (const [kind, label] of [
    [D.forward, 'forward'],
    [D.filter, 'filter gradient'],
    [D.input, 'input gradient'],
  ] as const) {
    const run = (path: ConvPath) => {
      const e = executors.get(path)!;
      if (kind === D.forward) e.convForward(x, w, g);
      else if (kind === D.filter) e.convFilter(x, dy, g);
      else e.convInput(dy, w, g);
    };
    const applies = {
      gemm: true,
      direct: usesDirectConv(kind, g),
      winograd: winogradGeometry(kind, g) !== null,
    };
    const base = cpuMs(() => run('gemm'));
    const cell = (path: ConvPath) => {
      if (path !== 'gemm' && !applies[path]) return '–';
      const ms = path === 'gemm' ? base : cpuMs(() => run(path));
      return `${ms.toFixed(1)} (${(flops / ms / 1e6).toFixed(0)}) ×${(base / ms).toFixed(2)}`;
    };
    const chosen = applies.winograd ? 'Winograd' : applies.direct ? 'direct' : 'GEMM';
    console.log(
      `| ${name} | ${label} | ${cell('gemm')} | ${cell('direct')} | ${cell('winograd')} | ${chosen} |`,
    );
  }
}
