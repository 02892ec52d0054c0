// msgr2.1 framing in crc mode (Ceph's doc/dev/msgr2.rst, src/msg/async/frames_v2.{h,cc}): the banner, the
// 32-byte preamble, segments with their crc32c, the rev1 epilogue, an incremental reader that turns socket
// chunks into frames without copying segment bytes, frame assembly into a Buffer list for one gathered
// write, and the encoders/decoders of every control frame and of the MESSAGE frame's header.
// Pure: no clock, sockets or timers. Malformed input raises CephError EBADMSG (or E2BIG for sizes).
//
// Wire layout (all little-endian):
//   banner    "ceph v2\n" | le16 payload_len | le64 supported | le64 required      (26 bytes from Ceph)
//   preamble  u8 tag | u8 num_segments | 4 x (le32 length, le16 alignment) | u8 flags | u8 reserved
//             | le32 crc32c(0, preamble[0..28))                                       (32 bytes)
//   rev1 crc  preamble | segment0 | le32 crc(segment0)   (segment0 and its crc only when non-empty)
//             then, only when num_segments > 1: segment1..segment(n-1) | epilogue
//   epilogue  u8 late_status (0x0e complete, 0x01 aborted) | 3 x le32 crc of segments 1..3   (13 bytes)
//   segment crc = Ceph's bufferlist::crc32c(-1): the raw register seeded with 0xffffffff, no final xor.

import { CephError, assert } from '../../common/errors.js';
import { cephCrc32c, cephCrc32cOfList } from '../../common/crc32c.js';
import { Decoder, Encoder, getU16, getU32, putU16, putU32 } from '../../common/encoding.js';
import { decodeAddrVec, decodeEntityAddr, encodeAddrVec, encodeEntityAddr } from '../../common/osdmap/encoding.js';
import type { EntityAddr, EntityAddrVec } from '../../common/osdmap/types.js';
import type { MsgHeader, RawMessage } from '../message.js';
import { BANNER_PAYLOAD_BYTES_MAX, CONTROL_PAYLOAD_BYTES_MAX, FRAME_BYTES_MAX, SEGMENT_BYTES_MAX } from './limits.js';

/** Frame tags (Ceph's ceph::msgr::v2::Tag). */
export const Tag = {
  HELLO: 1,
  AUTH_REQUEST: 2,
  AUTH_BAD_METHOD: 3,
  AUTH_REPLY_MORE: 4,
  AUTH_REQUEST_MORE: 5,
  AUTH_DONE: 6,
  AUTH_SIGNATURE: 7,
  CLIENT_IDENT: 8,
  SERVER_IDENT: 9,
  IDENT_MISSING_FEATURES: 10,
  SESSION_RECONNECT: 11,
  SESSION_RESET: 12,
  SESSION_RETRY: 13,
  SESSION_RETRY_GLOBAL: 14,
  SESSION_RECONNECT_OK: 15,
  WAIT: 16,
  MESSAGE: 17,
  KEEPALIVE2: 18,
  KEEPALIVE2_ACK: 19,
  ACK: 20,
  COMPRESSION_REQUEST: 21,
  COMPRESSION_DONE: 22,
} as const;
export type TagValue = (typeof Tag)[keyof typeof Tag];
const TAG_MAX = Tag.COMPRESSION_DONE;

export function tagName(tag: number): string {
  for (const [k, v] of Object.entries(Tag)) if (v === tag) return k;
  return `tag ${tag}`;
}

export const BANNER_PREFIX = Buffer.from('ceph v2\n', 'latin1');
/** Prefix plus the le16 payload length. */
export const BANNER_HEAD_BYTES = BANNER_PREFIX.length + 2;
export const BANNER_PAYLOAD_BYTES = 16;
/** msgr2 banner feature bits (CEPH_MSGR2_FEATURE_*). */
export const MSGR2_FEATURE_REVISION_1 = 1n;
export const MSGR2_FEATURE_COMPRESSION = 2n;
/** What we offer and demand in the banner: revision 1 (crc mode with the inline first-segment crc). */
export const MSGR2_SUPPORTED_FEATURES = MSGR2_FEATURE_REVISION_1;
export const MSGR2_REQUIRED_FEATURES = 0n;

export const PREAMBLE_BYTES = 32;
export const CRC_BYTES = 4;
export const EPILOGUE_REV1_BYTES = 13;
export const SEGMENTS_MAX = 4;
/** Preamble flag: the segments are compressed (FRAME_EARLY_DATA_COMPRESSED). */
export const FRAME_FLAG_COMPRESSED = 0x01;
export const LATE_STATUS_ABORTED = 0x01;
export const LATE_STATUS_COMPLETE = 0x0e;
export const LATE_STATUS_ABORTED_MASK = 0x0f;
/** Segment alignment hints Ceph sends: sizeof(void*) for control/header/front/middle, a page for data. */
export const SEGMENT_ALIGN_DEFAULT = 8;
export const SEGMENT_ALIGN_PAGE = 4096;
/** sizeof(ceph_msg_header2), packed. */
export const MSG_HEADER2_BYTES = 41;
/** CEPH_FEATUREMASK_MSG_ADDR2: every msgr2 peer needs it (msgr2_required). */
export const FEATURE_MSG_ADDR2 = 1n << 59n;
/** CEPH_MSG_CONNECT_LOSSY in CLIENT_IDENT / SERVER_IDENT flags. */
export const IDENT_FLAG_LOSSY = 1n;
/** con_mode values (CEPH_CON_MODE_*). */
export const ConMode = { UNKNOWN: 0, CRC: 1, SECURE: 2 } as const;
/** Auth methods (CEPH_AUTH_*). */
export const AuthMethod = { UNKNOWN: 0, NONE: 1, CEPHX: 2 } as const;

