// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as Ceph computes it: ceph_crc32c(seed, data)
// updates `seed` over the bytes with no inversion before or after. Ceph seeds with -1 (0xffffffff)
// and keeps the raw register, so Ceph's value is the bitwise NOT of the standard CRC-32C
// (crc32c("123456789") is 0xE3069283; Ceph's ceph_crc32c(-1, "123456789") is 0x1CF96D7C).
//
// Table-driven, slicing by 8: eight 256-entry tables let the inner loop fold 8 bytes per step. No
// allocation per call. For runs of NATIVE_BYTES_MIN bytes or more, the hardware CRC-32C instruction
// through @node-rs/crc32 (SSE4.2 / ARMv8 CRC; a prebuilt binary from npm) when it loads: 4 MiB take
// ~0.8 ms there against ~3.7 ms here, which bounded BlockStore's large writes (docs/objectstore.md).
// Without it (another platform, no binary), the table code below does all of it.

import { createRequire } from 'node:module';

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

/** Below this many bytes the call into native code costs more than the table loop. */
export const NATIVE_BYTES_MIN = 256;

const native: NativeCrc32c | undefined = (() => {
  if (globalThis.process?.env?.TSCEPH_CRC32C_NATIVE === '0') return undefined;
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: NativeCrc32c };
    const f = mod.crc32c;
    // Check it against the standard check value before trusting it.
    return typeof f === 'function' && f(Buffer.from('123456789')) >>> 0 === 0xe3069283 ? f : undefined;
  } catch {
    return undefined;
  }
})();

/** True when the hardware CRC-32C is in use for long runs. */
export const crc32cNative = native !== undefined;

const POLY = 0x82f63b78;
const TABLES = new Int32Array(8 * 256);

(function buildTables(): void {
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    TABLES[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = TABLES[n]!;
    for (let t = 1; t < 8; t++) {
      c = TABLES[c & 0xff]! ^ (c >>> 8);
      TABLES[t * 256 + n] = c;
    }
  }
})();

/**
 * Ceph's ceph_crc32c(crc, data[start..end)): the raw register update, returned as an unsigned u32.
 * Pass 0xffffffff as the first seed, as Ceph's bufferlist::crc32c(-1) does.
 */
export function cephCrc32c(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  if (native !== undefined && end - start >= NATIVE_BYTES_MIN) {
    // The library continues a finished CRC: its state is the NOT of Ceph's raw register, both ways.
    const view = start === 0 && end === data.length ? data : data.subarray(start, end);
    return ~native(view, ~crc >>> 0) >>> 0;
  }
  return cephCrc32cTable(crc, data, start, end);
}

/** The table-driven update alone (tests compare the native path with it). */
export function cephCrc32cTable(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  const t = TABLES;
  let c = crc | 0;
  let i = start;
  while (i + 8 <= end) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[7 * 256 + (a & 0xff)]! ^
      t[6 * 256 + ((a >>> 8) & 0xff)]! ^
      t[5 * 256 + ((a >>> 16) & 0xff)]! ^
      t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) {
    c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    i++;
  }
  return c >>> 0;
}

/** The standard CRC-32C (RFC 3720): initial value and final XOR 0xffffffff. */
export function crc32c(data: Uint8Array): number {
  return ~cephCrc32c(0xffffffff, data) >>> 0;
}
