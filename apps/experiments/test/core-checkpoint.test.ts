/**
 * Property-based fuzzing of the checkpoint reader (issue 11, "Keep it that way"): random byte
 * mutations of a valid checkpoint, and random edits behind valid checksums (metadata values,
 * dtypes, shapes, non-finite values), never end in anything but the app's typed error — from
 * reading, from restoring the model, or from restoring Adam.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type SafetensorsDtype } from '@vqkit/backbones';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/checkpoint/file';
import { restoreModel, restoreOptimizer } from '../src/checkpoint/restore';
import { ExperimentsError } from '../src/config/errors';
import { resolveConfig } from '../src/config/resolve';
import type { RunConfig } from '../src/config/schema';
import { AdamAdapter } from '../src/train/adam-adapter';
import { createModel } from '../src/train/create-model';
import { trainRun } from '../src/train/train-run';
import { makeDataset, silent, tinyConfig } from './core-helpers';

let valid: Uint8Array;
let path: string;
let config: RunConfig;

beforeAll(async () => {
  const data = await makeDataset();
  config = resolveConfig(
    tinyConfig(data, { train: { epochs: 1, stepsPerEpoch: 2, batchSize: 4 } }),
  );
  const runDir = join(data.root, 'fuzz');
  await trainRun(config, { runDir, quiet: true, stderr: silent });
  path = join(runDir, 'checkpoints', 'step-00000002.safetensors');
  valid = new Uint8Array(readFileSync(path));
});

/** Reads and restores `bytes` as the checkpoint at `path`; returns what was thrown (undefined if it loaded). */
async function load(bytes: Uint8Array): Promise<unknown> {
  const model = createModel(config);
  const adam = new AdamAdapter(1e-3);
  try {
    const checkpoint = decodeCheckpoint(bytes, path);
    await restoreModel(checkpoint, model);
    await restoreOptimizer(checkpoint, model, adam);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    model.dispose();
    adam.dispose();
  }
}

function expectTyped(error: unknown): void {
  if (error === undefined) return;
  expect(error, String((error as Error)?.stack)).toBeInstanceOf(ExperimentsError);
  expect((error as Error).message).toContain(path);
}

describe('checkpoint reader fuzzing', () => {
  it('the valid checkpoint loads', async () => {
    expect(await load(valid)).toBeUndefined();
  });

  it('random byte flips, truncations and extensions: only the typed error, naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.uint8Array({ maxLength: 16 }),
        async (flips, cut, tail) => {
          let bytes = Uint8Array.from(valid);
          for (const [at, xor] of flips) bytes[at % bytes.length]! ^= xor;
          if (cut !== undefined) bytes = bytes.subarray(0, cut % bytes.length);
          bytes = Uint8Array.from([...bytes, ...tail]);
          const error = await load(bytes);
          expect(error).toBeInstanceOf(ExperimentsError); // a changed byte never goes unnoticed
          expectTyped(error);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('edits behind valid checksums (metadata values, dtypes, shapes, NaN/Inf): only the typed error', async () => {
    const file = decodeSafetensors(valid);
    const meta = JSON.parse(file.metadata.vqkit!) as Record<string, unknown>;
    const keys = Object.keys(meta);
    const names = Object.keys(file.tensors);
    const dtypes: SafetensorsDtype[] = ['F32', 'F64', 'I32', 'I64', 'U8', 'BOOL', 'F16'];
    const edit = fc.oneof(
      fc.record({
        kind: fc.constant('meta' as const),
        key: fc.constantFrom(...keys),
        value: fc.jsonValue({ maxDepth: 2 }),
      }),
      fc.record({ kind: fc.constant('drop' as const), key: fc.constantFrom(...keys) }),
      fc.record({
        kind: fc.constant('dtype' as const),
        name: fc.constantFrom(...names),
        dtype: fc.constantFrom(...dtypes),
      }),
      fc.record({ kind: fc.constant('shape' as const), name: fc.constantFrom(...names) }),
      fc.record({
        kind: fc.constant('value' as const),
        name: fc.constantFrom(...names),
        value: fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e30),
      }),
      fc.record({ kind: fc.constant('remove' as const), name: fc.constantFrom(...names) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        const m = structuredClone(meta);
        const tensors = { ...decodeSafetensors(valid).tensors };
        for (const e of edits) {
          if (e.kind === 'meta') m[e.key] = e.value;
          else if (e.kind === 'drop') delete m[e.key];
          else if (e.kind === 'remove') delete tensors[e.name];
          else if (tensors[e.name] === undefined) continue;
          else if (e.kind === 'dtype') tensors[e.name] = retype(tensors[e.name]!, e.dtype);
          else if (e.kind === 'shape')
            tensors[e.name] = { ...tensors[e.name]!, shape: [tensors[e.name]!.data.length] };
          else if (tensors[e.name]!.data instanceof Float32Array)
            (tensors[e.name]!.data as Float32Array)[0] = e.value;
        }
        expectTyped(await load(encodeSafetensors(tensors, { vqkit: JSON.stringify(m) })));
      }),
      { numRuns: 80 },
    );
  });
});

/** The same element count under another dtype (values converted, so the file stays well-formed). */
function retype(
  t: { shape: number[]; data: ArrayLike<number> | ArrayLike<bigint> },
  dtype: SafetensorsDtype,
) {
  const n = t.data.length;
  const data =
    dtype === 'F32'
      ? new Float32Array(n)
      : dtype === 'F64'
        ? new Float64Array(n)
        : dtype === 'I32'
          ? new Int32Array(n)
          : dtype === 'I64'
            ? new BigInt64Array(n)
            : dtype === 'F16'
              ? new Uint16Array(n)
              : new Uint8Array(n);
  return { dtype, shape: t.shape, data };
}
