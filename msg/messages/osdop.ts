// The client <-> OSD op messages and the primary <-> replica ones, in Ceph 16's layouts
// (src/messages/MOSDOp.h, MOSDOpReply.h, MOSDRepOp.h, MOSDRepOpReply.h, MOSDBackoff.h; the per-op
// struct ceph_osd_op and the op codes and flags from src/include/rados.h; osd_reqid_t, spg_t,
// object_locator_t, hobject_t, eversion_t, pg_shard_t and request_redirect_t from osd/osd_types.h and
// common/hobject.h), plus the per-op payload codecs librados needs (extent, xattr, omap, stat, call).
//
// An op (OSDOp) is the 38-byte ceph_osd_op (op code, op flags, a 28-byte union whose meaning depends on
// the op code, payload_len) plus its input bytes (indata), its output bytes (outdata) and its result
// (rval). As Ceph does, a request carries every op's indata concatenated in the message's data segment
// (each op's payload_len says how much is its own); a reply does the same with outdata. The union is
// kept as its 28 raw bytes (`args`) so any op code round-trips exactly; the op builders below fill it
// and the readers (extentArgs, xattrArgs, ...) interpret it.

import { Decoder, Encoder, compareStringBytes } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';
import { decodePgId, encodePgId, type PgId, type UTime } from '../../common/osdmap/index.js';
import { Message, type EntityName, type RawMessage } from '../message.js';
import { decodeEntityName, decodeUTime, encodeEntityName, encodeUTime, frontDecoder, setFront } from './common.js';

// ---- numbers from Ceph ----------------------------------------------------------------------------

/** Message type numbers (include/ceph_fs.h, msg/Message.h). */
export const OsdOpMsgType = {
  CEPH_MSG_OSD_OP: 42,
  CEPH_MSG_OSD_OPREPLY: 43,
  CEPH_MSG_OSD_BACKOFF: 61,
  MSG_OSD_REPOP: 112,
  MSG_OSD_REPOPREPLY: 113,
} as const;

const MODE_RD = 0x1000;
const MODE_WR = 0x2000;
const MODE_RMW = 0x3000;
const MODE_CACHE = 0x8000;
const TYPE_DATA = 0x0200;
const TYPE_ATTR = 0x0300;
const TYPE_EXEC = 0x0400;
const TYPE_PG = 0x0500;

/** CEPH_OSD_OP_*: op codes (mode | type | number). */
export const OsdOpCode = {
  READ: MODE_RD | TYPE_DATA | 1,
  STAT: MODE_RD | TYPE_DATA | 2,
  MAPEXT: MODE_RD | TYPE_DATA | 3,
  MASKTRUNC: MODE_RD | TYPE_DATA | 4,
  SPARSE_READ: MODE_RD | TYPE_DATA | 5,
  NOTIFY: MODE_RD | TYPE_DATA | 6,
  NOTIFY_ACK: MODE_RD | TYPE_DATA | 7,
  ASSERT_VER: MODE_RD | TYPE_DATA | 8,
  LIST_WATCHERS: MODE_RD | TYPE_DATA | 9,
  LIST_SNAPS: MODE_RD | TYPE_DATA | 10,
  SYNC_READ: MODE_RD | TYPE_DATA | 11,
  WRITE: MODE_WR | TYPE_DATA | 1,
  WRITEFULL: MODE_WR | TYPE_DATA | 2,
  TRUNCATE: MODE_WR | TYPE_DATA | 3,
  ZERO: MODE_WR | TYPE_DATA | 4,
  DELETE: MODE_WR | TYPE_DATA | 5,
  APPEND: MODE_WR | TYPE_DATA | 6,
  STARTSYNC: MODE_WR | TYPE_DATA | 7,
  SETTRUNC: MODE_WR | TYPE_DATA | 8,
  TRIMTRUNC: MODE_WR | TYPE_DATA | 9,
  TMAPUP: MODE_RMW | TYPE_DATA | 10,
  TMAPPUT: MODE_WR | TYPE_DATA | 11,
  TMAPGET: MODE_RD | TYPE_DATA | 12,
  CREATE: MODE_WR | TYPE_DATA | 13,
  ROLLBACK: MODE_WR | TYPE_DATA | 14,
  WATCH: MODE_WR | TYPE_DATA | 15,
  OMAPGETKEYS: MODE_RD | TYPE_DATA | 17,
  OMAPGETVALS: MODE_RD | TYPE_DATA | 18,
  OMAPGETHEADER: MODE_RD | TYPE_DATA | 19,
  OMAPGETVALSBYKEYS: MODE_RD | TYPE_DATA | 20,
  OMAPSETVALS: MODE_WR | TYPE_DATA | 21,
  OMAPSETHEADER: MODE_WR | TYPE_DATA | 22,
  OMAPCLEAR: MODE_WR | TYPE_DATA | 23,
  OMAPRMKEYS: MODE_WR | TYPE_DATA | 24,
  OMAP_CMP: MODE_RD | TYPE_DATA | 25,
  COPY_FROM: MODE_WR | TYPE_DATA | 26,
  UNDIRTY: MODE_WR | TYPE_DATA | 28,
  ISDIRTY: MODE_RD | TYPE_DATA | 29,
  COPY_GET: MODE_RD | TYPE_DATA | 30,
  CHECKSUM: MODE_RD | TYPE_DATA | 31,
  CMPEXT: MODE_RD | TYPE_DATA | 32,
  CACHE_FLUSH: MODE_CACHE | TYPE_DATA | 31,
  CACHE_EVICT: MODE_CACHE | TYPE_DATA | 32,
  CACHE_TRY_FLUSH: MODE_CACHE | TYPE_DATA | 33,
  TMAP2OMAP: MODE_RMW | TYPE_DATA | 34,
  SETALLOCHINT: MODE_WR | TYPE_DATA | 35,
  CACHE_PIN: MODE_WR | TYPE_DATA | 36,
  CACHE_UNPIN: MODE_WR | TYPE_DATA | 37,
  WRITESAME: MODE_WR | TYPE_DATA | 38,
  SET_REDIRECT: MODE_WR | TYPE_DATA | 39,
  SET_CHUNK: MODE_WR | TYPE_DATA | 40,
  TIER_PROMOTE: MODE_WR | TYPE_DATA | 41,
  GETXATTR: MODE_RD | TYPE_ATTR | 1,
  GETXATTRS: MODE_RD | TYPE_ATTR | 2,
  CMPXATTR: MODE_RD | TYPE_ATTR | 3,
  SETXATTR: MODE_WR | TYPE_ATTR | 1,
  SETXATTRS: MODE_WR | TYPE_ATTR | 2,
  RESETXATTRS: MODE_WR | TYPE_ATTR | 3,
  RMXATTR: MODE_WR | TYPE_ATTR | 4,
  CALL: MODE_RD | TYPE_EXEC | 1,
  PGLS: MODE_RD | TYPE_PG | 1,
  PGLS_FILTER: MODE_RD | TYPE_PG | 2,
  PG_HITSET_LS: MODE_RD | TYPE_PG | 3,
  PG_HITSET_GET: MODE_RD | TYPE_PG | 4,
  PGNLS: MODE_RD | TYPE_PG | 5,
  PGNLS_FILTER: MODE_RD | TYPE_PG | 6,
  SCRUBLS: MODE_RD | TYPE_PG | 7,
} as const;

