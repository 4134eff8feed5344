import * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsTensor, TensorSpec } from '@vqkit/backbones';

/** Prefix of the optimizer's tensors in a checkpoint: `optimizer/<i>`. */
export const OPTIMIZER_PREFIX = 'optimizer/';

/**
 * The fields of tfjs' AdamOptimizer (4.22) that its public API hides and an exact resume needs.
 * This module is the only place that touches them.
 */
interface AdamInternals {
  learningRate: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { variable: tf.Variable }[];
  accumulatedSecondMoment: { variable: tf.Variable }[];
}

/** What a checkpoint's metadata records of the optimizer next to its `optimizer/<i>` tensors. */
export interface AdamMeta {
  /** tfjs' weight names (iteration count, then `<variable>/m`…, `<variable>/v`…). */
  names: string[];
  /** β1^t and β2^t as the running products Adam keeps (not recomputed with pow()). */
  accBeta: [number, number];
}

/**
 * tfjs' Adam (β1 0.9, β2 0.999, ε the backend's epsilon: tfjs defaults) behind the few
 * operations training needs: set the learning rate, see the moments (for finiteness checks),
 * save and restore every bit of state (moments, iteration count, the β^t products), so a resumed
 * run continues exactly.
 */
export class AdamAdapter {
  /** The optimizer for `vqvaeTrainStep`. */
  readonly optimizer: tf.Optimizer;
  private readonly adam: AdamInternals;

  constructor(learningRate: number) {
    const optimizer = tf.train.adam(learningRate);
    this.optimizer = optimizer;
    this.adam = optimizer as unknown as AdamInternals;
  }

  /** The rate of the next update. */
  get learningRate(): number {
    return this.adam.learningRate;
  }

  set learningRate(rate: number) {
    this.adam.learningRate = rate;
  }

  /** The first and second moments m, v of every variable (empty before the first update). */
  moments(): tf.Variable[] {
    return [...this.adam.accumulatedFirstMoment, ...this.adam.accumulatedSecondMoment].map(
      (m) => m.variable,
    );
  }

  /** Every state tensor as `optimizer/<i>` (async reads: works on webgpu) and the metadata. */
  async encode(): Promise<{ tensors: Record<string, SafetensorsTensor>; meta: AdamMeta }> {
    const weights = await this.optimizer.getWeights();
    const tensors: Record<string, SafetensorsTensor> = {};
    for (const [i, w] of weights.entries()) {
      const data = await w.tensor.data();
      tensors[`${OPTIMIZER_PREFIX}${i}`] =
        w.tensor.dtype === 'int32'
          ? { dtype: 'I32', shape: [...w.tensor.shape], data: new Int32Array(data) }
          : { dtype: 'F32', shape: [...w.tensor.shape], data: new Float32Array(data) };
    }
    // The iteration count is a fresh scalar made by getWeights(); the moments are live variables.
    weights[0]?.tensor.dispose();
    const [b1, b2] = await Promise.all([this.adam.accBeta1.data(), this.adam.accBeta2.data()]);
    return { tensors, meta: { names: weights.map((w) => w.name), accBeta: [b1[0]!, b2[0]!] } };
  }

  /**
   * What `optimizer/<i>` must hold for a model with these trainable variables (in the model's
   * order): the int32 iteration count, then m and v (F32, each variable's shape). `saved` is the
   * number of tensors the file's metadata lists: 1 before the first update, else 2n + 1.
   */
  static tensorSpecs(variables: readonly tf.Variable[], saved: number): Record<string, TensorSpec> {
    const specs: Record<string, TensorSpec> = {
      [`${OPTIMIZER_PREFIX}0`]: { dtype: 'I32', shape: [] },
    };
    if (saved <= 1) return specs;
    const n = variables.length;
    for (const [i, v] of variables.entries()) {
      const spec: TensorSpec = { dtype: 'F32', shape: v.shape };
      specs[`${OPTIMIZER_PREFIX}${1 + i}`] = spec;
      specs[`${OPTIMIZER_PREFIX}${1 + n + i}`] = spec;
    }
    return specs;
  }

  /**
   * Restores a state from {@link encode} (tensors already checked against {@link tensorSpecs}):
   * moments and iteration count through `setWeights`, then the β^t products as saved
   * (`setWeights` recomputes them with pow(), which differs in the last bits from the running
   * product) and the learning rate.
   */
  async restore(
    tensors: Readonly<Record<string, SafetensorsTensor>>,
    meta: AdamMeta,
    learningRate: number,
  ): Promise<void> {
    const named = meta.names.map((name, i) => {
      const t = tensors[`${OPTIMIZER_PREFIX}${i}`]!;
      const dtype = t.dtype === 'I32' ? 'int32' : 'float32';
      return { name, tensor: tf.tensor(t.data as Float32Array | Int32Array, t.shape, dtype) };
    });
    if (named.length > 0) {
      await this.optimizer.setWeights(named);
      // setWeights wraps each moment in a new variable; the loaded tensors themselves are not kept.
      tf.dispose(named.map((n) => n.tensor));
    }
    const [b1, b2] = meta.accBeta;
    tf.tidy(() => {
      this.adam.accBeta1.assign(tf.scalar(b1));
      this.adam.accBeta2.assign(tf.scalar(b2));
    });
    this.learningRate = learningRate;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
