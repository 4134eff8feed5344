/**
 * The webgpu backend in Node: Dawn through npm `webgpu`, `navigator.gpu` installed before
 * `@tensorflow/tfjs-backend-webgpu` is evaluated (it registers itself at import time only when
 * `navigator.gpu` exists), the device created here with the requested features and the adapter's
 * full limits, and tfjs's `webgpu` backend factory replaced so that it uses this device.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors';
import type { AdapterSummary } from './types';

/** How to get an adapter when there is none. */
export const WEBGPU_ADAPTER_FIX =
  'Install a Vulkan driver: Mesa lavapipe >= 24 (Debian 12: mesa-vulkan-drivers from bookworm-backports) or an NVIDIA driver, and set XDG_RUNTIME_DIR (e.g. /tmp).';

/** How to get the packages the webgpu backend needs (optional peer dependencies). */
export const WEBGPU_PACKAGES_FIX =
  'Install them: `npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0` (Dawn ships prebuilt for linux x64/arm64, macOS and Windows).';

/** Features requested whenever the adapter offers them (tfjs's own, then vqkit's WGSL kernels'). */
const OPTIONAL_FEATURES = [
  'timestamp-query',
  'bgra8unorm-storage',
  'subgroups',
  'shader-f16',
  'chromium-experimental-subgroup-matrix',
];

/** Limits tfjs-backend-webgpu raises to the adapter's maximum (as its own factory does). */
const RAISED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
];

/** An adapter found by {@link probeWebGPU}; pass to {@link startWebGPU} or {@link dropAdapter}. */
export interface ProbedAdapter {
  adapter: GPUAdapter;
  summary: AdapterSummary;
  dawnVersion: string;
}

