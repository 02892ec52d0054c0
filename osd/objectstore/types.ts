// The ObjectStore contract: what the OSD asks of its local store. Names and semantics follow Ceph's
// src/os/ObjectStore.h and src/os/Transaction.h; every backend (MemStore, BlockStore) implements it and
// passes the same compliance suite (test/objectstore/compliance.ts).
//
// Pure: no I/O here. Backends are shells or cores built on these types.

import { compareStringBytes } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';
import type { PooledRead } from '../../common/bufpool.js';

// ---------------------------------------------------------------------------------------------------
// Object identity: Ceph's ghobject_t = hobject_t (pool, nspace, oid name, locator key, hash, snap) plus
// generation and shard.

/** snapid_t CEPH_NOSNAP (u64 0xffff_ffff_ffff_fffe): the head object. Stored as -2, encoded as u64. */
export const SNAP_HEAD = -2;
/** snapid_t CEPH_SNAPDIR (u64 0xffff_ffff_ffff_ffff). Stored as -1, encoded as u64. */
export const SNAP_DIR = -1;
/** ghobject_t NO_GEN (u64 max). Stored as -1. */
export const NO_GEN = -1;
/** shard_id_t NO_SHARD (int8 -1): a replicated pool's object. */
export const NO_SHARD = -1;

export interface GHObject {
  /** int64 pool id; -1 is the OSD's meta pool, -2-pool the temp pool of `pool`. */
  readonly pool: number;
  readonly nspace: string;
  /** The object name (object_t). */
  readonly oid: string;
  /** The locator key; '' when the name is the key. */
  readonly key: string;
  /** u32 placement hash (rjenkins of key-or-name as the pool says). */
  readonly hash: number;
  /** snapid_t: a snapshot id >= 0, SNAP_HEAD or SNAP_DIR. */
  readonly snap: number;
  /** generation; NO_GEN unless an EC rollback copy. */
  readonly generation: number;
  /** shard; NO_SHARD for replicated pools. */
  readonly shard: number;
  /** hobject_t::max: sorts after every other object (a listing's end cursor). */
  readonly max?: boolean;
}

/** A head object with default generation and shard. */
export function makeObject(pool: number, oid: string, hash: number, fields: Partial<GHObject> = {}): GHObject {
  return {
    pool,
    nspace: '',
    oid,
    key: '',
    hash: hash >>> 0,
    snap: SNAP_HEAD,
    generation: NO_GEN,
    shard: NO_SHARD,
    ...fields,
  };
}

/** The greatest ghobject: an end cursor. */
export const OBJECT_MAX: GHObject = Object.freeze({
  pool: 0, nspace: '', oid: '', key: '', hash: 0, snap: SNAP_HEAD, generation: NO_GEN, shard: NO_SHARD, max: true,
});