function bad(reason: string): never {
  throw new CephError('EBADMSG', `msgr2: ${reason}`);
}

// -------------------------------------------------------------------------------------------------
// Banner

export function encodeBanner(supported: bigint, required: bigint): Buffer {
  const b = Buffer.alloc(BANNER_HEAD_BYTES + BANNER_PAYLOAD_BYTES);
  BANNER_PREFIX.copy(b, 0);
  b.writeUInt16LE(BANNER_PAYLOAD_BYTES, BANNER_PREFIX.length);
  b.writeBigUInt64LE(supported, BANNER_HEAD_BYTES);
  b.writeBigUInt64LE(required, BANNER_HEAD_BYTES + 8);
  return b;
}

export interface Banner {
  supported: bigint;
  required: bigint;
}

// -------------------------------------------------------------------------------------------------
// Preamble and frames

export interface Preamble {
  tag: number;
  /** Logical lengths of the segments present (1..4 entries). */
  lengths: number[];
  aligns: number[];
  flags: number;
}

/** Ceph's preamble crc: the raw crc32c register seeded with 0 over the first 28 bytes. */
export function preambleCrc(b: Buffer, off = 0): number {
  return cephCrc32c(0, b, off, off + PREAMBLE_BYTES - CRC_BYTES);
}

/** Ceph's segment crc (bufferlist::crc32c(-1)) over a list of views. */
export function segmentCrc(seg: readonly Buffer[]): number {
  return cephCrc32cOfList(0xffffffff, seg);
}

/** Segments smaller than this are checksummed on every send; a memo lookup would cost about as much. */
export const CRC_MEMO_BYTES_MIN = 64 * 1024;
/** Large segments a SegmentCrcMemo remembers at once (the oldest is forgotten first). */
export const CRC_MEMO_ENTRIES_MAX = 8;

/**
 * The crcs of large segments sent more than once while their Buffers cannot change: a primary sends
 * the same data Buffers to each replica, and in crc mode a segment's crc depends on its bytes alone.
 * An entry matches a segment made of the very same Buffer objects, in order. The owner clears it once
 * the senders may have let go of those Buffers (the messenger: at the end of each event-loop turn), so
 * a caller that reuses a Buffer later is checksummed afresh. `onFirstEntry` runs when an empty memo
 * takes its first entry, so the owner can arrange that clear at the end of the very turn that filled it
 * (an entry left over to a later turn would answer for a reused Buffer's new bytes).
 */
export class SegmentCrcMemo {
  constructor(private readonly onFirstEntry?: () => void) {}
  private readonly segs: Array<readonly Buffer[]> = [];
  private readonly crcs: number[] = [];
  private next = 0;
  /** Lookups answered from the memo (tests and benchmarks read it). */
  hits = 0;

  get size(): number {
    return this.segs.length;
  }

  crc(seg: readonly Buffer[]): number {
    let bytes = 0;
    for (const b of seg) bytes += b.length;
    if (bytes < CRC_MEMO_BYTES_MIN) return segmentCrc(seg);
    for (let i = 0; i < this.segs.length; i++) {
      if (sameBuffers(this.segs[i]!, seg)) {
        this.hits++;
        return this.crcs[i]!;
      }
    }
    const c = segmentCrc(seg);
    if (this.segs.length === 0) this.onFirstEntry?.();
    const at = this.next;
    this.segs[at] = seg.slice();
    this.crcs[at] = c;
    this.next = (at + 1) % CRC_MEMO_ENTRIES_MAX;
    return c;
  }

  clear(): void {
    this.segs.length = 0;
    this.crcs.length = 0;
    this.next = 0;
  }
}

