// The reference model of the ObjectStore contract (osd/objectstore/types.ts): a plain synchronous
// in-memory store every backend is compared against, a seeded generator of random transactions over a
// small universe of collections and objects (so ops collide), and a comparison of a live store with the
// model that names the first difference.
//
// The model is written for clarity, not speed: its state is persistent (apply builds new maps and copies
// each object it changes, never mutating what an earlier snapshot shares), so clone() is O(1) and a
// failed transaction leaves nothing behind.
//
// Where the contract is silent the model follows Ceph's BlueStore (the choices are listed in
// test/objectstore/compliance.ts).

import { CephError, type ErrnoName } from '../../common/errors.js';
import {
  compareObjects,
  isValidCollection,
  makeObject,
  META_COLLECTION,
  NAME_BYTES_MAX,
  OBJECT_SIZE_MAX,
  objectText,
  PAGE_ENTRIES_MAX,
  parseCollection,
  pgCollection,
  SNAP_HEAD,
  Transaction,
  TX_DATA_BYTES_MAX,
  TX_OPS_MAX,
  type CollectionId,
  type GHObject,
  type ListResult,
  type ObjectStore,
  type OmapPage,
  type TxOp,
} from '../../osd/objectstore/types.js';
import type { Rng } from './rng.js';

// ---------------------------------------------------------------------------------------------------
// Model state

interface ModelObject {
  readonly oid: GHObject;
  /** The object's bytes; data.length is the object's size. */
  data: Buffer;
  attrs: Map<string, Buffer>;
  header: Buffer;
  omap: Map<string, Buffer>;
}

interface ModelCollection {
  bits: number;
  /** keyed by objectKey(oid) */
  objects: Map<string, ModelObject>;
}

/** A unique string per ghobject (every field that compareObjects looks at). */
export function objectKey(o: GHObject): string {
  return JSON.stringify([o.shard, o.pool, o.hash >>> 0, o.nspace, o.key, o.oid, o.snap, o.generation]);
}

/** Byte (UTF-8) order of two strings, as omap keys and attr names sort. */
export function compareKeyBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The low `bits` bits of a u32 (bits 0..32). */
export function bitsMask(bits: number): number {
  return bits >= 32 ? 0xffffffff : ((1 << bits) >>> 0) - 1;
}

/** hobject_t::match: the low `bits` bits of hash equal those of rem. */
export function hashMatches(hash: number, bits: number, rem: number): boolean {
  const m = bitsMask(bits);
  return ((hash & m) >>> 0) === ((rem & m) >>> 0);
}

