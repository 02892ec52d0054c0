// The engine's on-disk encodings that are not journal records: B+tree nodes (one or more 4 KiB pages,
// crc32c each) and the two header blocks. Pure: bytes in, objects out, no I/O.
//
// Node page (all little-endian; the node spans `pages` contiguous 4 KiB pages, zero-padded):
//   0  u32 magic 'KVND'        4 u32 crc32c of bytes [8, pages * 4096)
//   8  u32 uuidTag             12 u32 slot (its own page index: catches misdirected writes)
//   16 u16 pages               18 u8 kind (1 leaf, 2 branch)   19 u8 version
//   20 u16 count               22 u16 reserved                 24 u32 usedBytes
//   28 u64 generation (the checkpoint that wrote it)           36 entries...
// Leaf entry:   u16 keyLen, key, u8 valueKind (0 inline: u32 len, bytes | 1 pages: u32 bytes, u32 crc32c
//               of the value, u16 runCount, runCount x (u32 slot, u32 pages))
// Branch:       u32 slot, u16 pages of child 0, then per key: u16 keyLen, key, u32 slot, u16 pages.

import { CephError, assert } from '../../errors.js';
import { cephCrc32c } from '../../crc32c.js';
import { Decoder, Encoder } from '../../encoding.js';
import { HEADER_BYTES, KEY_BYTES_MAX, NODE_PAGES_MAX, PAGE_BYTES, VALUE_BYTES_MAX, VALUE_INLINE_BYTES_MAX, VALUE_RUNS_MAX } from './limits.js';

export const NODE_MAGIC = 0x444e564b; // 'KVND'
export const NODE_VERSION = 1;
export const NODE_HEADER_BYTES = 36;
const KIND_LEAF = 1;
const KIND_BRANCH = 2;

/** Where a node or value lives: `pages` contiguous pages starting at page index `slot`. */
export class PageRef {
  constructor(
    readonly slot: number,
    readonly pages: number,
  ) {}
}

/**
 * A value stored outside its leaf: `bytes` bytes over one or more runs of pages (one when the page area
 * has a free run that long; up to VALUE_RUNS_MAX when it is fragmented), with the value's crc32c.
 */
export class ValueExtent {
  constructor(
    readonly runs: readonly PageRef[],
    readonly bytes: number,
    readonly crc: number,
  ) {}
}

/** A leaf value: the bytes themselves (inline, or a large value not yet checkpointed) or an extent. */
export type LeafValue = Buffer | ValueExtent;
export type ChildRef = PageRef | Node;

/**
 * A B+tree node in memory. Leaf: keys[i] holds vals[i]. Branch: kids.length === keys.length + 1 and
 * kids[i] holds the keys k with keys[i-1] <= k < keys[i]. A clean node (home set, dirty false) is an
 * immutable copy of its pages; a dirty node is private to the tree until a checkpoint writes it.
 */
export class Node {
  keys: Buffer[];
  vals: LeafValue[];
  kids: ChildRef[];
  home: PageRef | null = null;
  dirty = true;
  constructor(
    readonly leaf: boolean,
    keys: Buffer[] = [],
    vals: LeafValue[] = [],
    kids: ChildRef[] = [],
  ) {
    this.keys = keys;
    this.vals = vals;
    this.kids = kids;
  }
}

export function valueBytes(v: LeafValue): number {
  return v instanceof ValueExtent ? v.bytes : v.length;
}

/** Bytes a leaf entry takes encoded; a large Buffer value is counted as the extent it will become. */
export function leafEntryBytes(key: Buffer, v: LeafValue, inlineMax: number): number {
  if (v instanceof ValueExtent) return 2 + key.length + 1 + 10 + 8 * v.runs.length;
  return 2 + key.length + 1 + (v.length <= inlineMax ? 4 + v.length : 18);
}

export function branchKeyBytes(key: Buffer): number {
  return 2 + key.length + 6;
}

