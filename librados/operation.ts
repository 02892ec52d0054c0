// Compound object operations, as librados' ObjectWriteOperation / ObjectReadOperation: a list of ops
// on one object sent in one MOSDOp and applied by the OSD all or nothing. Builders return `this` on a
// WriteOp (chain them); a ReadOp's read methods return an OpSlot that holds that op's own result and
// rval once `ioctx.operate(oid, op)` settled. Guards (assertExists, assertVersion, cmpext, cmpxattr,
// omapCmp) exist on both: a failed guard stops the whole operation with its errno.
//
//   const w = new WriteOp().create(false).writeFull(buf).setxattr('user.k', v).omapSet({ a: x });
//   await io.operate('obj', w);
//   const r = new ReadOp();
//   const data = r.read(0, 0);
//   const attrs = r.getxattrs();
//   await io.operate('obj', r);
//   data.value; attrs.value; data.rval;

import { Encoder, Decoder } from '../common/encoding.js';
import { CephError, MAX_ERRNO } from '../common/errors.js';
import type { UTime } from '../common/osdmap/index.js';
import {
  CmpXattrMode, CmpXattrOp, OsdOpCode, OsdOpFlag, decodeOmapKeysReply, decodeOmapMap, decodeOmapValsReply, decodeStatReply, decodeXattrsReply,
  newOSDOp, opAppend, opAssertExists, opAssertVersion, opCmpExt, opCmpXattr, opCreate, opDelete, opGetXattr, opGetXattrs, opOmapClear,
  opOmapGetHeader, opOmapGetKeys, opOmapGetVals, opOmapGetValsByKeys, opOmapRmKeys, opOmapSetHeader, opOmapSetVals, opRead, opRmXattr,
  opSetXattr, opSparseRead, opStat, opTruncate, opWrite, opWriteFull, opWriteSame, opZero, type OSDOp,
} from '../msg/index.js';

/** Re-exported from common/errors: a cmpext mismatch at offset n comes back as -(MAX_ERRNO + n). */
export { MAX_ERRNO };
/** Keys a ReadOp's omapGetVals / omapGetKeys asks for when the caller gives no maximum. */
export const OMAP_GET_KEYS_DEFAULT = 512;

/** Comparison of cmpxattr and omapCmp (Ceph's CEPH_OSD_CMPXATTR_OP_*). */
export type CompareOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';
const COMPARE_OPS: Readonly<Record<CompareOp, number>> = {
  eq: CmpXattrOp.EQ, ne: CmpXattrOp.NE, gt: CmpXattrOp.GT, gte: CmpXattrOp.GTE, lt: CmpXattrOp.LT, lte: CmpXattrOp.LTE,
};

/** One op's outcome after operate(): its rval (0 or -errno) and, for reads, the decoded value. */
export class OpSlot<T> {
  rval = 0;
  /** Set when the op ran and succeeded (undefined before operate or when the op failed). */
  value: T | undefined = undefined;
  /** Whether the reply covered this op at all (an earlier op failing stops the rest). */
  done = false;

  constructor(readonly decode: (out: Buffer) => T) {}

  /** The value, or a CephError with this op's errno (ENOENT, ENODATA, ...). */
  get(): T {
    if (this.rval < 0) throw CephError.fromErrno(this.rval, `op failed: ${this.rval}`);
    if (this.value === undefined) throw new CephError('EINVAL', 'no result yet: operate() the operation first');
    return this.value;
  }
}

/** What a sparse read returns: extents (offset, length) and their bytes back to back. */
export interface SparseExtents {
  extents: Array<{ offset: number; length: number }>;
  data: Buffer;
}

export interface OmapPage<T> {
  entries: T;
  more: boolean;
}

const ignore = (): void => undefined;

/** The shared part of WriteOp and ReadOp: the op list and a slot per op. */
export abstract class ObjectOperation {
  readonly ops: OSDOp[] = [];
  readonly slots: Array<OpSlot<unknown>> = [];

  protected add<T>(o: OSDOp, decode: (out: Buffer) => T): OpSlot<T> {
    const slot = new OpSlot<T>(decode);
    this.ops.push(o);
    this.slots.push(slot as OpSlot<unknown>);
    return slot;
  }

  /** Let the last op added fail without failing the operation (CEPH_OSD_OP_FLAG_FAILOK); its rval tells. */
  failOk(): this {
    const last = this.ops[this.ops.length - 1];
    if (!last) throw new CephError('EINVAL', 'failOk() needs an op before it');
    last.flags |= OsdOpFlag.FAILOK;
    return this;
  }

  /** Per-op rvals after operate(), in op order. */
  get rvals(): number[] {
    return this.slots.map((s) => s.rval);
  }

  get length(): number {
    return this.ops.length;
  }

