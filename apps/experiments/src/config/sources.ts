/**
 * Where every hyperparameter of the study comes from: the paper (section and quote), the authors'
 * released code (github.com/wiskott-lab/single-vs-hier-recon), or a vqkit choice with its reason.
 * One list, rendered as the table in the app README (`vqkit config --sources paper`) and in every
 * report's "Setup" section (with the values the runs used).
 */

import { UNSET_DATA } from './resolve';

/** Where one value comes from. */
export type Source =
  | { kind: 'paper'; section: string; quote: string }
  | { kind: 'authors-code'; where: string }
  | { kind: 'vqkit'; reason: string };

/** One row of the table. */
export interface Hyperparameter {
  /** What it is, in the paper's words where it has them. */
  name: string;
  /** Config key path whose value the row shows, or null for a value fixed in code. */
  key: string | null;
  /** The value when `key` is null (fixed in code). */
  fixed?: string;
  /**
   * The value the given runs used, when one config key does not say it all (null: none of them
   * tells; the key's values or `fixed` are shown instead).
   */
  derive?: (configs: readonly unknown[], facts: SetupFacts) => string | null;
  source: Source;
}

/** What finished runs recorded besides their configs (metrics.json), for the rows configs cannot fill. */
export interface SetupFacts {
  /** Per evaluated run: the split and source it was evaluated on, and how its checkpoint was chosen. */
  evaluations?: readonly EvaluationFact[];
  /** The configs of the runs Figure 2 draws (when a report drew it). */
  figure2?: readonly unknown[];
}

/** One run's evaluation, as metrics.json records it. */
export interface EvaluationFact {
  /** `test` (data.test), `val` (data.val: no data.test), or `custom` (eval --data). */
  split: string;
  /** The folder, or `'demo'`. */
  source: string;
  /** `last`, `best` or `file` (eval --checkpoint). */
  checkpoint: string;
}

const paper = (section: string, quote: string): Source => ({ kind: 'paper', section, quote });
const authors = (where: string): Source => ({ kind: 'authors-code', where });
const vqkit = (reason: string): Source => ({ kind: 'vqkit', reason });

const RESIZED = 'All models are trained and evaluated on ImageNet with images resized to 256×256';