function sameBuffers(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function encodePreamble(p: Preamble): Buffer {
  const b = Buffer.alloc(PREAMBLE_BYTES);
  writePreamble(b, 0, p);
  return b;
}

function writePreamble(b: Buffer, off: number, p: Preamble): void {
  assert(p.lengths.length >= 1 && p.lengths.length <= SEGMENTS_MAX, 'segment count 1..4');
  b.fill(0, off, off + PREAMBLE_BYTES);
  b[off] = p.tag;
  b[off + 1] = p.lengths.length;
  for (let i = 0; i < p.lengths.length; i++) {
    b.writeUInt32LE(p.lengths[i]!, off + 2 + i * 6);
    b.writeUInt16LE(p.aligns[i] ?? SEGMENT_ALIGN_DEFAULT, off + 6 + i * 6);
  }
  b[off + 26] = p.flags;
  b.writeUInt32LE(preambleCrc(b, off), off + 28);
}

/** Check and read a preamble (crc, segment count, sizes, tag). */
export function decodePreamble(b: Buffer, off = 0, segmentBytesMax = SEGMENT_BYTES_MAX): Preamble {
  const lengths: number[] = [];
  const aligns: number[] = [];
  const tag = parsePreamble(b, off, segmentBytesMax, lengths, aligns);
  return { tag, lengths, aligns, flags: b[off + 26]! };
}

/**
 * decodePreamble's checks, storing the segment lengths and alignments at indexes 0..n-1 of the
 * caller's arrays (n = b[off + 1], checked); returns the tag. The reader passes the same two arrays for
 * every frame (entries past n are stale there).
 */
function parsePreamble(b: Buffer, off: number, segmentBytesMax: number, lengths: number[], aligns: number[]): number {
  const crc = getU32(b, off + 28);
  const calc = preambleCrc(b, off);
  if (crc !== calc) bad(`bad preamble crc: calculated ${calc} expected ${crc}`);
  const tag = b[off]!;
  const n = b[off + 1]!;
  if (n < 1 || n > SEGMENTS_MAX) bad(`bad number of segments ${n}`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const len = getU32(b, off + 2 + i * 6);
    if (len > segmentBytesMax) {
      throw new CephError('E2BIG', `msgr2: segment ${i} of ${len} bytes exceeds the limit of ${segmentBytesMax}`);
    }
    total += len;
    lengths[i] = len;
    aligns[i] = getU16(b, off + 6 + i * 6);
  }
  if (n > 1 && lengths[n - 1] === 0) bad('last segment empty');
  if (total > FRAME_BYTES_MAX) throw new CephError('E2BIG', `msgr2: frame of ${total} bytes exceeds the limit of ${FRAME_BYTES_MAX}`);
  if (tag < 1 || tag > TAG_MAX) bad(`unknown tag ${tag}`);
  if (tag !== Tag.MESSAGE && total > CONTROL_PAYLOAD_BYTES_MAX) {
    throw new CephError('E2BIG', `msgr2: ${tagName(tag)} control payload of ${total} bytes exceeds ${CONTROL_PAYLOAD_BYTES_MAX}`);
  }
  return tag;
}

/** Bytes a frame with these segment lengths (the first `count`) takes on the wire after its preamble (rev1 crc mode). */
export function frameBodyBytes(lengths: readonly number[], count = lengths.length): number {
  let n = 0;
  if (lengths[0]! > 0) n += lengths[0]! + CRC_BYTES;
  if (count > 1) {
    for (let i = 1; i < count; i++) n += lengths[i]!;
    n += EPILOGUE_REV1_BYTES;
  }
  return n;
}

/** A received frame: its tag and segments, each a list of views into the received chunks. */
export interface Frame {
  tag: number;
  flags: number;
  segments: Buffer[][];
}

/**
 * Assemble a frame in rev1 crc layout as a Buffer list for one gathered write. Trailing empty segments
 * are dropped (as Ceph's calc_num_segments does); segment bytes are not copied. The preamble, the
 * first segment and its crc share one buffer when the first segment is a single buffer.
 */
export function assembleFrame(tag: number, segments: readonly (readonly Buffer[])[], aligns?: readonly number[], flags = 0): Buffer[] {
  assert(segments.length >= 1 && segments.length <= SEGMENTS_MAX, 'frame has 1..4 segments');
  let n = segments.length;
  const lens: number[] = [];
  for (const s of segments) {
    let l = 0;
    for (const b of s) l += b.length;
    lens.push(l);
  }
  while (n > 1 && lens[n - 1] === 0) n--;
  lens.length = n;
  const al: number[] = [];
  for (let i = 0; i < n; i++) al.push(aligns?.[i] ?? SEGMENT_ALIGN_DEFAULT);
  const out: Buffer[] = [];
  const seg0 = segments[0]!;
  const len0 = lens[0]!;
  if (len0 > 0 && seg0.length === 1 && len0 <= CONTROL_PAYLOAD_BYTES_MAX) {
    const head = Buffer.allocUnsafe(PREAMBLE_BYTES + len0 + CRC_BYTES);
    writePreamble(head, 0, { tag, lengths: lens, aligns: al, flags });
    seg0[0]!.copy(head, PREAMBLE_BYTES);
    head.writeUInt32LE(cephCrc32c(0xffffffff, seg0[0]!), PREAMBLE_BYTES + len0);
    out.push(head);
  } else {
    const pre = Buffer.allocUnsafe(PREAMBLE_BYTES);
    writePreamble(pre, 0, { tag, lengths: lens, aligns: al, flags });
    out.push(pre);
    if (len0 > 0) {
      for (const b of seg0) if (b.length) out.push(b);
      const c = Buffer.allocUnsafe(CRC_BYTES);
      c.writeUInt32LE(segmentCrc(seg0), 0);
      out.push(c);
    }
  }
  if (n > 1) {
    const epi = Buffer.alloc(EPILOGUE_REV1_BYTES);
    epi[0] = LATE_STATUS_COMPLETE;
    for (let i = 1; i < n; i++) {
      const s = segments[i]!;
      for (const b of s) if (b.length) out.push(b);
      epi.writeUInt32LE(segmentCrc(s), 1 + (i - 1) * 4);
    }
    out.push(epi);
  }
  return out;
}

/** One control frame (single segment) as one Buffer. */
export function controlFrame(tag: number, payload: Buffer): Buffer {
  const bufs = assembleFrame(tag, [[payload]]);
  return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
}

// -------------------------------------------------------------------------------------------------
// Incremental reader

const R_BANNER_HEAD = 0;
const R_BANNER_PAYLOAD = 1;
const R_PREAMBLE = 2;
const R_BODY = 3;

export type ReadItem = { kind: 'banner'; banner: Banner } | { kind: 'frame'; frame: Frame };

/**
 * Turns socket chunks into the peer's banner, then frames. push() keeps the chunks (no copy); next()
 * returns the next complete item or null when more bytes are needed. Segment views point into the
 * pushed chunks, so a caller must not reuse a chunk's memory after pushing it.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private head = 0; // index of the first chunk with unread bytes
  private headOff = 0; // read offset in chunks[head]
  private avail = 0;
  private state: number;
  private bannerPayloadLen = 0;
  /** The preamble of the frame being read (valid in R_BODY): tag, flags, segment lengths and alignments, reused frame to frame. */
  private preTag = 0;
  private preFlags = 0;
  /** Segment count; preLengths / preAligns hold it at 0..preCount-1 (preAligns is parsePreamble's scratch: checked, not kept). */
  private preCount = 0;
  private readonly preLengths: number[] = [0, 0, 0, 0];
  private readonly preAligns: number[] = [0, 0, 0, 0];
  private bodyLen = 0;
  /** Frames dropped because the sender aborted them (late status). */
  abortedFrames = 0;

  constructor(
    expectBanner = true,
    private readonly segmentBytesMax = SEGMENT_BYTES_MAX,
  ) {
    this.state = expectBanner ? R_BANNER_HEAD : R_PREAMBLE;
  }

  /** Bytes buffered and not yet returned. */
  get bufferedBytes(): number {
    return this.avail;
  }

  /** Bytes the current item still needs before next() can return it (0 if unknown / none). */
  get neededBytes(): number {
    switch (this.state) {
      case R_BANNER_HEAD: return Math.max(0, BANNER_HEAD_BYTES - this.avail);
      case R_BANNER_PAYLOAD: return Math.max(0, this.bannerPayloadLen - this.avail);
      case R_PREAMBLE: return Math.max(0, PREAMBLE_BYTES - this.avail);
      default: return Math.max(0, this.bodyLen - this.avail);
    }
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.head > 32 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.sumChunk -= this.head;
      this.head = 0;
    }
    this.chunks.push(chunk);
    this.avail += chunk.length;
  }

  next(): ReadItem | null {
    for (;;) {
      switch (this.state) {
        case R_BANNER_HEAD: {
          if (this.avail < BANNER_HEAD_BYTES) return null;
          const h = this.takeContiguous(BANNER_HEAD_BYTES);
          if (!h.subarray(0, BANNER_PREFIX.length).equals(BANNER_PREFIX)) {
            if (h.subarray(0, 4).toString('latin1') === 'ceph') bad('peer is not speaking msgr2 (bad banner, msgr1?)');
            bad('bad banner');
          }
          const len = h.readUInt16LE(BANNER_PREFIX.length);
          if (len < BANNER_PAYLOAD_BYTES) bad(`banner payload of ${len} bytes is too short`);
          if (len > BANNER_PAYLOAD_BYTES_MAX) throw new CephError('E2BIG', `msgr2: banner payload of ${len} bytes`);
          this.bannerPayloadLen = len;
          this.state = R_BANNER_PAYLOAD;
          break;
        }
        case R_BANNER_PAYLOAD: {
          if (this.avail < this.bannerPayloadLen) return null;
          const p = this.takeContiguous(this.bannerPayloadLen);
          this.state = R_PREAMBLE;
          return { kind: 'banner', banner: { supported: p.readBigUInt64LE(0), required: p.readBigUInt64LE(8) } };
        }
        case R_PREAMBLE: {
          if (this.avail < PREAMBLE_BYTES) return null;
          const p = this.fixed(PREAMBLE_BYTES);
          const po = this.fixedOff;
          this.preTag = parsePreamble(p, po, this.segmentBytesMax, this.preLengths, this.preAligns);
          this.preFlags = p[po + 26]!;
          this.preCount = p[po + 1]!;
          this.bodyLen = frameBodyBytes(this.preLengths, this.preCount);
          this.startSums();
          this.state = R_BODY;
          break;
        }
        default: {
          if (this.avail < this.bodyLen) {
            // Checksum what has arrived of this frame's segments now, while those bytes are fresh in
            // the cache, instead of reading a large frame back from memory once it is whole.
            this.sumArrived();
            return null;
          }
          const early = this.sumAt > 0;
          if (early) this.sumArrived();
          this.state = R_PREAMBLE;
          const tag = this.preTag;
          const lens = this.preLengths;
          const n = this.preCount;
          const segments: Buffer[][] = [];
          if (lens[0]! > 0) {
            const s0 = this.take(lens[0]!);
            const c = this.fixed(CRC_BYTES);
            const crc = getU32(c, this.fixedOff);
            const calc = early ? this.sums[0]! >>> 0 : segmentCrc(s0);
            if (crc !== calc) bad(`bad segment 0 crc: calculated ${calc} expected ${crc} (${tagName(tag)})`);
            segments.push(s0);
          } else {
            segments.push([]);
          }
          if (n > 1) {
            for (let i = 1; i < n; i++) segments.push(this.take(lens[i]!));
            const epi = this.fixed(EPILOGUE_REV1_BYTES);
            const eo = this.fixedOff;
            for (let i = 1; i < n; i++) {
              const crc = getU32(epi, eo + 1 + (i - 1) * 4);
              const calc = early ? this.sums[i]! >>> 0 : segmentCrc(segments[i]!);
              if (crc !== calc) bad(`bad segment ${i} crc: calculated ${calc} expected ${crc} (${tagName(tag)})`);
            }
            const late = epi[eo]! & LATE_STATUS_ABORTED_MASK;
            if (late !== LATE_STATUS_COMPLETE && late !== LATE_STATUS_ABORTED) bad(`bad late status 0x${epi[eo]!.toString(16)}`);
            if (late === LATE_STATUS_ABORTED) {
              this.abortedFrames++;
              break;
            }
          }
          return { kind: 'frame', frame: { tag, flags: this.preFlags, segments } };
        }
      }
    }
  }

  // Early checksums of the frame being read. The body's layout: segment 0, its crc (when segment 0 is
  // not empty), segments 1..n-1, the epilogue (when n > 1). sumAt is how many body bytes have been
  // looked at, from the body's start (chunks[head] at headOff, which stays put until the frame is
  // whole); sumChunk / sumOff is where that is in the chunk list.
  private readonly sums: number[] = [0, 0, 0, 0];
  private readonly sumStarts: number[] = [0, 0, 0, 0];
  private sumAt = 0;
  private sumChunk = 0;
  private sumOff = 0;

  private startSums(): void {
    const lens = this.preLengths;
    let at = 0;
    for (let i = 0; i < this.preCount; i++) {
      this.sums[i] = 0xffffffff;
      this.sumStarts[i] = at;
      at += lens[i]!;
      if (i === 0 && lens[0]! > 0) at += CRC_BYTES;
    }
    this.sumAt = 0;
    this.sumChunk = this.head;
    this.sumOff = this.headOff;
  }

  /** Fold every arrived byte of the frame's segments into their crc registers (once each). */
  private sumArrived(): void {
    const lens = this.preLengths;
    const n = this.preCount;
    const upTo = Math.min(this.avail, this.bodyLen);
    let seg = 0;
    while (this.sumAt < upTo) {
      // The segment holding sumAt, or the gap (segment 0's crc, the epilogue) before the next one.
      while (seg < n && this.sumAt >= this.sumStarts[seg]! + lens[seg]!) seg++;
      let stop: number;
      if (seg < n && this.sumAt >= this.sumStarts[seg]!) stop = this.sumStarts[seg]! + lens[seg]!;
      else stop = seg < n ? this.sumStarts[seg]! : this.bodyLen;
      const inSegment = seg < n && this.sumAt >= this.sumStarts[seg]!;
      const c = this.chunks[this.sumChunk]!;
      const k = Math.min(c.length - this.sumOff, stop - this.sumAt, upTo - this.sumAt);
      if (inSegment) this.sums[seg] = cephCrc32c(this.sums[seg]!, c, this.sumOff, this.sumOff + k);
      this.sumAt += k;
      this.sumOff += k;
      if (this.sumOff === c.length) {
        this.sumChunk++;
        this.sumOff = 0;
      }
    }
  }

  /** n bytes as views of the chunks (no copy). */
  private take(n: number): Buffer[] {
    const out: Buffer[] = [];
    this.avail -= n;
    while (n > 0) {
      const c = this.chunks[this.head]!;
      const left = c.length - this.headOff;
      if (left <= n) {
        out.push(this.headOff === 0 ? c : c.subarray(this.headOff));
        n -= left;
        this.chunks[this.head] = EMPTY;
        this.head++;
        this.headOff = 0;
      } else {
        out.push(c.subarray(this.headOff, this.headOff + n));
        this.headOff += n;
        n = 0;
      }
    }
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    }
    return out;
  }

  /** Where fixed() left its bytes in the Buffer it returned. */
  private fixedOff = 0;

  /**
   * n bytes of a fixed-size field, read in place: returns the chunk holding them with fixedOff at their
   * start (no view is made), or a small copy at offset 0 when they straddle chunks.
   */
  private fixed(n: number): Buffer {
    const c = this.chunks[this.head]!;
    const off = this.headOff;
    if (c.length - off >= n) {
      this.avail -= n;
      this.headOff = off + n;
      if (this.headOff === c.length) {
        this.chunks[this.head] = EMPTY;
        this.head++;
        this.headOff = 0;
        if (this.head === this.chunks.length) {
          this.chunks.length = 0;
          this.head = 0;
        }
      }
      this.fixedOff = off;
      return c;
    }
    this.fixedOff = 0;
    return Buffer.concat(this.take(n), n);
  }

  /** n bytes in one Buffer (a view when they lie in one chunk, else a copy: used for small fields only). */
  private takeContiguous(n: number): Buffer {
    const c = this.chunks[this.head]!;
    if (c.length - this.headOff >= n) {
      const v = c.subarray(this.headOff, this.headOff + n);
      this.avail -= n;
      this.headOff += n;
      if (this.headOff === c.length) {
        this.chunks[this.head] = EMPTY;
        this.head++;
        this.headOff = 0;
        if (this.head === this.chunks.length) {
          this.chunks.length = 0;
          this.head = 0;
        }
      }
      return v;
    }
    return Buffer.concat(this.take(n), n);
  }
}

