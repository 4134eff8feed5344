export {
  createQuantizer,
  type FiniteScalarQuantizerSpec,
  type InitSpec,
  initPolicyFromSpec,
  type LookupFreeQuantizerSpec,
  QUANTIZER_FAMILIES,
  type QuantizerFamily,
  type QuantizerRuntime,
  type QuantizerSpec,
  type ResetSpec,
  type ResidualQuantizerSpec,
  resetPolicyFromSpec,
  type VectorQuantizerSpec,
} from './create-quantizer';
export {
  EMA_RESET_DEFAULTS,
  FINITE_SCALAR_QUANTIZER_DEFAULTS,
  KMEANS_INIT_DEFAULTS,
  LOOKUP_FREE_QUANTIZER_DEFAULTS,
  RANDOM_INIT_DEFAULTS,
  RESIDUAL_QUANTIZER_DEFAULTS,
  VECTOR_QUANTIZER_DEFAULTS,
  WINDOWED_RESET_DEFAULTS,
} from './defaults';
export { QuantizerError } from './errors';
export {
  FiniteScalarQuantizer,
  type FiniteScalarQuantizerOptions,
  type FiniteScalarQuantizerOutput,
  type FiniteScalarQuantizerState,
} from './finite-scalar-quantizer';
export type { IndexInput, NestedIndices } from './indices';
export {
  type InitContext,
  type InitPolicy,
  initFromData,
  initFromTensor,
  initKMeans,
  initRandom,
  type KMeansInitOptions,
  type RandomInitOptions,
} from './init-policies';
export {
  LookupFreeQuantizer,
  type LookupFreeQuantizerOptions,
  type LookupFreeQuantizerOutput,
  type LookupFreeQuantizerState,
} from './lookup-free-quantizer';
export {
  chunkedNearestCode,
  type NearestCodeSearch,
  type NearestCodeSearchOptions,
} from './nearest-code';
export type {
  LiveState,
  QuantizeResult,
  Quantizer,
  QuantizerEvent,
  QuantizerForwardOptions,
} from './quantizer';
export {
  type EmaResetOptions,
  emaDeadCodeReset,
  noReset,
  type ResetContext,
  type ResetDecision,
  type ResetPolicy,
  type ResetPolicyInstance,
} from './reset-policies';
export {
  type ResidualQuantizerOutput,
  ResidualVectorQuantizer,
  type ResidualVectorQuantizerOptions,
  type ResidualVectorQuantizerState,
} from './residual-vector-quantizer';
export { l2Normalize, rotateTo, rotationTrickGradient, straightThrough } from './rotation-trick';
export type { PolicyState, TensorData } from './state';
export { type CodeUsage, readUsage } from './stats';
export type { UsageTrackerState } from './usage-tracker';
export { type ForwardOptions, type QuantizerOutput, VectorQuantizer } from './vector-quantizer';
export type { VectorQuantizerOptions } from './vector-quantizer-options';
export type { VectorQuantizerState } from './vector-quantizer-state';
export { type WindowedResetOptions, windowedDeadCodeReset } from './windowed-dead-code-reset';
