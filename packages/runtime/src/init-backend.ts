import * as tf from '@tensorflow/tfjs-core';
import { registerVqkitKernels, unregisterVqkitKernels } from '@vqkit/kernels';
import { startCpu } from './cpu';
import { BackendUnavailableError, RuntimeError } from './errors';
import { startTensorflow } from './tensorflow';
import type { BackendInfo, BackendName, BackendRequest, InitBackendOptions } from './types';
import { probeWebGPU, releaseWebGPU, startWebGPU, WEBGPU_ADAPTER_FIX } from './webgpu';

const REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'tensorflow', 'cpu'];
const DEFAULT_DAWN_TOGGLES = ['enable-dawn-features=allow_unsafe_apis'];

/**
 * `auto` on a software WebGPU adapter (Mesa lavapipe, i.e. the CPU again): wall-clock ms of one
 * VQ-VAE training step on each candidate, measured with `npm run bench -w @vqkit/kernels`
 * (bench/cpu-step.ts: batch 4, 64×64 input, C = 64, R = 32, 2 res blocks, D = 8, K = 512; median
 * of 5 steps, stock cpu: 1 step) on the 2-core x86-64 VM that builds vqkit (shared, load ≈ 6),
 * llvmpipe Mesa 25.0.7 / LLVM 15, node 20.20.2, machine date 2026-11-26. Process CPU time per
 * step (all threads): cpu stock 33 721 ms, cpu vqkit 212 ms, webgpu stock 1 695 ms, webgpu vqkit
 * 1 044 ms.
 * With the vqkit kernels cpu wins clearly, so `auto` stays on cpu; with `kernels: false` the
 * stock cpu kernels lose to webgpu over lavapipe, so `auto` takes webgpu.
 */
export const SOFTWARE_ADAPTER_STEP_MS = {
  cpuStock: 85_363,
  cpuVqkit: 634,
  webgpuStock: 2_953,
  webgpuVqkit: 2_220,
} as const;

/** The decision encoded from {@link SOFTWARE_ADAPTER_STEP_MS}. */
export function softwareAdapterChoice(kernels: boolean): { choice: BackendName; measured: string } {
  const ms = SOFTWARE_ADAPTER_STEP_MS;
  const cpu = kernels ? ms.cpuVqkit : ms.cpuStock;
  const gpu = kernels ? ms.webgpuVqkit : ms.webgpuStock;
  const kind = kernels ? 'vqkit' : 'stock';
  return {
    choice: cpu <= gpu ? 'cpu' : 'webgpu',
    measured: `measured VQ-VAE step with ${kind} kernels: cpu ${cpu} ms vs webgpu on lavapipe ${gpu} ms`,
  };
}

let lastInfo: BackendInfo | null = null;
let gradientsRegistered = false;

function validate(options: InitBackendOptions): Required<InitBackendOptions> {
  const backend = options.backend ?? 'auto';
  if (!REQUESTS.includes(backend)) {
    throw new RuntimeError(
      `initBackend: options.backend must be one of ${REQUESTS.map((r) => `'${r}'`).join(', ')}, got '${String(backend)}'. Use 'auto' to pick the fastest that works.`,
    );
  }
  const kernels = options.kernels ?? true;
  if (typeof kernels !== 'boolean') {
    throw new RuntimeError(
      `initBackend: options.kernels must be a boolean, got ${typeof kernels}. Pass true (vqkit kernels) or false (stock tfjs kernels).`,
    );
  }
  const dawnToggles = options.dawnToggles ?? DEFAULT_DAWN_TOGGLES;
  if (!Array.isArray(dawnToggles) || dawnToggles.some((t) => typeof t !== 'string')) {
    throw new RuntimeError(
      `initBackend: options.dawnToggles must be an array of strings such as 'enable-dawn-features=allow_unsafe_apis', got ${JSON.stringify(dawnToggles)}.`,
    );
  }
  const powerPreference = options.powerPreference ?? 'high-performance';
  if (powerPreference !== 'high-performance' && powerPreference !== 'low-power') {
    throw new RuntimeError(
      `initBackend: options.powerPreference must be 'high-performance' or 'low-power', got '${String(powerPreference)}'.`,
    );
  }
  const requiredFeatures = options.requiredFeatures ?? [];
  if (!Array.isArray(requiredFeatures) || requiredFeatures.some((f) => typeof f !== 'string')) {
    throw new RuntimeError(
      `initBackend: options.requiredFeatures must be an array of WebGPU feature names such as 'shader-f16', got ${JSON.stringify(requiredFeatures)}.`,
    );
  }
  return { backend, kernels, dawnToggles, powerPreference, requiredFeatures };
}

