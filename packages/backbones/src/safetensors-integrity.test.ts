import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackbonesError } from './errors';
import {
  CHECKSUM_KEYS,
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsFile,
  type SafetensorsTensor,
} from './safetensors';

const tensors = (): Record<string, SafetensorsTensor> => ({
  'encoder.conv.weight': {
    dtype: 'F32',
    shape: [2, 3],
    data: new Float32Array([1, -2, 3, 0.5, 0, 9]),
  },
  step: { dtype: 'I64', shape: [], data: new BigInt64Array([42n]) },
  mask: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 0, 1]) },
});
const valid = () => encodeSafetensors(tensors(), { vqkit: '{"step":42}' });

/** Splits a file into its header text and data bytes, and back. */
function parts(bytes: Uint8Array): { header: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.slice(8 + n) };
}
function join(header: string, data: Uint8Array | number[], length?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
/** The valid file with its header JSON edited (checksums recomputed unless `keepChecksum`). */
function edited(edit: (header: Record<string, unknown>) => void): Uint8Array {
  const { header, data } = parts(valid());
  const json = JSON.parse(header);
  edit(json);
  return join(JSON.stringify(json), data);
}

/** The error a decode throws; fails the test for any other outcome or error type. */
function rejection(bytes: Uint8Array): BackbonesError {
  try {
    decodeSafetensors(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(BackbonesError);
    return e as BackbonesError;
  }
  throw new Error('expected decodeSafetensors to throw a BackbonesError');
}

/** Decodes, asserting the only possible failure is a BackbonesError and nothing is over-allocated. */
function decodeOrReject(
  bytes: Uint8Array,
  options: { requireChecksum?: boolean } = {},
): SafetensorsFile | BackbonesError {
  try {
    const file = decodeSafetensors(bytes, options);
    const held = Object.values(file.tensors).reduce((n, t) => n + t.data.byteLength, 0);
    expect(held).toBeLessThanOrEqual(bytes.length);
    return file;
  } catch (e) {
    if (!(e instanceof BackbonesError)) throw e;
    return e;
  }
}

describe('checksums', () => {
  it('are written by default, verified on decode, and kept out of the returned metadata', () => {
    const bytes = valid();
    const header = JSON.parse(parts(bytes).header);
    expect(header.__metadata__[CHECKSUM_KEYS.data]).toMatch(/^[0-9a-f]{8}$/);
    expect(header.__metadata__[CHECKSUM_KEYS.header]).toMatch(/^[0-9a-f]{8}$/);
    const file = decodeSafetensors(bytes);
    expect(file.checksummed).toBe(true);
    expect({ ...file.metadata }).toEqual({ vqkit: '{"step":42}' });
    // Re-encoding decoded metadata writes fresh checksums.
    expect(decodeSafetensors(encodeSafetensors(file.tensors, file.metadata)).checksummed).toBe(
      true,
    );
    const plain = encodeSafetensors(tensors(), {}, { checksum: false });
    expect(decodeSafetensors(plain).checksummed).toBe(false);
    expect(() => decodeSafetensors(plain, { requireChecksum: true })).toThrow(
      /carries no checksum .* requireChecksum is set/,
    );
  });

  it('a changed data byte is damage', () => {
    const bytes = valid();
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x40;
    expect(rejection(bytes).message).toMatch(
      /decodeSafetensors: the file is damaged: the CRC-32 of its data section is [0-9a-f]{8}, but it records [0-9a-f]{8}\. .*restore it from a backup or re-create it\./,
    );
  });

  it.each([
    [
      'a tensor relabelled F32 → I32 (same size)',
      (h: Record<string, { dtype?: string }>) => {
        h['encoder.conv.weight']!.dtype = 'I32';
      },
    ],
    [
      'a shape edited to the same element count',
      (h: Record<string, { shape?: number[] }>) => {
        h['encoder.conv.weight']!.shape = [3, 2];
      },
    ],
    [
      'a metadata value edited',
      (h: Record<string, Record<string, string>>) => {
        h['__metadata__']!['vqkit'] = '{"step":43}';
      },
    ],
    [
      'two tensors swapping names',
      (h: Record<string, unknown>) => {
        const { mask, step } = h;
        h['mask'] = step;
        h['step'] = mask;
      },
    ],
  ])('%s is damage', (_label, edit) => {
    expect(rejection(edited(edit as (h: Record<string, unknown>) => void)).message).toMatch(
      /the file is damaged: the CRC-32 of its header \(tensor names, dtypes, shapes, offsets, metadata\) is/,
    );
  });

  it('a malformed or half-missing checksum is damage; the keys are reserved', () => {
    const bad = edited((h) => {
      (h['__metadata__'] as Record<string, string>)[CHECKSUM_KEYS.data] = 'xyz';
    });
    expect(rejection(bad).message).toMatch(
      /damaged: its checksum 'vqkit\.crc32\.data' is "xyz", expected 8 hex digits/,
    );
    const half = edited((h) => {
      delete (h['__metadata__'] as Record<string, string>)[CHECKSUM_KEYS.header];
    });
    expect(rejection(half).message).toMatch(/its checksum 'vqkit\.crc32\.header' is undefined/);
    expect(() => encodeSafetensors(tensors(), { [CHECKSUM_KEYS.data]: '0' })).toThrow(
      /metadata key 'vqkit\.crc32\.data' is reserved for the checksum/,
    );
  });

  it('every single-bit flip anywhere in a checksummed file is detected (exhaustive)', () => {
    const bytes = valid();
    let detected = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = bytes.slice();
        copy[i] = copy[i]! ^ (1 << bit);
        expect(decodeOrReject(copy)).toBeInstanceOf(BackbonesError);
        detected++;
      }
    }
    expect(detected).toBe(bytes.length * 8);
  });
});

