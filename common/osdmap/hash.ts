// Object-name hashes, bit-exact with Ceph's src/common/ceph_hash.cc (Pacific): Robert Jenkins' lookup2
// hash as Ceph uses it (ceph_str_hash_rjenkins, the default object hash of every pool), the Linux dcache
// string hash (ceph_str_hash_linux), and the dispatch on a pool's object_hash type (ceph_str_hash).
//
// Inputs are byte strings. A Uint8Array (or Buffer) is hashed over [0, length); a JS string is first
// encoded as UTF-8 (lone surrogates become U+FFFD, as Buffer.from does) into a module-owned scratch
// buffer that only grows, so hashing a string allocates nothing once the scratch fits the longest name.
//
// Arithmetic: 32-bit patterns held as int32. `a - b - c` of three int32 values is exact in a double and
// the XOR that follows wraps it modulo 2^32, which is C's unsigned arithmetic; right shifts are logical.

import { CEPH_STR_HASH_LINUX, CEPH_STR_HASH_RJENKINS } from './types.js';

/** What ceph_str_hash returns for an object_hash type it does not know: (unsigned)-1. */
export const CEPH_STR_HASH_UNKNOWN_RESULT = 0xffffffff;

let scratch: Buffer = Buffer.allocUnsafe(256);

/**
 * Make the scratch buffer hold at least n bytes (keeping the first `keep` bytes) and return it. The
 * buffer is shared by every string hash in this process; its contents are valid only until the next
 * call into this module.
 */
