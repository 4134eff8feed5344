import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEAREST_CODE_KERNEL } from '../kernel-names';
import { configureCpuExecutor } from './active-executor';
import { CPU_KERNELS, registerCpuKernels, stockCpuKernel, unregisterCpuKernels } from './register';
import { enableRelaxedSimd } from './relaxed-simd-flag';

// Relaxed SIMD: on from Node 22; Node 20 has it behind a V8 flag (set before any module using it compiles).
enableRelaxedSimd();

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  fh: number;
  fw: number;
  stride: [number, number];
  pad: Pad;
}

/** Max-norm relative error ‖a − b‖∞ / max(‖b‖∞, 1e-30). */
function relErr(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const av = a.dataSync();
  const bv = b.dataSync();
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < av.length; i++) {
    num = Math.max(num, Math.abs(av[i]! - bv[i]!));
    den = Math.max(den, Math.abs(bv[i]!));
  }
  return num / den;
}

function runStock(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor {
  const info = stockCpuKernel(name)({ inputs, backend: tf.backend(), attrs }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

function runVqkit(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
}

let seed = 1;
function rand(shape: number[]): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed++);
}

/** Compares all three kernels, vqkit vs stock, for one convolution geometry. */
function compareAll(c: Case): void {
  tf.tidy(() => {
    const x = rand([c.batch, c.inH, c.inW, c.inC]);
    const w = rand([c.fh, c.fw, c.inC, c.outC]);
    const common = {
      strides: c.stride,
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    };
    const fwdAttrs = { ...common, dilations: [1, 1] } as unknown as tf.NamedAttrMap;
    const yStock = runStock(tf.Conv2D, { x, filter: w }, fwdAttrs);
    const y = runVqkit(tf.Conv2D, { x, filter: w }, fwdAttrs);
    expect(relErr(y, yStock), `Conv2D ${JSON.stringify(c)}`).toBeLessThan(1e-5);

    const dy = rand(yStock.shape);
    const bfAttrs = { ...common, filterShape: w.shape } as unknown as tf.NamedAttrMap;
    const dwStock = runStock(tf.Conv2DBackpropFilter, { x, dy }, bfAttrs);
    const dw = runVqkit(tf.Conv2DBackpropFilter, { x, dy }, bfAttrs);
    expect(relErr(dw, dwStock), `Conv2DBackpropFilter ${JSON.stringify(c)}`).toBeLessThan(1e-5);

    const biAttrs = { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap;
    const dxStock = runStock(tf.Conv2DBackpropInput, { dy, filter: w }, biAttrs);
    const dx = runVqkit(tf.Conv2DBackpropInput, { dy, filter: w }, biAttrs);
    expect(relErr(dx, dxStock), `Conv2DBackpropInput ${JSON.stringify(c)}`).toBeLessThan(1e-5);
  });
}

beforeAll(() => {
  registerCpuKernels();
});
afterAll(() => {
  unregisterCpuKernels();
});

/** The executors compared against stock: the calling thread with plain SIMD; 3 threads with relaxed-SIMD FMA. */
const CONFIGS = [
  { threads: 1, relaxedSimd: false },
  { threads: 3, relaxedSimd: true },
];

describe.each(CONFIGS)(
  'vqkit cpu conv kernels (threads $threads, relaxedSimd $relaxedSimd) match the stock tfjs-backend-cpu kernels',
  (config) => {
    beforeAll(() => {
      expect(configureCpuExecutor({ ...config, minParallelFlops: 0 }).simd).toBe(
        config.relaxedSimd ? 'relaxed' : 'plain',
      );
    });

    const fixed: Case[] = [
      // VQ-VAE shapes: 4×4 stride-2 downsampling, 3×3 same, 1×1 projections.
      { batch: 2, inH: 16, inW: 16, inC: 3, outC: 8, fh: 4, fw: 4, stride: [2, 2], pad: 'same' },
      { batch: 1, inH: 9, inW: 9, inC: 5, outC: 7, fh: 3, fw: 3, stride: [1, 1], pad: 'same' },
      { batch: 3, inH: 5, inW: 7, inC: 6, outC: 9, fh: 1, fw: 1, stride: [1, 1], pad: 'valid' },
      { batch: 1, inH: 11, inW: 6, inC: 4, outC: 5, fh: 3, fw: 3, stride: [2, 2], pad: 'valid' },
      { batch: 2, inH: 7, inW: 10, inC: 3, outC: 6, fh: 4, fw: 4, stride: [2, 1], pad: 'same' },
      // Explicit, asymmetric padding (what conv2dTranspose's gradient produces).
      {
        batch: 2,
        inH: 8,
        inW: 9,
        inC: 5,
        outC: 4,
        fh: 4,
        fw: 4,
        stride: [2, 2],
        pad: [
          [0, 0],
          [1, 2],
          [2, 1],
          [0, 0],
        ],
      },
      // Filter larger than the remaining input on a side; 1-pixel output.
      { batch: 1, inH: 4, inW: 4, inC: 2, outC: 3, fh: 4, fw: 4, stride: [2, 2], pad: 'valid' },
      // Numeric padding (the same on every side).
      { batch: 2, inH: 7, inW: 6, inC: 3, outC: 5, fh: 3, fw: 3, stride: [2, 2], pad: 1 },
      // Channel counts above one GEMM block (KC = 256) and not multiples of 4.
      { batch: 1, inH: 6, inW: 5, inC: 33, outC: 17, fh: 3, fw: 3, stride: [1, 1], pad: 'same' },
    ];
    for (const c of fixed) {
      it(`fixed ${c.fh}×${c.fw} s${c.stride.join('x')} ${JSON.stringify(c.pad)} [${c.batch},${c.inH},${c.inW},${c.inC}]→${c.outC}`, () => {
        compareAll(c);
      });
    }

    it('random geometries (fast-check, seeded)', () => {
      const padArb: fc.Arbitrary<Pad> = fc.oneof(
        fc.constant<Pad>('same'),
        fc.constant<Pad>('valid'),
        fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)).map(
          ([t, b, l, r]) =>
            [
              [0, 0],
              [t, b],
              [l, r],
              [0, 0],
            ] as Pad,
        ),
      );
      const caseArb = fc
        .record({
          batch: fc.integer({ min: 1, max: 3 }),
          inH: fc.integer({ min: 1, max: 9 }),
          inW: fc.integer({ min: 1, max: 9 }),
          inC: fc.integer({ min: 1, max: 7 }),
          outC: fc.integer({ min: 1, max: 9 }),
          f: fc.constantFrom(1, 2, 3, 4),
          fw: fc.constantFrom(1, 3, 4),
          stride: fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2)),
          pad: padArb,
        })
        .map(({ f, ...r }) => ({ ...r, fh: f }) as Case)
        // Keep geometries with a non-empty output (tfjs rejects the others in the op layer).
        .filter((c) => {
          const padH = Array.isArray(c.pad) ? c.pad[1][0] + c.pad[1][1] : 0;
          const padW = Array.isArray(c.pad) ? c.pad[2][0] + c.pad[2][1] : 0;
          if (c.pad === 'same') return true;
          return c.inH + padH >= c.fh && c.inW + padW >= c.fw;
        });
      fc.assert(
        fc.property(caseArb, (c) => {
          compareAll(c);
        }),
        { seed: 7, numRuns: 60 },
      );
    });

    it('the gradient of a conv2d / conv2dTranspose chain equals the stock one', () => {
      const f = (x: tf.Tensor4D, w1: tf.Tensor4D, w2: tf.Tensor4D) =>
        tf.sum(
          tf.square(
            tf.conv2dTranspose(
              tf.relu(tf.conv2d(x, w1, 2, 'same')),
              w2,
              [x.shape[0], x.shape[1], x.shape[2], 3],
              2,
              'same',
            ),
          ),
        );
      const x = rand([2, 8, 8, 3]) as tf.Tensor4D;
      const w1 = rand([4, 4, 3, 6]) as tf.Tensor4D;
      const w2 = rand([4, 4, 3, 6]) as tf.Tensor4D;
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        f(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D),
      );
      const fast = g([x, w1, w2]);
      unregisterCpuKernels();
      const stock = g([x, w1, w2]);
      registerCpuKernels(config);
      configureCpuExecutor({ ...config, minParallelFlops: 0 });
      for (const [i, f] of fast.entries()) expect(relErr(f, stock[i]!)).toBeLessThan(1e-5);
      tf.dispose([x, w1, w2, ...fast, ...stock]);
    });

    it('register / unregister swap the kernel function and restore the stock one', () => {
      const before = tf.getKernel(tf.Conv2D, 'cpu').kernelFunc;
      unregisterCpuKernels();
      const stock = tf.getKernel(tf.Conv2D, 'cpu').kernelFunc;
      expect(stock).not.toBe(before);
      expect(stockCpuKernel(tf.Conv2D)).toBe(stock);
      expect(registerCpuKernels(config).kernels).toEqual([
        tf.Conv2D,
        tf.Conv2DBackpropFilter,
        tf.Conv2DBackpropInput,
        tf.Sum,
        tf.Mean,
        tf.SplitV,
        tf.GatherV2,
        tf.Add,
        tf.Sub,
        tf.Multiply,
        tf.RealDiv,
        tf.Relu,
        tf.Step,
        tf.SquaredDifference,
        tf.Square,
        tf.Sqrt,
        tf.Tile,
        NEAREST_CODE_KERNEL,
      ]);
      expect(CPU_KERNELS).toEqual(registerCpuKernels(config).kernels);
      configureCpuExecutor({ ...config, minParallelFlops: 0 });
      expect(tf.getKernel(tf.Conv2D, 'cpu').kernelFunc).not.toBe(stock);
      expect(stockCpuKernel(tf.Conv2D)).toBe(stock);
    });

    it('falls back to the stock kernel for dilations > 1 and NCHW', () => {
      tf.tidy(() => {
        const x = rand([1, 9, 9, 2]);
        const w = rand([3, 3, 2, 3]);
        const attrs = {
          strides: [1, 1],
          pad: 'same',
          dataFormat: 'NHWC',
          dilations: [2, 2],
        } as unknown as tf.NamedAttrMap;
        const a = runVqkit(tf.Conv2D, { x, filter: w }, attrs);
        const b = runStock(tf.Conv2D, { x, filter: w }, attrs);
        expect(relErr(a, b)).toBe(0);
      });
    });
  },
);