/** Every hyperparameter of a run of the study, in the order the table prints them. */
export const HYPERPARAMETER_SOURCES: readonly Hyperparameter[] = Object.freeze([
  { name: 'training images', key: 'data.train', source: paper('§4', RESIZED) },
  {
    name: 'validation images (per-epoch validation, the `best` checkpoint)',
    key: 'data.val',
    source: vqkit(
      'the paper describes no validation during training or model selection; vqkit validates every epoch on data.val (data.valImages of them) to log progress and mark the lowest-MSE checkpoint, which evaluation uses only when asked (eval --checkpoint best)',
    ),
  },
  {
    name: 'evaluation images (what Table 1 and the figures report)',
    key: 'data.test',
    derive: (c, facts) => evaluatedImages(c, facts),
    source: paper(
      '§4.2, Table 1',
      'report PSNR and MSE averaged over the ImageNet validation set … Metrics are reported as mean ± std on the ImageNet validation set',
    ),
  },
  {
    name: 'checkpoint evaluated',
    key: null,
    fixed: 'last (the model at the end of training; eval --checkpoint best or a file to change it)',
    derive: (_, facts) => {
      const chosen = [...new Set((facts.evaluations ?? []).map((e) => e.checkpoint))];
      return chosen.length === 0 ? null : chosen.join(', ');
    },
    source: vqkit(
      'the paper reports the trained model ("Training is run for 300 epochs", §4) and describes no checkpoint selection; `vqkit eval` evaluates the last checkpoint unless --checkpoint says otherwise',
    ),
  },
  { name: 'image side S', key: 'data.size', source: paper('§4', RESIZED) },
  {
    name: 'image → sample',
    key: 'data.transform',
    derive: (c) => samplesOf(c),
    source: paper('§4', RESIZED),
  },
  {
    name: 'horizontal flips',
    key: 'data.flip',
    source: vqkit('the paper names no augmentation, so none is applied'),
  },
  {
    name: 'pixel range',
    key: 'data.range',
    source: vqkit('not stated in the paper; [0, 1] makes PSNR’s peak value 1'),
  },
  {
    name: 'Cs (single-level latent channels)',
    key: 'model.single.channels',
    source: paper('§4', 'The single-level model uses … Hs × Ws = 64 × 64 and Cs = 160'),
  },
  {
    name: 'Ch (hierarchical latent channels, both levels)',
    key: 'model.hierarchical.channels',
    source: paper('§4', 'Ch = 128 at both levels'),
  },
  {
    name: 'encoder downsampling (256 → 64)',
    key: 'model.downsample',
    source: paper('§4', 'resolutions Hb × Wb = 64 × 64, Ht × Wt = 32 × 32'),
  },
  {
    name: 'top-level downsampling (64 → 32)',
    key: 'model.topDownsample',
    source: paper('§4', 'resolutions Hb × Wb = 64 × 64, Ht × Wt = 32 × 32'),
  },
  {
    name: 'Ks (single-level codebook size)',
    key: 'model.single.codebookSize',
    source: paper('§4.3', 'we fix the codebook size to Ks = 8192 for the single-level model'),
  },
  {
    name: 'Kh (per level)',
    key: 'model.hierarchical.codebookSize',
    source: paper('§4.3', '2Kh = 8192 for the hierarchical model'),
  },
  {
    name: 'Ds = Dh (code dimension)',
    key: 'model.single.codeDim',
    source: paper('§4.3', 'we fix the code vector dimensionality to Ds = Dh = 8'),
  },
  {
    name: 'budget matching',
    key: 'model.match',
    source: paper('§3.2', 'HsWsCs = HbWbCh + HtWtCh (4) … KsDs = 2KhDh (5)'),
  },
  {
    name: 'conditioned bottom encoder',
    key: 'model.hierarchical.conditioned',
    source: paper('§3.1', 'We therefore report results for the unconditioned hierarchical model'),
  },
  {
    name: 'residual blocks per encoder/decoder',
    key: 'model.resBlocks',
    source: authors('vqvae/utils.py: n_res_block=2 (the paper does not state it)'),
  },
  {
    name: 'residual block width R',
    key: 'model.resChannels',
    source: authors(
      'vqvae/utils.py: n_res_channel = latent_channel // 2, i.e. 80 / 64 (the paper does not state it)',
    ),
  },
  {
    name: 'loss',
    key: null,
    fixed: '‖x − x̂‖² + β‖z_e − sg(z_q)‖²',
    source: paper('§3.1, eq. 3', 'L = ‖x − x̂‖²₂ + β‖z_e − sg(z_q)‖²₂'),
  },
  {
    name: 'gradient through the quantizer',
    key: null,
    fixed: 'straight-through',
    source: paper('§3.1', 'we combine the straight-through estimator with EMA codebook updates'),
  },
  {
    name: 'quantizer family',
    key: 'quantizer.kind',
    source: paper('§3.1', 'we combine the straight-through estimator with EMA codebook updates'),
  },
  {
    name: 'β (commitment weight)',
    key: 'quantizer.commitmentWeight',
    source: authors('configs/flat.yaml, hier.yaml: beta: 0.25 (eq. 3 names β without a value)'),
  },
  {
    name: 'EMA decay γ',
    key: 'quantizer.decay',
    source: authors('configs/flat.yaml, hier.yaml: decay: 0.99 (the paper says only "EMA")'),
  },
  {
    name: 'EMA Laplace smoothing ε',
    key: 'quantizer.epsilon',
    source: authors('vector-quantize-pytorch as vendored there: eps = 1e-5'),
  },
  {
    name: 'codebook initialisation',
    key: 'quantizer.init',
    source: paper(
      '§3.3',
      'Codebook vectors are initialized from encoder outputs on randomly selected training samples',
    ),
  },
  {
    name: 'dead-code reset',
    key: 'quantizer.reset',
    source: paper(
      '§4.1',
      'inactive codebook vectors are detected when their assignment count stays below a threshold over a recent window of batches',
    ),
  },
  {
    name: 'reset threshold',
    key: 'quantizer.resetThreshold',
    source: paper('§4.1', 'We sweep thresholds from 1 to 5 and find 2 to work best'),
  },
  {
    name: 'reset window (batches)',
    key: 'quantizer.resetWindow',
    source: paper('§4.1', 'The window size is fixed to 10 batches'),
  },
  {
    name: 'replacement of a dead code',
    key: 'quantizer.resetSource',
    source: vqkit(
      'the paper says "reset using an average from recently observed encoder outputs" (§4.1) without saying how many; vqkit averages 4 random recent outputs (the authors’ released code instead samples batch vectors, vector-quantize-pytorch’s threshold_ema_dead_code: `quantizer.reset: ema`)',
    ),
  },
  { name: 'epochs', key: 'train.epochs', source: paper('§4', 'Training is run for 300 epochs') },
  {
    name: 'batch size',
    key: 'train.batchSize',
    source: vqkit(
      'not stated in the paper; 16 fits both 256² models on one GPU. The authors’ released example configs use 128 (flat.yaml) and 256 (hier.yaml) per GPU',
    ),
  },
  {
    name: 'optimizer, learning rate',
    key: 'train.learningRate',
    source: paper('§4', 'Optimization uses Adam with learning rate 3×10⁻⁴'),
  },
  {
    name: 'learning-rate decay factor',
    key: 'train.lrDecay',
    source: paper('§4', 'and exponential decay factor 0.99'),
  },
  {
    name: 'unit of the decay',
    key: 'train.lrDecayEvery',
    source: vqkit(
      'not stated in the paper (the authors’ released train.py has no scheduler); per epoch gives 3e-4 · 0.99³⁰⁰ ≈ 1.5e-5 at the end, per step would reach 0 within a few thousand steps',
    ),
  },
  {
    name: 'Adam β₁, β₂',
    key: null,
    fixed: '0.9, 0.999',
    source: authors('train.py: optim.Adam(params, lr=cfg.lr), PyTorch’s defaults (tfjs’s too)'),
  },
  {
    name: 'Adam ε',
    key: null,
    fixed: '1e-7 (tfjs default)',
    source: vqkit(
      'not stated in the paper; the authors’ released code uses PyTorch’s 1e-8. tfjs’s default is kept',
    ),
  },
  {
    name: 'arithmetic',
    key: null,
    fixed: 'float32',
    source: vqkit(
      'not stated in the paper; the authors’ released code trains in mixed precision (torch.cuda.amp). float32 runs identically on every tfjs backend',
    ),
  },
  {
    name: 'seed',
    key: 'seed',
    source: vqkit('not stated in the paper (the authors’ released configs use 42)'),
  },
  {
    name: 'Figure 1: code dimensions of the ladder',
    key: null,
    fixed: '64 → 16 at constant K·D',
    derive: (c) => ladderDims(c),
    source: paper(
      '§4.1',
      'Reducing dimensionality from 64 to 16, while keeping the codebook budget constant by increasing the codebook size according to Equation 5',
    ),
  },
  {
    name: 'Figure 1: codebook sizes',
    key: null,
    fixed:
      'K·D of the base pair (paper preset: Kh 512 / Ks 1024 at D 64, Kh 2048 / Ks 4096 at D 16)',
    derive: (c) => ladderSizes(c),
    source: vqkit(
      'the paper does not state them; keeping the base pair’s budget Kh·Dh = 4096·8 makes the last rung the Table 1 budget',
    ),
  },
  {
    name: 'Figure 1: initialisation without intervention',
    key: null,
    fixed: 'random normal codebooks',
    derive: (c) => {
      const none = c.filter((x) => valueAt(x, 'tags.ladder') === 'none');
      return none.length === 0 ? null : `${valuesOf(none, 'quantizer.init').join(', ')} codebooks`;
    },
    source: vqkit('the paper does not state the baseline’s initialisation'),
  },
  {
    name: 'Figure 2: grid',
    key: null,
    fixed: 'Ks ∈ {1024, 2048, 4096, 8192} × Ds ∈ {8, 16, 32, 64, 128}',
    derive: (c, facts) => {
      const grid =
        facts.figure2 ??
        c.filter(
          (x) =>
            valueAt(x, 'architecture') === 'single' &&
            valueAt(x, 'tags.study') === 'sweep' &&
            valueAt(x, 'tags.ladder') === undefined,
        );
      if (grid.length === 0) return null;
      const set = (key: string) =>
        `{${[...new Set(grid.map((x) => Number(valueAt(x, key))))].sort((a, b) => a - b).join(', ')}}`;
      return `Ks ∈ ${set('model.single.codebookSize')} × Ds ∈ ${set('model.single.codeDim')}`;
    },
    source: paper(
      '§4.2',
      'a grid sweep over codebook size Ks ∈ {1024, 2048, 4096, 8192} and code vector dimension Ds ∈ {8, 16, 32, 64, 128}',
    ),
  },
]);

