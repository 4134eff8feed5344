/** One rung of Figure 1's ablation ladder. Each rung adds one intervention to the one before. */
export interface LadderRung {
  /** Tag value written to `tags.ladder` of every run of this rung. */
  id: 'none' | 'init' | 'reset' | 'lowdim';
  /** Axis label in Figure 1. */
  label: string;
  /** Codebook initialisation (`quantizer.init`). */
  init: 'random' | 'data';
  /** Dead-code reset (`quantizer.reset`). */
  reset: 'none' | 'windowed';
  /** Whether the code dimension is lowered at the same K·D (eq. 5 budget kept, K multiplied). */
  lowerDim: boolean;
}

/**
 * Figure 1's ladder (paper §4.1): (a) no intervention, (b) + initialisation from data,
 * (c) + periodic windowed reset of dead codes (threshold 2, window 10), (d) + lower code dimension
 * (64 → 16) at the same discrete budget K·D.
 */
export const LADDER: readonly LadderRung[] = [
  { id: 'none', label: 'no intervention', init: 'random', reset: 'none', lowerDim: false },
  { id: 'init', label: '+ init from data', init: 'data', reset: 'none', lowerDim: false },
  { id: 'reset', label: '+ periodic reset', init: 'data', reset: 'windowed', lowerDim: false },
  { id: 'lowdim', label: '+ lower dimension', init: 'data', reset: 'windowed', lowerDim: true },
];

/** Sort position of a `tags.ladder` value: known rungs in ladder order, unknown ones after. */
export function rungOrder(id: string): number {
  const i = LADDER.findIndex((r) => r.id === id);
  return i < 0 ? LADDER.length : i;
}

/** Display label of a `tags.ladder` value (the value itself when it is not a known rung). */
export function rungLabel(id: string): string {
  return LADDER.find((r) => r.id === id)?.label ?? id;
}
