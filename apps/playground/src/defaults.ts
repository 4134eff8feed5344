/**
 * Every default of the playground, defined once, with where it comes from. The paper's values
 * (Reyhanian & Wiskott §4) are for 256×256 ImageNet crops on a GPU; a browser tab training on one
 * photo needs a model one to two orders of magnitude smaller, so the sizes below are vqkit
 * choices, each with its reason.
 */
export const PLAYGROUND_DEFAULTS = {
  /** Which side of the matched pair is trained. vqkit choice: the paper's reference (VQ-VAE-2) side. */
  architecture: 'hierarchical',
  /**
   * K of the trained model. vqkit choice: the paper's 4096 (hierarchical) is far more codes than one
   * photo's few hundred latent vectors per step can use; 256 keeps the usage plots readable.
   */
  codebookSize: 256,
  /** D of the trained model. Paper §4: Dh = Ds = 8. */
  codeDim: 8,
  /** D of the matched partner (eq. 5 then fixes its K). Paper §4: the same D on both sides. */
  partnerCodeDim: 8,
  /**
   * C: encoder output width. vqkit choice: the paper's Ch = 128 costs 16× the conv work of 32,
   * too slow for a step every few tens of milliseconds in a tab. A multiple of 4 so that the
   * single-level partner's Cs = 5/4·Ch (eq. 4 with a 2× coarser top) is an integer.
   */
  channels: 32,
  /** Residual blocks per encoder/decoder. Paper §4 (after VQ-VAE-2): 2. */
  resBlocks: 2,
  /** Bottom/single encoder downsampling. Paper §4: 4 (256 → 64). Fixed on the page. */
  downsample: 4,
  /** Top encoder downsampling on the bottom features. Paper §4: 2 (64 → 32). Fixed on the page. */
  topDownsample: 2,
  /** S: side of the square training crops. vqkit choice: 64 gives a 16×16 bottom and 8×8 top map. */
  cropSize: 64,
  /** Short side the photo is scaled down to before cropping. vqkit choice: 128 px, 4–6 tiles of 64. */
  imageSide: 128,
  /** Crops per step. vqkit choice: 8 (the paper's 16 halved for a tab). */
  batchSize: 8,
  /**
   * Adam learning rate. vqkit choice: 2e-3, higher than the paper's 3e-4 so a few hundred steps on
   * one photo show a clear improvement (the paper trains for 300 epochs).
   */
  learningRate: 2e-3,
  /** Training steps of one run. vqkit choice: a few minutes on integrated graphics. */
  steps: 300,
  /** Evaluate the whole photo (PSNR, usage, pictures) every this many steps. vqkit choice. */
  evalEvery: 10,
  /** Codebook initialisation. @vqkit/quantizer's default (`initFromData`): encoder outputs of the first batch. */
  init: 'data',
  /** Dead-code reset. Paper §3.3: a code assigned < 2 times over 10 batches is reset (`windowedDeadCodeReset`). */
  reset: 'windowed',
  /**
   * Where a reset code's new vector comes from. Paper §3.3's wording, "the mean of recently observed
   * encoder outputs" (`'recent-mean'`), as in the experiments app; @vqkit/quantizer's own default is
   * one random recent output (`'random-recent'`).
   */
  resetSource: 'recent-mean',
  /** Reset threshold. Paper §3.3: 2. */
  resetThreshold: 2,
  /** Reset window in batches. Paper §3.3: 10. */
  resetWindow: 10,
  /** Commitment weight β (eq. 3). Paper §4 (after van den Oord et al.): 0.25. */
  commitmentWeight: 0.25,
  /** EMA decay γ. Paper §4: 0.99. */
  decay: 0.99,
  /** Seed of weights, crops, codebook init and resets. vqkit choice: 0. */
  seed: 0,
  /** Backend request. vqkit choice: the fastest the browser has (webgpu, then webgl, then cpu). */
  backend: 'auto',
} as const;

/** Pixel values fed to the model: [0, 1], data range 1 (the experiments app's default `'0,1'`). */
export const DATA_RANGE = { name: '0,1', low: 0, high: 1, span: 1 } as const;
