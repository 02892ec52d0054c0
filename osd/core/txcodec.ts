// Our ObjectStore Transaction in Ceph 16's ObjectStore::Transaction encoding (src/os/Transaction.h,
// v9 compat 9), the bytes a primary puts in MOSDRepOp's data segment and a replica applies:
//
//   struct header (9, 9)
//   data_bl      bufferlist: each op's variable arguments in op order (attr names and values, write
//                data, omap maps and key sets, ...), Ceph-encoded
//   op_bl        bufferlist: one 72-byte packed Op per op (op code, collection and object indexes,
//                off, len, dest_cid, dest_oid, dest_off, hint, expected sizes, split bits and rem)
//   coll_index   map<coll_t, u32>: every collection the ops name, to its index (assigned in first-use
//                order; the map is sorted by coll_t's order)
//   object_index map<ghobject_t, u32>: likewise for objects (sorted by ghobject_t's order)
//   TransactionData (24 raw bytes): op count, largest write's length / offset / offset of its data
//                in data_bl, fadvise flags
//
// CephTransaction keeps every op Ceph 16 emits (create, set-alloc-hint, setattr, try-rename, coll
// hints, merges: kinds our Transaction has no op for) so a real OSD's transaction decodes and
// re-encodes to the same bytes; fromCephTransaction / toCephTransaction convert to and from ours.

import { Decoder, Encoder, compareStringBytes, getU32, putU32, putU64 } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';
import { CEPH_NOSNAP } from '../../msg/messages/osdop.js';
import {
  NO_GEN, NO_SHARD, TX_OPS_MAX, Transaction, compareObjects, parseCollection,
  type CollectionId, type GHObject, type TxOp,
} from '../objectstore/types.js';
import { snapFromWire, snapToWire } from './hobject.js';

/** ObjectStore::Transaction op codes (src/os/Transaction.h). */
export const CephTxOpCode = {
  NOP: 0,
  CREATE: 7,
  TOUCH: 9,
  WRITE: 10,
  ZERO: 11,
  TRUNCATE: 12,
  REMOVE: 13,
  SETATTR: 14,
  SETATTRS: 15,
  RMATTR: 16,
  CLONE: 17,
  MKCOLL: 20,
  RMCOLL: 21,
  RMATTRS: 28,
  CLONERANGE2: 30,
  OMAP_CLEAR: 31,
  OMAP_SETKEYS: 32,
  OMAP_RMKEYS: 33,
  OMAP_SETHEADER: 34,
  SPLIT_COLLECTION2: 36,
  OMAP_RMKEYRANGE: 37,
  COLL_MOVE_RENAME: 38,
  SETALLOCHINT: 39,
  COLL_HINT: 40,
  TRY_RENAME: 41,
  COLL_SET_BITS: 42,
  MERGE_COLLECTION: 43,
} as const;

/** Bytes of one packed Op in op_bl. */
export const TX_OP_BYTES = 72;
const TX_STRUCT_V = 9;
/**
 * Write data at least this large travel by reference: encodeTransactionParts shares them instead of
 * copying, and decodeTransactionSegments keeps the largest as views of the received segments.
 */
export const txShareBytesMin = 64 * 1024;
/** The header before data_bl's bytes: struct_v, compat, struct length, data_bl's length. */
const TX_HEAD_BYTES = 10;
/** TransactionData: the last bytes of a v9 transaction. */
const TX_DATA_BYTES = 24;

/** The ops Ceph has and our Transaction does not. */
export type CephOnlyTxOp =
  | { readonly op: 'nop' }
  | { readonly op: 'create'; readonly cid: CollectionId; readonly oid: GHObject }
  | { readonly op: 'setattr'; readonly cid: CollectionId; readonly oid: GHObject; readonly name: string; readonly value: Buffer }
  | { readonly op: 'setAllocHint'; readonly cid: CollectionId; readonly oid: GHObject; readonly expectedObjectSize: number; readonly expectedWriteSize: number; readonly flags: number }
  | { readonly op: 'tryRename'; readonly cid: CollectionId; readonly oid: GHObject; readonly dest: GHObject }
  | { readonly op: 'collHint'; readonly cid: CollectionId; readonly type: number; readonly hint: Buffer }
  | { readonly op: 'mergeCollection'; readonly cid: CollectionId; readonly destCid: CollectionId; readonly bits: number };

export type CephTxOp = TxOp | CephOnlyTxOp;

export interface CephTransaction {
  ops: readonly CephTxOp[];
  /** TransactionData.fadvise_flags (CEPH_OSD_OP_FLAG_FADVISE_* of the writes). */
  fadviseFlags: number;
}

// ---- coll_t ---------------------------------------------------------------------------------------

const COLL_TYPE_META = 0;
const COLL_TYPE_PG = 2;
const COLL_TYPE_PG_TEMP = 3;

interface CollKey {
  readonly type: number;
  readonly pool: number;
  readonly seed: number;
  readonly shard: number;
}