/** The 32 hash bits reversed: Ceph's bitwise sort key (hobject_t::get_bitwise_key_u32). */
export function reverseBits32(v: number): number {
  v >>>= 0;
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

/** u64 order of a snapid or generation held as a JS number (-1/-2 are the top u64 values). */
function u64Order(v: number): number {
  return v < 0 ? Number.MAX_SAFE_INTEGER + 3 + v : v;
}

/**
 * Ceph's ghobject_t order (bitwise sort): max last, then shard, pool, reversed hash, nspace, key (or
 * name where there is no key), name, snap, generation. Listings and cursors use this order.
 */
export function compareObjects(a: GHObject, b: GHObject): number {
  if (a.max || b.max) return a.max && b.max ? 0 : a.max ? 1 : -1;
  if (a.shard !== b.shard) return a.shard < b.shard ? -1 : 1;
  if (a.pool !== b.pool) return a.pool < b.pool ? -1 : 1;
  const ha = reverseBits32(a.hash);
  const hb = reverseBits32(b.hash);
  if (ha !== hb) return ha < hb ? -1 : 1;
  let c = compareStringBytes(a.nspace, b.nspace);
  if (c) return c;
  c = compareStringBytes(a.key || a.oid, b.key || b.oid);
  if (c) return c;
  c = compareStringBytes(a.oid, b.oid);
  if (c) return c;
  const sa = u64Order(a.snap);
  const sb = u64Order(b.snap);
  if (sa !== sb) return sa < sb ? -1 : 1;
  const ga = u64Order(a.generation);
  const gb = u64Order(b.generation);
  if (ga !== gb) return ga < gb ? -1 : 1;
  return 0;
}

export function objectsEqual(a: GHObject, b: GHObject): boolean {
  return compareObjects(a, b) === 0;
}

/** A readable name for logs and errors: pool:hash:nspace:key:oid:snap[:gen:shard]. */
export function objectText(o: GHObject): string {
  if (o.max) return 'MAX';
  const snap = o.snap === SNAP_HEAD ? 'head' : o.snap === SNAP_DIR ? 'snapdir' : String(o.snap);
  const hash = (o.hash >>> 0).toString(16).toUpperCase().padStart(8, '0');
  let s = `#${o.pool}:${hash}:${o.nspace}:${o.key}:${o.oid}:${snap}`;
  if (o.generation !== NO_GEN || o.shard !== NO_SHARD) s += `:${o.generation === NO_GEN ? 'none' : o.generation}:${o.shard}`;
  return s + '#';
}

// ---------------------------------------------------------------------------------------------------
// Collections: Ceph's coll_t, written as coll_t::to_str() writes it: "meta", "1.2a_head",
// "1.2as0_head" (an EC shard), "1.2a_TEMP".

export type CollectionId = string;

export const META_COLLECTION: CollectionId = 'meta';

export interface ParsedCollection {
  readonly kind: 'meta' | 'pg' | 'temp';
  readonly pool: number;
  /** The pg's placement seed. */
  readonly seed: number;
  readonly shard: number;
}

const COLL_RE = /^(\d+)\.([0-9a-f]+)(?:s(\d+))?_(head|TEMP)$/;

/** Parse a collection name; undefined when it is not one of Ceph's forms. */
export function parseCollection(cid: string): ParsedCollection | undefined {
  if (cid === META_COLLECTION) return { kind: 'meta', pool: -1, seed: 0, shard: NO_SHARD };
  const m = COLL_RE.exec(cid);
  if (!m) return undefined;
  const pool = Number(m[1]);
  const seed = parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(pool) || seed > 0xffffffff) return undefined;
  const shard = m[3] === undefined ? NO_SHARD : Number(m[3]);
  if (shard > 127) return undefined;
  return { kind: m[4] === 'head' ? 'pg' : 'temp', pool, seed, shard };
}

export function pgCollection(pool: number, seed: number, shard = NO_SHARD): CollectionId {
  return `${pool}.${(seed >>> 0).toString(16)}${shard === NO_SHARD ? '' : `s${shard}`}_head`;
}

export function isValidCollection(cid: string): boolean {
  return parseCollection(cid) !== undefined;
}

// ---------------------------------------------------------------------------------------------------
// Transactions: an ordered list of ops applied all-or-nothing.

export type TxOp =
  | { readonly op: 'touch'; readonly cid: CollectionId; readonly oid: GHObject }
  | { readonly op: 'write'; readonly cid: CollectionId; readonly oid: GHObject; readonly offset: number; readonly length: number; readonly data: readonly Buffer[] }
  | { readonly op: 'zero'; readonly cid: CollectionId; readonly oid: GHObject; readonly offset: number; readonly length: number }
  | { readonly op: 'truncate'; readonly cid: CollectionId; readonly oid: GHObject; readonly size: number }
  | { readonly op: 'remove'; readonly cid: CollectionId; readonly oid: GHObject }
  | { readonly op: 'setattrs'; readonly cid: CollectionId; readonly oid: GHObject; readonly attrs: ReadonlyMap<string, Buffer> }
  | { readonly op: 'rmattr'; readonly cid: CollectionId; readonly oid: GHObject; readonly name: string }
  | { readonly op: 'rmattrs'; readonly cid: CollectionId; readonly oid: GHObject }
  | { readonly op: 'clone'; readonly cid: CollectionId; readonly oid: GHObject; readonly dest: GHObject }
  | { readonly op: 'cloneRange'; readonly cid: CollectionId; readonly oid: GHObject; readonly dest: GHObject; readonly srcOffset: number; readonly length: number; readonly destOffset: number }
  | { readonly op: 'omapClear'; readonly cid: CollectionId; readonly oid: GHObject }
  | { readonly op: 'omapSetKeys'; readonly cid: CollectionId; readonly oid: GHObject; readonly entries: ReadonlyMap<string, Buffer> }
  | { readonly op: 'omapRmKeys'; readonly cid: CollectionId; readonly oid: GHObject; readonly keys: readonly string[] }
  | { readonly op: 'omapRmKeyRange'; readonly cid: CollectionId; readonly oid: GHObject; readonly first: string; readonly last: string }
  | { readonly op: 'omapSetHeader'; readonly cid: CollectionId; readonly oid: GHObject; readonly header: Buffer }
  | { readonly op: 'mkcoll'; readonly cid: CollectionId; readonly bits: number }
  | { readonly op: 'rmcoll'; readonly cid: CollectionId }
  | { readonly op: 'collMoveRename'; readonly cid: CollectionId; readonly oid: GHObject; readonly destCid: CollectionId; readonly dest: GHObject }
  | { readonly op: 'splitCollection'; readonly cid: CollectionId; readonly bits: number; readonly rem: number; readonly destCid: CollectionId }
  | { readonly op: 'collSetBits'; readonly cid: CollectionId; readonly bits: number };

