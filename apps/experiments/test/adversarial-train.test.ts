/**
 * Issue 11, training and evaluation side: every hostile or careless input gets a clear error
 * (exit code + message naming the file, key or path) or the correct behaviour, and nothing saved
 * is lost. One row per case: input, expected exit code, expected message fragment; the damaged
 * checkpoints are made here from a real run.
 */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/checkpoint/file';
import { listCheckpoints } from '../src/checkpoint/store';
import { resolveConfig } from '../src/config/resolve';
import { readLog } from '../src/run-dir';
import { DEMO_REGIONS } from '../src/train/data';
import { trainRun } from '../src/train/train-run';
import { err, out, vqkit } from './cli-helpers';
import {
  firstTensor,
  makeDataset,
  type OpenCheckpoint,
  RAW_DAMAGE,
  rewriteCheckpoint,
  silent,
  tinyConfig,
  writeSyntheticImages,
} from './core-helpers';

let data: Awaited<ReturnType<typeof makeDataset>>;
/** A finished run (2 epochs × 3 steps): checkpoints at steps 3 and 6. */
let source: string;
let configFile: string;

let copies = 0;
/** A fresh copy of the finished run. */
function copyRun(): string {
  const dir = join(data.root, 'cases', `run-${copies++}`);
  cpSync(source, dir, { recursive: true });
  return dir;
}

const ckpt = (dir: string, step: number) =>
  join(dir, 'checkpoints', `step-${String(step).padStart(8, '0')}.safetensors`);

beforeAll(async () => {
  data = await makeDataset();
  source = join(data.root, 'source');
  configFile = join(data.root, 'tiny.json');
  writeFileSync(configFile, JSON.stringify(tinyConfig(data)));
  await trainRun(resolveConfig(tinyConfig(data)), { runDir: source, quiet: true, stderr: silent });
});

/** What the refusal says about each raw damage of {@link RAW_DAMAGE}. */
const RAW_PROBLEM: Record<string, RegExp> = {
  'zero bytes': /file is 0 bytes, shorter than the 8-byte header length/,
  'truncated to half': /data_offsets \[\d+,\d+\] run past the \d+-byte data section/,
  'header length past the end': /header length \d+ exceeds the \d+ bytes after the length field/,
  'header length 2^64 − 1': /header length 18446744073709551615 exceeds/,
  'header not JSON': /header does not start with "\{"/,
  'header a JSON array': /header does not start with "\{"/,
  'tensor relabelled F32 → I32 in the header':
    /the CRC-32 of its header .* is [0-9a-f]{8}, but it records/,
  'exponent bits flipped in the data':
    /the CRC-32 of its data section is [0-9a-f]{8}, but it records/,
};

/** Damage done to the newest checkpoint (step 6): raw byte edits, or edits behind valid checksums. */
const DAMAGE: { name: string; damage: (path: string) => void; problem: RegExp }[] = [
  ...Object.entries(RAW_DAMAGE).map(([name, edit]) => ({
    name,
    damage: (path: string) => writeFileSync(path, edit(readFileSync(path))),
    problem: RAW_PROBLEM[name]!,
  })),
  {
    name: 'metadata without optimizer',
    damage: (p) => rewriteCheckpoint(p, (f) => delete f.meta.optimizer),
    problem: /metadata key 'optimizer' is invalid/,
  },
  {
    name: 'unknown format version',
    damage: (p) => rewriteCheckpoint(p, (f) => (f.meta.format = 'vqkit.checkpoint/9')),
    problem: /format is "vqkit.checkpoint\/9", expected 'vqkit.checkpoint\/2'/,
  },
  {
    name: 'metadata step differs from the file name',
    damage: (p) => rewriteCheckpoint(p, (f) => (f.meta.step = 5)),
    problem: /metadata says step 5 but its file name says step 6/,
  },
  {
    name: 'NaN weights',
    damage: (p) => rewriteCheckpoint(p, (f) => nanFirst(f, 'model/')),
    problem: /tensor 'model\/[^']+' \(F32 \[[\d,]+\]\) has 1 NaN value/,
  },
  {
    name: 'Inf in Adam v (the issue\'s "good" checkpoint)',
    damage: (p) =>
      rewriteCheckpoint(p, (f) => {
        const names = Object.keys(f.tensors).filter((n) => n.startsWith('optimizer/'));
        (f.tensors[names.at(-1)!]!.data as Float32Array)[0] = Number.POSITIVE_INFINITY;
      }),
    problem: /tensor 'optimizer\/\d+' .* has 1 infinite value/,
  },
  {
    name: 'no checksums',
    damage: (p) => rewriteCheckpoint(p, () => {}, { checksum: false }),
    problem: /carries no checksum/,
  },
];