describe('decodeSafetensors: every malformed input is a BackbonesError naming the problem', () => {
  const f32 = (offsets: unknown, shape: unknown = [1]) =>
    JSON.stringify({ x: { dtype: 'F32', shape, data_offsets: offsets } });
  const u64max = 2n ** 64n - 1n;
  it.each<[string, Uint8Array, RegExp]>([
    ['zero bytes', new Uint8Array(0), /file is 0 bytes, shorter than the 8-byte header length/],
    ['7 bytes', new Uint8Array(7), /file is 7 bytes/],
    ['truncated in the header', valid().subarray(0, 40), /header length \d+ exceeds the 32 bytes/],
    [
      'truncated in the data',
      valid().subarray(0, valid().length - 3),
      /run past the|belong to no tensor/,
    ],
    ['header length past the end', join('{}', [], 9n), /header length 9 exceeds the 2 bytes/],
    [
      'header length 2^64 − 1',
      join('{}', [], u64max),
      /header length 18446744073709551615 exceeds/,
    ],
    ['empty header', join('', []), /header does not start with "\{"/],
    ['not JSON', join('{"x":', []), /header is not valid UTF-8 JSON/],
    [
      'not UTF-8',
      join('{"\xff"}', []).map((b, i) => (i === 10 ? 0xff : b)),
      /not valid UTF-8 JSON/,
    ],
    ['a JSON array', join('[{"x":1}]', []), /does not start with "\{"/],
    ['a JSON string', join('"{}"', []), /does not start with "\{"/],
    [
      'metadata an array',
      join('{"__metadata__":["a"]}', []),
      /__metadata__ must be an object of strings/,
    ],
    [
      'metadata a string',
      join('{"__metadata__":"a"}', []),
      /__metadata__ must be an object of strings/,
    ],
    [
      'metadata null',
      join('{"__metadata__":null}', []),
      /__metadata__ must be an object of strings/,
    ],
    [
      'metadata value a number',
      join('{"__metadata__":{"a":1}}', []),
      /__metadata__ 'a' must be a string, got 1/,
    ],
    ['tensor entry an array', join('{"x":[1]}', []), /tensor 'x' entry is not an object/],
    ['tensor entry null', join('{"x":null}', []), /tensor 'x' entry is not an object/],
    [
      'unknown dtype',
      join('{"x":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}', [0]),
      /unknown dtype "F8"/,
    ],
    [
      'dtype not a string',
      join('{"x":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      /unknown dtype 4/,
    ],
    [
      'dtype "constructor"',
      join('{"x":{"dtype":"constructor","shape":[],"data_offsets":[0,0]}}', []),
      /unknown dtype "constructor"/,
    ],
    ['negative dim', join(f32([0, 4], [-1]), [0, 0, 0, 0]), /invalid shape \[-1\]/],
    ['fractional dim', join(f32([0, 4], [1.5]), [0, 0, 0, 0]), /invalid shape \[1\.5\]/],
    ['dim a string', join(f32([0, 4], ['1']), [0, 0, 0, 0]), /invalid shape \["1"\]/],
    ['shape not an array', join(f32([0, 4], 1), [0, 0, 0, 0]), /invalid shape 1/],
    [
      'offsets missing',
      join('{"x":{"dtype":"F32","shape":[1]}}', [0, 0, 0, 0]),
      /invalid data_offsets undefined/,
    ],
    ['offsets reversed', join(f32([4, 0]), [0, 0, 0, 0]), /invalid data_offsets \[4,0\]/],
    ['offsets negative', join(f32([-4, 0]), [0, 0, 0, 0]), /invalid data_offsets \[-4,0\]/],
    ['offsets beyond 2^53', join(f32([0, 2 ** 60]), [0, 0, 0, 0]), /invalid data_offsets/],
    ['offsets out of range', join(f32([4, 8]), [0, 0, 0, 0]), /run past the 4-byte data section/],
    [
      'shape × dtype ≠ bytes',
      join(f32([0, 8]), [0, 0, 0, 0, 0, 0, 0, 0]),
      /needs 4 bytes but data_offsets \[0,8\] span 8/,
    ],
    [
      'overlapping',
      join(
        JSON.stringify({
          x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          y: { dtype: 'U8', shape: [2], data_offsets: [2, 4] },
        }),
        [0, 0, 0, 0],
      ),
      /overlap the previous tensor/,
    ],
    [
      'a gap',
      join(f32([4, 8]), [0, 0, 0, 0, 0, 0, 0, 0]),
      /bytes \[0,4\) before tensor 'x' belong to no tensor/,
    ],
    [
      'trailing bytes',
      join(f32([0, 4]), [0, 0, 0, 0, 9]),
      /bytes \[4,5\) after the last tensor belong to no tensor/,
    ],
    [
      'a 4-GB tensor claimed by a 12-byte file',
      join(f32([0, 4e9], [1e9]), [0, 0, 0, 0]),
      /run past the 4-byte data section/,
    ],
    [
      'a shape whose size overflows',
      join(f32([0, 4], [2 ** 52, 2 ** 52]), [0, 0, 0, 0]),
      /needs 8\.1\d*e\+31 bytes but data_offsets \[0,4\] span 4\. Re-export/,
    ],
  ])('%s', (_label, bytes, message) => {
    const err = rejection(bytes);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/^decodeSafetensors: /);
  });

  it('lists many problems, but a bounded number', () => {
    const header: Record<string, unknown> = {};
    for (let i = 0; i < 500; i++)
      header[`t${i}`] = { dtype: 'Q', shape: [1], data_offsets: [0, 1] };
    const err = rejection(join(JSON.stringify(header), []));
    expect(err.problems).toHaveLength(51);
    expect(err.problems.at(-1)).toBe('and 450 more problem(s)');
  });

  it('refuses a non-Uint8Array', () => {
    expect(() => decodeSafetensors('abc' as never)).toThrow(/bytes must be a Uint8Array/);
  });
});

