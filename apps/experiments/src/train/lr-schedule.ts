import type { RunConfig } from '../config/schema';

/** Where the next optimizer step happens: its epoch and the number of steps completed before it. */
export interface StepAt {
  epoch: number;
  step: number;
}

/**
 * The learning rate of the step at `at`: lr_n = learningRate · lrDecay^n, where n counts the
 * `lrDecayEvery` units before it — completed epochs (`'epoch'`, vqkit's reading of the paper's
 * "decayed by 0.99", whose unit the paper does not state), completed steps (`'step'`), or none
 * (`'none'`: constant). The same arithmetic on resume, so a resumed run uses bit-identical rates.
 */
export function learningRateAt(
  train: Pick<RunConfig['train'], 'learningRate' | 'lrDecay' | 'lrDecayEvery'>,
  at: StepAt,
): number {
  const n = train.lrDecayEvery === 'epoch' ? at.epoch : train.lrDecayEvery === 'step' ? at.step : 0;
  return train.learningRate * train.lrDecay ** n;
}
