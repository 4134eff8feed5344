import { describe, expect, it } from 'vitest';
import type { ConvGeometry } from './conv-geometry';
import { directKinds, directOperands } from './direct-conv-layout';
import { fillPieces, fillUnitCount, fillUnits } from './operand-fill';
import { winogradOperands } from './winograd-conv';
import { winogradFilterPlan } from './winograd-filter';

/** Seeded values in [−½, ½). */
function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

/** 4×4 stride 2 (direct path), odd sizes; its padded input is several units of copying. */
const STRIDED: ConvGeometry = {
  batch: 2,
  inH: 67,
  inW: 65,
  inC: 17,
  outH: 34,
  outW: 33,
  outC: 37,
  fh: 4,
  fw: 4,
  sh: 2,
  sw: 2,
  padTop: 1,
  padLeft: 1,
};

/** 3×3 stride 1 (Winograd path), odd sizes; its input and transformed weights are several units. */
const SAME: ConvGeometry = {
  batch: 2,
  inH: 37,
  inW: 41,
  inC: 67,
  outH: 37,
  outW: 41,
  outC: 71,
  fh: 3,
  fw: 3,
  sh: 1,
  sw: 1,
  padTop: 1,
  padLeft: 1,
};

/** The operands `[a, b]` of convolution `kind` of `g`: `(x, w)`, `(x, dy)` or `(dy, w)`. */
function operands(kind: number, g: ConvGeometry): [Float32Array, Float32Array] {
  const D = directKinds();
  const x = values(g.batch * g.inH * g.inW * g.inC, 1);
  const w = values(g.fh * g.fw * g.inC * g.outC, 2);
  const dy = values(g.batch * g.outH * g.outW * g.outC, 3);
  if (kind === D.forward) return [x, w];
  return kind === D.filter ? [x, dy] : [dy, w];
}

/** Floats of the operands of `kind` on the direct or Winograd path. */
function operandFloats(kind: number, g: ConvGeometry, winograd: boolean): number {
  if (!winograd) return directOperands(kind, g).floats;
  return kind === directKinds().filter
    ? winogradFilterPlan(g).operands.floats
    : winogradOperands(g).floats;
}

describe('operand copies in units', () => {
  const D = directKinds();
  const cases = [
    ['direct forward', D.forward, STRIDED, false],
    ['direct filter gradient', D.filter, STRIDED, false],
    ['direct input gradient', D.input, STRIDED, false],
    ['Winograd forward', D.forward, SAME, true],
    ['Winograd filter gradient', D.filter, SAME, true],
    ['Winograd input gradient', D.input, SAME, true],
  ] as const;
  for (const [name, kind, g, winograd] of cases) {
    it(`${name}: units run in any order (one at a time, backwards) copy the same bits as all in order`, () => {
      const pieces = fillPieces(kind, g, winograd);
      const units = fillUnitCount(pieces);
      expect(units).toBeGreaterThan(pieces.length); // some piece is split, so the test can fail
      const ops = operands(kind, g);
      const base = 5;
      const size = base + operandFloats(kind, g, winograd);
      const inOrder = new Float32Array(size).fill(Number.NaN);
      fillUnits(pieces, g, ops, inOrder, base, 0, units);
      const backwards = new Float32Array(size).fill(Number.NaN);
      for (let u = units - 1; u >= 0; u--) fillUnits(pieces, g, ops, backwards, base, u, u + 1);
      expect(Buffer.from(backwards.buffer).equals(Buffer.from(inOrder.buffer))).toBe(true);
      expect(inOrder.subarray(0, base).every(Number.isNaN)).toBe(true); // nothing before `base`
    });
  }

  it('every piece of a padded operand is written whole: zeros around the copy, none left unset', () => {
    const pieces = fillPieces(D.forward, STRIDED, false);
    const [x] = pieces;
    const ops = operands(D.forward, STRIDED);
    const f32 = new Float32Array(directOperands(D.forward, STRIDED).floats).fill(Number.NaN);
    fillUnits(pieces, STRIDED, ops, f32, 0, 0, x?.units ?? 0);
    const L = x?.layout;
    expect(L).toBeDefined();
    if (L === undefined) return;
    const padded = f32.subarray(0, L.floats);
    expect(padded.some(Number.isNaN)).toBe(false);
    const { inW, inC } = STRIDED;
    // Row 1 of image 1 holds x's row 0 of image 1 from column `left`.
    const row = (L.H + L.top) * L.W * L.C + L.left * L.C;
    const xRow = STRIDED.inH * inW * inC;
    expect(Array.from(padded.subarray(row, row + inW * inC))).toEqual(
      Array.from(ops[0].subarray(xRow, xRow + inW * inC)),
    );
    expect(padded.subarray(row - L.left * L.C, row).every((v) => v === 0)).toBe(true);
  });
});
