import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fromTiles, toTiles } from './tiles';

describe('toTiles / fromTiles', () => {
  it('splits row by row and reassembles exactly', () => {
    const img = tf.tensor4d(
      Array.from({ length: 4 * 6 * 2 }, (_, i) => i),
      [1, 4, 6, 2],
    );
    const tiles = toTiles(img, 2);
    expect(tiles.shape).toEqual([6, 2, 2, 2]);
    // Tile 1 is rows 0–1, columns 2–3.
    const t1 = tf.slice(tiles, [1, 0, 0, 0], [1, 2, 2, 2]);
    const expected = tf.slice(img, [0, 0, 2, 0], [1, 2, 2, 2]);
    expect(Array.from(t1.dataSync())).toEqual(Array.from(expected.dataSync()));
    const back = fromTiles(tiles, 3, 2);
    expect(back.shape).toEqual([1, 4, 6, 2]);
    expect(Array.from(back.dataSync())).toEqual(Array.from(img.dataSync()));
    tf.dispose([img, tiles, t1, expected, back]);
  });
});
