import type * as tf from '@tensorflow/tfjs-core';
import type { Quantizer } from '@vqkit/quantizer';
import { describe, fail } from './assert';
import { ModelsError } from './errors';
import type {
  LevelInfo,
  LevelName,
  LevelQuantizer,
  QuantizerFactory,
  QuantizerLevel,
} from './types';

const METHODS = ['forward', 'decode', 'getState', 'setState', 'dispose'] as const;

/**
 * Calls the factory for one level and checks that it returned a `Quantizer` whose `codeDim` is the
 * level's (the projection feeds it `codeDim` channels).
 */
export function createLevelQuantizer(
  fn: string,
  factory: QuantizerFactory,
  level: QuantizerLevel,
): Quantizer {
  const q = factory(level) as Partial<Quantizer> | null | undefined;
  const fix = 'Return an object implementing the Quantizer interface of @vqkit/quantizer.';
  if (q === null || typeof q !== 'object') {
    fail(fn, `quantizer('${level.name}')`, 'a Quantizer', describe(q), fix);
  }
  for (const m of METHODS) {
    if (typeof q[m] !== 'function') {
      fail(fn, `quantizer('${level.name}').${m}`, 'a function', describe(q[m]), fix);
    }
  }
  if (q.codeDim !== level.codeDim) {
    fail(
      fn,
      `quantizer('${level.name}').codeDim`,
      `the level's codeDim = ${level.codeDim}`,
      describe(q.codeDim),
      'Build the quantizer with level.codeDim.',
    );
  }
  if (typeof q.codebookSize !== 'number' || !(q.codebookSize >= 1)) {
    fail(
      fn,
      `quantizer('${level.name}').codebookSize`,
      'a number ≥ 1',
      describe(q.codebookSize),
      fix,
    );
  }
  return q as Quantizer;
}

/** A level's description: K and D from its quantizer, a square `side × side` latent map. */
export function levelInfo<L extends LevelName>(
  name: L,
  quantizer: Quantizer,
  side: number,
): LevelInfo<L> {
  return {
    name,
    codebookSize: quantizer.codebookSize,
    codeDim: quantizer.codeDim,
    height: side,
    width: side,
  };
}

/**
 * The trainable variables of backbone modules and level quantizers in one map: module variables
 * under their own names, each quantizer's as `${prefix(level)}quantizer.${name}`.
 * @throws {@link ModelsError} listing duplicate names.
 */
export function collectTrainableVariables(
  modules: readonly { variables: Readonly<Record<string, tf.Variable>> }[],
  quantizers: readonly LevelQuantizer[],
  prefix: (level: LevelName) => string,
): Readonly<Record<string, tf.Variable>> {
  const out: Record<string, tf.Variable> = {};
  const dups: string[] = [];
  const add = (name: string, v: tf.Variable) => {
    if (Object.hasOwn(out, name)) dups.push(name);
    else out[name] = v;
  };
  for (const m of modules) for (const [name, v] of Object.entries(m.variables)) add(name, v);
  for (const { name, quantizer } of quantizers) {
    for (const [n, v] of Object.entries(quantizer.variables))
      add(`${prefix(name)}quantizer.${n}`, v);
  }
  if (dups.length > 0) {
    throw new ModelsError(
      `trainableVariables: ${dups.length} duplicate variable name(s): ${dups.join(', ')}. Give the quantizer's variables distinct names.`,
      dups.map((n) => `variable '${n}' occurs twice`),
    );
  }
  return Object.freeze(out);
}

/** The number of trainable parameters in `variables`: the sum of their sizes. */
export function parameterCount(variables: Readonly<Record<string, tf.Variable>>): number {
  let n = 0;
  for (const v of Object.values(variables)) n += v.size;
  return n;
}

/** Every level's quantizer state, keyed by level name (async reads). */
export async function readQuantizerStates(
  quantizers: readonly LevelQuantizer[],
): Promise<Record<string, unknown>> {
  const states: Record<string, unknown> = {};
  for (const { name, quantizer } of quantizers) states[name] = await quantizer.getState();
  return states;
}

/**
 * Problems that keep `states` from fitting these quantizers: missing or unexpected levels, and —
 * for states that record them, like the EMA quantizer's — a different K or D. Empty when it fits.
 */
export function quantizerStateProblems(
  quantizers: readonly LevelQuantizer[],
  states: unknown,
): string[] {
  if (states === null || typeof states !== 'object' || Array.isArray(states)) {
    return [`quantizer states must be an object keyed by level name, got ${describe(states)}`];
  }
  const problems: string[] = [];
  const byName = states as Record<string, unknown>;
  const names = quantizers.map((q) => q.name as string);
  for (const { name, quantizer } of quantizers) {
    if (!Object.hasOwn(byName, name)) {
      problems.push(`missing quantizer state of level '${name}'`);
      continue;
    }
    const s = byName[name] as { codebookSize?: unknown; codeDim?: unknown } | null;
    for (const key of ['codebookSize', 'codeDim'] as const) {
      const got = s !== null && typeof s === 'object' ? s[key] : undefined;
      if (typeof got === 'number' && got !== quantizer[key]) {
        problems.push(
          `quantizer state of level '${name}' has ${key} ${got}, the model ${quantizer[key]}`,
        );
      }
    }
  }
  for (const name of Object.keys(byName)) {
    if (!names.includes(name)) {
      problems.push(
        `unexpected quantizer state of level '${name}' (the model has ${names.join(', ')})`,
      );
    }
  }
  return problems;
}

/**
 * Restores every level's state after checking that they all fit.
 * @throws {@link ModelsError} listing every problem, before any state is set.
 */
export async function writeQuantizerStates(
  fn: string,
  quantizers: readonly LevelQuantizer[],
  states: unknown,
): Promise<void> {
  const problems = quantizerStateProblems(quantizers, states);
  if (problems.length > 0) {
    throw new ModelsError(
      `${fn}: the states do not fit the model: ${problems.join('; ')}. Restore states saved from a model built with the same options.`,
      problems,
    );
  }
  const byName = states as Record<string, unknown>;
  for (const { name, quantizer } of quantizers) await quantizer.setState(byName[name]);
}