/** Ceph's op name ("writefull", "omap-set-vals") for an op code, or "???" as Ceph prints unknown ones. */
export function osdOpName(op: number): string {
  return OP_NAMES.get(op) ?? '???';
}
const OP_NAME_EXCEPTIONS: Readonly<Record<string, string>> = {
  ASSERT_VER: 'assert-version',
  SYNC_READ: 'sync_read',
  OMAPGETKEYS: 'omap-get-keys',
  OMAPGETVALS: 'omap-get-vals',
  OMAPGETHEADER: 'omap-get-header',
  OMAPGETVALSBYKEYS: 'omap-get-vals-by-keys',
  OMAPSETVALS: 'omap-set-vals',
  OMAPSETHEADER: 'omap-set-header',
  OMAPCLEAR: 'omap-clear',
  OMAPRMKEYS: 'omap-rm-keys',
  SETALLOCHINT: 'set-alloc-hint',
  WRITESAME: 'write-same',
};
const OP_NAMES = new Map<number, string>(
  Object.entries(OsdOpCode).map(([k, v]) => [v, OP_NAME_EXCEPTIONS[k] ?? k.toLowerCase().replace(/_/g, '-')]),
);

/** The op reads (CALL carries the RD bit but is special, as in Ceph's ceph_osd_op_mode_read). */
export function osdOpIsRead(op: number): boolean {
  return (op & MODE_RD) !== 0 && op !== OsdOpCode.CALL;
}
export function osdOpIsWrite(op: number): boolean {
  return (op & MODE_WR) !== 0;
}

/** CEPH_OSD_FLAG_*: per-message flags (MOSDOp.flags, MOSDOpReply.flags). */
export const OsdFlag = {
  ACK: 0x0001,
  ONNVRAM: 0x0002,
  ONDISK: 0x0004,
  RETRY: 0x0008,
  READ: 0x0010,
  WRITE: 0x0020,
  ORDERSNAP: 0x0040,
  PEERSTAT_OLD: 0x0080,
  BALANCE_READS: 0x0100,
  PARALLELEXEC: 0x0200,
  PGOP: 0x0400,
  EXEC: 0x0800,
  EXEC_PUBLIC: 0x1000,
  LOCALIZE_READS: 0x2000,
  RWORDERED: 0x4000,
  IGNORE_CACHE: 0x8000,
  SKIPRWLOCKS: 0x10000,
  IGNORE_OVERLAY: 0x20000,
  FLUSH: 0x40000,
  MAP_SNAP_CLONE: 0x80000,
  ENFORCE_SNAPC: 0x100000,
  REDIRECTED: 0x200000,
  KNOWN_REDIR: 0x400000,
  FULL_TRY: 0x800000,
  FULL_FORCE: 0x1000000,
  IGNORE_REDIRECT: 0x2000000,
  RETURNVEC: 0x4000000,
} as const;

/** CEPH_OSD_OP_FLAG_*: per-op flags (OSDOp.flags). */
export const OsdOpFlag = {
  EXCL: 0x1,
  FAILOK: 0x2,
  FADVISE_RANDOM: 0x4,
  FADVISE_SEQUENTIAL: 0x8,
  FADVISE_WILLNEED: 0x10,
  FADVISE_DONTNEED: 0x20,
  FADVISE_NOCACHE: 0x40,
} as const;

export const CmpXattrOp = { EQ: 1, NE: 2, GT: 3, GTE: 4, LT: 5, LTE: 6 } as const;
export const CmpXattrMode = { STRING: 1, U64: 2 } as const;
export const BackoffOp = { BLOCK: 1, ACK_BLOCK: 2, UNBLOCK: 3 } as const;

/** snapid_t specials: the head object (no snap) and the snapdir. */
export const CEPH_NOSNAP = 0xfffffffffffffffen;
export const CEPH_SNAPDIR = 0xffffffffffffffffn;
/** shard_id_t::NO_SHARD: a replicated pool's shard. */
export const NO_SHARD = -1;

// ---- limits ---------------------------------------------------------------------------------------

/** Bytes of struct ceph_osd_op on the wire, and of its union. */
export const OSD_OP_BYTES = 38;
export const OSD_OP_ARGS_BYTES = 28;
/** Ops in one MOSDOp / MOSDOpReply we accept (Ceph bounds them only by the message size). */
export const osdOpsPerMessageMax = 4096;
/** Snap ids in one snap context we accept. */
export const snapsPerContextMax = 65536;

// ---- small structs --------------------------------------------------------------------------------

/** spg_t: a PG and, in an erasure-coded pool, the shard (NO_SHARD otherwise). */
export interface SpgId {
  pgid: PgId;
  shard: number;
}

export function encodeSpgId(e: Encoder, s: SpgId): void {
  e.startStruct(1, 1);
  encodePgId(e, s.pgid);
  e.u8(s.shard & 0xff);
  e.finishStruct();
}

export function decodeSpgId(d: Decoder, what = 'spg_t'): SpgId {
  d.decodeStart(1, what);
  const pgid = decodePgId(d, what);
  const shard = (d.u8(what) << 24) >> 24;
  d.decodeFinish(what);
  return { pgid, shard };
}

/** osd_reqid_t: who asked (entity name), their tid and incarnation. */
export interface OsdReqId {
  name: EntityName;
  tid: number;
  inc: number;
}

export function emptyReqId(): OsdReqId {
  return { name: { type: 0, num: 0 }, tid: 0, inc: 0 };
}

export function encodeReqId(e: Encoder, r: OsdReqId): void {
  e.startStruct(2, 2);
  encodeEntityName(e, r.name);
  e.u64(r.tid).s32(r.inc);
  e.finishStruct();
}

export function decodeReqId(d: Decoder, what = 'osd_reqid_t'): OsdReqId {
  d.decodeStart(2, what);
  const name = decodeEntityName(d, what);
  const tid = d.u64(what);
  const inc = d.s32(what);
  d.decodeFinish(what);
  return { name, tid, inc };
}

/** blkin_trace_info: the tracing ids every op message carries (zero when not tracing). */
export interface TraceInfo {
  traceId: bigint;
  spanId: bigint;
  parentSpanId: bigint;
}

export function emptyTrace(): TraceInfo {
  return { traceId: 0n, spanId: 0n, parentSpanId: 0n };
}

function encodeTrace(e: Encoder, t: TraceInfo): void {
  e.u64Big(t.traceId).u64Big(t.spanId).u64Big(t.parentSpanId);
}

function decodeTrace(d: Decoder): TraceInfo {
  return { traceId: d.u64Big('trace_id'), spanId: d.u64Big('span_id'), parentSpanId: d.u64Big('parent_span_id') };
}

/** eversion_t: (epoch, version); on the wire version (u64) then epoch (u32). */
export interface EVersion {
  epoch: number;
  version: number;
}

export function zeroEVersion(): EVersion {
  return { epoch: 0, version: 0 };
}

export function encodeEVersion(e: Encoder, v: EVersion): void {
  e.u64(v.version).u32(v.epoch);
}

export function decodeEVersion(d: Decoder, what = 'eversion_t'): EVersion {
  const version = d.u64(what);
  const epoch = d.u32(what);
  return { epoch, version };
}