describe('fuzzing (property): nothing but BackbonesError, never more memory than the file', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        decodeOrReject(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('random JSON headers over random data', () => {
    const headerValue = fc.oneof(
      fc.jsonValue(),
      fc.record({
        dtype: fc.oneof(
          fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F8'),
          fc.jsonValue(),
        ),
        shape: fc.oneof(
          fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 3 }),
          fc.jsonValue(),
        ),
        data_offsets: fc.oneof(
          fc.array(fc.integer({ min: -4, max: 40 }), { maxLength: 3 }),
          fc.jsonValue(),
        ),
      }),
    );
    const header = fc.dictionary(fc.oneof(fc.string(), fc.constant('__metadata__')), headerValue, {
      maxKeys: 4,
    });
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 64 }), fc.boolean(), (h, data, lie) => {
        const text = JSON.stringify(h);
        decodeOrReject(join(text, data, lie ? BigInt(text.length + data.length + 1) : undefined));
      }),
      { numRuns: 500 },
    );
  });

  it('mutations of a valid file: bit flips, byte writes, truncation, extension', () => {
    const base = valid();
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(),
        bit: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({
        kind: fc.constant('write' as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('extend' as const),
        extra: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let bytes = base.slice();
        for (const m of mutations) {
          if (m.kind === 'flip')
            bytes[m.at % bytes.length] = bytes[m.at % bytes.length]! ^ (1 << m.bit);
          else if (m.kind === 'write') bytes[m.at % bytes.length] = m.value;
          else if (m.kind === 'truncate') bytes = bytes.slice(0, m.at % (bytes.length + 1));
          else bytes = Uint8Array.from([...bytes, ...m.extra]);
          if (bytes.length === 0) break;
        }
        // With checksums required, they catch every change: only an identical file decodes.
        // (Without requireChecksum, a mutation that renames both checksum keys leaves a valid
        // file without checksums, which decodes: readers that must detect damage require them.)
        const out = decodeOrReject(bytes, { requireChecksum: true });
        if (!(out instanceof BackbonesError)) expect(bytes).toEqual(base);
      }),
      { numRuns: 800 },
    );
  });

  it('header edits of a valid file, checksums left as they were', () => {
    const edit = fc.record({
      name: fc.constantFrom('encoder.conv.weight', 'step', 'mask', '__metadata__', 'new'),
      value: fc.oneof(
        fc.jsonValue(),
        fc.record({
          dtype: fc.constantFrom('F32', 'I32', 'F64', 'U8', 'I64', 'X'),
          shape: fc.array(fc.integer({ min: -1, max: 7 }), { maxLength: 3 }),
          data_offsets: fc.tuple(
            fc.integer({ min: -1, max: 40 }),
            fc.integer({ min: -1, max: 40 }),
          ),
        }),
      ),
    });
    fc.assert(
      fc.property(edit, ({ name, value }) => {
        decodeOrReject(
          edited((h) => {
            h[name] = value;
          }),
        );
      }),
      { numRuns: 500 },
    );
  });
});
