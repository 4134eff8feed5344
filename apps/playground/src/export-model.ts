import { DATA_RANGE } from './defaults';
import type { RunRecord } from './run-record';
import type { ModelOptions } from './vqvae';

/** Metadata key → value that marks a model file exported by the playground. */
export const MODEL_FORMAT = 'vqkit.playground-model/1';

/** The `__metadata__` entries the playground adds (each a JSON string except `playground.format`). */
export interface PlaygroundModelMetadata {
  'playground.format': typeof MODEL_FORMAT;
  /** JSON {@link ModelOptions}: architecture, C, K, D, downsampling, residual blocks, S, seed, quantizer. */
  'playground.model': string;
  /** JSON `{ "range": "0,1", "dataRange": 1, "inputSize": S }`: what pixel values the model was trained on. */
  'playground.data': string;
  /** JSON `{ backend, steps, status, psnr, perplexity, image }`: the run's final numbers (the rest is in run.json). */
  'playground.run': string;
}

/**
 * The metadata the playground stores in a model file next to @vqkit/models' own header
 * (`saveModel(model, playgroundMetadata(…))`): the model's options, the data range and the run's
 * final numbers, so `vqkit eval --checkpoint` can rebuild the model with the same options and
 * evaluate it on the right pixel range.
 */
export function playgroundMetadata(
  model: ModelOptions,
  run: Pick<RunRecord, 'backend' | 'steps' | 'status' | 'final' | 'image'>,
): PlaygroundModelMetadata {
  return {
    'playground.format': MODEL_FORMAT,
    'playground.model': JSON.stringify(model),
    'playground.data': JSON.stringify({
      range: DATA_RANGE.name,
      dataRange: DATA_RANGE.span,
      inputSize: model.inputSize,
    }),
    'playground.run': JSON.stringify({
      backend: run.backend,
      steps: run.steps.length,
      status: run.status,
      psnr: run.final?.psnr ?? null,
      perplexity: Object.fromEntries(
        Object.entries(run.final?.usage ?? {}).map(([level, u]) => [level, u.perplexity]),
      ),
      image: run.image,
    }),
  };
}
