import * as tf from '@tensorflow/tfjs-core';
import { finiteRows } from './check-input';
import { QuantizerError } from './errors';
import { EventLog } from './event-log';
import { Lifecycle } from './lifecycle';
import type { LiveState, QuantizerEvent } from './quantizer';
import { checkCounter, checkStateKind } from './state';
import { untaped } from './untaped';
import { countCodes, UsageTracker, type UsageTrackerState } from './usage-tracker';

/** What identifies a family's saved state besides its counts: `kind` and the options it needs. */
export type StateIdentity = { kind: string } & Record<string, unknown>;

/**
 * What a family whose codebook is implicit (finite-scalar, lookup-free: codes named by computed
 * indices, nothing learned) keeps besides its formula: training steps, per-code usage counts and
 * pending events, its lifecycle, and their state. The family holds one and forwards to it.
 */
export class ImplicitCodebook {
  /**
   * Usage counts of the `codebookSize` codes; the family's `usage`, `lastCounts`, `windowCounts`,
   * `evalCounts` and `resetEvalCounts` are its reads (checked against {@link life}).
   */
  readonly counts: UsageTracker;
  /** Whether the family was disposed (messages name the family). */
  readonly life: Lifecycle;
  private readonly events = new EventLog();
  private stepCount = 0;

  /**
   * @param owner - the family's class name, used in messages.
   * @param codebookSize - the number of implicit codes C.
   * @param window - training batches summed by the window statistics.
   */
  constructor(
    readonly owner: string,
    codebookSize: number,
    window: number,
  ) {
    this.life = new Lifecycle(owner);
    this.counts = new UsageTracker(codebookSize, window, this.life);
  }

  /** Training steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * Records one forward of `x` `[N, D]` (inside its tidy): off the tape, the rows' codes
   * `indicesOf(clean)` (int32 `[N]`; non-finite entries of x replaced by 0), this batch's counts
   * `[C]` into the usage statistics unless x held NaN/±Inf (then a `'non-finite-input'` event),
   * and a training step. Returns the indices reshaped to `leading` `[...]` and the counts.
   */
  observe(
    x: tf.Tensor2D,
    leading: number[],
    training: boolean,
    indicesOf: (clean: tf.Tensor2D) => tf.Tensor1D,
  ): { indices: tf.Tensor; counts: tf.Tensor1D } {
    const a = untaped(() => {
      const { clean, valid } = finiteRows(x);
      const idx = indicesOf(clean);
      const counts = countCodes(idx, this.counts.codebookSize);
      this.counts.record(counts, valid, training);
      this.events.pushDevice(this.stepCount, tf.scalar(0), valid, training);
      return { idx, counts };
    });
    const indices = tf.reshape(a.idx, leading);
    const counts = tf.clone(a.counts);
    tf.dispose([a.idx, a.counts]);
    if (training) this.stepCount++;
    return { indices, counts };
  }

  /** Batches skipped for non-finite input (these families never initialise or reset). */
  async flushEvents(): Promise<QuantizerEvent[]> {
    this.life.check('flushEvents');
    return this.events.flush('none');
  }

  /** `{ version: 1, ...identity, step, lastCounts, evalCounts, statsWindow }` (async read). */
  async getState<I extends StateIdentity>(
    identity: I,
  ): Promise<{ version: 1 } & I & { step: number } & UsageTrackerState> {
    this.life.check('getState');
    return { version: 1, ...identity, step: this.stepCount, ...(await this.counts.getState()) };
  }

  /**
   * Restores a state from {@link getState} after checking its version and kind, then
   * `checkIdentity` (the family's options), then the step and counts.
   * @param what - the family in words for messages, e.g. `'finite-scalar'`.
   */
  setState(
    state: { version?: unknown; kind?: unknown; step: number } & Partial<UsageTrackerState>,
    kind: string,
    what: string,
    checkIdentity: (fn: string) => void,
  ): void {
    const fn = `${this.owner}.setState`;
    this.life.check('setState');
    checkStateKind(fn, state, kind, what);
    checkIdentity(fn);
    checkCounter(fn, 'step', state.step);
    this.counts.setState(fn, state);
    this.stepCount = state.step;
  }

  /** The state without reads (for the tf.layers wrapper): the usage counts and `{ step }`. */
  liveState(): LiveState {
    this.life.check('liveState');
    return { variables: this.counts.variables(), host: { step: this.stepCount } };
  }

  /** Restores the `host` part of {@link liveState}. */
  setHostState(host: unknown): void {
    this.life.check('setHostState');
    const step = (host as { step?: unknown } | null)?.step;
    if (!Number.isInteger(step) || (step as number) < 0) {
      throw new QuantizerError(
        `${this.owner}.setHostState: expected { step } from liveState().host, got ${JSON.stringify(host)}.`,
      );
    }
    this.stepCount = step as number;
  }

  /** Frees the counts and pending events; false when already disposed. */
  dispose(): boolean {
    if (!this.life.end()) return false;
    this.counts.dispose();
    this.events.dispose();
    return true;
  }
}
