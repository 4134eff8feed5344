/** CRC-32 lookup table (IEEE 802.3, reflected polynomial 0xEDB88320), one entry per byte. */
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * The CRC-32 (IEEE 802.3, as zlib, PNG and gzip compute it) of `bytes`, as an unsigned 32-bit
 * integer. Pure JavaScript, so it runs in browsers too. Pass a previous result as `crc` to
 * continue over more bytes: `crc32(b, crc32(a)) === crc32(concat(a, b))`.
 *
 * @param bytes the data
 * @param crc the CRC-32 of the data before `bytes`. @default 0 (nothing before)
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** `crc` as 8 lowercase hex digits, the form stored in file metadata. */
export function crc32Hex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}