function nanFirst(f: OpenCheckpoint, prefix: string): void {
  (firstTensor(f, prefix)[1].data as Float32Array)[0] = Number.NaN;
}

describe('a damaged newest checkpoint is listed and refused (issue 11 #3, #4)', () => {
  for (const row of DAMAGE) {
    it(`eval, ${row.name}: exit 1 naming the file; --allow-older-checkpoint evaluates step 3`, async () => {
      const dir = copyRun();
      row.damage(ckpt(dir, 6));
      const before = readFileSync(ckpt(dir, 6));
      expect(await vqkit('eval', '--run', dir, '-q')).toBe(1);
      expect(err).toContain(`damaged checkpoint in ${join(dir, 'checkpoints')}: ${ckpt(dir, 6)}`);
      expect(err).toMatch(row.problem);
      expect(err).toContain(
        `The newest intact one is ${ckpt(dir, 3)}: pass --allow-older-checkpoint`,
      );
      expect(existsSync(join(dir, 'metrics.json'))).toBe(false);
      expect(readFileSync(ckpt(dir, 6)).equals(before)).toBe(true);
    });
  }

  it('train --resume refuses too, writing nothing; with --allow-older-checkpoint it resumes from step 3 and keeps the damaged file aside', async () => {
    const dir = copyRun();
    writeFileSync(ckpt(dir, 6), Buffer.alloc(0));
    const log = readFileSync(join(dir, 'log.jsonl'));
    expect(await vqkit('train', '--resume', '--run-dir', dir, '-q')).toBe(1);
    expect(err).toMatch(/train --resume: 1 damaged checkpoint .*step-00000006\.safetensors/);
    expect(readFileSync(join(dir, 'log.jsonl')).equals(log)).toBe(true);

    expect(
      await vqkit('train', '--resume', '--allow-older-checkpoint', '--run-dir', dir, '-q'),
    ).toBe(0);
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual([
      'step-00000003.safetensors',
      'step-00000006.safetensors',
      'step-00000006.safetensors.damaged',
    ]);
    const resume = readLog(join(dir, 'log.jsonl'))
      .filter((r) => r.type === 'resume')
      .at(-1)!;
    expect(resume).toMatchObject({ step: 3, setAside: [`${ckpt(dir, 6)}.damaged`] });
    expect(readCheckpoint(ckpt(dir, 6)).meta.step).toBe(6);

    const other = copyRun();
    writeFileSync(ckpt(other, 6), 'not a checkpoint');
    expect(await vqkit('eval', '--run', other, '--allow-older-checkpoint', '-q')).toBe(0);
    const metrics = JSON.parse(readFileSync(join(other, 'metrics.json'), 'utf8'));
    expect(metrics.checkpoint).toMatchObject({
      step: 3,
      selectedBy: 'last',
      skippedDamaged: [ckpt(other, 6)],
    });
  });

  it('a checkpoint of another model (dtype, shape, an I64 quantizer tensor) is refused naming the tensor', async () => {
    const edits: [string, (f: OpenCheckpoint) => void, RegExp][] = [
      [
        'F32 weight re-encoded as I32',
        (f) => {
          const [, t] = firstTensor(f, 'model/');
          t.dtype = 'I32';
          t.data = new Int32Array((t.data as Float32Array).buffer.slice(0));
        },
        /does not fit the model: .*wrong dtype, expected F32/,
      ],
      [
        'weight of another shape',
        (f) => {
          const [name, t] = firstTensor(f, 'model/');
          f.tensors[name] = { dtype: 'F32', shape: [t.data.length], data: t.data };
        },
        /does not fit the model: .*wrong shape/,
      ],
      [
        'I64 quantizer tensor',
        (f) => {
          const [, t] = firstTensor(f, 'quantizer/');
          t.dtype = 'I64';
          t.data = BigInt64Array.from(Array.from(t.data as ArrayLike<number>, () => 1n));
        },
        /does not fit the model|damaged/,
      ],
    ];
    for (const [name, edit, message] of edits) {
      const dir = copyRun();
      rewriteCheckpoint(ckpt(dir, 6), edit);
      expect(await vqkit('eval', '--run', dir, '--checkpoint', ckpt(dir, 6), '-q'), name).toBe(1);
      expect(err, name).toMatch(message);
      expect(err, name).toContain(ckpt(dir, 6));
      expect(err, name).not.toMatch(/\n\s+at /);
    }
  });
});

