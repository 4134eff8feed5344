import * as tf from '@tensorflow/tfjs-core';
import { LayerVariable, layers } from '@tensorflow/tfjs-layers';
import { createQuantizer, type QuantizerSpec } from '../create-quantizer';
import { QuantizerError } from '../errors';
import type { Quantizer } from '../quantizer';

/** Constructor arguments of {@link QuantizerLayer} (its saved config). */
export interface QuantizerLayerArgs {
  /** The quantizer as plain data, e.g. `{ kind: 'fsq', levels: [8, 5, 5, 5] }` (see `createQuantizer`). */
  quantizer: QuantizerSpec;
  /**
   * The host part of a saved state (`Quantizer.liveState().host`). Written by `getConfig()` so that
   * `model.save` / `tf.loadLayersModel` restore it; you do not pass it yourself.
   */
  quantizerHostState?: unknown;
  /** Layer name (unique in the model). */
  name?: string;
  /** Input shape `[..., D]` without the batch dimension, when this is the model's first layer. */
  inputShape?: (number | null)[];
  /** Batch input shape, when this is the model's first layer. */
  batchInputShape?: (number | null)[];
  /** Whether the layer's trainable variables (gradient codebook, projections) are trained. @default true */
  trainable?: boolean;
}

/**
 * A `tf.layers` layer around any vqkit quantizer family, for Keras-style models: the output is
 * `quantized` (same shape as the input `[batch, ..., D]`), `model.fit` trains through it (the
 * family's auxiliary loss is added to the model loss via `addLoss`, and its state updates run
 * in training mode), and `model.save` / `tf.loadLayersModel` include the quantizer's whole state:
 * its device buffers (codebook, EMA statistics, reset buffers, usage counts, projections) are the
 * layer's weights — the very variables the quantizer uses, not copies — and its host values
 * (steps, generator state) are part of the layer config.
 *
 * Registered with `tf.serialization` as `'VqkitQuantizer'` when this module is imported.
 */
export class QuantizerLayer extends layers.Layer {
  /** The class name in saved models. */
  static readonly className = 'VqkitQuantizer';
  private readonly spec: QuantizerSpec;
  private pendingHost: unknown;
  private instance: Quantizer | null = null;
  private lastLoss: tf.Scalar | null = null;

  constructor(args: QuantizerLayerArgs) {
    const { quantizer, quantizerHostState, ...layerArgs } = args ?? ({} as QuantizerLayerArgs);
    super(layerArgs);
    if (quantizer === null || typeof quantizer !== 'object') {
      throw new QuantizerError(
        `QuantizerLayer: args.quantizer must be a quantizer spec { kind, ...options }, got ${JSON.stringify(quantizer)}. Use e.g. { quantizer: { kind: 'vq', codebookSize: 512, codeDim: 64 } }.`,
      );
    }
    this.spec = quantizer;
    this.pendingHost = quantizerHostState;
    this.addLoss(() =>
      this.lastLoss !== null && !this.lastLoss.isDisposed ? this.lastLoss : tf.scalar(0),
    );
  }

  /** The wrapped quantizer (after the layer is built): usage, events, decode, getState. */
  get quantizer(): Quantizer {
    if (this.instance === null) {
      throw new QuantizerError(
        'QuantizerLayer.quantizer: the layer is not built yet. Call it on an input (or build the model) first.',
      );
    }
    return this.instance;
  }

  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const q = createQuantizer(this.spec);
    const last = shape[shape.length - 1];
    if (last !== q.codeDim) {
      q.dispose();
      throw new QuantizerError(
        `QuantizerLayer.build: the input's last dimension must be codeDim = ${q.codeDim}, got shape [${shape.map(String)}]. Put a dense / 1×1 conv layer with ${q.codeDim} units before it.`,
      );
    }
    if (q.liveState === undefined || q.setHostState === undefined) {
      q.dispose();
      throw new QuantizerError(
        `QuantizerLayer.build: the '${q.kind}' quantizer has no liveState()/setHostState(), which the layer needs to save its state. Implement them (see VectorQuantizer).`,
      );
    }
    const live = q.liveState();
    for (const [name, variable] of Object.entries(live.variables)) {
      const weight = adoptVariable(name, variable);
      if (variable.trainable) this._trainableWeights.push(weight);
      else
        (this as unknown as { _nonTrainableWeights: LayerVariable[] })._nonTrainableWeights.push(
          weight,
        );
    }
    if (this.pendingHost !== undefined) q.setHostState(this.pendingHost);
    this.pendingHost = undefined;
    this.instance = q;
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x === undefined) {
      throw new QuantizerError('QuantizerLayer.call: expected one input tensor, got none.');
    }
    const training = kwargs?.training === true;
    const out = this.quantizer.forward(x, { training });
    const extra = Object.values(out).filter(
      (v): v is tf.Tensor => v instanceof tf.Tensor && v !== out.quantized && v !== out.loss,
    );
    tf.dispose(extra);
    // model.fit adds the layer losses to the model loss inside the same gradient scope.
    this.lastLoss = training ? out.loss : null;
    if (!training) out.loss.dispose();
    return out.quantized;
  }

  override computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const host = this.instance?.liveState?.().host ?? this.pendingHost;
    return {
      ...super.getConfig(),
      quantizer: this.spec as unknown as tf.serialization.ConfigDict,
      ...(host === undefined ? {} : { quantizerHostState: host as tf.serialization.ConfigDict }),
    };
  }

  override dispose() {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0 && this.instance !== null) this.instance.dispose();
    return result;
  }
}

/**
 * A `LayerVariable` whose value is `variable` itself (not a copy), so reads, writes, training and
 * `model.save` / `loadWeights` act on the quantizer's own buffer. tfjs-layers has no public way to
 * wrap an existing variable: the variable created by the constructor (empty) is replaced.
 */
function adoptVariable(name: string, variable: tf.Variable): LayerVariable {
  const empty = tf.zeros([0]);
  const weight = new LayerVariable(empty, 'float32', name, variable.trainable);
  empty.dispose();
  const internals = weight as unknown as { val: tf.Variable; shape: number[] };
  internals.val.dispose();
  internals.val = variable;
  internals.shape = [...variable.shape];
  return weight;
}

tf.serialization.registerClass(QuantizerLayer);
