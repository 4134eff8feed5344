import { FINITE_SCALAR_QUANTIZER_DEFAULTS, LOOKUP_FREE_QUANTIZER_DEFAULTS } from '@vqkit/quantizer';
import type { RunConfig } from '../config/schema';

/** Bytes of one float32 value. */
const F32 = 4;

/** One part of a training run's memory: what it is, the config key that sizes it, its bytes. */
export interface MemoryPart {
  label: string;
  key: string;
  bytes: number;
}

/** What the trained side's quantizers hold: their state (all levels) and their largest tensors. */
export interface QuantizerMemory {
  state: MemoryPart;
  tensors: MemoryPart[];
}

/**
 * A lower bound of the quantizers' memory, per family: a VQ level holds its codebook, EMA sums and
 * counts and the reset window (`3·K·Dc + (3 + window)·K` floats), a residual level one such state
 * per stage (one if shared); FSQ and LFQ levels hold only usage counts over their implicit
 * codebooks (`(statsWindow + 2)·K` floats). The largest tensors: a K×Dc codebook and a chunk×K
 * distance block (codebook families), the statsWindow×K usage window (FSQ, LFQ), and LFQ's
 * entropyChunkSize×K block when set (otherwise the library bounds it).
 */
export function quantizerMemory(config: RunConfig, rows: number): QuantizerMemory {
  const side = config.architecture;
  const levels = side === 'hierarchical' ? 2 : 1;
  const { codebookSize: k, codeDim: d } = config.model[side];
  const q = config.quantizer;
  if (q.kind === 'fsq' || q.kind === 'lfq') {
    const window =
      q.kind === 'fsq'
        ? FINITE_SCALAR_QUANTIZER_DEFAULTS.statsWindow
        : LOOKUP_FREE_QUANTIZER_DEFAULTS.statsWindow;
    const key = q.kind === 'fsq' ? 'quantizer.levels' : `model.${side}.codeDim`;
    const tensors = [{ label: `a ${window} × ${k} usage window`, key, bytes: window * k * F32 }];
    if (q.kind === 'lfq' && q.entropyChunkSize !== undefined) {
      const r = Math.min(q.entropyChunkSize, rows);
      tensors.push({
        label: `a ${r} × ${k} block of code probabilities`,
        key: 'quantizer.entropyChunkSize',
        bytes: r * k * F32,
      });
    }
    const bytes = levels * (window + 2) * k * F32;
    return { state: { label: `usage counts of ${levels} level(s)`, key, bytes }, tensors };
  }
  const dc = q.codebookDim ?? d;
  const books = q.kind === 'residual' && !q.sharedCodebook ? q.depth : 1;
  const chunkRows = Math.min(q.chunkSize, rows);
  return {
    state: {
      label: `codebook state of ${levels} level(s)${books > 1 ? ` × ${books} stages` : ''}`,
      key: `model.${side}.codebookSize`,
      bytes: levels * books * (3 * k * dc + (3 + q.resetWindow) * k) * F32,
    },
    tensors: [
      { label: `a ${k} × ${dc} codebook`, key: `model.${side}.codebookSize`, bytes: k * dc * F32 },
      {
        label: `a ${chunkRows} × ${k} block of code distances`,
        key: 'quantizer.chunkSize',
        bytes: chunkRows * k * F32,
      },
    ],
  };
}
