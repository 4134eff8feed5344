import * as tf from '@tensorflow/tfjs-core';

/**
 * Splits images into non-overlapping S×S tiles, row by row.
 * @param images `[B, H, W, C]` with H and W multiples of `size`.
 * @returns `[B·(H/S)·(W/S), S, S, C]`.
 */
export function toTiles(images: tf.Tensor4D, size: number): tf.Tensor4D {
  const [b, h, w, c] = images.shape;
  return tf.tidy(() => {
    const grid = tf.reshape(images, [b, h / size, size, w / size, size, c]);
    const ordered = tf.transpose(grid, [0, 1, 3, 2, 4, 5]);
    return tf.reshape(ordered, [(b * h * w) / (size * size), size, size, c]);
  });
}

/**
 * The inverse of {@link toTiles} for one image: `[tilesY·tilesX, S, S, C]` → `[1, tilesY·S, tilesX·S, C]`.
 */
export function fromTiles(tiles: tf.Tensor4D, tilesX: number, tilesY: number): tf.Tensor4D {
  const [, s, , c] = tiles.shape;
  return tf.tidy(() => {
    const grid = tf.reshape(tiles, [1, tilesY, tilesX, s, s, c]);
    const ordered = tf.transpose(grid, [0, 1, 3, 2, 4, 5]);
    return tf.reshape(ordered, [1, tilesY * s, tilesX * s, c]);
  });
}