const EMPTY = Buffer.alloc(0);

/** A segment list as one Buffer (copies only when it has several parts). */
export function flatten(seg: readonly Buffer[]): Buffer {
  if (seg.length === 1) return seg[0]!;
  if (seg.length === 0) return EMPTY;
  return Buffer.concat(seg as Buffer[]);
}

// -------------------------------------------------------------------------------------------------
// Control frame payloads

/** Decode a control payload; any decoding error becomes EBADMSG naming the frame. */
function decodeWith<T>(tag: number, payload: Buffer, f: (d: Decoder) => T): T {
  const d = new Decoder(payload, tagName(tag));
  try {
    return f(d);
  } catch (e) {
    if (e instanceof CephError) throw new CephError('EBADMSG', `msgr2: cannot decode ${tagName(tag)}: ${e.message}`);
    throw e;
  }
}

function u32List(d: Decoder, what: string): number[] {
  return d.list(what, 4, (x) => x.u32(what));
}

function encU32List(e: Encoder, xs: readonly number[]): void {
  e.u32(xs.length);
  for (const x of xs) e.u32(x);
}

export interface Hello {
  entityType: number;
  peerAddr: EntityAddr;
}
export function encodeHello(h: Hello): Buffer {
  const e = new Encoder(64);
  e.u8(h.entityType);
  encodeEntityAddr(e, h.peerAddr);
  return e.toBuffer();
}
export function decodeHello(p: Buffer): Hello {
  return decodeWith(Tag.HELLO, p, (d) => ({ entityType: d.u8('entity type'), peerAddr: decodeEntityAddr(d, 'peer addr') }));
}

