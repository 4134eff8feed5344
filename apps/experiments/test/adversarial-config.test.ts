/**
 * Hostile and careless input to configs and the study commands (issue 11 #9, #10 and the smaller
 * items; issue 10's bad input): one row per case — the command line, the exit code, a fragment the
 * message must contain — plus fast-check fuzzing of `--set` parsing and the config schema. Nothing
 * here trains: every case is refused (or answered) before the first step.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentsError } from '../src/config/errors';
import { applySet, resolveConfig } from '../src/config/resolve';
import { runVqkit } from './cli-helpers';
import { writeFixtureRun } from './study-fixtures';

let root: string;
let file: string;
let runs: string;
let manifest: (id: string) => string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vqkit-adversarial-'));
  file = join(root, 'a-file');
  writeFileSync(file, 'not a folder');
  runs = join(root, 'runs');
  await writeFixtureRun(runs, {
    name: 'one',
    architecture: 'single',
    ks: 256,
    ds: 8,
    kh: 128,
    dh: 8,
    psnr: [30, 2],
    mse: [0.01, 0.004],
  });
  const unfinished = join(runs, 'unfinished');
  mkdirSync(unfinished, { recursive: true });
  writeFileSync(join(unfinished, 'config.json'), '{}');
  const config = resolveConfig('tiny');
  manifest = (id: string) => {
    const path = join(root, `manifest-${Buffer.from(id).toString('hex')}.json`);
    const cells = [{ index: 0, id, description: 'x', config }];
    writeFileSync(path, JSON.stringify({ schema: 'vqkit.sweep/1', grid: 'kxd', cells }));
    return path;
  };
  const yaml = join(root, 'proto.yaml');
  writeFileSync(yaml, 'data: { train: demo, val: demo }\n__proto__: { polluted: 1 }\n');
});

afterAll(() => {
  if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
});

/** [what, argv (a function when it needs the fixture paths), exit code, fragment of stderr]. */
type Case = [string, () => string[], number, string | RegExp];

