// KV key encoding. One prefix byte per kind of record; within a kind, keys are built so that the KV's
// byte order is the order the store needs:
//
//   'C' cid                          a collection (its split bits)
//   'O' esc(cid) 00 objectKey        an onode; within a collection, byte order = compareObjects order
//   'X' nid:u64be shard:u32be        one extent-map shard of the object with node id `nid`
//   'M' nid:u64be 00                 the omap header of object `nid`
//   'M' nid:u64be 01 key             an omap entry (user key bytes as is: byte order = omap order)
//   'D' seq:u64be                    a deferred-write record not yet known to be written in place
//   'S' name                         store-wide values (the node id reservation)
//
// objectKey = shard+128:u8, pool:s64be with the sign bit flipped, reverseBits32(hash):u32be,
// esc(nspace) 00, esc(key || oid) 00, esc(oid) 00, snap:u64be, generation:u64be — the fields of
// compareObjects in its order, each encoded so that unsigned byte order is that field's order.
// esc() writes byte 00 as 01 01 and byte 01 as 01 02 and every other byte as is; a string then ends
// with a 00 that sorts before any continuation, so a prefix sorts first, as it does in compareObjects.
//
// Extent maps and omap are keyed by the node id, not by the name, so a rename, a move between
// collections or a PG split rewrites only the onode key.

import { CephError } from '../../../common/errors.js';
import { NO_GEN, SNAP_HEAD, reverseBits32, type CollectionId, type GHObject } from '../../objectstore/types.js';

export const PREFIX_COLLECTION = 0x43; // 'C'
export const PREFIX_DEFERRED = 0x44; // 'D'
export const PREFIX_OMAP = 0x4d; // 'M'
export const PREFIX_ONODE = 0x4f; // 'O'
export const PREFIX_STORE = 0x53; // 'S'
export const PREFIX_SHARD = 0x58; // 'X'

const TWO_POW_32 = 0x1_0000_0000;

