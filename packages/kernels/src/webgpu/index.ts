export {
  type BackpropFilterImplOptions,
  webgpuConv2DBackpropFilterImpl,
} from './conv2d-backprop-filter';
export {
  type BackpropInputPhase,
  backpropInputPhases,
  webgpuConv2DBackpropInputImpl,
} from './conv2d-backprop-input';
export { KernelError } from './errors';
export { chooseGemmTiling, type GemmTiling } from './gemm-tiling';
export {
  DEFAULT_NEAREST_CODE_CHUNK,
  type WebGPUNearestCodeOptions,
  webgpuNearestCode,
} from './nearest-code';
export { registerWebGPUKernels, unregisterWebGPUKernels, WEBGPU_KERNELS } from './register';