export interface AuthRequest {
  method: number;
  preferredModes: number[];
  payload: Buffer;
}
export function encodeAuthRequest(a: AuthRequest): Buffer {
  const e = new Encoder(64 + a.payload.length);
  e.u32(a.method);
  encU32List(e, a.preferredModes);
  e.bytes(a.payload);
  return e.toBuffer();
}
export function decodeAuthRequest(p: Buffer): AuthRequest {
  return decodeWith(Tag.AUTH_REQUEST, p, (d) => ({
    method: d.u32('method'),
    preferredModes: u32List(d, 'preferred modes'),
    payload: Buffer.from(d.bytes('auth payload')),
  }));
}

export interface AuthBadMethod {
  method: number;
  result: number;
  allowedMethods: number[];
  allowedModes: number[];
}
export function encodeAuthBadMethod(a: AuthBadMethod): Buffer {
  const e = new Encoder(64);
  e.u32(a.method).s32(a.result);
  encU32List(e, a.allowedMethods);
  encU32List(e, a.allowedModes);
  return e.toBuffer();
}
export function decodeAuthBadMethod(p: Buffer): AuthBadMethod {
  return decodeWith(Tag.AUTH_BAD_METHOD, p, (d) => ({
    method: d.u32('method'),
    result: d.s32('result'),
    allowedMethods: u32List(d, 'allowed methods'),
    allowedModes: u32List(d, 'allowed modes'),
  }));
}

