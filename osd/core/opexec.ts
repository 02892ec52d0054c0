// The op executor: one client MOSDOp's ops on one object, run as Ceph 16's PrimaryLogPG::do_osd_ops
// runs them (the contract is osd/core/opexec-api.ts).
//
// Reads go through the injected ObjectReadPort, which shows the object as the store has it before this
// request; writes are recorded as ObjectStore ops grouped as Ceph's generate_transaction emits them,
// while the request's object_info_t (size, existence, flags, digests) changes as each op runs. If
// every op succeeds (or fails with FAILOK) and something changed, the transaction carries the
// object's new object_info_t ("_") and SnapSet ("snapset") and is returned with the log op, the user
// version and the stats deltas; otherwise no transaction is produced, so a compound request is
// all-or-nothing.
//
// Ceph behaviours kept on purpose (each is PrimaryLogPG's): a read-only request on a missing object is
// ENOENT as a whole; writes create the object (truncate and zero of a missing object do nothing); a
// ZERO that reaches the end of the object becomes a TRUNCATE; APPEND is a WRITE at the size; WRITESAME
// is a WRITE of the repeated pattern; offsets and lengths past osd_max_object_size are EFBIG; omap
// listings return at most osd_max_omap_entries_per_request entries and say whether more follow;
// CMPEXT's mismatch is -MAX_ERRNO - offset; CMPXATTR false is ECANCELED (true leaves rval 1); a
// full-object read whose crc32c differs from the data digest is EIO; an empty xattr name is "_", the
// object_info_t itself (a set or remove of it is overwritten by the new object_info_t at the end); a
// successful write's reply keeps each op's rval but drops its outdata (unless RETURNVEC).
//
// Reads after writes in one request behave as a Ceph 16 replicated pool's: data, xattrs and omap come
// from the store as it was before the request, trimmed and gated by the request's own object_info_t
// (its size, OMAP flag and existence): a read of an object the request creates is ENOENT, a getxattr
// after a delete finds the stored value. Where Ceph goes wrong we return a clean error instead: a
// full read whose stored bytes fail the request's new data digest is EIO (Ceph marks its copy
// unfound), and omap get-keys of an object the request creates is ENOENT (Ceph 16 aborts).
// test/osd/opexec.test.ts runs the same requests on a real ceph-osd and compares every reply.

import { compareStringBytes, Decoder, Encoder } from '../../common/encoding.js';
import { cephCrc32c, cephCrc32cOfAll, cephCrc32cOfList } from '../../common/crc32c.js';
import { READ_POOL_READ_BYTES_MIN } from '../../common/bufpool.js';
import { CephError, Errno, MAX_ERRNO } from '../../common/errors.js';
import {
  CEPH_NOSNAP, CmpXattrMode, CmpXattrOp, OsdFlag, OsdOpCode, allocHintArgs, OsdOpFlag, assertVerArg, decodeOmapGetArgs, decodeOmapKeySet, decodeOmapMap,
  copyOSDOp, encodeOmapMap, encodeStatReply, extentArgs, osdOpIndataLength, osdOpIndataParts, osdOpIsWrite, writeSameArgs, xattrArgs, xattrNameValue, type HObject, type OSDOp,
} from '../../msg/messages/osdop.js';
import { PgLogOp } from '../../msg/messages/pgtypes.js';
import {
  NAME_BYTES_MAX, Transaction, type CollectionId, type GHObject, type ObjectStore, type OmapPage, type TxOp,
} from '../objectstore/types.js';
import {
  DIGEST_NONE, OI_ATTR, ObjectInfoFlag, SS_ATTR, cloneObjectInfo, decodeObjectInfo, encodeEmptySnapSet, encodeObjectInfo, newObjectInfo,
  userAttrFromStore, userAttrName, type ObjectInfo,
} from './objectinfo.js';
import type { ExecuteOps, ObjectReadPort, OpExecInput, OpExecResult } from './opexec-api.js';

// ---- limits (Ceph 16's defaults) --------------------------------------------------------------------

/** osd_max_object_size: no byte of an object lies at or past this. */
export const objectBytesMax = 128 * 1024 * 1024;
/** osd_max_omap_entries_per_request: omap-get-keys / get-vals return at most this many. */
export const omapEntriesPerRequestMax = 1024;
/** osd_max_omap_bytes_per_request: they stop once their output reaches this. */
export const omapBytesPerRequestMax = 1024 * 1024 * 1024;
/** osd_max_attr_name_len: longest user xattr name. */
export const attrNameBytesMax = 100;
/** Keys read from the store per page while an omap listing merges it with pending changes. */
export const omapScanPageEntries = 256;
/** Linux's MAX_ERRNO (common/errors.ts): CMPEXT reports a mismatch at offset i as -MAX_ERRNO - i. */
export { MAX_ERRNO };

const EMPTY: Buffer = Buffer.alloc(0);

/** -errno for an errno name. */
function neg(code: keyof typeof Errno): number {
  return -Errno[code];
}

/** Ceph's shift_round_up(x, 10): KiB rounded up. */
function kb(bytes: number): number {
  return Math.ceil(bytes / 1024);
}

