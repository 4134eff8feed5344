import type { VQVAE } from '@vqkit/models';
import { usageStages } from './stage-counts';

/** What one level's quantizer is, as the metrics report it: family, index bits, what its counts count. */
export interface LevelUsageInfo {
  /** The quantizer family (`vq`, `residual`, `fsq`, `lfq`, or a third party's kind). */
  kind: string;
  /** Index bits of one latent position: the family's `bitsPerPosition` (log₂K, depth·log₂K, Σ log₂ Lᵢ, D). */
  bitsPerPosition: number;
  /** Groups of `codebookSize` codes the counts hold: the residual depth (one group per stage), else 1. */
  stages: number;
  /** Length of the level's counts: stages · codebookSize. */
  codes: number;
  /** What the counts (and so perplexity, dead fraction, Gini, Lorenz curve) are taken over, in words. */
  usageOver: string;
}

/**
 * Per level (model.levels order), what its usage counts cover: a VQ's K codebook vectors; FSQ's
 * ∏ Lᵢ and LFQ's 2^D implicit codes (every code of the implicit codebook is counted, so usage is
 * comparable with a VQ's); a residual quantizer's depth × K stage codes (each stage's codebook
 * counted on its own, so perplexity is over depth·K entries and the entropy rate sums the stages').
 */
export function levelUsage(model: VQVAE): LevelUsageInfo[] {
  return model.quantizers.map(({ quantizer: q }) => {
    const stages = usageStages(q);
    const k = q.codebookSize;
    const usageOver =
      q.kind === 'residual'
        ? `${stages} stages × ${k} codes (each stage's codebook counted on its own)`
        : q.kind === 'fsq'
          ? `${k} implicit codes (∏ levels)`
          : q.kind === 'lfq'
            ? `${k} implicit codes (2^${q.codeDim})`
            : `${k} codebook vectors`;
    return {
      kind: q.kind,
      bitsPerPosition: q.bitsPerPosition,
      stages,
      codes: stages * k,
      usageOver,
    };
  });
}
