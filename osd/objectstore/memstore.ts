// MemStore: the ObjectStore contract held in memory, for simulations and tests (Ceph's src/os/memstore
// plays the same part). Transactions are checked whole against a shadow of the state they change
// (collections, object existence and sizes) before anything is applied, so a rejected transaction
// leaves no trace; then they are applied in the order queueTransaction was called. Contents live in the
// instance: umount and mount again in the same process see them; nothing survives the process.
//
// Pure core: no timers, files or process state.

import { assert, CephError, type ErrnoName } from '../../common/errors.js';
import { hashMatches, isBits, isCount, txOpFormProblem } from './validate.js';
import { compareStringBytes } from '../../common/encoding.js';
import {
  compareObjects,
  OBJECT_SIZE_MAX,
  objectText,
  PAGE_ENTRIES_MAX,
  parseCollection,
  TX_DATA_BYTES_MAX,
  TX_OPS_MAX,
  type CollectionId,
  type FsckProblem,
  type FsckReport,
  type GHObject,
  type ListResult,
  type ObjectStat,
  type ObjectStore,
  type OmapPage,
  type StoreMemory,
  type StoreStatfs,
  type Transaction,
  type TxOp,
} from './types.js';

/** Device size statfs reports by default (MemStore has no device; this is its notional capacity). */
export const MEMSTORE_TOTAL_BYTES_DEFAULT = 64 * 1024 * 1024 * 1024;
/** Bytes counted per object for its bookkeeping in memory() (identity, maps, headers). */
const OBJECT_OVERHEAD_BYTES = 256;
/** Bytes counted per attr or omap entry beyond its key and value. */
const ENTRY_OVERHEAD_BYTES = 48;
/** A data buffer keeps at most this much spare capacity when it grows (amortises appends). */
const DATA_SLACK_BYTES_MAX = 1024 * 1024;

export interface MemStoreOptions {
  /** The capacity statfs reports. */
  readonly totalBytes?: number;
  /** The cap memory() reports (MemStore holds everything; it does not evict). */
  readonly cacheBytesMax?: number;
}

interface MemObject {
  oid: GHObject;
  /** Bytes [0, size) are the object's data; [size, data.length) are always zero. */
  data: Buffer;
  size: number;
  attrs: Map<string, Buffer>;
  header: Buffer;
  omap: Map<string, Buffer>;
  /** omap keys in byte order; undefined when a key was added or removed since it was built. */
  omapSorted: string[] | undefined;
}

interface MemCollection {
  readonly cid: CollectionId;
  bits: number;
  objects: Map<string, MemObject>;
  /** objects in compareObjects order; undefined when one was added or removed since it was built. */
  sorted: MemObject[] | undefined;
}

/** A unique key per ghobject: every field compareObjects looks at, strings length-prefixed. */
function keyOf(o: GHObject): string {
  return `${o.shard}/${o.pool}/${o.hash >>> 0}/${o.snap}/${o.generation}/${o.nspace.length}:${o.nspace}${o.key.length}:${o.key}${o.oid}`;
}

function copyObjectId(o: GHObject): GHObject {
  return { pool: o.pool, nspace: o.nspace, oid: o.oid, key: o.key, hash: o.hash >>> 0, snap: o.snap, generation: o.generation, shard: o.shard };
}

function copyBufferMap(m: ReadonlyMap<string, Buffer>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of m) out.set(k, Buffer.from(v));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The check pass: a shadow of what the transaction's earlier ops leave (collections, their bits, which
// objects exist and their sizes), over the real state, without copying it.

interface ShadowObject {
  readonly oid: GHObject;
  size: number;
}

interface ShadowCollection {
  /** The real collection under this shadow; undefined when the transaction created it. */
  readonly base: MemCollection | undefined;
  /** Objects changed by the transaction; null = removed. */
  readonly delta: Map<string, ShadowObject | null>;
  count: number;
}

