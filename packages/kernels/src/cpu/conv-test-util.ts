/**
 * Test helpers of the cpu convolution tests: geometries with tfjs's output sizes, seeded operands,
 * a float64 reference of all three convolutions, and the max-norm relative error.
 */
import type { ConvGeometry } from './conv-geometry';

/** A geometry with tfjs's output size for explicit padding `(padTop, padLeft)` and bottom/right `extra`. */
export function geometry(
  g: Omit<ConvGeometry, 'outH' | 'outW'> & { padBottom?: number; padRight?: number },
): ConvGeometry {
  const outH = Math.floor((g.inH + g.padTop + (g.padBottom ?? g.padTop) - g.fh) / g.sh) + 1;
  const outW = Math.floor((g.inW + g.padLeft + (g.padRight ?? g.padLeft) - g.fw) / g.sw) + 1;
  const { padBottom: _b, padRight: _r, ...rest } = g;
  return { ...rest, outH, outW };
}

/** Seeded values in [−1, 1). */
export function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}

/** `[x, w, dy]` of geometry `g`, seeded. */
export function operands(
  g: ConvGeometry,
  seed: number,
): [Float32Array, Float32Array, Float32Array] {
  return [
    values(g.batch * g.inH * g.inW * g.inC, seed),
    values(g.fh * g.fw * g.inC * g.outC, seed + 1),
    values(g.batch * g.outH * g.outW * g.outC, seed + 2),
  ];
}

/**
 * Float64 reference of all three convolutions: calls `visit(xIndex, wIndex, yIndex)` for every
 * product `x · w` that contributes to `y` (taps in the padding skipped).
 */
function eachProduct(g: ConvGeometry, visit: (xi: number, wi: number, yi: number) => void): void {
  for (let b = 0; b < g.batch; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let fy = 0; fy < g.fh; fy++) {
          const iy = oy * g.sh + fy - g.padTop;
          if (iy < 0 || iy >= g.inH) continue;
          for (let fx = 0; fx < g.fw; fx++) {
            const ix = ox * g.sw + fx - g.padLeft;
            if (ix < 0 || ix >= g.inW) continue;
            for (let c = 0; c < g.inC; c++) {
              const xi = ((b * g.inH + iy) * g.inW + ix) * g.inC + c;
              const wi = ((fy * g.fw + fx) * g.inC + c) * g.outC;
              const yi = ((b * g.outH + oy) * g.outW + ox) * g.outC;
              for (let o = 0; o < g.outC; o++) visit(xi, wi + o, yi + o);
            }
          }
        }
}

export function reference(g: ConvGeometry, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const y = new Float64Array(g.batch * g.outH * g.outW * g.outC);
  const dw = new Float64Array(w.length);
  const dx = new Float64Array(x.length);
  eachProduct(g, (xi, wi, yi) => {
    y[yi]! += x[xi]! * w[wi]!;
    dw[wi]! += x[xi]! * dy[yi]!;
    dx[xi]! += dy[yi]! * w[wi]!;
  });
  return { y, dw, dx };
}

/** ‖a − b‖∞ / max(‖b‖∞, 1e-30). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths ${a.length} and ${b.length}`);
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}