/** check_offset_and_length: EFBIG past osd_max_object_size. */
function checkExtent(offset: number, length: number): number {
  if (offset >= objectBytesMax || length > objectBytesMax || offset + length > objectBytesMax) return neg('EFBIG');
  return 0;
}

/** Decode op input; bad bytes are the op's EINVAL, never an exception out of the executor. */
class BadInput extends Error {}
function input<T>(f: () => T): T {
  try {
    return f();
  } catch {
    throw new BadInput();
  }
}

// ---- the object as this request sees it -------------------------------------------------------------

class ObjectView {
  /** The object existed before this request (the store has it). */
  baseExists = false;
  baseOi: ObjectInfo | null = null;
  exists = false;
  oi: ObjectInfo;
  /** Pending xattrs by store name (null = removed), for the transaction. */
  attrs = new Map<string, Buffer | null>();
  // What the transaction will do, grouped as Ceph's generate_transaction emits a PGTransaction:
  // remove (a delete before the rest), create, the data ops' leading truncates, rmattr / setattrs
  // (user xattrs with "_" and "snapset"), omap clear, omap header, omap updates in order, then the
  // remaining data ops in request order. Each group keeps request order and the groups touch
  // different parts of the object, so the result is the request's.
  deleteFirst = false;
  created = false;
  dataOps: TxOp[] = [];
  omapCleared = false;
  headerSet: Buffer | undefined;
  omapUpdates: TxOp[] = [];
  /** Something was written (Ceph: the PG transaction is not empty). */
  modified = false;

  constructor(private readonly port: ObjectReadPort, private readonly cid: CollectionId, private readonly obj: GHObject, private readonly soid: HObject) {
    this.oi = newObjectInfo(soid);
  }

  async load(): Promise<void> {
    const soid = this.soid;
    this.baseExists = await this.port.exists();
    this.exists = this.baseExists;
    if (!this.baseExists) return;
    let oi: ObjectInfo | null = null;
    try {
      oi = decodeObjectInfo(await this.port.getattr(OI_ATTR));
    } catch (e) {
      if (!(e instanceof CephError) || (e.code !== 'ENODATA' && e.code !== 'ENOENT')) throw e;
    }
    if (!oi) {
      // An object without object_info_t (written by a store-level tool): describe it from the store.
      oi = newObjectInfo(soid);
      oi.size = await this.port.size();
    }
    oi.soid = { ...soid };
    this.baseOi = oi;
    this.oi = cloneObjectInfo(oi);
  }

  // -- reads: the store as it was before this request --
  // Ceph's replicated backend reads data, xattrs and omap from the ObjectStore, which holds none of
  // this request's changes yet; only the object_info_t (size, flags, digests) and existence it checks
  // against are the request's own. An object the store does not have is ENOENT there.

  private needBase(): void {
    if (!this.baseExists) throw new CephError('ENOENT', 'the store has no such object yet');
  }

  /** objects_read_sync: the stored bytes, short at the stored end. */
  async storeRead(offset: number, length: number): Promise<Buffer> {
    this.needBase();
    if (length === 0) return EMPTY;
    return this.port.read(offset, length);
  }

  async storeSize(): Promise<number> {
    this.needBase();
    return this.port.size();
  }

  /** A stored xattr, null if absent (ENODATA). */
  async storeGetattr(name: string): Promise<Buffer | null> {
    this.needBase();
    try {
      return await this.port.getattr(name);
    } catch (e) {
      if (e instanceof CephError && e.code === 'ENODATA') return null;
      throw e;
    }
  }

  async storeGetattrs(): Promise<Map<string, Buffer>> {
    this.needBase();
    return this.port.getattrs();
  }

  /** Ceph ignores omap_get_header's error: a missing object has an empty header. */
  async storeOmapHeader(): Promise<Buffer> {
    return this.baseExists ? this.port.omapGetHeader() : EMPTY;
  }

  async storeOmapValues(keys: readonly string[]): Promise<Map<string, Buffer>> {
    this.needBase();
    const got = await this.port.omapGetValues(keys);
    return new Map([...got.entries()].sort((a, b) => compareStringBytes(a[0], b[0])));
  }

  /** Stored entries with key > after (or >= from), in key order. */
  async *storeOmapScan(after: string | undefined, from?: string): AsyncGenerator<[string, Buffer]> {
    this.needBase();
    let cursor = after;
    if (from !== undefined) {
      // the store lists strictly after a key: start just before `from` by reading `from` itself first
      const v = (await this.port.omapGetValues([from])).get(from);
      if (v) yield [from, v];
      cursor = from;
    }
    for (;;) {
      const p = await this.port.omapIterate(cursor, omapScanPageEntries);
      for (const e of p.entries) yield e;
      if (!p.more || p.entries.length === 0) return;
      cursor = p.entries[p.entries.length - 1]![0];
    }
  }

  // -- writes: recorded for the transaction --

