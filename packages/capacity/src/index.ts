export {
  type Budget,
  type BudgetOptions,
  hierarchicalBudget,
  type LevelBudget,
  singleLevelBudget,
} from './budget';
export {
  type CodebookPair,
  enumerateMatchedPairs,
  type IntegerRange,
  type MatchRanges,
} from './enumerate';
export { type CapacityAlternative, CapacityError, type CapacityErrorCode } from './errors';
export {
  assertMatched,
  type BudgetGap,
  checkMatched,
  type EquationCheck,
  type MatchCheck,
  type MatchedPair,
  type MatchHierarchicalOptions,
  type MatchSingleOptions,
  matchHierarchicalToSingle,
  matchSingleToHierarchical,
} from './match';
export { PAPER_HIERARCHICAL } from './paper';
export type { HierarchicalConfig, MatchMode, SingleLevelConfig, SpatialSize } from './types';
