// Ceph's binary encoding conventions (src/include/encoding.h, denc.h, doc/dev/encoding.rst), shared by
// every wire and disk type in tsceph: CRUSH maps now, OSDMaps, messages and monitor state later.
//
//  - Integers are little-endian, fixed width. 64-bit values travel as two 32-bit halves; the Number
//    accessors accept/return them only where a double holds them exactly (|v| <= 2^53 - 1).
//  - Strings and byte blobs are a u32 length then the bytes; lists and maps are a u32 count then the
//    elements (maps in key order, as a std::map iterates).
//  - A versioned struct starts with a header: struct_v (u8), struct_compat (u8), struct_len (u32, the
//    byte count of the body that follows). A decoder refuses a struct whose compat is newer than what
//    it understands, and skips body bytes it does not know by jumping to the end given by the length.
//
// The Decoder checks bounds before every read and raises CephError: 'EIO' when the data ends early
// (Ceph's buffer::end_of_buffer), 'EINVAL' when the bytes are present but make no sense (Ceph's
// buffer::malformed_input). Messages name what was being read: `decoder.label` is the object being
// decoded ("crush map"), `decoder.setContext('bucket', -3)` says where inside it, and each read passes
// the field name as a constant string ("items"), so the text "crush map: truncated reading bucket -3
// items ..." is only built when an error is raised. Reads of fixed-width fields allocate nothing.
//
// Strings: string() is UTF-8; binaryString() is one char per byte (latin1), lossless for any bytes,
// for names Ceph restricts to ASCII, so corrupted input still round-trips byte for byte.

import { CephError } from './errors.js';

const TWO_POW_32 = 0x1_0000_0000;
/** CEPH_NOSNAP (a head object's snap) and the all-ones u64: the full-width values read and written most. */
const U64_NOSNAP = 0xfffffffffffffffen;
const U64_MAX = 0xffffffffffffffffn;
/** Largest nesting of struct headers an Encoder or Decoder tracks at once. */
export const STRUCT_DEPTH_MAX = 64;
const INITIAL_ENCODER_BYTES = 256;
/** Strings up to this many chars are tried as ASCII and copied inline (longer ones: Buffer.write). */
const INLINE_STRING_CHARS_MAX = 64;

/**
 * A growable little-endian writer. Reuse one across encodes with reset(); it keeps its buffer.
 * Construction is cheap (messages and PG structs make one per encode): the struct stack is a plain
 * array on the JS heap that grows only as deep as the nesting goes, not a typed array (whose backing
 * store is allocated off the heap and costs far more to make and collect).
 */
export class Encoder {
  private buf: Buffer;
  private pos = 0;
  /** Where each open struct's u32 length sits; entries at or past structDepth are stale. */
  private readonly structStarts: number[] = [];
  private structDepth = 0;

  /**
   * `initial`: bytes to start with, or a caller's Buffer to write into from its start (a reused one);
   * an encode that outgrows that Buffer moves to a fresh one, so view() is in it only if it fitted.
   */
  constructor(initial: number | Buffer = INITIAL_ENCODER_BYTES) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(Math.max(16, initial)) : initial;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Forget what was written; the buffer is kept for the next encode. */
  reset(): this {
    this.pos = 0;
    this.structDepth = 0;
    return this;
  }

  /** A view of the bytes written; valid until the next write or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written, owned by the caller. */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  private reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  u16(v: number): this {
    this.reserve(2);
    putU16(this.buf, this.pos, v);
    this.pos += 2;
    return this;
  }

  s16(v: number): this {
    return this.u16(v);
  }

  u32(v: number): this {
    this.reserve(4);
    putU32(this.buf, this.pos, v);
    this.pos += 4;
    return this;
  }

  /** Two's complement: the same bytes as u32 of the same bits. */
  s32(v: number): this {
    return this.u32(v);
  }

