import type { RngState } from '@vqkit/random';
import { QuantizerError } from './errors';
import {
  checkProjectionPresence,
  type ProjectionPair,
  type ProjectionPairState,
} from './linear-projection';
import { checkCounter, type PolicyState, type TensorData } from './state';

/**
 * Everything that defines a quantizer, as plain data (typed arrays + numbers). Tensors are
 * {@link TensorData} `{ shape, data: Float32Array }` (row-major), ready for safetensors; for JSON
 * convert `data` with `Array.from`. Field shapes (Dc = codebook dimension): `codebook` `[K, Dc]`,
 * `emaCount` `[K]` (N), `emaSum` `[K, Dc]` (M), `lastCounts` `[K]`, `evalCounts` `[K]`,
 * `statsWindow` `[W, K]` (oldest first), plus the reset policy's buffers in `reset.tensors` and,
 * with `codebookDim ≠ codeDim`, the projections.
 */
export interface VectorQuantizerState {
  /** Format version, currently 1. */
  version: 1;
  codebookSize: number;
  codeDim: number;
  /** Training steps taken. */
  step: number;
  /** EMA updates since the last initialisation (the `t` of bias correction; batches rejected for
   * non-finite values do not count). */
  emaSteps: number;
  /** Whether the codebook has been initialised. */
  initialized: boolean;
  /** Whether it was saved with `biasCorrection` (then `emaCount`/`emaSum` are hidden accumulators). */
  biasCorrection: boolean;
  codebook: TensorData;
  emaCount: TensorData;
  emaSum: TensorData;
  lastCounts: TensorData;
  evalCounts: TensorData;
  statsWindow: TensorData;
  /** The quantizer's generator state. */
  rng: RngState;
  /** Reset policy state (`policy` is the policy's name). */
  reset: PolicyState;
  /** `projectIn` `[D, Dc]` / `projectOut` `[Dc, D]` values when `codebookDim ≠ codeDim`. */
  projections?: ProjectionPairState;
}

/** The host part of a {@link VectorQuantizer}'s `liveState()`. */
export interface VectorQuantizerHostState {
  step: number;
  initialized: boolean;
  rng: RngState;
  reset: Record<string, number>;
}

/** What a saved state must agree with: the options of the quantizer restoring it. */
export interface VectorQuantizerShape {
  codebookSize: number;
  codeDim: number;
  codebookDim: number;
  biasCorrection: boolean;
  projections: ProjectionPair | null;
}

/**
 * Checks everything of a {@link VectorQuantizerState} except its tensors (which are checked as they
 * are assigned): version, sizes, bias correction, projections, counters.
 * @throws {@link QuantizerError} naming `fn`, the first mismatch and the fix.
 */
export function checkVectorQuantizerState(
  fn: string,
  state: VectorQuantizerState,
  q: VectorQuantizerShape,
): void {
  if (state?.version !== 1) {
    throw new QuantizerError(
      `${fn}: expected a state with version 1 from getState(), got version ${state?.version}.`,
    );
  }
  if (state.codebookSize !== q.codebookSize || state.codeDim !== q.codeDim) {
    throw new QuantizerError(
      `${fn}: state is for codebookSize ${state.codebookSize}, codeDim ${state.codeDim}, but this quantizer has ${q.codebookSize}, ${q.codeDim}. Construct it with the saved sizes.`,
    );
  }
  if (state.biasCorrection !== q.biasCorrection) {
    throw new QuantizerError(
      `${fn}: state was saved with biasCorrection ${state.biasCorrection}, this quantizer has ${q.biasCorrection}. Construct it with the saved setting.`,
    );
  }
  const has = `projects ${q.codeDim} → ${q.codebookDim}`;
  checkProjectionPresence(fn, q.projections, state.projections, has);
  checkCounter(fn, 'step', state.step);
  checkCounter(fn, 'emaSteps', state.emaSteps);
}

/**
 * The host part of `liveState()` back from plain data.
 * @throws {@link QuantizerError} when `step` or `initialized` is missing or malformed.
 */
export function parseVectorQuantizerHost(fn: string, host: unknown): VectorQuantizerHostState {
  const h = host as Partial<VectorQuantizerHostState> | null;
  if (
    !Number.isInteger(h?.step) ||
    (h?.step as number) < 0 ||
    typeof h?.initialized !== 'boolean'
  ) {
    throw new QuantizerError(
      `${fn}: expected { step, initialized, rng, reset } from liveState().host, got ${JSON.stringify(host)}.`,
    );
  }
  return {
    step: h.step as number,
    initialized: h.initialized,
    rng: h.rng as RngState,
    reset: h.reset ?? {},
  };
}
