import type { HierarchicalConfig } from './types';

/**
 * The paper's hierarchical reference configuration (§4): Hb×Wb = 64×64, Ht×Wt = 32×32, Ch = 128,
 * Kh = 4096, Dh = 8. Matched by eqs. 4–5 to Hs×Ws = 64×64, Cs = 160, Ks = 8192, Ds = 8.
 */
export const PAPER_HIERARCHICAL: Readonly<HierarchicalConfig> = Object.freeze({
  bottom: Object.freeze({ height: 64, width: 64 }),
  top: Object.freeze({ height: 32, width: 32 }),
  channels: 128,
  codebookSize: 4096,
  codeDim: 8,
});