/**
 * Picks and initialises the tfjs backend in Node, registers every gradient (tfjs-layers' Node
 * bundle registers them on the shared tfjs-core; tfjs-core alone registers none in Node), and
 * registers @vqkit/kernels' fast kernels for the chosen backend.
 *
 * - `'tensorflow'`: tfjs-node-gpu, else tfjs-node (optional dependencies, imported dynamically).
 * - `'webgpu'`: Dawn via npm `webgpu`; adapter info, features and limits are reported.
 * - `'cpu'`: tfjs-backend-cpu (banner silenced).
 * - `'auto'`: tensorflow if it loads; else webgpu on a hardware adapter; on a software adapter
 *   (lavapipe) the faster of webgpu and cpu as measured (see {@link SOFTWARE_ADAPTER_STEP_MS});
 *   else cpu. `reason` in the result says why.
 *
 * Calling it again switches backends (a live webgpu device is released first); the Dawn instance
 * is created once per process, so `dawnToggles` take effect on the first webgpu initialisation.
 *
 * @throws {@link RuntimeError} on invalid options (e.g. an unknown backend name).
 * @throws {@link BackendUnavailableError} when an explicitly requested backend cannot start;
 *   the message quotes the underlying error and names the fix.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const opts = validate(options);
  if (!gradientsRegistered) {
    await import('@tensorflow/tfjs-layers');
    gradientsRegistered = true;
  }
  releaseWebGPU();
  const info: BackendInfo = {
    name: 'cpu',
    requested: opts.backend,
    reason: 'requested explicitly',
    versions: { tfjs: tf.version_core, node: process.versions.node },
    kernels: [],
  };

  const useWebGPU = async (probed: Awaited<ReturnType<typeof probeWebGPU>>) => {
    const started = await startWebGPU(probed, opts.requiredFeatures);
    info.name = 'webgpu';
    info.adapter = probed.summary;
    info.features = started.features;
    info.limits = started.limits;
    info.versions.dawn = probed.dawnVersion;
  };

  switch (opts.backend) {
    case 'cpu':
      await startCpu();
      break;
    case 'tensorflow':
      info.versions.tfjsNode = await startTensorflow();
      info.name = 'tensorflow';
      break;
    case 'webgpu':
      await useWebGPU(await probeWebGPU(opts.dawnToggles, opts.powerPreference));
      break;
    default:
      await initAuto(opts, info, useWebGPU);
  }

  info.kernels = opts.kernels ? registerVqkitKernels(info.name) : [];
  if (!opts.kernels) unregisterVqkitKernels();
  lastInfo = info;
  return info;
}

async function initAuto(
  opts: Required<InitBackendOptions>,
  info: BackendInfo,
  useWebGPU: (p: Awaited<ReturnType<typeof probeWebGPU>>) => Promise<void>,
): Promise<void> {
  try {
    info.versions.tfjsNode = await startTensorflow();
    info.name = 'tensorflow';
    info.reason = `auto: native TensorFlow (${info.versions.tfjsNode}) loaded; it is the fastest backend`;
    return;
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
  }
  let probed: Awaited<ReturnType<typeof probeWebGPU>> | null = null;
  let webgpuWhyNot = '';
  try {
    probed = await probeWebGPU(opts.dawnToggles, opts.powerPreference);
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    webgpuWhyNot = `no WebGPU adapter (${WEBGPU_ADAPTER_FIX})`;
  }
  if (probed != null && !probed.summary.isSoftware) {
    try {
      await useWebGPU(probed);
      info.reason = `auto: tensorflow unavailable; hardware WebGPU adapter ${probed.summary.description || probed.summary.device}`;
      return;
    } catch (e) {
      if (!(e instanceof BackendUnavailableError)) throw e;
      webgpuWhyNot = `webgpu failed to start: ${e.message}`;
    }
  } else if (probed != null) {
    const { choice, measured } = softwareAdapterChoice(opts.kernels);
    if (choice === 'webgpu') {
      try {
        await useWebGPU(probed);
        info.reason = `auto: tensorflow unavailable; only a software WebGPU adapter (${probed.summary.description}); ${measured}`;
        return;
      } catch (e) {
        if (!(e instanceof BackendUnavailableError)) throw e;
        webgpuWhyNot = `webgpu failed to start: ${e.message}`;
      }
    } else {
      webgpuWhyNot = `only a software WebGPU adapter (${probed.summary.description}); ${measured}`;
    }
  }
  await startCpu();
  info.name = 'cpu';
  info.reason = `auto: tensorflow unavailable; ${webgpuWhyNot}`;
}

/**
 * Releases the GPU device held by the webgpu backend (disposing tfjs's webgpu backend and its
 * buffers) so the Node process can exit. Variables and tensors on other backends are untouched;
 * tensors on the webgpu backend become invalid. No-op for cpu and tensorflow.
 *
 * @returns whether a device was released.
 */
export async function releaseBackend(): Promise<boolean> {
  const released = releaseWebGPU();
  if (released) lastInfo = null;
  return released;
}

/** Alias of {@link releaseBackend}. */
export const shutdownBackend = releaseBackend;

/**
 * One line for the run log describing the backend set up by the last {@link initBackend}
 * (or `info` when given): backend, why, adapter, versions and the vqkit kernels in use.
 */
export function describeBackend(info: BackendInfo | null = lastInfo): string {
  if (info == null) {
    const active = tf.engine().backendName ?? 'none';
    return `backend: ${active} (not initialised by @vqkit/runtime; call initBackend() first)`;
  }
  const parts = [`backend: ${info.name} (requested ${info.requested}; ${info.reason})`];
  if (info.adapter) {
    const a = info.adapter;
    parts.push(
      `adapter: ${[a.vendor, a.architecture, a.device].filter(Boolean).join(' ')}${a.isSoftware ? ' [software]' : ''} — ${a.description}`,
    );
  }
  if (info.features) parts.push(`features: ${info.features.join(', ') || 'none'}`);
  const v = info.versions;
  parts.push(
    `versions: tfjs ${v.tfjs}, node ${v.node}${v.dawn ? `, webgpu (Dawn) ${v.dawn}` : ''}${v.tfjsNode ? `, ${v.tfjsNode}` : ''}`,
  );
  parts.push(`vqkit kernels: ${info.kernels.join(', ') || 'none (stock tfjs kernels)'}`);
  return parts.join(' | ');
}
