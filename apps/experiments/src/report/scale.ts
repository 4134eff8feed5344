import { resolveConfig } from '../config/resolve';
import { DEMO_DATA } from '../train/data';
import type { ReportedConfig } from './metrics-file';

/** How one config key is compared with the paper preset and described when it differs. */
interface ScaleKey {
  key: string;
  /** How the differing values are named, e.g. `32², 64² images instead of 256²`. */
  describe: (values: string[], paper: string) => string;
}

/**
 * Keys that set the scale of a run (data, width, depth, schedule), as opposed to the variables the
 * study sweeps (K, D, interventions): runs that differ from the paper here are not comparable with its
 * numbers.
 */
const SCALE_KEYS: readonly ScaleKey[] = [
  {
    key: 'data.size',
    describe: (v, p) => `${v.map((x) => `${x}²`).join(', ')} images instead of ${p}²`,
  },
  {
    key: 'data.decodeShorterSide',
    describe: (v) => `crops of photos resized to shorter side ${v.join(', ')} px`,
  },
  { key: 'model.single.channels', describe: (v, p) => `Cs ${v.join(', ')} instead of ${p}` },
  { key: 'model.hierarchical.channels', describe: (v, p) => `Ch ${v.join(', ')} instead of ${p}` },
  {
    key: 'model.resBlocks',
    describe: (v, p) => `${v.join(', ')} residual block(s) instead of ${p}`,
  },
  {
    key: 'model.resChannels',
    describe: (v, p) => `residual width ${v.join(', ')} instead of ${p}`,
  },
  { key: 'train.epochs', describe: (v, p) => `${v.join(', ')} epochs instead of ${p}` },
  { key: 'train.stepsPerEpoch', describe: (v) => `${v.join(', ')} steps per epoch` },
  { key: 'data.cropsPerEpoch', describe: (v) => `epochs of ${v.join(', ')} crops` },
  { key: 'train.batchSize', describe: (v, p) => `batch ${v.join(', ')} instead of ${p}` },
  { key: 'train.learningRate', describe: (v, p) => `Adam lr ${v.join(', ')} instead of ${p}` },
  { key: 'train.lrDecay', describe: (v, p) => `lr decay ${v.join(', ')} instead of ${p}` },
  {
    key: 'train.lrDecayEvery',
    describe: (v, p) => `lr decay per ${v.join(', ')} instead of per ${p}`,
  },
  { key: 'data.transform', describe: (v, p) => `${v.join(', ')} instead of ${p}` },
  { key: 'data.flip', describe: (v) => `flips ${v.join(', ')}` },
];

function valueAt(config: unknown, key: string): string {
  let node = config;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return 'undefined';
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'number' && node !== 0 && Math.abs(node) < 1e-3
    ? node.toExponential()
    : String(node);
}

let paperConfig: unknown;

/**
 * How `configs` differ from the paper's setup in scale (data, image size, widths, schedule), or
 * null when they match it: `demo scale (bundled photos instead of ImageNet, 32², 64² images instead
 * of 256², …): not comparable with the paper's numbers`. Configs without a recorded value for a key
 * (older runs) are taken to use the schema default.
 */
export function scaleNote(configs: readonly ReportedConfig[]): string | null {
  if (configs.length === 0) return null;
  paperConfig ??= resolveConfig('paper', [], { requireData: false });
  const parts: string[] = [];
  const demo = configs.some((c) => c.data['train'] === DEMO_DATA);
  if (demo) parts.push('bundled photos instead of ImageNet');
  for (const { key, describe } of SCALE_KEYS) {
    const paper = valueAt(paperConfig, key);
    const values = [...new Set(configs.map((c) => valueAt(c, key)))].filter(
      (v) => v !== 'undefined',
    );
    if (values.some((v) => v !== paper)) parts.push(describe(values, paper));
  }
  if (parts.length === 0) return null;
  return `${demo ? 'demo scale' : 'not the paper’s scale'} (${parts.join('; ')}): not comparable with the paper’s numbers`;
}
