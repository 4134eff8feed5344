export { CHECKPOINT_FORMAT, type CheckpointMeta, listCheckpoints } from './checkpoint/store';
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
  type EvaluateOptions,
  evaluateRun,
  type LevelMetrics,
  METRICS_SCHEMA,
  type MeanStd,
  type RunMetrics,
} from './eval/evaluate';
export { formatProgress, ProgressDisplay, type ProgressSnapshot } from './progress';
export {
  type LogRecord,
  RunLog,
  readLog,
  runPaths,
  writeFileAtomic,
  writeJsonAtomic,
} from './run-dir';
export {
  BACKEND_CHOICES,
  type BackendChoice,
  ensureBackend,
  nearestCodeSearch,
  parseBackend,
} from './train/backend';
export { createModel, modelOptions } from './train/create-model';
export { DEMO_DATA, demoAssetsDir } from './train/data';
export { type DryRunReport, type DryRunSide, dryRun, formatDryRun } from './train/dry-run';
export { type TrainOptions, type TrainSummary, trainRun } from './train/train-run';
