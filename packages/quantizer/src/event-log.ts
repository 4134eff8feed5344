import * as tf from '@tensorflow/tfjs-core';
import type { QuantizerEvent } from './quantizer';

const CHUNK = 256;

/**
 * The pending events of a quantizer, recorded on the training path without host reads: host
 * events (initialisations) are plain objects; per-forward facts only known on device (codes reset,
 * a batch rejected for non-finite values) are rows `[codesReset, nonFinite, training]` appended to
 * small device tensors (one per 256 forwards) and read in {@link flush}.
 */
export class EventLog {
  private host: QuantizerEvent[] = [];
  private chunks: { steps: number[]; rows: tf.Tensor2D }[] = [];

  /** Records an event known on the host. */
  pushHost(event: QuantizerEvent): void {
    this.host.push(event);
  }

  /**
   * Appends one device row for `step` (call inside a `tf.tidy`; the row is kept).
   * @param codesReset - float32 scalar, codes reset this forward (0 when the family has no resets).
   * @param valid - bool scalar, false when the batch held NaN/±Inf.
   */
  pushDevice(step: number, codesReset: tf.Scalar, valid: tf.Scalar, training: boolean): void {
    const row = tf.reshape(
      tf.stack([codesReset, tf.cast(tf.logicalNot(valid), 'float32'), tf.scalar(training ? 1 : 0)]),
      [1, 3],
    ) as tf.Tensor2D;
    const chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.steps.length >= CHUNK) {
      this.chunks.push({ steps: [step], rows: tf.keep(row) });
      return;
    }
    const grown = tf.keep(tf.concat([chunk.rows, row]) as tf.Tensor2D);
    chunk.rows.dispose();
    chunk.rows = grown;
    chunk.steps.push(step);
  }

  /**
   * Reads and clears every pending event, ordered by step.
   * @param resetPolicy - the policy name reported in `'reset'` events.
   */
  async flush(resetPolicy: string): Promise<QuantizerEvent[]> {
    const chunks = this.chunks;
    const events = this.host;
    this.chunks = [];
    this.host = [];
    for (const chunk of chunks) {
      const rows = await chunk.rows.data();
      chunk.rows.dispose();
      chunk.steps.forEach((step, i) => {
        const [reset, nonFinite, training] = [rows[3 * i]!, rows[3 * i + 1]!, rows[3 * i + 2]!];
        if (nonFinite > 0) events.push({ kind: 'non-finite-input', step, training: training > 0 });
        if (reset > 0) events.push({ kind: 'reset', step, policy: resetPolicy, codesReset: reset });
      });
    }
    return events.sort((a, b) => a.step - b.step);
  }

  /** Frees the pending device rows. */
  dispose(): void {
    for (const chunk of this.chunks) chunk.rows.dispose();
    this.chunks = [];
  }
}
