import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  makeConv2DBackpropFilterKernel,
  webgpuConv2DBackpropFilterImpl,
} from './conv2d-backprop-filter';
import { KernelError } from './errors';
import { chooseGemmTiling } from './gemm-tiling';
import { isVec4Tiling } from './gemm-wgsl';
import type { WebGPUBackend } from './program';
import { setupWebGPU } from './test-backend';
import { cpuKernel, maxAbsDiff, normalArray } from './test-util';

const ctx = await setupWebGPU();

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

/** Output spatial size of a conv (tfjs's rules, via computeConv2DInfo). */
function dyShape(c: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
  return [c.x[0], info.outHeight, info.outWidth, c.filter[3]];
}

/** Summed-rounding tolerance for a reduction of length r over N(0, 1) products. */
function tolerance(r: number): number {
  return 2e-6 * r + 1e-4;
}

interface Run {
  cpu: Float32Array;
  stock: Float32Array;
  ours: Float32Array;
  r: number;
}

/** The same Conv2DBackpropFilter on the cpu backend, the stock webgpu kernel and ours. */
async function runAll(c: Case, seed: number, splits?: number): Promise<Run> {
  const rng = new Rng(seed);
  const dyS = dyShape(c);
  const xv = normalArray(rng, tf.util.sizeFromShape(c.x));
  const dyv = normalArray(rng, tf.util.sizeFromShape(dyS));
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
  const cpu = cpuKernel(
    'Conv2DBackpropFilter',
    { x: { shape: c.x, values: xv }, dy: { shape: dyS, values: dyv } },
    attrs,
  );
  const x = tf.tensor4d(xv, c.x);
  const dy = tf.tensor4d(dyv, dyS);
  const stockFunc = stockKernel();
  const backend = tf.backend() as unknown as WebGPUBackend;
  const stockInfo = stockFunc({
    inputs: { x, dy },
    backend,
    attrs: attrs as never,
  }) as tf.TensorInfo;
  const convInfo = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
  const oursInfo = webgpuConv2DBackpropFilterImpl(backend, x, dy, convInfo, { splits });
  const stock = tf.engine().makeTensorFromTensorInfo(stockInfo);
  const ours = tf.engine().makeTensorFromTensorInfo(oursInfo);
  expect(ours.shape).toEqual(c.filter);
  const result = {
    cpu: cpu.values,
    stock: (await stock.data()) as Float32Array,
    ours: (await ours.data()) as Float32Array,
    r: dyS[0] * dyS[1] * dyS[2],
  };
  tf.dispose([x, dy, stock, ours]);
  return result;
}

let stock: tf.KernelFunc | undefined;
/** The stock tfjs-backend-webgpu kernel function (captured before ours is registered). */
function stockKernel(): tf.KernelFunc {
  stock ??= tf.getKernel('Conv2DBackpropFilter', 'webgpu').kernelFunc;
  return stock;
}

