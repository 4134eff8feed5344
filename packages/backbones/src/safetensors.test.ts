import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackbonesError } from './errors';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors';

/** Builds a file by hand, byte by byte, as the safetensors spec describes it. */
function handMade(header: string, data: number[]): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  out[0] = h.length & 0xff;
  out[1] = (h.length >> 8) & 0xff;
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BackbonesError);
    return (e as BackbonesError).problems;
  }
  throw new Error('expected a BackbonesError');
}

describe('safetensors format', () => {
  it('decodes a hand-made spec file (u64 LE header length, JSON, little-endian data)', () => {
    const header =
      '{"__metadata__":{"format":"pt"},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},' +
      '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    // a = [1, -2] as f32 LE; b = [258] as i32 LE
    const file = handMade(header, [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 2, 1, 0, 0]);
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors['a']).toEqual({ dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) });
    expect(tensors['b']).toEqual({ dtype: 'I32', shape: [1], data: new Int32Array([258]) });
  });

  it('encodes to the spec layout: 8-aligned space-padded header, aligned offsets', () => {
    const bytes = encodeSafetensors(
      {
        flag: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        w: { dtype: 'F32', shape: [1, 2], data: new Float32Array([0.5, -1]) },
        big: { dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) },
      },
      { note: 'hi' },
      { checksum: false },
    );
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const header = JSON.parse(text);
    expect(header).toEqual({
      __metadata__: { note: 'hi' },
      big: { dtype: 'F64', shape: [], data_offsets: [0, 8] },
      w: { dtype: 'F32', shape: [1, 2], data_offsets: [8, 16] },
      flag: { dtype: 'U8', shape: [3], data_offsets: [16, 19] },
    });
    expect(text.trimEnd().length).toBeLessThan(text.length + 1);
    expect(bytes.length).toBe(8 + n + 19);
    expect(view.getFloat64(8 + n, true)).toBe(Math.PI);
    expect(view.getFloat32(8 + n + 12, true)).toBe(-1);
    expect(Array.from(bytes.subarray(8 + n + 16))).toEqual([1, 2, 3]);
  });

  it('round-trips every dtype bit-exactly (property)', () => {
    const arr = <T>(g: fc.Arbitrary<T>) => fc.array(g, { minLength: 0, maxLength: 7 });
    const tensor: fc.Arbitrary<SafetensorsTensor> = fc.oneof(
      arr(fc.float({ noDefaultInfinity: false })).map((v) => ({
        dtype: 'F32' as const,
        shape: [v.length],
        data: new Float32Array(v),
      })),
      arr(fc.double()).map((v) => ({
        dtype: 'F64' as const,
        shape: [1, v.length],
        data: new Float64Array(v),
      })),
      arr(fc.integer({ min: 0, max: 0xffff })).map((v) => ({
        dtype: 'BF16' as const,
        shape: [v.length],
        data: new Uint16Array(v),
      })),
      arr(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })).map((v) => ({
        dtype: 'I32' as const,
        shape: [v.length, 1],
        data: new Int32Array(v),
      })),
      arr(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((v) => ({
        dtype: 'I64' as const,
        shape: [v.length],
        data: new BigInt64Array(v),
      })),
      arr(fc.integer({ min: 0, max: 1 })).map((v) => ({
        dtype: 'BOOL' as const,
        shape: [v.length],
        data: new Uint8Array(v),
      })),
      arr(fc.integer({ min: -128, max: 127 })).map((v) => ({
        dtype: 'I8' as const,
        shape: [v.length],
        data: new Int8Array(v),
      })),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '__metadata__'),
          tensor,
          { maxKeys: 5 },
        ),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
        (tensors, metadata) => {
          const file = decodeSafetensors(encodeSafetensors(tensors, metadata));
          expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(tensors).sort());
          expect({ ...file.metadata }).toEqual(metadata);
          for (const [name, t] of Object.entries(tensors)) {
            const got = file.tensors[name]!;
            expect(got.dtype).toBe(t.dtype);
            expect(got.shape).toEqual(t.shape);
            expect(got.data.constructor).toBe(t.data.constructor);
            const bytes = (d: SafetensorsTensor['data']) =>
              Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
            expect(bytes(got.data)).toEqual(bytes(t.data)); // bit-exact, NaN payloads and -0 included
          }
        },
      ),
      { seed: 42, numRuns: 150 },
    );
  });

  it('decoded tensors never alias the input bytes', () => {
    const bytes = encodeSafetensors({
      a: { dtype: 'F32', shape: [1], data: new Float32Array([3]) },
    });
    const { tensors } = decodeSafetensors(bytes);
    bytes.fill(0, bytes.length - 4);
    expect(tensors['a']!.data[0]).toBe(3);
  });

  it('a name like __proto__ is an ordinary key', () => {
    const bytes = encodeSafetensors(
      JSON.parse('{"__proto__":{"dtype":"U8","shape":[1],"data":null}}', (k, v) =>
        k === 'data' ? new Uint8Array([9]) : v,
      ),
    );
    const { tensors } = decodeSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tensors)).toBe(null);
  });
});

