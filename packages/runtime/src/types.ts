/** A tfjs backend @vqkit/runtime can initialise. */
export type BackendName = 'webgpu' | 'tensorflow' | 'cpu';

/** What {@link initBackend} may be asked for: a backend, or `'auto'` for the fastest that works. */
export type BackendRequest = 'auto' | BackendName;

/** Options of `initBackend`. */
export interface InitBackendOptions {
  /**
   * Backend to initialise. `'auto'` tries, in order: `tensorflow` (tfjs-node-gpu / tfjs-node, if
   * installed and loadable), then decides by what the WebGPU adapter is: `webgpu` on a hardware
   * adapter, `cpu` on a software one (Mesa's lavapipe, SwiftShader, WARP, a fallback adapter)
   * or when there is none.
   * @default 'auto'
   */
  backend?: BackendRequest;
  /**
   * Dawn instance toggles for the webgpu backend, passed to `create()` of npm `webgpu`.
   * The default enables Dawn's `allow_unsafe_apis`, which is needed only for experimental
   * adapter features such as `chromium-experimental-subgroup-matrix` (tensor-core tiles that
   * vqkit's WGSL kernels use where the adapter offers them); pass `[]` for Dawn's safe defaults.
   * Ignored by the other backends.
   * @default ['enable-dawn-features=allow_unsafe_apis']
   */
  dawnToggles?: string[];
  /**
   * Adapter preference for the webgpu backend (`navigator.gpu.requestAdapter`).
   * @default 'high-performance'
   */
  powerPreference?: 'low-power' | 'high-performance';
  /**
   * WebGPU features the device must have; initialisation fails with `BackendUnavailableError`
   * (naming the missing ones) when the adapter does not offer them. Independently of this list,
   * the device also gets the optional features vqkit and tfjs use when offered
   * (`timestamp-query`, `subgroups`, `shader-f16`, `chromium-experimental-subgroup-matrix`).
   * @default []
   */
  requiredFeatures?: string[];
}

/** The WebGPU adapter in use. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader, WARP, or a fallback adapter). */
  isSoftware: boolean;
}

/** What {@link initBackend} set up, for the run log. */
export interface BackendInfo {
  /** The active tfjs backend. */
  name: BackendName;
  /** What was asked for. */
  requested: BackendRequest;
  /** Why this backend: the auto decision, or "requested explicitly". */
  reason: string;
  /** webgpu only: the adapter. */
  adapter?: AdapterSummary;
  /** webgpu only: the device's features, sorted. */
  features?: string[];
  /** webgpu only: the device's limits. */
  limits?: Record<string, number>;
  versions: {
    tfjs: string;
    node: string;
    /** webgpu only: the npm `webgpu` (Dawn) package version. */
    dawn?: string;
    /** tensorflow only: the tfjs-node package that loaded and its version. */
    tfjsNode?: string;
  };
}