  /** `data`: one Buffer or pieces laid end to end (kept as they are: the store takes a list). */
  write(offset: number, data: Buffer | readonly Buffer[]): void {
    const list = Buffer.isBuffer(data) ? [data] : data;
    let length = 0;
    for (const b of list) length += b.length;
    this.dataOps.push({ op: 'write', cid: this.cid, oid: this.obj, offset, length, data: list });
  }

  zero(offset: number, length: number): void {
    this.dataOps.push({ op: 'zero', cid: this.cid, oid: this.obj, offset, length });
  }

  truncate(size: number): void {
    this.dataOps.push({ op: 'truncate', cid: this.cid, oid: this.obj, size });
  }

  /** Ceph's maybe_create_new_object. */
  create(): void {
    if (this.exists) return;
    this.exists = true;
    // object_info_t::new_object(): only the digests are reset (a delete earlier in this request
    // leaves the other flags, as Ceph's does)
    clearDataDigest(this.oi);
    clearOmapDigest(this.oi);
    this.created = true;
  }

  remove(): void {
    this.exists = false;
    this.oi.size = 0;
    clearDataDigest(this.oi);
    clearOmapDigest(this.oi);
    this.attrs.clear();
    this.deleteFirst = true;
    this.created = false;
    this.dataOps = [];
    this.omapCleared = false;
    this.headerSet = undefined;
    this.omapUpdates = [];
  }

  // -- xattrs (store names) and omap --

  setattr(name: string, value: Buffer): void {
    this.attrs.set(name, value);
  }

  rmattr(name: string): void {
    this.attrs.set(name, null);
  }

  omapSet(entries: Map<string, Buffer>): void {
    this.omapUpdates.push({ op: 'omapSetKeys', cid: this.cid, oid: this.obj, entries });
  }

  omapRm(keys: string[]): void {
    this.omapUpdates.push({ op: 'omapRmKeys', cid: this.cid, oid: this.obj, keys });
  }

  omapClear(): void {
    // Ceph's PGTransaction::omap_clear: earlier updates and header of this request are dropped
    this.omapCleared = true;
    this.headerSet = undefined;
    this.omapUpdates = [];
  }

  omapSetHeader(h: Buffer): void {
    this.headerSet = h;
  }

  /** The transaction, in Ceph's order; `finalAttrs` ("_" and "snapset") join the user xattrs' setattrs. */
  transaction(finalAttrs: Map<string, Buffer> | null): Transaction {
    const t = new Transaction();
    const { cid, obj } = this;
    if (this.deleteFirst) t.remove(cid, obj);
    if (!this.exists) return t;
    // Ceph emits OP_CREATE here; the ObjectStore Transaction has no create, so this is OP_TOUCH on the
    // wire. Both stores apply the two alike (make the object if missing), so only the op code differs.
    if (this.created) t.touch(cid, obj);
    let i = 0;
    for (; i < this.dataOps.length && this.dataOps[i]!.op === 'truncate'; i++) t.ops.push(this.dataOps[i]!);
    const set = new Map<string, Buffer>();
    for (const [k, v] of this.attrs) {
      if (v) set.set(k, v);
      else t.rmattr(cid, obj, k);
    }
    if (finalAttrs) for (const [k, v] of finalAttrs) set.set(k, v);
    if (set.size) t.setattrs(cid, obj, set);
    if (this.omapCleared) t.omapClear(cid, obj);
    if (this.headerSet !== undefined) t.omapSetHeader(cid, obj, this.headerSet);
    for (const u of this.omapUpdates) t.ops.push(u);
    for (; i < this.dataOps.length; i++) {
      const d = this.dataOps[i]!;
      if (d.op === 'write') t.write(cid, obj, d.offset, d.data);
      else t.ops.push(d);
    }
    return t;
  }
}

// ---- per-op execution ------------------------------------------------------------------------------

interface Ctx {
  view: ObjectView;
  numRd: number;
  numRdKb: number;
  numWr: number;
  numWrKb: number;
  /** A user-visible modification (any write-mode op). */
  userModify: boolean;
}

function setArgLength(o: OSDOp, length: number): void {
  o.args.writeUInt32LE(length % 0x1_0000_0000, 8);
  o.args.writeUInt32LE(Math.floor(length / 0x1_0000_0000), 12);
}

/** Ceph's write_update_size_and_usage. */
function noteWrite(c: Ctx, offset: number, length: number, writeFull: boolean): void {
  const oi = c.view.oi;
  if (writeFull || (length && offset + length > oi.size)) oi.size = offset + length;
  c.numWr++;
  c.numWrKb += kb(length);
}

function setDataDigest(oi: ObjectInfo, v: number): void {
  oi.flags |= ObjectInfoFlag.DATA_DIGEST;
  oi.dataDigest = v >>> 0;
}
function clearDataDigest(oi: ObjectInfo): void {
  oi.flags &= ~ObjectInfoFlag.DATA_DIGEST;
  oi.dataDigest = DIGEST_NONE;
}
function clearOmapDigest(oi: ObjectInfo): void {
  oi.flags &= ~ObjectInfoFlag.OMAP_DIGEST;
  oi.omapDigest = DIGEST_NONE;
}