const CASES: Case[] = [
  {
    name: '3×3 stride 1 SAME, batch 1, odd non-square 7×5',
    x: [1, 7, 5, 3],
    filter: [3, 3, 3, 4],
    strides: [1, 1],
    pad: 'same',
  },
  {
    name: '4×4 stride 2 SAME (asymmetric pad), odd 9×7',
    x: [2, 9, 7, 5],
    filter: [4, 4, 5, 6],
    strides: [2, 2],
    pad: 'same',
  },
  {
    name: '1×1 stride 2 VALID',
    x: [3, 8, 8, 4],
    filter: [1, 1, 4, 8],
    strides: [2, 2],
    pad: 'valid',
  },
  {
    name: '1×1 stride 1 VALID, CO = 1',
    x: [2, 5, 6, 7],
    filter: [1, 1, 7, 1],
    strides: [1, 1],
    pad: 'valid',
  },
  {
    name: '3×2 filter, strides [2, 1], explicit pads',
    x: [1, 11, 6, 2],
    filter: [3, 2, 2, 3],
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    name: '4×4 stride 2 explicit 1 (VQ-VAE downsampling conv)',
    x: [2, 16, 16, 8],
    filter: [4, 4, 8, 16],
    strides: [2, 2],
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  {
    name: '3×3 numeric pad 1, several M and N tiles (CO 70)',
    x: [2, 6, 6, 32],
    filter: [3, 3, 32, 70],
    strides: [1, 1],
    pad: 1,
  },
  {
    name: '5×3 stride 3 VALID, input not divisible by stride',
    x: [2, 13, 10, 3],
    filter: [5, 3, 3, 5],
    strides: [3, 3],
    pad: 'valid',
  },
];

describe.skipIf(!ctx)('Conv2DBackpropFilter (vqkit webgpu): tiled implicit GEMM', () => {
  for (const [i, c] of CASES.entries()) {
    it(`equals the cpu backend and the stock webgpu kernel: ${c.name}`, async () => {
      const run = await runAll(c, 100 + i);
      const tol = tolerance(run.r);
      expect(maxAbsDiff(run.ours, run.cpu)).toBeLessThan(tol);
      expect(maxAbsDiff(run.ours, run.stock)).toBeLessThan(tol);
      // The reference pair agrees too, so the comparison is not vacuous.
      expect(maxAbsDiff(run.stock, run.cpu)).toBeLessThan(tol);
    });
  }

  it('gives the same result for every split-K factor (partial sums + reduction pass)', async () => {
    const c: Case = {
      name: 'split',
      x: [2, 10, 9, 3],
      filter: [3, 3, 3, 5],
      strides: [1, 1],
      pad: 'same',
    };
    const base = await runAll(c, 7, 1);
    for (const splits of [2, 3, 7, 64]) {
      const run = await runAll(c, 7, splits);
      expect(maxAbsDiff(run.ours, base.cpu)).toBeLessThan(tolerance(run.r));
    }
  });

  it('uses split-K by default for a small output with a long reduction (4×4×3×64, as a VQ-VAE first conv)', async () => {
    const c: Case = {
      name: 'first conv',
      x: [2, 32, 32, 3],
      filter: [4, 4, 3, 64],
      strides: [2, 2],
      pad: 'same',
    };
    const r = 2 * 16 * 16;
    expect(chooseGemmTiling(4 * 4 * 3, 64, r).splits).toBeGreaterThan(1);
    const run = await runAll(c, 8);
    expect(maxAbsDiff(run.ours, run.cpu)).toBeLessThan(tolerance(r));
  });

  it('property: random shapes, strides and paddings equal the cpu backend', async () => {
    const pads = fc.oneof(
      fc.constant<Pad>('same'),
      fc.constant<Pad>('valid'),
      fc.integer({ min: 0, max: 2 }),
      fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)).map(
        ([t, b, l, r]): Pad => [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ],
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          b: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 4, max: 12 }),
          w: fc.integer({ min: 4, max: 12 }),
          ci: fc.integer({ min: 1, max: 9 }),
          co: fc.integer({ min: 1, max: 20 }),
          fh: fc.integer({ min: 1, max: 4 }),
          fw: fc.integer({ min: 1, max: 4 }),
          sh: fc.integer({ min: 1, max: 2 }),
          sw: fc.integer({ min: 1, max: 2 }),
          pad: pads,
          seed: fc.nat(),
        }),
        async (p) => {
          const c: Case = {
            name: 'random',
            x: [p.b, p.h, p.w, p.ci],
            filter: [p.fh, p.fw, p.ci, p.co],
            strides: [p.sh, p.sw],
            pad: p.pad,
          };
          const run = await runAll(c, p.seed);
          expect(maxAbsDiff(run.ours, run.cpu)).toBeLessThan(tolerance(run.r));
        },
      ),
      { numRuns: 6, seed: 42 },
    );
  });

  it('leaves no tensors or GPU buffers behind, with and without split-K', async () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const convInfo = tf.backend_util.computeConv2DInfo(x.shape, [3, 3, 3, 4], 1, 1, 'same');
    for (const splits of [1, 4]) {
      const tensors = tf.memory().numTensors;
      const ids = backend.numDataIds();
      const info = webgpuConv2DBackpropFilterImpl(backend, x, dy, convInfo, { splits });
      expect(backend.numDataIds()).toBe(ids + 1);
      backend.disposeData(info.dataId);
      expect(backend.numDataIds()).toBe(ids);
      expect(tf.memory().numTensors).toBe(tensors);
    }
    tf.dispose([x, dy]);
  });

  it('returns an exact zero gradient for an empty reduction (batch 0)', async () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    const x = tf.zeros([0, 5, 5, 2]);
    const dy = tf.zeros([0, 5, 5, 3]);
    const convInfo = tf.backend_util.computeConv2DInfo([0, 5, 5, 2], [3, 3, 2, 3], 1, 1, 'same');
    const out = tf
      .engine()
      .makeTensorFromTensorInfo(webgpuConv2DBackpropFilterImpl(backend, x, dy, convInfo));
    expect(out.shape).toEqual([3, 3, 2, 3]);
    expect(Array.from(await out.data()).every((v) => v === 0)).toBe(true);
    tf.dispose([x, dy, out]);
  });

  it('rejects NCHW, dilation and non-float32 inputs with a KernelError', () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    const xi = tf.zeros([1, 4, 4, 2], 'int32');
    const nchw = tf.backend_util.computeConv2DInfo(
      [1, 2, 4, 4],
      [3, 3, 2, 3],
      1,
      1,
      'same',
      undefined,
      false,
      'channelsFirst',
    );
    const dilated = tf.backend_util.computeConv2DInfo([1, 4, 4, 2], [3, 3, 2, 3], 1, 2, 'same');
    const plain = tf.backend_util.computeConv2DInfo([1, 4, 4, 2], [3, 3, 2, 3], 1, 1, 'same');
    expect(() => webgpuConv2DBackpropFilterImpl(backend, x, dy, nchw)).toThrow(KernelError);
    expect(() => webgpuConv2DBackpropFilterImpl(backend, x, dy, dilated)).toThrow(
      /dilations \[1, 1\]/,
    );
    expect(() => webgpuConv2DBackpropFilterImpl(backend, xi, dy, plain)).toThrow(/float32/);
    tf.dispose([x, dy, xi]);
  });

  it('falls back to the stock kernel for NCHW and still matches the cpu backend', async () => {
    const rng = new Rng(11);
    const xShape = [2, 3, 7, 6];
    const dyS = [2, 4, 7, 6];
    const xv = normalArray(rng, tf.util.sizeFromShape(xShape));
    const dyv = normalArray(rng, tf.util.sizeFromShape(dyS));
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
    const cpu = cpuKernel(
      'Conv2DBackpropFilter',
      { x: { shape: xShape, values: xv }, dy: { shape: dyS, values: dyv } },
      attrs,
    );
    const kernel = makeConv2DBackpropFilterKernel(stockKernel());
    const x = tf.tensor(xv, xShape);
    const dy = tf.tensor(dyv, dyS);
    const out = tf.engine().makeTensorFromTensorInfo(
      kernel({
        inputs: { x, dy },
        backend: tf.backend(),
        attrs: attrs as never,
      }) as tf.TensorInfo,
    );
    expect(maxAbsDiff(await out.data(), cpu.values)).toBeLessThan(tolerance(2 * 7 * 6));
    tf.dispose([x, dy, out]);
  });
});

