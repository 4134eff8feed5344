import * as tf from '@tensorflow/tfjs-core';
import type {
  CodeUsage,
  LiveState,
  QuantizeResult,
  Quantizer,
  QuantizerEvent,
  QuantizerForwardOptions,
  ResidualVectorQuantizer,
  ResidualVectorQuantizerState,
} from '@vqkit/quantizer';

/**
 * A residual quantizer whose `forward` reports its assignments per stage: `counts` is float32
 * `[depth·K]`, stage s's K codes at `[s·K, (s+1)·K)` (the flattened `stageCounts`; dropped stages
 * count nothing), so the app's usage metrics (perplexity, Lorenz curve, entropy per stage) cover
 * every stage's codebook. Everything else — state, checkpoints, events — is the wrapped
 * quantizer's, unchanged.
 */
export class StageCountedResidual implements Quantizer<ResidualVectorQuantizerState> {
  readonly kind = 'residual';
  readonly codeDim: number;
  /** K per stage (one index's range). */
  readonly codebookSize: number;
  readonly bitsPerPosition: number;
  /** Stages: the counts hold `depth` groups of K. */
  readonly depth: number;
  readonly variables: Readonly<Record<string, tf.Variable>>;

  constructor(readonly inner: ResidualVectorQuantizer) {
    this.codeDim = inner.codeDim;
    this.codebookSize = inner.codebookSize;
    this.bitsPerPosition = inner.bitsPerPosition;
    this.depth = inner.depth;
    this.variables = inner.variables;
  }

  /** The wrapped forward, with `counts` = the flattened per-stage counts `[depth·K]`. */
  forward(z: tf.Tensor, options?: QuantizerForwardOptions): QuantizeResult {
    return tf.tidy(() => {
      const out = this.inner.forward(z, options);
      return {
        quantized: out.quantized,
        indices: out.indices,
        loss: out.loss,
        counts: tf.reshape(out.stageCounts, [-1]) as tf.Tensor1D,
      };
    });
  }

  decode(indices: tf.Tensor): tf.Tensor {
    return this.inner.decode(indices);
  }

  usage(): Promise<CodeUsage> {
    return this.inner.usage();
  }

  flushEvents(): Promise<QuantizerEvent[]> {
    return this.inner.flushEvents();
  }

  getState(): Promise<ResidualVectorQuantizerState> {
    return this.inner.getState();
  }

  setState(state: ResidualVectorQuantizerState): void | Promise<void> {
    return this.inner.setState(state);
  }

  liveState(): LiveState {
    return this.inner.liveState();
  }

  setHostState(host: unknown): void {
    this.inner.setHostState(host);
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/** How many groups of `codebookSize` codes a level's counts hold: the residual depth, else 1. */
export function usageStages(q: Quantizer): number {
  return q instanceof StageCountedResidual ? q.depth : 1;
}