/** s64 through a bigint, so INT64_MIN (hobject_t's "no pool") survives. */
function encodeS64Wide(e: Encoder, v: number): void {
  // safe integers (every real pool id and hash) need no bigint: the same two's complement bytes
  if (Number.isSafeInteger(v)) e.s64(v);
  else e.u64Big(BigInt.asUintN(64, BigInt(v)));
}

function decodeS64Wide(d: Decoder, what: string): number {
  const lo = d.u32(what);
  const hi = d.s32(what);
  // |value| < 2^53: exact as a Number without a bigint
  if (hi >= -0x200000 && hi < 0x200000) return hi * 0x1_0000_0000 + lo;
  d.pos -= 8;
  const v = BigInt.asIntN(64, d.u64Big(what));
  const n = Number(v);
  if (BigInt(n) !== v) throw new CephError('EBADMSG', `${what}: s64 ${v} is not exact as a Number`);
  return n;
}

/** object_locator_t: where an object lives (pool, locator key or hash, namespace). */
export interface ObjectLocator {
  pool: number;
  key: string;
  nspace: string;
  hash: number; // -1 unless placement is by an explicit hash (then key is empty)
}

export function encodeObjectLocator(e: Encoder, l: ObjectLocator): void {
  if (l.hash !== -1 && l.key !== '') throw new CephError('EINVAL', 'object_locator_t: a hash and a key at once');
  e.startStruct(6, l.hash !== -1 ? 6 : 3);
  encodeS64Wide(e, l.pool);
  e.s32(-1); // preferred (retired)
  e.string(l.key).string(l.nspace);
  encodeS64Wide(e, l.hash);
  e.finishStruct();
}

export function decodeObjectLocator(d: Decoder, what = 'object_locator_t'): ObjectLocator {
  const v = d.decodeStart(6, what);
  if (v < 3) throw new CephError('EBADMSG', `${what}: struct_v ${v} predates this decoder`);
  const pool = decodeS64Wide(d, what);
  d.s32(what);
  const key = d.string(what);
  const nspace = v >= 5 ? d.string(what) : '';
  const hash = v >= 6 ? decodeS64Wide(d, what) : -1;
  d.decodeFinish(what);
  return { pool, key, nspace, hash };
}

/** hobject_t: an object name with its placement hash, snap, namespace and pool. */
export interface HObject {
  oid: string;
  key: string;
  nspace: string;
  hash: number; // u32, the raw rjenkins hash of the name (or locator key)
  pool: number; // s64; INT64_MIN for "none" (hobject_t())
  snap: bigint; // CEPH_NOSNAP for the head
  max: boolean;
}

export const HOBJECT_POOL_NONE = -(2 ** 63);

/** hobject_t() as Ceph default-constructs it (temp oids that are not set). */
export function emptyHObject(): HObject {
  return { oid: '', key: '', nspace: '', hash: 0, pool: HOBJECT_POOL_NONE, snap: 0n, max: false };
}

export function encodeHObject(e: Encoder, h: HObject): void {
  e.startStruct(4, 3);
  e.string(h.key).string(h.oid).u64Big(h.snap).u32(h.hash).bool(h.max).string(h.nspace);
  encodeS64Wide(e, h.pool);
  e.finishStruct();
}

export function decodeHObject(d: Decoder, what = 'hobject_t'): HObject {
  const v = d.decodeStartLegacyCompatLen(4, 3, 3, what);
  const key = d.string(what);
  const oid = d.string(what);
  const snap = d.u64Big(what);
  const hash = d.u32(what);
  const max = v >= 2 ? d.bool(what) : false;
  let nspace = '';
  let pool = HOBJECT_POOL_NONE;
  if (v >= 4) {
    nspace = d.string(what);
    pool = decodeS64Wide(d, what);
  }
  d.decodeFinish(what);
  return { oid, key, nspace, hash, pool, snap, max };
}

/** pg_shard_t: an OSD and its shard. */
export interface PgShard {
  osd: number;
  shard: number;
}

export function encodePgShard(e: Encoder, s: PgShard): void {
  e.startStruct(1, 1).s32(s.osd).u8(s.shard & 0xff).finishStruct();
}

export function decodePgShard(d: Decoder, what = 'pg_shard_t'): PgShard {
  d.decodeStart(1, what);
  const osd = d.s32(what);
  const shard = (d.u8(what) << 24) >> 24;
  d.decodeFinish(what);
  return { osd, shard };
}

/** request_redirect_t: "send this op to that object/pool instead". */
export interface RequestRedirect {
  locator: ObjectLocator;
  object: string;
}

function encodeRedirect(e: Encoder, r: RequestRedirect): void {
  e.startStruct(1, 1);
  encodeObjectLocator(e, r.locator);
  e.string(r.object);
  e.u32(0); // the retired osd_instructions bufferlist, always empty
  e.finishStruct();
}

function decodeRedirect(d: Decoder): RequestRedirect {
  const what = 'request_redirect_t';
  d.decodeStart(1, what);
  const locator = decodeObjectLocator(d);
  const object = d.string(what);
  d.bytes(what);
  d.decodeFinish(what);
  return { locator, object };
}

// ---- ceph_osd_op ----------------------------------------------------------------------------------

/** One op of a MOSDOp / MOSDOpReply: ceph_osd_op plus its data and result. */
export interface OSDOp {
  op: number; // OsdOpCode
  flags: number; // OsdOpFlag bits
  args: Buffer; // the 28-byte union, as the op code reads it
  indata: Buffer;
  outdata: Buffer;
  rval: number;
}

export function newOSDOp(op: number, flags = 0): OSDOp {
  return { op, flags, args: Buffer.alloc(OSD_OP_ARGS_BYTES), indata: EMPTY, outdata: EMPTY, rval: 0 };
}
const EMPTY = Buffer.alloc(0);

function encodeRawOp(e: Encoder, o: OSDOp, payloadLen: number): void {
  if (o.args.length !== OSD_OP_ARGS_BYTES) throw new CephError('EINVAL', `ceph_osd_op union of ${o.args.length} bytes`);
  e.u16(o.op).u32(o.flags).raw(o.args).u32(payloadLen);
}

function decodeRawOp(d: Decoder): { o: OSDOp; payloadLen: number } {
  const o = newOSDOp(d.u16('ceph_osd_op op'), d.u32('ceph_osd_op flags'));
  o.args = Buffer.from(d.raw(OSD_OP_ARGS_BYTES, 'ceph_osd_op union'));
  return { o, payloadLen: d.u32('ceph_osd_op payload_len') };
}

/**
 * Split a data segment into each op's payload, in op order (Ceph's split_osd_op_vector_*_data). A
 * payload inside one of the segment's pieces is a view of it; one spanning pieces is joined, except
 * for the ops in `keepParts` (op codes whose executor only passes the data on): their indata is joined
 * only if something reads it, and osdOpIndataParts gives the pieces (views, no copy).
 */