interface Row {
  name: string;
  /** Prepares the case; returns the CLI arguments. */
  args: () => string[] | Promise<string[]>;
  code: number;
  message: string | RegExp;
  /** Further checks after the command (nothing lost, nothing half-made). */
  after?: () => void;
}

const tinySets = [
  '--set',
  'data.size=16',
  '--set',
  'model.single.channels=10',
  '--set',
  'model.hierarchical.channels=8',
  '--set',
  'model.resChannels=8',
  '--set',
  'train.batchSize=4',
];

function freshDir(name: string): string {
  return join(data.root, 'fresh', name);
}

const ROWS: Row[] = [
  {
    name: "--run-dir ''",
    args: () => ['train', '--config', configFile, '--run-dir', '', '-q'],
    code: 2,
    message: `--run-dir must name a folder, got ""`,
  },
  {
    name: 'codebookSize = 1e9',
    args: () => [
      'train',
      '--config',
      configFile,
      '--set',
      'model.single.codebookSize=1e9',
      '--allow-unmatched',
      '--run-dir',
      freshDir('k1e9'),
      '-q',
    ],
    code: 2,
    message:
      /a 1000000000 × 4 codebook takes 16\.0 GB, more than the 2\.15 GB one tensor may take\. Lower model\.single\.codebookSize/,
    after: () => expect(existsSync(freshDir('k1e9'))).toBe(false),
  },
  {
    name: 'channels = 1e5',
    args: () => [
      'train',
      '--config',
      configFile,
      '--set',
      'model.single.channels=100000',
      '--allow-unmatched',
      '--run-dir',
      freshDir('c1e5'),
      '-q',
    ],
    code: 2,
    message:
      /3×3 convolution kernel of 100000 → 100000 channels takes 360 GB.*Lower model\.single\.channels/,
  },
  {
    name: 'a training folder with no readable image leaves nothing behind',
    args: () => {
      const bad = join(data.root, 'unreadable-train');
      mkdirSync(bad, { recursive: true });
      for (let i = 0; i < 6; i++) writeFileSync(join(bad, `x${i}.png`), 'not a png');
      return [
        'train',
        '--config',
        configFile,
        '--set',
        `data.train=${bad}`,
        '--run-dir',
        freshDir('no-train'),
        '-q',
      ];
    },
    code: 2,
    message: /^vqkit: data\.train: createLoader: .*unreadable-train/,
    after: () => expect(existsSync(freshDir('no-train'))).toBe(false),
  },
  {
    name: 'an unreadable validation folder fails before the first step',
    args: () => [
      'train',
      '--config',
      configFile,
      '--set',
      `data.val=${join(data.root, 'unreadable-train')}`,
      '--run-dir',
      freshDir('no-val'),
      '-q',
    ],
    code: 2,
    message: /^vqkit: data\.val: createLoader: .*unreadable-train/,
    after: () => expect(existsSync(freshDir('no-val'))).toBe(false),
  },
  {
    name: 'a test split with no readable image',
    args: () => [
      'train',
      '--config',
      configFile,
      '--set',
      `data.test=${join(data.root, 'unreadable-train')}`,
      '--run-dir',
      freshDir('no-test'),
      '-q',
    ],
    code: 2,
    message: /^vqkit: data\.test: createLoader: /,
  },
  {
    name: 'eval of a run whose data.test has no readable image',
    args: () => {
      const dir = copyRun();
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      config.data.test = join(data.root, 'unreadable-train');
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      return ['eval', '--run', dir, '-q'];
    },
    code: 2,
    message: /^vqkit: data\.test: createLoader: /,
  },
  {
    name: 'data.maxPixels below the images (decode memory bounded)',
    args: () => [
      'train',
      '--config',
      configFile,
      '--set',
      'data.maxPixels=1000',
      '--run-dir',
      freshDir('max-pixels'),
      '-q',
    ],
    code: 2,
    message: /data\.train: .*data\.maxPixels/,
  },
  {
    name: "data.transform with 'demo' photos",
    args: () => [
      'train',
      '--config',
      'tiny',
      '--set',
      'data.transform=center-crop',
      '--run-dir',
      freshDir('demo-transform'),
      '-q',
    ],
    code: 2,
    message: "data.train: data.transform applies to image folders, but data.train is 'demo'",
  },
  {
    name: 'data.decodeShorterSide with an image folder',
    args: () => [
      'train',
      '--config',
      configFile,
      '--set',
      'data.decodeShorterSide=64',
      '--run-dir',
      freshDir('folder-decode-side'),
      '-q',
    ],
    code: 2,
    message:
      "data.train: data.decodeShorterSide applies to 'demo' data (it resizes the bundled photos before crops are cut), but data.train is an image folder",
  },
  {
    name: "data.decodeShorterSide below data.size with 'demo' photos",
    args: () => [
      'train',
      '--config',
      'tiny',
      '--set',
      'data.decodeShorterSide=16',
      '--run-dir',
      freshDir('demo-decode-side'),
      '-q',
    ],
    code: 2,
    message: /^vqkit: data\.train: randomCropDataset: data\.decodeShorterSide .*16/,
  },
  {
    name: '--checkpoint naming a missing file',
    args: () => [
      'eval',
      '--run',
      copyRun(),
      '--checkpoint',
      '/nonexistent/step-1.safetensors',
      '-q',
    ],
    code: 2,
    message:
      'eval: --checkpoint /nonexistent/step-1.safetensors does not exist. Pass last, best, or the path',
  },
  {
    name: 'the run dir is a file',
    args: () => {
      writeFileSync(join(data.root, 'a-file'), 'x');
      return ['train', '--config', configFile, '--run-dir', join(data.root, 'a-file'), '-q'];
    },
    code: 2,
    message:
      /cannot create the run directory .*a-file: E(EXIST|NOTDIR) \(.*\)\. Choose a writable --run-dir/,
  },
  {
    name: 'the run dir is under a file',
    args: () => [
      'train',
      '--config',
      configFile,
      '--run-dir',
      join(data.root, 'a-file', 'run'),
      '-q',
    ],
    code: 2,
    message: /a-file\/run: ENOTDIR \(a part of the path is a file, not a folder\)/,
  },
  {
    name: '--resume on a run another process is training (lock held by a live pid)',
    args: () => {
      const dir = copyRun();
      writeFileSync(
        join(dir, 'vqkit.lock'),
        JSON.stringify({
          pid: process.pid,
          host: hostname(),
          startedAt: '2026-01-02T03:04:05Z',
          command: 'train',
        }),
      );
      return ['train', '--resume', '--run-dir', dir, '-q'];
    },
    code: 2,
    message: `is in use by pid ${process.pid} (vqkit train, started 2026-01-02T03:04:05Z)`,
  },
  {
    name: 'a stale lock of a dead process is reported, not taken over',
    args: () => {
      const dir = copyRun();
      const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
      writeFileSync(
        join(dir, 'vqkit.lock'),
        JSON.stringify({
          pid: dead,
          host: hostname(),
          startedAt: '2026-01-02T03:04:05Z',
          command: 'train',
        }),
      );
      return ['train', '--resume', '--run-dir', dir, '-q'];
    },
    code: 2,
    message:
      /has a stale lock: pid \d+ \(vqkit train, started [^)]*\) on \S+ is no longer running .* delete .*vqkit\.lock/,
  },
  {
    name: 'lowering train.epochs on resume',
    args: () => [
      'train',
      '--resume',
      '--run-dir',
      copyRun(),
      '--config',
      configFile,
      '--set',
      'train.epochs=1',
      '-q',
    ],
    code: 2,
    message:
      'train.epochs may only grow on resume: the run was configured for 2 epochs, the given config says 1',
  },
];