  /**
   * Fill the slots from the OSD's reply ops (same order as sent). When the operation failed, only
   * rvals are taken (the OSD sends no output then), and an op that ran with rval 0 keeps no value.
   */
  fill(replyOps: readonly OSDOp[], result: number): void {
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      const r = replyOps[i];
      if (!r) continue;
      slot.done = true;
      slot.rval = r.rval;
      if (r.rval >= 0 && result >= 0) slot.value = slot.decode(r.outdata);
    }
  }

  protected guardExists(): OpSlot<void> {
    return this.add(opAssertExists(), ignore);
  }
  protected guardVersion(ver: number): OpSlot<void> {
    return this.add(opAssertVersion(ver), ignore);
  }
  protected guardCmpExt(offset: number, data: Buffer): OpSlot<void> {
    return this.add(opCmpExt(offset, data), ignore);
  }
  protected guardCmpXattr(name: string, op: CompareOp, value: Buffer | number): OpSlot<void> {
    const mode = typeof value === 'number' ? CmpXattrMode.U64 : CmpXattrMode.STRING;
    const v = typeof value === 'number' ? new Encoder(8).u64(value).toBuffer() : value;
    return this.add(opCmpXattr(name, COMPARE_OPS[op], mode, v), ignore);
  }
  protected guardOmapCmp(assertions: ReadonlyMap<string, { value: Buffer; op: CompareOp }>): OpSlot<void> {
    return this.add(opOmapCmp(assertions), ignore);
  }
}

