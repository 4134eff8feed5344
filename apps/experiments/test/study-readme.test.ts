import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve';
import { HYPERPARAMETER_SOURCES, hyperparameterTable } from '../src/config/sources';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

describe('the hyperparameter table', () => {
  it('in the README is exactly what `vqkit config --sources paper` prints (one table, never stale)', () => {
    const table = hyperparameterTable([resolveConfig('paper', [], { requireData: false })]);
    expect(readme).toContain(table);
  });

  it('labels what the paper does not state as a vqkit choice, never as the paper', () => {
    const byKey = (name: string) =>
      HYPERPARAMETER_SOURCES.find((h) => h.name === name)!.source.kind;
    for (const name of [
      'batch size',
      'unit of the decay',
      'replacement of a dead code',
      'Figure 1: codebook sizes',
      'Figure 1: initialisation without intervention',
      'Adam ε',
      'validation images (per-epoch validation, the `best` checkpoint)',
      'checkpoint evaluated',
    ]) {
      expect(byKey(name), name).toBe('vqkit');
    }
  });
});
