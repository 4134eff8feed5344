export {
  checkpointPath,
  DamagedCheckpointError,
  type LoadedCheckpoint,
  readCheckpoint,
} from './checkpoint/file';
export { CHECKPOINT_FORMAT, type CheckpointMeta, checkpointMetaSchema } from './checkpoint/meta';
export { type CheckpointChoice, type SelectedBy, selectCheckpoint } from './checkpoint/select';
export {
  type CheckpointEntry,
  type DamagedEntry,
  listCheckpoints,
  scanCheckpoints,
} from './checkpoint/store';
export { addBackendOption, collectSets } from './config/cli-options';
export { ExperimentsError, inputError, runtimeError } from './config/errors';
export { assertPairAllowed, latentSizes, type MatchReport, matchReport } from './config/matching';
export { isPresetName, PRESETS, type PresetName } from './config/presets';
export {
  applySet,
  type ResolveOptions,
  resolveConfig,
  UNSET_DATA,
  unsetDataKeys,
} from './config/resolve';
export { type RunConfig, type RunConfigInput, runConfigSchema } from './config/schema';
export {
  formatSource,
  HYPERPARAMETER_SOURCES,
  type Hyperparameter,
  hyperparameterTable,
  type Source,
} from './config/sources';
export {
  type EvalSplit,
  type EvaluateOptions,
  evaluateRun,
  type LevelMetrics,
  METRICS_SCHEMA,
  type MeanStd,
  type RunMetrics,
} from './eval/evaluate';
export { SIGNAL_EXIT_CODES, withInterrupt } from './interrupt';
export { formatProgress, ProgressDisplay, type ProgressSnapshot } from './progress';
export {
  type LogRecord,
  RunLog,
  readLog,
  runPaths,
  writeFileAtomic,
  writeJsonAtomic,
} from './run-dir';
export { acquireRunLock, type LockInfo, type RunLock } from './run-lock';
export {
  BACKEND_CHOICES,
  type BackendChoice,
  ensureBackend,
  nearestCodeSearch,
  parseBackend,
} from './train/backend';
export { createModel, modelOptions } from './train/create-model';
export { DEMO_DATA, DEMO_REGIONS, demoAssetsDir, type Split } from './train/data';
export { type DryRunReport, type DryRunSide, dryRun, formatDryRun } from './train/dry-run';
export { learningRateAt } from './train/lr-schedule';
export { assertTrainingMemory, type MemoryNeed, trainingMemory } from './train/memory-estimate';
export { type TrainOptions, type TrainSummary, trainRun } from './train/train-run';
export { Trainer, type TrainerParts, type TrainerState } from './train/trainer';
