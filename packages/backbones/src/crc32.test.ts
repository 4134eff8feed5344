import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Hex } from './crc32';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32Hex(crc32(ascii('The quick brown fox jumps over the lazy dog')))).toBe('414fa339');
    expect(crc32Hex(5)).toBe('00000005');
  });

  it('equals zlib on any bytes, and continues across chunks (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const ab = new Uint8Array(a.length + b.length);
        ab.set(a);
        ab.set(b, a.length);
        expect(crc32(ab)).toBe(zlibCrc32(ab));
        expect(crc32(b, crc32(a))).toBe(crc32(ab));
      }),
    );
  });
});
