// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as Ceph computes it: ceph_crc32c(seed, data)
// updates `seed` over the bytes with no inversion before or after. Ceph seeds with -1 (0xffffffff)
// and keeps the raw register, so Ceph's value is the bitwise NOT of the standard CRC-32C
// (crc32c("123456789") is 0xE3069283; Ceph's ceph_crc32c(-1, "123456789") is 0x1CF96D7C).
//
// Three implementations, the fastest that loads is used for runs long enough to pay for a call into
// native code (the table code below does the short ones, where it is faster):
// 1. tsceph-crc32c (native/crc32c, built by `npm install` with the machine's compiler): the SSE4.2
//    crc32 instruction on three interleaved runs joined with PCLMULQDQ, ~22 GB/s here (0.19 ms per
//    4 MiB); for runs of ADDON_BYTES_MIN bytes or more.
// 2. @node-rs/crc32 (a prebuilt binary from npm): the same instruction on one dependent chain, ~6 GB/s
//    (0.7 ms per 4 MiB); for runs of NATIVE_BYTES_MIN bytes or more.
// 3. Table-driven, slicing by 8: eight 256-entry tables let the inner loop fold 8 bytes per step, no
//    allocation per call, ~1.3 GB/s (3.7 ms per 4 MiB). Always there; the reference the tests hold the
//    others to.
// TSCEPH_CRC32C_NATIVE=0 keeps to the tables, =node-rs skips the tsceph addon (to compare them).

import { createRequire } from 'node:module';

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;
/** The tsceph addon: Ceph's raw register update over data[start..end). */
type AddonCrc32c = (crc: number, data: Uint8Array, start: number, end: number) => number;

/** Below this many bytes a call into @node-rs/crc32 costs more than the table loop. */
export const NATIVE_BYTES_MIN = 256;
/** Below this many bytes a call into the tsceph addon costs more than the table loop (~80 ns a call). */
export const ADDON_BYTES_MIN = 128;

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

const nativeMode = globalThis.process?.env?.TSCEPH_CRC32C_NATIVE;
const requireHere = createRequire(import.meta.url);
const CHECK_INPUT = '123456789';

const addon: AddonCrc32c | undefined = (() => {
  if (nativeMode === '0' || nativeMode === 'node-rs') return undefined;
  try {
    const mod = requireHere('tsceph-crc32c') as { hardware?: boolean; crc32c?: AddonCrc32c };
    const f = mod.crc32c;
    if (mod.hardware !== true || typeof f !== 'function') return undefined;
    // Check it against Ceph's check value over a run long enough to take its three-run blocks.
    const check = Buffer.from(CHECK_INPUT);
    if (f(0xffffffff, check, 0, check.length) !== 0x1cf96d7c) return undefined;
    const long = Buffer.alloc(3 * 8192 + 3 * 256 + 13, 0xa5);
    return f(0xffffffff, long, 0, long.length) === cephCrc32cTable(0xffffffff, long) ? f : undefined;
  } catch {
    return undefined;
  }
})();

const native: NativeCrc32c | undefined = (() => {
  if (nativeMode === '0' || addon !== undefined) return undefined;
  try {
    const mod = requireHere('@node-rs/crc32') as { crc32c?: NativeCrc32c };
    const f = mod.crc32c;
    // Check it against the standard check value before trusting it.
    return typeof f === 'function' && f(Buffer.from(CHECK_INPUT)) >>> 0 === 0xe3069283 ? f : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * Every implementation that loaded, as Ceph's raw register update over data[start..end) (the tests
 * hold each to the tables). Loads @node-rs/crc32 for the purpose when the addon made it unneeded.
 */
export function crc32cImplementations(): { name: string; update: (crc: number, data: Uint8Array, start: number, end: number) => number }[] {
  const out: { name: string; update: (crc: number, data: Uint8Array, start: number, end: number) => number }[] = [
    { name: 'table', update: cephCrc32cTable },
  ];
  if (addon !== undefined) out.push({ name: 'tsceph', update: (c, d, s, e) => addon(c >>> 0, d, s, e) });
  let rs = native;
  if (rs === undefined && nativeMode !== '0') {
    try {
      rs = (requireHere('@node-rs/crc32') as { crc32c?: NativeCrc32c }).crc32c;
    } catch {
      rs = undefined;
    }
  }
  const f = rs;
  if (f !== undefined) out.push({ name: 'node-rs', update: (c, d, s, e) => ~f(d.subarray(s, e), ~c >>> 0) >>> 0 });
  return out;
}

/** Which implementation does long runs: 'tsceph' (the addon), 'node-rs' or 'table'. */
export const crc32cBackend: 'tsceph' | 'node-rs' | 'table' = addon !== undefined ? 'tsceph' : native !== undefined ? 'node-rs' : 'table';
/** True when a hardware CRC-32C (either addon) is in use for long runs. */
export const crc32cNative = crc32cBackend !== 'table';

/**
 * Ceph's ceph_crc32c(crc, data[start..end)): the raw register update, returned as an unsigned u32.
 * Pass 0xffffffff as the first seed, as Ceph's bufferlist::crc32c(-1) does.
 */
export function cephCrc32c(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  if (addon !== undefined && end - start >= ADDON_BYTES_MIN) return addon(crc >>> 0, data, start, end);
  if (native !== undefined && end - start >= NATIVE_BYTES_MIN) {
    // The library continues a finished CRC: its state is the NOT of Ceph's raw register, both ways.
    const view = start === 0 && end === data.length ? data : data.subarray(start, end);
    return ~native(view, ~crc >>> 0) >>> 0;
  }
  return cephCrc32cTable(crc, data, start, end);
}

/** cephCrc32c continued over Buffers laid end to end (a bufferlist's pieces), from seed `crc`. */
export function cephCrc32cOfList(crc: number, list: readonly Uint8Array[]): number {
  let c = crc >>> 0;
  for (const b of list) c = cephCrc32c(c, b);
  return c;
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

/**
 * Ceph's crc32c(-1) of every byte of a buffer, remembered by whoever computed it while producing or
 * checking those bytes (BlockStore notes it on a whole-object read, having passed over the bytes to
 * check its block crcs), so that a consumer of the same buffer needing the same value (the OSD's data
 * digest check) does not pass over them again. Keyed by the buffer object: only for buffers nobody
 * changes afterwards (a fresh read result handed out once).
 */
const crcOfAll = new WeakMap<Uint8Array, number>();

/** Remember that cephCrc32c(0xffffffff, data) is `crc` (see crcOfAll). */
export function noteCrc32cOfAll(data: Uint8Array, crc: number): void {
  crcOfAll.set(data, crc >>> 0);
}

/** cephCrc32c(0xffffffff, data) over all of `data`: the value noted for this buffer, else computed. */
export function cephCrc32cOfAll(data: Uint8Array): number {
  return crcOfAll.get(data) ?? cephCrc32c(0xffffffff, data);
}
