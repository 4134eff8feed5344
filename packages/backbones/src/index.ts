export {
  type Backbone,
  type BackboneKind,
  createDecoder,
  createEncoder,
  createProjection,
  createTopDecoder,
  createUpsampler,
  type DecoderOptions,
  type EncoderOptions,
  mergeVariables,
  type ProjectionOptions,
  type Seed,
  type TopDecoderOptions,
  type UpsamplerOptions,
  type VariableContainer,
} from './backbone';
export { crc32, crc32Hex } from './crc32';
export { BackbonesError } from './errors';
export {
  type HierarchicalParamCounts,
  type SingleLevelParamCounts,
  type VqvaeParamCountOptions,
  vqvaeParamCounts,
} from './param-counts';
export { DEFAULT_RES_BLOCKS, DEFAULT_RES_CHANNELS, type ResChannels } from './plan';
export {
  CHECKSUM_KEYS,
  type DecodeSafetensorsOptions,
  decodeSafetensors,
  type EncodeSafetensorsOptions,
  encodeSafetensors,
  type SafetensorsData,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsTensor,
} from './safetensors';
export {
  type CheckTensorsOptions,
  checkTensors,
  type NonFiniteCount,
  nonFiniteCount,
  type TensorSpec,
  tensorProblems,
} from './tensor-checks';
export { type LoadWeightsOptions, loadWeights, saveWeights } from './weights';