/**
 * `data.test = demo` / `data.val = /imagenet/val (no data.test)` / `--data /folder`: what the runs
 * were evaluated on (metrics.json), or for configs alone what `vqkit eval` would read.
 */
function evaluatedImages(configs: readonly unknown[], facts: SetupFacts): string | null {
  const named = (split: string, source: unknown) =>
    split === 'custom'
      ? `--data ${formatValue(source)}`
      : `data.${split} = ${formatValue(source)}${split === 'val' ? ' (no data.test)' : ''}`;
  const evaluated = facts.evaluations ?? [];
  const values =
    evaluated.length > 0
      ? evaluated.map((e) => named(e.split, e.source))
      : configs.map((c) =>
          valueAt(c, 'data.test') === undefined
            ? named('val', valueAt(c, 'data.val'))
            : named('test', valueAt(c, 'data.test')),
        );
  return values.length === 0 ? null : [...new Set(values)].join(', ');
}

/**
 * How the runs turn images into samples: data.transform (`resize`, …) for folders; for the bundled
 * photos random crops, at full resolution or of the photos resized to data.decodeShorterSide.
 */
function samplesOf(configs: readonly unknown[]): string | null {
  const demo = (c: unknown) => valueAt(c, 'data.train') === 'demo';
  const folders = valuesOf(
    configs.filter((c) => !demo(c)),
    'data.transform',
  );
  const scales = [
    ...new Set(
      configs.filter(demo).map((c) => {
        const side = valueAt(c, 'data.decodeShorterSide');
        return side === undefined ? 'full resolution' : `shorter side ${formatValue(side)} px`;
      }),
    ),
  ];
  const crops =
    scales.length === 0
      ? []
      : [`random crops of the bundled photos at ${scales.join(', ')} (not data.transform)`];
  const parts = [...folders, ...crops];
  return parts.length === 0 ? null : parts.join('; ');
}