export type TxOpName = TxOp['op'];

/**
 * A builder for a transaction, method names after Ceph's Transaction. Data buffers are kept by
 * reference (not copied): the caller must not change them until the transaction commits.
 */
export class Transaction {
  readonly ops: TxOp[] = [];
  /** Bytes of data carried by write ops, for limits. */
  dataBytes = 0;

  get empty(): boolean {
    return this.ops.length === 0;
  }

  touch(cid: CollectionId, oid: GHObject): this {
    this.ops.push({ op: 'touch', cid, oid });
    return this;
  }
  /** Write `data` at `offset`, creating the object if needed and extending its size. */
  write(cid: CollectionId, oid: GHObject, offset: number, data: Buffer | readonly Buffer[]): this {
    const list = Buffer.isBuffer(data) ? [data] : data;
    let length = 0;
    for (const b of list) length += b.length;
    this.ops.push({ op: 'write', cid, oid, offset, length, data: list });
    this.dataBytes += length;
    return this;
  }
  /** Make [offset, offset+length) read as zeros, extending the size if it ends past it. */
  zero(cid: CollectionId, oid: GHObject, offset: number, length: number): this {
    this.ops.push({ op: 'zero', cid, oid, offset, length });
    return this;
  }
  truncate(cid: CollectionId, oid: GHObject, size: number): this {
    this.ops.push({ op: 'truncate', cid, oid, size });
    return this;
  }
  remove(cid: CollectionId, oid: GHObject): this {
    this.ops.push({ op: 'remove', cid, oid });
    return this;
  }
  setattr(cid: CollectionId, oid: GHObject, name: string, value: Buffer): this {
    return this.setattrs(cid, oid, new Map([[name, value]]));
  }
  setattrs(cid: CollectionId, oid: GHObject, attrs: ReadonlyMap<string, Buffer>): this {
    this.ops.push({ op: 'setattrs', cid, oid, attrs });
    return this;
  }
  rmattr(cid: CollectionId, oid: GHObject, name: string): this {
    this.ops.push({ op: 'rmattr', cid, oid, name });
    return this;
  }
  rmattrs(cid: CollectionId, oid: GHObject): this {
    this.ops.push({ op: 'rmattrs', cid, oid });
    return this;
  }
  /** Copy object `oid` whole (data, attrs, omap header and keys) to `dest`, replacing dest. */
  clone(cid: CollectionId, oid: GHObject, dest: GHObject): this {
    this.ops.push({ op: 'clone', cid, oid, dest });
    return this;
  }
  /** Copy a byte range of `oid` into `dest` at destOffset (Ceph's OP_CLONERANGE2). */
  cloneRange(cid: CollectionId, oid: GHObject, dest: GHObject, srcOffset: number, length: number, destOffset: number): this {
    this.ops.push({ op: 'cloneRange', cid, oid, dest, srcOffset, length, destOffset });
    return this;
  }
  omapClear(cid: CollectionId, oid: GHObject): this {
    this.ops.push({ op: 'omapClear', cid, oid });
    return this;
  }
  omapSetKeys(cid: CollectionId, oid: GHObject, entries: ReadonlyMap<string, Buffer>): this {
    this.ops.push({ op: 'omapSetKeys', cid, oid, entries });
    return this;
  }
  omapRmKeys(cid: CollectionId, oid: GHObject, keys: readonly string[]): this {
    this.ops.push({ op: 'omapRmKeys', cid, oid, keys });
    return this;
  }
  /** Remove keys k with first <= k < last (byte order). */
  omapRmKeyRange(cid: CollectionId, oid: GHObject, first: string, last: string): this {
    this.ops.push({ op: 'omapRmKeyRange', cid, oid, first, last });
    return this;
  }
  omapSetHeader(cid: CollectionId, oid: GHObject, header: Buffer): this {
    this.ops.push({ op: 'omapSetHeader', cid, oid, header });
    return this;
  }
  /** Create a collection; `bits` is the pg's split bits (objects match seed in their low `bits` hash bits). */
  createCollection(cid: CollectionId, bits: number): this {
    this.ops.push({ op: 'mkcoll', cid, bits });
    return this;
  }
  /** Remove an empty collection (ENOTEMPTY otherwise). */
  removeCollection(cid: CollectionId): this {
    this.ops.push({ op: 'rmcoll', cid });
    return this;
  }
  /** Move object `oid` of `cid` to `destCid` under the name `dest`, replacing any object there. */
  collectionMoveRename(cid: CollectionId, oid: GHObject, destCid: CollectionId, dest: GHObject): this {
    this.ops.push({ op: 'collMoveRename', cid, oid, destCid, dest });
    return this;
  }
  /**
   * PG split: every object of `cid` whose hash has low `bits` bits equal to `rem` moves to `destCid`
   * (which must exist); both collections then have `bits` split bits.
   */
  splitCollection(cid: CollectionId, bits: number, rem: number, destCid: CollectionId): this {
    this.ops.push({ op: 'splitCollection', cid, bits, rem, destCid });
    return this;
  }
  collectionSetBits(cid: CollectionId, bits: number): this {
    this.ops.push({ op: 'collSetBits', cid, bits });
    return this;
  }
}