/**
 * CEPH_OSD_OP_WRITE (also APPEND and WRITESAME's inner write). `data`: the op's pieces (the data
 * segment's views), passed on to the store unjoined.
 */
function doWrite(c: Ctx, offset: number, length: number, data: readonly Buffer[]): number {
  let dataBytes = 0;
  for (const b of data) dataBytes += b.length;
  if (length !== dataBytes) return neg('EINVAL');
  const r = checkExtent(offset, length);
  if (r < 0) return r;
  const v = c.view;
  v.create();
  const oi = v.oi;
  const oldSize = oi.size;
  if (length === 0) {
    if (offset > oi.size) {
      v.truncate(offset);
      oi.size = offset;
    }
    v.modified = true;
  } else {
    v.write(offset, data);
    v.modified = true;
  }
  if (offset === 0 && length >= oldSize) setDataDigest(oi, cephCrc32cOfList(0xffffffff, data));
  else if (offset === oldSize && oi.flags & ObjectInfoFlag.DATA_DIGEST) setDataDigest(oi, cephCrc32cOfList(oi.dataDigest, data));
  else clearDataDigest(oi);
  noteWrite(c, offset, length, false);
  return 0;
}

function doTruncate(c: Ctx, offset: number): number {
  const v = c.view;
  if (!v.exists) return 0; // Ceph: truncate of a missing object is a no-op
  const r = checkExtent(offset, 0);
  if (r < 0) return r;
  v.truncate(offset);
  v.modified = true;
  v.oi.size = offset;
  c.numWr++;
  clearDataDigest(v.oi);
  return 0;
}

/** do_read: the length trimmed to the request's object size, the bytes from the store. */
async function doRead(c: Ctx, o: OSDOp, offset: number, lengthIn: number): Promise<number> {
  const v = c.view;
  const size = v.oi.size;
  let length = lengthIn === 0 ? size : lengthIn;
  if (offset >= size) length = 0;
  else if (offset + length > size) length = size - offset;
  let data = EMPTY;
  if (length > 0) {
    // the stored bytes (this request's writes are not there yet), checked against the request's digest;
    // where they differ Ceph starts a repair that finds no good copy and leaves the object unfound: EIO here
    data = await v.storeRead(offset, length);
    if (offset === 0 && data.length === size && v.oi.flags & ObjectInfoFlag.DATA_DIGEST) {
      if (cephCrc32cOfAll(data) !== v.oi.dataDigest) return neg('EIO');
    }
  }
  o.outdata = data;
  setArgLength(o, data.length);
  c.numRd++;
  c.numRdKb += kb(data.length);
  return 0;
}

/** do_xattr_cmp_u64 / do_xattr_cmp_str: 1 true, 0 false, -EINVAL for an unknown comparison. */
function cmpResult(op: number, c: number): number {
  switch (op) {
    case CmpXattrOp.EQ: return c === 0 ? 1 : 0;
    case CmpXattrOp.NE: return c !== 0 ? 1 : 0;
    case CmpXattrOp.GT: return c > 0 ? 1 : 0;
    case CmpXattrOp.GTE: return c >= 0 ? 1 : 0;
    case CmpXattrOp.LT: return c < 0 ? 1 : 0;
    case CmpXattrOp.LTE: return c <= 0 ? 1 : 0;
    default: return neg('EINVAL');
  }
}

/** strtoull(s, NULL, 10) as Ceph applies it to a stored xattr: leading spaces, digits, stop at the rest. */
function strtoull(b: Buffer): bigint {
  const s = b.toString('latin1').replace(/\0[\s\S]*$/, '');
  const m = /^\s*\+?(\d+)/.exec(s);
  if (!m) return 0n;
  const v = BigInt(m[1]!);
  return v > 0xffffffffffffffffn ? 0xffffffffffffffffn : v;
}

