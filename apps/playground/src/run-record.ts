import type { CapacitySummary } from './capacity-summary';
import type { PlaygroundOptions } from './options';

/** Format id of the exported run numbers (JSON). */
export const RUN_FORMAT = 'vqkit.playground-run/1';

/** One training step's losses (eq. 3), read back after the step. */
export interface StepRecord {
  /** Steps completed, 1-based. */
  step: number;
  /** ‖x − x̂‖² + Σ β‖z_e − sg(z_q)‖² over levels. */
  loss: number;
  /** ‖x − x̂‖² (mean over the batch's pixels and channels). */
  reconstruction: number;
  /** Σ over levels of β‖z_e − sg(z_q)‖². */
  commitment: number;
}

/** Code usage of one level over the steps since the previous evaluation. */
export interface LevelUsage {
  /** exp(entropy) of the assignment distribution (effective number of codes). */
  perplexity: number;
  /** Fraction of codes never assigned in the interval. */
  deadFraction: number;
  /** Assignments counted. */
  total: number;
}

/** The whole photo reconstructed at a step, and codebook usage since the previous evaluation. */
export interface EvalRecord {
  /** Steps completed when evaluated (0 = the untrained model). */
  step: number;
  /** PSNR in dB of the clipped reconstruction of the whole (scaled, cropped) photo, data range 1. */
  psnr: number;
  mse: number;
  /** Per level (`single`, or `bottom` and `top`). */
  usage: Record<string, LevelUsage>;
}

/** A dead-code reset reported by a level's quantizer. */
export interface ResetRecord {
  step: number;
  level: string;
  codesReset: number;
  policy: string;
}

/** Everything the page shows about a run, as exported (`run.json`). */
export interface RunRecord {
  format: typeof RUN_FORMAT;
  options: PlaygroundOptions;
  /** The backend that trained it (`webgpu`, `webgl` or `cpu`). */
  backend: string;
  image: { name: string; width: number; height: number; tilesX: number; tilesY: number };
  /** The trained model and its matched partner with bits per crop (see @vqkit/capacity). */
  capacity: {
    trained: CapacitySummary['trained'];
    partner: CapacitySummary['partner'];
    bitsPerImage: CapacitySummary['bitsPerImage'];
    bitsPerPixel: CapacitySummary['bitsPerPixel'];
  };
  /** Trainable parameters (backbones; EMA codebooks are state). */
  parameters: number;
  steps: StepRecord[];
  evals: EvalRecord[];
  resets: ResetRecord[];
  /** How the run ended. */
  status: 'finished' | 'stopped';
  /** The last evaluation (what the page shows when training ends). */
  final: EvalRecord | null;
}
