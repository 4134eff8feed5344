import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@vqkit/random';
import { QuantizerError } from './errors';
import { assignData, type TensorData, tensorData } from './state';

/** A trainable affine map `y = x·W + b`, `W` `[inDim, outDim]`, `b` `[outDim]`. */
export interface LinearProjection {
  readonly kernel: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1>;
}

/** Saved values of a {@link LinearProjection}. */
export interface LinearProjectionState {
  kernel: TensorData;
  bias: TensorData;
}

/**
 * A trainable projection initialised like PyTorch's `nn.Linear` (what vector-quantize-pytorch's
 * `project_in`/`project_out` use): kernel and bias uniform in `[−1/√inDim, 1/√inDim]`, drawn from
 * `rng` (kernel row-major first, then bias).
 */
export function createLinearProjection(rng: Rng, inDim: number, outDim: number): LinearProjection {
  const bound = 1 / Math.sqrt(inDim);
  const kernel = rng.fillUniform(new Float32Array(inDim * outDim), -bound, bound);
  const bias = rng.fillUniform(new Float32Array(outDim), -bound, bound);
  // tidy: the initial-value tensors are released; the variables keep their data.
  return {
    kernel: tf.tidy(() => tf.variable(tf.tensor2d(kernel, [inDim, outDim]), true)),
    bias: tf.tidy(() => tf.variable(tf.tensor1d(bias), true)),
  };
}

/** `x·W + b`: `[N, inDim]` → `[N, outDim]` (differentiable in x, W and b). */
export function applyLinearProjection(x: tf.Tensor2D, p: LinearProjection): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(x, p.kernel), p.bias) as tf.Tensor2D);
}

/** Reads a projection's values (async). */
export async function linearProjectionState(p: LinearProjection): Promise<LinearProjectionState> {
  return { kernel: await tensorData(p.kernel), bias: await tensorData(p.bias) };
}

/** Restores a projection's values; throws a `QuantizerError` naming `field` on a shape mismatch. */
export function setLinearProjectionState(
  fn: string,
  field: string,
  p: LinearProjection,
  state: LinearProjectionState | undefined,
): void {
  assignData(fn, `${field}.kernel`, p.kernel, state?.kernel);
  assignData(fn, `${field}.bias`, p.bias, state?.bias);
}

/**
 * The trainable in/out projections of a quantizer whose codes have `codebookDim` ≠ `codeDim`
 * (vector-quantize-pytorch's `project_in`/`project_out`): `projectIn` `[D, Dc]`, `projectOut`
 * `[Dc, D]`.
 */
export interface ProjectionPair {
  readonly projectIn: LinearProjection;
  readonly projectOut: LinearProjection;
}

/** Saved values of a {@link ProjectionPair} (a state's `projections` field). */
export interface ProjectionPairState {
  projectIn: LinearProjectionState;
  projectOut: LinearProjectionState;
}

/**
 * The projections between `codeDim` and `codebookDim`, drawn from `rng` (`projectIn` first), or
 * `null` when the two are equal (no projection).
 */
export function createProjectionPair(
  rng: Rng,
  codeDim: number,
  codebookDim: number,
): ProjectionPair | null {
  if (codebookDim === codeDim) return null;
  const projectIn = createLinearProjection(rng, codeDim, codebookDim);
  const projectOut = createLinearProjection(rng, codebookDim, codeDim);
  return { projectIn, projectOut };
}

/** The pair's variables by their stable names: `projectIn.kernel`, `projectIn.bias`, `projectOut.*`. */
export function projectionVariables(pair: ProjectionPair | null): Record<string, tf.Variable> {
  if (pair === null) return {};
  return {
    'projectIn.kernel': pair.projectIn.kernel,
    'projectIn.bias': pair.projectIn.bias,
    'projectOut.kernel': pair.projectOut.kernel,
    'projectOut.bias': pair.projectOut.bias,
  };
}

/** Reads the pair's values (async). */
export async function projectionPairState(pair: ProjectionPair): Promise<ProjectionPairState> {
  return {
    projectIn: await linearProjectionState(pair.projectIn),
    projectOut: await linearProjectionState(pair.projectOut),
  };
}

/**
 * Checks that a saved state has `projections` exactly when the quantizer projects.
 * @param has - how the message describes a quantizer that projects (e.g. `'projects 3 → 2'`).
 * @throws {@link QuantizerError} naming `fn`, what the state has and what the quantizer has.
 */
export function checkProjectionPresence(
  fn: string,
  pair: ProjectionPair | null,
  saved: ProjectionPairState | undefined,
  has: string,
): void {
  if ((saved !== undefined) !== (pair !== null)) {
    throw new QuantizerError(
      `${fn}: state ${saved === undefined ? 'has no' : 'has'} projections but this quantizer ${pair === null ? 'has none' : has}. Construct it with the saved codebookDim.`,
    );
  }
}

/** Restores a state's `projections` into `pair` (nothing without a pair; check presence first). */
export function setProjectionPairState(
  fn: string,
  pair: ProjectionPair | null,
  saved: ProjectionPairState | undefined,
): void {
  if (pair === null) return;
  setLinearProjectionState(fn, 'projections.projectIn', pair.projectIn, saved?.projectIn);
  setLinearProjectionState(fn, 'projections.projectOut', pair.projectOut, saved?.projectOut);
}

/** Frees the pair's variables. */
export function disposeProjectionPair(pair: ProjectionPair | null): void {
  if (pair !== null)
    tf.dispose([
      pair.projectIn.kernel,
      pair.projectIn.bias,
      pair.projectOut.kernel,
      pair.projectOut.bias,
    ]);
}