async function execOne(c: Ctx, o: OSDOp): Promise<number> {
  const v = c.view;
  switch (o.op) {
    // ---- data reads ----
    case OsdOpCode.READ:
    case OsdOpCode.SYNC_READ: {
      const x = input(() => extentArgs(o));
      return doRead(c, o, x.offset, x.length);
    }
    case OsdOpCode.SPARSE_READ: {
      const x = input(() => extentArgs(o));
      if (x.truncateSeq) return neg('EINVAL');
      // fiemap of the stored object (not trimmed to the request's size); length 0 reads to the end, as
      // the real OSD answers it
      const size = await v.storeSize();
      const start = x.offset;
      const len = x.offset >= size ? 0 : x.length === 0 ? size - x.offset : Math.min(x.length, size - x.offset);
      const data = len > 0 ? await v.storeRead(start, len) : EMPTY;
      // Ceph checks the digest when the bytes read are as many as the request's size (EIO: see doRead)
      if (data.length === v.oi.size && v.oi.flags & ObjectInfoFlag.DATA_DIGEST && cephCrc32c(0xffffffff, data) !== v.oi.dataDigest) return neg('EIO');
      const e = new Encoder(32 + len);
      e.u32(len > 0 ? 1 : 0);
      if (len > 0) e.u64(start).u64(len);
      e.bytes(data);
      o.outdata = e.toBuffer();
      setArgLength(o, len);
      c.numRd++;
      c.numRdKb += kb(len);
      return 0;
    }
    case OsdOpCode.STAT:
      c.numRd++;
      if (!v.exists) return neg('ENOENT');
      o.outdata = encodeStatReply(v.oi.size, v.oi.mtime);
      return 0;
    case OsdOpCode.CMPEXT: {
      const x = input(() => extentArgs(o));
      const size = v.oi.size;
      let len = x.length;
      if (x.offset >= size) len = 0;
      else if (x.offset + len > size) len = size - x.offset;
      let read = EMPTY;
      // an object the request found missing compares with zeros
      if (len > 0 && v.baseExists) {
        const ro = { ...o, args: Buffer.from(o.args), outdata: EMPTY };
        const r = await doRead(c, ro, x.offset, len);
        if (r < 0) return r;
        read = ro.outdata;
      }
      for (let i = 0; i < o.indata.length; i++) {
        if (o.indata[i] !== (i < read.length ? read[i] : 0)) return -MAX_ERRNO - i;
      }
      return 0;
    }
    case OsdOpCode.ASSERT_VER: {
      const ver = input(() => assertVerArg(o));
      if (!ver) return neg('EINVAL');
      if (ver < v.oi.userVersion) return neg('ERANGE');
      if (ver > v.oi.userVersion) return neg('EOVERFLOW');
      return 0;
    }

    // ---- xattr reads ----
    case OsdOpCode.GETXATTR: {
      const { name } = input(() => xattrNameValue(o));
      c.numRd++;
      // the stored value; '' names "_", the stored object_info_t, as in Ceph
      const val = await v.storeGetattr(userAttrName(name));
      if (!val) return neg('ENODATA');
      o.outdata = val;
      o.args.writeUInt32LE(val.length, 4); // xattr.value_len, as Ceph updates it
      c.numRdKb += kb(val.length);
      return 0;
    }
    case OsdOpCode.GETXATTRS: {
      // Ceph encodes the (empty) map even when the store fails, e.g. ENOENT for an object this request creates
      let r = 0;
      let all = new Map<string, Buffer>();
      try {
        all = await v.storeGetattrs();
      } catch (e) {
        if (!(e instanceof CephError)) throw e;
        r = -e.errno;
      }
      const user = new Map<string, Buffer>();
      for (const [k, val] of all) {
        const n = userAttrFromStore(k);
        if (n !== undefined) user.set(n, val);
      }
      o.outdata = encodeOmapMap(user);
      c.numRd++;
      c.numRdKb += kb(o.outdata.length);
      return r;
    }
    case OsdOpCode.CMPXATTR: {
      const a = xattrArgs(o);
      const { name, value } = input(() => xattrNameValue(o));
      const stored = (await v.storeGetattr(userAttrName(name))) ?? EMPTY;
      c.numRd++;
      c.numRdKb += kb(stored.length);
      let r: number;
      if (a.cmpMode === CmpXattrMode.STRING) {
        r = cmpResult(a.cmpOp, Buffer.compare(value, stored));
      } else if (a.cmpMode === CmpXattrMode.U64) {
        const v1 = input(() => new Decoder(value, 'cmpxattr u64').u64Big('value'));
        const v2 = strtoull(stored);
        r = cmpResult(a.cmpOp, v1 === v2 ? 0 : v1 > v2 ? 1 : -1);
      } else r = neg('EINVAL');
      if (r === 0) return neg('ECANCELED');
      return r;
    }

    // ---- omap reads ----
    case OsdOpCode.OMAPGETKEYS:
    case OsdOpCode.OMAPGETVALS: {
      const args = input(() => decodeOmapGetArgs(o));
      const max = Math.min(args.maxReturn, omapEntriesPerRequestMax);
      const withVals = o.op === OsdOpCode.OMAPGETVALS;
      const prefix = withVals ? args.filterPrefix : '';
      const body = new Encoder(256);
      let num = 0;
      let truncated = false;
      if (v.oi.flags & ObjectInfoFlag.OMAP) {
        // Ceph 16 asserts on get-keys of an object the store does not have yet (the OSD aborts) and
        // answers get-vals ENOENT; both are ENOENT here
        const fromPrefix = prefix !== '' && compareStringBytes(prefix, args.startAfter) > 0;
        for await (const [k, val] of v.storeOmapScan(fromPrefix ? undefined : args.startAfter, fromPrefix ? prefix : undefined)) {
          if (prefix !== '' && !k.startsWith(prefix)) break;
          if (num >= max || body.length >= omapBytesPerRequestMax) {
            truncated = true;
            break;
          }
          body.string(k);
          if (withVals) body.bytes(val);
          num++;
        }
      }
      const out = new Encoder(body.length + 8);
      out.u32(num).raw(body.view()).bool(truncated);
      o.outdata = out.toBuffer();
      c.numRd++;
      c.numRdKb += kb(o.outdata.length);
      return 0;
    }
    case OsdOpCode.OMAPGETHEADER:
      if (!(v.oi.flags & ObjectInfoFlag.OMAP)) return 0; // an empty header, not counted as a read
      o.outdata = await v.storeOmapHeader();
      c.numRd++;
      c.numRdKb += kb(o.outdata.length);
      return 0;
    case OsdOpCode.OMAPGETVALSBYKEYS: {
      const keys = input(() => decodeOmapKeySet(o.indata));
      // (Ceph ignores the store's error here: nothing for an object the store does not have)
      const vals = v.oi.flags & ObjectInfoFlag.OMAP && v.baseExists ? await v.storeOmapValues(keys) : new Map<string, Buffer>();
      o.outdata = encodeOmapMap(vals);
      c.numRd++;
      c.numRdKb += kb(o.outdata.length);
      return 0;
    }
    case OsdOpCode.OMAP_CMP: {
      if (!v.exists) return neg('ENOENT');
      const assertions = input(() => {
        const d = new Decoder(o.indata, 'omap-cmp assertions');
        return d.map('assertions', 9, (x) => x.string('key'), (x) => ({ value: Buffer.from(x.bytes('value')), op: x.s32('op') }));
      });
      const have = v.oi.flags & ObjectInfoFlag.OMAP ? await v.storeOmapValues([...assertions.keys()]) : new Map<string, Buffer>();
      c.numRd++;
      for (const [k, a] of [...assertions.entries()].sort((x, y) => compareStringBytes(x[0], y[0]))) {
        const cur = have.get(k) ?? EMPTY;
        const cmp = Buffer.compare(cur, a.value);
        if (a.op === CmpXattrOp.EQ) { if (cmp !== 0) return neg('ECANCELED'); }
        else if (a.op === CmpXattrOp.LT) { if (!(cmp < 0)) return neg('ECANCELED'); }
        else if (a.op === CmpXattrOp.GT) { if (!(cmp > 0)) return neg('ECANCELED'); }
        else return neg('EINVAL');
      }
      return 0;
    }

    // ---- data writes ----
    case OsdOpCode.WRITE: {
      const x = input(() => extentArgs(o));
      return doWrite(c, x.offset, x.length, osdOpIndataParts(o));
    }
    case OsdOpCode.WRITEFULL: {
      const x = input(() => extentArgs(o));
      if (x.length !== osdOpIndataLength(o)) return neg('EINVAL');
      const r = checkExtent(0, x.length);
      if (r < 0) return r;
      const wasExisting = v.exists;
      v.create();
      const old = v.oi.size;
      if (wasExisting && x.length < old) v.truncate(x.length);
      const parts = osdOpIndataParts(o);
      if (x.length) v.write(0, parts);
      v.modified = true;
      setDataDigest(v.oi, cephCrc32cOfList(0xffffffff, parts));
      noteWrite(c, 0, x.length, true);
      return 0;
    }
    case OsdOpCode.APPEND: {
      const x = input(() => extentArgs(o));
      return doWrite(c, v.oi.size, x.length, osdOpIndataParts(o));
    }
    case OsdOpCode.WRITESAME: {
      const x = input(() => writeSameArgs(o));
      if (!x.length) return 0;
      if (!x.dataLength || x.length % x.dataLength) return neg('EINVAL');
      if (x.dataLength !== o.indata.length) return neg('EINVAL');
      const r = checkExtent(x.offset, x.length);
      if (r < 0) return r;
      const data = Buffer.alloc(x.length);
      for (let p = 0; p < x.length; p += x.dataLength) o.indata.copy(data, p);
      return doWrite(c, x.offset, x.length, [data]);
    }
    case OsdOpCode.TRUNCATE: {
      const x = input(() => extentArgs(o));
      return doTruncate(c, x.offset);
    }
    case OsdOpCode.ZERO: {
      const x = input(() => extentArgs(o));
      const size = v.oi.size;
      // Ceph munges a ZERO reaching the end into a TRUNCATE (and one past the end into nothing)
      if (v.exists && x.offset < objectBytesMax && x.length >= 1 && x.length <= objectBytesMax && x.offset + x.length >= size) {
        if (x.offset >= size) return 0;
        return doTruncate(c, x.offset);
      }
      const r = checkExtent(x.offset, x.length);
      if (r < 0) return r;
      if (x.length && v.exists) {
        v.zero(x.offset, x.length);
        v.modified = true;
        c.numWr++;
        clearDataDigest(v.oi);
      }
      return 0;
    }
    case OsdOpCode.CREATE:
      if (v.exists && o.flags & OsdOpFlag.EXCL) return neg('EEXIST');
      v.create();
      v.modified = true;
      return 0;
    case OsdOpCode.DELETE:
      if (!v.exists) return neg('ENOENT');
      v.remove();
      v.modified = true;
      c.numWr++;
      return 0;
    case OsdOpCode.SETALLOCHINT: {
      const h = input(() => allocHintArgs(o));
      v.create();
      v.modified = true;
      v.oi.expectedObjectSize = h.expectedObjectSize;
      v.oi.expectedWriteSize = h.expectedWriteSize;
      v.oi.allocHintFlags = h.flags;
      return 0;
    }

    // ---- xattr writes ----
    case OsdOpCode.SETXATTR: {
      const { name, value } = input(() => xattrNameValue(o));
      if (Buffer.byteLength(name) > attrNameBytesMax) return neg('ENAMETOOLONG');
      v.create();
      v.setattr(userAttrName(name), Buffer.from(value));
      v.modified = true;
      c.numWr++;
      return 0;
    }
    case OsdOpCode.RMXATTR: {
      const { name } = input(() => xattrNameValue(o));
      if (Buffer.byteLength(name) > attrNameBytesMax) return neg('ENAMETOOLONG');
      if (!v.exists) return neg('ENOENT');
      v.rmattr(userAttrName(name));
      v.modified = true;
      c.numWr++;
      return 0;
    }

    // ---- omap writes ----
    case OsdOpCode.OMAPSETVALS: {
      const m = input(() => decodeOmapMap(o.indata));
      for (const k of m.keys()) if (Buffer.byteLength(k) > NAME_BYTES_MAX) return neg('ENAMETOOLONG');
      v.create();
      v.omapSet(new Map([...m].map(([k, b]) => [k, Buffer.from(b)])));
      v.modified = true;
      c.numWr++;
      c.numWrKb += kb(o.indata.length);
      v.oi.flags |= ObjectInfoFlag.OMAP;
      clearOmapDigest(v.oi);
      return 0;
    }
    case OsdOpCode.OMAPSETHEADER:
      v.create();
      v.omapSetHeader(Buffer.from(o.indata));
      v.modified = true;
      c.numWr++;
      v.oi.flags |= ObjectInfoFlag.OMAP;
      clearOmapDigest(v.oi);
      return 0;
    case OsdOpCode.OMAPCLEAR:
      if (!v.exists) return neg('ENOENT');
      if (v.oi.flags & ObjectInfoFlag.OMAP) {
        v.omapClear();
        v.modified = true;
        c.numWr++;
        clearOmapDigest(v.oi);
        v.oi.flags &= ~ObjectInfoFlag.OMAP;
      }
      return 0;
    case OsdOpCode.OMAPRMKEYS: {
      if (!v.exists) return neg('ENOENT');
      const keys = input(() => decodeOmapKeySet(o.indata));
      v.omapRm(keys);
      v.modified = true;
      c.numWr++;
      clearOmapDigest(v.oi);
      return 0;
    }

    default:
      return neg('EOPNOTSUPP');
  }
}