/** AUTH_REPLY_MORE and AUTH_REQUEST_MORE: one bufferlist. */
export function encodeAuthMore(payload: Buffer): Buffer {
  return new Encoder(8 + payload.length).bytes(payload).toBuffer();
}
export function decodeAuthMore(tag: number, p: Buffer): Buffer {
  return decodeWith(tag, p, (d) => Buffer.from(d.bytes('auth payload')));
}

export interface AuthDone {
  globalId: number;
  conMode: number;
  payload: Buffer;
}
export function encodeAuthDone(a: AuthDone): Buffer {
  const e = new Encoder(32 + a.payload.length);
  e.u64(a.globalId).u32(a.conMode).bytes(a.payload);
  return e.toBuffer();
}
export function decodeAuthDone(p: Buffer): AuthDone {
  return decodeWith(Tag.AUTH_DONE, p, (d) => ({
    globalId: d.u64('global id'),
    conMode: d.u32('con mode'),
    payload: Buffer.from(d.bytes('auth payload')),
  }));
}

/** AUTH_SIGNATURE: a raw sha256 digest (32 zero bytes when there is no session key, as with auth none). */
export const AUTH_SIGNATURE_BYTES = 32;
export function encodeAuthSignature(sig: Buffer): Buffer {
  assert(sig.length === AUTH_SIGNATURE_BYTES, 'sha256 digest');
  return Buffer.from(sig);
}
export function decodeAuthSignature(p: Buffer): Buffer {
  if (p.length < AUTH_SIGNATURE_BYTES) bad(`AUTH_SIGNATURE of ${p.length} bytes`);
  return p.subarray(0, AUTH_SIGNATURE_BYTES);
}

export interface ClientIdent {
  addrs: EntityAddrVec;
  targetAddr: EntityAddr;
  gid: number;
  globalSeq: number;
  supportedFeatures: bigint;
  requiredFeatures: bigint;
  flags: bigint;
  cookie: bigint;
}
export function encodeClientIdent(c: ClientIdent): Buffer {
  const e = new Encoder(160);
  encodeAddrVec(e, c.addrs);
  encodeEntityAddr(e, c.targetAddr);
  e.s64(c.gid).u64(c.globalSeq).u64Big(c.supportedFeatures).u64Big(c.requiredFeatures).u64Big(c.flags).u64Big(c.cookie);
  return e.toBuffer();
}
export function decodeClientIdent(p: Buffer): ClientIdent {
  return decodeWith(Tag.CLIENT_IDENT, p, (d) => ({
    addrs: decodeAddrVec(d, 'addrs'),
    targetAddr: decodeEntityAddr(d, 'target addr'),
    gid: d.s64('gid'),
    globalSeq: d.u64('global seq'),
    supportedFeatures: d.u64Big('supported features'),
    requiredFeatures: d.u64Big('required features'),
    flags: d.u64Big('flags'),
    cookie: d.u64Big('cookie'),
  }));
}

export interface ServerIdent {
  addrs: EntityAddrVec;
  gid: number;
  globalSeq: number;
  supportedFeatures: bigint;
  requiredFeatures: bigint;
  flags: bigint;
  cookie: bigint;
}
export function encodeServerIdent(s: ServerIdent): Buffer {
  const e = new Encoder(160);
  encodeAddrVec(e, s.addrs);
  e.s64(s.gid).u64(s.globalSeq).u64Big(s.supportedFeatures).u64Big(s.requiredFeatures).u64Big(s.flags).u64Big(s.cookie);
  return e.toBuffer();
}
export function decodeServerIdent(p: Buffer): ServerIdent {
  return decodeWith(Tag.SERVER_IDENT, p, (d) => ({
    addrs: decodeAddrVec(d, 'addrs'),
    gid: d.s64('gid'),
    globalSeq: d.u64('global seq'),
    supportedFeatures: d.u64Big('supported features'),
    requiredFeatures: d.u64Big('required features'),
    flags: d.u64Big('flags'),
    cookie: d.u64Big('cookie'),
  }));
}