/** Encoded bytes of a node (header included). */
export function nodeBytes(n: Node, inlineMax: number): number {
  let b = NODE_HEADER_BYTES;
  if (n.leaf) for (let i = 0; i < n.keys.length; i++) b += leafEntryBytes(n.keys[i]!, n.vals[i]!, inlineMax);
  else {
    b += 6;
    for (const k of n.keys) b += branchKeyBytes(k);
  }
  return b;
}

export function pagesFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / PAGE_BYTES));
}

function refOf(c: ChildRef): PageRef {
  if (c instanceof PageRef) return c;
  assert(c.home && !c.dirty, 'encoding a branch over an unwritten child');
  return c.home;
}

/**
 * Encode a node for page `slot` (its home). Large Buffer values must have been replaced by extents
 * first (the checkpoint does that). Returns the zero-padded pages with the crc in place.
 */
export function encodeNode(n: Node, slot: number, uuidTag: number, generation: number, inlineMax: number, enc = new Encoder(PAGE_BYTES)): Buffer {
  enc.reset();
  enc.u32(NODE_MAGIC).u32(0).u32(uuidTag).u32(slot);
  const used = nodeBytes(n, inlineMax);
  const pages = pagesFor(used);
  assert(pages <= NODE_PAGES_MAX, `node of ${used} bytes over ${NODE_PAGES_MAX} pages`);
  enc.u16(pages).u8(n.leaf ? KIND_LEAF : KIND_BRANCH).u8(NODE_VERSION).u16(n.keys.length).u16(0).u32(used).u64(generation);
  if (n.leaf) {
    for (let i = 0; i < n.keys.length; i++) {
      const k = n.keys[i]!;
      const v = n.vals[i]!;
      enc.u16(k.length).raw(k);
      if (v instanceof ValueExtent) {
        enc.u8(1).u32(v.bytes).u32(v.crc).u16(v.runs.length);
        for (const r of v.runs) enc.u32(r.slot).u32(r.pages);
      }
      else {
        assert(v.length <= inlineMax, 'a large value left inline at encode');
        enc.u8(0).u32(v.length).raw(v);
      }
    }
  } else {
    const r0 = refOf(n.kids[0]!);
    enc.u32(r0.slot).u16(r0.pages);
    for (let i = 0; i < n.keys.length; i++) {
      const k = n.keys[i]!;
      const r = refOf(n.kids[i + 1]!);
      enc.u16(k.length).raw(k).u32(r.slot).u16(r.pages);
    }
  }
  assert(enc.length === used, `node encoded ${enc.length} bytes, expected ${used}`);
  const out = Buffer.alloc(pages * PAGE_BYTES);
  enc.view().copy(out);
  out.writeUInt32LE(cephCrc32c(0xffffffff, out, 8, out.length), 4);
  return out;
}

