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
import type { Objecter, OpResult, OpTarget } from './objecter.js';
import { WriteOp, operationError, type ObjectOperation } from './operation.js';
import { ALL_NSPACES, decodePgNlsResponse, listStartCursor, opPgNls, type ListEntry } from '../msg/messages/pgnls.js';
import { LIST_PAGE_ENTRIES } from './ops.js';

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
  operate(oid: string, op: ObjectOperation | OSDOp[], opts?: OpOptions): Promise<OperateResult | OpResult> {
    if (Array.isArray(op)) return this.submit(oid, op, opts, this.noteReply);
    if (op.length === 0) return Promise.reject(new CephError('EINVAL', `${oid}: operate() with no ops`));
    return this.objecter.submit(this.target(oid), op.ops, { timeoutMs: opts?.timeoutMs, allowError: true }, (r) => {
      this.lastVersion = r.reply.userVersion;
      op.fill(r.ops, r.reply.result);
      if (r.reply.result < 0) throw operationError(r.reply.result, oid, r.osd);
      return { version: r.reply.userVersion, result: r.reply.result };
    });
  }

  private target(oid: string): OpTarget {
    return { pool: this.poolId, nspace: this.nspace, key: this.locatorKey, oid };
  }

  /**
   * The one path of the calls below: one op list, one Promise (the Objecter resolves it with
   * `value(reply)`, made once per IoCtx, not per call), the version noted on the way.
   */
  private submit<T>(oid: string, ops: OSDOp[], opts: OpOptions | undefined, value: (r: OpResult) => T): Promise<T> {
    return this.objecter.submit(this.target(oid), ops, opts, value);
  }

  private readonly noteReply = (r: OpResult): OpResult => {
    this.lastVersion = r.reply.userVersion;
    return r;
  };
  private readonly noteVoid = (r: OpResult): void => {
    this.lastVersion = r.reply.userVersion;
  };
  private readonly firstOutdata = (r: OpResult): Buffer => {
    this.lastVersion = r.reply.userVersion;
    return r.ops[0]!.outdata;
  };
  private readonly firstStat = (r: OpResult): ObjectStat => {
    this.lastVersion = r.reply.userVersion;
    return decodeStatReply(r.ops[0]!.outdata);
  };
  private readonly firstXattrs = (r: OpResult): Map<string, Buffer> => {
    this.lastVersion = r.reply.userVersion;
    return decodeXattrsReply(r.ops[0]!.outdata);
  };
  private readonly firstOmapMap = (r: OpResult): Map<string, Buffer> => {
    this.lastVersion = r.reply.userVersion;
    return decodeOmapMap(r.ops[0]!.outdata);
  };

  /** The object version the last completed op on this IoCtx saw (librados' get_last_version). */
  getLastVersion(): number {
    return this.lastVersion;
  }

  write(oid: string, data: Buffer, offset = 0, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opWrite(offset, data)], opts, this.noteVoid);
  }

  writeFull(oid: string, data: Buffer, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opWriteFull(data)], opts, this.noteVoid);
  }

  append(oid: string, data: Buffer, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opAppend(data)], opts, this.noteVoid);
  }

  /** Create an empty object; with exclusive, EEXIST when it exists. */
  create(oid: string, exclusive: boolean, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opCreate(exclusive)], opts, this.noteVoid);
  }

  /** Up to `length` bytes from `offset` (fewer at the end of the object; length 0 = to the end). */
  read(oid: string, length: number, offset = 0, opts?: OpOptions): Promise<Buffer> {
    return this.submit(oid, [opRead(offset, length)], opts, this.firstOutdata);
  }

  stat(oid: string, opts?: OpOptions): Promise<ObjectStat> {
    return this.submit(oid, [opStat()], opts, this.firstStat);
  }

  remove(oid: string, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opDelete()], opts, this.noteVoid);
  }

  truncate(oid: string, size: number, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opTruncate(size)], opts, this.noteVoid);
  }

  /** Zero `length` bytes from `offset` (a hole where the store supports one; the size is unchanged). */
  zero(oid: string, offset: number, length: number, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opZero(offset, length)], opts, this.noteVoid);
  }

  setxattr(oid: string, name: string, value: Buffer, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opSetXattr(name, value)], opts, this.noteVoid);
  }

  getxattr(oid: string, name: string, opts?: OpOptions): Promise<Buffer> {
    return this.submit(oid, [opGetXattr(name)], opts, this.firstOutdata);
  }

  getxattrs(oid: string, opts?: OpOptions): Promise<Map<string, Buffer>> {
    return this.submit(oid, [opGetXattrs()], opts, this.firstXattrs);
  }

  rmxattr(oid: string, name: string, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opRmXattr(name)], opts, this.noteVoid);
  }

  omapSet(oid: string, entries: ReadonlyMap<string, Buffer> | Record<string, Buffer>, opts?: OpOptions): Promise<void> {
    const m = entries instanceof Map ? entries : new Map(Object.entries(entries));
    return this.submit(oid, [opOmapSetVals(m)], opts, this.noteVoid);
  }

  /** The values of `keys` (those present), or the whole omap when keys are not given. */
  async omapGet(oid: string, keys?: Iterable<string>, opts?: OpOptions): Promise<Map<string, Buffer>> {
    if (keys !== undefined) return this.submit(oid, [opOmapGetValsByKeys(keys)], opts, this.firstOmapMap);
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

  omapRm(oid: string, keys: Iterable<string>, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opOmapRmKeys(keys)], opts, this.noteVoid);
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

  omapGetHeader(oid: string, opts?: OpOptions): Promise<Buffer> {
    return this.submit(oid, [opOmapGetHeader()], opts, this.firstOutdata);
  }

  omapSetHeader(oid: string, header: Buffer, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opOmapSetHeader(header)], opts, this.noteVoid);
  }

  omapClear(oid: string, opts?: OpOptions): Promise<void> {
    return this.submit(oid, [opOmapClear()], opts, this.noteVoid);
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
      const page = decodePgNlsResponse(r.ops[0]!.outdata);
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