class Shadow {
  /** Collections the transaction touched; null = removed. */
  private readonly colls = new Map<CollectionId, ShadowCollection | null>();
  constructor(private readonly real: Map<CollectionId, MemCollection>) {}

  coll(cid: CollectionId): ShadowCollection | undefined {
    const s = this.colls.get(cid);
    if (s !== undefined) return s ?? undefined;
    const base = this.real.get(cid);
    if (!base) return undefined;
    const sc: ShadowCollection = { base, delta: new Map(), count: base.objects.size };
    this.colls.set(cid, sc);
    return sc;
  }
  create(cid: CollectionId): void {
    this.colls.set(cid, { base: undefined, delta: new Map(), count: 0 });
  }
  removeColl(cid: CollectionId): void {
    this.colls.set(cid, null);
  }
  get(sc: ShadowCollection, key: string): ShadowObject | undefined {
    const d = sc.delta.get(key);
    if (d !== undefined) return d ?? undefined;
    const o = sc.base?.objects.get(key);
    return o ? { oid: o.oid, size: o.size } : undefined;
  }
  set(sc: ShadowCollection, key: string, oid: GHObject, size: number): void {
    if (!this.get(sc, key)) sc.count++;
    sc.delta.set(key, { oid, size });
  }
  /** Create the object when missing; returns it. */
  touch(sc: ShadowCollection, key: string, oid: GHObject): ShadowObject {
    const o = this.get(sc, key);
    if (o) return o;
    this.set(sc, key, oid, 0);
    return sc.delta.get(key)!;
  }
  grow(sc: ShadowCollection, key: string, oid: GHObject, end: number): void {
    const o = this.get(sc, key);
    this.set(sc, key, oid, Math.max(o?.size ?? 0, end));
  }
  remove(sc: ShadowCollection, key: string): void {
    if (!this.get(sc, key)) return;
    sc.count--;
    sc.delta.set(key, null);
  }
  /** Every object of the shadow collection. */
  *members(sc: ShadowCollection): Iterable<[string, ShadowObject]> {
    for (const [k, d] of sc.delta) if (d) yield [k, d];
    if (sc.base) for (const [k, o] of sc.base.objects) if (!sc.delta.has(k)) yield [k, { oid: o.oid, size: o.size }];
  }
}

function reject(code: ErrnoName, i: number, op: TxOp, what: string): never {
  throw new CephError(code, `transaction rejected at op ${i} (${op.op}): ${what}`);
}

/** Throws the CephError of the first op that cannot apply, given the ops before it. */
function checkTransaction(t: Transaction, real: Map<CollectionId, MemCollection>): void {
  if (t.ops.length > TX_OPS_MAX) throw new CephError('E2BIG', `transaction of ${t.ops.length} ops (limit ${TX_OPS_MAX})`);
  let dataBytes = 0;
  for (const op of t.ops) if (op.op === 'write') dataBytes += op.length;
  if (dataBytes > TX_DATA_BYTES_MAX) throw new CephError('E2BIG', `transaction of ${dataBytes} data bytes (limit ${TX_DATA_BYTES_MAX})`);
  const sh = new Shadow(real);
  for (let i = 0; i < t.ops.length; i++) checkOp(sh, t.ops[i]!, i);
}

