import * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsDtype, SafetensorsTensor } from '@vqkit/backbones';
import { runtimeError } from '../config/errors';

/**
 * Splits an arbitrary state object (quantizer states, loader states, …) into a JSON skeleton and a set
 * of binary tensors, so the whole thing fits into one safetensors file: every typed array (or tf.Tensor)
 * becomes a tensor named `${prefix}/${path}` and is replaced in the skeleton by
 * `{ "$tensor": name, "array": "Float32Array", "shape": [...] }`. Numbers, strings, booleans, null,
 * arrays and plain objects stay in the skeleton. Non-finite numbers are tagged so they survive JSON.
 */
export async function encodeState(
  value: unknown,
  prefix: string,
  tensors: Record<string, SafetensorsTensor>,
): Promise<unknown> {
  if (value instanceof tf.Tensor) {
    const data = await value.data();
    return encodeState(typedCopy(data), prefix, tensors).then((node) => ({
      ...(node as object),
      shape: [...value.shape],
      tfTensor: value.dtype,
    }));
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const kind = ARRAYS.find((a) => value instanceof a.ctor);
    if (kind === undefined) {
      throw runtimeError(
        `checkpoint: cannot store a ${value.constructor.name} at '${prefix}'; only 8/16/32-bit ints and floats are supported.`,
      );
    }
    const data = value as unknown as ArrayLike<number> & { length: number };
    tensors[prefix] = {
      dtype: kind.dtype,
      shape: [data.length],
      data: typedCopy(value) as SafetensorsTensor['data'],
    };
    return { $tensor: prefix, array: kind.ctor.name };
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : { $number: String(value) };
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value === undefined) return { $undefined: true };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++)
      out.push(await encodeState(value[i], `${prefix}/${i}`, tensors));
    return out;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = await encodeState(v, `${prefix}/${k}`, tensors);
    }
    return out;
  }
  throw runtimeError(`checkpoint: cannot store a ${typeof value} at '${prefix}'.`);
}

/** Inverse of {@link encodeState}: rebuilds the state with fresh typed arrays (and tf.Tensors). */
export function decodeState(node: unknown, tensors: Record<string, SafetensorsTensor>): unknown {
  if (Array.isArray(node)) return node.map((n) => decodeState(n, tensors));
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  if (typeof obj.$number === 'string') return Number(obj.$number);
  if (obj.$undefined === true) return undefined;
  if (typeof obj.$tensor === 'string') {
    const t = tensors[obj.$tensor];
    if (t === undefined) {
      throw runtimeError(
        `checkpoint: tensor '${obj.$tensor}' named in the metadata is missing from the file; the checkpoint is damaged. Resume from an older one.`,
      );
    }
    const kind = ARRAYS.find((a) => a.ctor.name === obj.array);
    if (kind === undefined)
      throw runtimeError(
        `checkpoint: unknown array type '${String(obj.array)}' for '${obj.$tensor}'.`,
      );
    const data = new kind.ctor(t.data.length);
    data.set(t.data as unknown as ArrayLike<number>);
    if (typeof obj.tfTensor === 'string') {
      return tf.tensor(data as Float32Array, obj.shape as number[], obj.tfTensor as tf.DataType);
    }
    return data;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decodeState(v, tensors);
  return out;
}

type NumericArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor;

const ARRAYS: { ctor: NumericArrayCtor; dtype: SafetensorsDtype }[] = [
  { ctor: Float32Array, dtype: 'F32' },
  { ctor: Float64Array, dtype: 'F64' },
  { ctor: Int32Array, dtype: 'I32' },
  { ctor: Uint32Array, dtype: 'U32' },
  { ctor: Int16Array, dtype: 'I16' },
  { ctor: Uint16Array, dtype: 'U16' },
  { ctor: Int8Array, dtype: 'I8' },
  { ctor: Uint8Array, dtype: 'U8' },
];

function typedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Float32Array.from(value as number[]);
  const v = value as { slice(): unknown };
  return v.slice();
}
