import * as tf from '@tensorflow/tfjs-core';
import { startCpu } from './cpu';
import { BackendUnavailableError, RuntimeError } from './errors';
import { startTensorflow } from './tensorflow';
import type { AdapterSummary, BackendInfo, BackendRequest, InitBackendOptions } from './types';
import { probeWebGPU, releaseWebGPU, startWebGPU, WEBGPU_ADAPTER_FIX } from './webgpu';

const REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'tensorflow', 'cpu'];
/** Dawn's `allow_unsafe_apis`: needed only for experimental adapter features (vqkit choice: on, so subgroup-matrix works). */
const DEFAULT_DAWN_TOGGLES = ['enable-dawn-features=allow_unsafe_apis'];

/**
 * The `auto` decision once native TensorFlow is unavailable, from what the WebGPU adapter *is*:
 * a hardware adapter → `webgpu`; a software one (a CPU implementation such as Mesa's lavapipe,
 * SwiftShader or WARP, or any adapter the browser or Dawn marks as a fallback adapter) → `cpu`,
 * which runs the same arithmetic on the same cores without the emulation layer; none → `cpu`.
 *
 * @param adapter the probed adapter, or null when there is none.
 * @returns the backend and the reason, for {@link BackendInfo.reason}.
 */
export function chooseWithoutTensorflow(adapter: AdapterSummary | null): {
  backend: 'webgpu' | 'cpu';
  why: string;
} {
  if (adapter === null) return { backend: 'cpu', why: `no WebGPU adapter (${WEBGPU_ADAPTER_FIX})` };
  const name = adapter.description || adapter.device;
  if (adapter.isSoftware) {
    return {
      backend: 'cpu',
      why: `the WebGPU adapter (${name}) is a software (CPU) implementation; the cpu backend runs on the same cores without the emulation`,
    };
  }
  return { backend: 'webgpu', why: `hardware WebGPU adapter ${name}` };
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
  if ('kernels' in options) {
    throw new RuntimeError(
      "initBackend: options.kernels was removed: @vqkit/runtime only chooses and starts the backend. Register vqkit's kernels yourself after it: registerVqkitKernels({ backend: info.name }) from @vqkit/kernels (or leave the stock tfjs kernels).",
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
  return { backend, dawnToggles, powerPreference, requiredFeatures };
}

/**
 * Picks and initialises the tfjs backend in Node and registers every gradient (tfjs-layers' Node
 * bundle registers them on the shared tfjs-core; tfjs-core alone registers none in Node). It
 * registers no kernels: for vqkit's, call `registerVqkitKernels({ backend: info.name })` of
 * `@vqkit/kernels` afterwards.
 *
 * - `'tensorflow'`: tfjs-node-gpu, else tfjs-node (optional peer dependencies, imported on demand).
 * - `'webgpu'`: Dawn via npm `webgpu` (optional peer dependency); adapter info, features and
 *   limits are reported.
 * - `'cpu'`: tfjs-backend-cpu (banner silenced).
 * - `'auto'`: tensorflow if it loads; else by what the WebGPU adapter is (see
 *   {@link chooseWithoutTensorflow}): webgpu on a hardware adapter, cpu on a software one or
 *   without one. `reason` in the result says why.
 *
 * Calling it again switches backends (a live webgpu device is released first); the Dawn instance
 * is created once per process, so `dawnToggles` take effect on the first webgpu initialisation.
 *
 * @throws {@link RuntimeError} on invalid options (e.g. an unknown backend name), or when
 *   `@tensorflow/tfjs-layers` (which registers the gradients) is not installed.
 * @throws {@link BackendUnavailableError} when an explicitly requested backend cannot start;
 *   the message quotes the underlying error and names the package or driver to install.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const opts = validate(options);
  await registerGradients();
  releaseWebGPU();
  const info: BackendInfo = {
    name: 'cpu',
    requested: opts.backend,
    reason: 'requested explicitly',
    versions: { tfjs: tf.version_core, node: process.versions.node },
  };
  if (opts.backend === 'cpu') await startCpu();
  else if (opts.backend === 'tensorflow') await useTensorflow(info);
  else if (opts.backend === 'webgpu') {
    await useWebGPU(info, await probeWebGPU(opts.dawnToggles, opts.powerPreference), opts);
  } else await initAuto(opts, info);
  lastInfo = info;
  return info;
}

/** Imports tfjs-layers once (its Node bundle registers every gradient on the shared tfjs-core). */
async function registerGradients(): Promise<void> {
  if (gradientsRegistered) return;
  try {
    await import('@tensorflow/tfjs-layers');
  } catch (e) {
    throw new RuntimeError(
      `initBackend: @tensorflow/tfjs-layers, which registers tfjs's gradients in Node, failed to load: "${e instanceof Error ? e.message : String(e)}". Install it: npm install @tensorflow/tfjs-layers@4.22.0`,
    );
  }
  gradientsRegistered = true;
}

async function useTensorflow(info: BackendInfo): Promise<void> {
  info.versions.tfjsNode = await startTensorflow();
  info.name = 'tensorflow';
}

async function useWebGPU(
  info: BackendInfo,
  probed: Awaited<ReturnType<typeof probeWebGPU>>,
  opts: Required<InitBackendOptions>,
): Promise<void> {
  const started = await startWebGPU(probed, opts.requiredFeatures);
  info.name = 'webgpu';
  info.adapter = probed.summary;
  info.features = started.features;
  info.limits = started.limits;
  info.versions.dawn = probed.dawnVersion;
}

async function initAuto(opts: Required<InitBackendOptions>, info: BackendInfo): Promise<void> {
  try {
    await useTensorflow(info);
    info.reason = `auto: native TensorFlow (${info.versions.tfjsNode}) loaded; it is the fastest backend`;
    return;
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
  }
  let probed: Awaited<ReturnType<typeof probeWebGPU>> | null = null;
  let probeFailure = '';
  try {
    probed = await probeWebGPU(opts.dawnToggles, opts.powerPreference);
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    probeFailure = e.message;
  }
  const { backend, why } = chooseWithoutTensorflow(probed?.summary ?? null);
  if (probed !== null && backend === 'webgpu') {
    try {
      await useWebGPU(info, probed, opts);
      info.reason = `auto: tensorflow unavailable; ${why}`;
      return;
    } catch (e) {
      if (!(e instanceof BackendUnavailableError)) throw e;
      probeFailure = `webgpu failed to start: ${e.message}`;
    }
  }
  await startCpu();
  info.name = 'cpu';
  info.reason = `auto: tensorflow unavailable; ${probeFailure || why}`;
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
 * (or `info` when given): backend, why, adapter, features and versions.
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
  return parts.join(' | ');
}
