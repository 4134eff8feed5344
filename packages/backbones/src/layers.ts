import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@vqkit/random';

/**
 * One convolution of a backbone, as PyTorch's VQ-VAE-2 declares it.
 *
 * - `conv`: `nn.Conv2d(in, out, kernel, stride, padding)`, tfjs filter layout `[k, k, in, out]`.
 * - `convTranspose`: `nn.ConvTranspose2d(in, out, 4, stride=2, padding=1)`, tfjs filter layout
 *   `[k, k, out, in]` (the layout `tf.conv2dTranspose` expects). Always 4×4, stride 2, padding 1:
 *   {@link applyConv} realises PyTorch's padding 1 as tfjs `'same'`, which holds for that geometry only.
 *
 * Every convolution has a bias of shape `[out]`.
 */
export interface ConvSpec {
  /** Stable hierarchical name; the variables are `${name}.weight` and `${name}.bias`. */
  readonly name: string;
  readonly kind: 'conv' | 'convTranspose';
  readonly kernel: number;
  readonly stride: number;
  /** Symmetric zero padding on height and width (PyTorch `padding`). */
  readonly padding: number;
  readonly inChannels: number;
  readonly outChannels: number;
}

/** A convolution's variables. */
export interface ConvLayer {
  readonly spec: ConvSpec;
  readonly weight: tf.Variable<tf.Rank.R4>;
  readonly bias: tf.Variable<tf.Rank.R1>;
}

/** `[k, k, in, out]` for a convolution, `[k, k, out, in]` for a transposed convolution. */
export function weightShape(spec: ConvSpec): [number, number, number, number] {
  const { kernel: k, inChannels: i, outChannels: o } = spec;
  return spec.kind === 'conv' ? [k, k, i, o] : [k, k, o, i];
}

/** Trainable parameters of one convolution: `k·k·in·out + out`. */
export function convParamCount(spec: ConvSpec): number {
  return spec.kernel * spec.kernel * spec.inChannels * spec.outChannels + spec.outChannels;
}

/**
 * The `fan_in` PyTorch uses to initialise this layer, from `torch.nn.init._calculate_fan_in_and_fan_out`:
 * `weight.size(1) · k · k`. For `nn.Conv2d` (weight `[out, in, k, k]`) that is `in · k · k`; for
 * `nn.ConvTranspose2d` (weight `[in, out, k, k]`) it is **`out · k · k`** — PyTorch's quirk,
 * replicated exactly here.
 */
export function pytorchFanIn(spec: ConvSpec): number {
  const k2 = spec.kernel * spec.kernel;
  return spec.kind === 'conv' ? spec.inChannels * k2 : spec.outChannels * k2;
}

/**
 * Half-width of PyTorch's default uniform init for this layer's weight and bias:
 * `kaiming_uniform_(w, a=√5)` gives `gain = √(2/(1+a²)) = √(1/3)` and
 * `bound = √3 · gain / √fan_in = 1/√fan_in`; the bias is uniform on `±1/√fan_in` with the same fan_in.
 */
export function pytorchInitBound(spec: ConvSpec): number {
  return 1 / Math.sqrt(pytorchFanIn(spec));
}

/**
 * Allocates a convolution's variables with PyTorch's default init, drawing first every weight
 * (in tfjs layout order) and then every bias from `rng`.
 */
export function createConvLayer(spec: ConvSpec, rng: Rng): ConvLayer {
  const bound = pytorchInitBound(spec);
  const shape = weightShape(spec);
  const w = rng.fillUniform(
    new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]),
    -bound,
    bound,
  );
  const b = rng.fillUniform(new Float32Array(spec.outChannels), -bound, bound);
  // tf.variable shares the initial tensor's data; dispose the initial tensor so that disposing the
  // variable frees everything (otherwise one tensor per variable outlives the module).
  const initialWeight = tf.tensor4d(w, shape, 'float32');
  const initialBias = tf.tensor1d(b, 'float32');
  const layer: ConvLayer = {
    spec,
    weight: tf.variable(initialWeight, true) as tf.Variable<tf.Rank.R4>,
    bias: tf.variable(initialBias, true) as tf.Variable<tf.Rank.R1>,
  };
  tf.dispose([initialWeight, initialBias]);
  return layer;
}

/** Output height/width of a layer for an input height/width (exact PyTorch arithmetic). */
export function convOutputSize(spec: ConvSpec, size: number): number {
  const { kernel: k, stride: s, padding: p } = spec;
  return spec.kind === 'conv' ? Math.floor((size + 2 * p - k) / s) + 1 : (size - 1) * s - 2 * p + k;
}

/**
 * Applies one convolution plus bias to an NHWC tensor `[B, H, W, in]`.
 *
 * - `conv`: `tf.conv2d` with explicit padding `[[0,0],[p,p],[p,p],[0,0]]`, so the output is
 *   `[B, ⌊(H+2p−k)/s⌋+1, …, out]` exactly as PyTorch (`H/2` for the 4×4 stride-2 conv on even H).
 * - `convTranspose` (4×4, stride 2, PyTorch padding 1): `tf.conv2dTranspose` to `[B, 2H, 2W, out]`
 *   with `'same'` padding. TF's `'same'` for the forward conv 2H → H with k = 4, s = 2 pads
 *   `(H−1)·2 + 4 − 2H = 2` rows, one on each side, which is PyTorch's `padding = 1`.
 */
export function applyConv(x: tf.Tensor4D, layer: ConvLayer): tf.Tensor4D {
  const { spec } = layer;
  const [b, h, w] = x.shape;
  let y: tf.Tensor4D;
  if (spec.kind === 'conv') {
    const p = spec.padding;
    const pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]] =
      p === 0
        ? 'valid'
        : [
            [0, 0],
            [p, p],
            [p, p],
            [0, 0],
          ];
    y = tf.conv2d(x, layer.weight, spec.stride, pad);
  } else {
    const outShape: [number, number, number, number] = [
      b,
      convOutputSize(spec, h),
      convOutputSize(spec, w),
      spec.outChannels,
    ];
    y = tf.conv2dTranspose(x, layer.weight, outShape, spec.stride, 'same');
  }
  return tf.add(y, layer.bias);
}