export function hashScratch(n: number, keep = 0): Buffer {
  if (scratch.length < n) {
    let size = scratch.length;
    while (size < n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    if (keep > 0) scratch.copy(next, 0, 0, keep);
    scratch = next;
  }
  return scratch;
}

/**
 * Encode `s` as UTF-8 into the scratch buffer at `offset` and return the number of bytes written.
 * Each UTF-16 unit becomes at most 3 UTF-8 bytes, so 3 * length always fits.
 */
export function utf8IntoScratch(s: string, offset: number): number {
  const buf = hashScratch(offset + s.length * 3, offset);
  return buf.write(s, offset, 'utf8');
}

/**
 * Where the *Out functions leave their u32 result. A u32 above 2^30 returned from a function V8 does not
 * inline is boxed in a new heap number; read from this typed array it stays unboxed in the caller.
 */
export const STR_HASH_OUT = new Uint32Array(1);

/** ceph_str_hash_rjenkins over bytes[off, off+len). */
export function rjenkinsBytes(k: Uint8Array, off: number, length: number): number {
  rjenkinsBytesOut(k, off, length);
  return STR_HASH_OUT[0]!;
}

/** ceph_str_hash_rjenkins over bytes[off, off+len), into STR_HASH_OUT[0]. */
export function rjenkinsBytesOut(k: Uint8Array, off: number, length: number): void {
  let a = 0x9e3779b9 | 0;
  let b = a;
  let c = 0;
  let len = length;
  let p = off;
  while (len >= 12) {
    a = (a + (k[p]! | (k[p + 1]! << 8) | (k[p + 2]! << 16) | (k[p + 3]! << 24))) | 0;
    b = (b + (k[p + 4]! | (k[p + 5]! << 8) | (k[p + 6]! << 16) | (k[p + 7]! << 24))) | 0;
    c = (c + (k[p + 8]! | (k[p + 9]! << 8) | (k[p + 10]! << 16) | (k[p + 11]! << 24))) | 0;
    // mix(a, b, c)
    a = (a - b - c) ^ (c >>> 13);
    b = (b - c - a) ^ (a << 8);
    c = (c - a - b) ^ (b >>> 13);
    a = (a - b - c) ^ (c >>> 12);
    b = (b - c - a) ^ (a << 16);
    c = (c - a - b) ^ (b >>> 5);
    a = (a - b - c) ^ (c >>> 3);
    b = (b - c - a) ^ (a << 10);
    c = (c - a - b) ^ (b >>> 15);
    p += 12;
    len -= 12;
  }
  // the last 0..11 bytes; the low byte of c is reserved for the total length
  c = (c + length) | 0;
  // (Ceph's fall-through switch on the remaining length, written as a ladder of tests)
  if (len >= 11) c = (c + (k[p + 10]! << 24)) | 0;
  if (len >= 10) c = (c + (k[p + 9]! << 16)) | 0;
  if (len >= 9) c = (c + (k[p + 8]! << 8)) | 0;
  if (len >= 8) b = (b + (k[p + 7]! << 24)) | 0;
  if (len >= 7) b = (b + (k[p + 6]! << 16)) | 0;
  if (len >= 6) b = (b + (k[p + 5]! << 8)) | 0;
  if (len >= 5) b = (b + k[p + 4]!) | 0;
  if (len >= 4) a = (a + (k[p + 3]! << 24)) | 0;
  if (len >= 3) a = (a + (k[p + 2]! << 16)) | 0;
  if (len >= 2) a = (a + (k[p + 1]! << 8)) | 0;
  if (len >= 1) a = (a + k[p]!) | 0;
  a = (a - b - c) ^ (c >>> 13);
  b = (b - c - a) ^ (a << 8);
  c = (c - a - b) ^ (b >>> 13);
  a = (a - b - c) ^ (c >>> 12);
  b = (b - c - a) ^ (a << 16);
  c = (c - a - b) ^ (b >>> 5);
  a = (a - b - c) ^ (c >>> 3);
  b = (b - c - a) ^ (a << 10);
  c = (c - a - b) ^ (b >>> 15);
  STR_HASH_OUT[0] = c;
}

/**
 * ceph_str_hash_linux over bytes[off, off+len): hash = (hash + (c << 4) + (c >> 4)) * 11. Ceph keeps
 * the sum in an unsigned long and returns its low 32 bits; + and * only carry upwards, so computing
 * modulo 2^32 throughout gives the same low 32 bits.
 */
export function linuxBytes(k: Uint8Array, off: number, length: number): number {
  linuxBytesOut(k, off, length);
  return STR_HASH_OUT[0]!;
}

/** ceph_str_hash_linux over bytes[off, off+len), into STR_HASH_OUT[0]. */
export function linuxBytesOut(k: Uint8Array, off: number, length: number): void {
  let hash = 0;
  const end = off + length;
  for (let p = off; p < end; p++) {
    const c = k[p]!;
    hash = Math.imul((hash + (c << 4) + (c >>> 4)) | 0, 11);
  }
  STR_HASH_OUT[0] = hash;
}

/** ceph_str_hash over bytes[off, off+len): dispatch on the pool's object_hash type. */
export function cephStrHashBytes(type: number, k: Uint8Array, off: number, length: number): number {
  cephStrHashBytesOut(type, k, off, length);
  return STR_HASH_OUT[0]!;
}

/** ceph_str_hash over bytes[off, off+len), into STR_HASH_OUT[0]. */
export function cephStrHashBytesOut(type: number, k: Uint8Array, off: number, length: number): void {
  if (type === CEPH_STR_HASH_RJENKINS) rjenkinsBytesOut(k, off, length);
  else if (type === CEPH_STR_HASH_LINUX) linuxBytesOut(k, off, length);
  else STR_HASH_OUT[0] = CEPH_STR_HASH_UNKNOWN_RESULT;
}

/** A byte string: raw bytes (hashed over [0, length) or the given length), or text hashed as UTF-8. */
export type ByteString = Uint8Array | string;

/** ceph_str_hash_rjenkins(str, length). `length` defaults to the whole input. */
export function cephStrHashRjenkins(s: ByteString, length?: number): number {
  if (typeof s === 'string') {
    const n = utf8IntoScratch(s, 0);
    return rjenkinsBytes(scratch, 0, length === undefined ? n : Math.min(length, n));
  }
  return rjenkinsBytes(s, 0, length === undefined ? s.length : length);
}

/** ceph_str_hash_linux(str, length). */
export function cephStrHashLinux(s: ByteString, length?: number): number {
  if (typeof s === 'string') {
    const n = utf8IntoScratch(s, 0);
    return linuxBytes(scratch, 0, length === undefined ? n : Math.min(length, n));
  }
  return linuxBytes(s, 0, length === undefined ? s.length : length);
}

/** ceph_str_hash(type, str, length): 0xffffffff for an unknown type, as Ceph's `return -1`. */
export function cephStrHash(type: number, s: ByteString, length?: number): number {
  if (type !== CEPH_STR_HASH_LINUX && type !== CEPH_STR_HASH_RJENKINS) return CEPH_STR_HASH_UNKNOWN_RESULT;
  return type === CEPH_STR_HASH_LINUX ? cephStrHashLinux(s, length) : cephStrHashRjenkins(s, length);
}

/** ceph_str_hash_name. */
export function cephStrHashName(type: number): string {
  switch (type) {
    case CEPH_STR_HASH_LINUX:
      return 'linux';
    case CEPH_STR_HASH_RJENKINS:
      return 'rjenkins';
    default:
      return 'unknown';
  }
}

/** ceph_str_hash_valid. */
export function cephStrHashValid(type: number): boolean {
  return type === CEPH_STR_HASH_LINUX || type === CEPH_STR_HASH_RJENKINS;
}

/** The current scratch buffer (for callers that built a key in it with utf8IntoScratch). */
export function currentHashScratch(): Buffer {
  return scratch;
}
