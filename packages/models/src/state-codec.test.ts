import * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsTensor } from '@vqkit/backbones';
import { decodeSafetensors, encodeSafetensors } from '@vqkit/backbones';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelsError } from './errors';
import { decodeState, encodeState } from './state-codec';

/** Plain state values: what quantizer and loader states are made of. */
const stateValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.float32Array(),
    fc.float64Array(),
    fc.int32Array(),
    fc.uint8Array(),
    fc.int16Array(),
    fc.uint32Array(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('value'), {
      maxKeys: 4,
      noNullPrototype: true,
    }),
  ),
})).value;

/** Encodes, passes skeleton and tensors through JSON and a safetensors file, decodes. */
async function roundTrip(value: unknown): Promise<unknown> {
  const tensors: Record<string, SafetensorsTensor> = {};
  const skeleton = await encodeState({ v: value }, 'state', tensors);
  const file = decodeSafetensors(
    encodeSafetensors(tensors, { skeleton: JSON.stringify(skeleton) }),
  );
  return (decodeState(JSON.parse(file.metadata.skeleton!), file.tensors) as { v: unknown }).v;
}

describe('encodeState / decodeState', () => {
  it('round-trips any plain state exactly through JSON + safetensors (typed arrays keep their type and bits)', async () => {
    await fc.assert(
      fc.asyncProperty(stateValue, async (value) => {
        expect(await roundTrip(value)).toStrictEqual(value);
      }),
      { numRuns: 200 },
    );
  });

  it("stores a '__proto__' key as data, never as the prototype", async () => {
    const state = JSON.parse('{"__proto__": {"polluted": 1}, "a": 2}') as Record<string, unknown>;
    const back = (await roundTrip(state)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(back).toStrictEqual(state);
  });

  it('keeps non-finite numbers, -0 (plain and in arrays), and tf.Tensors with shape and dtype', async () => {
    expect(
      await roundTrip([Number.NaN, Number.POSITIVE_INFINITY, -Number.POSITIVE_INFINITY]),
    ).toEqual([Number.NaN, Number.POSITIVE_INFINITY, -Number.POSITIVE_INFINITY]);
    expect(Object.is(((await roundTrip(new Float32Array([-0]))) as Float32Array)[0], -0)).toBe(
      true,
    );
    const t = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const back = (await roundTrip(t)) as tf.Tensor;
    expect([back.shape, back.dtype, Array.from(await back.data())]).toEqual([
      [2, 3],
      'int32',
      [1, 2, 3, 4, 5, 6],
    ]);
    tf.dispose([t, back]);
  });

  it('rejects what it cannot store and names a missing tensor', async () => {
    await expect(encodeState({ f: () => 1 }, 'q', {})).rejects.toThrow(
      /encodeState: value at 'q\/f' must be plain data .* got a function/,
    );
    await expect(encodeState(new BigInt64Array(1), 'q', {})).rejects.toThrow(ModelsError);
    expect(() => decodeState({ $tensor: 'q/gone', array: 'Float32Array' }, {})).toThrow(
      /decodeState: tensor 'q\/gone' named in the metadata must be in the file/,
    );
  });
});
