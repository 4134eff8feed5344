import * as tf from '@tensorflow/tfjs-core';
import { registerVqkitKernels } from '@vqkit/kernels';
import type { NearestCodeSearch } from '@vqkit/quantizer';
import { describeBackend, initBackend } from '@vqkit/runtime';
import { inputError } from '../config/errors';

/** Values accepted by `--backend`. */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'tensorflow', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Validates a `--backend` value. */
export function parseBackend(value: string | undefined): BackendChoice {
  const v = value ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) {
    throw inputError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got '${v}'.`);
  }
  return v as BackendChoice;
}

/** The backend information a run records (whatever @vqkit/runtime reports, plus the active name). */
export type BackendRecord = Record<string, unknown> & { name: string };

let initialised: BackendRecord | null = null;
let search: NearestCodeSearch | undefined;

/**
 * Makes sure a tfjs backend is active — the one place the app chooses it: `initBackend` from
 * @vqkit/runtime, then `registerVqkitKernels` from @vqkit/kernels, only when no backend has been
 * initialised yet in this process, so a study running many cells initialises once. An explicitly
 * requested backend that differs from the active one is an error rather than a silent switch.
 */
export async function ensureBackend(requested?: string): Promise<BackendRecord> {
  const choice = parseBackend(requested);
  const active = tf.getBackend();
  if (active) {
    if (choice !== 'auto' && choice !== active) {
      throw inputError(
        `--backend ${choice}: this process already runs on the '${active}' backend, and tfjs cannot switch mid-run. Start a new process with --backend ${choice}.`,
      );
    }
    if (initialised === null || initialised.name !== active)
      initialised = withKernels({ name: active }, describeBackend());
    return initialised;
  }
  const info = await initBackend({ backend: choice });
  initialised = withKernels({ ...info, name: info.name }, describeBackend(info));
  return initialised;
}

/** What `vqkit backend --json` prints: the backend a request resolves to here, and why. */
export interface ResolvedBackend {
  /** The backend that started: `webgpu`, `tensorflow` or `cpu`. */
  name: string;
  /** What was asked for (`auto`, or a backend name). */
  requested: string;
  /** Why this backend (for `auto`: what was found, e.g. a software WebGPU adapter). */
  reason: string;
  /** The one-line description every run records. */
  description: string;
}

/** Starts the backend `requested` names (as every compute command would) and says which it is. */
export async function resolveBackend(requested: string): Promise<ResolvedBackend> {
  const record = await ensureBackend(requested);
  return {
    name: record.name,
    requested: typeof record.requested === 'string' ? record.requested : requested,
    reason: typeof record.reason === 'string' ? record.reason : 'already active in this process',
    description: String(record.description ?? record.name),
  };
}

/** Registers vqkit's kernels on the active backend and records what they serve. */
function withKernels(record: BackendRecord, description: string): BackendRecord {
  const { kernels, cpu, nearestCodeSearch } = registerVqkitKernels({ backend: record.name });
  search = nearestCodeSearch;
  const threads = cpu ? ` (${cpu.threads} threads, ${cpu.simd} SIMD)` : '';
  return {
    ...record,
    kernels,
    description: `${description} | vqkit kernels: ${kernels.join(', ') || 'none'}${threads}`,
  };
}

/**
 * The nearest-code search of every quantizer the app builds: the fused search @vqkit/kernels
 * registered for the active backend, or `undefined` (the quantizer's own chunked search) where it
 * has none. No backend name is checked here.
 */
export function nearestCodeSearch(): NearestCodeSearch | undefined {
  return search;
}