export interface Reconnect {
  addrs: EntityAddrVec;
  clientCookie: bigint;
  serverCookie: bigint;
  globalSeq: number;
  connectSeq: number;
  msgSeq: number;
}
export function encodeReconnect(r: Reconnect): Buffer {
  const e = new Encoder(160);
  encodeAddrVec(e, r.addrs);
  e.u64Big(r.clientCookie).u64Big(r.serverCookie).u64(r.globalSeq).u64(r.connectSeq).u64(r.msgSeq);
  return e.toBuffer();
}
export function decodeReconnect(p: Buffer): Reconnect {
  return decodeWith(Tag.SESSION_RECONNECT, p, (d) => ({
    addrs: decodeAddrVec(d, 'addrs'),
    clientCookie: d.u64Big('client cookie'),
    serverCookie: d.u64Big('server cookie'),
    globalSeq: d.u64('global seq'),
    connectSeq: d.u64('connect seq'),
    msgSeq: d.u64('msg seq'),
  }));
}

/** SESSION_RESET: bool full. */
export function encodeReset(full: boolean): Buffer {
  return Buffer.from([full ? 1 : 0]);
}
export function decodeReset(p: Buffer): boolean {
  return decodeWith(Tag.SESSION_RESET, p, (d) => d.bool('full'));
}

/** One u64 payload: SESSION_RETRY (connect_seq), SESSION_RETRY_GLOBAL (global_seq), SESSION_RECONNECT_OK (msg_seq), ACK (seq). */
export function encodeU64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(v % 0x1_0000_0000, 0);
  b.writeUInt32LE(Math.floor(v / 0x1_0000_0000), 4);
  return b;
}
export function decodeU64(tag: number, p: Buffer): number {
  return decodeWith(tag, p, (d) => d.u64('seq'));
}

/** IDENT_MISSING_FEATURES: the u64 mask of features the peer lacks. */
export function encodeFeatures(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v, 0);
  return b;
}
export function decodeFeatures(p: Buffer): bigint {
  return decodeWith(Tag.IDENT_MISSING_FEATURES, p, (d) => d.u64Big('features'));
}

/** WAIT has an empty payload. */
export const WAIT_PAYLOAD = Buffer.alloc(0);

/** KEEPALIVE2 / KEEPALIVE2_ACK: utime_t (u32 sec, u32 nsec). */
export interface UTimeStamp {
  sec: number;
  nsec: number;
}
export function encodeStamp(t: UTimeStamp): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(t.sec >>> 0, 0);
  b.writeUInt32LE(t.nsec >>> 0, 4);
  return b;
}
export function decodeStamp(tag: number, p: Buffer): UTimeStamp {
  return decodeWith(tag, p, (d) => ({ sec: d.u32('sec'), nsec: d.u32('nsec') }));
}
export function stampFromMs(ms: number): UTimeStamp {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.floor((ms - sec * 1000) * 1e6) };
}

export interface CompressionRequest {
  isCompress: boolean;
  preferredMethods: number[];
}
export function encodeCompressionRequest(c: CompressionRequest): Buffer {
  const e = new Encoder(32);
  e.bool(c.isCompress);
  encU32List(e, c.preferredMethods);
  return e.toBuffer();
}
export function decodeCompressionRequest(p: Buffer): CompressionRequest {
  return decodeWith(Tag.COMPRESSION_REQUEST, p, (d) => ({ isCompress: d.bool('is compress'), preferredMethods: u32List(d, 'methods') }));
}
export interface CompressionDone {
  isCompress: boolean;
  method: number;
}
export function encodeCompressionDone(c: CompressionDone): Buffer {
  return new Encoder(8).bool(c.isCompress).u32(c.method).toBuffer();
}
export function decodeCompressionDone(p: Buffer): CompressionDone {
  return decodeWith(Tag.COMPRESSION_DONE, p, (d) => ({ isCompress: d.bool('is compress'), method: d.u32('method') }));
}

// -------------------------------------------------------------------------------------------------
// MESSAGE frames

/** ceph_msg_header2 (41 bytes, packed), at `off` of `out` when given. */
export function encodeMsgHeader2(h: MsgHeader, out?: Buffer, off = 0): Buffer {
  const b = out ?? Buffer.allocUnsafe(MSG_HEADER2_BYTES);
  writeU64(b, off, h.seq);
  writeU64(b, off + 8, h.tid);
  putU16(b, off + 16, h.type);
  putU16(b, off + 18, h.priority);
  putU16(b, off + 20, h.version);
  putU32(b, off + 22, 0); // data_pre_padding_len
  putU16(b, off + 26, h.dataOff);
  writeU64(b, off + 28, h.ackSeq);
  b[off + 36] = h.flags & 0xff;
  putU16(b, off + 37, h.compatVersion);
  putU16(b, off + 39, 0); // reserved
  return b;
}

export function decodeMsgHeader2(b: Buffer, off = 0, len = b.length - off): MsgHeader {
  if (len !== MSG_HEADER2_BYTES) bad(`message header of ${len} bytes, expected ${MSG_HEADER2_BYTES}`);
  return {
    seq: readU64(b, off, 'seq'),
    tid: readU64(b, off + 8, 'tid'),
    type: getU16(b, off + 16),
    priority: getU16(b, off + 18),
    version: getU16(b, off + 20),
    dataOff: getU16(b, off + 26),
    ackSeq: readU64(b, off + 28, 'ack_seq'),
    flags: b[off + 36]!,
    compatVersion: getU16(b, off + 37),
  };
}

