import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConvGeometry } from './conv-geometry';
import { geometry, operands, reference, relErr } from './conv-test-util';
import { axisPhases, directChunkRows, directKinds } from './direct-conv-layout';
import { DIRECT_MAX_FLOATS, usesDirectConv } from './direct-conv-setup';
import { type CpuExecutor, createCallingThreadExecutor } from './executor';
import { enableRelaxedSimd } from './relaxed-simd-flag';
import { createWorkerPoolExecutor, type WorkerPoolExecutor } from './worker-pool';

// Relaxed SIMD: on from Node 22; Node 20 has it behind a V8 flag (set before any module using it compiles).
enableRelaxedSimd();

const D = directKinds();

/** The paper's layers at batch 4 (hierarchical, C 128): every one takes the direct path. */
const PAPER: ConvGeometry[] = [
  geometry({
    batch: 4,
    inH: 256,
    inW: 256,
    inC: 3,
    outC: 64,
    fh: 4,
    fw: 4,
    sh: 2,
    sw: 2,
    padTop: 1,
    padLeft: 1,
  }),
  geometry({
    batch: 4,
    inH: 128,
    inW: 128,
    inC: 64,
    outC: 128,
    fh: 4,
    fw: 4,
    sh: 2,
    sw: 2,
    padTop: 1,
    padLeft: 1,
  }),
  geometry({
    batch: 4,
    inH: 64,
    inW: 64,
    inC: 128,
    outC: 64,
    fh: 3,
    fw: 3,
    sh: 1,
    sw: 1,
    padTop: 1,
    padLeft: 1,
  }),
  geometry({
    batch: 4,
    inH: 64,
    inW: 64,
    inC: 64,
    outC: 128,
    fh: 1,
    fw: 1,
    sh: 1,
    sw: 1,
    padTop: 0,
    padLeft: 0,
  }),
  geometry({
    batch: 4,
    inH: 64,
    inW: 64,
    inC: 128,
    outC: 8,
    fh: 1,
    fw: 1,
    sh: 1,
    sw: 1,
    padTop: 0,
    padLeft: 0,
  }),
  // conv2dTranspose 64 → 3 at 128² → 256² is the input gradient of this one.
  geometry({
    batch: 4,
    inH: 256,
    inW: 256,
    inC: 3,
    outC: 64,
    fh: 4,
    fw: 4,
    sh: 2,
    sw: 2,
    padTop: 1,
    padLeft: 1,
  }),
];

describe('direct convolution: which path a geometry takes', () => {
  it('every layer of the paper architectures: all three convolutions direct', () => {
    for (const g of PAPER) {
      for (const kind of [D.forward, D.filter, D.input]) expect(usesDirectConv(kind, g)).toBe(true);
    }
  });

  it('rows of 1 or 2 output pixels: forward and input gradient take the GEMM path, the filter gradient stays direct', () => {
    for (const inW of [1, 2]) {
      const g = geometry({
        batch: 2,
        inH: 9,
        inW,
        inC: 5,
        outC: 7,
        fh: 3,
        fw: 3,
        sh: 1,
        sw: 1,
        padTop: 1,
        padLeft: 1,
      });
      expect(g.outW).toBe(inW);
      expect(usesDirectConv(D.forward, g)).toBe(false);
      expect(usesDirectConv(D.input, g)).toBe(false);
      expect(usesDirectConv(D.filter, g)).toBe(true);
    }
    const three = geometry({
      batch: 2,
      inH: 9,
      inW: 3,
      inC: 5,
      outC: 7,
      fh: 3,
      fw: 3,
      sh: 1,
      sw: 1,
      padTop: 1,
      padLeft: 1,
    });
    expect(usesDirectConv(D.forward, three)).toBe(true);
    expect(usesDirectConv(D.input, three)).toBe(true);
  });

  it('input gradient: one stride phase narrower than 3 pixels sends it to the GEMM path', () => {
    // inW 5, stride 2, padding 1: phases of 2 and 3 dx columns.
    const g = geometry({
      batch: 1,
      inH: 8,
      inW: 5,
      inC: 4,
      outC: 6,
      fh: 4,
      fw: 4,
      sh: 2,
      sw: 2,
      padTop: 1,
      padLeft: 1,
    });
    expect(axisPhases(g.inW, g.fw, g.sw, g.padLeft).map((p) => p.count)).toEqual([2, 3]);
    expect(usesDirectConv(D.input, g)).toBe(false);
    expect(usesDirectConv(D.forward, { ...g, inW: 6, outW: 3 })).toBe(true);
    expect(usesDirectConv(D.input, { ...g, inW: 6, outW: 3 })).toBe(true);
  });

  it('operands beyond the memory cap take the GEMM path', () => {
    const g = PAPER[1]!;
    for (const kind of [D.forward, D.filter, D.input]) {
      expect(usesDirectConv(kind, g, 1_000_000)).toBe(false);
      expect(usesDirectConv(kind, g, DIRECT_MAX_FLOATS)).toBe(true);
    }
    const huge = { ...g, batch: 4096 };
    expect(usesDirectConv(D.forward, huge)).toBe(false);
  });
});