function splitData(ops: readonly OSDOp[], data: readonly Buffer[], lens: readonly number[], what: string, keepParts: ReadonlySet<number> | undefined, into: 'indata' | 'outdata'): void {
  let total = 0;
  for (const b of data) total += b.length;
  let pi = 0; // data[pi] holds the next byte, at offset po
  let po = 0;
  let off = 0;
  for (let i = 0; i < lens.length; i++) {
    const n = lens[i]!;
    if (off + n > total) throw new CephError('EBADMSG', `${what}: ops' payload_len sum past the ${total}-byte data segment`);
    off += n;
    const o = ops[i]!;
    if (n === 0) {
      o[into] = EMPTY;
      continue;
    }
    while (po === data[pi]!.length) {
      pi++;
      po = 0;
    }
    const first = data[pi]!;
    if (po + n <= first.length) {
      o[into] = first.subarray(po, po + n);
      po += n;
      continue;
    }
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      while (po === data[pi]!.length) {
        pi++;
        po = 0;
      }
      const p = data[pi]!;
      const take = Math.min(left, p.length - po);
      parts.push(p.subarray(po, po + take));
      po += take;
      left -= take;
    }
    if (into === 'indata' && keepParts?.has(o.op)) setIndataParts(o, parts);
    else o[into] = Buffer.concat(parts);
  }
}

/** Ops whose indata the OSD passes to the store as the segment's pieces (data writes). */
const INDATA_PARTS_OPS: ReadonlySet<number> = new Set([OsdOpCode.WRITE, OsdOpCode.WRITEFULL, OsdOpCode.APPEND]);

const indataPartsOf = new WeakMap<OSDOp, readonly Buffer[]>();

/** An op's indata as pieces: the data segment's views (see splitData), else [indata]. */
export function osdOpIndataParts(o: OSDOp): readonly Buffer[] {
  return indataPartsOf.get(o) ?? [o.indata];
}

/** Bytes of an op's indata, without joining its pieces. */
export function osdOpIndataLength(o: OSDOp): number {
  const parts = indataPartsOf.get(o);
  if (!parts) return o.indata.length;
  let n = 0;
  for (const b of parts) n += b.length;
  return n;
}

/**
 * A shallow copy of an op, as `{ ...o }` makes, that keeps indata's pieces unjoined (a spread would
 * read indata and so join them).
 */
export function copyOSDOp(o: OSDOp): OSDOp {
  const parts = indataPartsOf.get(o);
  if (!parts) return { ...o };
  const c: OSDOp = { op: o.op, flags: o.flags, args: o.args, indata: EMPTY, outdata: o.outdata, rval: o.rval };
  setIndataParts(c, parts);
  return c;
}

/** Make o's indata the pieces `parts`, joined into one Buffer on first read (an assignment replaces both). */
function setIndataParts(o: OSDOp, parts: readonly Buffer[]): void {
  let joined: Buffer | undefined;
  indataPartsOf.set(o, parts);
  Object.defineProperty(o, 'indata', {
    configurable: true,
    enumerable: true,
    get: (): Buffer => (joined ??= Buffer.concat(parts)),
    set: (v: Buffer): void => {
      indataPartsOf.delete(o);
      Object.defineProperty(o, 'indata', { configurable: true, enumerable: true, writable: true, value: v });
    },
  });
}

function u64At(b: Buffer, off: number): number {
  const lo = b.readUInt32LE(off);
  const hi = b.readUInt32LE(off + 4);
  if (hi > 0x1fffff) throw new CephError('EBADMSG', `ceph_osd_op field at ${off} exceeds 2^53`);
  return hi * 0x1_0000_0000 + lo;
}

function setU64At(b: Buffer, off: number, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new CephError('EINVAL', `ceph_osd_op field ${v} is not a u64`);
  b.writeUInt32LE(v % 0x1_0000_0000, off);
  b.writeUInt32LE(Math.floor(v / 0x1_0000_0000), off + 4);
}

// The union, read as each op code reads it.
export interface ExtentArgs {
  offset: number;
  length: number;
  truncateSize: number;
  truncateSeq: number;
}
export function extentArgs(o: OSDOp): ExtentArgs {
  return { offset: u64At(o.args, 0), length: u64At(o.args, 8), truncateSize: u64At(o.args, 16), truncateSeq: o.args.readUInt32LE(24) };
}
export function setExtentArgs(o: OSDOp, x: ExtentArgs): void {
  setU64At(o.args, 0, x.offset);
  setU64At(o.args, 8, x.length);
  setU64At(o.args, 16, x.truncateSize);
  o.args.writeUInt32LE(x.truncateSeq >>> 0, 24);
}

export interface XattrArgs {
  nameLen: number;
  valueLen: number;
  cmpOp: number;
  cmpMode: number;
}
export function xattrArgs(o: OSDOp): XattrArgs {
  return { nameLen: o.args.readUInt32LE(0), valueLen: o.args.readUInt32LE(4), cmpOp: o.args[8]!, cmpMode: o.args[9]! };
}

export interface ClsArgs {
  classLen: number;
  methodLen: number;
  argc: number;
  indataLen: number;
}
export function clsArgs(o: OSDOp): ClsArgs {
  return { classLen: o.args[0]!, methodLen: o.args[1]!, argc: o.args[2]!, indataLen: o.args.readUInt32LE(3) };
}

/** assert_ver.ver; snap.snapid / notify.cookie share the first u64. */
export function assertVerArg(o: OSDOp): number {
  return u64At(o.args, 8);
}

export interface WriteSameArgs {
  offset: number;
  length: number;
  dataLength: number;
}
export function writeSameArgs(o: OSDOp): WriteSameArgs {
  return { offset: u64At(o.args, 0), length: u64At(o.args, 8), dataLength: u64At(o.args, 16) };
}

export interface AllocHintArgs {
  expectedObjectSize: number;
  expectedWriteSize: number;
  flags: number;
}
export function allocHintArgs(o: OSDOp): AllocHintArgs {
  return { expectedObjectSize: u64At(o.args, 0), expectedWriteSize: u64At(o.args, 8), flags: o.args.readUInt32LE(16) };
}

// ---- op builders (what librados puts in an ObjectOperation) ---------------------------------------

function extentOp(code: number, offset: number, length: number, indata: Buffer = EMPTY, truncateSize = 0, truncateSeq = 0): OSDOp {
  const o = newOSDOp(code);
  setExtentArgs(o, { offset, length, truncateSize, truncateSeq });
  o.indata = indata;
  return o;
}

export const opRead = (offset: number, length: number): OSDOp => extentOp(OsdOpCode.READ, offset, length);
export const opSparseRead = (offset: number, length: number): OSDOp => extentOp(OsdOpCode.SPARSE_READ, offset, length);
export const opWrite = (offset: number, data: Buffer): OSDOp => extentOp(OsdOpCode.WRITE, offset, data.length, data);
export const opWriteFull = (data: Buffer): OSDOp => extentOp(OsdOpCode.WRITEFULL, 0, data.length, data);
export const opAppend = (data: Buffer): OSDOp => extentOp(OsdOpCode.APPEND, 0, data.length, data);
export const opTruncate = (size: number): OSDOp => extentOp(OsdOpCode.TRUNCATE, size, 0);
export const opZero = (offset: number, length: number): OSDOp => extentOp(OsdOpCode.ZERO, offset, length);
/** Compare `data` with the object at offset; rval is -MAX_ERRNO - (first mismatch offset) on mismatch. */
export const opCmpExt = (offset: number, data: Buffer): OSDOp => extentOp(OsdOpCode.CMPEXT, offset, data.length, data);

