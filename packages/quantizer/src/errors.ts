/**
 * Thrown for invalid arguments, shapes and states in @vqkit/quantizer. The message names the
 * function and argument, what was expected, what was given, and how to fix it.
 */
export class QuantizerError extends Error {
  override name = 'QuantizerError';
}