describe('direct convolution: layout arithmetic (fast-check)', () => {
  it('stride phases cover every dx index once, each with the taps and dy indices of the convolution', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 5 }),
        (inSize, f, s, pad) => {
          const seen = new Array<number>(inSize).fill(0);
          axisPhases(inSize, f, s, pad).forEach((p, r) => {
            expect(p.taps).toBe(r < f ? Math.ceil((f - r) / s) : 0);
            for (let k = 0; k < p.count; k++) {
              const i = p.first + s * k;
              seen[i]!++;
              for (let t = 0; t < p.taps; t++) expect((p.u + k - t) * s + r + s * t - pad).toBe(i);
            }
          });
          expect(seen.every((n) => n === 1)).toBe(true);
        },
      ),
    );
  });

  it('tap rows per kernel call divide the filter height and keep the weight chunk small', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 3000 }),
        (rows, length) => {
          const chunk = directChunkRows(rows, length);
          expect(rows % chunk).toBe(0);
          expect(chunk === 1 || chunk * length * 8 <= 4096).toBe(true);
        },
      ),
    );
  });
});

/**
 * Geometries where the direct path is taken, each aimed at an edge: partial last tile of a row,
 * partial last panel of 8 channels, 1 and 3 channels, a filter-gradient tile running past the tap
 * row, a stride larger than the filter (stride phases without taps), asymmetric strides and
 * padding, padding wider than the filter, tap rows longer than one weight chunk, batch 1.
 */
const EDGES: ConvGeometry[] = [
  geometry({
    batch: 1,
    inH: 7,
    inW: 9,
    inC: 3,
    outC: 5,
    fh: 4,
    fw: 4,
    sh: 2,
    sw: 2,
    padTop: 1,
    padLeft: 1,
  }),
  geometry({
    batch: 2,
    inH: 6,
    inW: 7,
    inC: 1,
    outC: 9,
    fh: 3,
    fw: 3,
    sh: 1,
    sw: 1,
    padTop: 1,
    padLeft: 1,
  }),
  geometry({
    batch: 1,
    inH: 5,
    inW: 11,
    inC: 6,
    outC: 1,
    fh: 1,
    fw: 1,
    sh: 1,
    sw: 1,
    padTop: 0,
    padLeft: 0,
  }),
  geometry({
    batch: 2,
    inH: 9,
    inW: 13,
    inC: 5,
    outC: 3,
    fh: 1,
    fw: 1,
    sh: 2,
    sw: 2,
    padTop: 0,
    padLeft: 0,
  }),
  geometry({
    batch: 1,
    inH: 8,
    inW: 12,
    inC: 7,
    outC: 11,
    fh: 3,
    fw: 2,
    sh: 2,
    sw: 1,
    padTop: 0,
    padLeft: 1,
    padBottom: 2,
    padRight: 0,
  }),
  geometry({
    batch: 2,
    inH: 5,
    inW: 11,
    inC: 2,
    outC: 4,
    fh: 2,
    fw: 2,
    sh: 1,
    sw: 3,
    padTop: 3,
    padLeft: 2,
  }),
  geometry({
    batch: 1,
    inH: 6,
    inW: 7,
    inC: 200,
    outC: 10,
    fh: 3,
    fw: 3,
    sh: 1,
    sw: 1,
    padTop: 1,
    padLeft: 1,
  }),
];

describe('direct convolutions equal a float64 reference, bit-identical for 1, 2 and 3 threads', () => {
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

  it('the edge geometries all take the direct path', () => {
    for (const g of EDGES) {
      for (const kind of [D.forward, D.filter, D.input]) expect(usesDirectConv(kind, g)).toBe(true);
    }
  });

  for (const [i, g] of EDGES.entries()) {
    it(`geometry ${i}: ${g.batch}×${g.inH}×${g.inW}×${g.inC} → ${g.outC}, ${g.fh}×${g.fw} stride ${g.sh}×${g.sw}`, () => {
      const [x, w, dy] = operands(g, 100 * i + 1);
      const want = reference(g, x, w, dy);
      const got = new Map<string, Float32Array[]>();
      for (const [name, e] of executors) {
        const out = [e.convForward(x, w, g), e.convFilter(x, dy, g), e.convInput(dy, w, g)];
        expect(relErr(out[0]!, want.y), `${name}: forward`).toBeLessThan(1e-5);
        expect(relErr(out[1]!, want.dw), `${name}: filter`).toBeLessThan(1e-5);
        expect(relErr(out[2]!, want.dx), `${name}: input`).toBeLessThan(1e-5);
        got.set(name, out);
      }
      expect(got.get('2 threads, plain SIMD')).toEqual(got.get('calling thread, plain SIMD'));
      expect(got.get('3 threads, relaxed SIMD')).toEqual(got.get('calling thread, relaxed SIMD'));
    });
  }
});
