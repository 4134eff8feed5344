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
  type CapacityTerm,
  FAMILY_MATCH_DEFAULTS,
  type FamilyBudget,
  type FamilyMatch,
  type FamilyMatches,
  type FamilyMatchOptions,
  familyBitsPerPosition,
  familyBudget,
  familyCodeFactors,
  matchFamiliesToBits,
  matchFamiliesToHierarchical,
  matchFamiliesToSingle,
  type QuantizerFamilyConfig,
} from './families';
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
