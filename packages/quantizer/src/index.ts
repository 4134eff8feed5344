export { QuantizerError } from './errors';
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
  chunkedNearestCode,
  type NearestCodeSearch,
  type NearestCodeSearchOptions,
} from './nearest-code';
export type {
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
  type WindowedResetOptions,
  windowedDeadCodeReset,
} from './reset-policies';
export type { PolicyState, TensorData } from './state';
export { type CodeUsage, readUsage } from './stats';
export {
  type ForwardOptions,
  type QuantizerOutput,
  VectorQuantizer,
  type VectorQuantizerOptions,
  type VectorQuantizerState,
} from './vector-quantizer';
