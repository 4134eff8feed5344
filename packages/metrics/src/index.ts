export {
  CodeUsageAccumulator,
  ReconstructionAccumulator,
  type ReconstructionBatch,
  type ReconstructionSummary,
} from './accumulators';
export { MetricsError } from './errors';
export {
  type CountedLevel,
  entropyRate,
  type IndexLevel,
  indexRate,
  type Rate,
  type RateOptions,
} from './rate';
export {
  gaussianWindow,
  mse,
  msePerImage,
  type PsnrOptions,
  psnr,
  psnrFromMse,
  psnrPerImage,
  type ReconstructionOptions,
  type ReconstructionValues,
  reconstructionMetrics,
  type SsimMode,
  type SsimOptions,
  ssim,
  ssimPerImage,
} from './reconstruction';
export { MeanStdAccumulator, type SummaryOptions, type SummaryStats, summarize } from './stats';
export {
  type ActivityOptions,
  activeCodes,
  codeCounts,
  DEAD_CODE_THRESHOLD,
  deadCodeThreshold,
  deadFraction,
  type EntropyOptions,
  entropy,
  gini,
  type LorenzCurve,
  lorenzCurve,
  normalizedPerplexity,
  perplexity,
  topKShare,
  type UsageSummary,
  type UsageSummaryOptions,
  usageSummary,
} from './usage';
export { deadFractionTensor, perplexityTensor } from './usage-tensor';
export type { Counts } from './validate';
