// Onodes (per-object metadata) and the other KV records BlockStore writes, with their codecs. Every
// record is a versioned struct followed by the crc32c of the struct's bytes; a record whose crc fails
// or whose struct does not parse is EIO naming what it belongs to, never a guess.

import { CephError, assert } from '../../../common/errors.js';
import { Decoder, Encoder, compareStringBytes } from '../../../common/encoding.js';
import { crc32c } from '../../../common/crc32c.js';
import { BLOCK_BYTES, ONODE_OVERHEAD_BYTES, SHARD_BLOCKS, SHARD_CACHE_BYTES } from './limits.js';

/**
 * The block map of SHARD_BLOCKS logical blocks of an object: for block i, the device block number
 * (byte offset / BLOCK_BYTES; 0 = a hole, since block 0 is the superblock) and the crc32c of its 4 KiB.
 */
export interface ExtentShard {
  readonly pblocks: Uint32Array;
  readonly crcs: Uint32Array;
}

/** A shard's two arrays as halves of one buffer: one allocation per shard (a copy per overwrite). */
function shardOver(words: Uint32Array): ExtentShard {
  return { pblocks: words.subarray(0, SHARD_BLOCKS), crcs: words.subarray(SHARD_BLOCKS, 2 * SHARD_BLOCKS) };
}

export function newShard(): ExtentShard {
  return shardOver(new Uint32Array(2 * SHARD_BLOCKS));
}

export function copyShard(s: ExtentShard): ExtentShard {
  const words = new Uint32Array(2 * SHARD_BLOCKS);
  words.set(s.pblocks);
  words.set(s.crcs, SHARD_BLOCKS);
  return shardOver(words);
}

export function shardEmpty(s: ExtentShard): boolean {
  for (let i = 0; i < SHARD_BLOCKS; i++) if (s.pblocks[i] !== 0) return false;
  return true;
}

/** An object's metadata. Instances in the cache are never changed in place: a transaction copies. */
export interface Onode {
  /** Node id: keys the extent shards and the omap, so renames do not move them. */
  readonly nid: number;
  size: number;
  attrs: Map<string, Buffer>;
  /** Extent shards by shard index (logical block >> SHARD_SHIFT). Absent = all holes. */
  shards: Map<number, ExtentShard>;
}

/** Estimated bytes an onode holds in memory, for the cache cap. */
export function onodeBytes(o: Onode): number {
  let n = ONODE_OVERHEAD_BYTES + o.shards.size * SHARD_CACHE_BYTES;
  for (const [k, v] of o.attrs) n += k.length * 2 + v.length + 48;
  return n;
}

/** Bytes of device space the object's blocks take. */
export function onodeAllocatedBytes(o: Onode): number {
  let n = 0;
  for (const s of o.shards.values()) for (let i = 0; i < SHARD_BLOCKS; i++) if (s.pblocks[i] !== 0) n += BLOCK_BYTES;
  return n;
}

const ONODE_V = 1;
const SHARD_V = 1;
const COLL_V = 1;
const DEFERRED_V = 1;

function sealed(e: Encoder): Buffer {
  const body = e.view();
  const out = Buffer.allocUnsafe(body.length + 4);
  body.copy(out);
  out.writeUInt32LE(crc32c(body), body.length);
  return out;
}

/** Check the trailing crc and run `decode` over the body; any failure is EIO naming `what`. */
function unsealed<T>(value: Buffer, what: string, decode: (d: Decoder) => T): T {
  if (value.length < 4) throw new CephError('EIO', `blockstore: ${what}: record of ${value.length} bytes is truncated`);
  const end = value.length - 4;
  if (value.readUInt32LE(end) !== crc32c(value.subarray(0, end))) {
    throw new CephError('EIO', `blockstore: ${what}: metadata record fails its crc32c`);
  }
  try {
    const d = new Decoder(value, what, 0, end);
    const out = decode(d);
    if (d.pos !== end) throw new CephError('EIO', `${end - d.pos} trailing bytes`);
    return out;
  } catch (err) {
    if (err instanceof CephError) throw new CephError('EIO', `blockstore: ${what}: malformed metadata record: ${err.message}`);
    throw err;
  }
}

const encoder = new Encoder(4096);

/** The onode record (without the extent map, which lives in shard records). */
export function encodeOnode(o: Onode): Buffer {
  const e = encoder.reset();
  e.startStruct(ONODE_V, 1);
  e.u64(o.nid);
  e.u64(o.size);
  e.map(o.attrs, (x, k) => x.string(k), (x, v) => x.bytes(v), compareStringBytes);
  e.finishStruct();
  return sealed(e);
}

/** Decode an onode record; its shards start empty (the caller loads them). */
export function decodeOnode(value: Buffer, what: string): Onode {
  return unsealed(value, what, (d) => {
    d.decodeStart(ONODE_V, 'onode');
    const nid = d.u64('nid');
    const size = d.u64('size');
    const attrs = d.map('attrs', 8, (x) => x.string('attr name'), (x) => Buffer.from(x.bytes('attr value')));
    d.decodeFinish('onode');
    return { nid, size, attrs, shards: new Map<number, ExtentShard>() };
  });
}

