export type { NearestCodeSearch, NearestCodeSearchOptions } from '@vqkit/quantizer';
export { KernelError } from './errors';
export { fusedNearestCode, NEAREST_CODE_KERNEL } from './nearest-code';
export { registerVqkitKernels, unregisterVqkitKernels } from './register';
export {
  registerWebGPUKernels,
  unregisterWebGPUKernels,
  type WebGPUNearestCodeOptions,
  webgpuNearestCode,
} from './webgpu/index';
