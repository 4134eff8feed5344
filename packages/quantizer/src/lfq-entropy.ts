import * as tf from '@tensorflow/tfjs-core';

/**
 * `[C, D]` float32 bits of every code of a D-bit lookup-free codebook, C = 2^D: row c holds
 * `bit_i(c) = ⌊c / 2^(D−1−i)⌋ mod 2` (first dimension most significant, as vector-quantize-pytorch).
 */
export function codeBits(codeDim: number): tf.Tensor2D {
  const c = 2 ** codeDim;
  const bits = new Float32Array(c * codeDim);
  for (let code = 0; code < c; code++) {
    for (let i = 0; i < codeDim; i++) {
      bits[code * codeDim + i] = Math.floor(code / 2 ** (codeDim - 1 - i)) % 2;
    }
  }
  return tf.tensor2d(bits, [c, codeDim]);
}

/**
 * Mean per-sample entropy of LFQ's code distribution, exactly, in nats. The distribution
 * `p(c | z) = softmax_c(−‖z − c‖²/τ)` over the 2^D codes c ∈ {±1}^D factorises into independent
 * bits with `p(bit_i = 1) = σ(a_i)`, `a = 4z/τ`, so its entropy is `Σ_i H_b(a_i)` with
 * `H_b(a) = softplus(−|a|) + |a|·σ(−|a|)` (stable for large |a|). `a` `[N, D]` → scalar.
 */
export function perSampleEntropy(a: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const t = tf.abs(a);
    const h = tf.add(tf.softplus(tf.neg(t)), tf.mul(t, tf.sigmoid(tf.neg(t))));
    return tf.mean(tf.sum(h, 1)) as tf.Scalar;
  });
}

/**
 * `log p(c | z_n)` `[rows, C]`: `Σ_i log σ(±a_i)` simplifies, with `log σ(a) − log σ(−a) = a`, to
 * `Σ_i log σ(−a_i) + a · bit(c)` — one `[rows, D] × [D, C]` product.
 */
function logProbabilities(a: tf.Tensor2D, bits: tf.Tensor2D): tf.Tensor2D {
  const base = tf.sum(tf.neg(tf.softplus(a)), 1, true); // Σ_i log σ(−a_i)
  return tf.add(tf.matMul(a, bits, false, true), base) as tf.Tensor2D;
}

function forChunks(
  n: number,
  rows: number,
  body: (start: number, size: number) => tf.Tensor,
): tf.Tensor[] {
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < n; start += rows) {
    const size = Math.min(rows, n - start);
    parts.push(tf.tidy(() => body(start, size)));
  }
  return parts;
}

/**
 * Entropy (nats) of the batch-averaged code distribution `p̄ = mean_n p(· | z_n)`, exactly over the
 * 2^D codes, without an `[N, 2^D]` intermediate: the forward sums `p(c | z_n)` over chunks of
 * `chunkRows` rows, and the gradient recomputes each chunk:
 * `∂H/∂a_{n,i} = (1/N)·Σ_c g_c p_{nc} ([bit_i(c) = 1] − σ(a_{n,i}))` with `g_c = −(ln p̄_c + 1)`.
 * Peak memory `O(chunkRows · 2^D)`; work `O(N · 2^D · D)`.
 *
 * @param a - logits `4z/τ` `[N, D]` (on the tape).
 * @param bits - {@link codeBits} `[2^D, D]`.
 * @param chunkRows - rows of `a` per chunk (≥ 1).
 * @returns scalar.
 */
export function batchEntropy(a: tf.Tensor2D, bits: tf.Tensor2D, chunkRows: number): tf.Scalar {
  const n = a.shape[0];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const logits = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const parts = forChunks(n, chunkRows, (start, size) =>
      tf.sum(tf.exp(logProbabilities(tf.slice(logits, [start, 0], [size, -1]), bits)), 0),
    );
    const avg = tf.div(tf.addN(parts), n) as tf.Tensor1D;
    tf.dispose(parts);
    save([logits, avg]);
    const h = tf.neg(tf.sum(tf.mul(avg, tf.log(tf.maximum(avg, 1e-30)))));
    return {
      value: h,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [aS, avgS] = saved as [tf.Tensor2D, tf.Tensor1D];
        const g = tf.reshape(tf.neg(tf.add(tf.log(tf.maximum(avgS, 1e-30)), 1)), [1, -1]);
        const grads = forChunks(n, chunkRows, (start, size) => {
          const ac = tf.slice(aS, [start, 0], [size, -1]);
          const weighted = tf.mul(tf.exp(logProbabilities(ac as tf.Tensor2D, bits)), g);
          const towardOnes = tf.matMul(weighted, bits);
          const total = tf.sum(weighted, 1, true);
          return tf.sub(towardOnes, tf.mul(tf.sigmoid(ac), total));
        });
        const grad = tf.mul(tf.div(tf.concat(grads, 0), n), dy);
        tf.dispose(grads);
        return grad;
      },
    };
  });
  return f(a) as tf.Scalar;
}