// ---- the executor ------------------------------------------------------------------------------------

export const executeOps: ExecuteOps = async (input: OpExecInput, port: ObjectReadPort): Promise<OpExecResult> => {
  const ops = input.ops.map((o) => {
    const c = copyOSDOp(o); // keeps a write's data pieces unjoined
    c.args = Buffer.from(o.args);
    c.outdata = EMPTY;
    c.rval = 0;
    return c;
  });
  const view = new ObjectView(port, input.cid, input.obj, input.soid);
  await view.load();
  const c: Ctx = { view, numRd: 0, numRdKb: 0, numWr: 0, numWrKb: 0, userModify: false };
  let mayWrite = false;
  for (const o of ops) if (osdOpIsWrite(o.op)) mayWrite = true;
  // Ceph's find_object_context: a request that cannot create the object needs it to exist.
  if (!view.baseExists && !mayWrite) return execResult(neg('ENOENT'), ops, input.lastUserVersion, null);

  let result = 0;
  for (const o of ops) {
    if (osdOpIsWrite(o.op)) c.userModify = true;
    let r: number;
    try {
      r = await execOne(c, o);
    } catch (e) {
      if (e instanceof BadInput) r = neg('EINVAL');
      else if (e instanceof CephError) r = -e.errno;
      else throw e;
    }
    o.rval = r;
    if (r < 0 && o.flags & OsdOpFlag.FAILOK && r !== neg('EAGAIN') && r !== neg('EINPROGRESS')) r = 0;
    result = r;
    if (r < 0) break;
  }
  if (result < 0) {
    const replyVersion = result === neg('ENOENT') ? input.lastUserVersion : view.baseOi?.userVersion ?? 0;
    return execResult(result, ops, replyVersion, c);
  }
  if (!view.modified) return execResult(0, ops, view.baseOi?.userVersion ?? 0, c);

  // finish_ctx: the new object_info_t, SnapSet and the log op
  const baseUv = view.baseOi?.userVersion ?? 0;
  let userVersion = Math.max(input.lastUserVersion, baseUv, view.oi.userVersion) + 1;
  if (!c.userModify) userVersion = view.oi.userVersion;
  if (input.version.version > userVersion) userVersion = input.version.version;
  let finalAttrs: Map<string, Buffer> | null = null;
  if (view.exists) {
    const oi = view.oi;
    oi.userVersion = userVersion;
    oi.version = { ...input.version };
    oi.priorVersion = view.baseOi ? { ...view.baseOi.version } : { epoch: 0, version: 0 };
    oi.lastReqid = { name: { ...input.reqid.name }, tid: input.reqid.tid, inc: input.reqid.inc };
    if (input.mtime.sec !== 0 || input.mtime.nsec !== 0) {
      oi.mtime = { ...input.mtime };
      oi.localMtime = { ...(input.osdNow ?? input.mtime) }; // Ceph: the OSD's clock, set with the client mtime
    }
    oi.flags |= ObjectInfoFlag.DIRTY;
    finalAttrs = new Map<string, Buffer>([[OI_ATTR, encodeObjectInfo(oi)]]);
    if (input.soid.snap === CEPH_NOSNAP) finalAttrs.set(SS_ATTR, encodeEmptySnapSet());
  }
  const t = view.transaction(finalAttrs);
  // A successful write's reply carries the rvals but no outdata (Ceph builds it with ignore_out_data),
  // unless the client asked for RETURNVEC.
  if (!(input.flags & OsdFlag.RETURNVEC)) for (const o of ops) o.outdata = EMPTY;
  const newSize = view.exists ? view.oi.size : 0;
  const oldSize = view.baseExists ? view.baseOi?.size ?? 0 : 0;
  const r = execResult(0, ops, userVersion, c);
  r.transaction = t;
  r.logOp = view.exists ? PgLogOp.MODIFY : PgLogOp.DELETE;
  r.userVersion = userVersion;
  r.deltaObjects = (view.exists ? 1 : 0) - (view.baseExists ? 1 : 0);
  r.deltaBytes = newSize - oldSize;
  return r;
};

