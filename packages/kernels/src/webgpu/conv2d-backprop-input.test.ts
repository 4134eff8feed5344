import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  backpropInputPhases,
  makeConv2DBackpropInputKernel,
  planPhaseGemm,
  prefersPhaseGemm,
  webgpuConv2DBackpropInputImpl,
} from './conv2d-backprop-input';
import { KernelError } from './errors';
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

function convInfoOf(c: Case): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
}

/** Rounding tolerance for reductions of length ≤ r over N(0, 1) products. */
function tolerance(r: number): number {
  return 2e-6 * r + 1e-4;
}

let stock: tf.KernelFunc | undefined;
/** tfjs-backend-webgpu's own Conv2DBackpropInput kernel function. */
function stockKernel(): tf.KernelFunc {
  stock ??= tf.getKernel('Conv2DBackpropInput', 'webgpu').kernelFunc;
  return stock;
}

/** The same Conv2DBackpropInput on the cpu backend, the stock webgpu kernel and ours. */
async function runAll(c: Case, seed: number) {
  const rng = new Rng(seed);
  const info = convInfoOf(c);
  const dyS = [c.x[0], info.outHeight, info.outWidth, c.filter[3]];
  const dyv = normalArray(rng, tf.util.sizeFromShape(dyS));
  const wv = normalArray(rng, tf.util.sizeFromShape(c.filter));
  const attrs = { inputShape: c.x, strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
  const cpu = cpuKernel(
    'Conv2DBackpropInput',
    { dy: { shape: dyS, values: dyv }, filter: { shape: c.filter, values: wv } },
    attrs,
  );
  const dy = tf.tensor(dyv, dyS);
  const filter = tf.tensor(wv, c.filter);
  const backend = tf.backend() as unknown as WebGPUBackend;
  const stockOut = tf
    .engine()
    .makeTensorFromTensorInfo(
      stockKernel()({ inputs: { dy, filter }, backend, attrs: attrs as never }) as tf.TensorInfo,
    );
  const ours = tf
    .engine()
    .makeTensorFromTensorInfo(webgpuConv2DBackpropInputImpl(backend, dy, filter, info));
  expect(ours.shape).toEqual(c.x);
  const result = {
    cpu: cpu.values,
    stock: (await stockOut.data()) as Float32Array,
    ours: (await ours.data()) as Float32Array,
    r: c.filter[0] * c.filter[1] * c.filter[3],
  };
  tf.dispose([dy, filter, stockOut, ours]);
  return result;
}

const explicit = (t: number, b: number, l: number, r: number): Pad => [
  [0, 0],
  [t, b],
  [l, r],
  [0, 0],
];

const CASES: Case[] = [
  {
    name: '3×3 stride 1 SAME, batch 1, odd non-square 7×5',
    x: [1, 7, 5, 3],
    filter: [3, 3, 3, 4],
    strides: [1, 1],
    pad: 'same',
  },
  {
    name: '4×4 stride 2 SAME, odd 9×7 (4 phases, 2×2 taps)',
    x: [2, 9, 7, 5],
    filter: [4, 4, 5, 6],
    strides: [2, 2],
    pad: 'same',
  },
  {
    name: '3×3 stride 2 SAME (phases with 2 and 1 taps)',
    x: [2, 8, 8, 4],
    filter: [3, 3, 4, 6],
    strides: [2, 2],
    pad: 'same',
  },
  {
    name: '1×1 stride 2 VALID (phases without taps give zeros)',
    x: [3, 8, 7, 4],
    filter: [1, 1, 4, 8],
    strides: [2, 2],
    pad: 'valid',
  },
  {
    name: '1×1 stride 1, CI = 1',
    x: [2, 5, 6, 1],
    filter: [1, 1, 1, 7],
    strides: [1, 1],
    pad: 'valid',
  },
  {
    name: '3×2 filter, strides [2, 1], explicit pads',
    x: [1, 11, 6, 2],
    filter: [3, 2, 2, 3],
    strides: [2, 1],
    pad: explicit(1, 2, 0, 1),
  },
  {
    name: '4×4 stride 2 explicit 1 (VQ-VAE up/down-sampling)',
    x: [2, 16, 16, 8],
    filter: [4, 4, 8, 16],
    strides: [2, 2],
    pad: explicit(1, 1, 1, 1),
  },
  {
    name: '3×3 numeric pad 1, several M and N tiles (CI 70)',
    x: [2, 6, 6, 70],
    filter: [3, 3, 70, 32],
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

describe.skipIf(!ctx)('Conv2DBackpropInput (vqkit webgpu): stride-phase implicit GEMM', () => {
  for (const [i, c] of CASES.entries()) {
    it(`equals the cpu backend and the stock webgpu kernel: ${c.name}`, async () => {
      const run = await runAll(c, 200 + i);
      const tol = tolerance(run.r);
      expect(maxAbsDiff(run.ours, run.cpu)).toBeLessThan(tol);
      expect(maxAbsDiff(run.ours, run.stock)).toBeLessThan(tol);
      expect(maxAbsDiff(run.stock, run.cpu)).toBeLessThan(tol);
    });
  }

  it('property: random shapes, strides and paddings equal the cpu backend', async () => {
    const pads = fc.oneof(
      fc.constant<Pad>('same'),
      fc.constant<Pad>('valid'),
      fc.integer({ min: 0, max: 2 }),
      fc
        .tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2))
        .map(([t, b, l, r]) => explicit(t, b, l, r)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          b: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 4, max: 12 }),
          w: fc.integer({ min: 4, max: 12 }),
          ci: fc.integer({ min: 1, max: 20 }),
          co: fc.integer({ min: 1, max: 9 }),
          fh: fc.integer({ min: 1, max: 4 }),
          fw: fc.integer({ min: 1, max: 4 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
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
      { numRuns: 6, seed: 43 },
    );
  });

  it('falls back to the stock kernel for NCHW and still matches the cpu backend', async () => {
    const rng = new Rng(13);
    const dyS = [2, 4, 7, 6];
    const wS = [3, 3, 3, 4];
    const dyv = normalArray(rng, tf.util.sizeFromShape(dyS));
    const wv = normalArray(rng, tf.util.sizeFromShape(wS));
    const attrs = { inputShape: [2, 3, 7, 6], strides: [1, 1], pad: 'same', dataFormat: 'NCHW' };
    const cpu = cpuKernel(
      'Conv2DBackpropInput',
      { dy: { shape: dyS, values: dyv }, filter: { shape: wS, values: wv } },
      attrs,
    );
    const dy = tf.tensor(dyv, dyS);
    const filter = tf.tensor(wv, wS);
    const out = tf.engine().makeTensorFromTensorInfo(
      makeConv2DBackpropInputKernel(stockKernel())({
        inputs: { dy, filter },
        backend: tf.backend(),
        attrs: attrs as never,
      }) as tf.TensorInfo,
    );
    expect(maxAbsDiff(await out.data(), cpu.values)).toBeLessThan(tolerance(36));
    tf.dispose([dy, filter, out]);
  });

  it('routes strided convolutions with ≥ 8 input channels to the phase GEMM and the rest to the stock kernel', async () => {
    const cases: Array<[Case, boolean]> = [
      [{ name: '', x: [2, 8, 8, 16], filter: [4, 4, 16, 8], strides: [2, 2], pad: 'same' }, true],
      [{ name: '', x: [2, 8, 8, 16], filter: [3, 3, 16, 8], strides: [1, 2], pad: 'same' }, true],
      [{ name: '', x: [2, 8, 8, 16], filter: [3, 3, 16, 8], strides: [1, 1], pad: 'same' }, false],
      [{ name: '', x: [2, 8, 8, 3], filter: [4, 4, 3, 8], strides: [2, 2], pad: 'same' }, false],
    ];
    for (const [c, phase] of cases) {
      const info = convInfoOf(c);
      expect(prefersPhaseGemm(info)).toBe(phase);
      const fallback = vi.fn(stockKernel());
      const dy = tf.randomNormal([c.x[0], info.outHeight, info.outWidth, c.filter[3]]);
      const filter = tf.randomNormal(c.filter);
      const attrs = { inputShape: c.x, strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
      const out = makeConv2DBackpropInputKernel(fallback)({
        inputs: { dy, filter },
        backend: tf.backend(),
        attrs: attrs as never,
      }) as tf.TensorInfo;
      expect(fallback).toHaveBeenCalledTimes(phase ? 0 : 1);
      expect(out.shape).toEqual(c.x);
      tf.dispose([dy, filter, tf.engine().makeTensorFromTensorInfo(out)]);
    }
  });

  it('refuses (and the kernel routes to stock) a phase too large for one dispatch, before allocating', () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    const c: Case = {
      name: '',
      x: [256, 512, 512, 8],
      filter: [4, 4, 8, 8],
      strides: [2, 2],
      pad: 'same',
    };
    const info = convInfoOf(c);
    expect(prefersPhaseGemm(info)).toBe(true);
    expect(planPhaseGemm(info).rowGroups).toBeGreaterThan(
      backend.device.limits.maxComputeWorkgroupsPerDimension,
    );
    // Shapes only: neither implementation may touch these (nothing this large is allocated).
    const dy = { dataId: {}, shape: [256, 256, 256, 8], dtype: 'float32' } as tf.TensorInfo;
    const filter = { dataId: {}, shape: c.filter, dtype: 'float32' } as tf.TensorInfo;
    const ids = backend.numDataIds();
    expect(() => webgpuConv2DBackpropInputImpl(backend, dy, filter, info)).toThrow(
      /workgroups of pixels per stride phase/,
    );
    expect(backend.numDataIds()).toBe(ids);
    const fallback = vi.fn((): tf.TensorInfo => dy);
    const attrs = { inputShape: c.x, strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
    makeConv2DBackpropInputKernel(fallback)({
      inputs: { dy, filter },
      backend,
      attrs: attrs as never,
    });
    expect(fallback).toHaveBeenCalledTimes(1);
  });

  it('leaves no tensors or GPU buffers behind besides its output', () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    const dy = tf.randomNormal([2, 4, 4, 5]);
    const filter = tf.randomNormal([4, 4, 3, 5]);
    const info = convInfoOf({
      name: '',
      x: [2, 8, 8, 3],
      filter: [4, 4, 3, 5],
      strides: [2, 2],
      pad: 'same',
    });
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    const out = webgpuConv2DBackpropInputImpl(backend, dy, filter, info);
    expect(backend.numDataIds()).toBe(ids + 1);
    backend.disposeData(out.dataId);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([dy, filter]);
  });

  it('rejects NCHW, dilation and non-float32 inputs with a KernelError', () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    const dy = tf.zeros([1, 4, 4, 3]);
    const w = tf.zeros([3, 3, 2, 3]);
    const wi = tf.zeros([3, 3, 2, 3], 'int32');
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
    expect(() => webgpuConv2DBackpropInputImpl(backend, dy, w, nchw)).toThrow(KernelError);
    expect(() => webgpuConv2DBackpropInputImpl(backend, dy, w, dilated)).toThrow(
      /dilations \[1, 1\]/,
    );
    expect(() => webgpuConv2DBackpropInputImpl(backend, dy, wi, plain)).toThrow(/float32/);
    tf.dispose([dy, w, wi]);
  });
});

describe('backpropInputPhases', () => {
  it('property: phases partition the input pixels and each pixel gets exactly its contributing taps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(3),
        fc.nat(3),
        (size, f, s, padBefore, padAfter) => {
          const info = tf.backend_util.computeConv2DInfo(
            [1, size, 1, 1],
            [f, 1, 1, 1],
            [s, 1],
            1,
            explicit(padBefore, padAfter, 0, 0),
          );
          if (info.outHeight <= 0) return;
          const phases = backpropInputPhases(info);
          const seen = new Set<number>();
          for (const p of phases) {
            for (let jh = 0; jh < p.rowsH; jh++) {
              const ih = p.rh + jh * s;
              expect(ih).toBeLessThan(size);
              expect(seen.has(ih)).toBe(false);
              seen.add(ih);
              // Taps by brute force: fh with (ih + pad − fh) divisible by s and the quotient in range.
              const want: Array<[number, number]> = [];
              for (let fh = 0; fh < f; fh++) {
                const num = ih + padBefore - fh;
                if (num % s === 0 && num / s >= 0 && num / s < info.outHeight)
                  want.push([fh, num / s]);
              }
              const got: Array<[number, number]> = [];
              for (let t = 0; t < p.tapsH; t++) {
                const oh = jh - t + p.ohBase;
                if (oh >= 0 && oh < info.outHeight) got.push([p.fh0 + t * s, oh]);
              }
              expect(got.sort((a, b) => a[0] - b[0])).toEqual(want);
            }
          }
          expect(seen.size).toBe(size);
        },
      ),
      { seed: 5 },
    );
  });
});
