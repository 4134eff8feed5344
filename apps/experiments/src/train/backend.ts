import * as tf from '@tensorflow/tfjs-core';
import { registerVqkitKernels } from '@vqkit/kernels';
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

/**
 * Makes sure a tfjs backend is active: calls `initBackend` from @vqkit/runtime (with the vqkit
 * kernels) only when no backend has been initialised yet in this process, so a study running many
 * cells initialises once. An explicitly requested backend that differs from the active one is an
 * error rather than a silent switch.
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
    return initialised !== null && initialised.name === active
      ? initialised
      : { name: active, description: describeBackend() };
  }
  const info = await initBackend({ backend: choice });
  const { kernels, cpu } = registerVqkitKernels({ backend: info.name });
  const description = `${describeBackend(info)} | vqkit kernels: ${kernels.join(', ') || 'none'}${cpu ? ` (${cpu.threads} threads, ${cpu.simd} SIMD)` : ''}`;
  initialised = { ...info, name: info.name, kernels, description };
  return initialised;
}
