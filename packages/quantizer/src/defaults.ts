/**
 * Every default of @vqkit/quantizer, defined once, with where it comes from. The experiments app
 * imports these instead of repeating the numbers. "Authors' code" is the paper's released
 * repository (wiskott-lab/single-vs-hier-recon, `configs/flat.yaml`, which wraps
 * vector-quantize-pytorch).
 */

/** Defaults of {@link VectorQuantizer} (also the per-stage defaults of the residual quantizer). */
export const VECTOR_QUANTIZER_DEFAULTS = Object.freeze({
  /** EMA decay γ. Authors' code (`decay: 0.99`); VQ-VAE-2's EMA, which the paper follows (§3). */
  decay: 0.99,
  /** Laplace smoothing ε of the EMA counts. vector-quantize-pytorch's `eps` (used by the authors' code) and Sonnet's `VectorQuantizerEMA`. */
  epsilon: 1e-5,
  /** Commitment weight β of eq. 3. Authors' code (`beta: 0.25`); VQ-VAE's value. */
  commitmentWeight: 0.25,
  /** Weight of the codebook loss ‖sg(z) − e‖² with `learning: 'gradient'`. VQ-VAE (van den Oord et al. 2017, eq. 3): unweighted. */
  codebookLossWeight: 1,
  /** Nearest-code distance. Paper eq. 2 (squared Euclidean). */
  distance: 'euclidean' as 'euclidean' | 'cosine',
  /** How the codebook learns. Paper §3 ("EMA codebook updates"). */
  learning: 'ema' as 'ema' | 'gradient',
  /** Gradient estimator from `quantized` to `z`. Paper §3 ("straight-through estimator"). */
  gradient: 'straight-through' as 'straight-through' | 'rotation',
  /** Rows of z per nearest-code chunk. vqkit choice: peak 4·4096·K bytes (128 MiB at K = 8192), far below WebGPU's 2 GiB binding limit. */
  chunkSize: 4096,
  /** Training batches summed by the window usage statistics. vqkit choice: the reset window (10), so logged usage covers what the reset rule judges. */
  statsWindow: 10,
  /** Seed of the quantizer's generator. vqkit choice. */
  seed: 0,
  /** Sonnet-style bias-corrected EMA. vqkit choice: off, as in VQ-VAE-2, vector-quantize-pytorch and the authors' code. */
  biasCorrection: false,
});

/**
 * Defaults of `windowedDeadCodeReset`, the paper's periodic dead-code reset (§4: "inactive
 * codebook vectors are detected when their assignment count stays below a threshold over a recent
 * window of batches ... reset using an average from recently observed encoder outputs").
 */
export const WINDOWED_RESET_DEFAULTS = Object.freeze({
  /** Dead when the window's count is below this. Paper §4 ("We sweep thresholds from 1 to 5 and find 2 to work best"). */
  threshold: 2,
  /** Batches in the window. Paper §4 ("The window size is fixed to 10 batches"). */
  window: 10,
  /** Replacement vector. vqkit's reading of the paper's wording "an average from recently observed encoder outputs": the mean of `groupSize` random recent outputs. */
  source: 'recent-mean' as 'recent-mean' | 'random-recent',
  /** Rows kept of recent encoder outputs. vqkit choice (about `window` batches of outputs; the paper does not say). */
  bufferSize: 4096,
  /** Recent outputs averaged per reset code with `source: 'recent-mean'`. vqkit choice (the paper does not say how many). */
  groupSize: 4,
});

/** Defaults of `emaDeadCodeReset` (vector-quantize-pytorch's `threshold_ema_dead_code` rule). */
export const EMA_RESET_DEFAULTS = Object.freeze({
  /** Dead when the EMA count N_k is below this. Authors' code (`threshold_dead: 2`); vector-quantize-pytorch's `Codebook` default. */
  threshold: 2,
});

/** Defaults of `initKMeans`. */
export const KMEANS_INIT_DEFAULTS = Object.freeze({
  /** Lloyd iterations. vector-quantize-pytorch's `kmeans_iters`. */
  iterations: 10,
  /** Vectors clustered at most. vqkit choice (bounds the K sequential seeding steps' cost). */
  maxSamples: 16384,
});

/** Defaults of `initRandom`. */
export const RANDOM_INIT_DEFAULTS = Object.freeze({
  /** Mean of every code entry. vqkit choice (standard normal codes). */
  mean: 0,
  /** Standard deviation of every code entry. vqkit choice. */
  std: 1,
});

/** Defaults of {@link ResidualVectorQuantizer} beyond its stages' {@link VECTOR_QUANTIZER_DEFAULTS}. */
export const RESIDUAL_QUANTIZER_DEFAULTS = Object.freeze({
  /** One codebook per stage. vector-quantize-pytorch's `shared_codebook = False`. */
  sharedCodebook: false,
  /** Quantizer dropout (SoundStream). vector-quantize-pytorch's `quantize_dropout = False`. */
  quantizerDropout: false,
  /** Fewest stages kept by quantizer dropout. vector-quantize-pytorch's `quantize_dropout_cutoff_index = 0` (i.e. at least 1 stage). */
  quantizerDropoutMinDepth: 1,
});

/** Defaults of {@link FiniteScalarQuantizer}. */
export const FINITE_SCALAR_QUANTIZER_DEFAULTS = Object.freeze({
  /** ε of the tanh bound `half_l = (L − 1)(1 + ε)/2`. vector-quantize-pytorch's `bound(eps = 1e-3)`; the FSQ paper's listing uses 1e-3 too. */
  boundEpsilon: 1e-3,
  /** Training batches summed by the window usage statistics. vqkit choice, as for the VQ. */
  statsWindow: 10,
});

/** Defaults of {@link LookupFreeQuantizer}. */
export const LOOKUP_FREE_QUANTIZER_DEFAULTS = Object.freeze({
  /** Weight of the entropy loss. vector-quantize-pytorch's `entropy_loss_weight = 0.1` (MAGVIT-v2 also uses 0.1). */
  entropyWeight: 0.1,
  /** Weight of the commitment loss β·mean‖z − sg(q)‖². VQ-VAE's 0.25 (MAGVIT-v2); vector-quantize-pytorch defaults to 0 today. */
  commitmentWeight: 0.25,
  /** γ in `H_sample − γ·H_batch`. vector-quantize-pytorch's `diversity_gamma = 1`. */
  diversityGamma: 1,
  /** 1/τ of the code distribution softmax(−‖z − c‖²/τ) used by the entropy loss. vector-quantize-pytorch's `inv_temperature = 100`. */
  inverseTemperature: 100,
  /** Training batches summed by the window usage statistics. vqkit choice, as for the VQ. */
  statsWindow: 10,
});