export function opWriteSame(offset: number, length: number, pattern: Buffer): OSDOp {
  const o = newOSDOp(OsdOpCode.WRITESAME);
  setU64At(o.args, 0, offset);
  setU64At(o.args, 8, length);
  setU64At(o.args, 16, pattern.length);
  o.indata = pattern;
  return o;
}

export const opStat = (): OSDOp => newOSDOp(OsdOpCode.STAT);
/** librados' assert_exists: a STAT whose output nobody reads. */
export const opAssertExists = (): OSDOp => newOSDOp(OsdOpCode.STAT);
export const opCreate = (exclusive: boolean): OSDOp => newOSDOp(OsdOpCode.CREATE, exclusive ? OsdOpFlag.EXCL : 0);
export const opDelete = (): OSDOp => newOSDOp(OsdOpCode.DELETE);

export function opAssertVersion(ver: number): OSDOp {
  const o = newOSDOp(OsdOpCode.ASSERT_VER);
  setU64At(o.args, 8, ver);
  return o;
}

export function opSetAllocHint(expectedObjectSize: number, expectedWriteSize: number, flags = 0): OSDOp {
  const o = newOSDOp(OsdOpCode.SETALLOCHINT);
  setU64At(o.args, 0, expectedObjectSize);
  setU64At(o.args, 8, expectedWriteSize);
  o.args.writeUInt32LE(flags >>> 0, 16);
  return o;
}

function xattrOp(code: number, name: string, value: Buffer = EMPTY, cmpOp = 0, cmpMode = 0): OSDOp {
  const o = newOSDOp(code);
  const n = Buffer.from(name, 'utf8');
  o.args.writeUInt32LE(n.length, 0);
  o.args.writeUInt32LE(value.length, 4);
  o.args[8] = cmpOp;
  o.args[9] = cmpMode;
  o.indata = value.length ? Buffer.concat([n, value]) : n;
  return o;
}

export const opGetXattr = (name: string): OSDOp => xattrOp(OsdOpCode.GETXATTR, name);
export const opSetXattr = (name: string, value: Buffer): OSDOp => xattrOp(OsdOpCode.SETXATTR, name, value);
export const opRmXattr = (name: string): OSDOp => xattrOp(OsdOpCode.RMXATTR, name);
export const opGetXattrs = (): OSDOp => newOSDOp(OsdOpCode.GETXATTRS);
export const opCmpXattr = (name: string, cmpOp: number, cmpMode: number, value: Buffer): OSDOp =>
  xattrOp(OsdOpCode.CMPXATTR, name, value, cmpOp, cmpMode);

/** An xattr op's name and value, split from its indata by the union's lengths. */
export function xattrNameValue(o: OSDOp): { name: string; value: Buffer } {
  const a = xattrArgs(o);
  if (a.nameLen + a.valueLen > o.indata.length) throw new CephError('EINVAL', `xattr op: name ${a.nameLen} + value ${a.valueLen} bytes past its ${o.indata.length}-byte indata`);
  return { name: o.indata.subarray(0, a.nameLen).toString('utf8'), value: o.indata.subarray(a.nameLen, a.nameLen + a.valueLen) };
}

export function opCall(cls: string, method: string, input: Buffer = EMPTY): OSDOp {
  const c = Buffer.from(cls, 'utf8');
  const m = Buffer.from(method, 'utf8');
  if (c.length > 255 || m.length > 255) throw new CephError('EINVAL', 'call: class and method names are at most 255 bytes');
  const o = newOSDOp(OsdOpCode.CALL);
  o.args[0] = c.length;
  o.args[1] = m.length;
  o.args[2] = 0;
  o.args.writeUInt32LE(input.length, 3);
  o.indata = Buffer.concat([c, m, input]);
  return o;
}

/** A CALL op's class, method and input, split from its indata. */
export function callParts(o: OSDOp): { cls: string; method: string; input: Buffer } {
  const a = clsArgs(o);
  if (a.classLen + a.methodLen + a.indataLen > o.indata.length) throw new CephError('EINVAL', 'call op: lengths past its indata');
  const m0 = a.classLen;
  const i0 = m0 + a.methodLen;
  return { cls: o.indata.subarray(0, m0).toString('utf8'), method: o.indata.subarray(m0, i0).toString('utf8'), input: o.indata.subarray(i0, i0 + a.indataLen) };
}

// omap: the indata / outdata encodings ReplicatedPG::do_osd_ops reads and writes.

function sortedKeys(keys: Iterable<string>): string[] {
  return [...new Set(keys)].sort(compareStringBytes);
}

export function encodeOmapKeySet(keys: Iterable<string>): Buffer {
  const e = new Encoder(64);
  const v = sortedKeys(keys);
  e.u32(v.length);
  for (const k of v) e.string(k);
  return e.toBuffer();
}

export function encodeOmapMap(m: ReadonlyMap<string, Buffer>): Buffer {
  const e = new Encoder(64);
  const keys = sortedKeys(m.keys());
  e.u32(keys.length);
  for (const k of keys) e.string(k).bytes(m.get(k)!);
  return e.toBuffer();
}

function decodeBlMap(d: Decoder, what: string): Map<string, Buffer> {
  return d.map(what, 8, (x) => x.string(what), (x) => Buffer.from(x.bytes(what)));
}

export function decodeOmapKeySet(b: Buffer, what = 'omap keys'): string[] {
  const d = new Decoder(b, what);
  return d.list(what, 4, (x) => x.string(what));
}

export function decodeOmapMap(b: Buffer, what = 'omap values'): Map<string, Buffer> {
  return decodeBlMap(new Decoder(b, what), what);
}

export function opOmapGetKeys(startAfter: string, maxReturn: number): OSDOp {
  const o = newOSDOp(OsdOpCode.OMAPGETKEYS);
  o.indata = new Encoder(32).string(startAfter).u64(maxReturn).toBuffer();
  return o;
}

export function opOmapGetVals(startAfter: string, maxReturn: number, filterPrefix = ''): OSDOp {
  const o = newOSDOp(OsdOpCode.OMAPGETVALS);
  o.indata = new Encoder(32).string(startAfter).u64(maxReturn).string(filterPrefix).toBuffer();
  return o;
}

export function opOmapGetValsByKeys(keys: Iterable<string>): OSDOp {
  const o = newOSDOp(OsdOpCode.OMAPGETVALSBYKEYS);
  o.indata = encodeOmapKeySet(keys);
  return o;
}

export function opOmapSetVals(m: ReadonlyMap<string, Buffer>): OSDOp {
  const o = newOSDOp(OsdOpCode.OMAPSETVALS);
  o.indata = encodeOmapMap(m);
  return o;
}

export function opOmapRmKeys(keys: Iterable<string>): OSDOp {
  const o = newOSDOp(OsdOpCode.OMAPRMKEYS);
  o.indata = encodeOmapKeySet(keys);
  return o;
}

export function opOmapSetHeader(header: Buffer): OSDOp {
  const o = newOSDOp(OsdOpCode.OMAPSETHEADER);
  o.indata = header;
  return o;
}

export const opOmapGetHeader = (): OSDOp => newOSDOp(OsdOpCode.OMAPGETHEADER);
export const opOmapClear = (): OSDOp => newOSDOp(OsdOpCode.OMAPCLEAR);

