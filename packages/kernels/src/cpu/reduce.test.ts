import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reduceRange } from './reduce';

/** Bits of `a` as a plain array (so −0 and NaN compare exactly). */
function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

describe('reduceRange', () => {
  it('sums x [outer, R, inner] over R in float64, rounded once (Mean: of fround(x / divisor))', () => {
    const x = Float32Array.of(1, 2e-8, 3, 1e8, 1, 1e-8, -1e8, 5, 2e-8);
    const sum = new Float32Array(3);
    reduceRange(x, sum, 3, 3, 0, [0, 1, 0, 3]);
    expect(Array.from(sum)).toEqual(
      [Math.fround(1 + 1e8 - 1e8), Math.fround(2e-8 + 1 + 5), 3 + 1e-8 + 2e-8].map(Math.fround),
    );
    const mean = new Float32Array(3);
    reduceRange(x, mean, 3, 3, 3, [0, 1, 0, 3]);
    const m = (a: number, b: number, c: number) =>
      Math.fround(Math.fround(a / 3) + Math.fround(b / 3) + Math.fround(c / 3));
    expect(Array.from(mean)).toEqual([m(1, 1e8, -1e8), m(2e-8, 1, 5), m(3, 1e-8, 2e-8)]);
  });

  it('any split into blocks of output rows and columns gives the bits of the whole', () => {
    fc.assert(
      fc.property(
        fc.record({
          outer: fc.integer({ min: 1, max: 5 }),
          R: fc.integer({ min: 1, max: 9 }),
          inner: fc.integer({ min: 1, max: 37 }),
          oParts: fc.integer({ min: 1, max: 5 }),
          iParts: fc.integer({ min: 1, max: 6 }),
          divisor: fc.constantFrom(0, 3, 7),
          seed: fc.integer({ min: 0, max: 2 ** 31 }),
        }),
        ({ outer, R, inner, oParts, iParts, divisor, seed }) => {
          let s = seed;
          const x = Float32Array.from({ length: outer * R * inner }, () => {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            return (s / 2 ** 32 - 0.5) * 2 ** ((s % 40) - 20);
          });
          const whole = new Float32Array(outer * inner);
          reduceRange(x, whole, R, inner, divisor, [0, outer, 0, inner]);
          const parts = new Float32Array(outer * inner).fill(Number.NaN);
          const oPer = Math.ceil(outer / oParts);
          const iPer = Math.ceil(inner / iParts);
          for (let o = outer - oPer; o > -oPer; o -= oPer) {
            for (let i = 0; i < inner; i += iPer) {
              const o0 = Math.max(0, o);
              reduceRange(x, parts, R, inner, divisor, [
                o0,
                o + oPer,
                i,
                Math.min(inner, i + iPer),
              ]);
            }
          }
          expect(bits(parts)).toEqual(bits(whole));
        },
      ),
      { numRuns: 200, seed: 14 },
    );
  });
});
