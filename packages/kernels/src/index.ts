export { KernelError } from './errors';
export {
  chunkedNearestCode,
  fusedNearestCode,
  NEAREST_CODE_KERNEL,
  type NearestCodeSearch,
  type NearestCodeSearchOptions,
} from './nearest-code';
export { registerVqkitKernels, unregisterVqkitKernels } from './register';
export {
  registerWebGPUKernels,
  unregisterWebGPUKernels,
  type WebGPUNearestCodeOptions,
  webgpuNearestCode,
} from './webgpu/index';