/**
 * A result with no transaction (the write path fills in its fields after): every result has this
 * one shape, so the PG's reads of it stay monomorphic (spreads of differently ordered objects made
 * three shapes).
 */
function execResult(result: number, ops: OSDOp[], replyVersion: number, c: Ctx | null): OpExecResult {
  return {
    result, ops, transaction: null, logOp: 0, userVersion: 0, replyVersion, deltaObjects: 0, deltaBytes: 0,
    numRd: c?.numRd ?? 0, numRdKb: c?.numRdKb ?? 0, numWr: c?.numWr ?? 0, numWrKb: c?.numWrKb ?? 0,
  };
}

// ---- a read port over an ObjectStore --------------------------------------------------------------

/**
 * The ObjectReadPort of one object of a store (what the PG shell and tests hand the executor). A class,
 * not an object of closures: one is made per client op.
 */
export function objectStorePort(store: ObjectStore, cid: CollectionId, oid: GHObject): ObjectReadPort {
  return new StorePort(store, cid, oid, false);
}

/**
 * The port of a READ-ONLY client request whose reply goes out as soon as it has run: large data reads
 * land in the store's pooled Buffers (when the store has them). Their bytes may reach only the reply
 * (a read-only request makes no transaction): the caller hands `takeRelease()` to the reply message
 * (Message.onWritten), or drops it if the reply is not sent (the GC then takes the Buffers).
 */