describe('chooseGemmTiling', () => {
  it('property: 256 invocations, ≤ 16 KiB workgroup memory, and partitions that cover the reduction exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 1024 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        (m, n, r, splits) => {
          const t = chooseGemmTiling(m, n, r, splits);
          expect(t.wgX * t.wgY).toBe(256);
          expect(256 % (t.wgY * t.wm)).toBe(0);
          expect([1, 2, 4]).toContain(t.wm);
          expect([1, 2, 4]).toContain(t.wn);
          expect(4 * t.tk * (t.wgY * t.wm + t.wgX * t.wn)).toBeLessThanOrEqual(16_384);
          expect(t.chunk % t.tk).toBe(0);
          expect(t.splits * t.chunk).toBeGreaterThanOrEqual(r);
          expect((t.splits - 1) * t.chunk).toBeLessThan(r);
          if (splits !== undefined) expect(t.splits).toBeLessThanOrEqual(splits);
        },
      ),
      { seed: 3 },
    );
  });

  it('does not split a large output (the paper-sized 4×4×128×128 filter at 64×64 latents)', () => {
    expect(chooseGemmTiling(4 * 4 * 128, 128, 4 * 64 * 64).splits).toBeLessThanOrEqual(8);
    expect(chooseGemmTiling(3 * 3 * 512, 512, 16 * 32 * 32).splits).toBe(1);
  });

  it('sends the CO 70 case above through the vec4 micro-kernel and the small cases through the scalar one', () => {
    expect(isVec4Tiling(chooseGemmTiling(3 * 3 * 32, 70, 2 * 6 * 6))).toBe(true);
    expect(isVec4Tiling(chooseGemmTiling(4 * 4 * 128, 128, 4 * 64 * 64))).toBe(true);
    expect(isVec4Tiling(chooseGemmTiling(3 * 3 * 3, 4, 7 * 5))).toBe(false);
    expect(isVec4Tiling(chooseGemmTiling(4 * 4 * 8, 16, 2 * 8 * 8))).toBe(false);
  });

  it('rejects non-positive sizes with a KernelError naming the argument', () => {
    expect(() => chooseGemmTiling(0, 4, 4)).toThrow(/m must be a positive integer/);
    expect(() => chooseGemmTiling(4, 4, 4, 0)).toThrow(/splits must be a positive integer/);
  });
});
