import { vqvaeParamCounts } from '@vqkit/backbones';
import { inputError } from '../config/errors';
import type { RunConfig } from '../config/schema';
import { type MemoryPart, quantizerMemory } from './quantizer-memory';

/** Bytes of one float32 value. */
const F32 = 4;

export type { MemoryPart } from './quantizer-memory';

/**
 * The largest tensor vqkit lets a model allocate: 2 GiB, the most a WebGPU storage buffer can
 * bind (vqkit choice: the same limit on every backend, so a config that runs on cpu runs on
 * webgpu too; tfjs' cpu backend cannot hold a much larger typed array either).
 */
export const MAX_TENSOR_BYTES = 2 ** 31;

/** A lower bound of what training `config` holds in memory at once, and its largest tensor. */
export interface MemoryNeed {
  bytes: number;
  parts: MemoryPart[];
  /** The largest tensor, or the first one above {@link MAX_TENSOR_BYTES} (kernel, codebook, distances, features). */
  largestTensor: MemoryPart;
}

/**
 * A lower bound of the memory training the config's architecture needs, from the config alone
 * (nothing is allocated): weights, gradients and Adam's two moments (4 × P floats, P from
 * `vqvaeParamCounts`), each level's quantizer state (`quantizerMemory`: per family), the
 * quantizer's largest blocks, the input batch and the first feature map. The largest single tensor
 * is the biggest of a 3×3 C→C kernel, the quantizer's tensors (a K×D codebook and a chunk×K
 * distance block for VQ) and the first B×(S/2)²×(C/2) feature map.
 */
export function trainingMemory(config: RunConfig): MemoryNeed {
  const { data, train, model: m } = config;
  const q = quantizerMemory(config, train.batchSize * (data.size / m.downsample) ** 2);
  const [kernel, featureMap] = backboneTensors(config);
  const tensors = [kernel, ...q.tensors, featureMap];
  const parts: MemoryPart[] = [
    {
      label: `weights, gradients and Adam's moments (4 × ${trainableParams(config)} floats)`,
      key: `model.${config.architecture}.channels`,
      bytes: 4 * trainableParams(config) * F32,
    },
    q.state,
    ...tensors.slice(2),
  ];
  // The first too-large tensor in this order names the root cause (a huge K makes both the
  // codebook and the distance block too large: lowering chunkSize would not help).
  const tooLarge = tensors.find((t) => t.bytes > MAX_TENSOR_BYTES);
  const largestTensor = tooLarge ?? tensors.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { bytes: parts.reduce((s, p) => s + p.bytes, 0), parts, largestTensor };
}

/** P: trainable parameters of the config's architecture (`vqvaeParamCounts`, nothing allocated). */
function trainableParams(config: RunConfig): number {
  const m = config.model;
  const counts = vqvaeParamCounts({
    singleChannels: m.single.channels,
    hierarchicalChannels: m.hierarchical.channels,
    codeDim: m[config.architecture].codeDim,
    resBlocks: m.resBlocks,
    resChannels: m.resChannels,
    downsample: m.downsample,
    topDownsample: m.topDownsample,
    conditioned: m.hierarchical.conditioned,
  });
  return counts[config.architecture].total;
}

/** The backbone's candidates for the largest tensor: a 3×3 C→C kernel and the first feature map. */
function backboneTensors(config: RunConfig): [MemoryPart, MemoryPart] {
  const { model: m, data, train } = config;
  const side = config.architecture;
  const { channels: c } = m[side];
  const half = Math.ceil(c / 2);
  return [
    {
      label: `a 3×3 convolution kernel of ${c} → ${c} channels`,
      key: `model.${side}.channels`,
      bytes: 9 * c * c * F32,
    },
    {
      label: `the first feature map of a batch (${train.batchSize} × ${data.size / 2}² × ${half})`,
      key: 'train.batchSize',
      bytes: train.batchSize * (data.size / 2) ** 2 * half * F32,
    },
  ];
}

/** "1.5 GB" */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toPrecision(3)} ${units[i]}`;
}

/**
 * Refuses a config whose model cannot be allocated, before anything is: a single tensor larger
 * than {@link MAX_TENSOR_BYTES}, or a lower bound of the whole run above `availableBytes`.
 * @throws ExperimentsError (exit 2) naming the tensor or total, the config key to lower, and the limit.
 */
export function assertTrainingMemory(config: RunConfig, availableBytes: number): void {
  const need = trainingMemory(config);
  const t = need.largestTensor;
  if (t.bytes > MAX_TENSOR_BYTES) {
    throw inputError(
      `train: ${config.architecture} model: ${t.label} takes ${formatBytes(t.bytes)}, more than the ${formatBytes(MAX_TENSOR_BYTES)} one tensor may take. Lower ${t.key}.`,
    );
  }
  if (need.bytes > availableBytes) {
    const top = [...need.parts].sort((a, b) => b.bytes - a.bytes)[0]!;
    throw inputError(
      `train: ${config.architecture} model needs at least ${formatBytes(need.bytes)} to train (${need.parts.map((p) => `${p.label}: ${formatBytes(p.bytes)}`).join('; ')}), more than this machine's ${formatBytes(availableBytes)}. Lower ${top.key}.`,
    );
  }
}
