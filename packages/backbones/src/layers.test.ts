import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { describe, expect, it } from 'vitest';
import {
  applyConv,
  type ConvSpec,
  convOutputSize,
  createConvLayer,
  pytorchFanIn,
  pytorchInitBound,
} from './layers';

/** PyTorch nn.Conv2d on NHWC data with a PyTorch-layout weight [out, in, k, k]. */
function refConv2d(
  x: Float32Array,
  [b, h, w, ci]: [number, number, number, number],
  wt: Float32Array,
  bias: Float32Array,
  s: ConvSpec,
) {
  const { kernel: k, stride: st, padding: p, outChannels: co } = s;
  const oh = Math.floor((h + 2 * p - k) / st) + 1;
  const ow = Math.floor((w + 2 * p - k) / st) + 1;
  const y = new Float64Array(b * oh * ow * co);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) {
          let acc = bias[o]!;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * st - p + ky;
              const ix = ox * st - p + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let i = 0; i < ci; i++)
                acc += x[((n * h + iy) * w + ix) * ci + i]! * wt[((o * ci + i) * k + ky) * k + kx]!;
            }
          y[((n * oh + oy) * ow + ox) * co + o] = acc;
        }
  return { y, shape: [b, oh, ow, co] };
}

/** PyTorch nn.ConvTranspose2d on NHWC data with a PyTorch-layout weight [in, out, k, k]: scatter form. */
function refConvTranspose(
  x: Float32Array,
  [b, h, w, ci]: [number, number, number, number],
  wt: Float32Array,
  bias: Float32Array,
  s: ConvSpec,
) {
  const { kernel: k, stride: st, padding: p, outChannels: co } = s;
  const oh = (h - 1) * st - 2 * p + k;
  const ow = (w - 1) * st - 2 * p + k;
  const y = new Float64Array(b * oh * ow * co);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) y[((n * oh + oy) * ow + ox) * co + o] = bias[o]!;
  for (let n = 0; n < b; n++)
    for (let iy = 0; iy < h; iy++)
      for (let ix = 0; ix < w; ix++)
        for (let i = 0; i < ci; i++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const oy = iy * st - p + ky;
              const ox = ix * st - p + kx;
              if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
              for (let o = 0; o < co; o++) {
                y[((n * oh + oy) * ow + ox) * co + o]! +=
                  x[((n * h + iy) * w + ix) * ci + i]! * wt[((i * co + o) * k + ky) * k + kx]!;
              }
            }
  return { y, shape: [b, oh, ow, co] };
}

const spec = (
  kind: ConvSpec['kind'],
  kernel: number,
  stride: number,
  padding: number,
  inC: number,
  outC: number,
): ConvSpec => ({
  name: 't',
  kind,
  kernel,
  stride,
  padding,
  inChannels: inC,
  outChannels: outC,
});

/** Loads PyTorch-layout weights into a layer (perm [2,3,1,0] for both conv kinds), runs it, compares with the reference. */
function checkAgainstReference(
  s: ConvSpec,
  inShape: [number, number, number, number],
  seed: number,
) {
  const rng = new Rng(seed);
  const layer = createConvLayer(s, rng);
  const k = s.kernel;
  const ptShape =
    s.kind === 'conv' ? [s.outChannels, s.inChannels, k, k] : [s.inChannels, s.outChannels, k, k];
  const wPt = rng.fillUniform(new Float32Array(ptShape.reduce((a, b) => a * b)), -1, 1);
  const bias = rng.fillUniform(new Float32Array(s.outChannels), -1, 1);
  const x = rng.fillUniform(new Float32Array(inShape.reduce((a, b) => a * b)), -1, 1);
  tf.tidy(() => {
    layer.weight.assign(
      tf.transpose(tf.tensor4d(wPt, ptShape as [number, number, number, number]), [2, 3, 1, 0]),
    );
    layer.bias.assign(tf.tensor1d(bias));
  });
  const ref = (s.kind === 'conv' ? refConv2d : refConvTranspose)(x, inShape, wPt, bias, s);
  const out = tf.tidy(() => applyConv(tf.tensor4d(x, inShape), layer));
  expect(out.shape).toEqual(ref.shape);
  expect([convOutputSize(s, inShape[1]!), convOutputSize(s, inShape[2]!)]).toEqual(
    ref.shape.slice(1, 3),
  );
  const got = out.dataSync();
  let maxErr = 0;
  for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - ref.y[i]!));
  expect(maxErr).toBeLessThan(1e-4);
  tf.dispose([out, layer.weight, layer.bias]);
}