/** OMAPGETKEYS / OMAPGETVALS input, as the OSD reads it. */
export function decodeOmapGetArgs(o: OSDOp): { startAfter: string; maxReturn: number; filterPrefix: string } {
  const d = new Decoder(o.indata, 'omap get args');
  const startAfter = d.string('start_after');
  const maxReturn = d.u64('max_return');
  const filterPrefix = o.op === OsdOpCode.OMAPGETVALS && !d.atEnd() ? d.string('filter_prefix') : '';
  return { startAfter, maxReturn, filterPrefix };
}

/** OMAPGETKEYS output: the keys and whether more follow. */
export function encodeOmapKeysReply(keys: Iterable<string>, more: boolean): Buffer {
  const e = new Encoder(64);
  const v = sortedKeys(keys);
  e.u32(v.length);
  for (const k of v) e.string(k);
  return e.bool(more).toBuffer();
}

export function decodeOmapKeysReply(b: Buffer): { keys: string[]; more: boolean } {
  const d = new Decoder(b, 'omap-get-keys reply');
  const keys = d.list('keys', 4, (x) => x.string('key'));
  const more = d.atEnd() ? false : d.bool('more');
  return { keys, more };
}

/** OMAPGETVALS output: the entries and whether more follow. */
export function encodeOmapValsReply(m: ReadonlyMap<string, Buffer>, more: boolean): Buffer {
  return Buffer.concat([encodeOmapMap(m), Buffer.from([more ? 1 : 0])]);
}

export function decodeOmapValsReply(b: Buffer): { entries: Map<string, Buffer>; more: boolean } {
  const d = new Decoder(b, 'omap-get-vals reply');
  const entries = decodeBlMap(d, 'omap values');
  const more = d.atEnd() ? false : d.bool('more');
  return { entries, more };
}

/** GETXATTRS output: name -> value. */
export const encodeXattrsReply = encodeOmapMap;
export const decodeXattrsReply = (b: Buffer): Map<string, Buffer> => decodeOmapMap(b, 'getxattrs reply');

/** STAT output: size (u64) and mtime (utime_t). */
export function encodeStatReply(size: number, mtime: UTime): Buffer {
  const e = new Encoder(16);
  e.u64(size);
  encodeUTime(e, mtime);
  return e.toBuffer();
}

export function decodeStatReply(b: Buffer): { size: number; mtime: UTime } {
  const d = new Decoder(b, 'stat reply');
  const size = d.u64('size');
  const mtime = decodeUTime(d, 'mtime');
  return { size, mtime };
}

// ---- MOSDOp ---------------------------------------------------------------------------------------

/**
 * MOSDOp (v8): a client's ops on one object. `hobj` names the object (pool, namespace, locator key,
 * raw hash, snap to read); `pgid` is the PG the client mapped it to. `reqid` is normally unset (the OSD
 * builds it from the source, clientInc and tid; an unset reqid is sent with inc = clientInc). Each
 * op's indata goes in the data segment.
 */
export class MOSDOp extends Message {
  static readonly TYPE = OsdOpMsgType.CEPH_MSG_OSD_OP;
  static readonly HEAD_VERSION = 8;
  static readonly COMPAT_VERSION = 3;

  pgid: SpgId = { pgid: { pool: 0, seed: 0 }, shard: NO_SHARD };
  hobj: HObject = { ...emptyHObject(), pool: 0, snap: CEPH_NOSNAP };
  osdmapEpoch = 0;
  flags = 0;
  reqid: OsdReqId = emptyReqId();
  trace: TraceInfo = emptyTrace();
  clientInc = 0;
  mtime: UTime = { sec: 0, nsec: 0 };
  ops: OSDOp[] = [];
  snapSeq = 0n;
  snaps: bigint[] = [];
  retryAttempt = -1;
  features = 0n;

  constructor() {
    super(MOSDOp.TYPE, MOSDOp.HEAD_VERSION, MOSDOp.COMPAT_VERSION);
  }

  typeName(): string {
    return 'osd_op';
  }

  /**
   * The request id the OSD files this op under (Ceph's get_reqid): the explicit reqid when the sender
   * set one, else the sending entity (the connection's peer), the incarnation and the message tid.
   */
  effectiveReqId(peer: EntityName): OsdReqId {
    const r = this.reqid;
    if (r.name.type !== 0 || r.name.num !== 0 || r.tid !== 0) return { name: { ...r.name }, tid: r.tid, inc: r.inc };
    return { name: { ...peer }, tid: this.header.tid, inc: r.inc };
  }

  /** The locator Ceph derives from hobj (by hash when there is no object name). */
  objectLocator(): ObjectLocator {
    if (this.hobj.oid === '') return { pool: this.hobj.pool, key: '', nspace: this.hobj.nspace, hash: this.hobj.hash };
    return { pool: this.hobj.pool, key: this.hobj.key, nspace: this.hobj.nspace, hash: -1 };
  }

  encodePayload(_features: bigint): void {
    this.header.version = MOSDOp.HEAD_VERSION;
    const e = new Encoder(256 + this.hobj.oid.length + this.ops.length * OSD_OP_BYTES);
    encodeSpgId(e, this.pgid);
    e.u32(this.hobj.hash).u32(this.osdmapEpoch).u32(this.flags >>> 0);
    // An unset reqid carries the client incarnation, as Ceph's MOSDOp constructor puts it there: a
    // Ceph 16 OSD asserts reqid.inc == client_inc for such ops (and aborts when printing one that
    // breaks it).
    const r = this.reqid;
    const unset = r.name.type === 0 && r.name.num === 0 && r.tid === 0;
    encodeReqId(e, unset ? { ...r, inc: this.clientInc | 0 } : r);
    encodeTrace(e, this.trace);
    e.u32(this.clientInc >>> 0);
    encodeUTime(e, this.mtime);
    encodeObjectLocator(e, this.objectLocator());
    e.string(this.hobj.oid);
    e.u16(this.ops.length);
    for (const o of this.ops) {
      encodeRawOp(e, o, o.indata.length);
      if (o.indata.length) this.data.push(o.indata);
    }
    e.u64Big(this.hobj.snap).u64Big(this.snapSeq);
    e.u32(this.snaps.length);
    for (const s of this.snaps) e.u64Big(s);
    e.s32(this.retryAttempt).u64Big(this.features);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDOp {
    const what = 'osd_op';
    if (raw.header.version !== MOSDOp.HEAD_VERSION) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v8 (Ceph 15 and later) is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDOp();
    m.pgid = decodeSpgId(d);
    m.hobj.hash = d.u32('hash');
    m.osdmapEpoch = d.u32('osdmap_epoch');
    m.flags = d.u32('flags');
    m.reqid = decodeReqId(d);
    m.trace = decodeTrace(d);
    m.clientInc = d.u32('client_inc');
    m.mtime = decodeUTime(d, 'mtime');
    const loc = decodeObjectLocator(d);
    m.hobj.oid = d.string('oid');
    m.hobj.pool = m.pgid.pgid.pool;
    m.hobj.key = loc.key;
    m.hobj.nspace = loc.nspace;
    const n = d.u16('num_ops');
    if (n > osdOpsPerMessageMax) throw new CephError('EBADMSG', `${what}: ${n} ops, more than ${osdOpsPerMessageMax}`);
    d.checkCount(n, OSD_OP_BYTES, 'ops');
    const lens: number[] = [];
    for (let i = 0; i < n; i++) {
      const { o, payloadLen } = decodeRawOp(d);
      m.ops.push(o);
      lens.push(payloadLen);
    }
    m.hobj.snap = d.u64Big('snapid');
    m.snapSeq = d.u64Big('snap_seq');
    const ns = d.count('snaps', 8);
    if (ns > snapsPerContextMax) throw new CephError('EBADMSG', `${what}: ${ns} snaps, more than ${snapsPerContextMax}`);
    for (let i = 0; i < ns; i++) m.snaps.push(d.u64Big('snap'));
    m.retryAttempt = d.s32('retry_attempt');
    m.features = d.u64Big('features');
    splitData(m.ops, raw.data, lens, what, INDATA_PARTS_OPS, 'indata');
    return m;
  }
}

// ---- MOSDOpReply ----------------------------------------------------------------------------------

/**
 * MOSDOpReply (v8 in Ceph 16): the result of a MOSDOp. `result` is 0 or -errno for the whole op;
 * each op has its rval and outdata (concatenated in the data segment). replayVersion is the PG log
 * version the write got, userVersion the object's user-visible version; badReplayVersion is the
 * legacy field old clients read (Ceph fills it from the two).
 */
export class MOSDOpReply extends Message {
  static readonly TYPE = OsdOpMsgType.CEPH_MSG_OSD_OPREPLY;
  static readonly HEAD_VERSION = 8;
  static readonly COMPAT_VERSION = 2;