function checkOp(sh: Shadow, op: TxOp, i: number): void {
  // The op's own form (shared with BlockStore), then its collection, then its rules against the state.
  const problem = txOpFormProblem(op);
  if (problem) reject('EINVAL', i, op, problem);
  if (op.op === 'mkcoll') {
    if (sh.coll(op.cid)) reject('EEXIST', i, op, `collection ${op.cid} exists`);
    sh.create(op.cid);
    return;
  }
  const sc = sh.coll(op.cid);
  if (!sc) reject('ENOENT', i, op, `no collection ${op.cid}`);
  // Its effect on the shadow.
  switch (op.op) {
    case 'touch':
    case 'setattrs':
    case 'omapSetKeys':
    case 'omapSetHeader':
      sh.touch(sc, keyOf(op.oid), op.oid);
      return;
    case 'write':
      sh.grow(sc, keyOf(op.oid), op.oid, op.length === 0 ? 0 : op.offset + op.length);
      return;
    case 'zero':
      sh.grow(sc, keyOf(op.oid), op.oid, op.offset + op.length);
      return;
    case 'truncate': {
      const key = keyOf(op.oid);
      if (sh.get(sc, key)) sh.set(sc, key, op.oid, op.size);
      return;
    }
    case 'remove':
      sh.remove(sc, keyOf(op.oid));
      return;
    case 'rmattr':
    case 'rmattrs':
    case 'omapClear':
    case 'omapRmKeys':
    case 'omapRmKeyRange':
      return;
    case 'clone': {
      const src = sh.get(sc, keyOf(op.oid));
      if (!src) reject('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
      if (keyOf(op.oid) === keyOf(op.dest)) reject('EINVAL', i, op, 'clone onto itself');
      if (op.oid.hash >>> 0 !== op.dest.hash >>> 0) reject('EINVAL', i, op, 'clone to an object of another hash');
      sh.set(sc, keyOf(op.dest), op.dest, src.size);
      return;
    }
    case 'cloneRange': {
      const src = sh.get(sc, keyOf(op.oid));
      if (!src) reject('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
      if (keyOf(op.oid) === keyOf(op.dest)) reject('EINVAL', i, op, 'clone range onto itself');
      if (op.srcOffset + op.length > src.size) reject('EINVAL', i, op, `source range ${op.srcOffset}~${op.length} past its size ${src.size}`);
      sh.grow(sc, keyOf(op.dest), op.dest, op.length === 0 ? 0 : op.destOffset + op.length);
      return;
    }
    case 'rmcoll':
      if (sc.count > 0) reject('ENOTEMPTY', i, op, `collection ${op.cid} holds ${sc.count} objects`);
      sh.removeColl(op.cid);
      return;
    case 'collMoveRename': {
      const dc = sh.coll(op.destCid);
      if (!dc) reject('ENOENT', i, op, `no collection ${op.destCid}`);
      const key = keyOf(op.oid);
      const src = sh.get(sc, key);
      if (!src) reject('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
      sh.remove(sc, key);
      sh.set(dc, keyOf(op.dest), op.dest, src.size);
      return;
    }
    case 'splitCollection': {
      const dc = sh.coll(op.destCid);
      if (!dc) reject('ENOENT', i, op, `no collection ${op.destCid}`);
      const moving = [...sh.members(sc)].filter(([, o]) => hashMatches(o.oid.hash, op.bits, op.rem));
      for (const [k, o] of moving) {
        sh.remove(sc, k);
        sh.set(dc, k, o.oid, o.size);
      }
      return;
    }
    case 'collSetBits':
      return;
  }
}

// ---------------------------------------------------------------------------------------------------

export class MemStore implements ObjectStore {
  readonly type = 'memstore';
  private colls = new Map<CollectionId, MemCollection>();
  private mounted = false;
  private readonly totalBytes: number;
  private readonly cacheBytesMax: number;
  // Running totals, checked by fsck.
  private storedBytes = 0;
  private capacityBytes = 0;
  private metaBytes = 0;
  private objectCount = 0;

  constructor(opts: MemStoreOptions = {}) {
    this.totalBytes = opts.totalBytes ?? MEMSTORE_TOTAL_BYTES_DEFAULT;
    this.cacheBytesMax = opts.cacheBytesMax ?? this.totalBytes;
  }

  async mkfs(): Promise<void> {
    assert(!this.mounted, 'mkfs of a mounted MemStore');
    this.colls = new Map();
    this.storedBytes = 0;
    this.capacityBytes = 0;
    this.metaBytes = 0;
    this.objectCount = 0;
  }

  async mount(): Promise<void> {
    assert(!this.mounted, 'MemStore mounted twice');
    this.mounted = true;
  }

  async umount(): Promise<void> {
    assert(this.mounted, 'umount of a MemStore that is not mounted');
    this.mounted = false;
  }

  private live(): void {
    assert(this.mounted, 'MemStore used while not mounted');
  }

  /**
   * A new, unmounted MemStore holding a deep copy of this one's contents as they are now: every
   * transaction queued so far, none after. A simulation's "kill -9": the killed OSD keeps the old
   * instance (whatever it still does there is lost with the process), the restarted one mounts the copy.
   */
  clone(): MemStore {
    const c = new MemStore({ totalBytes: this.totalBytes, cacheBytesMax: this.cacheBytesMax });
    for (const [cid, coll] of this.colls) {
      const objects = new Map<string, MemObject>();
      for (const [key, o] of coll.objects) {
        objects.set(key, {
          oid: copyObjectId(o.oid), data: Buffer.from(o.data), size: o.size, attrs: copyBufferMap(o.attrs), header: Buffer.from(o.header),
          omap: copyBufferMap(o.omap), omapSorted: undefined,
        });
      }
      c.colls.set(cid, { cid: coll.cid, bits: coll.bits, objects, sorted: undefined });
    }
    c.storedBytes = this.storedBytes;
    c.capacityBytes = this.capacityBytes;
    c.metaBytes = this.metaBytes;
    c.objectCount = this.objectCount;
    return c;
  }

  async queueTransaction(t: Transaction): Promise<void> {
    this.live();
    checkTransaction(t, this.colls);
    for (let i = 0; i < t.ops.length; i++) this.applyOp(t.ops[i]!);
  }

  // ---- reads

  async listCollections(): Promise<CollectionId[]> {
    this.live();
    return [...this.colls.keys()].sort(compareStringBytes);
  }

  async collectionExists(cid: CollectionId): Promise<boolean> {
    this.live();
    return this.colls.has(cid);
  }

  async collectionBits(cid: CollectionId): Promise<number> {
    return this.needColl(cid).bits;
  }

  async collectionEmpty(cid: CollectionId): Promise<boolean> {
    return this.needColl(cid).objects.size === 0;
  }

  async listObjects(cid: CollectionId, start: GHObject | undefined, end: GHObject | undefined, max: number): Promise<ListResult> {
    const c = this.needColl(cid);
    if (!isCount(max)) throw new CephError('EINVAL', `bad listing max ${max}`);
    const limit = Math.min(max, PAGE_ENTRIES_MAX);
    const sorted = sortedObjects(c);
    let lo = 0;
    if (start) {
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareObjects(sorted[mid]!.oid, start) < 0) lo = mid + 1;
        else hi = mid;
      }
    }
    const objects: GHObject[] = [];
    let i = lo;
    for (; i < sorted.length && objects.length < limit; i++) {
      const o = sorted[i]!.oid;
      if (end && compareObjects(o, end) >= 0) break;
      objects.push(copyObjectId(o));
    }
    const after = sorted[i];
    const next = after && (!end || compareObjects(after.oid, end) < 0) ? copyObjectId(after.oid) : undefined;
    return { objects, next };
  }

  async exists(cid: CollectionId, oid: GHObject): Promise<boolean> {
    return this.needColl(cid).objects.has(keyOf(oid));
  }

  async stat(cid: CollectionId, oid: GHObject): Promise<ObjectStat> {
    const o = this.needObject(cid, oid);
    return { size: o.size, allocated: o.size };
  }

  async read(cid: CollectionId, oid: GHObject, offset: number, length: number): Promise<Buffer> {
    const o = this.needObject(cid, oid);
    if (!isCount(offset) || !isCount(length)) throw new CephError('EINVAL', `bad read extent ${offset}~${length} of ${objectText(oid)}`);
    if (offset >= o.size) return Buffer.alloc(0);
    const end = length === 0 ? o.size : Math.min(o.size, offset + length);
    return Buffer.from(o.data.subarray(offset, end));
  }

  async getattr(cid: CollectionId, oid: GHObject, name: string): Promise<Buffer> {
    const v = this.needObject(cid, oid).attrs.get(name);
    if (!v) throw new CephError('ENODATA', `no attr ${JSON.stringify(name)} on ${objectText(oid)} in ${cid}`);
    return Buffer.from(v);
  }

  async getattrs(cid: CollectionId, oid: GHObject): Promise<Map<string, Buffer>> {
    const o = this.needObject(cid, oid);
    const names = [...o.attrs.keys()].sort(compareStringBytes);
    return new Map(names.map((n) => [n, Buffer.from(o.attrs.get(n)!)]));
  }

  async omapGetHeader(cid: CollectionId, oid: GHObject): Promise<Buffer> {
    return Buffer.from(this.needObject(cid, oid).header);
  }

  async omapGetValues(cid: CollectionId, oid: GHObject, keys: readonly string[]): Promise<Map<string, Buffer>> {
    const o = this.needObject(cid, oid);
    const found = [...new Set(keys)].filter((k) => o.omap.has(k)).sort(compareStringBytes);
    return new Map(found.map((k) => [k, Buffer.from(o.omap.get(k)!)]));
  }

  async omapIterate(cid: CollectionId, oid: GHObject, after: string | undefined, max: number): Promise<OmapPage> {
    const o = this.needObject(cid, oid);
    if (!isCount(max)) throw new CephError('EINVAL', `bad omap page max ${max}`);
    const keys = sortedKeys(o);
    let lo = 0;
    if (after !== undefined) {
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareStringBytes(keys[mid]!, after) <= 0) lo = mid + 1;
        else hi = mid;
      }
    }
    const hi = Math.min(keys.length, lo + Math.min(max, PAGE_ENTRIES_MAX));
    const entries: [string, Buffer][] = [];
    for (let i = lo; i < hi; i++) entries.push([keys[i]!, Buffer.from(o.omap.get(keys[i]!)!)]);
    return { entries, more: hi < keys.length };
  }

  async statfs(): Promise<StoreStatfs> {
    this.live();
    return {
      total: this.totalBytes,
      available: Math.max(0, this.totalBytes - this.storedBytes),
      allocated: this.storedBytes,
      stored: this.storedBytes,
      metadata: this.metaBytes,
    };
  }

  memory(): StoreMemory {
    const cacheBytes = this.capacityBytes + this.metaBytes;
    return {
      cacheBytes,
      cacheBytesMax: this.cacheBytesMax,
      cachedObjects: this.objectCount,
      bytesPerObject: this.objectCount === 0 ? 0 : cacheBytes / this.objectCount,
    };
  }

  async fsck(repair = false): Promise<FsckReport> {
    this.live();
    const problems: FsckProblem[] = [];
    const problem = (kind: string, message: string): void => {
      problems.push({ kind, message, repairable: false });
    };
    let stored = 0;
    let capacity = 0;
    let meta = 0;
    let objects = 0;
    for (const [cid, c] of this.colls) {
      const p = parseCollection(cid);
      if (!p) problem('metadata', `collection ${JSON.stringify(cid)} has a malformed name`);
      if (c.cid !== cid) problem('metadata', `collection ${cid} is filed as ${c.cid}`);
      if (!isBits(c.bits)) problem('metadata', `collection ${cid} has bits ${c.bits}`);
      for (const [key, o] of c.objects) {
        objects++;
        if (keyOf(o.oid) !== key) problem('metadata', `object ${objectText(o.oid)} of ${cid} is filed under another name`);
        if (p && p.kind !== 'meta' && !hashMatches(o.oid.hash, c.bits, p.seed)) {
          problem('metadata', `object ${objectText(o.oid)} of ${cid} has a hash outside the collection (bits ${c.bits}, seed ${p.seed.toString(16)})`);
        }
        if (o.size > o.data.length || o.size > OBJECT_SIZE_MAX) problem('metadata', `object ${objectText(o.oid)} of ${cid}: size ${o.size} past its buffer`);
        else if (o.data.subarray(o.size).some((b) => b !== 0)) problem('metadata', `object ${objectText(o.oid)} of ${cid}: bytes past its size are not zero`);
        if (o.omapSorted && o.omapSorted.length !== o.omap.size) problem('metadata', `object ${objectText(o.oid)} of ${cid}: omap key index out of step`);
        stored += o.size;
        capacity += o.data.length;
        meta += objectMetaBytes(o);
      }
      if (c.sorted && c.sorted.length !== c.objects.size) problem('metadata', `collection ${cid}: listing index out of step`);
    }
    if (stored !== this.storedBytes) problem('leak', `stored bytes counted ${this.storedBytes}, objects hold ${stored}`);
    if (capacity !== this.capacityBytes) problem('leak', `buffer bytes counted ${this.capacityBytes}, objects hold ${capacity}`);
    if (meta !== this.metaBytes) problem('leak', `metadata bytes counted ${this.metaBytes}, objects hold ${meta}`);
    if (objects !== this.objectCount) problem('leak', `objects counted ${this.objectCount}, collections hold ${objects}`);
    void repair; // nothing MemStore finds is safe to repair
    return { errors: problems.length, repaired: 0, problems, objects, collections: this.colls.size };
  }

  // ---- private: lookups

  private needColl(cid: CollectionId): MemCollection {
    this.live();
    const c = this.colls.get(cid);
    if (!c) throw new CephError('ENOENT', `no collection ${cid}`);
    return c;
  }

  private needObject(cid: CollectionId, oid: GHObject): MemObject {
    const o = this.needColl(cid).objects.get(keyOf(oid));
    if (!o) throw new CephError('ENOENT', `no object ${objectText(oid)} in ${cid}`);
    return o;
  }

  // ---- private: applying checked ops (a failure here is a bug in the check pass)

  private applyOp(op: TxOp): void {
    if (op.op === 'mkcoll') {
      assert(!this.colls.has(op.cid), `mkcoll ${op.cid} passed its check but exists`);
      this.colls.set(op.cid, { cid: op.cid, bits: op.bits, objects: new Map(), sorted: [] });
      return;
    }
    const c = this.colls.get(op.cid);
    assert(c, `${op.op} on ${op.cid} passed its check but the collection is missing`);
    switch (op.op) {
      case 'touch':
        this.obtain(c, op.oid);
        return;
      case 'write': {
        const o = this.obtain(c, op.oid);
        if (op.length === 0) return;
        this.ensureSize(o, op.offset + op.length);
        let at = op.offset;
        for (const b of op.data) {
          b.copy(o.data, at);
          at += b.length;
        }
        return;
      }
      case 'zero': {
        const o = this.obtain(c, op.oid);
        const end = op.offset + op.length;
        if (op.offset < o.size) o.data.fill(0, op.offset, Math.min(end, o.size));
        this.ensureSize(o, end);
        return;
      }
      case 'truncate': {
        const o = c.objects.get(keyOf(op.oid));
        if (o) this.setSize(o, op.size);
        return;
      }
      case 'remove': {
        const key = keyOf(op.oid);
        const o = c.objects.get(key);
        if (o) this.drop(c, key, o);
        return;
      }
      case 'setattrs': {
        const o = this.obtain(c, op.oid);
        for (const [k, v] of op.attrs) this.setEntry(o.attrs, k, v);
        return;
      }
      case 'rmattr': {
        const o = c.objects.get(keyOf(op.oid));
        if (o) this.deleteEntry(o.attrs, op.name);
        return;
      }
      case 'rmattrs': {
        const o = c.objects.get(keyOf(op.oid));
        if (o) for (const k of [...o.attrs.keys()]) this.deleteEntry(o.attrs, k);
        return;
      }
      case 'clone': {
        const src = c.objects.get(keyOf(op.oid));
        assert(src, 'clone source passed its check but is missing');
        const dest = this.obtain(c, op.dest);
        this.setSize(dest, 0);
        this.ensureSize(dest, src.size);
        src.data.copy(dest.data, 0, 0, src.size);
        for (const k of [...dest.attrs.keys()]) this.deleteEntry(dest.attrs, k);
        for (const [k, v] of src.attrs) this.setEntry(dest.attrs, k, v);
        this.clearOmap(dest);
        this.setHeader(dest, src.header);
        for (const [k, v] of src.omap) this.setOmap(dest, k, v);
        return;
      }
      case 'cloneRange': {
        const src = c.objects.get(keyOf(op.oid));
        assert(src && op.srcOffset + op.length <= src.size, 'clone range source passed its check but is short');
        const dest = this.obtain(c, op.dest);
        if (op.length === 0) return;
        this.ensureSize(dest, op.destOffset + op.length);
        src.data.copy(dest.data, op.destOffset, op.srcOffset, op.srcOffset + op.length);
        return;
      }
      case 'omapClear': {
        const o = c.objects.get(keyOf(op.oid));
        if (o) {
          this.clearOmap(o);
          this.setHeader(o, Buffer.alloc(0));
        }
        return;
      }
      case 'omapSetKeys': {
        const o = this.obtain(c, op.oid);
        for (const [k, v] of op.entries) this.setOmap(o, k, v);
        return;
      }
      case 'omapRmKeys': {
        const o = c.objects.get(keyOf(op.oid));
        if (o) for (const k of op.keys) this.deleteOmap(o, k);
        return;
      }
      case 'omapRmKeyRange': {
        const o = c.objects.get(keyOf(op.oid));
        if (!o || compareStringBytes(op.first, op.last) >= 0) return;
        const keys = sortedKeys(o);
        let lo = 0;
        let hi = keys.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compareStringBytes(keys[mid]!, op.first) < 0) lo = mid + 1;
          else hi = mid;
        }
        const doomed: string[] = [];
        for (let i = lo; i < keys.length && compareStringBytes(keys[i]!, op.last) < 0; i++) doomed.push(keys[i]!);
        for (const k of doomed) this.deleteOmap(o, k);
        return;
      }
      case 'omapSetHeader':
        this.setHeader(this.obtain(c, op.oid), op.header);
        return;
      case 'rmcoll':
        assert(c.objects.size === 0, `rmcoll ${op.cid} passed its check but holds objects`);
        this.colls.delete(op.cid);
        return;
      case 'collMoveRename': {
        const dc = this.colls.get(op.destCid);
        const key = keyOf(op.oid);
        const o = c.objects.get(key);
        assert(dc && o, 'collection move passed its check but a side is missing');
        c.objects.delete(key);
        c.sorted = undefined;
        const destKey = keyOf(op.dest);
        const old = dc.objects.get(destKey);
        if (old) this.drop(dc, destKey, old);
        o.oid = copyObjectId(op.dest);
        dc.objects.set(destKey, o);
        dc.sorted = undefined;
        return;
      }
      case 'splitCollection': {
        const dc = this.colls.get(op.destCid);
        assert(dc, 'split passed its check but the destination is missing');
        for (const [key, o] of [...c.objects]) {
          if (!hashMatches(o.oid.hash, op.bits, op.rem)) continue;
          c.objects.delete(key);
          const old = dc.objects.get(key);
          if (old) this.drop(dc, key, old);
          dc.objects.set(key, o);
        }
        c.sorted = undefined;
        dc.sorted = undefined;
        c.bits = op.bits;
        dc.bits = op.bits;
        return;
      }
      case 'collSetBits':
        c.bits = op.bits;
        return;
    }
  }

  /** The object, created empty when missing. */
  private obtain(c: MemCollection, oid: GHObject): MemObject {
    const key = keyOf(oid);
    let o = c.objects.get(key);
    if (o) return o;
    o = { oid: copyObjectId(oid), data: Buffer.alloc(0), size: 0, attrs: new Map(), header: Buffer.alloc(0), omap: new Map(), omapSorted: [] };
    c.objects.set(key, o);
    c.sorted = undefined;
    this.objectCount++;
    this.metaBytes += OBJECT_OVERHEAD_BYTES;
    return o;
  }

  private drop(c: MemCollection, key: string, o: MemObject): void {
    c.objects.delete(key);
    c.sorted = undefined;
    this.objectCount--;
    this.storedBytes -= o.size;
    this.capacityBytes -= o.data.length;
    this.metaBytes -= objectMetaBytes(o);
  }

  /** Grow the object to at least `end` bytes (new bytes read as zeros). */
  private ensureSize(o: MemObject, end: number): void {
    if (end <= o.size) return;
    if (end > o.data.length) {
      const cap = Math.max(end, Math.min(end + DATA_SLACK_BYTES_MAX, o.data.length * 2));
      const d = Buffer.alloc(cap);
      o.data.copy(d, 0, 0, o.size);
      this.capacityBytes += cap - o.data.length;
      o.data = d;
    }
    this.storedBytes += end - o.size;
    o.size = end;
  }

  private setSize(o: MemObject, size: number): void {
    if (size >= o.size) {
      this.ensureSize(o, size);
      return;
    }
    this.storedBytes -= o.size - size;
    if (o.data.length > 2 * size + DATA_SLACK_BYTES_MAX) {
      const d = Buffer.alloc(size);
      o.data.copy(d, 0, 0, size);
      this.capacityBytes -= o.data.length - size;
      o.data = d;
    } else {
      o.data.fill(0, size, o.size);
    }
    o.size = size;
  }

  private setEntry(m: Map<string, Buffer>, k: string, v: Buffer): boolean {
    const old = m.get(k);
    if (old) this.metaBytes -= old.length;
    else this.metaBytes += entryBytes(k);
    this.metaBytes += v.length;
    m.set(k, Buffer.from(v));
    return !old;
  }

  private deleteEntry(m: Map<string, Buffer>, k: string): boolean {
    const old = m.get(k);
    if (!old) return false;
    this.metaBytes -= entryBytes(k) + old.length;
    m.delete(k);
    return true;
  }

  private setOmap(o: MemObject, k: string, v: Buffer): void {
    if (this.setEntry(o.omap, k, v)) o.omapSorted = undefined;
  }

  private deleteOmap(o: MemObject, k: string): void {
    if (this.deleteEntry(o.omap, k)) o.omapSorted = undefined;
  }

  private clearOmap(o: MemObject): void {
    for (const [k, v] of o.omap) this.metaBytes -= entryBytes(k) + v.length;
    o.omap = new Map();
    o.omapSorted = [];
  }

  private setHeader(o: MemObject, h: Buffer): void {
    this.metaBytes += h.length - o.header.length;
    o.header = Buffer.from(h);
  }
}

function entryBytes(k: string): number {
  return ENTRY_OVERHEAD_BYTES + k.length * 2;
}

function objectMetaBytes(o: MemObject): number {
  let n = OBJECT_OVERHEAD_BYTES + o.header.length;
  for (const [k, v] of o.attrs) n += entryBytes(k) + v.length;
  for (const [k, v] of o.omap) n += entryBytes(k) + v.length;
  return n;
}

function sortedObjects(c: MemCollection): MemObject[] {
  if (!c.sorted) c.sorted = [...c.objects.values()].sort((a, b) => compareObjects(a.oid, b.oid));
  return c.sorted;
}

function sortedKeys(o: MemObject): string[] {
  if (!o.omapSorted) o.omapSorted = [...o.omap.keys()].sort(compareStringBytes);
  return o.omapSorted;
}
