/** Thrown for invalid arguments to @vqkit/random; the message names the argument, what was expected and what was given. */
export class RandomError extends Error {
  override name = 'RandomError';
}