/** Parsed collection names kept (an OSD names a few hundred at most; past this the cache starts over). */
const collKeysCachedMax = 4096;
const collKeys = new Map<CollectionId, CollKey>();

/** The collection's coll_t fields (parsed once per name: every replicated write names its PG's). */
function collKey(cid: CollectionId): CollKey {
  const known = collKeys.get(cid);
  if (known !== undefined) return known;
  const p = parseCollection(cid);
  if (!p) throw new CephError('EINVAL', `coll_t: '${cid}' is not a collection name`);
  const type = p.kind === 'meta' ? COLL_TYPE_META : p.kind === 'pg' ? COLL_TYPE_PG : COLL_TYPE_PG_TEMP;
  const k: CollKey = { type, pool: p.kind === 'meta' ? 0 : p.pool, seed: p.seed, shard: p.shard };
  if (collKeys.size >= collKeysCachedMax) collKeys.clear();
  collKeys.set(cid, k);
  return k;
}

/** coll_t's operator<: type, then spg_t (pool, seed, shard). */
function compareColls(a: CollectionId, b: CollectionId): number {
  const x = collKey(a);
  const y = collKey(b);
  if (x.type !== y.type) return x.type < y.type ? -1 : 1;
  if (x.pool !== y.pool) return x.pool < y.pool ? -1 : 1;
  if (x.seed !== y.seed) return x.seed < y.seed ? -1 : 1;
  if (x.shard !== y.shard) return x.shard < y.shard ? -1 : 1;
  return 0;
}

function encodeSpg(e: Encoder, pool: number, seed: number, shard: number): void {
  e.startStruct(1, 1);
  e.u8(1).s64(pool).u32(seed).s32(-1); // pg_t v1: pool, seed, the retired preferred
  e.u8(shard & 0xff);
  e.finishStruct();
}

export function encodeColl(e: Encoder, cid: CollectionId): void {
  const k = collKey(cid);
  if (k.type === COLL_TYPE_PG_TEMP) {
    e.u8(3).string(cid); // a temp collection has no v2 form: Ceph writes its name
    return;
  }
  e.u8(2).u8(k.type);
  encodeSpg(e, k.pool, k.seed, k.shard);
  e.u64Big(CEPH_NOSNAP); // the retired snap, always CEPH_NOSNAP
}

function collName(type: number, pool: number, seed: number, shard: number, what: string): CollectionId {
  if (type === COLL_TYPE_META) return 'meta';
  if (type !== COLL_TYPE_PG && type !== COLL_TYPE_PG_TEMP) throw new CephError('EBADMSG', `${what}: coll_t type ${type} not read`);
  if (pool < 0) throw new CephError('EBADMSG', `${what}: pg collection of pool ${pool}`);
  return `${pool}.${(seed >>> 0).toString(16)}${shard === NO_SHARD ? '' : `s${shard}`}_${type === COLL_TYPE_PG ? 'head' : 'TEMP'}`;
}

export function decodeColl(d: Decoder, what = 'coll_t'): CollectionId {
  const v = d.u8(what);
  if (v === 3) {
    const s = d.string(what);
    if (!parseCollection(s)) throw new CephError('EBADMSG', `${what}: '${s}' is not a collection name`);
    return s;
  }
  if (v !== 2) throw new CephError('EBADMSG', `${what}: struct_v ${v} not read`);
  const type = d.u8(what);
  d.decodeStart(1, 'spg_t');
  const pgv = d.u8('pg_t');
  if (pgv !== 1) throw new CephError('EBADMSG', `${what}: pg_t v${pgv} not read`);
  const pool = d.s64('pool');
  const seed = d.u32('seed');
  d.s32('preferred');
  const shard = (d.u8('shard') << 24) >> 24;
  d.decodeFinish('spg_t');
  d.u64Big('snap');
  return collName(type, pool, seed, shard, what);
}

// ---- ghobject_t -----------------------------------------------------------------------------------