/** The live device while the webgpu backend is active. */
let liveDevice: GPUDevice | null = null;

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether an adapter is a CPU implementation (lavapipe/llvmpipe, SwiftShader, WARP, fallback). */
export function isSoftwareAdapter(info: {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}): boolean {
  if (info.isFallbackAdapter === true) return true;
  if ((info.architecture ?? '').toLowerCase() === 'software') return true;
  const text = `${info.vendor ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  return /llvmpipe|lavapipe|swiftshader|microsoft basic render|\bwarp\b/i.test(text);
}

/**
 * Creates the Dawn instance (once per process; later calls reuse it, so `dawnToggles` apply on
 * the first call only), installs `navigator.gpu` and the WebGPU globals, and requests an adapter.
 *
 * @throws {@link BackendUnavailableError} when npm `webgpu` cannot load or no adapter exists.
 */
export async function probeWebGPU(
  dawnToggles: string[],
  powerPreference: GPUPowerPreference,
): Promise<ProbedAdapter> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let mod: { create: (options: string[]) => GPU; globals: object };
  try {
    mod = (await import('webgpu')) as typeof mod;
  } catch (e) {
    throw new BackendUnavailableError(
      'webgpu',
      `initBackend('webgpu'): the Dawn bindings (npm 'webgpu', an optional peer dependency of @vqkit/runtime) failed to load: "${describeError(e)}". ${WEBGPU_PACKAGES_FIX}`,
    );
  }
  const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
  let gpu = g.navigator?.gpu;
  if (gpu == null) {
    Object.assign(globalThis, mod.globals);
    gpu = mod.create(dawnToggles);
    if (g.navigator == null) {
      Object.defineProperty(globalThis, 'navigator', {
        value: { gpu },
        configurable: true,
        writable: true,
      });
    } else {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
    }
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference });
  } catch (e) {
    throw new BackendUnavailableError(
      'webgpu',
      `initBackend('webgpu'): navigator.gpu.requestAdapter() failed: "${describeError(e)}". ${WEBGPU_ADAPTER_FIX}`,
    );
  }
  if (adapter == null) {
    throw new BackendUnavailableError(
      'webgpu',
      `initBackend('webgpu'): no WebGPU adapter found (Dawn found no Vulkan/Metal/D3D12 device). ${WEBGPU_ADAPTER_FIX}`,
    );
  }
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isSoftware: isSoftwareAdapter(info),
  };
  return { adapter, summary, dawnVersion: dawnPackageVersion() };
}

/** The npm `webgpu` (Dawn bindings) version, read from its package.json. */
function dawnPackageVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('webgpu/package.json') as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** What {@link startWebGPU} set up. */
export interface StartedWebGPU {
  features: string[];
  limits: Record<string, number>;
}

/**
 * Creates the device on `probed.adapter`, imports tfjs-backend-webgpu, re-registers its `webgpu`
 * backend factory to use this device, and activates it.
 *
 * @throws {@link BackendUnavailableError} when required features are missing or the device or
 *   backend fails to initialise.
 */
export async function startWebGPU(
  probed: ProbedAdapter,
  requiredFeatures: string[],
): Promise<StartedWebGPU> {
  const { adapter } = probed;
  const offered = new Set<string>([...adapter.features].map(String));
  const missing = requiredFeatures.filter((f) => !offered.has(f));
  if (missing.length > 0) {
    throw new BackendUnavailableError(
      'webgpu',
      `initBackend('webgpu'): the adapter (${probed.summary.description || probed.summary.device}) does not offer the required features ${missing.join(', ')}; it offers ${[...offered].sort().join(', ')}. Drop them from requiredFeatures, or for experimental (chromium-experimental-*) features keep 'enable-dawn-features=allow_unsafe_apis' in dawnToggles.`,
    );
  }
  const features = [
    ...new Set([...requiredFeatures, ...OPTIONAL_FEATURES.filter((f) => offered.has(f))]),
  ];
  const requiredLimits: Record<string, number> = {};
  const adapterLimits = adapter.limits as unknown as Record<string, number>;
  for (const name of RAISED_LIMITS) {
    if (typeof adapterLimits[name] === 'number') requiredLimits[name] = adapterLimits[name];
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: features as GPUFeatureName[],
      requiredLimits,
    });
  } catch (e) {
    throw new BackendUnavailableError(
      'webgpu',
      `initBackend('webgpu'): requestDevice failed on ${probed.summary.description}: "${describeError(e)}". Try fewer requiredFeatures or update the GPU driver.`,
    );
  }
  let webgpuBackend: typeof import('@tensorflow/tfjs-backend-webgpu');
  try {
    webgpuBackend = await import('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    device.destroy();
    throw new BackendUnavailableError(
      'webgpu',
      `initBackend('webgpu'): @tensorflow/tfjs-backend-webgpu (an optional peer dependency of @vqkit/runtime) failed to load: "${describeError(e)}". ${WEBGPU_PACKAGES_FIX}`,
    );
  }
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  const adapterInfo = adapter.info;
  tf.registerBackend('webgpu', () => new webgpuBackend.WebGPUBackend(device, adapterInfo), 3);
  let ok = false;
  try {
    ok = await tf.setBackend('webgpu');
  } catch (e) {
    device.destroy();
    throw new BackendUnavailableError(
      'webgpu',
      `initBackend('webgpu'): tfjs-backend-webgpu failed to start on ${probed.summary.description}: "${describeError(e)}". ${WEBGPU_ADAPTER_FIX}`,
    );
  }
  if (!ok) {
    device.destroy();
    throw new BackendUnavailableError(
      'webgpu',
      `initBackend('webgpu'): tf.setBackend('webgpu') returned false on ${probed.summary.description}. ${WEBGPU_ADAPTER_FIX}`,
    );
  }
  liveDevice = device;
  const limits: Record<string, number> = {};
  const deviceLimits = device.limits as unknown as Record<string, number>;
  for (const key in deviceLimits) {
    const v = deviceLimits[key];
    if (typeof v === 'number') limits[key] = v;
  }
  return { features: [...device.features].map(String).sort(), limits };
}

/**
 * Disposes tfjs's webgpu backend (its buffers) and destroys the device, so the Node process can
 * exit. Safe to call when no device is live.
 */
export function releaseWebGPU(): boolean {
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  const device = liveDevice;
  liveDevice = null;
  if (device == null) return false;
  device.destroy();
  return true;
}

/** Whether a webgpu device created by @vqkit/runtime is live. */
export function hasLiveWebGPUDevice(): boolean {
  return liveDevice !== null;
}
