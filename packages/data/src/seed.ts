/** Murmur3 32-bit finaliser: a bijective avalanche on uint32. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Hashes a tuple of integers (seed, stream tag, epoch, position, …) to one 32-bit seed for
 * `new Rng(...)`. Every random draw of a loader comes from a generator seeded this way, so the
 * draws for a given (epoch, position) never depend on how many draws came before, on decode
 * completion order, or on where a run was resumed.
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const part of parts) {
    const v = Math.floor(part);
    // Mix both 32-bit halves so positions beyond 2^32 (never expected) still differ.
    h = fmix32(h ^ (v >>> 0)) + 0x9e3779b9;
    h = fmix32(h ^ (Math.floor(v / 4294967296) >>> 0));
  }
  return h >>> 0;
}

/** Stream tags keep independent uses of the same (seed, epoch, position) apart. */
export const STREAM = {
  shuffle: 1,
  sample: 2,
  crop: 3,
} as const;
