import { describe, expect, it } from 'vitest';
import { BackbonesError } from './errors';
import type { SafetensorsTensor } from './safetensors';
import { checkTensors, nonFiniteCount, tensorProblems } from './tensor-checks';

const f32 = (values: number[], shape = [values.length]): SafetensorsTensor => ({
  dtype: 'F32',
  shape,
  data: new Float32Array(values),
});

describe('nonFiniteCount', () => {
  it('counts NaN and ±Inf in every float dtype, from the bits for F16 and BF16', () => {
    expect(nonFiniteCount(f32([1, NaN, Infinity, -Infinity, 0, NaN]))).toEqual({ nan: 2, inf: 2 });
    const f64: SafetensorsTensor = {
      dtype: 'F64',
      shape: [3],
      data: new Float64Array([NaN, 1e308, -Infinity]),
    };
    expect(nonFiniteCount(f64)).toEqual({ nan: 1, inf: 1 });
    // F16: 0x7c00 +Inf, 0xfc00 −Inf, 0x7e00 NaN, 0x7bff max finite; BF16: 0x7f80 +Inf, 0x7fc0 NaN.
    const f16: SafetensorsTensor = {
      dtype: 'F16',
      shape: [4],
      data: new Uint16Array([0x7c00, 0xfc00, 0x7e00, 0x7bff]),
    };
    expect(nonFiniteCount(f16)).toEqual({ nan: 1, inf: 2 });
    const bf16: SafetensorsTensor = {
      dtype: 'BF16',
      shape: [3],
      data: new Uint16Array([0x7f80, 0x7fc0, 0x7f7f]),
    };
    expect(nonFiniteCount(bf16)).toEqual({ nan: 1, inf: 1 });
    const ints: SafetensorsTensor = { dtype: 'U16', shape: [1], data: new Uint16Array([0x7fc0]) };
    expect(nonFiniteCount(ints)).toEqual({ nan: 0, inf: 0 });
  });
});

describe('tensorProblems', () => {
  it('names what is wrong, one sentence per tensor', () => {
    expect(tensorProblems('w', undefined, { dtype: 'F32', shape: [2, null] })).toEqual([
      "missing tensor 'w' (expected F32 [2,*])",
    ]);
    expect(tensorProblems('w', f32([1, 2]), { dtype: ['I32', 'I64'] })).toEqual([
      "tensor 'w': wrong dtype, expected I32|I64, file has F32 [2]",
    ]);
    expect(tensorProblems('w', f32([1, 2]), { dtype: 'F64', shape: [3] })).toEqual([
      "tensor 'w': wrong dtype and shape, expected F64 [3], file has F32 [2]",
    ]);
    expect(tensorProblems('w', f32([1, 2, 3, 4], [2, 2]), { shape: [null, 2] })).toEqual([]);
    const nan = f32([...new Array(12).fill(NaN), Infinity, 1]);
    expect(tensorProblems('adam.v', nan, { dtype: 'F32' })).toEqual([
      "tensor 'adam.v' (F32 [14]) has 12 NaN values and 1 infinite value",
    ]);
    expect(tensorProblems('adam.v', nan, { finite: false })).toEqual([]);
  });
});

describe('checkTensors', () => {
  it('throws one BackbonesError listing every problem, naming the file', () => {
    const tensors = { a: f32([NaN]), b: f32([1, 2]), extra: f32([0]) };
    let err: unknown;
    try {
      checkTensors(
        tensors,
        { a: { dtype: 'F32' }, b: { shape: [3] }, c: { dtype: 'I64', shape: [] } },
        { strict: true, what: 'ckpt-000100.safetensors' },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackbonesError);
    expect((err as BackbonesError).problems).toEqual([
      "tensor 'a' (F32 [1]) has 1 NaN value",
      "tensor 'b': wrong shape, expected any dtype [3], file has F32 [2]",
      "missing tensor 'c' (expected I64 [])",
      "unexpected tensor 'extra' (F32 [1])",
    ]);
    expect((err as BackbonesError).message).toMatch(
      /^checkTensors: ckpt-000100\.safetensors does not hold what was expected \(4 problems\): .*\. Re-create it with the configuration it was saved from, or restore it from a backup\.$/,
    );
    expect(() => checkTensors(tensors, { b: { dtype: 'F32', shape: [2] } })).not.toThrow();
  });
});
