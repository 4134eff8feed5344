/**
 * A VQ-VAE training step shaped like @vqkit/backbones' single-level model (VQ-VAE-2 family):
 * encoder Conv4×4 s2 (3→C/2) → ReLU → Conv4×4 s2 (C/2→C) → ReLU → Conv3×3 (C→C) → n ResBlocks
 * (ReLU → Conv3×3 C→R → ReLU → Conv1×1 R→C, + skip) → ReLU → Conv1×1 (C→D); nearest-code
 * quantisation with a straight-through estimator, commitment loss β‖z − sg(e)‖², EMA codebook
 * statistics; decoder Conv3×3 (D→C) → n ResBlocks → ReLU → ConvT4×4 s2 (C→C/2) → ReLU →
 * ConvT4×4 s2 (C/2→3); MSE reconstruction loss; SGD update. Self-contained (bench only), so the
 * kernel benchmark does not depend on sibling packages under construction.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NearestCodeSearch } from '../src/index';

export interface StepConfig {
  batch: number;
  size: number;
  channels: number;
  residualChannels: number;
  resBlocks: number;
  codeDim: number;
  codebookSize: number;
}

export interface VqvaeStep {
  /** Runs one training step; resolves to the loss. */
  step(): Promise<number>;
  dispose(): void;
}

/** Builds the model and a fixed batch (seeded) and returns a step function. */
export function makeVqvaeStep(cfg: StepConfig, search: NearestCodeSearch): VqvaeStep {
  let seed = 42;
  const conv = (fh: number, cin: number, cout: number) => {
    const bound = 1 / Math.sqrt(fh * fh * cin);
    return {
      w: tf.variable(tf.randomUniform([fh, fh, cin, cout], -bound, bound, 'float32', seed++)),
      b: tf.variable(tf.zeros([cout])),
    };
  };
  const convT = (fh: number, cin: number, cout: number) => {
    const bound = 1 / Math.sqrt(fh * fh * cin);
    // conv2dTranspose filter: [fh, fw, outC, inC].
    return {
      w: tf.variable(tf.randomUniform([fh, fh, cout, cin], -bound, bound, 'float32', seed++)),
      b: tf.variable(tf.zeros([cout])),
    };
  };
  const { channels: C, residualChannels: R, codeDim: D } = cfg;
  const enc1 = conv(4, 3, C / 2);
  const enc2 = conv(4, C / 2, C);
  const enc3 = conv(3, C, C);
  const encRes = Array.from({ length: cfg.resBlocks }, () => [conv(3, C, R), conv(1, R, C)]);
  const proj = conv(1, C, D);
  const dec1 = conv(3, D, C);
  const decRes = Array.from({ length: cfg.resBlocks }, () => [conv(3, C, R), conv(1, R, C)]);
  const up1 = convT(4, C, C / 2);
  const up2 = convT(4, C / 2, 3);
  const codebook = tf.variable(
    tf.randomUniform([cfg.codebookSize, D], -0.1, 0.1, 'float32', seed++),
    false,
  );
  const emaCount = tf.variable(tf.zeros([cfg.codebookSize]), false);
  const emaSum = tf.variable(tf.zeros([cfg.codebookSize, D]), false);
  const x = tf.randomUniform([cfg.batch, cfg.size, cfg.size, 3], 0, 1, 'float32', seed++);
  const lr = 1e-3;
  const beta = 0.25;

  type P = { w: tf.Variable; b: tf.Variable };
  const c2 = (t: tf.Tensor4D, p: P, stride: number) =>
    tf.add(tf.conv2d(t, p.w as tf.Tensor4D, stride, 'same'), p.b) as tf.Tensor4D;
  const ct = (t: tf.Tensor4D, p: P) => {
    const [b, h, w] = t.shape;
    const out = p.w.shape[2] as number;
    return tf.add(
      tf.conv2dTranspose(t, p.w as tf.Tensor4D, [b, h * 2, w * 2, out], 2, 'same'),
      p.b,
    ) as tf.Tensor4D;
  };
  const res = (t: tf.Tensor4D, blocks: P[][]) => {
    let h = t;
    for (const [a, b] of blocks as [P, P][]) {
      h = tf.add(h, c2(tf.relu(c2(tf.relu(h), a, 1)), b, 1)) as tf.Tensor4D;
    }
    return h;
  };
  // Straight-through: forward e, backward identity to z.
  const straightThrough = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, e] = args as [tf.Tensor, tf.Tensor];
    return {
      value: tf.add(z, tf.sub(e, z)),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [dy as tf.Tensor, tf.zerosLike(e)],
    };
  }) as (z: tf.Tensor, e: tf.Tensor) => tf.Tensor;

  const params = [
    enc1,
    enc2,
    enc3,
    ...encRes.flat(),
    proj,
    dec1,
    ...decRes.flat(),
    up1,
    up2,
  ].flatMap((p) => [p.w, p.b]);

  return {
    async step() {
      const { value, grads } = tf.variableGrads(() => {
        let h = tf.relu(c2(x as tf.Tensor4D, enc1, 2));
        h = tf.relu(c2(h, enc2, 2));
        h = res(c2(h, enc3, 1), encRes);
        const z = c2(tf.relu(h), proj, 1);
        const zFlat = tf.reshape(z, [-1, D]) as tf.Tensor2D;
        const idx = search(zFlat, codebook as tf.Tensor2D, { chunkSize: 4096 });
        const e = tf.gather(codebook, idx);
        const commit = tf.mul(beta, tf.mean(tf.square(tf.sub(zFlat, e))));
        const zq = tf.reshape(straightThrough(zFlat, e), z.shape) as tf.Tensor4D;
        let g = res(c2(zq, dec1, 1), decRes);
        g = tf.relu(ct(tf.relu(g), up1));
        const xr = ct(g, up2);
        // EMA codebook statistics (the paper's quantiser); not differentiated.
        // (scatterND, as @vqkit/quantizer does.)
        const at = tf.reshape(idx, [-1, 1]);
        const counts = tf.scatterND(at, tf.ones([idx.shape[0]]), [cfg.codebookSize]);
        const sums = tf.scatterND(at, zFlat, [cfg.codebookSize, D]);
        emaCount.assign(tf.add(tf.mul(0.99, emaCount), tf.mul(0.01, counts)));
        emaSum.assign(tf.add(tf.mul(0.99, emaSum), tf.mul(0.01, sums)));
        return tf.add(tf.mean(tf.square(tf.sub(xr, x))), commit) as tf.Scalar;
      }, params);
      tf.tidy(() => {
        for (const v of params) v.assign(tf.sub(v, tf.mul(lr, grads[v.name] as tf.Tensor)));
      });
      const loss = (await value.data())[0] as number;
      tf.dispose([value, ...Object.values(grads)]);
      return loss;
    },
    dispose() {
      tf.dispose([...params, codebook, emaCount, emaSum, x]);
    },
  };
}
