import { FiniteScalarQuantizer, type Quantizer } from '@vqkit/quantizer';
import { inputError } from '../config/errors';
import {
  assertPairAllowed,
  type MatchReport,
  matchReport,
  PARAMS_TOLERANCE,
  paramsGap,
} from '../config/matching';
import { resolveConfig, unsetDataKeys } from '../config/resolve';
import type { RunConfig } from '../config/schema';
import { formatValue } from '../config/sources';
import { ensureBackend } from './backend';
import { createModel } from './create-model';
import { StageCountedResidual } from './stage-counts';

/** One side of the pair as {@link dryRun} built it. */
export interface DryRunSide {
  architecture: 'single' | 'hierarchical';
  channels: number;
  codebookSize: number;
  codeDim: number;
  /** Residual block width R actually built (`'half'` resolved). */
  resChannels: number;
  /** Trainable parameters (EMA codebooks are state, not counted), as `model.countParams()`. */
  params: number;
  /** The quantizer family of this side's levels (the other side of a non-VQ run is the VQ reference). */
  quantizer: string;
  /** Each quantised level at `data.size`: name, H × W, K, D and index bits H·W·bitsPerPosition. */
  levels: {
    name: string;
    height: number;
    width: number;
    codebookSize: number;
    codeDim: number;
    indexBits: number;
  }[];
  /** Σ over levels of H·W·bitsPerPosition (the family's: log₂K for VQ). */
  indexBitsPerImage: number;
}

/** What `vqkit train --dry-run` found. */
export interface DryRunReport {
  config: RunConfig;
  single: DryRunSide;
  hierarchical: DryRunSide;
  /** Eqs. 4–5 (or equal bits, `model.match`) check of the pair. */
  match: MatchReport;
  /** max/min − 1 of the two sides' trainable parameters. */
  paramsGap: number;
  /** Config keys that are not set (data folders): the dry run never reads data. */
  unset: string[];
}

async function buildSide(
  config: RunConfig,
  architecture: 'single' | 'hierarchical',
): Promise<DryRunSide> {
  const model = createModel(config, architecture);
  try {
    const side = config.model[architecture];
    const resChannels =
      config.model.resChannels === 'half'
        ? Math.floor(side.channels / 2)
        : config.model.resChannels;
    const levels = model.levels.map((l, i) => ({
      name: l.name,
      height: l.height,
      width: l.width,
      codebookSize: l.codebookSize,
      codeDim: l.codeDim,
      indexBits: l.height * l.width * model.quantizers[i]!.quantizer.bitsPerPosition,
    }));
    return {
      architecture,
      channels: side.channels,
      codebookSize: side.codebookSize,
      codeDim: side.codeDim,
      resChannels,
      quantizer: describeQuantizer(model.quantizers[0]!.quantizer),
      params: model.countParams(),
      levels,
      indexBitsPerImage: levels.reduce((a, l) => a + l.indexBits, 0),
    };
  } finally {
    model.dispose();
  }
}

/**
 * Builds both sides of the config's pair with @vqkit/models (on the cpu backend: nothing is trained)
 * and checks the pair, without reading data or touching a run directory — so a 300-epoch job can be
 * checked before it is launched (`vqkit train --config paper --dry-run` needs no ImageNet paths).
 */