describe('applyConv matches PyTorch arithmetic', () => {
  it('Conv4×4 s2 p1 halves even sizes (non-square, batch 2)', () => {
    checkAgainstReference(spec('conv', 4, 2, 1, 3, 5), [2, 6, 8, 3], 1);
  });
  it('Conv3×3 p1 keeps the size', () => {
    checkAgainstReference(spec('conv', 3, 1, 1, 4, 3), [1, 5, 7, 4], 2);
  });
  it('Conv1×1 p0', () => {
    checkAgainstReference(spec('conv', 1, 1, 0, 6, 2), [2, 3, 4, 6], 3);
  });
  it('ConvT4×4 s2 p1 doubles the size (same padding == PyTorch padding 1)', () => {
    checkAgainstReference(spec('convTranspose', 4, 2, 1, 3, 5), [2, 3, 5, 3], 4);
  });
  it('ConvT4×4 s2 p1 with 1×1 input', () => {
    checkAgainstReference(spec('convTranspose', 4, 2, 1, 2, 3), [1, 1, 1, 2], 5);
  });
});

describe('PyTorch default init', () => {
  function stats(v: tf.Tensor) {
    const d = v.dataSync();
    let sum = 0;
    let sq = 0;
    let max = 0;
    for (const a of d) {
      sum += a;
      sq += a * a;
      max = Math.max(max, Math.abs(a));
    }
    const mean = sum / d.length;
    return { mean, variance: sq / d.length - mean * mean, max, n: d.length };
  }

  it('Conv2d: weight and bias uniform on ±1/√(in·k·k)', () => {
    const s = spec('conv', 3, 1, 1, 4, 64);
    expect(pytorchFanIn(s)).toBe(36);
    const bound = pytorchInitBound(s);
    expect(bound).toBeCloseTo(1 / 6, 12);
    const layer = createConvLayer(s, new Rng(7));
    const w = stats(layer.weight);
    expect(w.n).toBe(3 * 3 * 4 * 64);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.max).toBeGreaterThan(0.98 * bound);
    expect(Math.abs(w.mean)).toBeLessThan((4 * bound) / Math.sqrt(3 * w.n));
    expect(w.variance / ((bound * bound) / 3)).toBeGreaterThan(0.9);
    expect(w.variance / ((bound * bound) / 3)).toBeLessThan(1.1);
    const b = stats(layer.bias);
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.max).toBeGreaterThan(0.5 * bound);
    tf.dispose([layer.weight, layer.bias]);
  });

  it('ConvTranspose2d: fan_in is out·k·k (PyTorch weight.size(1)), not in·k·k', () => {
    const s = spec('convTranspose', 4, 2, 1, 64, 16);
    expect(pytorchFanIn(s)).toBe(16 * 16);
    const bound = pytorchInitBound(s);
    expect(bound).toBeCloseTo(1 / 16, 12);
    const layer = createConvLayer(s, new Rng(8));
    const w = stats(layer.weight);
    expect(w.max).toBeLessThanOrEqual(bound);
    // 1/√(in·k·k) would be 1/32: the draws must reach well beyond it.
    expect(w.max).toBeGreaterThan(0.98 * bound);
    expect(w.variance / ((bound * bound) / 3)).toBeGreaterThan(0.9);
    expect(w.variance / ((bound * bound) / 3)).toBeLessThan(1.1);
    const b = stats(layer.bias);
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.max).toBeGreaterThan(1 / 32);
    tf.dispose([layer.weight, layer.bias]);
  });
});