/** A growable byte builder for keys (big-endian fields). */
class KeyBuilder {
  buf = Buffer.allocUnsafe(128);
  pos = 0;
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  /** A non-negative safe integer as u64 big-endian. */
  u64(v: number): void {
    this.u32(Math.floor(v / TWO_POW_32));
    this.u32(v % TWO_POW_32);
  }
  /** A signed safe integer as s64 big-endian with the sign bit flipped (so byte order = numeric order). */
  s64flip(v: number): void {
    const hi = Math.floor(v / TWO_POW_32);
    const lo = v - hi * TWO_POW_32;
    this.u32((hi ^ 0x80000000) >>> 0);
    this.u32(lo);
  }
  /** A snapid/generation as u64 big-endian: -1 and -2 are the top u64 values, as Ceph stores them. */
  u64snap(v: number): void {
    if (v < 0) {
      this.u32(0xffffffff);
      this.u32((TWO_POW_32 + v) >>> 0);
    } else this.u64(v);
  }
  /** UTF-8 bytes escaped (00 -> 01 01, 01 -> 01 02) and a 00 terminator. */
  escaped(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.reserve(2 * n + 1);
    const start = this.pos;
    this.buf.write(s, start, n, 'utf8');
    let low = false;
    for (let i = start; i < start + n; i++) if (this.buf[i]! < 2) low = true;
    if (!low) {
      this.pos += n;
    } else {
      const raw = Buffer.from(this.buf.subarray(start, start + n));
      let p = start;
      for (const b of raw) {
        if (b < 2) {
          this.buf[p++] = 1;
          this.buf[p++] = b + 1;
        } else this.buf[p++] = b;
      }
      this.pos = p;
    }
    this.buf[this.pos++] = 0;
  }
  /** UTF-8 bytes as is (no escape, no terminator). */
  utf8(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.reserve(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

// One builder serves every key: each key function fills it and take() copies the bytes out before it
// returns, so a key costs one allocation of its own size.
const shared = new KeyBuilder();

function builder(prefix: number): KeyBuilder {
  shared.pos = 0;
  shared.u8(prefix);
  return shared;
}

export function collectionKey(cid: CollectionId): Buffer {
  const k = builder(PREFIX_COLLECTION);
  k.utf8(cid);
  return k.take();
}

export const COLLECTIONS_START = Buffer.from([PREFIX_COLLECTION]);
export const COLLECTIONS_END = Buffer.from([PREFIX_COLLECTION + 1]);
export const ONODES_START = Buffer.from([PREFIX_ONODE]);
export const ONODES_END = Buffer.from([PREFIX_ONODE + 1]);
export const SHARDS_START = Buffer.from([PREFIX_SHARD]);
export const SHARDS_END = Buffer.from([PREFIX_SHARD + 1]);
export const OMAP_START = Buffer.from([PREFIX_OMAP]);
export const OMAP_END = Buffer.from([PREFIX_OMAP + 1]);
export const DEFERRED_START = Buffer.from([PREFIX_DEFERRED]);
export const DEFERRED_END = Buffer.from([PREFIX_DEFERRED + 1]);
export const NID_MAX_KEY = Buffer.from('Snid_max', 'latin1');

/** The least key after `k` (k then byte 00): where a KV listing resumes past k. */
export function keyAfter(k: Buffer): Buffer {
  const out = Buffer.allocUnsafe(k.length + 1);
  k.copy(out);
  out[k.length] = 0;
  return out;
}

export function collectionFromKey(key: Buffer): CollectionId {
  return key.toString('utf8', 1);
}

/** The first key of a collection's onodes. */
export function onodePrefix(cid: CollectionId): Buffer {
  const k = builder(PREFIX_ONODE);
  k.escaped(cid);
  return k.take();
}

/** The key just past every onode of a collection. */
export function onodePrefixEnd(cid: CollectionId): Buffer {
  const p = onodePrefix(cid);
  p[p.length - 1] = 1;
  return p;
}

export function onodeKey(cid: CollectionId, o: GHObject): Buffer {
  if (o.max) throw new CephError('EINVAL', 'blockstore: the max object cannot be stored');
  const k = builder(PREFIX_ONODE);
  k.escaped(cid);
  k.u8((o.shard + 128) & 0xff);
  k.s64flip(o.pool);
  k.u32(reverseBits32(o.hash));
  k.escaped(o.nspace);
  k.escaped(o.key || o.oid);
  k.escaped(o.oid);
  k.u64snap(o.snap);
  k.u64snap(o.generation);
  return k.take();
}

/** Read an escaped, 00-terminated string at `pos`; returns it and the position after the terminator. */
function readEscaped(key: Buffer, pos: number): [string, number] {
  const out: number[] = [];
  let i = pos;
  let plain = true;
  for (; i < key.length; i++) {
    const b = key[i]!;
    if (b === 0) break;
    if (b === 1) {
      plain = false;
      const n = key[++i];
      if (n !== 1 && n !== 2) throw new CephError('EIO', 'blockstore: malformed escape in an onode key');
      out.push(n - 1);
    } else out.push(b);
  }
  if (i >= key.length) throw new CephError('EIO', 'blockstore: unterminated string in an onode key');
  const s = plain ? key.toString('utf8', pos, i) : Buffer.from(out).toString('utf8');
  return [s, i + 1];
}

function readSnap(key: Buffer, pos: number): number {
  const hi = key.readUInt32BE(pos);
  const lo = key.readUInt32BE(pos + 4);
  if (hi === 0xffffffff && lo >= 0xfffffffe) return lo === 0xffffffff ? -1 : -2;
  if (hi > 0x1fffff) throw new CephError('EIO', 'blockstore: snap or generation in an onode key exceeds 2^53');
  return hi * TWO_POW_32 + lo;
}

/** The collection and object an onode key names. EIO on a malformed key. */
export function decodeOnodeKey(key: Buffer): { cid: CollectionId; oid: GHObject } {
  if (key[0] !== PREFIX_ONODE) throw new CephError('EIO', 'blockstore: not an onode key');
  let [cid, p] = readEscaped(key, 1);
  if (p + 13 > key.length) throw new CephError('EIO', 'blockstore: truncated onode key');
  const shard = key[p]! - 128;
  const hi = (key.readUInt32BE(p + 1) ^ 0x80000000) | 0;
  const pool = hi * TWO_POW_32 + key.readUInt32BE(p + 5);
  const hash = reverseBits32(key.readUInt32BE(p + 9));
  p += 13;
  let nspace: string;
  let keyOrOid: string;
  let oid: string;
  [nspace, p] = readEscaped(key, p);
  [keyOrOid, p] = readEscaped(key, p);
  [oid, p] = readEscaped(key, p);
  if (p + 16 !== key.length) throw new CephError('EIO', 'blockstore: onode key length is wrong');
  const snap = readSnap(key, p);
  const generation = readSnap(key, p + 8);
  return {
    cid,
    oid: { pool, nspace, oid, key: keyOrOid === oid ? '' : keyOrOid, hash, snap: snap === -2 ? SNAP_HEAD : snap, generation: generation === -1 ? NO_GEN : generation, shard },
  };
}

function nidKey(prefix: number, nid: number, extra: number): KeyBuilder {
  const k = builder(prefix);
  k.u64(nid);
  if (extra >= 0) k.u8(extra);
  return k;
}

export function shardKey(nid: number, shard: number): Buffer {
  const k = builder(PREFIX_SHARD);
  k.u64(nid);
  k.u32(shard);
  return k.take();
}

/** [start, end) of every extent shard of node `nid`. */
export function shardRange(nid: number): [Buffer, Buffer] {
  return [nidKey(PREFIX_SHARD, nid, -1).take(), nidKey(PREFIX_SHARD, nid + 1, -1).take()];
}

export function decodeShardKey(key: Buffer): { nid: number; shard: number } {
  if (key.length !== 13 || key[0] !== PREFIX_SHARD) throw new CephError('EIO', 'blockstore: malformed extent shard key');
  return { nid: key.readUInt32BE(1) * TWO_POW_32 + key.readUInt32BE(5), shard: key.readUInt32BE(9) };
}

export function omapHeaderKey(nid: number): Buffer {
  return nidKey(PREFIX_OMAP, nid, 0).take();
}

export function omapKey(nid: number, key: string): Buffer {
  const k = nidKey(PREFIX_OMAP, nid, 1);
  k.utf8(key);
  return k.take();
}

/** [start, end) of the omap entries (not the header) of node `nid`. */
export function omapEntriesRange(nid: number): [Buffer, Buffer] {
  return [nidKey(PREFIX_OMAP, nid, 1).take(), nidKey(PREFIX_OMAP, nid, 2).take()];
}

/** [start, end) of the header and every entry of node `nid`. */
export function omapRange(nid: number): [Buffer, Buffer] {
  return [nidKey(PREFIX_OMAP, nid, -1).take(), nidKey(PREFIX_OMAP, nid + 1, -1).take()];
}

/** Node id, and the user key (undefined for the header) of an omap key. */
export function decodeOmapKey(key: Buffer): { nid: number; key: string | undefined } {
  if (key.length < 10 || key[0] !== PREFIX_OMAP || key[9]! > 1) throw new CephError('EIO', 'blockstore: malformed omap key');
  const nid = key.readUInt32BE(1) * TWO_POW_32 + key.readUInt32BE(5);
  return { nid, key: key[9] === 0 ? undefined : key.toString('utf8', 10) };
}

/** The user-key prefix length of an omap key (bytes before the user key). */
export const OMAP_KEY_PREFIX_BYTES = 10;

export function deferredKey(seq: number): Buffer {
  const k = builder(PREFIX_DEFERRED);
  k.u64(seq);
  return k.take();
}

export function decodeDeferredKey(key: Buffer): number {
  if (key.length !== 9 || key[0] !== PREFIX_DEFERRED) throw new CephError('EIO', 'blockstore: malformed deferred key');
  return key.readUInt32BE(1) * TWO_POW_32 + key.readUInt32BE(5);
}