/** Decode and verify a node read from `ref`; `where` names it (device offset) in the EIO message; no page of the tree is newer than `generationMax`. */
export function decodeNode(buf: Buffer, ref: PageRef, uuidTag: number, where: string, generationMax: number): Node {
  const bad = (why: string): never => {
    throw new CephError('EIO', `kv: corrupt page at ${where} (page ${ref.slot}): ${why}`);
  };
  if (buf.length < ref.pages * PAGE_BYTES) bad('short read');
  if (buf.readUInt32LE(0) !== NODE_MAGIC) bad('bad magic');
  const used = buf.readUInt32LE(24);
  if (used < NODE_HEADER_BYTES || used > ref.pages * PAGE_BYTES) bad(`used bytes ${used} out of range`);
  if (cephCrc32c(0xffffffff, buf, 8, ref.pages * PAGE_BYTES) !== buf.readUInt32LE(4)) bad('crc32c mismatch');
  if (buf.readUInt32LE(8) !== uuidTag) bad('page belongs to another store (uuid tag)');
  if (buf.readUInt32LE(12) !== ref.slot) bad(`page claims slot ${buf.readUInt32LE(12)}`);
  if (buf.readUInt16LE(16) !== ref.pages) bad(`page claims ${buf.readUInt16LE(16)} pages, parent says ${ref.pages}`);
  const kind = buf[18]!;
  if (kind !== KIND_LEAF && kind !== KIND_BRANCH) bad(`unknown kind ${kind}`);
  if (buf[19] !== NODE_VERSION) bad(`unsupported node version ${buf[19]}`);
  // A page newer than the tree being read was written over a freed page by a later checkpoint.
  const generation = Number(buf.readBigUInt64LE(28));
  if (generation > generationMax) bad(`page of checkpoint ${generation} in a tree of checkpoint ${generationMax} or older`);
  const count = buf.readUInt16LE(20);
  const d = new Decoder(buf, 'kv page', NODE_HEADER_BYTES, used);
  const n = new Node(kind === KIND_LEAF);
  try {
    if (n.leaf) {
      for (let i = 0; i < count; i++) {
        const kl = d.u16('key length');
        if (kl > KEY_BYTES_MAX) bad(`key length ${kl}`);
        n.keys.push(d.raw(kl, 'key'));
        const vk = d.u8('value kind');
        if (vk === 0) n.vals.push(d.bytes('value'));
        else if (vk === 1) {
          const bytes = d.u32('bytes');
          const crc = d.u32('crc');
          const count = d.u16('runs');
          if (count < 1 || count > VALUE_RUNS_MAX) bad(`value in ${count} runs`);
          const runs: PageRef[] = [];
          let pages = 0;
          for (let r = 0; r < count; r++) {
            const run = new PageRef(d.u32('slot'), d.u32('pages'));
            pages += run.pages;
            runs.push(run);
          }
          if (bytes > VALUE_BYTES_MAX || bytes <= VALUE_INLINE_BYTES_MAX || pages !== pagesFor(bytes)) bad(`value of ${bytes} bytes in ${pages} pages`);
          n.vals.push(new ValueExtent(runs, bytes, crc));
        } else bad(`unknown value kind ${vk}`);
      }
    } else {
      n.kids.push(new PageRef(d.u32('slot'), d.u16('pages')));
      for (let i = 0; i < count; i++) {
        const kl = d.u16('key length');
        if (kl > KEY_BYTES_MAX) bad(`key length ${kl}`);
        n.keys.push(d.raw(kl, 'key'));
        n.kids.push(new PageRef(d.u32('slot'), d.u16('pages')));
      }
      for (const k of n.kids) if ((k as PageRef).pages < 1 || (k as PageRef).pages > NODE_PAGES_MAX) bad('child page count out of range');
    }
  } catch (e) {
    if (e instanceof CephError && e.message.startsWith('kv: corrupt page')) throw e;
    bad(`undecodable: ${(e as Error).message}`);
  }
  if (!d.atEnd()) bad('trailing bytes');
  n.home = ref;
  n.dirty = false;
  return n;
}

// ---- header blocks ----

/** The 16 bytes a KV region starts with. */
export const KV_MAGIC = Buffer.from('tsceph kv region', 'latin1');
/** The header format this code writes and reads. */
export const KV_FORMAT_VERSION = 1;

export interface KVHeader {
  readonly uuid: Buffer;
  /** Checkpoint count; the valid header with the larger one is current. Header slot = generation % 2. */
  readonly generation: number;
  readonly regionOffset: number;
  readonly regionLength: number;
  readonly journalBytes: number;
  readonly pageCount: number;
  /** Root node; null for an empty tree. */
  readonly root: PageRef | null;
  /** Every batch with seq <= checkpointSeq is in the tree. */
  readonly checkpointSeq: number;
  /** Journal position (logical byte offset) replay starts at. */
  readonly journalStartLsn: number;
  /** Keys in the tree. */
  readonly keys: number;
}

export function uuidTagOf(uuid: Buffer): number {
  return (uuid.readUInt32LE(0) ^ uuid.readUInt32LE(4) ^ uuid.readUInt32LE(8) ^ uuid.readUInt32LE(12)) >>> 0;
}