describe('bad input: one row per case (issue 11 #2, #6–#8, smaller items; issue 10 §4)', () => {
  for (const row of ROWS) {
    it(`${row.name} → exit ${row.code}`, async () => {
      const args = await row.args();
      expect(await vqkit(...args)).toBe(row.code);
      if (typeof row.message === 'string') expect(err).toContain(row.message);
      else expect(err).toMatch(row.message);
      expect(err).not.toMatch(/\n\s+at /); // never a stack trace
      row.after?.();
    });
  }
});

describe('nothing to do, nothing lost (issue 11 #5, #11, #12)', () => {
  it('re-resuming a finished run says so and writes nothing', async () => {
    const dir = copyRun();
    const files = ['train-summary.json', 'log.jsonl', 'config.json'];
    const before = files.map((f) => readFileSync(join(dir, f)));
    expect(await vqkit('train', '--resume', '--run-dir', dir, '-q')).toBe(0);
    expect(err).toContain('already finished all 2 epoch(s) (step 6');
    expect(err).toContain('nothing to do, nothing was written');
    for (const [i, f] of files.entries()) {
      expect(readFileSync(join(dir, f)).equals(before[i]!), f).toBe(true);
    }
    expect(out.trim()).toBe(dir);
    expect(existsSync(join(dir, 'vqkit.lock'))).toBe(false);
  });

  it('a torn last line in log.jsonl does not swallow the next record', async () => {
    const dir = copyRun();
    appendFileSync(join(dir, 'log.jsonl'), '{"type":"step","step":7,"lo');
    const code = await vqkit(
      'train',
      '--resume',
      '--run-dir',
      dir,
      '--config',
      configFile,
      '--set',
      'train.epochs=3',
      '-q',
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n');
    const torn = lines.findIndex((l) => l.endsWith('"lo'));
    expect(JSON.parse(lines[torn + 1]!).type).toBe('resume');
    expect(readLog(join(dir, 'log.jsonl')).filter((r) => r.type === 'resume')).toHaveLength(1);
  });

  it('exploding gradients (lr 10, a checkpoint every step): stops naming the step; every checkpoint on disk is finite and loads', async () => {
    const dir = freshDir('lr10');
    const code = await vqkit(
      'train',
      '--config',
      configFile,
      '--set',
      'train.learningRate=10',
      '--set',
      'train.checkpointEvery=1',
      '--set',
      'train.logEvery=1',
      '--set',
      'train.keepLast=10',
      '--run-dir',
      dir,
      '-q',
    );
    expect(code).toBe(1);
    expect(err).toMatch(/non-finite \(NaN or ±Infinity\) (at|between) step \d+/);
    const entries = listCheckpoints(join(dir, 'checkpoints'));
    expect(entries.length).toBeGreaterThan(0);
    expect(err).toContain(`The last good checkpoint is ${entries.at(-1)!.path}`);
    expect(readdirSync(join(dir, 'checkpoints')).every((n) => !n.includes('.tmp-'))).toBe(true);
    expect(await vqkit('eval', '--run', dir, '-q')).toBe(0);
  });
});

describe('held-out evaluation (issue 10 §4)', () => {
  it("data.test: 'demo' test crops come from a region disjoint from training and validation; metrics.json records checkpoint, split and settings", async () => {
    const dir = freshDir('demo-test');
    const sets = [
      ...tinySets,
      '--set',
      'data.cropsPerEpoch=16',
      '--set',
      'data.valImages=8',
      '--set',
      'eval.images=8',
      '--set',
      'data.test=demo',
      '--set',
      'train.epochs=2',
    ];
    expect(await vqkit('train', '--config', 'tiny', ...sets, '--run-dir', dir, '-q')).toBe(0);
    expect(await vqkit('eval', '--run', dir, '--checkpoint', 'best', '-q')).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(m.data.split).toBe('test');
    expect(m.data.source).toBe('demo');
    expect(m.data.settings.test.region).toEqual(DEMO_REGIONS.test);
    expect(m.data.settings.train.region).toEqual(DEMO_REGIONS.train);
    expect(m.checkpoint.selectedBy).toBe('best');
    expect(m.checkpoint.valMse).toBeGreaterThan(0);
    const start = readLog(join(dir, 'log.jsonl')).find((r) => r.type === 'start')!;
    const settings = (start.data as { settings: Record<string, { region: object }> }).settings;
    expect(settings.val!.region).toEqual(DEMO_REGIONS.val);

    expect(await vqkit('eval', '--run', dir, '-q')).toBe(0);
    const last = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(last.checkpoint).toMatchObject({
      selectedBy: 'last',
      step: 8,
      path: 'checkpoints/step-00000008.safetensors',
    });
  });

  it('folder loaders get data.transform, data.flip and data.cropsPerImage: 6 photos fill batches of 4 with cropsPerImage 2', async () => {
    const few = join(data.root, 'few');
    await writeSyntheticImages(few, 3, 9);
    const dir = freshDir('few');
    const code = await vqkit(
      'train',
      '--config',
      configFile,
      '--set',
      `data.train=${few}`,
      '--set',
      'data.transform=center-crop',
      '--set',
      'data.flip=true',
      '--set',
      'data.cropsPerImage=2',
      '--set',
      'train.epochs=1',
      '--set',
      'train.stepsPerEpoch=null',
      '--run-dir',
      dir,
      '-q',
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    const start = readLog(join(dir, 'log.jsonl')).find((r) => r.type === 'start')!;
    const train = (start.data as { settings: { train: Record<string, unknown> } }).settings.train;
    expect(train).toMatchObject({
      transform: 'center-crop',
      cropsPerImage: 2,
      flipProbability: 0.5,
    });
    expect((start.data as { trainItems: number }).trainItems).toBe(6);
  });
});
