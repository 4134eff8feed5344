import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors } from '@vqkit/backbones';
import { encodeModelState, loadModel, saveModel, type VQVAE, vqvaeTrainStep } from '@vqkit/models';
import type { VectorQuantizer } from '@vqkit/quantizer';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
// The playground's own export code path (apps/playground): what its Export button runs.
import { MODEL_FORMAT, playgroundMetadata } from '../../playground/src/export-model';
import { defaultOptions } from '../../playground/src/options';
import type { RunRecord } from '../../playground/src/run-record';
import { buildModel, modelOptions } from '../../playground/src/vqvae';
import { ExperimentsError } from '../src/config/errors';
import { PLAYGROUND_MODEL_FORMAT, readModelFile } from '../src/eval/model-file';
import type { RunMetrics } from '../src/eval/run-metrics';
import { createModel } from '../src/train/create-model';
import { err, out, vqkit } from './cli-helpers';

const options = {
  ...defaultOptions(),
  cropSize: 32,
  channels: 8,
  codebookSize: 16,
  codeDim: 4,
  resBlocks: 0,
};

let root: string;
let exported: string;
let playgroundModel: VQVAE;
let bytes: Uint8Array;

/** Trains the playground's model two steps and exports it as its Export button does. */
async function exportLikeThePlayground(): Promise<Uint8Array> {
  const mo = modelOptions(options);
  playgroundModel = buildModel(mo);
  const adam = tf.train.adam(2e-3);
  for (let step = 0; step < 2; step++) {
    const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', step) as tf.Tensor4D;
    tf.dispose([vqvaeTrainStep(playgroundModel, adam, x), x]);
  }
  adam.dispose();
  const steps = [1, 2].map((step) => ({ step, loss: 0.1, reconstruction: 0.08, commitment: 0.02 }));
  const run: Pick<RunRecord, 'backend' | 'steps' | 'status' | 'final' | 'image'> = {
    backend: 'cpu',
    steps,
    status: 'finished',
    final: { step: 2, psnr: 11, mse: 0.08, usage: {} },
    image: { name: 'coffee.jpg', width: 64, height: 32, tilesX: 2, tilesY: 1 },
  };
  return saveModel(playgroundModel, { ...playgroundMetadata(mo, run) });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vqkit-model-file-'));
  bytes = await exportLikeThePlayground();
  exported = join(root, 'vqkit-playground-hierarchical.safetensors');
  writeFileSync(exported, bytes);
});