/**
 * A header block holds two copies of the header, one per half (each half: magic, versioned struct, zero
 * padding, crc32c of the half in its last 4 bytes), so one flipped bit never costs the newest header.
 */
export const HEADER_COPY_BYTES = HEADER_BYTES / 2;

export function encodeHeader(h: KVHeader): Buffer {
  const copy = encodeHeaderCopy(h);
  return Buffer.concat([copy, copy]);
}

function encodeHeaderCopy(h: KVHeader): Buffer {
  const enc = new Encoder(HEADER_COPY_BYTES);
  enc.raw(KV_MAGIC);
  enc.startStruct(KV_FORMAT_VERSION, KV_FORMAT_VERSION);
  enc.raw(h.uuid).u64(h.generation).u64(h.regionOffset).u64(h.regionLength).u64(h.journalBytes).u64(h.pageCount);
  enc.u32(h.root ? h.root.slot : 0).u16(h.root ? h.root.pages : 0);
  enc.u64(h.checkpointSeq).u64(h.journalStartLsn).u64(h.keys);
  enc.finishStruct();
  const out = Buffer.alloc(HEADER_COPY_BYTES);
  enc.view().copy(out);
  out.writeUInt32LE(cephCrc32c(0xffffffff, out, 0, HEADER_COPY_BYTES - 4), HEADER_COPY_BYTES - 4);
  return out;
}

/** What a header block holds: no magic (not ours), a version we cannot read, a bad crc, or a header. */
export type HeaderRead =
  | { readonly kind: 'foreign' }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'corrupt'; readonly why: string }
  | { readonly kind: 'ok'; readonly header: KVHeader };

/** The header block's first sound copy, else what is wrong with the first. */
export function decodeHeader(block: Buffer): HeaderRead {
  const a = decodeHeaderCopy(block.subarray(0, HEADER_COPY_BYTES));
  if (a.kind === 'ok') return a;
  const b = decodeHeaderCopy(block.subarray(HEADER_COPY_BYTES, HEADER_BYTES));
  if (b.kind === 'ok' || a.kind === 'foreign') return b;
  return a;
}

function decodeHeaderCopy(buf: Buffer): HeaderRead {
  if (buf.length < HEADER_COPY_BYTES || !buf.subarray(0, KV_MAGIC.length).equals(KV_MAGIC)) return { kind: 'foreign' };
  if (cephCrc32c(0xffffffff, buf, 0, HEADER_COPY_BYTES - 4) !== buf.readUInt32LE(HEADER_COPY_BYTES - 4)) {
    return { kind: 'corrupt', why: 'crc32c mismatch' };
  }
  const compat = buf[KV_MAGIC.length + 1]!;
  if (compat > KV_FORMAT_VERSION) return { kind: 'version', version: buf[KV_MAGIC.length]! };
  try {
    const d = new Decoder(buf, 'kv header', KV_MAGIC.length, HEADER_COPY_BYTES - 4);
    d.decodeStart(KV_FORMAT_VERSION, 'kv header');
    const uuid = Buffer.from(d.raw(16, 'uuid'));
    const generation = d.u64('generation');
    const regionOffset = d.u64('region offset');
    const regionLength = d.u64('region length');
    const journalBytes = d.u64('journal bytes');
    const pageCount = d.u64('page count');
    const rootSlot = d.u32('root slot');
    const rootPages = d.u16('root pages');
    const checkpointSeq = d.u64('checkpoint seq');
    const journalStartLsn = d.u64('journal start');
    const keys = d.u64('keys');
    d.decodeFinish('kv header');
    return {
      kind: 'ok',
      header: {
        uuid, generation, regionOffset, regionLength, journalBytes, pageCount,
        root: rootPages ? new PageRef(rootSlot, rootPages) : null,
        checkpointSeq, journalStartLsn, keys,
      },
    };
  } catch (e) {
    return { kind: 'corrupt', why: (e as Error).message };
  }
}
