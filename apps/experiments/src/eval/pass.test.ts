import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SampleKeeper } from './pass';

/** Keeps samples from a pass over images from `paths` (image i's pixels are all i). */
function keep(paths: readonly string[], wanted: number, batch = 4): number[] {
  const keeper = new SampleKeeper(wanted);
  for (let start = 0; start < paths.length; start += batch) {
    const chunk = paths.slice(start, start + batch);
    if (!keeper.wants(chunk)) continue;
    chunk.forEach((path, b) => {
      const i = start + b;
      keeper.offer(path, () => ({
        original: Float32Array.of(i),
        reconstruction: Float32Array.of(i),
      }));
    });
  }
  return keeper.samples().map((s) => s.original[0]!);
}

describe('SampleKeeper (which images become Figure 3 rows)', () => {
  it('shows each photo once before any repeats: the demo test crops of six photos', () => {
    // The demo's test crops: the photo of each crop drawn at random, some photos repeating early.
    const paths = ['astro', 'cat', 'rocket', 'astro', 'hubble', 'rocket', 'hubble', 'retina'];
    paths.push('cat', 'hubble', 'astro', 'coffee', 'cat');
    expect(keep(paths, 6).map((i) => paths[i])).toEqual([
      'astro',
      'cat',
      'rocket',
      'hubble',
      'retina',
      'coffee',
    ]);
    // Fewer photos than samples: the earliest repeats fill the rest.
    expect(keep(paths, 8)).toEqual([0, 1, 2, 4, 7, 11, 3, 5]);
  });

  it('keeps the first images of a folder (every path distinct), as before', () => {
    const paths = Array.from({ length: 20 }, (_, i) => `img-${i}.jpg`);
    expect(keep(paths, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(keep(paths, 0)).toEqual([]);
  });

  it('keeps first occurrences in pass order, then the earliest others, at most `wanted`', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 40 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 6 }),
        (paths, wanted, batch) => {
          const firsts = paths.flatMap((p, i) => (paths.indexOf(p) === i ? [i] : []));
          const others = paths.flatMap((p, i) => (paths.indexOf(p) === i ? [] : [i]));
          expect(keep(paths, wanted, batch)).toEqual([...firsts, ...others].slice(0, wanted));
        },
      ),
    );
  });
});