/** The ladder runs among `configs`, by rung (tags.ladder). */
function ladderRuns(configs: readonly unknown[]): { upper: unknown[]; lower: unknown[] } {
  const rung = (c: unknown) => valueAt(c, 'tags.ladder');
  return {
    upper: configs.filter((c) => ['none', 'init', 'reset'].includes(String(rung(c)))),
    lower: configs.filter((c) => rung(c) === 'lowdim'),
  };
}

/** `16 → 8 at constant K·D` from the ladder runs, or null without them. */
function ladderDims(configs: readonly unknown[]): string | null {
  const { upper, lower } = ladderRuns(configs);
  if (upper.length === 0 && lower.length === 0) return null;
  const dims = (xs: unknown[]) => valuesOf(xs, 'model.hierarchical.codeDim').join(', ') || '—';
  return `${dims(upper)} → ${dims(lower)} at constant K·D`;
}

/** `Kh 64 / Ks 128 at D 16, Kh 128 / Ks 256 at D 8` from the ladder runs, or null without them. */
function ladderSizes(configs: readonly unknown[]): string | null {
  const { upper, lower } = ladderRuns(configs);
  const sizes = (xs: unknown[]) =>
    xs.length === 0
      ? null
      : `Kh ${valuesOf(xs, 'model.hierarchical.codebookSize').join(', ')} / Ks ${valuesOf(xs, 'model.single.codebookSize').join(', ')} at D ${valuesOf(xs, 'model.hierarchical.codeDim').join(', ')}`;
  const parts = [sizes(upper), sizes(lower)].filter((x): x is string => x !== null);
  return parts.length === 0 ? null : parts.join('; ');
}

/** `paper §4: "…"`, `authors' released code: …` or `vqkit choice: …`. */
export function formatSource(source: Source): string {
  switch (source.kind) {
    case 'paper':
      return `paper ${source.section}: “${source.quote}”`;
    case 'authors-code':
      return `authors’ released code: ${source.where}`;
    case 'vqkit':
      return `vqkit choice: ${source.reason}`;
  }
}

/** A config value as the table prints it (`3e-4`, `resize`, `false`). */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(not recorded)';
  if (value === UNSET_DATA) return 'your folder (not set)';
  if (typeof value === 'number') {
    if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential();
    return String(value);
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function valueAt(config: unknown, key: string): unknown {
  let node = config;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The distinct values `key` takes over `configs`, in first-seen order. */
export function valuesOf(configs: readonly unknown[], key: string): string[] {
  return [...new Set(configs.map((c) => formatValue(valueAt(c, key))))];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The hyperparameter table as Markdown: one row per {@link HYPERPARAMETER_SOURCES} entry, its
 * value(s) in `configs` (every distinct value, comma-separated) — or what `facts` about finished
 * runs say (which split and checkpoint were evaluated, Figure 2's runs) — and its source.
 */
export function hyperparameterTable(configs: readonly unknown[], facts: SetupFacts = {}): string {
  const lines = ['| Hyperparameter | Config key | Value | Source |', '| --- | --- | --- | --- |'];
  for (const h of HYPERPARAMETER_SOURCES) {
    const value =
      h.derive?.(configs, facts) ??
      (h.key !== null ? valuesOf(configs, h.key).join(', ') : (h.fixed ?? ''));
    lines.push(
      `| ${cell(h.name)} | ${h.key === null ? '—' : `\`${h.key}\``} | ${cell(value)} | ${cell(formatSource(h.source))} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
