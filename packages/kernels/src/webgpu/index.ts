export {
  type BackpropFilterImplOptions,
  type BackpropFilterTiling,
  chooseBackpropFilterTiling,
  webgpuConv2DBackpropFilterImpl,
} from './conv2d-backprop-filter';
export { KernelError } from './errors';
export {
  DEFAULT_NEAREST_CODE_CHUNK,
  NEAREST_CODE_KERNEL,
  type WebGPUNearestCodeOptions,
  webgpuNearestCode,
} from './nearest-code';
export { registerWebGPUKernels, unregisterWebGPUKernels } from './register';
