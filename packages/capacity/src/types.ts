/** A latent map's spatial size (positions = height · width). */
export interface SpatialSize {
  /** H, in latent positions. */
  height: number;
  /** W, in latent positions. */
  width: number;
}

/**
 * A single-level VQ-VAE's latent configuration: an Hs×Ws×Cs encoder output, projected to Ds and
 * quantised with one codebook of Ks entries.
 */
export interface SingleLevelConfig {
  /** Hs. */
  height: number;
  /** Ws. */
  width: number;
  /** Cs: encoder output width before the 1×1 projection into the Ds-dimensional quantisation space. */
  channels: number;
  /** Ks: number of code vectors. */
  codebookSize: number;
  /** Ds: dimension of each code vector. */
  codeDim: number;
}

/**
 * A two-level hierarchical VQ-VAE (VQ-VAE-2 style): a bottom map Hb×Wb×Ch and a coarser top map
 * Ht×Wt×Ch, each quantised with its own codebook of the same size Kh and dimension Dh.
 */
export interface HierarchicalConfig {
  /** Hb×Wb, the finer level. */
  bottom: SpatialSize;
  /** Ht×Wt, the coarser level (strictly fewer positions, neither side larger than the bottom's). */
  top: SpatialSize;
  /** Ch: encoder output width of both levels. */
  channels: number;
  /** Kh: codebook size of each level. */
  codebookSize: number;
  /** Dh: code dimension of each level. */
  codeDim: number;
}

/** How two architectures are matched. */
export type MatchMode =
  /** Eqs. 4–5 of the paper: equal continuous budget H·W·C and equal discrete budget K·D. */
  | 'kd'
  /** Eq. 4 plus equal index bits per image Σ H·W·log2 K (instead of eq. 5). */
  | 'bits';
