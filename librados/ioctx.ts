// An I/O context (librados' IoCtx): a pool, a namespace and an optional locator key, and the object
// operations on them, each a thin use of the MOSDOp op builders sent through the Objecter. Errors are
// CephError with Ceph's errno name (err.code === 'ENOENT').

import { CephError } from '../common/errors.js';
import { poolRawHashToPg, type UTime } from '../common/osdmap/index.js';
import {
  decodeOmapKeysReply, decodeOmapValsReply, decodeStatReply, opOmapClear, opOmapGetHeader, opOmapGetKeys, opOmapSetHeader, decodeXattrsReply, decodeOmapMap, opAppend, opCreate, opDelete, opGetXattr, opGetXattrs,
  opOmapGetVals, opOmapGetValsByKeys, opOmapRmKeys, opOmapSetVals, opRead, opRmXattr, opSetXattr, opStat, opTruncate, opWrite,
  opWriteFull, opZero, type HObject, type OSDOp,
} from '../msg/index.js';
import type { Objecter, OpResult } from './objecter.js';
import { WriteOp, operationError, type ObjectOperation } from './operation.js';
import { ALL_NSPACES, LIST_PAGE_ENTRIES, decodePgNlsReply, listStartCursor, opPgNls, type ListEntry } from './ops.js';

/** Keys asked for per omap-get-vals round trip when listing a whole omap. */
export const OMAP_PAGE_KEYS = 512;

export interface ObjectStat {
  size: number;
  mtime: UTime;
}

/** What operate() on a WriteOp / ReadOp resolves with. */
export interface OperateResult {
  /** The object's user version after the operation (for assertVersion). */
  version: number;
  /** The MOSDOpReply's result (0, or a positive value some reads return). */
  result: number;
}

export interface OpOptions {
  /** Per-op deadline (ETIMEDOUT), instead of the Objecter's default. */
  timeoutMs?: number;
}

export class IoCtx {
  private nspace = '';
  private locatorKey = '';
  private lastVersion = 0;

  constructor(
    private readonly objecter: Objecter,
    readonly poolId: number,
    readonly poolName: string,
  ) {}

  /** Objects named from now on live in this namespace ('' = the default one). */
  setNamespace(ns: string): void {
    this.nspace = ns;
  }

  get namespace(): string {
    return this.nspace;
  }

  /** Place objects by this key instead of their name ('' = by name). */
  setLocatorKey(key: string): void {
    this.locatorKey = key;
  }

  /**
   * Run a WriteOp or ReadOp on one object, all or nothing: resolves with the object's version after
   * it and fills each op's slot (value, rval); a failed op (without failOk) rejects with its errno
   * (CmpExtMismatch for cmpext), the slots then say which op failed. A raw OSDOp list resolves
   * with the OSD's reply instead (the building block of every call below).
   */
  operate(oid: string, op: ObjectOperation, opts?: OpOptions): Promise<OperateResult>;
  operate(oid: string, ops: OSDOp[], opts?: OpOptions): Promise<OpResult>;
  async operate(oid: string, op: ObjectOperation | OSDOp[], opts: OpOptions = {}): Promise<OperateResult | OpResult> {
    const target = { pool: this.poolId, nspace: this.nspace, key: this.locatorKey, oid };
    if (Array.isArray(op)) {
      const r = await this.objecter.submit(target, op, opts);
      this.lastVersion = r.reply.userVersion;
      return r;
    }
    if (op.length === 0) throw new CephError('EINVAL', `${oid}: operate() with no ops`);
    const r = await this.objecter.submit(target, op.ops, { ...opts, allowError: true });
    this.lastVersion = r.reply.userVersion;
    op.fill(r.ops, r.reply.result);
    if (r.reply.result < 0) throw operationError(r.reply.result, oid, r.osd);
    return { version: r.reply.userVersion, result: r.reply.result };
  }

  /** The object version the last completed op on this IoCtx saw (librados' get_last_version). */
  getLastVersion(): number {
    return this.lastVersion;
  }