function snapFromU64(v: bigint, what: string): number {
  if (v < CEPH_NOSNAP && v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CephError('EBADMSG', `${what}: snap ${v} out of range`);
  return snapFromWire(v);
}

export function encodeGHObject(e: Encoder, o: GHObject): void {
  e.startStruct(6, 3);
  // hobject_t's own max flag stays false; ghobject_t's (after the shard, since v6) says "the end".
  e.string(o.key).string(o.oid).u64Big(snapToWire(o.snap)).u32(o.hash >>> 0).bool(false).string(o.nspace);
  e.u64Big(BigInt.asUintN(64, BigInt(o.pool)));
  e.u64Big(o.generation === NO_GEN ? 0xffffffffffffffffn : BigInt(o.generation));
  e.u8(o.shard & 0xff);
  e.bool(o.max === true);
  e.finishStruct();
}

export function decodeGHObject(d: Decoder, what = 'ghobject_t'): GHObject {
  const v = d.decodeStart(6, what);
  if (v < 6) throw new CephError('EBADMSG', `${what}: struct_v ${v} not read`);
  const key = d.string(what);
  const oid = d.string(what);
  const snap = snapFromU64(d.u64Big(what), what);
  const hash = d.u32(what);
  const max = d.bool(what);
  const nspace = d.string(what);
  const poolBig = BigInt.asIntN(64, d.u64Big(what));
  if (poolBig < BigInt(Number.MIN_SAFE_INTEGER) || poolBig > BigInt(Number.MAX_SAFE_INTEGER)) throw new CephError('EBADMSG', `${what}: pool ${poolBig}`);
  const genBig = d.u64Big(what);
  const shard = (d.u8(what) << 24) >> 24;
  const ghMax = d.bool(what);
  d.decodeFinish(what);
  let generation: number;
  if (genBig === 0xffffffffffffffffn) generation = NO_GEN;
  else if (genBig > BigInt(Number.MAX_SAFE_INTEGER)) throw new CephError('EBADMSG', `${what}: generation ${genBig}`);
  else generation = Number(genBig);
  const o: GHObject = { pool: Number(poolBig), nspace, oid, key, hash, snap, generation, shard };
  return max || ghMax ? { ...o, max: true } : o;
}

// ---- encode -----------------------------------------------------------------------------------------

/** An Indexer of this many entries or fewer looks a name up by scanning before hashing. */
const indexerScanMax = 8;

class Indexer<K extends object | string> {
  readonly order: K[] = [];
  private readonly ids = new Map<string, number>();
  /** The same object named again (the common case) is found without building its name. */
  private readonly byRef = new Map<K, number>();
  constructor(private readonly name: (k: K) => string) {}
  id(k: K): number {
    // a transaction names a few objects, mostly the same ones again: a scan by reference first
    const o = this.order;
    if (o.length <= indexerScanMax) {
      for (let i = 0; i < o.length; i++) if (o[i] === k) return i;
    }
    const r = this.byRef.get(k);
    if (r !== undefined) return r;
    const i = this.idByName(k);
    this.byRef.set(k, i);
    return i;
  }
  private idByName(k: K): number {
    const n = this.name(k);
    let i = this.ids.get(n);
    if (i === undefined) {
      i = this.order.length;
      this.ids.set(n, i);
      this.order.push(k);
    }
    return i;
  }
}

function objName(o: GHObject): string {
  return `${o.max ? 1 : 0}\u0000${o.pool}\u0000${o.hash}\u0000${o.nspace}\u0000${o.key}\u0000${o.oid}\u0000${o.snap}\u0000${o.generation}\u0000${o.shard}`;
}

function encodeStrBlMap(e: Encoder, m: ReadonlyMap<string, Buffer>): void {
  const keys = [...m.keys()].sort(compareStringBytes);
  e.u32(keys.length);
  for (const k of keys) e.string(k).bytes(m.get(k)!);
}

function encodeStrSet(e: Encoder, keys: readonly string[]): void {
  const v = [...new Set(keys)].sort(compareStringBytes);
  e.u32(v.length);
  for (const k of v) e.string(k);
}

/** Fields of one packed Op; unset ones are zero, as Ceph's _get_next_op zeroes them. */
interface OpFields {
  op: number;
  cid?: number;
  oid?: number;
  off?: number;
  len?: number;
  destCid?: number;
  destOid?: number;
  destOff?: number;
  hint?: number;
  expectedObjectSize?: number;
  expectedWriteSize?: number;
  splitBits?: number;
  splitRem?: number;
}

/** One packed Op is laid out here, then appended whole (one bounds check instead of thirteen). */
const opScratch = Buffer.alloc(TX_OP_BYTES);

function putOp(e: Encoder, f: OpFields): void {
  const b = opScratch;
  putU32(b, 0, f.op);
  putU32(b, 4, f.cid ?? 0);
  putU32(b, 8, f.oid ?? 0);
  putU64(b, 12, f.off ?? 0);
  putU64(b, 20, f.len ?? 0);
  putU32(b, 28, f.destCid ?? 0);
  putU32(b, 32, f.destOid ?? 0);
  putU64(b, 36, f.destOff ?? 0);
  putU32(b, 44, f.hint ?? 0);
  putU64(b, 48, f.expectedObjectSize ?? 0);
  putU64(b, 56, f.expectedWriteSize ?? 0);
  putU32(b, 64, f.splitBits ?? 0);
  putU32(b, 68, f.splitRem ?? 0);
  e.raw(b);
}

/** Codes of the ops that name only a collection and an object. */
const OBJECT_ONLY_OP_CODE = {
  create: CephTxOpCode.CREATE, touch: CephTxOpCode.TOUCH, remove: CephTxOpCode.REMOVE, rmattrs: CephTxOpCode.RMATTRS, omapClear: CephTxOpCode.OMAP_CLEAR,
} as const;

export function encodeCephTransaction(t: CephTransaction): Buffer {
  return encodeCephTransactionParts(t, false)[0]!;
}

/**
 * The same bytes as encodeCephTransaction, as a list: with `shareData`, write data of at least
 * txShareBytesMin go by reference (the caller's buffers, not copied) between copied runs of the rest;
 * otherwise (or when nothing is that large) one buffer.
 */
function encodeCephTransactionParts(t: CephTransaction, shareData: boolean): Buffer[] {
  if (t.ops.length > TX_OPS_MAX) throw new CephError('E2BIG', `transaction of ${t.ops.length} ops, more than ${TX_OPS_MAX}`);
  const colls = new Indexer<CollectionId>((c) => c);
  const objs = new Indexer<GHObject>(objName);
  // data_bl is the scratch encoder's bytes with the write buffers, held by reference, inserted at
  // their places (writeAt: where each goes in the scratch bytes): nothing is copied until the output
  const data = scratchData.reset();
  const writes = scratchWrites;
  const writeAt = scratchWriteAt;
  writes.length = 0;
  writeAt.length = 0;
  let writesBytes = 0;
  const ops = scratchOps.reset();
  let largestLen = 0;
  let largestOff = 0;
  let largestOffInData = 0;
  for (const o of t.ops) {
    const C = CephTxOpCode;
    switch (o.op) {
      case 'nop':
        putOp(ops, { op: C.NOP });
        break;
      case 'create':
      case 'touch':
      case 'remove':
      case 'rmattrs':
      case 'omapClear':
        putOp(ops, { op: OBJECT_ONLY_OP_CODE[o.op], cid: colls.id(o.cid), oid: objs.id(o.oid) });
        break;
      case 'write': {
        putOp(ops, { op: C.WRITE, cid: colls.id(o.cid), oid: objs.id(o.oid), off: o.offset, len: o.length });
        const before = writesBytes + data.length;
        data.u32(o.length);
        for (const b of o.data) {
          writes.push(b);
          writeAt.push(data.length);
          writesBytes += b.length;
        }
        if (o.length > largestLen) {
          largestLen = o.length;
          largestOff = o.offset % 0x1_0000_0000; // a u32 field in Ceph's TransactionData
          largestOffInData = before + 4;
        }
        break;
      }
      case 'zero':
        putOp(ops, { op: C.ZERO, cid: colls.id(o.cid), oid: objs.id(o.oid), off: o.offset, len: o.length });
        break;
      case 'truncate':
        putOp(ops, { op: C.TRUNCATE, cid: colls.id(o.cid), oid: objs.id(o.oid), off: o.size });
        break;
      case 'setattr':
        putOp(ops, { op: C.SETATTR, cid: colls.id(o.cid), oid: objs.id(o.oid) });
        data.string(o.name).bytes(o.value);
        break;
      case 'setattrs':
        putOp(ops, { op: C.SETATTRS, cid: colls.id(o.cid), oid: objs.id(o.oid) });
        encodeStrBlMap(data, o.attrs);
        break;
      case 'rmattr':
        putOp(ops, { op: C.RMATTR, cid: colls.id(o.cid), oid: objs.id(o.oid) });
        data.string(o.name);
        break;
      case 'clone': {
        const cid = colls.id(o.cid);
        const oid = objs.id(o.oid);
        putOp(ops, { op: C.CLONE, cid, oid, destOid: objs.id(o.dest) });
        break;
      }
      case 'cloneRange': {
        const cid = colls.id(o.cid);
        const oid = objs.id(o.oid);
        putOp(ops, { op: C.CLONERANGE2, cid, oid, destOid: objs.id(o.dest), off: o.srcOffset, len: o.length, destOff: o.destOffset });
        break;
      }
      case 'omapSetKeys':
        putOp(ops, { op: C.OMAP_SETKEYS, cid: colls.id(o.cid), oid: objs.id(o.oid) });
        encodeStrBlMap(data, o.entries);
        break;
      case 'omapRmKeys':
        putOp(ops, { op: C.OMAP_RMKEYS, cid: colls.id(o.cid), oid: objs.id(o.oid) });
        encodeStrSet(data, o.keys);
        break;
      case 'omapRmKeyRange':
        putOp(ops, { op: C.OMAP_RMKEYRANGE, cid: colls.id(o.cid), oid: objs.id(o.oid) });
        data.string(o.first).string(o.last);
        break;
      case 'omapSetHeader':
        putOp(ops, { op: C.OMAP_SETHEADER, cid: colls.id(o.cid), oid: objs.id(o.oid) });
        data.bytes(o.header);
        break;
      case 'mkcoll':
        putOp(ops, { op: C.MKCOLL, cid: colls.id(o.cid), splitBits: o.bits });
        break;
      case 'rmcoll':
        putOp(ops, { op: C.RMCOLL, cid: colls.id(o.cid) });
        break;
      case 'collMoveRename': {
        const cid = colls.id(o.cid);
        const oid = objs.id(o.oid);
        putOp(ops, { op: C.COLL_MOVE_RENAME, cid, oid, destCid: colls.id(o.destCid), destOid: objs.id(o.dest) });
        break;
      }
      case 'tryRename': {
        const cid = colls.id(o.cid);
        const oid = objs.id(o.oid);
        putOp(ops, { op: C.TRY_RENAME, cid, oid, destOid: objs.id(o.dest) });
        break;
      }
      case 'splitCollection': {
        const cid = colls.id(o.cid);
        putOp(ops, { op: C.SPLIT_COLLECTION2, cid, destCid: colls.id(o.destCid), splitBits: o.bits, splitRem: o.rem });
        break;
      }
      case 'mergeCollection': {
        const cid = colls.id(o.cid);
        putOp(ops, { op: C.MERGE_COLLECTION, cid, destCid: colls.id(o.destCid), splitBits: o.bits });
        break;
      }
      case 'collSetBits':
        putOp(ops, { op: C.COLL_SET_BITS, cid: colls.id(o.cid), splitBits: o.bits });
        break;
      case 'collHint':
        putOp(ops, { op: C.COLL_HINT, cid: colls.id(o.cid), hint: o.type });
        data.bytes(o.hint);
        break;
      case 'setAllocHint':
        putOp(ops, { op: C.SETALLOCHINT, cid: colls.id(o.cid), oid: objs.id(o.oid), expectedObjectSize: o.expectedObjectSize, expectedWriteSize: o.expectedWriteSize, hint: o.flags });
        break;
    }
  }
  const dataBytes = data.length + writesBytes;
  const idx = scratchIndex.reset();
  const cs = colls.order.map((c, i) => ({ c, i })).sort((a, b) => compareColls(a.c, b.c));
  idx.u32(cs.length);
  for (const { c, i } of cs) {
    encodeColl(idx, c);
    idx.u32(i);
  }
  const os = objs.order.map((o, i) => ({ o, i })).sort((a, b) => compareObjects(a.o, b.o));
  idx.u32(os.length);
  for (const { o, i } of os) {
    encodeGHObject(idx, o);
    idx.u32(i);
  }
  idx.u64(t.ops.length).u32(largestLen).u32(largestOff).u32(largestOffInData).u32(t.fadviseFlags >>> 0);
  // header, data_bl, op_bl, the indexes and TransactionData: one exact-size output, or (sharing) runs
  // of copied bytes with the large write buffers between them
  const total = 6 + 4 + dataBytes + 4 + ops.length + idx.length;
  const out: Buffer[] = [];
  let shared = 0;
  if (shareData) for (const p of writes) if (p.length >= txShareBytesMin) shared += p.length;
  let run = Buffer.allocUnsafe(total - shared);
  run[0] = TX_STRUCT_V;
  run[1] = TX_STRUCT_V;
  run.writeUInt32LE(total - 6, 2);
  run.writeUInt32LE(dataBytes, 6);
  let at = 10;
  const scratch = data.view();
  let from = 0;
  for (let i = 0; i < writes.length; i++) {
    const upto = writeAt[i]!;
    at += scratch.copy(run, at, from, upto);
    from = upto;
    const p = writes[i]!;
    if (shared > 0 && p.length >= txShareBytesMin) {
      out.push(run.subarray(0, at));
      out.push(p);
      run = run.subarray(at);
      at = 0;
      continue;
    }
    run.set(p, at);
    at += p.length;
  }
  writes.length = 0; // the scratch list holds no caller buffer past this call
  at += scratch.copy(run, at, from, scratch.length);
  run.writeUInt32LE(ops.length, at);
  at += 4;
  run.set(ops.view(), at);
  at += ops.length;
  run.set(idx.view(), at);
  at += idx.length;
  out.push(run.subarray(0, at));
  return out;
}

// Scratch encoders reused by every (synchronous) encode; their contents never escape.
const scratchData = new Encoder(1024);
const scratchOps = new Encoder(TX_OP_BYTES * 16);
const scratchIndex = new Encoder(1024);
const scratchWrites: Buffer[] = [];
const scratchWriteAt: number[] = [];


// ---- decode -----------------------------------------------------------------------------------------

function decodeStrBlMap(d: Decoder, what: string, view: boolean): Map<string, Buffer> {
  return view ? d.map(what, 8, (x) => x.string(what), (x) => x.bytes(what)) : d.map(what, 8, (x) => x.string(what), (x) => Buffer.from(x.bytes(what)));
}

/** A bufferlist of data_bl: a view (the caller's buffer is handed over) or a copy. */
function blOf(d: Decoder, what: string, view: boolean): Buffer {
  const b = d.bytes(what);
  return view ? b : Buffer.from(b);
}

/**
 * Write data the decode takes from elsewhere: the bytes of data_bl at `at` (a write's data, after its
 * u32 length) are cut out of the buffer being decoded and are `data` instead. Used once, by the write
 * whose data starts exactly there with exactly that length; `used` tells whether one did.
 */
interface TxHole {
  at: number;
  length: number;
  data: Buffer[];
  used: boolean;
}

export function decodeCephTransaction(buf: Uint8Array, what = 'ObjectStore::Transaction'): CephTransaction {
  return decodeCephTx(buf, what, false, undefined);
}

function decodeCephTx(buf: Uint8Array, what: string, viewData: boolean, hole: TxHole | undefined): CephTransaction {
  const d = new Decoder(buf, what);
  const v = d.decodeStart(TX_STRUCT_V, what);
  if (v < TX_STRUCT_V) throw new CephError('EBADMSG', `${what}: struct_v ${v} predates Ceph 10's v9; not read`);
  const dataBl = d.bytes('data_bl');
  const opBl = d.bytes('op_bl');
  if (opBl.length % TX_OP_BYTES !== 0) throw new CephError('EBADMSG', `${what}: op_bl of ${opBl.length} bytes is not whole ops`);
  const colls: CollectionId[] = [];
  const nc = d.count('coll_index', 5);
  const collSlots = new Array<CollectionId | undefined>(nc);
  for (let i = 0; i < nc; i++) {
    const c = decodeColl(d);
    const id = d.u32('coll id');
    if (id >= nc || collSlots[id] !== undefined) throw new CephError('EBADMSG', `${what}: coll_index id ${id} repeated or out of range`);
    collSlots[id] = c;
  }
  for (const c of collSlots) colls.push(c!);
  const no = d.count('object_index', 10);
  const objSlots = new Array<GHObject | undefined>(no);
  for (let i = 0; i < no; i++) {
    const o = decodeGHObject(d);
    const id = d.u32('object id');
    if (id >= no || objSlots[id] !== undefined) throw new CephError('EBADMSG', `${what}: object_index id ${id} repeated or out of range`);
    objSlots[id] = o;
  }
  const objs = objSlots as GHObject[];
  const nOps = d.u64('ops');
  d.u32('largest_data_len');
  d.u32('largest_data_off');
  d.u32('largest_data_off_in_data_bl');
  const fadviseFlags = d.u32('fadvise_flags');
  d.decodeFinish(what);
  if (nOps !== opBl.length / TX_OP_BYTES) throw new CephError('EBADMSG', `${what}: ${nOps} ops but op_bl holds ${opBl.length / TX_OP_BYTES}`);
  if (nOps > TX_OPS_MAX) throw new CephError('E2BIG', `${what}: ${nOps} ops, more than ${TX_OPS_MAX}`);

  const od = new Decoder(opBl, 'op_bl'); // its u64 reads (EINVAL past 2^53)
  const dd = new Decoder(dataBl, 'data_bl');
  const coll = (i: number): CollectionId => {
    const c = colls[i];
    if (c === undefined) throw new CephError('EBADMSG', `${what}: collection index ${i} of ${colls.length}`);
    return c;
  };
  const obj = (i: number): GHObject => {
    const o = objs[i];
    if (o === undefined) throw new CephError('EBADMSG', `${what}: object index ${i} of ${objs.length}`);
    return o;
  };
  const ops: CephTxOp[] = [];
  const C = CephTxOpCode;
  // op_bl holds whole ops (checked above): each field read in place
  for (let n = 0; n < nOps; n++) {
    const at = n * TX_OP_BYTES;
    const code = getU32(opBl, at);
    const cidI = getU32(opBl, at + 4);
    const oidI = getU32(opBl, at + 8);
    od.pos = at + 12;
    const off = od.u64('off');
    const len = od.u64('len');
    const destCidI = getU32(opBl, at + 28);
    const destOidI = getU32(opBl, at + 32);
    od.pos = at + 36;
    const destOff = od.u64('dest_off');
    const hint = getU32(opBl, at + 44);
    od.pos = at + 48;
    const expectedObjectSize = od.u64('expected_object_size');
    const expectedWriteSize = od.u64('expected_write_size');
    const splitBits = getU32(opBl, at + 64);
    const splitRem = getU32(opBl, at + 68);
    switch (code) {
      case C.NOP: ops.push({ op: 'nop' }); break;
      case C.CREATE: ops.push({ op: 'create', cid: coll(cidI), oid: obj(oidI) }); break;
      case C.TOUCH: ops.push({ op: 'touch', cid: coll(cidI), oid: obj(oidI) }); break;
      case C.REMOVE: ops.push({ op: 'remove', cid: coll(cidI), oid: obj(oidI) }); break;
      case C.RMATTRS: ops.push({ op: 'rmattrs', cid: coll(cidI), oid: obj(oidI) }); break;
      case C.OMAP_CLEAR: ops.push({ op: 'omapClear', cid: coll(cidI), oid: obj(oidI) }); break;
      case C.WRITE: {
        if (hole !== undefined && !hole.used && dd.pos + 4 === hole.at && len === hole.length && dd.remaining >= 4 && dataBl.readUInt32LE(dd.pos) === len) {
          dd.pos += 4;
          hole.used = true;
          ops.push({ op: 'write', cid: coll(cidI), oid: obj(oidI), offset: off, length: len, data: hole.data });
          break;
        }
        const bl = dd.bytes('write data');
        if (bl.length !== len) throw new CephError('EBADMSG', `${what}: write of ${len} bytes carries ${bl.length}`);
        ops.push({ op: 'write', cid: coll(cidI), oid: obj(oidI), offset: off, length: len, data: [viewData ? bl : Buffer.from(bl)] });
        break;
      }
      case C.ZERO: ops.push({ op: 'zero', cid: coll(cidI), oid: obj(oidI), offset: off, length: len }); break;
      case C.TRUNCATE: ops.push({ op: 'truncate', cid: coll(cidI), oid: obj(oidI), size: off }); break;
      case C.SETATTR: {
        const name = dd.string('attr name');
        ops.push({ op: 'setattr', cid: coll(cidI), oid: obj(oidI), name, value: blOf(dd, 'attr value', viewData) });
        break;
      }
      case C.SETATTRS: ops.push({ op: 'setattrs', cid: coll(cidI), oid: obj(oidI), attrs: decodeStrBlMap(dd, 'attrs', viewData) }); break;
      case C.RMATTR: ops.push({ op: 'rmattr', cid: coll(cidI), oid: obj(oidI), name: dd.string('attr name') }); break;
      case C.CLONE: ops.push({ op: 'clone', cid: coll(cidI), oid: obj(oidI), dest: obj(destOidI) }); break;
      case C.CLONERANGE2:
        ops.push({ op: 'cloneRange', cid: coll(cidI), oid: obj(oidI), dest: obj(destOidI), srcOffset: off, length: len, destOffset: destOff });
        break;
      case C.OMAP_SETKEYS: ops.push({ op: 'omapSetKeys', cid: coll(cidI), oid: obj(oidI), entries: decodeStrBlMap(dd, 'omap entries', viewData) }); break;
      case C.OMAP_RMKEYS: ops.push({ op: 'omapRmKeys', cid: coll(cidI), oid: obj(oidI), keys: dd.list('omap keys', 4, (x) => x.string('key')) }); break;
      case C.OMAP_RMKEYRANGE: {
        const first = dd.string('first');
        ops.push({ op: 'omapRmKeyRange', cid: coll(cidI), oid: obj(oidI), first, last: dd.string('last') });
        break;
      }
      case C.OMAP_SETHEADER: ops.push({ op: 'omapSetHeader', cid: coll(cidI), oid: obj(oidI), header: blOf(dd, 'omap header', viewData) }); break;
      case C.MKCOLL: ops.push({ op: 'mkcoll', cid: coll(cidI), bits: splitBits }); break;
      case C.RMCOLL: ops.push({ op: 'rmcoll', cid: coll(cidI) }); break;
      case C.COLL_MOVE_RENAME:
        ops.push({ op: 'collMoveRename', cid: coll(cidI), oid: obj(oidI), destCid: coll(destCidI), dest: obj(destOidI) });
        break;
      case C.TRY_RENAME: ops.push({ op: 'tryRename', cid: coll(cidI), oid: obj(oidI), dest: obj(destOidI) }); break;
      case C.SPLIT_COLLECTION2:
        ops.push({ op: 'splitCollection', cid: coll(cidI), bits: splitBits, rem: splitRem, destCid: coll(destCidI) });
        break;
      case C.MERGE_COLLECTION: ops.push({ op: 'mergeCollection', cid: coll(cidI), destCid: coll(destCidI), bits: splitBits }); break;
      case C.COLL_SET_BITS: ops.push({ op: 'collSetBits', cid: coll(cidI), bits: splitBits }); break;
      case C.COLL_HINT: ops.push({ op: 'collHint', cid: coll(cidI), type: hint, hint: blOf(dd, 'coll hint', viewData) }); break;
      case C.SETALLOCHINT:
        ops.push({ op: 'setAllocHint', cid: coll(cidI), oid: obj(oidI), expectedObjectSize, expectedWriteSize, flags: hint });
        break;
      default:
        throw new CephError('EOPNOTSUPP', `${what}: op code ${code} (op ${n}) is not one Ceph 16 emits`);
    }
  }
  if (!dd.atEnd()) throw new CephError('EBADMSG', `${what}: ${dd.remaining} bytes of data_bl no op reads`);
  return { ops, fadviseFlags };
}

// ---- conversion -------------------------------------------------------------------------------------

export function toCephTransaction(t: Transaction, fadviseFlags = 0): CephTransaction {
  return { ops: [...t.ops], fadviseFlags };
}

/**
 * Our Transaction for a Ceph one. Ceph-only ops become ours where the meaning is the same (create ->
 * touch, setattr -> setattrs of one, try_rename -> move-rename when the source exists is not knowable
 * here, so it is refused); hints (set-alloc-hint, coll hints) and nops are dropped, as they change no
 * state a read can see.
 */
export function fromCephTransaction(ct: CephTransaction): Transaction {
  const t = new Transaction();
  for (const o of ct.ops) {
    switch (o.op) {
      case 'nop':
      case 'setAllocHint':
      case 'collHint':
        break;
      case 'create':
        t.touch(o.cid, o.oid);
        break;
      case 'setattr':
        t.setattr(o.cid, o.oid, o.name, o.value);
        break;
      case 'tryRename':
      case 'mergeCollection':
        throw new CephError('EOPNOTSUPP', `transaction op ${o.op} has no ObjectStore equivalent yet`);
      case 'write':
        t.write(o.cid, o.oid, o.offset, o.data);
        break;
      default:
        t.ops.push(o);
    }
  }
  return t;
}

/** Our Transaction as Ceph's bytes (MOSDRepOp's data segment); its ops are read in place, not copied. */
export function encodeTransaction(t: Transaction, fadviseFlags = 0): Buffer {
  return encodeCephTransaction({ ops: t.ops, fadviseFlags });
}

/** Ceph's bytes as our Transaction. */
export function decodeTransaction(buf: Uint8Array): Transaction {
  return fromCephTransaction(decodeCephTransaction(buf));
}

/**
 * Our Transaction as a list of buffers (MOSDRepOp's data segment, sent without copying large write
 * data: the list holds the caller's write buffers, which must not change until it is sent).
 */
export function encodeTransactionParts(t: Transaction, fadviseFlags = 0): Buffer[] {
  return encodeCephTransactionParts({ ops: t.ops, fadviseFlags }, true);
}

/**
 * Ceph's bytes, received as `segments` (a message's data segment), as our Transaction. Write data,
 * attribute and omap values are views of the segments, never copied: the caller hands over buffers
 * nothing else writes to (the stores copy the small values they keep). When
 * the transaction spans several segments, its largest write (TransactionData names where its data
 * lie in data_bl) is taken as views of them and only the rest is joined; a transaction whose
 * TransactionData does not match its ops is decoded from a joined copy instead (same result, or the
 * same error).
 */
export function decodeTransactionSegments(segments: readonly Buffer[], what = 'ObjectStore::Transaction'): Transaction {
  if (segments.length === 1) return fromCephTransaction(decodeCephTx(segments[0]!, what, true, undefined));
  const split = splitLargestWrite(segments);
  if (split !== undefined) {
    try {
      const ct = decodeCephTx(split.rest, what, true, split.hole);
      if (split.hole.used) return fromCephTransaction(ct);
    } catch {
      // decoded again below from the joined bytes, which reports the error
    }
  }
  return fromCephTransaction(decodeCephTx(Buffer.concat(segments), what, true, undefined));
}

/** `n` bytes at `at` of a segment list, as views of the segments. */
function segmentViews(segments: readonly Buffer[], at: number, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const s of segments) {
    if (n === 0) break;
    if (at >= s.length) {
      at -= s.length;
      continue;
    }
    const take = Math.min(n, s.length - at);
    out.push(s.subarray(at, at + take));
    n -= take;
    at = 0;
  }
  return out;
}

