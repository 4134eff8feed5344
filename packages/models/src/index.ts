export { HIERARCHICAL_DEFAULTS, MODEL_DEFAULTS, SINGLE_LEVEL_DEFAULTS } from './defaults';
export {
  type EmaQuantizerFactoryOptions,
  type EmaQuantizerOptions,
  emaQuantizerFactory,
} from './ema-quantizer-factory';
export { ModelsError } from './errors';
export { HierarchicalVQVAE, type HierarchicalVQVAEOptions } from './hierarchical-vqvae';
export {
  loadModel,
  MODEL_FILE_FORMAT,
  MODEL_FILE_KEY,
  type ModelFileHeader,
  saveModel,
} from './model-file';
export type { VQVAEOptions } from './model-options';
export {
  decodeModelState,
  type EncodedModelState,
  encodeModelState,
  modelStateProblems,
  QUANTIZER_PREFIX,
  WEIGHT_PREFIX,
} from './model-state';
export { SingleLevelVQVAE, type SingleLevelVQVAEOptions } from './single-level-vqvae';
export { decodeState, encodeState, type StateSkeleton } from './state-codec';
export { type TrainStepResult, vqvaeTrainStep } from './train-step';
export type {
  LevelInfo,
  LevelName,
  LevelQuantizer,
  PerLevel,
  QuantizerFactory,
  QuantizerLevel,
  VQVAE,
  VQVAEForwardOptions,
  VQVAELoss,
  VQVAEOutput,
} from './types';
export { vqvaeLoss } from './vqvae-loss';