  oid = '';
  pgid: PgId = { pool: 0, seed: 0 };
  flags = 0;
  result = 0;
  badReplayVersion: EVersion = zeroEVersion();
  osdmapEpoch = 0;
  ops: OSDOp[] = [];
  retryAttempt = -1;
  replayVersion: EVersion = zeroEVersion();
  userVersion = 0;
  redirect: RequestRedirect | null = null;
  trace: TraceInfo = emptyTrace();

  constructor() {
    super(MOSDOpReply.TYPE, MOSDOpReply.HEAD_VERSION, MOSDOpReply.COMPAT_VERSION);
  }

  typeName(): string {
    return 'osd_op_reply';
  }

  /**
   * The reply to `req` as Ceph's constructor starts it: same tid, oid, pg, ops (union kept, outdata
   * and rval empty), the request's flags without ACK/ONDISK/ONNVRAM plus `ackType`.
   */
  static replyTo(req: MOSDOp, result: number, epoch: number, ackType: number = OsdFlag.ONDISK): MOSDOpReply {
    const r = new MOSDOpReply();
    r.header.tid = req.header.tid;
    r.oid = req.hobj.oid;
    r.pgid = { ...req.pgid.pgid };
    r.ops = req.ops.map((o) => ({ op: o.op, flags: o.flags, args: Buffer.from(o.args), indata: EMPTY, outdata: EMPTY, rval: 0 }));
    r.result = result;
    r.flags = (req.flags & ~(OsdFlag.ONDISK | OsdFlag.ONNVRAM | OsdFlag.ACK)) | ackType;
    r.osdmapEpoch = epoch;
    r.retryAttempt = req.retryAttempt;
    return r;
  }

  /** Ceph's set_reply_versions: replay version v, user version uv (badReplayVersion follows). */
  setReplyVersions(v: EVersion, uv: number): void {
    this.replayVersion = { ...v };
    this.userVersion = uv;
    this.badReplayVersion = { epoch: v.epoch, version: uv ? uv : v.version };
  }