/** CEPH_OSD_OP_OMAP_CMP: map<string, pair<bufferlist, int>> of key -> (value, comparison). */
export function opOmapCmp(assertions: ReadonlyMap<string, { value: Buffer; op: CompareOp }>): OSDOp {
  const o = newOSDOp(OsdOpCode.OMAP_CMP);
  const keys = [...assertions.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const e = new Encoder(64);
  e.u32(keys.length);
  for (const k of keys) {
    const a = assertions.get(k)!;
    e.string(k).bytes(a.value).s32(COMPARE_OPS[a.op]);
  }
  o.indata = e.toBuffer();
  return o;
}

function toMap(entries: ReadonlyMap<string, Buffer> | Record<string, Buffer>): ReadonlyMap<string, Buffer> {
  return entries instanceof Map ? entries : new Map(Object.entries(entries));
}

/** librados' ObjectWriteOperation. */
export class WriteOp extends ObjectOperation {
  create(exclusive: boolean): this {
    this.add(opCreate(exclusive), ignore);
    return this;
  }
  write(data: Buffer, offset = 0): this {
    this.add(opWrite(offset, data), ignore);
    return this;
  }
  writeFull(data: Buffer): this {
    this.add(opWriteFull(data), ignore);
    return this;
  }
  append(data: Buffer): this {
    this.add(opAppend(data), ignore);
    return this;
  }
  /** Repeat `pattern` over `length` bytes from `offset` (length a multiple of the pattern's). */
  writeSame(pattern: Buffer, length: number, offset = 0): this {
    if (pattern.length === 0 || length % pattern.length !== 0) throw new CephError('EINVAL', `writeSame: length ${length} is not a multiple of the ${pattern.length}-byte pattern`);
    this.add(opWriteSame(offset, length, pattern), ignore);
    return this;
  }
  truncate(size: number): this {
    this.add(opTruncate(size), ignore);
    return this;
  }
  zero(offset: number, length: number): this {
    this.add(opZero(offset, length), ignore);
    return this;
  }
  remove(): this {
    this.add(opDelete(), ignore);
    return this;
  }
  setxattr(name: string, value: Buffer): this {
    this.add(opSetXattr(name, value), ignore);
    return this;
  }
  rmxattr(name: string): this {
    this.add(opRmXattr(name), ignore);
    return this;
  }
  omapSet(entries: ReadonlyMap<string, Buffer> | Record<string, Buffer>): this {
    this.add(opOmapSetVals(toMap(entries)), ignore);
    return this;
  }
  omapRmKeys(keys: Iterable<string>): this {
    this.add(opOmapRmKeys(keys), ignore);
    return this;
  }
  omapClear(): this {
    this.add(opOmapClear(), ignore);
    return this;
  }
  omapSetHeader(header: Buffer): this {
    this.add(opOmapSetHeader(header), ignore);
    return this;
  }
  assertExists(): this {
    this.guardExists();
    return this;
  }
  /** Fail with ERANGE (object newer) or EOVERFLOW (older) unless the object's version is `ver`. */
  assertVersion(ver: number): this {
    this.guardVersion(ver);
    return this;
  }
  /** Fail unless the object's bytes at `offset` equal `data` (see CmpExtMismatch on ReadOp.cmpext). */
  cmpext(offset: number, data: Buffer): this {
    this.guardCmpExt(offset, data);
    return this;
  }
  /**
   * Fail with ECANCELED unless `value <op> xattr` holds, as Ceph compares (the given value on the
   * left: cmpxattr(n, 'gt', '7') passes when the stored value is '5'); a number compares as u64
   * (the stored text parsed as a number), a Buffer as bytes.
   */
  cmpxattr(name: string, op: CompareOp, value: Buffer | number): this {
    this.guardCmpXattr(name, op, value);
    return this;
  }
  /** Fail with ECANCELED unless every `omap[key] <op> value` holds. */
  omapCmp(assertions: ReadonlyMap<string, { value: Buffer; op: CompareOp }>): this {
    this.guardOmapCmp(assertions);
    return this;
  }
}

function decodeSparse(out: Buffer): SparseExtents {
  const what = 'sparse-read reply';
  const d = new Decoder(out, what);
  const n = d.count('extents', 16);
  const extents: Array<{ offset: number; length: number }> = [];
  for (let i = 0; i < n; i++) extents.push({ offset: d.u64(what), length: d.u64(what) });
  const data = Buffer.from(d.bytes(what));
  return { extents, data };
}

/** librados' ObjectReadOperation: each method returns its op's slot. */
export class ReadOp extends ObjectOperation {
  /** Up to `length` bytes from `offset` (0 = to the end). */
  read(offset: number, length: number): OpSlot<Buffer> {
    return this.add(opRead(offset, length), (b) => Buffer.from(b));
  }
  sparseRead(offset: number, length: number): OpSlot<SparseExtents> {
    return this.add(opSparseRead(offset, length), decodeSparse);
  }
  stat(): OpSlot<{ size: number; mtime: UTime }> {
    return this.add(opStat(), decodeStatReply);
  }
  getxattr(name: string): OpSlot<Buffer> {
    return this.add(opGetXattr(name), (b) => Buffer.from(b));
  }
  getxattrs(): OpSlot<Map<string, Buffer>> {
    return this.add(opGetXattrs(), decodeXattrsReply);
  }
  omapGetVals(startAfter = '', maxReturn = OMAP_GET_KEYS_DEFAULT, filterPrefix = ''): OpSlot<OmapPage<Map<string, Buffer>>> {
    return this.add(opOmapGetVals(startAfter, maxReturn, filterPrefix), decodeOmapValsReply as (b: Buffer) => OmapPage<Map<string, Buffer>>);
  }
  omapGetKeys(startAfter = '', maxReturn = OMAP_GET_KEYS_DEFAULT): OpSlot<OmapPage<string[]>> {
    return this.add(opOmapGetKeys(startAfter, maxReturn), (b) => {
      const r = decodeOmapKeysReply(b);
      return { entries: r.keys, more: r.more };
    });
  }
  omapGetValsByKeys(keys: Iterable<string>): OpSlot<Map<string, Buffer>> {
    return this.add(opOmapGetValsByKeys(keys), (b) => decodeOmapMap(b));
  }
  omapGetHeader(): OpSlot<Buffer> {
    return this.add(opOmapGetHeader(), (b) => Buffer.from(b));
  }
  assertExists(): OpSlot<void> {
    return this.guardExists();
  }
  assertVersion(ver: number): OpSlot<void> {
    return this.guardVersion(ver);
  }
  /** rval 0 when equal; a mismatch fails the operation (CmpExtMismatch with the first differing offset). */
  cmpext(offset: number, data: Buffer): OpSlot<void> {
    return this.guardCmpExt(offset, data);
  }
  cmpxattr(name: string, op: CompareOp, value: Buffer | number): OpSlot<void> {
    return this.guardCmpXattr(name, op, value);
  }
  omapCmp(assertions: ReadonlyMap<string, { value: Buffer; op: CompareOp }>): OpSlot<void> {
    return this.guardOmapCmp(assertions);
  }
}

/**
 * A cmpext guard found different bytes: `offset` is the first that differs (Ceph returns it as
 * -(MAX_ERRNO + offset)). Its code is ECANCELED, as for the other guards.
 */
export class CmpExtMismatch extends CephError {
  constructor(readonly offset: number, oid: string) {
    super('ECANCELED', `${oid}: cmpext mismatch at offset ${offset}`);
    this.name = 'CmpExtMismatch';
  }
}

/** The CephError for a failed operation's result (cmpext mismatches included). */
export function operationError(result: number, oid: string, osd: number): CephError {
  if (result <= -MAX_ERRNO) return new CmpExtMismatch(-result - MAX_ERRNO, oid);
  const e = CephError.fromErrno(result, '');
  return new CephError(e.code, `${oid}: ${e.code} (${result}) from osd.${osd}`);
}
