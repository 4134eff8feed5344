/**
 * Thrown by the @vqkit/kernels WebGPU kernels for invalid arguments or an unusable backend; the
 * message names the function and argument, what was expected, what was got, and how to fix it.
 */
export class KernelError extends Error {
  override name = 'KernelError';
}
