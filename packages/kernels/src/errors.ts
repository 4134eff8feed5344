/**
 * The package's one error class, {@link KernelError}: thrown for invalid arguments or an
 * unsupported backend; the message names the function and argument, what was expected, what was
 * got, and how to fix it. Defined beside the WebGPU kernels and shared by the cpu kernels.
 */
export { KernelError } from './webgpu/errors';
