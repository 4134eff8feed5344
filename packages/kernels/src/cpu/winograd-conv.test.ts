import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConvGeometry } from './conv-geometry';
import { geometry, operands, reference, relErr } from './conv-test-util';
import { directKinds } from './direct-conv-layout';
import { type CpuExecutor, createCallingThreadExecutor } from './executor';
import { enableRelaxedSimd } from './relaxed-simd-flag';
import { transposedGeometry } from './winograd-conv';
import { winogradFilterPlan } from './winograd-filter';
import {
  WINOGRAD_FILTER_MIN_CHANNELS,
  WINOGRAD_MIN_CHANNELS,
  winogradGeometry,
} from './winograd-setup';
import { createWorkerPoolExecutor, type WorkerPoolExecutor } from './worker-pool';

// Relaxed SIMD: on from Node 22; Node 20 has it behind a V8 flag (set before any module using it compiles).
enableRelaxedSimd();

const D = directKinds();

/** A 3×3 convolution with explicit padding (top/left, bottom/right). */
function conv3(
  batch: number,
  inH: number,
  inW: number,
  inC: number,
  outC: number,
  pad: [number, number, number, number] = [1, 1, 1, 1],
): ConvGeometry {
  const [padTop, padLeft, padBottom, padRight] = pad;
  const common = { batch, inH, inW, inC, outC, fh: 3, fw: 3, sh: 1, sw: 1 };
  return geometry({ ...common, padTop, padLeft, padBottom, padRight });
}

describe('Winograd F(2×2, 3×3): which convolutions take it', () => {
  it('the paper’s 3×3 stride-1 layers: forward convolution and input gradient; the filter gradient from 32 input channels', () => {
    for (const [inC, outC] of [
      [160, 80],
      [128, 128],
      [64, 128],
      [16, 128],
    ] as const) {
      const g = conv3(4, 64, 64, inC, outC);
      expect(winogradGeometry(D.forward, g)).toEqual(g);
      expect(winogradGeometry(D.input, g)).toEqual(transposedGeometry(g));
      expect(winogradGeometry(D.filter, g)).toEqual(inC >= WINOGRAD_FILTER_MIN_CHANNELS ? g : null);
    }
  });

  it('not for other filters or strides, fewer than 16 channels on either side, rows under 4 pixels, or a padding the flipped filter cannot undo', () => {
    const g = conv3(2, 16, 16, 32, 32);
    expect(winogradGeometry(D.forward, { ...g, sh: 2, outH: 8 })).toBeNull();
    expect(winogradGeometry(D.forward, { ...g, fh: 4, fw: 4, outH: 15, outW: 15 })).toBeNull();
    expect(winogradGeometry(D.forward, { ...g, fh: 1, fw: 1, padTop: 0, padLeft: 0 })).toBeNull();
    expect(winogradGeometry(D.forward, { ...g, inC: WINOGRAD_MIN_CHANNELS - 1 })).toBeNull();
    expect(winogradGeometry(D.forward, { ...g, outC: WINOGRAD_MIN_CHANNELS - 1 })).toBeNull();
    // The input gradient of 8 → 160 channels has 8 output channels.
    expect(winogradGeometry(D.forward, conv3(4, 64, 64, 8, 160))).toBeNull();
    expect(winogradGeometry(D.input, conv3(4, 64, 64, 8, 160))).toBeNull();
    expect(winogradGeometry(D.filter, conv3(4, 64, 64, 8, 160))).toBeNull();
    expect(winogradGeometry(D.forward, conv3(1, 8, 3, 32, 32))).toBeNull();
    expect(winogradGeometry(D.forward, conv3(1, 8, 4, 32, 32))).not.toBeNull();
    const padded = conv3(1, 8, 8, 32, 32, [3, 1, 0, 1]);
    expect(winogradGeometry(D.forward, padded)).not.toBeNull();
    expect(winogradGeometry(D.input, padded)).toBeNull();
    expect(winogradGeometry(D.forward, g, 1000)).toBeNull();
  });
});