const CASES: Case[] = [
  // Issue 11 #9: prototype pollution through --set and config files.
  [
    '--set __proto__.x',
    () => ['train', '--config', 'tiny', '--set', '__proto__.x=1'],
    2,
    "'__proto__' is not allowed in a key path",
  ],
  [
    '--set a.constructor.prototype.y',
    () => ['train', '--config', 'tiny', '--set', 'data.constructor.prototype.y=1'],
    2,
    "'constructor' is not allowed",
  ],
  [
    '--set prototype',
    () => ['config', '--print', 'tiny', '--set', 'prototype=1'],
    2,
    "'prototype' is not allowed",
  ],
  [
    'JSON value holding __proto__',
    () => ['config', '--print', 'tiny', '--set', 'data={"__proto__":{"z":1}}'],
    2,
    "key 'data.__proto__' is not allowed",
  ],
  [
    'YAML file with a __proto__ key',
    () => ['config', '--print', join(root, 'proto.yaml')],
    2,
    "key '__proto__' is not allowed",
  ],
  [
    '--set through an inherited method',
    () => ['config', '--print', 'tiny', '--set', 'toString.x=1'],
    2,
    "unknown key 'toString'",
  ],
  // Issue 11 #10: names and ids that would leave their folder.
  [
    'run name with ..',
    () => ['train', '--config', 'tiny', '--set', 'name=../../evil', '--dry-run'],
    2,
    "'name': must use only letters, digits",
  ],
  [
    'run name .',
    () => ['config', '--print', 'tiny', '--set', 'name="."'],
    2,
    "must not be '.' or '..'",
  ],
  [
    'manifest cell id ../../escaped',
    () => [
      'sweep',
      '--manifest',
      manifest('../../escaped'),
      '--only',
      '../../escaped',
      '--runs-dir',
      join(root, 'm1'),
    ],
    2,
    'cells[0].id must be letters, digits',
  ],
  [
    'manifest cell id ..',
    () => ['sweep', '--manifest', manifest('..'), '--runs-dir', join(root, 'm2')],
    2,
    "not '.' or '..'",
  ],
  // Issue 11, smaller items.
  [
    '--figure3-rows -5',
    () => ['report', '--runs', runs, '--out', join(root, 'r1'), '--figure3-rows', '-5'],
    2,
    "--figure3-rows expects an integer ≥ 1, got '-5'",
  ],
  [
    '--figure3-rows abc',
    () => ['report', '--runs', runs, '--out', join(root, 'r2'), '--figure3-rows', 'abc'],
    2,
    "--figure3-rows expects an integer ≥ 1, got 'abc'",
  ],
  [
    'ablate --from-dim 16 --to-dim 64',
    () => ['ablate', '--config', 'tiny', '--from-dim', '16', '--to-dim', '64', '--list'],
    2,
    '--to-dim 64 must be lower than --from-dim 16',
  ],
  [
    'ablate --to-dim 0',
    () => ['ablate', '--config', 'tiny', '--to-dim', '0', '--list'],
    2,
    "--to-dim expects an integer ≥ 1, got '0'",
  ],
  [
    'learningRate 1e999',
    () => ['train', '--config', 'tiny', '--set', 'train.learningRate=1e999'],
    2,
    "'train.learningRate' must be a finite number, got Infinity",
  ],
  [
    'learningRate -1e999',
    () => ['config', '--print', 'tiny', '--set', 'train.learningRate=-1e999'],
    2,
    'got -Infinity',
  ],
  [
    'report --out is a file',
    () => ['report', '--runs', runs, '--out', file],
    2,
    /--out '.*a-file' is a file \(ENOTDIR\)/,
  ],
  [
    'report --out under a file',
    () => ['report', '--runs', runs, '--out', join(file, 'sub')],
    2,
    /--out '.*a-file\/sub' cannot be created as a folder \(ENOTDIR/,
  ],
  [
    'sweep --runs-dir is a file',
    () => [
      'sweep',
      '--config',
      'tiny',
      '--grid',
      'kxd',
      '--ks',
      '64',
      '--ds',
      '8',
      '--runs-dir',
      file,
    ],
    2,
    /--runs-dir '.*a-file' is a file/,
  ],
  [
    'demo --out is a file',
    () => ['demo', '--out', file, '--jobs', '1'],
    2,
    /--out '.*a-file' is a file/,
  ],
  ['negative seed', () => ['config', '--print', 'tiny', '--set', 'seed=-1'], 2, "'seed'"],
  [
    'report: an unfinished run gets a resume hint with --run-dir',
    () => ['report', '--runs', runs, '--out', join(root, 'r3')],
    0,
    /skipped unfinished .*vqkit train --resume --run-dir .*unfinished/,
  ],
  // Issue 10: bad input before any training.
  [
    'unknown transform',
    () => ['train', '--config', 'tiny', '--set', 'data.transform=crop'],
    2,
    `'data.transform' must be one of "resize", "center-crop", "random-resized-crop", got the string "crop"`,
  ],
  [
    'unknown lrDecayEvery',
    () => ['train', '--config', 'tiny', '--set', 'train.lrDecayEvery=week', '--dry-run'],
    2,
    '\'train.lrDecayEvery\' must be one of "epoch", "step", "none"',
  ],
  [
    'cropsPerImage 0',
    () => ['train', '--config', 'tiny', '--set', 'data.cropsPerImage=0'],
    2,
    "'data.cropsPerImage'",
  ],
  [
    'sweep --seeds 0',
    () => ['sweep', '--config', 'tiny', '--grid', 'kxd', '--seeds', '0'],
    2,
    "--seeds expects an integer ≥ 1, got '0'",
  ],
  [
    'ablate --seeds -1',
    () => ['ablate', '--config', 'tiny', '--seeds', '-1', '--list'],
    2,
    '--seeds expects an integer ≥ 1',
  ],
  [
    'demo --seeds 0',
    () => ['demo', '--seeds', '0', '--out', join(root, 'd0')],
    2,
    "--seeds expects an integer ≥ 1, got '0'",
  ],
  [
    'sweep --jobs 0',
    () => ['sweep', '--config', 'tiny', '--jobs', '0', '--list'],
    2,
    '--jobs expects an integer ≥ 1',
  ],
  [
    'sweep --match maybe',
    () => ['sweep', '--config', 'tiny', '--match', 'maybe', '--list'],
    2,
    "--match expects 'kd'",
  ],
  [
    '--match bits on the single-level grid',
    () => ['sweep', '--config', 'tiny', '--grid', 'kxd', '--match', 'bits', '--list'],
    2,
    "grid 'kxd' has no Table 1 pairs",
  ],
  ['config without a mode', () => ['config'], 2, 'pass exactly one of --print'],
  [
    'dry run of an unmatched pair',
    () => ['train', '--config', 'tiny', '--set', 'model.single.channels=24', '--dry-run'],
    2,
    '--allow-unmatched',
  ],
  ['dry run without --config', () => ['train', '--dry-run'], 2, 'train --dry-run: pass --config'],
  // Answered, not refused.
  ['sweep --list without data paths', () => ['sweep', '--list'], 0, ''],
  [
    'config --print paper without data paths',
    () => ['config', '--print', 'paper'],
    0,
    'data.train and data.val not set',
  ],
  [
    'maxPixels null',
    () => ['config', '--print', 'tiny', '--set', 'data.maxPixels=null', '--format', 'json'],
    0,
    '',
  ],
];

describe('adversarial configs and study flags: one row per case', () => {
  it.each(CASES)('%s', async (_what, argv, code, fragment) => {
    const args = argv();
    const before = readdirSync(root).sort();
    const r = await runVqkit(...args);
    expect(r.code, r.err).toBe(code);
    const text = code === 0 ? r.err + r.out : r.err;
    if (typeof fragment === 'string') expect(text).toContain(fragment);
    else expect(text).toMatch(fragment);
    expect(r.err).not.toMatch(/\n\s+at /); // never a stack trace
    expect(Object.prototype).not.toHaveProperty('x');
    expect(Object.prototype).not.toHaveProperty('y');
    expect(Object.prototype).not.toHaveProperty('z');
    expect(Object.prototype).not.toHaveProperty('polluted');
    if (code === 2) {
      // Refused before any work: no cell trained, nothing new but (possibly) an empty output folder.
      for (const name of readdirSync(root).filter((n) => !before.includes(n))) {
        expect(
          readdirSync(join(root, name)).filter((n) => !n.startsWith('.')),
          name,
        ).toEqual([]);
      }
    }
  });

  it('vqkit train --config paper --dry-run builds both sides without data or a run directory', async () => {
    const cwd = process.cwd();
    const dir = join(root, 'dry');
    mkdirSync(dir);
    process.chdir(dir);
    try {
      const r = await runVqkit('train', '--config', 'paper', '--dry-run');
      expect(r.code, r.err).toBe(0);
      // The PyTorch reference's counts (issue 10 §1), Ks 8192 / Kh 4096 at D 8.
      expect(r.out).toContain('trainable parameters: 1,174,091');
      expect(r.out).toContain('trainable parameters: 1,135,451');
      expect(r.out).toContain('single latents 64×64, K 8192, D 8: 53,248 index bits');
      expect(r.out).toContain('top    latents 32×32, K 4096, D 8: 12,288 index bits');
      expect(r.out).toContain('index bits per image: 61,440');
      expect(r.out).toContain('matched pair (eqs. 4–5): yes');
      expect(r.out).toContain('parameter gap: 3.4 %');
      expect(r.out).toContain('data.train and data.val not set');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('vqkit config --schema is a JSON Schema of the run config', async () => {
    const r = await runVqkit('config', '--schema');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.out);
    expect(schema.$schema).toContain('json-schema.org');
    expect(schema.properties.data.properties.transform.enum).toEqual([
      'resize',
      'center-crop',
      'random-resized-crop',
    ]);
    expect(schema.properties.train.properties.lrDecayEvery.default).toBe('epoch');
    expect(schema.properties.name.pattern).toBe('^[A-Za-z0-9._-]+$');
    expect(schema.required).toEqual(['data']);
  });

  it('vqkit config --print resolves presets, files and --set, and round-trips', async () => {
    const r = await runVqkit(
      'config',
      '--print',
      'tiny',
      '--set',
      'train.epochs=7',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out);
    expect(printed.train.epochs).toBe(7);
    expect(printed.data.transform).toBe('resize');
    expect(resolveConfig(printed)).toEqual({ ...resolveConfig('tiny', ['train.epochs=7']) });
    const paper = await runVqkit('config', '--print', 'paper');
    expect(paper.out).toContain('codebookSize: 8192');
    expect(paper.out).toContain('transform: resize');
    expect(paper.out).not.toContain('(unset)');
  });

  it('resolveConfig (the library) refuses forbidden keys in objects too', () => {
    const hostile = JSON.parse('{"data":{"train":"demo","val":"demo"},"__proto__":{"polluted":1}}');
    expect(() => resolveConfig(hostile)).toThrow(/key '__proto__' is not allowed/);
    const nested = JSON.parse('{"data":{"train":"demo","val":"demo","constructor":{"a":1}}}');
    expect(() => resolveConfig(nested)).toThrow(/key 'data.constructor' is not allowed/);
    expect(() => resolveConfig({ data: { train: 'demo', val: 'demo' }, f: () => 1 })).toThrow(
      ExperimentsError,
    );
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

/** Only ExperimentsError may escape; Object.prototype stays clean. */
function typedOrOk(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof ExperimentsError)) throw error;
    expect(error.exitCode).toBe(2);
  }
  expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(PROTO_KEYS);
}
const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype);

const KEYS = [
  'name',
  'architecture',
  'seed',
  'data',
  'data.train',
  'data.size',
  'data.transform',
  'data.flip',
  'data.maxPixels',
  'model.single.codeDim',
  'model.resChannels',
  'model.match',
  'quantizer.decay',
  'quantizer.kind',
  'quantizer.levels',
  'quantizer.depth',
  'train.learningRate',
  'train.lrDecayEvery',
  'tags.cell',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'a.__proto__.b',
  'hasOwnProperty.x',
  '',
  '.',
  'data..size',
];

describe('fuzzing --set parsing and the config schema', () => {
  it('random --set assignments never crash with anything but ExperimentsError', () => {
    const part = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 }));
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.constantFrom('1e999', '-1e999', 'NaN', '{"__proto__":{"x":1}}', 'null', '[]', '{}'),
    );
    const assignment = fc.oneof(
      fc.tuple(part, value).map(([k, v]) => `${k}=${v}`),
      fc.string({ maxLength: 24 }),
    );
    fc.assert(
      fc.property(fc.array(assignment, { maxLength: 4 }), (sets) => {
        typedOrOk(() => resolveConfig('tiny', sets, { requireData: false }));
        typedOrOk(() => applySet({}, sets[0] ?? '='));
      }),
      { numRuns: 400 },
    );
  });

  it('random config objects never crash with anything but ExperimentsError', () => {
    const key = fc.oneof(
      fc.constantFrom(
        'data',
        'model',
        'train',
        'quantizer',
        'eval',
        'tags',
        'name',
        'seed',
        'single',
      ),
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'train', 'val', 'size', 'codeDim'),
      fc.string({ maxLength: 8 }),
    );
    const anything = fc.anything({
      key,
      maxDepth: 3,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withTypedArray: true,
      withSparseArray: true,
      withBoxedValues: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        typedOrOk(() => resolveConfig(value as object));
        typedOrOk(() =>
          resolveConfig({ data: { train: 'demo', val: 'demo' }, model: value } as object),
        );
      }),
      { numRuns: 400 },
    );
  });
});