describe('encodeSafetensors validation', () => {
  it('lists every bad entry', () => {
    const problems = problemsOf(() =>
      encodeSafetensors(
        {
          a: { dtype: 'F32', shape: [3], data: new Float32Array(2) },
          b: { dtype: 'F32', shape: [2], data: new Int32Array(2) },
          c: { dtype: 'Q4' as 'F32', shape: [1], data: new Float32Array(1) },
          d: { dtype: 'F32', shape: [-1], data: new Float32Array(1) },
        },
        { n: 3 as unknown as string },
      ),
    );
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/'n' must be a string/);
    expect(problems.join('\n')).toMatch(/'a' has 2 elements but shape \[3\] needs 3/);
    expect(problems.join('\n')).toMatch(/'b' \(F32\) needs data as a Float32Array, got Int32Array/);
    expect(problems.join('\n')).toMatch(/'c' has unknown dtype "Q4"/);
    expect(problems.join('\n')).toMatch(/'d' has invalid shape \[-1\]/);
  });
});

describe('decodeSafetensors rejects malformed files', () => {
  const f32 = (offsets: string, shape = '[1]') =>
    `"x":{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}`;
  it.each([
    ['too short', new Uint8Array(4), /shorter than the 8-byte header length/],
    [
      'header past the end',
      handMade('{}', []).map((b, i) => (i === 0 ? 200 : b)),
      /header length 200 exceeds/,
    ],
    ['not JSON', handMade('{nope', []), /not valid UTF-8 JSON/],
    ['not an object', handMade('[1]  ', []), /does not start with "\{"/],
    [
      'bad dtype',
      handMade('{"x":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}', [0]),
      /unknown dtype "F8"/,
    ],
    [
      'size mismatch',
      handMade(`{${f32('[0,8]')}}`, [0, 0, 0, 0, 0, 0, 0, 0]),
      /needs 4 bytes but data_offsets \[0,8\] span 8/,
    ],
    [
      'past the end',
      handMade(`{${f32('[4,8]')}}`, [0, 0, 0, 0]),
      /run past the 4-byte data section/,
    ],
    [
      'a hole before',
      handMade(`{${f32('[4,8]')}}`, [0, 0, 0, 0, 0, 0, 0, 0]),
      /bytes \[0,4\) before tensor 'x' belong to no tensor/,
    ],
    [
      'trailing bytes',
      handMade(`{${f32('[0,4]')}}`, [0, 0, 0, 0, 1]),
      /bytes \[4,5\) after the last tensor/,
    ],
    [
      'overlap',
      handMade(
        `{${f32('[0,4]')},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`,
        [0, 0, 0, 0],
      ),
      /overlap the previous tensor/,
    ],
    ['bad metadata', handMade('{"__metadata__":{"a":1}}', []), /__metadata__ 'a' must be a string/],
  ])('%s', (_label, bytes, pattern) => {
    expect(() => decodeSafetensors(bytes)).toThrow(BackbonesError);
    expect(() => decodeSafetensors(bytes)).toThrow(pattern);
  });
});