describe('vqkit eval --checkpoint <playground export>', () => {
  it('rebuilds the model from the file’s metadata and writes metrics.json next to the file', async () => {
    expect(PLAYGROUND_MODEL_FORMAT).toBe(MODEL_FORMAT);
    expect(await vqkit('eval', '--checkpoint', exported, '--backend', 'cpu', '-q')).toBe(0);
    const dir = join(root, 'vqkit-playground-hierarchical-eval');
    expect(out.trim()).toBe(join(dir, 'metrics.json'));
    const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as RunMetrics;
    expect(m).toMatchObject({
      schema: 'vqkit.metrics/1',
      architecture: 'hierarchical',
      steps: 2,
      checkpoint: { selectedBy: 'file', step: 2 },
      data: { split: 'custom', source: 'demo' },
      modelFile: { format: 'playground', run: { backend: 'cpu', steps: 2 } },
      matched: { ok: true },
    });
    expect(m.config.model.hierarchical).toMatchObject({
      channels: 8,
      codebookSize: 16,
      codeDim: 4,
    });
    // The capacity-matched single-level partner (eqs. 4–5, same D): Cs 10, Ks 32.
    expect(m.config.model.single).toEqual({ channels: 10, codebookSize: 32, codeDim: 4 });
    expect(m.levels.map((l) => [l.name, l.kind, l.codebookSize, l.counts.length])).toEqual([
      ['bottom', 'vq', 16, 16],
      ['top', 'vq', 16, 16],
    ]);
    expect(Number.isFinite(m.psnr.mean)).toBe(true);
    expect(m.samples.originals.every((p) => existsSync(join(dir, p)))).toBe(true);

    // The model the app rebuilt from the metadata is the playground's: the same levels, variables
    // and quantizer policies, and — loaded — every weight and quantizer state bit for bit.
    const rebuilt = createModel(m.config);
    expect(rebuilt.levels).toEqual(playgroundModel.levels);
    expect(rebuilt.countParams()).toBe(playgroundModel.countParams());
    const policies = (model: VQVAE) =>
      model.quantizers.map(({ quantizer }) => {
        const vq = quantizer as VectorQuantizer;
        return [vq.initPolicy.name, vq.resetPolicy.name, vq.decay, vq.commitmentWeight];
      });
    expect(policies(rebuilt)).toEqual(policies(playgroundModel));
    await loadModel(rebuilt, bytes);
    const [mine, theirs] = await Promise.all([
      encodeModelState(rebuilt),
      encodeModelState(playgroundModel),
    ]);
    expect(mine.quantizers).toEqual(theirs.quantizers);
    expect(Object.keys(mine.tensors).sort()).toEqual(Object.keys(theirs.tensors).sort());
    for (const [name, t] of Object.entries(theirs.tensors)) {
      expect(Array.from(mine.tensors[name]!.data as Float32Array), name).toEqual(
        Array.from(t.data as Float32Array),
      );
    }
    rebuilt.dispose();
  });

  it('writes into --out when given', async () => {
    const dir = join(root, 'chosen');
    expect(
      await vqkit('eval', '--checkpoint', exported, '--out', dir, '--backend', 'cpu', '-q'),
    ).toBe(0);
    expect(out.trim()).toBe(join(dir, 'metrics.json'));
    expect(existsSync(join(dir, 'metrics.json'))).toBe(true);
  });

  it('bad files and flags exit 2 naming the file and the fix, writing nothing', async () => {
    const text = join(root, 'notes.safetensors');
    writeFileSync(text, 'not a model at all');
    expect(await vqkit('eval', '--checkpoint', text, '-q')).toBe(2);
    expect(err).toContain(text);
    expect(err).toContain('damaged or not a safetensors file');
    expect(err).toContain('Pass a model exported by the playground');

    const damaged = join(root, 'damaged.safetensors');
    const copy = new Uint8Array(bytes);
    copy[copy.length - 100] = (copy[copy.length - 100]! + 1) % 256; // one weight byte
    writeFileSync(damaged, copy);
    expect(await vqkit('eval', '--checkpoint', damaged, '-q')).toBe(2);
    expect(err).toContain(damaged);
    expect(err).toMatch(/checksum|damaged/);
    expect(existsSync(join(root, 'damaged-eval'))).toBe(false);

    const truncated = join(root, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length / 2));
    expect(await vqkit('eval', '--checkpoint', truncated, '-q')).toBe(2);
    expect(err).toContain(truncated);

    const bare = join(root, 'bare.safetensors');
    writeFileSync(bare, await saveModel(playgroundModel));
    expect(await vqkit('eval', '--checkpoint', bare, '-q')).toBe(2);
    expect(err).toContain('without the playground metadata');

    const loose = join(root, 'loose', 'step-00000002.safetensors');
    mkdirSync(join(root, 'loose'));
    const { encodeCheckpointLike } = await checkpointBytes();
    writeFileSync(loose, encodeCheckpointLike);
    expect(await vqkit('eval', '--checkpoint', loose, '-q')).toBe(2);
    expect(err).toContain('--run <run dir>');

    // Valid checksums, but metadata describing another model: refused before anything is written.
    const edited = join(root, 'edited.safetensors');
    const file = decodeSafetensors(bytes);
    const model = JSON.parse(file.metadata['playground.model']!);
    const metadata = {
      ...file.metadata,
      'playground.model': JSON.stringify({ ...model, channels: 12 }),
    };
    writeFileSync(edited, encodeSafetensors(file.tensors, metadata));
    expect(await vqkit('eval', '--checkpoint', edited, '-q')).toBe(2);
    expect(err).toContain(edited);
    expect(err).toContain('do not fit the model its playground metadata describes');
    expect(existsSync(join(root, 'edited-eval'))).toBe(false);

    expect(await vqkit('eval', '-q')).toBe(2);
    expect(err).toContain('--checkpoint <file> alone');
    expect(await vqkit('eval', '--run', root, '--out', join(root, 'x'), '-q')).toBe(2);
    expect(err).toContain('--out is for a model file');
    expect(await vqkit('eval', '--checkpoint', join(root, 'missing.safetensors'), '-q')).toBe(2);
    expect(err).toContain('ENOENT');
  });
});

/** A file carrying a vqkit checkpoint's metadata key (what makes it a training checkpoint). */
async function checkpointBytes(): Promise<{ encodeCheckpointLike: Uint8Array }> {
  return {
    encodeCheckpointLike: encodeSafetensors(
      { w: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } },
      { vqkit: JSON.stringify({ format: 'vqkit.checkpoint/2' }) },
    ),
  };
}

describe('reading model files', () => {
  it('random byte flips and truncations of an export: only exit 2 naming the file', () => {
    const path = join(root, 'mutated.safetensors');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        (flips, cut) => {
          const copy = new Uint8Array(bytes);
          for (const [at, by] of flips)
            copy[at % copy.length] = (copy[at % copy.length]! + by) % 256;
          if (cut === undefined && copy.every((b, i) => b === bytes[i])) return; // flips that cancel out
          writeFileSync(path, cut === undefined ? copy : copy.subarray(0, cut % copy.length));
          try {
            readModelFile(path);
          } catch (error) {
            expect(error).toBeInstanceOf(ExperimentsError);
            expect((error as ExperimentsError).exitCode).toBe(2);
            expect((error as Error).message).toContain(path);
            return;
          }
          throw new Error('a mutated export was read as intact');
        },
      ),
      { numRuns: 60 },
    );
  });
});