/** A shard as runs of device-contiguous blocks: (start:u16, n:u16, pblock:u32, n crcs). */
export function encodeShard(s: ExtentShard): Buffer {
  const e = encoder.reset();
  e.startStruct(SHARD_V, 1);
  const countAt = e.length;
  e.u32(0);
  let runs = 0;
  let i = 0;
  while (i < SHARD_BLOCKS) {
    if (s.pblocks[i] === 0) {
      i++;
      continue;
    }
    let n = 1;
    while (i + n < SHARD_BLOCKS && s.pblocks[i + n] === s.pblocks[i]! + n) n++;
    e.u16(i).u16(n).u32(s.pblocks[i]!);
    for (let j = 0; j < n; j++) e.u32(s.crcs[i + j]!);
    runs++;
    i += n;
  }
  e.patchU32(countAt, runs);
  e.finishStruct();
  return sealed(e);
}

export function decodeShard(value: Buffer, what: string): ExtentShard {
  return unsealed(value, what, (d) => {
    d.decodeStart(SHARD_V, 'extent shard');
    const s = newShard();
    const runs = d.count('runs', 8);
    for (let r = 0; r < runs; r++) {
      const start = d.u16('run start');
      const n = d.u16('run length');
      const pblock = d.u32('run block');
      if (n === 0 || start + n > SHARD_BLOCKS || pblock === 0 || pblock + n > 0xffffffff) d.malformed('extent run', `bad run ${start}+${n} at block ${pblock}`);
      for (let j = 0; j < n; j++) {
        if (s.pblocks[start + j] !== 0) d.malformed('extent run', 'runs overlap');
        s.pblocks[start + j] = pblock + j;
        s.crcs[start + j] = d.u32('block crc');
      }
    }
    d.decodeFinish('extent shard');
    return s;
  });
}

export interface CollectionRecord {
  readonly bits: number;
}

export function encodeCollection(c: CollectionRecord): Buffer {
  const e = encoder.reset();
  e.startStruct(COLL_V, 1);
  e.u32(c.bits);
  e.finishStruct();
  return sealed(e);
}

export function decodeCollection(value: Buffer, what: string): CollectionRecord {
  return unsealed(value, what, (d) => {
    d.decodeStart(COLL_V, 'collection');
    const bits = d.u32('bits');
    if (bits > 32) d.malformed('bits', `${bits} > 32`);
    d.decodeFinish('collection');
    return { bits };
  });
}

/** A journaled small write (an overwrite or new blocks): whole blocks to write in place once the record is durable. */
export interface DeferredBlock {
  readonly pblock: number;
  readonly data: Buffer;
}

/** Bytes before the first block of a deferred record: struct header (6) and block count (4). */
const DEFERRED_HEAD_BYTES = 10;

/** The data of block `i` of an encoded deferred record (a view of it). */
export function deferredRecordBlock(record: Buffer, i: number): Buffer {
  const at = DEFERRED_HEAD_BYTES + i * (BLOCK_BYTES + 4) + 4;
  return record.subarray(at, at + BLOCK_BYTES);
}

/** Bytes of the encoded deferred record of `blocks` blocks. */
export function deferredRecordBytes(blocks: number): number {
  return DEFERRED_HEAD_BYTES + 4 + blocks * (BLOCK_BYTES + 4);
}

/**
 * A deferred record: its own buffer of the exact size, or the start of `out` (a reused buffer of at
 * least deferredRecordBytes(blocks.length), recordpool.ts); crc included, returned as a view.
 */
export function encodeDeferred(blocks: readonly DeferredBlock[], out?: Buffer): Buffer {
  const bytes = deferredRecordBytes(blocks.length);
  assert(out === undefined || out.length >= bytes, `a deferred record of ${bytes} bytes fits the buffer given`);
  const e = new Encoder(out ?? bytes);
  e.startStruct(DEFERRED_V, 1);
  e.u32(blocks.length);
  for (const b of blocks) {
    e.u32(b.pblock);
    e.raw(b.data);
  }
  e.finishStruct();
  const end = e.length;
  e.u32(0);
  e.patchU32(end, crc32c(e.view().subarray(0, end)));
  return e.view();
}

export function decodeDeferred(value: Buffer, what: string): DeferredBlock[] {
  return unsealed(value, what, (d) => {
    d.decodeStart(DEFERRED_V, 'deferred record');
    const n = d.count('blocks', BLOCK_BYTES + 4);
    const out: DeferredBlock[] = [];
    for (let i = 0; i < n; i++) {
      const pblock = d.u32('block');
      out.push({ pblock, data: Buffer.from(d.raw(BLOCK_BYTES, 'block data')) });
    }
    d.decodeFinish('deferred record');
    return out;
  });
}

export function encodeNidMax(nid: number): Buffer {
  const e = encoder.reset();
  e.u64(nid);
  return sealed(e);
}

export function decodeNidMax(value: Buffer): number {
  return unsealed(value, 'node id reservation', (d) => d.u64('nid max'));
}