/**
 * Geometries where the forward convolution and the input gradient take the Winograd path, each
 * aimed at an edge: odd output sizes (a partial last tile row and column), channel counts that are
 * not multiples of 4 or 8, padding 0, 1, 2 and asymmetric (its input gradient pads 2, 1, 0), batch
 * 1, and a filter gradient reduced in several blocks (one per tile row of a 512-wide image).
 */
const EDGES: ConvGeometry[] = [
  conv3(1, 7, 9, 33, 19),
  conv3(2, 8, 10, 32, 24, [0, 0, 0, 0]),
  conv3(1, 6, 7, 36, 16, [2, 0, 0, 2]),
  conv3(3, 4, 4, 37, 18),
  conv3(1, 16, 16, 64, 40),
  conv3(2, 3, 512, 32, 17),
];

describe('Winograd convolutions equal a float64 reference, bit-identical for 1, 2 and 3 threads', () => {
  const pools: WorkerPoolExecutor[] = [];
  let executors: Array<[string, CpuExecutor]> = [];
  beforeAll(() => {
    const pool = (threads: number, simd: 'plain' | 'relaxed') => {
      const p = createWorkerPoolExecutor({ threads, simd, minParallelFlops: 0 });
      pools.push(p);
      return p;
    };
    executors = [
      ['calling thread, plain SIMD', createCallingThreadExecutor('plain')],
      ['calling thread, relaxed SIMD', createCallingThreadExecutor('relaxed')],
      ['2 threads, plain SIMD', pool(2, 'plain')],
      ['3 threads, relaxed SIMD', pool(3, 'relaxed')],
    ];
  });
  afterAll(() => {
    for (const p of pools) p.release();
  });

  it('the edge geometries take the Winograd path for all three convolutions', () => {
    for (const g of EDGES) {
      for (const kind of [D.forward, D.input, D.filter]) {
        expect(winogradGeometry(kind, g)).not.toBeNull();
      }
    }
    expect(winogradFilterPlan(EDGES[0]!).blocks).toBe(1);
    expect(winogradFilterPlan(EDGES[5]!).blocks).toBe(2);
  });

  for (const [i, g] of EDGES.entries()) {
    const pads = `${g.padTop}/${g.padLeft}`;
    it(`geometry ${i}: ${g.batch}×${g.inH}×${g.inW}×${g.inC} → ${g.outC}, padding ${pads}`, () => {
      const [x, w, dy] = operands(g, 100 * i + 7);
      const want = reference(g, x, w, dy);
      const got = new Map<string, Float32Array[]>();
      for (const [name, e] of executors) {
        const out = [e.convForward(x, w, g), e.convInput(dy, w, g), e.convFilter(x, dy, g)];
        expect(relErr(out[0]!, want.y), `${name}: forward`).toBeLessThan(1e-5);
        expect(relErr(out[1]!, want.dx), `${name}: input`).toBeLessThan(1e-5);
        expect(relErr(out[2]!, want.dw), `${name}: filter`).toBeLessThan(1e-5);
        got.set(name, out);
      }
      expect(got.get('2 threads, plain SIMD')).toEqual(got.get('calling thread, plain SIMD'));
      expect(got.get('3 threads, relaxed SIMD')).toEqual(got.get('calling thread, relaxed SIMD'));
    });
  }

  it('the direct path (Winograd not allowed) gives the same results within rounding', () => {
    const g = EDGES[4]!;
    const [x, w, dy] = operands(g, 5);
    const winograd = createCallingThreadExecutor('plain');
    const direct = createCallingThreadExecutor('plain', { convPaths: ['direct', 'gemm'] });
    expect(relErr(winograd.convForward(x, w, g), direct.convForward(x, w, g))).toBeLessThan(1e-5);
    expect(relErr(winograd.convInput(dy, w, g), direct.convInput(dy, w, g))).toBeLessThan(1e-5);
    expect(relErr(winograd.convFilter(x, dy, g), direct.convFilter(x, dy, g))).toBeLessThan(1e-5);
  });
});
