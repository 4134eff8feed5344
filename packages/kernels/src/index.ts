export type { NearestCodeSearch, NearestCodeSearchOptions } from '@vqkit/quantizer';
export type { CpuKernelOptions, CpuKernelSettings } from './cpu/active-executor';
export { CPU_KERNELS } from './cpu/register';
export type { SimdLevel } from './cpu/simd-support';
export { THREADS_ENV } from './cpu/thread-count';
export { KernelError } from './errors';
export { NEAREST_CODE_KERNEL } from './kernel-names';
export { fusedNearestCode } from './nearest-code';
export {
  type RegisterVqkitKernelsOptions,
  registerVqkitKernels,
  unregisterVqkitKernels,
  type VqkitKernelRegistration,
} from './register';
export {
  registerWebGPUKernels,
  unregisterWebGPUKernels,
  WEBGPU_KERNELS,
  type WebGPUNearestCodeOptions,
  webgpuNearestCode,
} from './webgpu/index';