export async function dryRun(config: RunConfig): Promise<DryRunReport> {
  await ensureBackend('cpu');
  const single = await buildSide(config, 'single');
  const hierarchical = await buildSide(config, 'hierarchical');
  return {
    config,
    single,
    hierarchical,
    match: matchReport(config),
    paramsGap: paramsGap(single.params, hierarchical.params),
    unset: unsetDataKeys(config),
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** `VQ`, `residual 2 × K 21`, `FSQ levels 8×8×7`, `LFQ 9 bits`. */
function describeQuantizer(q: Quantizer): string {
  if (q instanceof StageCountedResidual) return `residual ${q.depth} stages × K ${q.codebookSize}`;
  if (q instanceof FiniteScalarQuantizer) return `FSQ levels ${q.levels.join('×')}`;
  if (q.kind === 'lfq') return `LFQ ${q.codeDim} bits`;
  return q.kind === 'vq' ? 'VQ' : q.kind;
}

function sideLines(s: DryRunSide, trained: boolean): string[] {
  const name = s.architecture === 'single' ? 'single-level ' : 'hierarchical ';
  const k = s.architecture === 'single' ? `Ks ${s.codebookSize}` : `Kh ${s.codebookSize} per level`;
  return [
    `${name}${trained ? '(trained)' : '(the other side)'}: ${s.quantizer}, C ${s.channels}, R ${s.resChannels}, ${k}, D ${s.codeDim}`,
    `  trainable parameters: ${int(s.params)}`,
    ...s.levels.map(
      (l) =>
        `  ${l.name.padEnd(6)} latents ${l.height}×${l.width}, K ${l.codebookSize}, D ${l.codeDim}: ${int(l.indexBits)} index bits`,
    ),
    `  index bits per image: ${int(s.indexBitsPerImage)}`,
  ];
}

/** The dry run as the lines `vqkit train --dry-run` prints. */
export function formatDryRun(r: DryRunReport): string {
  const c = r.config;
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const eqs = r.match.mode === 'kd' ? 'eqs. 4–5' : 'eq. 4 + equal index bits';
  const lines = [
    `vqkit train --dry-run: ${c.name} (${c.architecture}), ${c.data.size}² images; nothing trained, no data read, no run directory written`,
    '',
    ...sideLines(r.single, c.architecture === 'single'),
    ...sideLines(r.hierarchical, c.architecture === 'hierarchical'),
    '',
    `matched pair (${eqs}): ${r.match.ok ? 'yes' : `NO — ${r.match.failures.join('; ')}`}`,
    `index-bit gap (hierarchical − single): ${int(r.match.bitGap.indexBits)} bits per image (${r.match.bitGap.bitsPerPixel.toFixed(4)} bits per pixel)`,
    `parameter gap: ${pct(r.paramsGap)}${r.paramsGap > PARAMS_TOLERANCE ? ` — more than ${pct(PARAMS_TOLERANCE)}: the sides differ in size, a confound the paper avoids` : ''}`,
    `schedule: ${c.train.epochs} epoch(s) of ${c.train.stepsPerEpoch === null ? 'one pass over data.train' : `${c.train.stepsPerEpoch} step(s)`} in batches of ${c.train.batchSize}; Adam lr ${formatValue(c.train.learningRate)}${c.train.lrDecayEvery === 'none' ? ', constant' : `, × ${c.train.lrDecay} per ${c.train.lrDecayEvery}`}`,
    `data: train ${c.data.train}, val ${c.data.val}, transform ${c.data.transform}, flip ${c.data.flip}`,
  ];
  if (r.unset.length > 0) {
    lines.push(
      `note: ${r.unset.join(' and ')} not set — needed to train (--set data.train=… --set data.val=…).`,
    );
  }
  if (!r.match.ok && !c.allowUnmatched) {
    lines.push(
      'training would refuse this pair: fix model.single / model.hierarchical or pass --allow-unmatched.',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `vqkit train --dry-run`: resolves `--config` (data folders optional), prints {@link formatDryRun}
 * on stdout, and refuses (exit 2) exactly when training would refuse the pair.
 */
export async function dryRunCommand(
  source: string | undefined,
  sets: readonly string[],
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<DryRunReport> {
  if (source === undefined) {
    throw inputError(
      'train --dry-run: pass --config <file|preset>; a dry run checks a config before it is trained (e.g. vqkit train --config paper --dry-run).',
    );
  }
  const report = await dryRun(resolveConfig(source, sets, { requireData: false }));
  write(formatDryRun(report));
  assertPairAllowed(report.config);
  return report;
}
