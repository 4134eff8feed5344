import { describe, expect, it } from 'vitest';
import { resolveConfig } from './resolve';
import { hyperparameterTable, type SetupFacts } from './sources';

/** The Value cell of the row named `name` in a rendered table. */
function cellOf(table: string, name: string): string {
  const row = table.split('\n').find((l) => l.startsWith(`| ${name} |`));
  if (row === undefined) throw new Error(`no row '${name}' in\n${table}`);
  return row.split(' | ')[2]!;
}

const VAL = 'validation images (per-epoch validation, the `best` checkpoint)';
const TEST = 'evaluation images (what Table 1 and the figures report)';
const CHECKPOINT = 'checkpoint evaluated';
const SAMPLE = 'image → sample';

describe('the Setup table says what the code does', () => {
  it('separates validation (model selection) from the evaluated split and checkpoint', () => {
    const demo = resolveConfig('demo');
    const table = hyperparameterTable([demo]);
    expect(cellOf(table, VAL)).toBe('demo');
    expect(cellOf(table, TEST)).toBe('data.test = demo');
    expect(cellOf(table, CHECKPOINT)).toMatch(/^last \(the model at the end of training/);
    // The paper preset has no data.test: eval reads data.val (the ImageNet validation set).
    const paper = hyperparameterTable([resolveConfig('paper', [], { requireData: false })]);
    expect(cellOf(paper, TEST)).toBe('data.val = your folder (not set) (no data.test)');
    expect(cellOf(paper, SAMPLE)).toBe('resize');
  });

  it('reports what finished runs evaluated, from their metrics.json', () => {
    const configs = [resolveConfig('demo'), resolveConfig('demo')];
    const facts: SetupFacts = {
      evaluations: [
        { split: 'test', source: 'demo', checkpoint: 'last' },
        { split: 'custom', source: '/photos', checkpoint: 'best' },
      ],
    };
    const table = hyperparameterTable(configs, facts);
    expect(cellOf(table, TEST)).toBe('data.test = demo, --data /photos');
    expect(cellOf(table, CHECKPOINT)).toBe('last, best');
  });

  it("says how 'demo' runs cut their samples (data.transform applies to folders only)", () => {
    const full = resolveConfig('demo');
    const scaled = resolveConfig('demo', ['data.size=64', 'data.decodeShorterSide=128']);
    expect(cellOf(hyperparameterTable([full, scaled]), SAMPLE)).toBe(
      'random crops of the bundled photos at full resolution, shorter side 128 px (not data.transform)',
    );
  });

  it("Figure 2's grid comes from the runs Figure 2 draws when a report says which", () => {
    const cell = (k: number, d: number, size = 32) =>
      resolveConfig('demo', [
        `model.single.codebookSize=${k}`,
        `model.single.codeDim=${d}`,
        `data.size=${size}`,
        'tags.study=sweep',
      ]);
    const grid = [cell(64, 8), cell(128, 16)];
    const table1 = cell(512, 8, 64);
    const name = 'Figure 2: grid';
    expect(cellOf(hyperparameterTable([...grid, table1], { figure2: grid }), name)).toBe(
      'Ks ∈ {64, 128} × Ds ∈ {8, 16}',
    );
  });
});