  async write(oid: string, data: Buffer, offset = 0, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opWrite(offset, data)], opts);
  }

  async writeFull(oid: string, data: Buffer, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opWriteFull(data)], opts);
  }

  async append(oid: string, data: Buffer, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opAppend(data)], opts);
  }

  /** Create an empty object; with exclusive, EEXIST when it exists. */
  async create(oid: string, exclusive: boolean, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opCreate(exclusive)], opts);
  }

  /** Up to `length` bytes from `offset` (fewer at the end of the object; length 0 = to the end). */
  async read(oid: string, length: number, offset = 0, opts?: OpOptions): Promise<Buffer> {
    const r = await this.operate(oid, [opRead(offset, length)], opts);
    return r.ops[0]!.outdata;
  }

  async stat(oid: string, opts?: OpOptions): Promise<ObjectStat> {
    const r = await this.operate(oid, [opStat()], opts);
    return decodeStatReply(r.ops[0]!.outdata);
  }

  async remove(oid: string, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opDelete()], opts);
  }

  async truncate(oid: string, size: number, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opTruncate(size)], opts);
  }

  /** Zero `length` bytes from `offset` (a hole where the store supports one; the size is unchanged). */
  async zero(oid: string, offset: number, length: number, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opZero(offset, length)], opts);
  }

  async setxattr(oid: string, name: string, value: Buffer, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opSetXattr(name, value)], opts);
  }

  async getxattr(oid: string, name: string, opts?: OpOptions): Promise<Buffer> {
    const r = await this.operate(oid, [opGetXattr(name)], opts);
    return r.ops[0]!.outdata;
  }

  async getxattrs(oid: string, opts?: OpOptions): Promise<Map<string, Buffer>> {
    const r = await this.operate(oid, [opGetXattrs()], opts);
    return decodeXattrsReply(r.ops[0]!.outdata);
  }

  async rmxattr(oid: string, name: string, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opRmXattr(name)], opts);
  }

  async omapSet(oid: string, entries: ReadonlyMap<string, Buffer> | Record<string, Buffer>, opts?: OpOptions): Promise<void> {
    const m = entries instanceof Map ? entries : new Map(Object.entries(entries));
    await this.operate(oid, [opOmapSetVals(m)], opts);
  }

  /** The values of `keys` (those present), or the whole omap when keys are not given. */
  async omapGet(oid: string, keys?: Iterable<string>, opts?: OpOptions): Promise<Map<string, Buffer>> {
    if (keys !== undefined) {
      const r = await this.operate(oid, [opOmapGetValsByKeys(keys)], opts);
      return decodeOmapMap(r.ops[0]!.outdata);
    }
    const out = new Map<string, Buffer>();
    let after = '';
    for (;;) {
      const r = await this.operate(oid, [opOmapGetVals(after, OMAP_PAGE_KEYS)], opts);
      const page = decodeOmapValsReply(r.ops[0]!.outdata);
      for (const [k, v] of page.entries) {
        out.set(k, v);
        after = k;
      }
      if (!page.more || page.entries.size === 0) return out;
    }
  }

  async omapRm(oid: string, keys: Iterable<string>, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opOmapRmKeys(keys)], opts);
  }

  /** Every omap key, paged. */
  async omapKeys(oid: string, opts?: OpOptions): Promise<string[]> {
    const out: string[] = [];
    let after = '';
    for (;;) {
      const r = await this.operate(oid, [opOmapGetKeys(after, OMAP_PAGE_KEYS)], opts);
      const page = decodeOmapKeysReply(r.ops[0]!.outdata);
      for (const k of page.keys) {
        out.push(k);
        after = k;
      }
      if (!page.more || page.keys.length === 0) return out;
    }
  }

  async omapGetHeader(oid: string, opts?: OpOptions): Promise<Buffer> {
    const r = await this.operate(oid, [opOmapGetHeader()], opts);
    return r.ops[0]!.outdata;
  }

  async omapSetHeader(oid: string, header: Buffer, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opOmapSetHeader(header)], opts);
  }

  async omapClear(oid: string, opts?: OpOptions): Promise<void> {
    await this.operate(oid, [opOmapClear()], opts);
  }

  /** Repeat `pattern` over `length` bytes from `offset`. */
  async writeSame(oid: string, pattern: Buffer, length: number, offset = 0, opts?: OpOptions): Promise<void> {
    await this.operate(oid, new WriteOp().writeSame(pattern, length, offset), opts);
  }

  /**
   * Every object of the pool in this namespace (or in all of them with { allNamespaces: true }), in
   * the pool's hobject order as Ceph's Objecter lists it: one cursor for the whole pool, sent to the PG
   * that holds the cursor's hash; when a PG is done its OSD answers with the next PG's start (in
   * bit-reversed hash order, so PG 0x8 comes before PG 0x1 with 16 PGs) and a max handle after the
   * last. `pageEntries` per round trip. Objects written or removed meanwhile may or may not appear.
   */
  async *listObjects(opts: { allNamespaces?: boolean; pageEntries?: number; timeoutMs?: number } = {}): AsyncGenerator<ListEntry> {
    const nspace = opts.allNamespaces ? ALL_NSPACES : this.nspace;
    let cursor = listStartCursor();
    let pgsDone = 0;
    for (;;) {
      const map = this.objecter.osdmap;
      const pool = map?.pools.get(this.poolId);
      if (!map || !pool) throw new CephError('ENOENT', `pool ${this.poolName} does not exist`);
      const seed = poolRawHashToPg(pool, cursor.hash >>> 0);
      const r = await this.objecter.submit(
        { pool: this.poolId, nspace, key: '', oid: '', pgSeed: seed }, [opPgNls(opts.pageEntries ?? LIST_PAGE_ENTRIES, cursor, map.epoch)], { timeoutMs: opts.timeoutMs });
      const page = decodePgNlsReply(r.ops[0]!.outdata);
      for (const e of page.entries) yield e;
      // A max handle ends the pool. Result 1 ends this PG, and its handle is the next PG's start. An
      // empty page is not an end: an OSD fills a page by scanning objects and skips other namespaces',
      // so it may return none and a cursor further on (Ceph's Objecter stops only on these as well).
      if (page.handle.max) return;
      if (r.reply.result === 1) {
        // Each PG ends once; more ends than PGs means the OSDs' handles do not advance.
        if (++pgsDone > pool.pgNum) throw new CephError('EIO', `pool ${this.poolName}: listing passed the end of ${pgsDone} PGs without reaching the pool's end`);
      } else if (page.entries.length === 0 && sameHObject(page.handle, cursor)) {
        throw new CephError('EIO', `pool ${this.poolName} pg ${seed}: the OSD returned an empty list page without moving the cursor`);
      }
      cursor = page.handle;
    }
  }
}

function sameHObject(a: HObject, b: HObject): boolean {
  return a.max === b.max && a.pool === b.pool && a.hash === b.hash && a.snap === b.snap && a.nspace === b.nspace && a.key === b.key && a.oid === b.oid;
}