export function pooledReadPort(store: ObjectStore, cid: CollectionId, oid: GHObject): StorePort {
  return new StorePort(store, cid, oid, store.readPooled !== undefined);
}

class StorePort implements ObjectReadPort {
  /** Releases of the pooled reads made through this port. */
  private releases: Array<() => void> | null = null;

  constructor(private readonly store: ObjectStore, private readonly cid: CollectionId, private readonly oid: GHObject, private readonly pooled: boolean) {}

  /** One callback releasing every pooled read of this port (null if none); the port forgets them. */
  takeRelease(): (() => void) | null {
    const r = this.releases;
    this.releases = null;
    if (r === null) return null;
    if (r.length === 1) return r[0]!;
    return () => {
      for (const f of r) f();
    };
  }

  private async readPooled(offset: number, length: number): Promise<Buffer> {
    const lease = await this.store.readPooled!(this.cid, this.oid, offset, length);
    if (lease.release !== null) (this.releases ??= []).push(lease.release);
    return lease.data;
  }

  exists(): Promise<boolean> {
    return this.store.exists(this.cid, this.oid);
  }
  async size(): Promise<number> {
    return (await this.store.stat(this.cid, this.oid)).size;
  }
  read(offset: number, length: number): Promise<Buffer> {
    if (this.pooled && length >= READ_POOL_READ_BYTES_MIN) return this.readPooled(offset, length);
    return this.store.read(this.cid, this.oid, offset, length);
  }
  getattr(name: string): Promise<Buffer> {
    return this.store.getattr(this.cid, this.oid, name);
  }
  getattrs(): Promise<Map<string, Buffer>> {
    return this.store.getattrs(this.cid, this.oid);
  }
  omapGetHeader(): Promise<Buffer> {
    return this.store.omapGetHeader(this.cid, this.oid);
  }
  omapGetValues(keys: readonly string[]): Promise<Map<string, Buffer>> {
    return this.store.omapGetValues(this.cid, this.oid, keys);
  }
  omapIterate(after: string | undefined, max: number): Promise<OmapPage> {
    return this.store.omapIterate(this.cid, this.oid, after, max);
  }
}