// ---------------------------------------------------------------------------------------------------
// Semantics every backend keeps (the compliance suite checks each):
//
//  - A transaction is all-or-nothing. Before applying anything the store checks every op against the
//    state the earlier ops of the same transaction leave; the first op that cannot apply rejects the
//    whole transaction with a CephError and nothing of it is applied:
//      ENOENT  the collection does not exist (any op), or the object does not exist for clone,
//              cloneRange (source), collMoveRename (source), or a read;
//      EEXIST  mkcoll of an existing collection;
//      ENOTEMPTY rmcoll of a collection with objects;
//      EINVAL  a malformed op (negative or non-integer offset/length, bad collection name, bits out
//              of 0..32, offset+length past OBJECT_SIZE_MAX);
//      E2BIG   over a transaction limit (TX_OPS_MAX, TX_DATA_BYTES_MAX);
//      ENOSPC  the device is full (BlockStore).
//    As in Ceph's BlueStore, ENOENT is tolerated (the op does nothing) for remove, truncate, zero,
//    rmattr(s), omapClear, omapRmKeys, omapRmKeyRange on a missing object; rmattr of a missing name
//    does nothing. setattrs, omapSetKeys, omapSetHeader, write, zero (past end) and touch create a
//    missing object.
//  - The promise of queueTransaction resolves once the transaction is durable (survives a crash);
//    reads issued after it resolved see it whole. Transactions touching one collection apply in the
//    order they were queued.
//  - Object data reads: read(offset, length) returns the bytes in [offset, min(offset+length, size));
//    length 0 means "to the end" (Ceph's read with len 0). Holes read as zeros.
//  - A checksum mismatch on a read is EIO naming the object; never wrong data.

/** Largest object size the stores accept (BlueStore's default bluestore_max_object_size is 4 GiB). */
export const OBJECT_SIZE_MAX = 4 * 1024 * 1024 * 1024;
/** Ops in one transaction. */
export const TX_OPS_MAX = 65536;
/** Data bytes carried by one transaction. */
export const TX_DATA_BYTES_MAX = 256 * 1024 * 1024;
/** Longest attr name, omap key and object name accepted. */
export const NAME_BYTES_MAX = 4096;
/** Most entries one omap or listing page returns. */
export const PAGE_ENTRIES_MAX = 100000;

export interface ObjectStat {
  readonly size: number;
  /** Bytes of device space the object's data occupies (MemStore: its size). */
  readonly allocated: number;
}