/** Copy `n` bytes at `at` of a segment list into `into` at `to`. */
function copySegments(segments: readonly Buffer[], at: number, n: number, into: Buffer, to: number): void {
  for (const v of segmentViews(segments, at, n)) {
    into.set(v, to);
    to += v.length;
  }
}

/**
 * A v9 transaction's bytes with its largest write's data cut out (struct and data_bl lengths reduced
 * to match), and that data as views; undefined when there is nothing large to cut or the header and
 * TransactionData do not describe a cut that fits (the caller joins the segments then).
 */
function splitLargestWrite(segments: readonly Buffer[]): { rest: Buffer; hole: TxHole } | undefined {
  let total = 0;
  for (const s of segments) total += s.length;
  if (total < TX_HEAD_BYTES + 4 + TX_DATA_BYTES) return undefined;
  const head = Buffer.allocUnsafe(TX_HEAD_BYTES);
  copySegments(segments, 0, TX_HEAD_BYTES, head, 0);
  if (head[0] !== TX_STRUCT_V || head.readUInt32LE(2) !== total - 6) return undefined;
  const dataBytes = head.readUInt32LE(6);
  const tail = Buffer.allocUnsafe(TX_DATA_BYTES);
  copySegments(segments, total - TX_DATA_BYTES, TX_DATA_BYTES, tail, 0);
  const length = tail.readUInt32LE(8);
  const at = tail.readUInt32LE(16);
  if (length < txShareBytesMin || at < 4 || at + length > dataBytes || TX_HEAD_BYTES + dataBytes > total) return undefined;
  const cutAt = TX_HEAD_BYTES + at;
  const rest = Buffer.allocUnsafe(total - length);
  copySegments(segments, 0, cutAt, rest, 0);
  copySegments(segments, cutAt + length, total - cutAt - length, rest, cutAt);
  rest.writeUInt32LE(total - 6 - length, 2);
  rest.writeUInt32LE(dataBytes - length, 6);
  return { rest, hole: { at, length, data: segmentViews(segments, cutAt, length), used: false } };
}
