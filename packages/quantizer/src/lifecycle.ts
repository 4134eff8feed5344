import { QuantizerError } from './errors';

/**
 * Whether a quantizer's buffers still exist: every public method that touches them calls
 * {@link check} first, so use after `dispose()` fails with a {@link QuantizerError} naming the
 * method instead of a tfjs error about a disposed tensor.
 */
export class Lifecycle {
  private ended = false;

  /** @param owner - the class name used in messages, e.g. `'VectorQuantizer'`. */
  constructor(readonly owner: string) {}

  /** @throws {@link QuantizerError} `Owner.method: the quantizer was disposed.` once disposed. */
  check(method: string): void {
    if (this.ended) {
      throw new QuantizerError(
        `${this.owner}.${method}: the quantizer was disposed. Create a new one.`,
      );
    }
  }

  /** Marks the quantizer disposed; false when it already was (so `dispose()` runs once). */
  end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    return true;
  }
}