function writeU64(b: Buffer, off: number, v: number): void {
  assert(v >= 0 && v <= Number.MAX_SAFE_INTEGER && v === Math.floor(v), 'a u64 header field is a non-negative safe integer');
  if (v <= 0xffffffff) {
    putU32(b, off, v);
    putU32(b, off + 4, 0);
    return;
  }
  putU32(b, off, v % 0x1_0000_0000);
  putU32(b, off + 4, Math.floor(v / 0x1_0000_0000));
}

function readU64(b: Buffer, off: number, what: string): number {
  const lo = getU32(b, off);
  const hi = getU32(b, off + 4);
  if (hi > 0x1fffff) bad(`message header ${what} exceeds 2^53`);
  return hi * 0x1_0000_0000 + lo;
}

/** A MESSAGE frame's head: preamble, ceph_msg_header2 (segment 0) and its crc. */
export const MESSAGE_HEAD_BYTES = PREAMBLE_BYTES + MSG_HEADER2_BYTES + CRC_BYTES;

/** Segments a MESSAGE frame with these payload sizes has (trailing empty ones dropped, as assembleFrame does). */
export function messageSegmentCount(frontBytes: number, middleBytes: number, dataBytes: number): number {
  return dataBytes > 0 ? 4 : middleBytes > 0 ? 3 : frontBytes > 0 ? 2 : 1;
}

/**
 * Write a MESSAGE frame's head into b[off .. off + MESSAGE_HEAD_BYTES): the preamble for these payload
 * sizes (alignment hints 8, 8, 8, 4096), the header and the header's crc. The same bytes as
 * assembleFrame gives, with no allocation: the protocol writes it straight into its write area.
 */
export function writeMessageHead(b: Buffer, off: number, h: MsgHeader, frontBytes: number, middleBytes: number, dataBytes: number): void {
  const n = messageSegmentCount(frontBytes, middleBytes, dataBytes);
  // Every preamble byte is written (the area is not zeroed): a segment the frame does not have is
  // length 0, alignment 0.
  b[off] = Tag.MESSAGE;
  b[off + 1] = n;
  putU32(b, off + 2, MSG_HEADER2_BYTES);
  putU16(b, off + 6, SEGMENT_ALIGN_DEFAULT);
  putU32(b, off + 8, n > 1 ? frontBytes : 0);
  putU16(b, off + 12, n > 1 ? SEGMENT_ALIGN_DEFAULT : 0);
  putU32(b, off + 14, n > 2 ? middleBytes : 0);
  putU16(b, off + 18, n > 2 ? SEGMENT_ALIGN_DEFAULT : 0);
  putU32(b, off + 20, n > 3 ? dataBytes : 0);
  putU16(b, off + 24, n > 3 ? SEGMENT_ALIGN_PAGE : 0);
  b[off + 26] = 0; // flags
  b[off + 27] = 0; // reserved
  putU32(b, off + 28, preambleCrc(b, off));
  const ho = off + PREAMBLE_BYTES;
  encodeMsgHeader2(h, b, ho);
  putU32(b, ho + MSG_HEADER2_BYTES, cephCrc32c(0xffffffff, b, ho, ho + MSG_HEADER2_BYTES));
}

/**
 * Write a MESSAGE frame's rev1 epilogue (complete) into b[off .. off + EPILOGUE_REV1_BYTES) for a frame
 * of n segments (n > 1): the crcs of front, middle and data as far as the frame has them, zero after.
 */
export function writeMessageEpilogue(
  b: Buffer, off: number, n: number, front: readonly Buffer[], middle: readonly Buffer[], data: readonly Buffer[], memo?: SegmentCrcMemo,
): void {
  b[off] = LATE_STATUS_COMPLETE;
  putU32(b, off + 1, n > 1 ? segmentCrc(front) : 0);
  putU32(b, off + 5, n > 2 ? segmentCrc(middle) : 0);
  putU32(b, off + 9, n > 3 ? (memo ? memo.crc(data) : segmentCrc(data)) : 0);
}

/** A MESSAGE frame as a Buffer list: header, front, middle, data segments (payload buffers not copied). */
export function assembleMessageFrame(h: MsgHeader, front: readonly Buffer[], middle: readonly Buffer[], data: readonly Buffer[]): Buffer[] {
  let fl = 0;
  for (const b of front) fl += b.length;
  let ml = 0;
  for (const b of middle) ml += b.length;
  let dl = 0;
  for (const b of data) dl += b.length;
  const n = messageSegmentCount(fl, ml, dl);
  const head = Buffer.allocUnsafe(MESSAGE_HEAD_BYTES);
  writeMessageHead(head, 0, h, fl, ml, dl);
  const out: Buffer[] = [head];
  if (n > 1) {
    for (const b of front) if (b.length) out.push(b);
    if (n > 2) for (const b of middle) if (b.length) out.push(b);
    if (n > 3) for (const b of data) if (b.length) out.push(b);
    const epi = Buffer.allocUnsafe(EPILOGUE_REV1_BYTES);
    writeMessageEpilogue(epi, 0, n, front, middle, data);
    out.push(epi);
  }
  return out;
}

/** A received MESSAGE frame's parts: the RawMessage the protocol delivers as it is. */
export type MessageParts = RawMessage;

export function decodeMessageFrame(f: Frame): MessageParts {
  if (f.tag !== Tag.MESSAGE) bad(`expected MESSAGE, got ${tagName(f.tag)}`);
  const header = decodeMsgHeader2(flatten(f.segments[0]!));
  return { header, front: f.segments[1] ?? [], middle: f.segments[2] ?? [], data: f.segments[3] ?? [] };
}