  encodePayload(_features: bigint): void {
    this.header.version = MOSDOpReply.HEAD_VERSION;
    const e = new Encoder(192 + this.oid.length + this.ops.length * (OSD_OP_BYTES + 4));
    e.string(this.oid);
    encodePgId(e, this.pgid);
    e.s64(this.flags).s32(this.result);
    encodeEVersion(e, this.badReplayVersion);
    e.u32(this.osdmapEpoch).u32(this.ops.length);
    for (const o of this.ops) {
      encodeRawOp(e, o, o.outdata.length);
      if (o.outdata.length) this.data.push(o.outdata);
    }
    e.s32(this.retryAttempt);
    for (const o of this.ops) e.s32(o.rval);
    encodeEVersion(e, this.replayVersion);
    e.u64(this.userVersion);
    e.bool(this.redirect !== null);
    if (this.redirect) encodeRedirect(e, this.redirect);
    encodeTrace(e, this.trace);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDOpReply {
    const what = 'osd_op_reply';
    const v = raw.header.version;
    if (v < 7) throw new CephError('EBADMSG', `${what} v${v}: only v7 and later are read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDOpReply();
    m.oid = d.string('oid');
    m.pgid = decodePgId(d);
    m.flags = d.s64('flags');
    m.result = d.s32('result');
    m.badReplayVersion = decodeEVersion(d);
    m.osdmapEpoch = d.u32('osdmap_epoch');
    const n = d.count('num_ops', OSD_OP_BYTES + 4);
    if (n > osdOpsPerMessageMax) throw new CephError('EBADMSG', `${what}: ${n} ops, more than ${osdOpsPerMessageMax}`);
    const lens: number[] = [];
    for (let i = 0; i < n; i++) {
      const { o, payloadLen } = decodeRawOp(d);
      m.ops.push(o);
      lens.push(payloadLen);
    }
    m.retryAttempt = d.s32('retry_attempt');
    for (const o of m.ops) o.rval = d.s32('rval');
    splitData(m.ops, raw.data, lens, what, undefined, 'outdata');
    m.replayVersion = decodeEVersion(d);
    m.userVersion = d.u64('user_version');
    if (d.bool('do_redirect')) m.redirect = decodeRedirect(d);
    if (v >= 9) d.u32('qos_resp'); // a dmclock phase, in versions after Ceph 16's v8
    if (v >= 8) m.trace = decodeTrace(d);
    return m;
  }
}

// ---- MOSDRepOp / MOSDRepOpReply -------------------------------------------------------------------

/**
 * MOSDRepOp (v3 in Ceph 16): the primary sends a replica the transaction of one client write. The
 * PG log entries (logbl), the PG stats (pgStats, a pg_stat_t kept as its encoded bytes) and the
 * optional hit-set history (likewise) travel in the front; the ObjectStore transaction travels,
 * encoded by the sender, as the data segment (`transaction`).
 */
export class MOSDRepOp extends Message {
  static readonly TYPE = OsdOpMsgType.MSG_OSD_REPOP;
  static readonly HEAD_VERSION = 3;
  static readonly COMPAT_VERSION = 1;

  mapEpoch = 0;
  minEpoch = 0;
  trace: TraceInfo = emptyTrace();
  reqid: OsdReqId = emptyReqId();
  pgid: SpgId = { pgid: { pool: 0, seed: 0 }, shard: NO_SHARD };
  poid: HObject = emptyHObject();
  acksWanted = 0;
  version: EVersion = zeroEVersion();
  logbl: Buffer = EMPTY;
  pgStats: Buffer = EMPTY; // an encoded pg_stat_t (struct header included)
  pgTrimTo: EVersion = zeroEVersion();
  newTempOid: HObject = emptyHObject();
  discardTempOid: HObject = emptyHObject();
  from: PgShard = { osd: -1, shard: NO_SHARD };
  updatedHitSetHistory: Buffer | null = null; // an encoded pg_hit_set_history_t
  minLastCompleteOndisk: EVersion = zeroEVersion();
  /**
   * The encoded ObjectStore::Transaction (the data segment) as a list of buffers: received, the
   * segment's chunks as the transport gave them; sent, the encoder's parts (large write data by
   * reference). `transaction` is the same bytes joined.
   */
  transactionParts: Buffer[] = [];

  constructor() {
    super(MOSDRepOp.TYPE, MOSDRepOp.HEAD_VERSION, MOSDRepOp.COMPAT_VERSION);
  }

  /** The encoded transaction in one buffer (joined from transactionParts when it has several). */
  get transaction(): Buffer {
    const p = this.transactionParts;
    if (p.length <= 1) return p[0] ?? EMPTY;
    const joined = Buffer.concat(p);
    this.transactionParts = [joined];
    return joined;
  }

  set transaction(b: Buffer) {
    this.transactionParts = b.length ? [b] : [];
  }

  typeName(): string {
    return 'osd_repop';
  }

  encodePayload(_features: bigint): void {
    this.header.version = MOSDRepOp.HEAD_VERSION;
    if (this.pgStats.length < 6) throw new CephError('EINVAL', 'osd_repop: pgStats must be an encoded pg_stat_t');
    const e = new Encoder(512 + this.logbl.length + this.pgStats.length);
    e.u32(this.mapEpoch).u32(this.minEpoch);
    encodeTrace(e, this.trace);
    encodeReqId(e, this.reqid);
    encodeSpgId(e, this.pgid);
    encodeHObject(e, this.poid);
    e.u8(this.acksWanted);
    encodeEVersion(e, this.version);
    e.bytes(this.logbl);
    e.raw(this.pgStats);
    encodeEVersion(e, this.pgTrimTo);
    encodeHObject(e, this.newTempOid);
    encodeHObject(e, this.discardTempOid);
    encodePgShard(e, this.from);
    e.bool(this.updatedHitSetHistory !== null);
    if (this.updatedHitSetHistory) e.raw(this.updatedHitSetHistory);
    encodeEVersion(e, this.minLastCompleteOndisk);
    setFront(this, e);
    for (const b of this.transactionParts) if (b.length) this.data.push(b);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDRepOp {
    const what = 'osd_repop';
    if (raw.header.version < 3) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v3 (Ceph 15 and later) is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDRepOp();
    m.mapEpoch = d.u32('map_epoch');
    m.minEpoch = d.u32('min_epoch');
    m.trace = decodeTrace(d);
    m.reqid = decodeReqId(d);
    m.pgid = decodeSpgId(d);
    m.poid = decodeHObject(d, 'poid');
    m.acksWanted = d.u8('acks_wanted');
    m.version = decodeEVersion(d, 'version');
    // logbl and the transaction are views of the received segments, as MOSDOp's op data are (the
    // transport never reuses a chunk): their readers copy out what they keep
    m.logbl = d.bytes('logbl');
    m.pgStats = opaqueStruct(d, 'pg_stat_t');
    m.pgTrimTo = decodeEVersion(d, 'pg_trim_to');
    m.newTempOid = decodeHObject(d, 'new_temp_oid');
    m.discardTempOid = decodeHObject(d, 'discard_temp_oid');
    m.from = decodePgShard(d);
    m.updatedHitSetHistory = d.bool('updated_hit_set_history') ? opaqueStruct(d, 'pg_hit_set_history_t') : null;
    m.minLastCompleteOndisk = decodeEVersion(d, 'min_last_complete_ondisk');
    m.transactionParts = raw.data.filter((b) => b.length > 0);
    return m;
  }
}

/** A versioned struct (ENCODE_START header and body) copied out whole. */
function opaqueStruct(d: Decoder, what: string): Buffer {
  const start = d.pos;
  d.decodeStart(255, what);
  d.decodeFinish(what);
  const end = d.pos;
  d.pos = start;
  return Buffer.from(d.raw(end - start, what));
}

/** MOSDRepOpReply (v2): a replica's answer to a MOSDRepOp. */
export class MOSDRepOpReply extends Message {
  static readonly TYPE = OsdOpMsgType.MSG_OSD_REPOPREPLY;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 1;

  mapEpoch = 0;
  minEpoch = 0;
  trace: TraceInfo = emptyTrace();
  reqid: OsdReqId = emptyReqId();
  pgid: SpgId = { pgid: { pool: 0, seed: 0 }, shard: NO_SHARD };
  ackType = 0;
  result = 0;
  lastCompleteOndisk: EVersion = zeroEVersion();
  from: PgShard = { osd: -1, shard: NO_SHARD };

  constructor() {
    super(MOSDRepOpReply.TYPE, MOSDRepOpReply.HEAD_VERSION, MOSDRepOpReply.COMPAT_VERSION);
  }

  typeName(): string {
    return 'osd_repop_reply';
  }

  encodePayload(_features: bigint): void {
    this.header.version = MOSDRepOpReply.HEAD_VERSION;
    const e = new Encoder(128);
    e.u32(this.mapEpoch).u32(this.minEpoch);
    encodeTrace(e, this.trace);
    encodeReqId(e, this.reqid);
    encodeSpgId(e, this.pgid);
    e.u8(this.ackType).s32(this.result);
    encodeEVersion(e, this.lastCompleteOndisk);
    encodePgShard(e, this.from);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDRepOpReply {
    const what = 'osd_repop_reply';
    if (raw.header.version < 2) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v2 is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDRepOpReply();
    m.mapEpoch = d.u32('map_epoch');
    m.minEpoch = d.u32('min_epoch');
    m.trace = decodeTrace(d);
    m.reqid = decodeReqId(d);
    m.pgid = decodeSpgId(d);
    m.ackType = d.u8('ack_type');
    m.result = d.s32('result');
    m.lastCompleteOndisk = decodeEVersion(d, 'last_complete_ondisk');
    m.from = decodePgShard(d);
    return m;
  }
}

// ---- MOSDBackoff ----------------------------------------------------------------------------------

/** MOSDBackoff (v1): an OSD tells a client to hold (or resume) ops on [begin, end) of a PG. */
export class MOSDBackoff extends Message {
  static readonly TYPE = OsdOpMsgType.CEPH_MSG_OSD_BACKOFF;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 1;

  pgid: SpgId = { pgid: { pool: 0, seed: 0 }, shard: NO_SHARD };
  mapEpoch = 0;
  op = 0; // BackoffOp
  id = 0;
  begin: HObject = emptyHObject();
  end: HObject = emptyHObject();

  constructor() {
    super(MOSDBackoff.TYPE, MOSDBackoff.HEAD_VERSION, MOSDBackoff.COMPAT_VERSION);
  }

  typeName(): string {
    return 'osd_backoff';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(160);
    encodeSpgId(e, this.pgid);
    e.u32(this.mapEpoch).u8(this.op).u64(this.id);
    encodeHObject(e, this.begin);
    encodeHObject(e, this.end);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDBackoff {
    const d = frontDecoder(raw, 'osd_backoff');
    const m = new MOSDBackoff();
    m.pgid = decodeSpgId(d);
    m.mapEpoch = d.u32('map_epoch');
    m.op = d.u8('op');
    m.id = d.u64('id');
    m.begin = decodeHObject(d, 'begin');
    m.end = decodeHObject(d, 'end');
    return m;
  }
}