export interface StoreStatfs {
  /** Device bytes for data. */
  readonly total: number;
  readonly available: number;
  /** Bytes allocated to object data. */
  readonly allocated: number;
  /** Bytes of object data stored (logical). */
  readonly stored: number;
  /** Bytes used by metadata (KV engine pages and journal). */
  readonly metadata: number;
}

export interface StoreMemory {
  /** Bytes held by metadata caches (onodes, KV pages). */
  readonly cacheBytes: number;
  /** The configured cap on cacheBytes. */
  readonly cacheBytesMax: number;
  /** Objects (onodes) held in the cache. */
  readonly cachedObjects: number;
  /** cacheBytes / cachedObjects, 0 when empty. */
  readonly bytesPerObject: number;
}

export interface FsckProblem {
  /** 'checksum', 'allocation', 'orphan', 'leak', 'overlap', 'metadata', ... */
  readonly kind: string;
  readonly message: string;
  /** Repair can fix it safely. */
  readonly repairable: boolean;
}

export interface FsckReport {
  readonly errors: number;
  readonly repaired: number;
  readonly problems: readonly FsckProblem[];
  readonly objects: number;
  readonly collections: number;
}

export interface ListResult {
  /** Objects in compareObjects order. */
  readonly objects: GHObject[];
  /** The cursor to pass as `start` for the next page, or undefined when the listing is complete. */
  readonly next: GHObject | undefined;
}

export interface OmapPage {
  readonly entries: [string, Buffer][];
  /** True when more keys follow the last one returned. */
  readonly more: boolean;
}

export interface ObjectStore {
  /** 'memstore' or 'blockstore'. */
  readonly type: string;
  /** Make an empty store (destroys what the device held). */
  mkfs(): Promise<void>;
  /** Open the store (BlockStore: replay the journal). */
  mount(): Promise<void>;
  /** Flush everything and close. */
  umount(): Promise<void>;
  /** Check the store; with repair, fix what is safe to fix. Needs a mounted store. */
  fsck(repair?: boolean): Promise<FsckReport>;

  /** Apply a transaction; resolves once it is durable, rejects (nothing applied) with a CephError. */
  queueTransaction(t: Transaction): Promise<void>;

  listCollections(): Promise<CollectionId[]>;
  collectionExists(cid: CollectionId): Promise<boolean>;
  /** The collection's split bits (ENOENT if missing). */
  collectionBits(cid: CollectionId): Promise<number>;
  /** True when the collection has no objects (ENOENT if missing). */
  collectionEmpty(cid: CollectionId): Promise<boolean>;
  /**
   * Objects of a collection in compareObjects order, from `start` (inclusive; undefined = the first)
   * up to `end` (exclusive; undefined = no end), at most `max`.
   */
  listObjects(cid: CollectionId, start: GHObject | undefined, end: GHObject | undefined, max: number): Promise<ListResult>;

  exists(cid: CollectionId, oid: GHObject): Promise<boolean>;
  /** ENOENT when the object (or collection) does not exist. */
  stat(cid: CollectionId, oid: GHObject): Promise<ObjectStat>;
  read(cid: CollectionId, oid: GHObject, offset: number, length: number): Promise<Buffer>;
  /**
   * Optional: `read` whose result may land in one of the store's pooled Buffers, for bytes that only
   * go out in a message; the caller releases it once written (common/bufpool.ts). BlockStore has it.
   */
  readPooled?(cid: CollectionId, oid: GHObject, offset: number, length: number): Promise<PooledRead>;
  /** ENODATA when the attr is missing. */
  getattr(cid: CollectionId, oid: GHObject, name: string): Promise<Buffer>;
  getattrs(cid: CollectionId, oid: GHObject): Promise<Map<string, Buffer>>;
  /** Empty buffer when no header is set. */
  omapGetHeader(cid: CollectionId, oid: GHObject): Promise<Buffer>;
  /** The values of the keys that exist, in key order. */
  omapGetValues(cid: CollectionId, oid: GHObject, keys: readonly string[]): Promise<Map<string, Buffer>>;
  /** Keys in byte order strictly after `after` (undefined = from the first), at most `max`. */
  omapIterate(cid: CollectionId, oid: GHObject, after: string | undefined, max: number): Promise<OmapPage>;

  statfs(): Promise<StoreStatfs>;
  memory(): StoreMemory;
}

/** Throw Ceph's errno as a CephError at the store's edge. */
export function storeError(code: ConstructorParameters<typeof CephError>[0], message: string): CephError {
  return new CephError(code, message);
}