function fail(code: ErrnoName, index: number, op: TxOp, what: string): never {
  throw new CephError(code, `op ${index} (${op.op}): ${what}`);
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function isBits(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 32;
}

function validObject(o: GHObject): string | undefined {
  if (o.max) return 'the max object cannot be stored';
  if (!Number.isSafeInteger(o.pool)) return `bad pool ${o.pool}`;
  if (!Number.isInteger(o.hash) || o.hash < 0 || o.hash > 0xffffffff) return `bad hash ${o.hash}`;
  if (!Number.isSafeInteger(o.snap) || o.snap < -2) return `bad snap ${o.snap}`;
  if (!Number.isSafeInteger(o.generation) || o.generation < -1) return `bad generation ${o.generation}`;
  if (!Number.isInteger(o.shard) || o.shard < -1 || o.shard > 127) return `bad shard ${o.shard}`;
  if (byteLength(o.oid) > NAME_BYTES_MAX || byteLength(o.key) > NAME_BYTES_MAX || byteLength(o.nspace) > NAME_BYTES_MAX) {
    return `object name longer than ${NAME_BYTES_MAX} bytes`;
  }
  return undefined;
}

/** One transaction being applied: copies collections and objects on first change. */
class Work {
  readonly colls: Map<CollectionId, ModelCollection>;
  private readonly ownedColls = new Set<ModelCollection>();
  private readonly ownedObjects = new Set<ModelObject>();

  constructor(base: Map<CollectionId, ModelCollection>) {
    this.colls = new Map(base);
  }

  coll(cid: CollectionId): ModelCollection | undefined {
    return this.colls.get(cid);
  }

  /** The collection, owned by this transaction (safe to change). */
  mutColl(cid: CollectionId): ModelCollection {
    const c = this.colls.get(cid)!;
    if (this.ownedColls.has(c)) return c;
    const copy: ModelCollection = { bits: c.bits, objects: new Map(c.objects) };
    this.ownedColls.add(copy);
    this.colls.set(cid, copy);
    return copy;
  }

  newColl(cid: CollectionId, bits: number): void {
    const c: ModelCollection = { bits, objects: new Map() };
    this.ownedColls.add(c);
    this.colls.set(cid, c);
  }

  get(cid: CollectionId, oid: GHObject): ModelObject | undefined {
    return this.colls.get(cid)?.objects.get(objectKey(oid));
  }

  /** The object, owned by this transaction; created empty when missing. */
  mutObject(cid: CollectionId, oid: GHObject): ModelObject {
    const c = this.mutColl(cid);
    const key = objectKey(oid);
    const o = c.objects.get(key);
    if (o && this.ownedObjects.has(o)) return o;
    const copy: ModelObject = o
      ? { oid: o.oid, data: Buffer.from(o.data), attrs: new Map(o.attrs), header: o.header, omap: new Map(o.omap) }
      : { oid: { ...oid }, data: Buffer.alloc(0), attrs: new Map(), header: Buffer.alloc(0), omap: new Map() };
    this.ownedObjects.add(copy);
    c.objects.set(key, copy);
    return copy;
  }

  put(cid: CollectionId, o: ModelObject): void {
    this.ownedObjects.add(o);
    this.mutColl(cid).objects.set(objectKey(o.oid), o);
  }

  remove(cid: CollectionId, oid: GHObject): void {
    if (!this.get(cid, oid)) return;
    this.mutColl(cid).objects.delete(objectKey(oid));
  }
}

function resize(o: ModelObject, size: number): void {
  if (size === o.data.length) return;
  const d = Buffer.alloc(size);
  o.data.copy(d, 0, 0, Math.min(size, o.data.length));
  o.data = d;
}

/**
 * The reference ObjectStore: synchronous, in memory, persistent state. apply() throws a CephError with
 * the contract's code and changes nothing when any op of the transaction cannot apply.
 */
export class StoreModel {
  private colls: Map<CollectionId, ModelCollection>;

  constructor(colls?: Map<CollectionId, ModelCollection>) {
    this.colls = colls ?? new Map();
  }

  /** A snapshot: later applies to either do not affect the other. */
  clone(): StoreModel {
    return new StoreModel(this.colls);
  }

  apply(t: Transaction): void {
    if (t.ops.length > TX_OPS_MAX) throw new CephError('E2BIG', `transaction of ${t.ops.length} ops (max ${TX_OPS_MAX})`);
    let dataBytes = 0;
    for (const op of t.ops) if (op.op === 'write') dataBytes += op.length;
    if (dataBytes > TX_DATA_BYTES_MAX) throw new CephError('E2BIG', `transaction carries ${dataBytes} data bytes (max ${TX_DATA_BYTES_MAX})`);
    const w = new Work(this.colls);
    t.ops.forEach((op, i) => applyOp(w, op, i));
    this.colls = w.colls;
  }

  // ---- reads, mirroring ObjectStore's (synchronous; same errors)

  listCollections(): CollectionId[] {
    return [...this.colls.keys()].sort(compareKeyBytes);
  }
  collectionExists(cid: CollectionId): boolean {
    return this.colls.has(cid);
  }
  collectionBits(cid: CollectionId): number {
    return this.needColl(cid).bits;
  }
  collectionEmpty(cid: CollectionId): boolean {
    return this.needColl(cid).objects.size === 0;
  }
  /** Every object of the collection in compareObjects order. */
  objects(cid: CollectionId): GHObject[] {
    return [...this.needColl(cid).objects.values()].map((o) => o.oid).sort(compareObjects);
  }
  listObjects(cid: CollectionId, start: GHObject | undefined, end: GHObject | undefined, max: number): ListResult {
    if (!isCount(max)) throw new CephError('EINVAL', `bad listing max ${max}`);
    const all = this.objects(cid).filter(
      (o) => (!start || compareObjects(o, start) >= 0) && (!end || compareObjects(o, end) < 0),
    );
    const n = Math.min(max, PAGE_ENTRIES_MAX);
    return { objects: all.slice(0, n), next: all.length > n ? all[n] : undefined };
  }
  exists(cid: CollectionId, oid: GHObject): boolean {
    return this.needColl(cid).objects.has(objectKey(oid));
  }
  stat(cid: CollectionId, oid: GHObject): { size: number } {
    return { size: this.needObject(cid, oid).data.length };
  }
  read(cid: CollectionId, oid: GHObject, offset: number, length: number): Buffer {
    if (!isCount(offset) || !isCount(length)) throw new CephError('EINVAL', `bad read ${offset}~${length}`);
    const d = this.needObject(cid, oid).data;
    if (offset >= d.length) return Buffer.alloc(0);
    const end = length === 0 ? d.length : Math.min(d.length, offset + length);
    return Buffer.from(d.subarray(offset, end));
  }
  getattr(cid: CollectionId, oid: GHObject, name: string): Buffer {
    const v = this.needObject(cid, oid).attrs.get(name);
    if (!v) throw new CephError('ENODATA', `no attr ${JSON.stringify(name)} on ${objectText(oid)}`);
    return Buffer.from(v);
  }
  /** Attrs in name byte order. */
  getattrs(cid: CollectionId, oid: GHObject): Map<string, Buffer> {
    const a = this.needObject(cid, oid).attrs;
    return new Map([...a.keys()].sort(compareKeyBytes).map((k) => [k, Buffer.from(a.get(k)!)]));
  }
  omapGetHeader(cid: CollectionId, oid: GHObject): Buffer {
    return Buffer.from(this.needObject(cid, oid).header);
  }
  /** Every omap key in byte order. */
  omapKeys(cid: CollectionId, oid: GHObject): string[] {
    return [...this.needObject(cid, oid).omap.keys()].sort(compareKeyBytes);
  }
  omapGetValues(cid: CollectionId, oid: GHObject, keys: readonly string[]): Map<string, Buffer> {
    const m = this.needObject(cid, oid).omap;
    const found = [...new Set(keys)].filter((k) => m.has(k)).sort(compareKeyBytes);
    return new Map(found.map((k) => [k, Buffer.from(m.get(k)!)]));
  }
  omapIterate(cid: CollectionId, oid: GHObject, after: string | undefined, max: number): OmapPage {
    if (!isCount(max)) throw new CephError('EINVAL', `bad omap page max ${max}`);
    const o = this.needObject(cid, oid);
    const keys = this.omapKeys(cid, oid).filter((k) => after === undefined || compareKeyBytes(k, after) > 0);
    const n = Math.min(max, PAGE_ENTRIES_MAX);
    return { entries: keys.slice(0, n).map((k) => [k, Buffer.from(o.omap.get(k)!)]), more: keys.length > n };
  }
  /** Sum of object sizes. */
  dataBytes(): number {
    let n = 0;
    for (const c of this.colls.values()) for (const o of c.objects.values()) n += o.data.length;
    return n;
  }
  objectCount(): number {
    let n = 0;
    for (const c of this.colls.values()) n += c.objects.size;
    return n;
  }

  private needColl(cid: CollectionId): ModelCollection {
    const c = this.colls.get(cid);
    if (!c) throw new CephError('ENOENT', `no collection ${cid}`);
    return c;
  }
  private needObject(cid: CollectionId, oid: GHObject): ModelObject {
    const o = this.needColl(cid).objects.get(objectKey(oid));
    if (!o) throw new CephError('ENOENT', `no object ${objectText(oid)} in ${cid}`);
    return o;
  }
}

function applyOp(w: Work, op: TxOp, i: number): void {
  // Malformed ops first (EINVAL), then the collection (ENOENT), then the op's own rules.
  if (op.op === 'mkcoll') {
    if (!isValidCollection(op.cid)) fail('EINVAL', i, op, `bad collection name ${JSON.stringify(op.cid)}`);
    if (!isBits(op.bits)) fail('EINVAL', i, op, `bits ${op.bits} out of 0..32`);
    if (w.coll(op.cid)) fail('EEXIST', i, op, `collection ${op.cid} exists`);
    w.newColl(op.cid, op.bits);
    return;
  }
  if (!isValidCollection(op.cid)) fail('EINVAL', i, op, `bad collection name ${JSON.stringify(op.cid)}`);
  if ('oid' in op) {
    const bad = validObject(op.oid);
    if (bad) fail('EINVAL', i, op, bad);
  }
  if ('dest' in op) {
    const bad = validObject(op.dest);
    if (bad) fail('EINVAL', i, op, `dest: ${bad}`);
  }
  switch (op.op) {
    case 'write': {
      let n = 0;
      for (const b of op.data) n += b.length;
      if (n !== op.length) fail('EINVAL', i, op, `length ${op.length} but data of ${n} bytes`);
      checkExtent(i, op, op.offset, op.length);
      break;
    }
    case 'zero':
      checkExtent(i, op, op.offset, op.length);
      break;
    case 'truncate':
      checkExtent(i, op, op.size, 0);
      break;
    case 'cloneRange':
      checkExtent(i, op, op.srcOffset, op.length);
      checkExtent(i, op, op.destOffset, op.length);
      break;
    case 'setattrs':
      for (const k of op.attrs.keys()) if (byteLength(k) > NAME_BYTES_MAX) fail('EINVAL', i, op, `attr name longer than ${NAME_BYTES_MAX} bytes`);
      break;
    case 'rmattr':
      if (byteLength(op.name) > NAME_BYTES_MAX) fail('EINVAL', i, op, `attr name longer than ${NAME_BYTES_MAX} bytes`);
      break;
    case 'omapSetKeys':
      for (const k of op.entries.keys()) if (byteLength(k) > NAME_BYTES_MAX) fail('EINVAL', i, op, `omap key longer than ${NAME_BYTES_MAX} bytes`);
      break;
    case 'omapRmKeys':
      for (const k of op.keys) if (byteLength(k) > NAME_BYTES_MAX) fail('EINVAL', i, op, `omap key longer than ${NAME_BYTES_MAX} bytes`);
      break;
    case 'omapRmKeyRange':
      if (byteLength(op.first) > NAME_BYTES_MAX || byteLength(op.last) > NAME_BYTES_MAX) fail('EINVAL', i, op, `omap key longer than ${NAME_BYTES_MAX} bytes`);
      break;
    case 'collMoveRename':
      if (!isValidCollection(op.destCid)) fail('EINVAL', i, op, `bad collection name ${JSON.stringify(op.destCid)}`);
      if (op.cid === op.destCid && objectKey(op.oid) === objectKey(op.dest)) fail('EINVAL', i, op, 'source and destination are the same object');
      break;
    case 'splitCollection':
      if (!isValidCollection(op.destCid)) fail('EINVAL', i, op, `bad collection name ${JSON.stringify(op.destCid)}`);
      if (!isBits(op.bits)) fail('EINVAL', i, op, `bits ${op.bits} out of 0..32`);
      if (!Number.isInteger(op.rem) || op.rem < 0 || op.rem > 0xffffffff) fail('EINVAL', i, op, `bad rem ${op.rem}`);
      if (op.cid === op.destCid) fail('EINVAL', i, op, 'split into itself');
      break;
    case 'collSetBits':
      if (!isBits(op.bits)) fail('EINVAL', i, op, `bits ${op.bits} out of 0..32`);
      break;
    default:
      break;
  }
  if (!w.coll(op.cid)) fail('ENOENT', i, op, `no collection ${op.cid}`);

  switch (op.op) {
    case 'touch':
      w.mutObject(op.cid, op.oid);
      return;
    case 'write': {
      const o = w.mutObject(op.cid, op.oid);
      if (op.length === 0) return;
      if (op.offset + op.length > o.data.length) resize(o, op.offset + op.length);
      let at = op.offset;
      for (const b of op.data) {
        b.copy(o.data, at);
        at += b.length;
      }
      return;
    }
    case 'zero': {
      const o = w.mutObject(op.cid, op.oid);
      const old = o.data.length;
      if (op.offset + op.length > old) resize(o, op.offset + op.length);
      if (op.offset < old) o.data.fill(0, op.offset, Math.min(old, op.offset + op.length));
      return;
    }
    case 'truncate': {
      if (!w.get(op.cid, op.oid)) return;
      resize(w.mutObject(op.cid, op.oid), op.size);
      return;
    }
    case 'remove':
      w.remove(op.cid, op.oid);
      return;
    case 'setattrs': {
      const o = w.mutObject(op.cid, op.oid);
      for (const [k, v] of op.attrs) o.attrs.set(k, Buffer.from(v));
      return;
    }
    case 'rmattr':
      if (w.get(op.cid, op.oid)?.attrs.has(op.name)) w.mutObject(op.cid, op.oid).attrs.delete(op.name);
      return;
    case 'rmattrs':
      if (w.get(op.cid, op.oid)) w.mutObject(op.cid, op.oid).attrs.clear();
      return;
    case 'clone': {
      const src = w.get(op.cid, op.oid);
      if (!src) fail('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
      if (objectKey(op.oid) === objectKey(op.dest)) fail('EINVAL', i, op, 'clone onto itself');
      if (src.oid.hash >>> 0 !== op.dest.hash >>> 0) fail('EINVAL', i, op, 'clone to an object of another hash');
      w.put(op.cid, {
        oid: { ...op.dest },
        data: Buffer.from(src.data),
        attrs: new Map(src.attrs),
        header: src.header,
        omap: new Map(src.omap),
      });
      return;
    }
    case 'cloneRange': {
      const src = w.get(op.cid, op.oid);
      if (!src) fail('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
      if (objectKey(op.oid) === objectKey(op.dest)) fail('EINVAL', i, op, 'clone range onto itself');
      if (op.srcOffset + op.length > src.data.length) fail('EINVAL', i, op, `source range ${op.srcOffset}~${op.length} past its size ${src.data.length}`);
      const bytes = src.data.subarray(op.srcOffset, op.srcOffset + op.length);
      const d = w.mutObject(op.cid, op.dest);
      if (op.length === 0) return;
      if (op.destOffset + op.length > d.data.length) resize(d, op.destOffset + op.length);
      bytes.copy(d.data, op.destOffset);
      return;
    }
    case 'omapClear':
      if (w.get(op.cid, op.oid)) {
        const o = w.mutObject(op.cid, op.oid);
        o.omap.clear();
        o.header = Buffer.alloc(0);
      }
      return;
    case 'omapSetKeys': {
      const o = w.mutObject(op.cid, op.oid);
      for (const [k, v] of op.entries) o.omap.set(k, Buffer.from(v));
      return;
    }
    case 'omapRmKeys':
      if (w.get(op.cid, op.oid)) {
        const o = w.mutObject(op.cid, op.oid);
        for (const k of op.keys) o.omap.delete(k);
      }
      return;
    case 'omapRmKeyRange':
      if (w.get(op.cid, op.oid)) {
        const o = w.mutObject(op.cid, op.oid);
        for (const k of [...o.omap.keys()]) {
          if (compareKeyBytes(k, op.first) >= 0 && compareKeyBytes(k, op.last) < 0) o.omap.delete(k);
        }
      }
      return;
    case 'omapSetHeader':
      w.mutObject(op.cid, op.oid).header = Buffer.from(op.header);
      return;
    case 'rmcoll': {
      const c = w.coll(op.cid)!;
      if (c.objects.size > 0) fail('ENOTEMPTY', i, op, `collection ${op.cid} has ${c.objects.size} objects`);
      w.colls.delete(op.cid);
      return;
    }
    case 'collMoveRename': {
      if (!w.coll(op.destCid)) fail('ENOENT', i, op, `no collection ${op.destCid}`);
      const src = w.get(op.cid, op.oid);
      if (!src) fail('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
      w.remove(op.cid, op.oid);
      w.put(op.destCid, { oid: { ...op.dest }, data: Buffer.from(src.data), attrs: new Map(src.attrs), header: src.header, omap: new Map(src.omap) });
      return;
    }
    case 'splitCollection': {
      if (!w.coll(op.destCid)) fail('ENOENT', i, op, `no collection ${op.destCid}`);
      const src = w.mutColl(op.cid);
      const dest = w.mutColl(op.destCid);
      for (const [k, o] of [...src.objects]) {
        if (!hashMatches(o.oid.hash, op.bits, op.rem)) continue;
        src.objects.delete(k);
        dest.objects.set(k, o);
      }
      src.bits = op.bits;
      dest.bits = op.bits;
      return;
    }
    case 'collSetBits':
      w.mutColl(op.cid).bits = op.bits;
      return;
  }
}

function checkExtent(i: number, op: TxOp, offset: number, length: number): void {
  if (!isCount(offset) || !isCount(length)) fail('EINVAL', i, op, `bad extent ${offset}~${length}`);
  if (offset + length > OBJECT_SIZE_MAX) fail('EINVAL', i, op, `extent ${offset}~${length} past the object size limit ${OBJECT_SIZE_MAX}`);
}

// ---------------------------------------------------------------------------------------------------
// The random transaction generator

export interface RandomTxOptions {
  /** Most ops in one transaction (at least 1). */
  readonly opsMax?: number;
  /** Largest write, zero or clone range, in bytes. */
  readonly writeBytesMax?: number;
  /** Writes, zeros and truncates stay below this object offset. */
  readonly objectBytesMax?: number;
  /** Chance that a transaction carries one op that must fail (so the whole transaction is rejected). */
  readonly invalidChance?: number;
  /** Chance that a write is large (up to writeBytesMax); other writes are up to 64 KiB, most up to 8 KiB. */
  readonly largeWriteChance?: number;
  /** Distinct object names in the pool's pgs (each also with snapshot clones). */
  readonly names?: number;
  /**
   * A soft cap on the data all objects hold: past it, ops that add data give way to truncates and
   * removes (so a run fits a small device and compares stay quick).
   */
  readonly dataBytesMax?: number;
}

const DEFAULTS: Required<RandomTxOptions> = {
  opsMax: 8,
  writeBytesMax: 1024 * 1024,
  objectBytesMax: 4 * 1024 * 1024,
  invalidChance: 0.05,
  largeWriteChance: 0.03,
  names: 24,
  dataBytesMax: 16 * 1024 * 1024,
};

/** The pool the generator's pg collections belong to; its pgs split up to POOL_BITS bits. */
const POOL = 1;
const POOL_BITS = 3;

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Bytes of a pattern seeded from rng (fast for large buffers). */
export function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = rng.u32() | 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeInt32LE(x | 0, i);
  }
  for (; i < n; i++) b[i] = rng.int(0, 255);
  return b;
}

/** Name index i's head object: a fixed hash whose low POOL_BITS bits are i mod 2^POOL_BITS. */
function headObject(i: number): GHObject {
  const lowMask = (1 << POOL_BITS) - 1;
  const hash = ((mix32(i + 1) & ~lowMask) | (i & lowMask)) >>> 0;
  const names = ['rbd_data.1', 'é-accent', 'zzz', 'A', 'a', '\u{1F600}', '\uffff', ''];
  const oid = i < names.length && names[i] !== '' ? names[i]! : `obj${i}`;
  return makeObject(POOL, oid, hash, {
    nspace: i % 5 === 4 ? 'ns' : '',
    key: i % 7 === 3 ? 'lockey' : '',
  });
}

/** The objects the generator uses for a name: the head, three snapshot clones and one EC-style generation. */
function variants(head: GHObject): GHObject[] {
  return [head, { ...head, snap: 1 }, { ...head, snap: 2 }, { ...head, snap: 7 }, { ...head, generation: 5 }];
}

const META_OBJECTS: GHObject[] = [
  makeObject(-1, 'osd_superblock', 0),
  makeObject(-1, 'osdmap.1', 0x1234abcd),
  makeObject(-1, 'osdmap.2', 0x1234abcd),
  makeObject(-1, 'inc_osdmap.2', 0x9e3779b9),
  makeObject(-1, 'pglog_1.0', 0xdeadbeef),
  makeObject(-1, 'snapmapper', 0x00000001),
];

/** The objects a collection may hold: their hashes match the collection's pg seed under its bits. */
function candidates(model: StoreModel, cid: CollectionId, names: number): GHObject[] {
  const p = parseCollection(cid);
  if (!p || p.kind === 'meta') return META_OBJECTS;
  const bits = model.collectionExists(cid) ? model.collectionBits(cid) : naturalBits(p.seed);
  const out: GHObject[] = [];
  for (let i = 0; i < names; i++) {
    const h = headObject(i);
    if (hashMatches(h.hash, bits, p.seed)) out.push(...variants(h));
  }
  return out;
}

/** The split bits a pg of this seed has when the pool has just enough pgs to hold it (at least 1). */
function naturalBits(seed: number): number {
  let b = 1;
  while (seed >= 1 << b) b++;
  return b;
}

const ALL_PG_SEEDS = Array.from({ length: 1 << POOL_BITS }, (_, s) => s);

type OpKind =
  | 'write' | 'zero' | 'truncate' | 'touch' | 'remove' | 'setattrs' | 'rmattr' | 'rmattrs' | 'clone' | 'cloneRange'
  | 'omapSetKeys' | 'omapRmKeys' | 'omapRmKeyRange' | 'omapClear' | 'omapSetHeader' | 'mkcoll' | 'rmcoll'
  | 'collMoveRename' | 'split' | 'collSetBits';

const WEIGHTS: [OpKind, number][] = [
  ['write', 26], ['zero', 5], ['truncate', 5], ['touch', 3], ['remove', 4], ['setattrs', 6], ['rmattr', 3],
  ['rmattrs', 1], ['clone', 4], ['cloneRange', 4], ['omapSetKeys', 8], ['omapRmKeys', 3], ['omapRmKeyRange', 3],
  ['omapClear', 1], ['omapSetHeader', 3], ['mkcoll', 2], ['rmcoll', 0.7], ['collMoveRename', 3], ['split', 1.5],
  ['collSetBits', 0.5],
];
/** Kinds that can add data. */
const GROWING = new Set<OpKind>(['write', 'zero', 'truncate', 'clone', 'cloneRange']);

const WEIGHT_TOTAL = WEIGHTS.reduce((s, [, w]) => s + w, 0);

function pickKind(rng: Rng): OpKind {
  let r = rng.next() * WEIGHT_TOTAL;
  for (const [k, w] of WEIGHTS) {
    r -= w;
    if (r < 0) return k;
  }
  return 'write';
}

const ATTR_NAMES = ['_', 'snapset', '_user.a', 'hinfo_key', '\u00e9t\u00e9', ''];
const OMAP_KEYS = [
  '', 'a', 'aa', 'ab', 'b', '0000000001.00000000000000000001', '0000000001.00000000000000000002', '_info',
  '_epoch', 'can_rollback_to', 'z', '\u00ff', '\uffff', '\u{10000}', 'key with space',
];

class Gen {
  readonly t = new Transaction();
  constructor(
    readonly rng: Rng,
    /** The state the ops generated so far leave. */
    public scratch: StoreModel,
    readonly o: Required<RandomTxOptions>,
  ) {}

  /** Append a valid op (applied to scratch). */
  push(build: (t: Transaction) => void): void {
    const one = new Transaction();
    build(one);
    this.scratch.apply(one); // a generator bug if it throws
    build(this.t);
  }

  colls(): CollectionId[] {
    return this.scratch.listCollections();
  }

  objectsIn(cid: CollectionId): GHObject[] {
    return this.scratch.objects(cid);
  }

  /** An object of cid: mostly an existing one, sometimes any candidate (maybe missing). */
  target(cid: CollectionId, existingChance = 0.7): GHObject {
    const have = this.objectsIn(cid);
    if (have.length > 0 && this.rng.chance(existingChance)) return this.rng.pick(have);
    return this.rng.pick(candidates(this.scratch, cid, this.o.names));
  }

  length(): number {
    const r = this.rng.next();
    if (r < this.o.largeWriteChance) return this.rng.int(1, this.o.writeBytesMax);
    if (r < 0.2) return this.rng.int(1, Math.min(65536, this.o.writeBytesMax));
    if (r < 0.4) return Math.min(this.o.writeBytesMax, 4096 * this.rng.int(1, 4));
    return this.rng.int(1, Math.min(8192, this.o.writeBytesMax));
  }

  offset(size: number, length: number): number {
    const limit = Math.max(0, this.o.objectBytesMax - length);
    const near = Math.max(size, 65536);
    const r = this.rng.next();
    let off: number;
    if (r < 0.35) off = this.rng.int(0, Math.min(size, limit)); // inside or at the end
    else if (r < 0.55) off = 4096 * this.rng.int(0, Math.floor(near / 4096)); // 4 KiB aligned
    else if (r < 0.65) off = size + this.rng.int(-100, 100); // around the end
    else if (r < 0.72) off = size + this.rng.int(1, 131072); // leaves a hole
    else if (r < 0.74) off = 4096 * this.rng.int(0, Math.floor(limit / 4096)); // anywhere
    else off = this.rng.int(0, near);
    return Math.max(0, Math.min(off, limit));
  }

  sizeOf(cid: CollectionId, oid: GHObject): number {
    return this.scratch.exists(cid, oid) ? this.scratch.stat(cid, oid).size : 0;
  }

  value(): Buffer {
    const r = this.rng.next();
    if (r < 0.1) return Buffer.alloc(0);
    if (r < 0.95) return randomBytes(this.rng, this.rng.int(1, 64));
    return randomBytes(this.rng, this.rng.int(65, 5000));
  }

  /** Add one valid op of a random kind; false when the kind does not fit the current state. */
  addValid(kind: OpKind): boolean {
    const rng = this.rng;
    const colls = this.colls();
    if (kind === 'mkcoll' || colls.length === 0) return this.mkcoll();
    const cid = rng.pick(colls);
    if (GROWING.has(kind) && this.scratch.dataBytes() > this.o.dataBytesMax) return this.shrink(cid);
    switch (kind) {
      case 'write': {
        const oid = this.target(cid);
        const len = this.length();
        const off = this.offset(this.sizeOf(cid, oid), len);
        const data = randomBytes(rng, len);
        if (len > 1 && rng.chance(0.2)) {
          const cut = rng.int(1, len - 1);
          this.push((t) => t.write(cid, oid, off, [data.subarray(0, cut), data.subarray(cut)]));
        } else {
          this.push((t) => t.write(cid, oid, off, data));
        }
        return true;
      }
      case 'zero': {
        const oid = this.target(cid);
        const len = rng.chance(0.1) ? 0 : this.length();
        const size = this.sizeOf(cid, oid);
        const off = rng.chance(0.8) ? rng.int(0, Math.min(size, this.o.objectBytesMax - len)) : this.offset(size, len);
        this.push((t) => t.zero(cid, oid, off, len));
        return true;
      }
      case 'truncate': {
        const oid = this.target(cid);
        const size = this.sizeOf(cid, oid);
        const r = rng.next();
        const to = r < 0.65 ? rng.int(0, size) : r < 0.75 ? 0 : Math.min(this.o.objectBytesMax, size + rng.int(1, 131072));
        this.push((t) => t.truncate(cid, oid, to));
        return true;
      }
      case 'touch': {
        const oid = this.target(cid, 0.3);
        this.push((t) => t.touch(cid, oid));
        return true;
      }
      case 'remove': {
        const oid = this.target(cid, 0.8);
        this.push((t) => t.remove(cid, oid));
        return true;
      }
      case 'setattrs': {
        const oid = this.target(cid);
        const m = new Map<string, Buffer>();
        for (let n = rng.int(1, 3); n > 0; n--) m.set(rng.pick(ATTR_NAMES), this.value());
        this.push((t) => t.setattrs(cid, oid, m));
        return true;
      }
      case 'rmattr': {
        const oid = this.target(cid);
        const have = this.scratch.exists(cid, oid) ? [...this.scratch.getattrs(cid, oid).keys()] : [];
        const name = have.length > 0 && rng.chance(0.7) ? rng.pick(have) : rng.pick(ATTR_NAMES);
        this.push((t) => t.rmattr(cid, oid, name));
        return true;
      }
      case 'rmattrs': {
        const oid = this.target(cid);
        this.push((t) => t.rmattrs(cid, oid));
        return true;
      }
      case 'clone': {
        const have = this.objectsIn(cid);
        if (have.length === 0) return false;
        const src = rng.pick(have);
        const dests = variants({ ...src, snap: SNAP_HEAD, generation: -1 }).filter((d) => objectKey(d) !== objectKey(src));
        const dest = rng.pick(dests);
        this.push((t) => t.clone(cid, src, dest));
        return true;
      }
      case 'cloneRange': {
        const have = this.objectsIn(cid);
        if (have.length === 0) return false;
        const src = rng.pick(have);
        const size = this.sizeOf(cid, src);
        const dests = candidates(this.scratch, cid, this.o.names).filter((d) => objectKey(d) !== objectKey(src));
        if (dests.length === 0) return false;
        const dest = rng.chance(0.6) ? rng.pick(dests.filter((d) => d.hash === src.hash).concat(dests[0]!)) : rng.pick(dests);
        const srcOff = rng.int(0, size);
        const len = rng.chance(0.1) ? 0 : Math.min(size - srcOff, this.length());
        const destOff = this.offset(this.sizeOf(cid, dest), len);
        this.push((t) => t.cloneRange(cid, src, dest, srcOff, len, destOff));
        return true;
      }
      case 'omapSetKeys': {
        const oid = this.target(cid);
        const m = new Map<string, Buffer>();
        for (let n = rng.int(1, 6); n > 0; n--) {
          const k = rng.chance(0.7) ? rng.pick(OMAP_KEYS) : `k${rng.int(0, 200).toString().padStart(4, '0')}`;
          m.set(k, this.value());
        }
        this.push((t) => t.omapSetKeys(cid, oid, m));
        return true;
      }
      case 'omapRmKeys': {
        const oid = this.target(cid);
        const have = this.scratch.exists(cid, oid) ? this.scratch.omapKeys(cid, oid) : [];
        const keys: string[] = [];
        for (let n = rng.int(1, 4); n > 0; n--) keys.push(have.length > 0 && rng.chance(0.7) ? rng.pick(have) : rng.pick(OMAP_KEYS));
        this.push((t) => t.omapRmKeys(cid, oid, keys));
        return true;
      }
      case 'omapRmKeyRange': {
        const oid = this.target(cid);
        const have = this.scratch.exists(cid, oid) ? this.scratch.omapKeys(cid, oid) : [];
        const pool = have.length > 0 ? have.concat(OMAP_KEYS) : OMAP_KEYS;
        const a = rng.pick(pool);
        const b = rng.pick(pool);
        const [first, last] = rng.chance(0.85) && compareKeyBytes(a, b) > 0 ? [b, a] : [a, b];
        this.push((t) => t.omapRmKeyRange(cid, oid, first, last));
        return true;
      }
      case 'omapClear': {
        const oid = this.target(cid);
        this.push((t) => t.omapClear(cid, oid));
        return true;
      }
      case 'omapSetHeader': {
        const oid = this.target(cid);
        const h = this.value();
        this.push((t) => t.omapSetHeader(cid, oid, h));
        return true;
      }
      case 'rmcoll': {
        // Empty it first, as a PG removal does (only small ones, so state builds up).
        if (this.objectsIn(cid).length > 3) return false;
        for (const oid of this.objectsIn(cid)) this.push((t) => t.remove(cid, oid));
        this.push((t) => t.removeCollection(cid));
        return true;
      }
      case 'collMoveRename': {
        const have = this.objectsIn(cid);
        if (have.length === 0) return false;
        const src = rng.pick(have);
        const dcids = colls.filter((d) => {
          const p = parseCollection(d)!;
          return cid === META_COLLECTION ? d === META_COLLECTION : p.kind === 'pg' && hashMatches(src.hash, this.scratch.collectionBits(d), p.seed);
        });
        const dcid = rng.pick(dcids);
        const dests = candidates(this.scratch, dcid, this.o.names).filter((d) => !(dcid === cid && objectKey(d) === objectKey(src)));
        if (dests.length === 0) return false;
        const dest = rng.pick(dests);
        this.push((t) => t.collectionMoveRename(cid, src, dcid, dest));
        return true;
      }
      case 'split': {
        const p = parseCollection(cid)!;
        if (p.kind !== 'pg') return false;
        const bits = this.scratch.collectionBits(cid);
        if (bits >= POOL_BITS) return false;
        const childSeed = p.seed + (1 << bits);
        const child = pgCollection(POOL, childSeed);
        if (this.scratch.collectionExists(child)) {
          if (!this.scratch.collectionEmpty(child)) return false;
        } else {
          this.push((t) => t.createCollection(child, bits + 1));
        }
        this.push((t) => t.splitCollection(cid, bits + 1, childSeed, child));
        return true;
      }
      case 'collSetBits': {
        // Only a value that keeps the collection's objects matching it: its current bits.
        const bits = this.scratch.collectionBits(cid);
        this.push((t) => t.collectionSetBits(cid, bits));
        return true;
      }
      default:
        return false;
    }
  }

  /** Cut the largest object of cid down, or remove it. */
  shrink(cid: CollectionId): boolean {
    const have = this.objectsIn(cid);
    if (have.length === 0) return false;
    let big = have[0]!;
    for (const o of have) if (this.sizeOf(cid, o) > this.sizeOf(cid, big)) big = o;
    if (this.rng.chance(0.5)) this.push((t) => t.remove(cid, big));
    else this.push((t) => t.truncate(cid, big, this.rng.int(0, Math.floor(this.sizeOf(cid, big) / 8))));
    return true;
  }

  mkcoll(): boolean {
    const missing: [CollectionId, number][] = [];
    if (!this.scratch.collectionExists(META_COLLECTION)) missing.push([META_COLLECTION, 0]);
    for (const s of ALL_PG_SEEDS) {
      const cid = pgCollection(POOL, s);
      if (!this.scratch.collectionExists(cid)) missing.push([cid, naturalBits(s)]);
    }
    if (missing.length === 0) return false;
    const [cid, bits] = this.rng.pick(missing);
    this.push((t) => t.createCollection(cid, bits));
    return true;
  }

  /** Add one op that must fail; it is not applied to scratch. */
  addInvalid(): void {
    const rng = this.rng;
    const colls = this.colls();
    const cid = colls.length > 0 ? rng.pick(colls) : META_COLLECTION;
    const oid = colls.length > 0 ? this.target(cid) : META_OBJECTS[0]!;
    const missingColl = pgCollection(POOL + 1, rng.int(0, 3));
    const t = new Transaction();
    const choices: (() => void)[] = [
      () => t.write(missingColl, oid, 0, Buffer.from('x')),
      () => t.touch(missingColl, oid),
      () => t.setattr(missingColl, oid, 'a', Buffer.from('v')),
      () => t.removeCollection(missingColl),
      () => t.write(cid, oid, -1, Buffer.from('x')),
      () => t.write(cid, oid, 1.5, Buffer.from('x')),
      () => t.write(cid, oid, OBJECT_SIZE_MAX - 2, Buffer.from('xyzw')),
      () => t.zero(cid, oid, 0, -5),
      () => t.truncate(cid, oid, OBJECT_SIZE_MAX + 1),
      () => t.createCollection('not-a-collection', 1),
      () => t.createCollection(pgCollection(POOL + 2, 0), 33),
      () => t.setattr(cid, oid, 'n'.repeat(NAME_BYTES_MAX + 1), Buffer.alloc(1)),
      () => t.omapSetKeys(cid, oid, new Map([['k'.repeat(NAME_BYTES_MAX + 1), Buffer.alloc(1)]])),
      () => t.collectionSetBits(cid, 40),
      () => t.splitCollection(cid, 2, 1, missingColl),
    ];
    if (colls.length > 0) {
      choices.push(() => t.createCollection(cid, 1));
      const missingObj = candidates(this.scratch, cid, this.o.names).find((c) => !this.scratch.exists(cid, c));
      if (missingObj) {
        choices.push(() => t.clone(cid, missingObj, oid));
        choices.push(() => t.cloneRange(cid, missingObj, oid, 0, 1, 0));
        choices.push(() => t.collectionMoveRename(cid, missingObj, cid, oid));
      }
      const have = this.objectsIn(cid);
      if (have.length > 0) {
        const src = rng.pick(have);
        const size = this.sizeOf(cid, src);
        const other = candidates(this.scratch, cid, this.o.names).find((c) => c.hash !== src.hash);
        choices.push(() => t.removeCollection(cid));
        choices.push(() => t.cloneRange(cid, src, { ...src, snap: 99 }, size, 1, 0));
        choices.push(() => t.clone(cid, src, src));
        if (other) choices.push(() => t.clone(cid, src, other));
      }
    }
    rng.pick(choices)();
    const check = this.scratch.clone();
    try {
      check.apply(t);
    } catch {
      this.t.ops.push(...t.ops);
      this.t.dataBytes += t.dataBytes;
    }
  }
}

/**
 * A random transaction valid against `model` (and, with opts.invalidChance, sometimes one carrying an op
 * that must fail, so the whole transaction is rejected). Deterministic for the rng's state and the
 * model's contents. The model is not changed.
 */
export function randomTransaction(rng: Rng, model: StoreModel, opts: RandomTxOptions = {}): Transaction {
  const merged: Required<RandomTxOptions> = { ...DEFAULTS, ...opts };
  const o = { ...merged, writeBytesMax: Math.max(1, Math.min(merged.writeBytesMax, merged.objectBytesMax)) };
  const g = new Gen(rng, model.clone(), o);
  const n = rng.int(1, Math.max(1, o.opsMax));
  const invalidAt = rng.chance(o.invalidChance) ? rng.int(0, n - 1) : -1;
  for (let i = 0; i < n; i++) {
    if (i === invalidAt) {
      g.addInvalid();
      continue;
    }
    for (let tries = 0; tries < 5; tries++) if (g.addValid(pickKind(rng))) break;
  }
  if (g.t.empty && !g.mkcoll()) {
    const cid = g.colls()[0]!;
    g.push((t) => t.touch(cid, candidates(g.scratch, cid, o.names)[0]!));
  }
  return g.t;
}

// ---------------------------------------------------------------------------------------------------
// Comparing a store with the model

function hexAround(b: Buffer, at: number): string {
  return b.subarray(Math.max(0, at - 4), at + 12).toString('hex');
}

function describeBufferDiff(store: Buffer, model: Buffer): string | undefined {
  if (store.equals(model)) return undefined;
  const n = Math.min(store.length, model.length);
  let i = 0;
  while (i < n && store[i] === model[i]) i++;
  if (i === n) return `lengths differ: store ${store.length}, model ${model.length}`;
  return `first difference at byte ${i} (store ${hexAround(store, i)}, model ${hexAround(model, i)} from byte ${Math.max(0, i - 4)}); lengths store ${store.length}, model ${model.length}`;
}

function mapText(m: Map<string, Buffer>): string {
  return [...m].map(([k, v]) => `${JSON.stringify(k)}=${v.length > 24 ? `${v.subarray(0, 24).toString('hex')}..(${v.length})` : v.toString('hex')}`).join(', ');
}

/** Compare two maps; `ordered` when the store's iteration order must be the model's (byte order). */
function compareMaps(what: string, store: Map<string, Buffer>, model: Map<string, Buffer>, ordered = true): void {
  const sk = ordered ? [...store.keys()] : [...store.keys()].sort(compareKeyBytes);
  const mk = [...model.keys()];
  if (sk.length !== mk.length || sk.some((k, i) => k !== mk[i])) {
    throw new Error(`${what}: keys differ: store [${sk.map((k) => JSON.stringify(k)).join(', ')}], model [${mk.map((k) => JSON.stringify(k)).join(', ')}]`);
  }
  for (const k of mk) {
    const d = describeBufferDiff(store.get(k)!, model.get(k)!);
    if (d) throw new Error(`${what}: value of ${JSON.stringify(k)} differs: ${d}`);
  }
}

/** Page sizes compareStoreToModel uses (small, to exercise the cursors). */
const LIST_PAGE = 5;
const OMAP_PAGE = 4;

/**
 * Read everything from `store` and compare it with `model`: collections, their bits and emptiness,
 * listings (whole and in small pages), and each object's stat, data, attrs, omap header and entries
 * (whole and in small pages). Throws an Error naming the first difference, prefixed with `label`.
 */
export async function compareStoreToModel(store: ObjectStore, model: StoreModel, label: string): Promise<void> {
  const where = (s: string): string => `${label}: ${s}`;
  const sc = (await store.listCollections()).slice().sort(compareKeyBytes);
  const mc = model.listCollections();
  if (sc.join('\n') !== mc.join('\n')) throw new Error(where(`collections differ: store [${sc.join(', ')}], model [${mc.join(', ')}]`));
  for (const cid of mc) {
    if (!(await store.collectionExists(cid))) throw new Error(where(`collectionExists(${cid}) is false`));
    const sb = await store.collectionBits(cid);
    if (sb !== model.collectionBits(cid)) throw new Error(where(`collection ${cid} bits: store ${sb}, model ${model.collectionBits(cid)}`));
    const want = model.objects(cid);
    const se = await store.collectionEmpty(cid);
    if (se !== (want.length === 0)) throw new Error(where(`collectionEmpty(${cid}): store ${se}, model has ${want.length} objects`));
    const whole = await store.listObjects(cid, undefined, undefined, PAGE_ENTRIES_MAX);
    compareListing(where(`listing of ${cid}`), whole.objects, want);
    if (whole.next !== undefined) throw new Error(where(`listing of ${cid}: next cursor ${objectText(whole.next)} after a complete listing`));
    // In small pages through the cursor.
    const paged: GHObject[] = [];
    let cursor: GHObject | undefined;
    for (let pages = 0; ; pages++) {
      if (pages > want.length + 2) throw new Error(where(`listing of ${cid} in pages of ${LIST_PAGE} does not end`));
      const page = await store.listObjects(cid, cursor, undefined, LIST_PAGE);
      if (page.objects.length > LIST_PAGE) throw new Error(where(`listing page of ${cid} has ${page.objects.length} objects (max ${LIST_PAGE})`));
      paged.push(...page.objects);
      if (!page.next) break;
      if (page.objects.length < LIST_PAGE) throw new Error(where(`listing page of ${cid} has ${page.objects.length} < ${LIST_PAGE} objects but a next cursor`));
      cursor = page.next;
    }
    compareListing(where(`paged listing of ${cid}`), paged, want);
    for (const oid of want) await compareObject(store, model, cid, oid, where);
  }
}

function compareListing(what: string, got: GHObject[], want: GHObject[]): void {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const g = got[i];
    const w = want[i];
    if (!g || !w || compareObjects(g, w) !== 0 || objectKey(g) !== objectKey(w)) {
      throw new Error(`${what}: entry ${i} is ${g ? objectText(g) : 'missing'}, model has ${w ? objectText(w) : 'none'} (store ${got.length} objects, model ${want.length})`);
    }
  }
}

async function compareObject(store: ObjectStore, model: StoreModel, cid: CollectionId, oid: GHObject, where: (s: string) => string): Promise<void> {
  const name = `${cid} ${objectText(oid)}`;
  if (!(await store.exists(cid, oid))) throw new Error(where(`${name}: exists() is false`));
  const st = await store.stat(cid, oid);
  const size = model.stat(cid, oid).size;
  if (st.size !== size) throw new Error(where(`${name}: size store ${st.size}, model ${size}`));
  const data = await store.read(cid, oid, 0, 0);
  const d = describeBufferDiff(data, model.read(cid, oid, 0, 0));
  if (d) throw new Error(where(`${name}: data differs: ${d}`));
  compareMaps(where(`${name} attrs`), await store.getattrs(cid, oid), model.getattrs(cid, oid), false);
  for (const k of model.getattrs(cid, oid).keys()) {
    const dv = describeBufferDiff(await store.getattr(cid, oid, k), model.getattr(cid, oid, k));
    if (dv) throw new Error(where(`${name}: getattr ${JSON.stringify(k)} differs: ${dv}`));
  }
  const h = describeBufferDiff(await store.omapGetHeader(cid, oid), model.omapGetHeader(cid, oid));
  if (h) throw new Error(where(`${name}: omap header differs: ${h}`));
  const keys = model.omapKeys(cid, oid);
  const whole = await store.omapIterate(cid, oid, undefined, PAGE_ENTRIES_MAX);
  const wantAll = model.omapGetValues(cid, oid, keys);
  compareMaps(where(`${name} omap`), new Map(whole.entries), wantAll);
  if (whole.more) throw new Error(where(`${name}: omap iterate says more after all ${keys.length} keys`));
  const paged: [string, Buffer][] = [];
  let after: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages > keys.length + 2) throw new Error(where(`${name}: omap iterate in pages of ${OMAP_PAGE} does not end`));
    const page = await store.omapIterate(cid, oid, after, OMAP_PAGE);
    if (page.entries.length > OMAP_PAGE) throw new Error(where(`${name}: omap page of ${page.entries.length} entries (max ${OMAP_PAGE})`));
    paged.push(...page.entries);
    if (!page.more) break;
    if (page.entries.length === 0) throw new Error(where(`${name}: empty omap page that says more`));
    after = page.entries[page.entries.length - 1]![0];
  }
  compareMaps(where(`${name} paged omap`), new Map(paged), wantAll);
  if (paged.length !== keys.length) throw new Error(where(`${name}: paged omap returned ${paged.length} entries, model ${keys.length} (${mapText(new Map(paged))})`));
  const probe = keys.filter((_, i) => i % 2 === 0).concat(['\u0000missing-key']);
  compareMaps(where(`${name} omapGetValues`), await store.omapGetValues(cid, oid, probe), model.omapGetValues(cid, oid, probe));
}
