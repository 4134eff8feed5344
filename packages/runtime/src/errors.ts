/**
 * Thrown by @vqkit/runtime for invalid options (e.g. an unknown backend name); the message names
 * the function and option, what was expected, what was got, and how to fix it.
 */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/**
 * A requested backend cannot be initialised here. The message says why (quoting the loader's or
 * the driver's error) and how to get the backend working.
 */
export class BackendUnavailableError extends RuntimeError {
  override name = 'BackendUnavailableError';
  /** The backend that was requested: `'webgpu'`, `'tensorflow'` or `'cpu'`. */
  readonly backend: string;

  constructor(backend: string, message: string) {
    super(message);
    this.backend = backend;
  }
}