  /** A u64 given as two u32 halves. */
  u64Parts(lo: number, hi: number): this {
    this.reserve(8);
    putU32(this.buf, this.pos, lo);
    putU32(this.buf, this.pos + 4, hi);
    this.pos += 8;
    return this;
  }

  /** A u64 from a non-negative safe integer. */
  u64(v: number): this {
    this.reserve(8);
    putU64(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  /** An s64 from a safe integer (two's complement on the wire). */
  s64(v: number): this {
    // small values (most stat counters, -1 marks): the high half is the sign
    if ((v | 0) === v) return this.u64Parts(v, v < 0 ? 0xffffffff : 0);
    if (!Number.isSafeInteger(v)) {
      throw new CephError('ERANGE', `encode: ${v} is not an s64 a Number can hold exactly`);
    }
    const hi = Math.floor(v / TWO_POW_32);
    const lo = v - hi * TWO_POW_32;
    return this.u64Parts(lo, hi);
  }

  /** A u64 from a bigint (for feature masks and other full-width values). */
  u64Big(v: bigint): this {
    // the common values (0, small ids, CEPH_NOSNAP and -1 marks) without bigint arithmetic
    if (v >= 0n && v <= 0xffffffffn) return this.u64Parts(Number(v), 0);
    if (v === U64_NOSNAP) return this.u64Parts(0xfffffffe, 0xffffffff);
    if (v === U64_MAX || v === -1n) return this.u64Parts(0xffffffff, 0xffffffff);
    const m = BigInt.asUintN(64, v);
    return this.u64Parts(Number(m & 0xffffffffn), Number(m >> 32n));
  }

  f32(v: number): this {
    this.reserve(4);
    this.buf.writeFloatLE(v, this.pos);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.reserve(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** Raw bytes, no length prefix (Ceph's encode_nohead / append). */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** A u32 length then the bytes. */
  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length);
    return this.raw(bytes);
  }

  /** A std::string: u32 byte length then UTF-8 bytes. */
  string(s: string): this {
    const len = s.length;
    if (len <= INLINE_STRING_CHARS_MAX) {
      // short ASCII (object names, keys, namespaces): copied char by char, no UTF-8 encoder call
      this.reserve(4 + len);
      const b = this.buf;
      const at = this.pos + 4;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[at + i] = c;
      }
      if (i === len) {
        this.u32(len);
        this.pos = at + len;
        return this;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.reserve(4 + n);
    this.buf.writeUInt32LE(n, this.pos);
    this.buf.write(s, this.pos + 4, n, 'utf8');
    this.pos += 4 + n;
    return this;
  }

  /**
   * A string whose chars are bytes (as Decoder.binaryString returns them): written one byte per char,
   * so any byte sequence read that way is written back unchanged. A string with chars past U+00FF
   * cannot be bytes and is written as UTF-8 instead.
   */
  binaryString(s: string): this {
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return this.string(s);
    const n = s.length;
    this.reserve(4 + n);
    this.buf.writeUInt32LE(n, this.pos);
    this.buf.write(s, this.pos + 4, n, 'latin1');
    this.pos += 4 + n;
    return this;
  }

  /** Overwrite a u32 written earlier at `offset` (for counts known only later). */
  patchU32(offset: number, v: number): this {
    if (offset < 0 || offset + 4 > this.pos) {
      throw new CephError('EINVAL', `encode: patch at ${offset} is outside the ${this.pos} bytes written`);
    }
    this.buf.writeUInt32LE(v >>> 0, offset);
    return this;
  }

  /** A list: u32 count then each element written by `each`. */
  list<T>(items: readonly T[], each: (e: this, item: T) => void): this {
    this.u32(items.length);
    for (const item of items) each(this, item);
    return this;
  }

  /**
   * A std::map: u32 count then key/value pairs in ascending key order (a JS Map keeps insertion
   * order, so the keys are sorted here; `compare` defaults to numeric order for number keys).
   */
  map<K, V>(
    m: ReadonlyMap<K, V>,
    key: (e: this, k: K) => void,
    value: (e: this, v: V) => void,
    compare: (a: K, b: K) => number = defaultCompare,
  ): this {
    const keys = [...m.keys()].sort(compare);
    this.u32(keys.length);
    for (const k of keys) {
      key(this, k);
      value(this, m.get(k) as V);
    }
    return this;
  }

  /** ENCODE_START: write struct_v and struct_compat and leave room for the length. */
  startStruct(structV: number, compat: number): this {
    if (this.structDepth >= STRUCT_DEPTH_MAX) {
      throw new CephError('EINVAL', `encode: struct nesting deeper than ${STRUCT_DEPTH_MAX}`);
    }
    this.u8(structV).u8(compat);
    this.structStarts[this.structDepth++] = this.pos;
    return this.u32(0);
  }

  /** ENCODE_FINISH: fill in the length of the innermost open struct. */
  finishStruct(): this {
    if (this.structDepth === 0) throw new CephError('EINVAL', 'encode: finishStruct without startStruct');
    const at = this.structStarts[--this.structDepth]!;
    this.buf.writeUInt32LE(this.pos - at - 4, at);
    return this;
  }
}

function defaultCompare<K>(a: K, b: K): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Compare strings by their UTF-8 bytes, as std::string's operator< does, without encoding them: UTF-8
 * byte order is code point order, which differs from UTF-16 order only where surrogates (code points
 * of 0x10000 and up) meet 0xe000..0xffff.
 */
export function compareStringBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // UTF-16 puts surrogates below 0xe000..0xffff; UTF-8 puts their code points above.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** A bounds-checked little-endian reader over one Buffer. */
export class Decoder {
  /** Read position, from the start of `buf`. */
  pos: number;
  /** What is being decoded, for messages ("crush map"). */
  label: string;
  /** Where inside it, for messages ("bucket"); '' for the top level. See setContext. */
  context = '';
  /** A number printed after `context` ("bucket -3"), or NaN for none. */
  contextId = NaN;
  private readonly buf: Buffer;
  private readonly end: number;
  /**
   * The open structs' ends, innermost last (entries at or past structDepth are stale): the end itself
   * for a struct with a length (decodeFinish jumps to it), -end - 1 (negative) for a legacy struct
   * without one (decodeFinish does not jump). A plain array on the JS heap, grown only as deep as the
   * nesting goes, so making a Decoder allocates nothing off the heap.
   */
  private readonly structEnds: number[] = [];
  private structDepth = 0;
  /** What limit() returns, kept up to date on every struct push and pop. */
  private lim: number;

  constructor(buf: Uint8Array, label = 'buffer', start = 0, end = buf.length) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
    this.lim = end;
    this.label = label;
  }

  /** Bytes left before the end of the buffer (not of the current struct). */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** The whole underlying buffer (for checksums over byte ranges the decoder has read). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** True when every byte has been read (Ceph's bufferlist iterator end()). */
  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** The limit reads may not pass: the innermost open struct's end, else the buffer's end. */
  private limit(): number {
    return this.lim;
  }

  /** Bytes left in the innermost open struct (or the buffer). */
  get structRemaining(): number {
    return this.limit() - this.pos;
  }

  /**
   * Say where the following reads are, for error messages: setContext('bucket', -3) makes a failed
   * read of 'items' report "bucket -3 items". Stores the parts; the text is built only on error.
   */
  setContext(context: string, id = NaN): void {
    this.context = context;
    this.contextId = id;
  }

  private contextText(): string {
    if (!this.context) return '';
    return Number.isNaN(this.contextId) ? this.context + ' ' : `${this.context} ${this.contextId} `;
  }

  private where(what: string): string {
    return `${this.label}: ${this.contextText()}${what}`;
  }

  /** Raise the truncation error for `what` needing `n` bytes. */
  truncated(what: string, n: number): never {
    const left = Math.max(0, this.limit() - this.pos);
    throw new CephError(
      'EIO',
      `${this.label}: truncated reading ${this.contextText()}${what}` +
        ` (need ${n} bytes at offset ${this.pos}, ${left} left)`,
    );
  }

  /** Raise a malformed-input error about `what`. */
  malformed(what: string, detail: string): never {
    throw new CephError('EINVAL', `${this.where(what)}: ${detail} (at offset ${this.pos})`);
  }

  /** Check that `n` more bytes can be read. */
  need(n: number, what: string): void {
    if (n > this.limit() - this.pos || n < 0) this.truncated(what, n);
  }

  u8(what: string): number {
    if (this.pos + 1 > this.limit()) this.truncated(what, 1);
    return this.buf[this.pos++]!;
  }

  bool(what: string): boolean {
    return this.u8(what) !== 0;
  }

  u16(what: string): number {
    const p = this.pos;
    if (p + 2 > this.limit()) this.truncated(what, 2);
    const b = this.buf;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  s16(what: string): number {
    if (this.pos + 2 > this.limit()) this.truncated(what, 2);
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    const p = this.pos;
    if (p + 4 > this.limit()) this.truncated(what, 4);
    const b = this.buf;
    this.pos = p + 4;
    return getU32(b, p);
  }

  s32(what: string): number {
    const p = this.pos;
    if (p + 4 > this.limit()) this.truncated(what, 4);
    const b = this.buf;
    this.pos = p + 4;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  }

  /** A u64 as a Number; EINVAL if it needs more than 53 bits. */
  u64(what: string): number {
    if (this.pos + 8 > this.limit()) this.truncated(what, 8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    if (hi > 0x1fffff) this.malformed(what, `u64 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} exceeds 2^53`);
    this.pos += 8;
    return hi * TWO_POW_32 + lo;
  }

  /** An s64 as a Number; EINVAL outside +-(2^53 - 1). */
  s64(what: string): number {
    if (this.pos + 8 > this.limit()) this.truncated(what, 8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readInt32LE(this.pos + 4);
    const v = hi * TWO_POW_32 + lo;
    if (!Number.isSafeInteger(v)) this.malformed(what, `s64 out of the exactly representable range`);
    this.pos += 8;
    return v;
  }

  /** A full-width u64 as two u32 halves written to out[index] (low) and out[index + 1] (high). */
  u64Halves(what: string, out: Uint32Array, index = 0): void {
    if (this.pos + 8 > this.limit()) this.truncated(what, 8);
    out[index] = this.buf.readUInt32LE(this.pos);
    out[index + 1] = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
  }

  /** A full-width u64 as a bigint (feature masks). */
  u64Big(what: string): bigint {
    const p = this.pos;
    if (p + 8 > this.limit()) this.truncated(what, 8);
    const b = this.buf;
    const hi = getU32(b, p + 4);
    // the common values (0, small ids, CEPH_NOSNAP and -1 marks) without a bigint read
    if (hi === 0 || hi === 0xffffffff) {
      const lo = getU32(b, p);
      this.pos = p + 8;
      if (hi === 0) return lo === 0 ? 0n : BigInt(lo);
      if (lo === 0xfffffffe) return U64_NOSNAP;
      if (lo === 0xffffffff) return U64_MAX;
      this.pos = p;
    }
    const v = b.readBigUInt64LE(p);
    this.pos = p + 8;
    return v;
  }

  f32(what: string): number {
    if (this.pos + 4 > this.limit()) this.truncated(what, 4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(what: string): number {
    if (this.pos + 8 > this.limit()) this.truncated(what, 8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** `n` raw bytes as a view into the decoded buffer (no copy). */
  raw(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /**
   * A Decoder over the next `n` bytes (its own label, context and struct stack), advancing past them:
   * for a bufferlist embedded in a struct, such as the CRUSH map inside an OSDMap.
   */
  sub(n: number, what: string, label = this.label): Decoder {
    this.need(n, what);
    const d = new Decoder(this.buf, label, this.pos, this.pos + n);
    this.pos += n;
    return d;
  }

  /** A u32 length then that many bytes, as a view. */
  bytes(what: string): Buffer {
    const n = this.u32(what);
    return this.raw(n, what);
  }

  /** A std::string: u32 length then UTF-8 bytes. */
  string(what: string): string {
    const n = this.u32(what);
    return this.stringBody(n, what);
  }

  /** The body of a string whose length was read already (decode_nohead). */
  stringBody(n: number, what: string): string {
    this.need(n, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * A std::string read one char per byte (latin1): lossless for any bytes, and the same as UTF-8 for
   * ASCII. For names Ceph restricts to ASCII, so corrupted bytes survive a decode/encode round trip.
   */
  binaryString(what: string): string {
    const n = this.u32(what);
    return this.binaryStringBody(n, what);
  }

  /** The body of a binary string whose length was read already. */
  binaryStringBody(n: number, what: string): string {
    this.need(n, what);
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * A u32 element count for a list or map whose elements take at least `minElemBytes` each; refuses
   * counts the remaining bytes cannot hold, so garbage cannot make a caller allocate or loop for long.
   */
  count(what: string, minElemBytes: number): number {
    const n = this.u32(what);
    this.checkCount(n, minElemBytes, what);
    return n;
  }

  /** A list: u32 count then elements read by `each` (each taking at least `minElemBytes`). */
  list<T>(what: string, minElemBytes: number, each: (d: this, i: number) => T): T[] {
    const n = this.count(what, minElemBytes);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = each(this, i);
    return out;
  }

  /** A std::map: u32 count then key/value pairs (each pair taking at least `minPairBytes`). */
  map<K, V>(what: string, minPairBytes: number, key: (d: this) => K, value: (d: this, k: K) => V): Map<K, V> {
    const n = this.count(what, minPairBytes);
    const out = new Map<K, V>();
    for (let i = 0; i < n; i++) {
      const k = key(this);
      out.set(k, value(this, k));
    }
    return out;
  }

  /** Refuse `n` elements of at least `minElemBytes` each when fewer bytes remain. */
  checkCount(n: number, minElemBytes: number, what: string): void {
    if (minElemBytes > 0 && n > (this.limit() - this.pos) / minElemBytes) {
      throw new CephError(
        'EIO',
        `${this.label}: truncated reading ${this.contextText()}${what}` +
          ` (count ${n} needs at least ${n * minElemBytes} bytes at offset ${this.pos},` +
          ` ${this.limit() - this.pos} left)`,
      );
    }
  }

  /** Advance `n` bytes. */
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /**
   * DECODE_START: read a struct header and return struct_v. Refuses (EINVAL) a struct_compat newer
   * than `supportedV` and a length past the end of the data. Pair with decodeFinish().
   */
  decodeStart(supportedV: number, what: string): number {
    if (this.limit() - this.pos < 6) this.truncated(`${what} struct header`, 6);
    const structV = this.buf[this.pos]!;
    const compat = this.buf[this.pos + 1]!;
    if (compat > supportedV) {
      this.malformed(
        what,
        `struct_compat ${compat} is newer than the supported version ${supportedV}` +
          ` (struct_v ${structV}); this encoding needs a newer decoder`,
      );
    }
    const len = this.buf.readUInt32LE(this.pos + 2);
    this.pos += 6;
    if (len > this.limit() - this.pos) this.truncated(`${what} body`, len);
    this.pushStruct(this.pos + len, true, what);
    return structV;
  }

  private pushStruct(end: number, hasLen: boolean, what: string): void {
    if (this.structDepth >= STRUCT_DEPTH_MAX) this.malformed(what, `structs nested deeper than ${STRUCT_DEPTH_MAX}`);
    this.structEnds[this.structDepth++] = hasLen ? end : -end - 1;
    this.lim = end;
  }

  /**
   * DECODE_START_LEGACY_COMPAT_LEN: for structs whose old encodings lacked parts of the header.
   * struct_v always comes first; struct_compat only when struct_v >= compatV (else `skipV` bytes are
   * skipped, as Ceph does); the u32 length only when struct_v >= lenV (else decodeFinish does not jump
   * and reads may run to the enclosing limit). Returns struct_v.
   */
  decodeStartLegacyCompatLen(supportedV: number, compatV: number, lenV: number, what: string, skipV = 0): number {
    const structV = this.u8(`${what} struct_v`);
    if (structV >= compatV) {
      const compat = this.u8(`${what} struct_compat`);
      if (compat > supportedV) {
        this.malformed(what, `struct_compat ${compat} is newer than the supported version ${supportedV}`);
      }
    } else if (skipV) {
      if (this.limit() - this.pos < skipV) this.malformed(what, 'skip past the end of the data');
      this.pos += skipV;
    }
    if (structV >= lenV) {
      const len = this.u32(`${what} struct_len`);
      if (len > this.limit() - this.pos) this.truncated(`${what} body`, len);
      this.pushStruct(this.pos + len, true, what);
    } else {
      this.pushStruct(this.limit(), false, what);
    }
    return structV;
  }

  /**
   * One whole versioned struct (header and body) at the read position, consumed and returned as a
   * copy: for a struct carried opaquely (re-encoded as the bytes it came in).
   */
  structBytes(what: string): Buffer {
    const start = this.pos;
    this.decodeStart(255, what);
    this.decodeFinish(what);
    return Buffer.from(this.buf.subarray(start, this.pos));
  }

  /** True when the innermost open struct (or the buffer) has no more bytes. */
  atStructEnd(): boolean {
    return this.pos >= this.limit();
  }

  /** DECODE_FINISH: skip whatever the innermost struct holds that was not read. */
  decodeFinish(what: string): void {
    if (this.structDepth === 0) throw new CephError('EINVAL', `${this.where(what)}: decodeFinish without decodeStart`);
    const entry = this.structEnds[--this.structDepth]!;
    const d = this.structDepth;
    this.lim = d > 0 ? decodedEnd(this.structEnds[d - 1]!) : this.end;
    if (entry < 0) return;
    if (this.pos > entry) this.malformed(what, `read past the struct end ${entry}`);
    this.pos = entry;
  }
}

/** A struct end as Decoder.structEnds holds it (-end - 1 for a struct without a length). */
function decodedEnd(entry: number): number {
  return entry < 0 ? -entry - 1 : entry;
}

/**
 * `b` itself when it is the whole of its memory, else a copy of exactly its bytes in memory of its own.
 * For small values kept long (caches, logs, in-memory indexes): a view of a receive chunk, or a small
 * Buffer carved from Node's shared 8 KiB pool, keeps the whole chunk or pool slab alive as long as it
 * lives (a 20-byte value pinning 8-64 KiB).
 */
export function ownedBytes(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const out = Buffer.allocUnsafeSlow(b.length);
  b.copy(out);
  return out;
}

// Plain little-endian stores and loads for hot paths whose callers have already sized the buffer
// (Buffer's own read/write methods check their arguments on every call). The one copy: the Encoder,
// the Decoder and the msgr2 frame writers use these.
export function putU16(b: Buffer, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}

export function putU32(b: Buffer, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

/** A u64 from a non-negative safe integer (ERANGE otherwise). */
export function putU64(b: Buffer, off: number, v: number): void {
  // most u64 fields (versions, counters) fit 32 bits: no division for those
  if ((v >>> 0) === v) {
    putU32(b, off, v);
    putU32(b, off + 4, 0);
    return;
  }
  if (!Number.isSafeInteger(v) || v < 0) throw new CephError('ERANGE', `encode: ${v} is not a u64 a Number can hold exactly`);
  putU32(b, off, v % TWO_POW_32);
  putU32(b, off + 4, Math.floor(v / TWO_POW_32));
}

export function getU16(b: Buffer, off: number): number {
  return b[off]! | (b[off + 1]! << 8);
}

export function getU32(b: Buffer, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}
