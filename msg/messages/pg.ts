// The messages OSDs exchange about placement groups, in Ceph 16's layouts (src/messages/MOSDPG*.h,
// MOSDPing.h; PushOp / PullOp / PushReplyOp / ObjectRecoveryInfo / ObjectRecoveryProgress from
// osd/osd_types.cc): peering (MOSDPGNotify, MOSDPGNotify2, MOSDPGQuery2, MOSDPGInfo2, MOSDPGLog,
// MOSDPGTrim, MOSDPGRemove, MOSDPGLease, MOSDPGLeaseAck), recovery (MOSDPGPush, MOSDPGPull,
// MOSDPGPushReply, MOSDPGRecoveryDelete, MOSDPGRecoveryDeleteReply), backfill (MOSDPGScan,
// MOSDPGBackfill), reservations (MRecoveryReserve, MBackfillReserve) and heartbeats (MOSDPing, with
// its padding to a minimum message size).
//
// Every layout here is checked byte for byte against payloads captured from real Ceph 16.2.15 OSDs
// (scripts/gen-pg-golden.mjs, test/golden/pg). The structs inside
// (pg_info_t, pg_log_t, ...) are encoded by ./pgtypes.ts. object_info_t and SnapSet inside
// ObjectRecoveryInfo are carried as their encoded bytes (oi / ss): the OSD writes and reads them.

import { Decoder, Encoder, compareStringBytes } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';
import { decodePgId, encodePgId, type UTime } from '../../common/osdmap/index.js';
import { encodeEmptySnapSet, encodeObjectInfo, newObjectInfo } from '../../osd/core/objectinfo.js';
import { Message, MsgPriority, type RawMessage } from '../message.js';
import { decodeUTime, decodeUuid, encodeUTime, encodeUuid, frontDecoder, joinSegments, setFront, UUID_ZERO } from './common.js';
import {
  decodeEVersion, decodeHObject, decodePgShard, decodeSpgId, emptyHObject, encodeEVersion, encodeHObject,
  encodePgShard, encodeSpgId, NO_SHARD, zeroEVersion, type EVersion, type HObject, type PgShard, type SpgId,
} from './osdop.js';
import {
  cmpHObject, decodeIntervalSet, decodeObjectStatCollection, decodePastIntervals, decodePgInfo, decodePgLease,
  decodePgLeaseAck, decodePgLog, decodePgMissing, decodePgNotify, decodePgQuery, decodePgStat, decodeShardId,
  emptyPastIntervals, emptyPgInfo, emptyPgLog, emptyPgMissing, emptyPgStat, encodeIntervalSet, encodeObjectStatCollection,
  encodePastIntervals, encodePgInfo, encodePgLease, encodePgLeaseAck, encodePgLog, encodePgMissing, encodePgNotify,
  encodePgQuery, encodePgStat, encodeShardId, rawStruct, type PastIntervals, type PgInfo, type PgLease, type PgLog,
  type PgMissing, type PgNotify, type PgQuery, type PgStat,
} from './pgtypes.js';

// ---- numbers from Ceph ----------------------------------------------------------------------------

/** Message type numbers (src/msg/Message.h). */
export const PgMsgType = {
  MSG_OSD_PING: 70,
  MSG_OSD_PG_NOTIFY: 80,
  MSG_OSD_PG_LOG: 83,
  MSG_OSD_PG_REMOVE: 84,
  MSG_OSD_PG_TRIM: 86,
  MSG_OSD_PG_SCAN: 94,
  MSG_OSD_PG_BACKFILL: 95,
  MSG_OSD_BACKFILL_RESERVE: 99,
  MSG_OSD_PG_PUSH: 105,
  MSG_OSD_PG_PULL: 106,
  MSG_OSD_PG_PUSH_REPLY: 107,
  MSG_OSD_PG_RECOVERY_DELETE: 118,
  MSG_OSD_PG_RECOVERY_DELETE_REPLY: 119,
  MSG_OSD_PG_NOTIFY2: 130,
  MSG_OSD_PG_QUERY2: 131,
  MSG_OSD_PG_INFO2: 132,
  MSG_OSD_PG_LEASE: 133,
  MSG_OSD_PG_LEASE_ACK: 134,
  MSG_OSD_RECOVERY_RESERVE: 150,
} as const;

/** The priority Ceph gives recovery messages (osd_recovery_op_priority's default). */
export const RECOVERY_OP_PRIORITY = 3;
/** osd_heartbeat_min_size's default: heartbeats are padded to this many bytes. */
export const HEARTBEAT_MIN_BYTES = 2000;
/** Largest heartbeat padding a decoder accepts (Ceph pads to at most osd_heartbeat_min_size). */
export const heartbeatPaddingBytesMax = 1 << 20;
/** One shared zero block the heartbeat padding is cut from (as Ceph appends a static zero buffer). */
const PING_ZEROS = Buffer.alloc(16384);

function defaultSpg(): SpgId {
  return { pgid: { pool: 0, seed: 0 }, shard: NO_SHARD };
}

function noShard(): PgShard {
  return { osd: -1, shard: NO_SHARD };
}

/** std::optional<T>: a bool, then T when present. */
function encodeOptional<T>(e: Encoder, v: T | undefined, f: (e: Encoder, v: T) => void): void {
  e.bool(v !== undefined);
  if (v !== undefined) f(e, v);
}

function decodeOptional<T>(d: Decoder, what: string, f: (d: Decoder) => T): T | undefined {
  return d.bool(what) ? f(d) : undefined;
}

/** interval_set<uint64_t> as [start, length] pairs (bigint: a pull's "everything" is 0~2^64-1). */
export type Extents = Array<[bigint, bigint]>;

/** map<string, bufferlist>, in key order. */
function encodeBlMap(e: Encoder, v: ReadonlyArray<readonly [string, Buffer]>): void {
  const s = [...v].sort((a, b) => compareStringBytes(a[0], b[0]));
  e.u32(s.length);
  for (const [k, b] of s) e.string(k).bytes(b);
}

function decodeBlMap(d: Decoder, what: string): Array<[string, Buffer]> {
  return d.list(what, 8, (x) => [x.string(what), Buffer.from(x.bytes(what))] as [string, Buffer]);
}

/** A u64 that may be all ones (Ceph's (uint64_t)-1, "unknown"): -1 here. */
function encodeU64OrAllOnes(e: Encoder, v: number): void {
  if (v === -1) e.u64Big(0xffffffffffffffffn);
  else e.u64(v);
}

function decodeU64OrAllOnes(d: Decoder, what: string): number {
  const v = d.u64Big(what);
  if (v === 0xffffffffffffffffn) return -1;
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CephError('EBADMSG', `${what}: ${v} is not exact as a Number`);
  return Number(v);
}

/** The decoder must have read every byte of the front (trailing garbage is malformed). */
function expectEnd(d: Decoder, what: string): void {
  if (!d.atEnd()) throw new CephError('EBADMSG', `${what}: ${d.remaining} unexpected trailing bytes`);
}

// ---- ObjectRecoveryInfo / ObjectRecoveryProgress / PushOp / PullOp / PushReplyOp -------------------

export interface ObjectRecoveryInfo {
  soid: HObject;
  version: EVersion;
  /** Object size; -1 when unknown (a pull asks for the whole object). */
  size: number;
  /** The encoded object_info_t (empty: Ceph's default object_info_t). */
  oi: Buffer;
  /** The encoded SnapSet (empty: Ceph's default SnapSet). */
  ss: Buffer;
  copySubset: Extents;
  cloneSubset: Array<{ soid: HObject; extents: Extents }>;
  objectExist: boolean;
}

export interface ObjectRecoveryProgress {
  first: boolean;
  dataComplete: boolean;
  dataRecoveredTo: number;
  omapRecoveredTo: string;
  omapComplete: boolean;
}

export interface PushOp {
  soid: HObject;
  version: EVersion;
  data: Buffer;
  dataIncluded: Extents;
  omapHeader: Buffer;
  omapEntries: Array<[string, Buffer]>;
  attrset: Array<[string, Buffer]>;
  recoveryInfo: ObjectRecoveryInfo;
  afterProgress: ObjectRecoveryProgress;
  beforeProgress: ObjectRecoveryProgress;
}

export interface PullOp {
  soid: HObject;
  recoveryInfo: ObjectRecoveryInfo;
  recoveryProgress: ObjectRecoveryProgress;
}

export interface PushReplyOp {
  soid: HObject;
}

/**
 * object_info_t() and SnapSet() as a Pacific OSD encodes them: what a pull's recovery_info carries.
 * Built by the one object_info_t / SnapSet codec (osd/core/objectinfo.ts); checked against captured
 * MOSDPGPull payloads.
 */
export function defaultObjectInfoBytes(): Buffer {
  return encodeObjectInfo(newObjectInfo(emptyHObject()));
}

export function defaultSnapSetBytes(): Buffer {
  return encodeEmptySnapSet();
}

const DEFAULT_OI = defaultObjectInfoBytes();
const DEFAULT_SS = defaultSnapSetBytes();

export function emptyRecoveryInfo(): ObjectRecoveryInfo {
  return {
    soid: emptyHObject(), version: zeroEVersion(), size: 0, oi: Buffer.alloc(0), ss: Buffer.alloc(0), copySubset: [],
    cloneSubset: [], objectExist: false,
  };
}

export function emptyRecoveryProgress(): ObjectRecoveryProgress {
  return { first: true, dataComplete: false, dataRecoveredTo: 0, omapRecoveredTo: '', omapComplete: false };
}

export function encodeRecoveryInfo(e: Encoder, r: ObjectRecoveryInfo): void {
  e.startStruct(3, 1);
  encodeHObject(e, r.soid);
  encodeEVersion(e, r.version);
  encodeU64OrAllOnes(e, r.size);
  e.raw(r.oi.length ? r.oi : DEFAULT_OI);
  e.raw(r.ss.length ? r.ss : DEFAULT_SS);
  encodeIntervalSet(e, r.copySubset);
  const clones = [...r.cloneSubset].sort((a, b) => cmpHObject(a.soid, b.soid));
  e.u32(clones.length);
  for (const c of clones) {
    encodeHObject(e, c.soid);
    encodeIntervalSet(e, c.extents);
  }
  e.bool(r.objectExist);
  e.finishStruct();
}

export function decodeRecoveryInfo(d: Decoder, what = 'ObjectRecoveryInfo'): ObjectRecoveryInfo {
  const v = d.decodeStart(3, what);
  if (v < 2) throw new CephError('EBADMSG', `${what}: struct_v ${v} predates Luminous`);
  const soid = decodeHObject(d, what);
  const version = decodeEVersion(d, what);
  const size = decodeU64OrAllOnes(d, what);
  const oi = rawStruct(d, 'object_info_t');
  const ss = rawStruct(d, 'SnapSet');
  const copySubset = decodeIntervalSet(d, what);
  const cloneSubset = d.list(what, 35, (x) => ({ soid: decodeHObject(x, what), extents: decodeIntervalSet(x, what) }));
  const objectExist = v > 2 ? d.bool(what) : false;
  d.decodeFinish(what);
  return {
    soid, version, size, oi: oi.equals(DEFAULT_OI) ? Buffer.alloc(0) : oi, ss: ss.equals(DEFAULT_SS) ? Buffer.alloc(0) : ss,
    copySubset, cloneSubset, objectExist,
  };
}

export function encodeRecoveryProgress(e: Encoder, p: ObjectRecoveryProgress): void {
  e.startStruct(1, 1);
  e.bool(p.first).bool(p.dataComplete).u64(p.dataRecoveredTo).string(p.omapRecoveredTo).bool(p.omapComplete);
  e.finishStruct();
}

export function decodeRecoveryProgress(d: Decoder, what = 'ObjectRecoveryProgress'): ObjectRecoveryProgress {
  d.decodeStart(1, what);
  const first = d.bool(what);
  const dataComplete = d.bool(what);
  const dataRecoveredTo = d.u64(what);
  const omapRecoveredTo = d.string(what);
  const omapComplete = d.bool(what);
  d.decodeFinish(what);
  return { first, dataComplete, dataRecoveredTo, omapRecoveredTo, omapComplete };
}

export function encodePushOp(e: Encoder, p: PushOp): void {
  e.startStruct(1, 1);
  encodeHObject(e, p.soid);
  encodeEVersion(e, p.version);
  e.bytes(p.data);
  encodeIntervalSet(e, p.dataIncluded);
  e.bytes(p.omapHeader);
  encodeBlMap(e, p.omapEntries);
  encodeBlMap(e, p.attrset);
  encodeRecoveryInfo(e, p.recoveryInfo);
  encodeRecoveryProgress(e, p.afterProgress);
  encodeRecoveryProgress(e, p.beforeProgress);
  e.finishStruct();
}

export function decodePushOp(d: Decoder, what = 'PushOp'): PushOp {
  d.decodeStart(1, what);
  const soid = decodeHObject(d, what);
  const version = decodeEVersion(d, what);
  const data = Buffer.from(d.bytes(what));
  const dataIncluded = decodeIntervalSet(d, what);
  const omapHeader = Buffer.from(d.bytes(what));
  const omapEntries = decodeBlMap(d, what);
  const attrset = decodeBlMap(d, what);
  const recoveryInfo = decodeRecoveryInfo(d);
  const afterProgress = decodeRecoveryProgress(d);
  const beforeProgress = decodeRecoveryProgress(d);
  d.decodeFinish(what);
  return { soid, version, data, dataIncluded, omapHeader, omapEntries, attrset, recoveryInfo, afterProgress, beforeProgress };
}

export function encodePullOp(e: Encoder, p: PullOp): void {
  e.startStruct(1, 1);
  encodeHObject(e, p.soid);
  encodeRecoveryInfo(e, p.recoveryInfo);
  encodeRecoveryProgress(e, p.recoveryProgress);
  e.finishStruct();
}

export function decodePullOp(d: Decoder, what = 'PullOp'): PullOp {
  d.decodeStart(1, what);
  const soid = decodeHObject(d, what);
  const recoveryInfo = decodeRecoveryInfo(d);
  const recoveryProgress = decodeRecoveryProgress(d);
  d.decodeFinish(what);
  return { soid, recoveryInfo, recoveryProgress };
}

export function encodePushReplyOp(e: Encoder, p: PushReplyOp): void {
  e.startStruct(1, 1);
  encodeHObject(e, p.soid);
  e.finishStruct();
}

export function decodePushReplyOp(d: Decoder, what = 'PushReplyOp'): PushReplyOp {
  d.decodeStart(1, what);
  const soid = decodeHObject(d, what);
  d.decodeFinish(what);
  return { soid };
}

// ---- peering --------------------------------------------------------------------------------------

/** MOSDPGNotify (v7): the legacy batched notify (a list of pg_notify_t), still sent by Pacific. */
export class MOSDPGNotify extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_NOTIFY;
  static readonly HEAD_VERSION = 7;
  static readonly COMPAT_VERSION = 6;

  epoch = 0;
  pgList: PgNotify[] = [];

  constructor(epoch?: number, pgList?: PgNotify[]) {
    super(MOSDPGNotify.TYPE, MOSDPGNotify.HEAD_VERSION, MOSDPGNotify.COMPAT_VERSION);
    this.header.priority = MsgPriority.HIGH;
    if (epoch !== undefined) this.epoch = epoch;
    if (pgList !== undefined) this.pgList = pgList;
  }

  typeName(): string {
    return 'PGnot';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(1024 * Math.max(1, this.pgList.length));
    e.u32(this.epoch);
    e.u32(this.pgList.length);
    for (const n of this.pgList) encodePgNotify(e, n);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGNotify {
    const what = 'PGnot';
    if (raw.header.version < 7) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v7 (Octopus and later) is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDPGNotify();
    m.epoch = d.u32('epoch');
    m.pgList = d.list('pg_list', 40, (x) => decodePgNotify(x));
    expectEnd(d, what);
    return m;
  }
}

/** MOSDPGNotify2: one PG's notify (a stray's or a replica's info, or the reply to an INFO query). */
export class MOSDPGNotify2 extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_NOTIFY2;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 1;

  spgid: SpgId = defaultSpg();
  notify: PgNotify = { queryEpoch: 0, epochSent: 0, info: emptyPgInfo(defaultSpg()), to: NO_SHARD, from: NO_SHARD, pastIntervals: emptyPastIntervals() };

  constructor(spgid?: SpgId, notify?: PgNotify) {
    super(MOSDPGNotify2.TYPE, MOSDPGNotify2.HEAD_VERSION, MOSDPGNotify2.COMPAT_VERSION);
    this.header.priority = MsgPriority.HIGH;
    if (spgid !== undefined) this.spgid = spgid;
    if (notify !== undefined) this.notify = notify;
  }

  typeName(): string {
    return 'pg_notify2';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(1200);
    encodeSpgId(e, this.spgid);
    encodePgNotify(e, this.notify);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGNotify2 {
    const d = frontDecoder(raw, 'pg_notify2');
    const m = new MOSDPGNotify2();
    m.spgid = decodeSpgId(d);
    m.notify = decodePgNotify(d);
    expectEnd(d, 'pg_notify2');
    return m;
  }
}

/** MOSDPGQuery2: the primary asks a peer for its info, log or missing set. */
export class MOSDPGQuery2 extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_QUERY2;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 1;

  spgid: SpgId = defaultSpg();
  query: PgQuery = { type: 0, since: zeroEVersion(), history: emptyPgInfo(defaultSpg()).history, epochSent: 0, to: NO_SHARD, from: NO_SHARD };

  constructor(spgid?: SpgId, query?: PgQuery) {
    super(MOSDPGQuery2.TYPE, MOSDPGQuery2.HEAD_VERSION, MOSDPGQuery2.COMPAT_VERSION);
    this.header.priority = MsgPriority.HIGH;
    if (spgid !== undefined) this.spgid = spgid;
    if (query !== undefined) this.query = query;
  }

  typeName(): string {
    return 'pg_query2';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(192);
    encodeSpgId(e, this.spgid);
    encodePgQuery(e, this.query);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGQuery2 {
    const d = frontDecoder(raw, 'pg_query2');
    const m = new MOSDPGQuery2();
    m.spgid = decodeSpgId(d);
    m.query = decodePgQuery(d);
    expectEnd(d, 'pg_query2');
    return m;
  }
}

/** MOSDPGInfo2: a replica's info after activating (or the primary's), with read-lease state. */
export class MOSDPGInfo2 extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_INFO2;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 1;

  spgid: SpgId = defaultSpg();
  epochSent = 0;
  minEpoch = 0;
  info: PgInfo = emptyPgInfo(defaultSpg());
  lease?: PgLease;
  /** pg_lease_ack_t's readable_until_ub (nanoseconds). */
  leaseAck?: number;

  constructor(spgid?: SpgId, epochSent?: number, minEpoch?: number, info?: PgInfo) {
    super(MOSDPGInfo2.TYPE, MOSDPGInfo2.HEAD_VERSION, MOSDPGInfo2.COMPAT_VERSION);
    this.header.priority = MsgPriority.HIGH;
    if (spgid !== undefined) this.spgid = spgid;
    if (epochSent !== undefined) this.epochSent = epochSent;
    if (minEpoch !== undefined) this.minEpoch = minEpoch;
    if (info !== undefined) this.info = info;
  }

  typeName(): string {
    return 'pg_info2';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(1100);
    encodeSpgId(e, this.spgid);
    e.u32(this.epochSent).u32(this.minEpoch);
    encodePgInfo(e, this.info);
    encodeOptional(e, this.lease, encodePgLease);
    encodeOptional(e, this.leaseAck, encodePgLeaseAck);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGInfo2 {
    const d = frontDecoder(raw, 'pg_info2');
    const m = new MOSDPGInfo2();
    m.spgid = decodeSpgId(d);
    m.epochSent = d.u32('epoch_sent');
    m.minEpoch = d.u32('min_epoch');
    m.info = decodePgInfo(d);
    const lease = decodeOptional(d, 'lease', (x) => decodePgLease(x));
    if (lease !== undefined) m.lease = lease;
    const ack = decodeOptional(d, 'lease_ack', (x) => decodePgLeaseAck(x));
    if (ack !== undefined) m.leaseAck = ack;
    expectEnd(d, 'pg_info2');
    return m;
  }
}

/** MOSDPGLog (v6): info + log + missing: the reply to a LOG query, or the primary activating a replica. */
export class MOSDPGLog extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_LOG;
  static readonly HEAD_VERSION = 6;
  static readonly COMPAT_VERSION = 5;

  epoch = 0;
  queryEpoch = 0;
  to = NO_SHARD;
  from = NO_SHARD;
  info: PgInfo = emptyPgInfo(defaultSpg());
  log: PgLog = emptyPgLog();
  missing: PgMissing = { ...emptyPgMissing(), mayIncludeDeletes: false };
  pastIntervals: PastIntervals = emptyPastIntervals();
  lease?: PgLease;

  constructor() {
    super(MOSDPGLog.TYPE, MOSDPGLog.HEAD_VERSION, MOSDPGLog.COMPAT_VERSION);
    this.header.priority = MsgPriority.HIGH;
  }

  /** The PG this log is for: info's pgid with the receiver's shard. */
  get spgid(): SpgId {
    return { pgid: this.info.pgid.pgid, shard: this.to };
  }

  typeName(): string {
    return 'PGlog';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(2048 + this.log.log.length * 160);
    e.u32(this.epoch);
    encodePgInfo(e, this.info);
    encodePgLog(e, this.log);
    encodePgMissing(e, this.missing);
    e.u32(this.queryEpoch);
    encodePastIntervals(e, this.pastIntervals);
    encodeShardId(e, this.to);
    encodeShardId(e, this.from);
    encodeOptional(e, this.lease, encodePgLease);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGLog {
    const what = 'PGlog';
    if (raw.header.version < 5) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v5+ (Nautilus and later) is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDPGLog();
    m.epoch = d.u32('epoch');
    m.info = decodePgInfo(d);
    m.log = decodePgLog(d);
    m.missing = decodePgMissing(d);
    m.queryEpoch = d.u32('query_epoch');
    m.pastIntervals = decodePastIntervals(d);
    m.to = decodeShardId(d, 'to');
    m.from = decodeShardId(d, 'from');
    if (raw.header.version >= 6) {
      const lease = decodeOptional(d, 'lease', (x) => decodePgLease(x));
      if (lease !== undefined) m.lease = lease;
    }
    expectEnd(d, what);
    return m;
  }
}

/** MOSDPGTrim: replicas may trim their logs up to trimTo. */
export class MOSDPGTrim extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_TRIM;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 2;

  epoch = 0;
  pgid: SpgId = defaultSpg();
  trimTo: EVersion = zeroEVersion();

  constructor(epoch?: number, pgid?: SpgId, trimTo?: EVersion) {
    super(MOSDPGTrim.TYPE, MOSDPGTrim.HEAD_VERSION, MOSDPGTrim.COMPAT_VERSION);
    if (epoch !== undefined) this.epoch = epoch;
    if (pgid !== undefined) this.pgid = pgid;
    if (trimTo !== undefined) this.trimTo = trimTo;
  }

  typeName(): string {
    return 'pg_trim';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(40);
    e.u32(this.epoch);
    encodePgId(e, this.pgid.pgid);
    encodeEVersion(e, this.trimTo);
    encodeShardId(e, this.pgid.shard);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGTrim {
    const d = frontDecoder(raw, 'pg_trim');
    const m = new MOSDPGTrim();
    m.epoch = d.u32('epoch');
    const pgid = decodePgId(d, 'pgid');
    m.trimTo = decodeEVersion(d, 'trim_to');
    m.pgid = { pgid, shard: decodeShardId(d, 'shard') };
    expectEnd(d, 'pg_trim');
    return m;
  }
}

/** MOSDPGRemove (v3): the primary tells a stray to delete its copies of these PGs. */
export class MOSDPGRemove extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_REMOVE;
  static readonly HEAD_VERSION = 3;
  static readonly COMPAT_VERSION = 3;

  epoch = 0;
  pgList: SpgId[] = [];

  constructor(epoch?: number, pgList?: SpgId[]) {
    super(MOSDPGRemove.TYPE, MOSDPGRemove.HEAD_VERSION, MOSDPGRemove.COMPAT_VERSION);
    if (epoch !== undefined) this.epoch = epoch;
    if (pgList !== undefined) this.pgList = pgList;
  }

  typeName(): string {
    return 'PGrm';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(8 + this.pgList.length * 24);
    e.u32(this.epoch);
    e.u32(this.pgList.length);
    for (const p of this.pgList) encodeSpgId(e, p);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGRemove {
    const d = frontDecoder(raw, 'PGrm');
    const m = new MOSDPGRemove();
    m.epoch = d.u32('epoch');
    m.pgList = d.list('pg_list', 24, (x) => decodeSpgId(x));
    expectEnd(d, 'PGrm');
    return m;
  }
}

/** MOSDPGLease: the primary extends a replica's read lease. */
export class MOSDPGLease extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_LEASE;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 1;

  epoch = 0;
  spgid: SpgId = defaultSpg();
  lease: PgLease = { readableUntil: 0, readableUntilUb: 0, interval: 0 };

  constructor(epoch?: number, spgid?: SpgId, lease?: PgLease) {
    super(MOSDPGLease.TYPE, MOSDPGLease.HEAD_VERSION, MOSDPGLease.COMPAT_VERSION);
    if (epoch !== undefined) this.epoch = epoch;
    if (spgid !== undefined) this.spgid = spgid;
    if (lease !== undefined) this.lease = lease;
  }

  typeName(): string {
    return 'pg_lease';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64);
    e.u32(this.epoch);
    encodeSpgId(e, this.spgid);
    encodePgLease(e, this.lease);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGLease {
    const d = frontDecoder(raw, 'pg_lease');
    const m = new MOSDPGLease();
    m.epoch = d.u32('epoch');
    m.spgid = decodeSpgId(d);
    m.lease = decodePgLease(d);
    expectEnd(d, 'pg_lease');
    return m;
  }
}

/** MOSDPGLeaseAck: a replica acknowledges a lease (its readable_until_ub). */
export class MOSDPGLeaseAck extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_LEASE_ACK;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 1;

  epoch = 0;
  spgid: SpgId = defaultSpg();
  readableUntilUb = 0;

  constructor(epoch?: number, spgid?: SpgId, readableUntilUb?: number) {
    super(MOSDPGLeaseAck.TYPE, MOSDPGLeaseAck.HEAD_VERSION, MOSDPGLeaseAck.COMPAT_VERSION);
    if (epoch !== undefined) this.epoch = epoch;
    if (spgid !== undefined) this.spgid = spgid;
    if (readableUntilUb !== undefined) this.readableUntilUb = readableUntilUb;
  }

  typeName(): string {
    return 'pg_lease_ack';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(48);
    e.u32(this.epoch);
    encodeSpgId(e, this.spgid);
    encodePgLeaseAck(e, this.readableUntilUb);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGLeaseAck {
    const d = frontDecoder(raw, 'pg_lease_ack');
    const m = new MOSDPGLeaseAck();
    m.epoch = d.u32('epoch');
    m.spgid = decodeSpgId(d);
    m.readableUntilUb = decodePgLeaseAck(d);
    expectEnd(d, 'pg_lease_ack');
    return m;
  }
}

// ---- recovery -------------------------------------------------------------------------------------

/** Fields every recovery message has (MOSDFastDispatchOp's map and min epochs, sender, cost). */
abstract class RecoveryMessage extends Message {
  pgid: SpgId = defaultSpg();
  mapEpoch = 0;
  minEpoch = 0;
  from: PgShard = noShard();
  cost = 0;

  /**
   * The layout MOSDPGPush, MOSDPGPull and MOSDPGPushReply share: pgid, map_epoch, the ops, cost, shard,
   * from, min_epoch. Returns the encoder so a message can append its own trailing fields.
   */
  protected encodeOps<T>(bytes: number, ops: readonly T[], encodeOp: (e: Encoder, op: T) => void): Encoder {
    const e = new Encoder(bytes);
    encodePgId(e, this.pgid.pgid);
    e.u32(this.mapEpoch);
    e.u32(ops.length);
    for (const op of ops) encodeOp(e, op);
    e.u64(this.cost);
    encodeShardId(e, this.pgid.shard);
    encodePgShard(e, this.from);
    e.u32(this.minEpoch);
    return e;
  }

  /** Reads what encodeOps wrote into this message's fields and returns the ops. */
  protected decodeOps<T>(d: Decoder, what: string, opBytesMin: number, decodeOp: (d: Decoder) => T): T[] {
    const pgid = decodePgId(d, 'pgid');
    this.mapEpoch = d.u32('map_epoch');
    const ops = d.list(what, opBytesMin, (x) => decodeOp(x));
    this.cost = d.u64('cost');
    this.pgid = { pgid, shard: decodeShardId(d, 'shard') };
    this.from = decodePgShard(d);
    this.minEpoch = d.u32('min_epoch');
    return ops;
  }
}

/** MOSDPGPush (v4): objects (data, omap, attrs) pushed to a peer that misses them. */
export class MOSDPGPush extends RecoveryMessage {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_PUSH;
  static readonly HEAD_VERSION = 4;
  static readonly COMPAT_VERSION = 2;

  pushes: PushOp[] = [];
  isRepair = false;

  constructor() {
    super(MOSDPGPush.TYPE, MOSDPGPush.HEAD_VERSION, MOSDPGPush.COMPAT_VERSION);
    this.header.priority = RECOVERY_OP_PRIORITY;
  }

  typeName(): string {
    return 'MOSDPGPush';
  }

  encodePayload(_features: bigint): void {
    let bytes = 256;
    for (const p of this.pushes) bytes += 600 + p.data.length;
    const e = this.encodeOps(bytes, this.pushes, encodePushOp);
    e.bool(this.isRepair);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGPush {
    const what = 'MOSDPGPush';
    if (raw.header.version < 4) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v4 is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDPGPush();
    m.pushes = m.decodeOps(d, 'pushes', 60, decodePushOp);
    m.isRepair = d.bool('is_repair');
    expectEnd(d, what);
    return m;
  }
}

/** MOSDPGPull (v3): the primary asks a peer to push it objects it misses. */
export class MOSDPGPull extends RecoveryMessage {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_PULL;
  static readonly HEAD_VERSION = 3;
  static readonly COMPAT_VERSION = 2;

  pulls: PullOp[] = [];

  constructor() {
    super(MOSDPGPull.TYPE, MOSDPGPull.HEAD_VERSION, MOSDPGPull.COMPAT_VERSION);
    this.header.priority = RECOVERY_OP_PRIORITY;
  }

  typeName(): string {
    return 'MOSDPGPull';
  }

  encodePayload(_features: bigint): void {
    setFront(this, this.encodeOps(128 + this.pulls.length * 500, this.pulls, encodePullOp));
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGPull {
    const what = 'MOSDPGPull';
    if (raw.header.version < 3) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v3 is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDPGPull();
    m.pulls = m.decodeOps(d, 'pulls', 60, decodePullOp);
    expectEnd(d, what);
    return m;
  }
}

/** MOSDPGPushReply (v3): the receiver of pushes confirms it applied them. */
export class MOSDPGPushReply extends RecoveryMessage {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_PUSH_REPLY;
  static readonly HEAD_VERSION = 3;
  static readonly COMPAT_VERSION = 2;

  replies: PushReplyOp[] = [];

  constructor() {
    super(MOSDPGPushReply.TYPE, MOSDPGPushReply.HEAD_VERSION, MOSDPGPushReply.COMPAT_VERSION);
    this.header.priority = RECOVERY_OP_PRIORITY;
  }

  typeName(): string {
    return 'MOSDPGPushReply';
  }

  encodePayload(_features: bigint): void {
    setFront(this, this.encodeOps(128 + this.replies.length * 64, this.replies, encodePushReplyOp));
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGPushReply {
    const what = 'MOSDPGPushReply';
    if (raw.header.version < 3) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v3 is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDPGPushReply();
    m.replies = m.decodeOps(d, 'replies', 41, decodePushReplyOp);
    expectEnd(d, what);
    return m;
  }
}

/** (object, version) pairs: a recovery delete's objects, a backfill scan's digest. */
export type ObjectVersions = Array<{ soid: HObject; version: EVersion }>;

function encodeObjectVersions(e: Encoder, v: ObjectVersions): void {
  e.u32(v.length);
  for (const o of v) {
    encodeHObject(e, o.soid);
    encodeEVersion(e, o.version);
  }
}

function decodeObjectVersions(d: Decoder, what: string): ObjectVersions {
  return d.list(what, 47, (x) => ({ soid: decodeHObject(x, what), version: decodeEVersion(x, what) }));
}

/** MOSDPGRecoveryDelete (v2): delete these objects (deleted while the peer was away). */
export class MOSDPGRecoveryDelete extends RecoveryMessage {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_RECOVERY_DELETE;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 1;

  objects: ObjectVersions = [];

  constructor() {
    super(MOSDPGRecoveryDelete.TYPE, MOSDPGRecoveryDelete.HEAD_VERSION, MOSDPGRecoveryDelete.COMPAT_VERSION);
    this.header.priority = RECOVERY_OP_PRIORITY;
  }

  typeName(): string {
    return 'recovery_delete';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64 + this.objects.length * 80);
    encodePgShard(e, this.from);
    encodeSpgId(e, this.pgid);
    e.u32(this.mapEpoch).u32(this.minEpoch);
    e.u64(this.cost);
    encodeObjectVersions(e, this.objects);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGRecoveryDelete {
    const what = 'recovery_delete';
    if (raw.header.version < 2) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v2 is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDPGRecoveryDelete();
    m.from = decodePgShard(d);
    m.pgid = decodeSpgId(d);
    m.mapEpoch = d.u32('map_epoch');
    m.minEpoch = d.u32('min_epoch');
    m.cost = d.u64('cost');
    m.objects = decodeObjectVersions(d, 'objects');
    expectEnd(d, what);
    return m;
  }
}

/** MOSDPGRecoveryDeleteReply (v2): the objects were deleted. */
export class MOSDPGRecoveryDeleteReply extends RecoveryMessage {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_RECOVERY_DELETE_REPLY;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 1;

  objects: ObjectVersions = [];

  constructor() {
    super(MOSDPGRecoveryDeleteReply.TYPE, MOSDPGRecoveryDeleteReply.HEAD_VERSION, MOSDPGRecoveryDeleteReply.COMPAT_VERSION);
    this.header.priority = RECOVERY_OP_PRIORITY;
  }

  typeName(): string {
    return 'recovery_delete_reply';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64 + this.objects.length * 80);
    encodePgId(e, this.pgid.pgid);
    e.u32(this.mapEpoch).u32(this.minEpoch);
    encodeObjectVersions(e, this.objects);
    encodeShardId(e, this.pgid.shard);
    encodePgShard(e, this.from);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGRecoveryDeleteReply {
    const what = 'recovery_delete_reply';
    if (raw.header.version < 2) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v2 is read`);
    const d = frontDecoder(raw, what);
    const m = new MOSDPGRecoveryDeleteReply();
    const pgid = decodePgId(d, 'pgid');
    m.mapEpoch = d.u32('map_epoch');
    m.minEpoch = d.u32('min_epoch');
    m.objects = decodeObjectVersions(d, 'objects');
    m.pgid = { pgid, shard: decodeShardId(d, 'shard') };
    m.from = decodePgShard(d);
    expectEnd(d, what);
    return m;
  }
}

// ---- backfill -------------------------------------------------------------------------------------

export const PgScanOp = { GET_DIGEST: 1, DIGEST: 2 } as const;
export const PgBackfillOp = { FINISH: 1, PROGRESS: 2, FINISH_ACK: 3 } as const;

/** MOSDPGScan (v2): the primary asks a backfill target for its objects in [begin, end); the reply lists them. */
export class MOSDPGScan extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_SCAN;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 2;

  op = 0;
  mapEpoch = 0;
  queryEpoch = 0;
  from: PgShard = noShard();
  pgid: SpgId = defaultSpg();
  begin: HObject = emptyHObject();
  end: HObject = emptyHObject();
  /** DIGEST: the objects and their versions, carried in the data segment (null: no data segment). */
  objects: ObjectVersions | null = null;

  constructor() {
    super(MOSDPGScan.TYPE, MOSDPGScan.HEAD_VERSION, MOSDPGScan.COMPAT_VERSION);
  }

  typeName(): string {
    return 'pg_scan';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(160);
    e.u32(this.op).u32(this.mapEpoch).u32(this.queryEpoch);
    encodePgId(e, this.pgid.pgid);
    encodeHObject(e, this.begin);
    encodeHObject(e, this.end);
    encodePgShard(e, this.from);
    encodeShardId(e, this.pgid.shard);
    setFront(this, e);
    if (this.objects !== null) {
      // map<hobject_t, eversion_t>: the same pairs as a recovery delete's list, in hobject_t order
      const objs = [...this.objects].sort((a, b) => cmpHObject(a.soid, b.soid));
      const de = new Encoder(8 + objs.length * 80);
      encodeObjectVersions(de, objs);
      this.data = [de.toBuffer()];
    }
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGScan {
    const what = 'pg_scan';
    const d = frontDecoder(raw, what);
    const m = new MOSDPGScan();
    m.op = d.u32('op');
    m.mapEpoch = d.u32('map_epoch');
    m.queryEpoch = d.u32('query_epoch');
    const pgid = decodePgId(d, 'pgid');
    m.begin = decodeHObject(d, 'begin');
    m.end = decodeHObject(d, 'end');
    m.from = decodePgShard(d);
    m.pgid = { pgid, shard: decodeShardId(d, 'shard') };
    expectEnd(d, what);
    const data = joinSegments(raw.data);
    if (data.length) {
      const dd = new Decoder(data, 'pg_scan objects');
      m.objects = decodeObjectVersions(dd, 'objects');
      expectEnd(dd, 'pg_scan objects');
    }
    return m;
  }
}

/** MOSDPGBackfill (v3): backfill progress (last_backfill and stats), finish, and finish ack. */
export class MOSDPGBackfill extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PG_BACKFILL;
  static readonly HEAD_VERSION = 3;
  static readonly COMPAT_VERSION = 3;

  op = 0;
  mapEpoch = 0;
  queryEpoch = 0;
  pgid: SpgId = defaultSpg();
  lastBackfill: HObject = emptyHObject();
  stats: PgStat = emptyPgStat();

  constructor() {
    super(MOSDPGBackfill.TYPE, MOSDPGBackfill.HEAD_VERSION, MOSDPGBackfill.COMPAT_VERSION);
  }

  typeName(): string {
    return 'pg_backfill';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(1100);
    e.u32(this.op).u32(this.mapEpoch).u32(this.queryEpoch);
    encodePgId(e, this.pgid.pgid);
    encodeHObject(e, this.lastBackfill);
    encodeObjectStatCollection(e, this.stats.statsSum); // kept for old peers, then the whole pg_stat_t
    encodePgStat(e, this.stats);
    encodeShardId(e, this.pgid.shard);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGBackfill {
    const what = 'pg_backfill';
    const d = frontDecoder(raw, what);
    const m = new MOSDPGBackfill();
    m.op = d.u32('op');
    m.mapEpoch = d.u32('map_epoch');
    m.queryEpoch = d.u32('query_epoch');
    const pgid = decodePgId(d, 'pgid');
    m.lastBackfill = decodeHObject(d, 'last_backfill');
    decodeObjectStatCollection(d); // the sum is in the pg_stat_t too
    m.stats = decodePgStat(d);
    m.pgid = { pgid, shard: decodeShardId(d, 'shard') };
    expectEnd(d, what);
    return m;
  }
}

// ---- reservations (a primary asks each peer for a recovery or backfill slot before starting) --------

export const RecoveryReserveType = { REQUEST: 0, GRANT: 1, RELEASE: 2, REVOKE: 3 } as const;
export const BackfillReserveType = { REQUEST: 0, GRANT: 1, RELEASE: 2, REJECT_TOOFULL: 3, REVOKE_TOOFULL: 4, REVOKE: 5 } as const;

/** MRecoveryReserve (v3): request, grant, release or revoke a recovery reservation on a peer. */
export class MRecoveryReserve extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_RECOVERY_RESERVE;
  static readonly HEAD_VERSION = 3;
  static readonly COMPAT_VERSION = 2;

  pgid: SpgId = defaultSpg();
  queryEpoch = 0;
  /** RecoveryReserveType / BackfillReserveType. */
  reserveType = 0;
  priority = 0;

  constructor() {
    super(MRecoveryReserve.TYPE, MRecoveryReserve.HEAD_VERSION, MRecoveryReserve.COMPAT_VERSION);
  }

  typeName(): string {
    return 'MRecoveryReserve';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(32);
    encodePgId(e, this.pgid.pgid);
    e.u32(this.queryEpoch).u32(this.reserveType);
    encodeShardId(e, this.pgid.shard);
    e.u32(this.priority);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MRecoveryReserve {
    const what = 'MRecoveryReserve';
    if (raw.header.version < 3) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v3 is read`);
    const d = frontDecoder(raw, what);
    const m = new MRecoveryReserve();
    const pgid = decodePgId(d, 'pgid');
    m.queryEpoch = d.u32('query_epoch');
    m.reserveType = d.u32('type');
    m.pgid = { pgid, shard: decodeShardId(d, 'shard') };
    m.priority = d.u32('priority');
    expectEnd(d, what);
    return m;
  }
}

/** MBackfillReserve (v5): the same for backfill, with the bytes the primary and the shard hold. */
export class MBackfillReserve extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_BACKFILL_RESERVE;
  static readonly HEAD_VERSION = 5;
  static readonly COMPAT_VERSION = 4;

  pgid: SpgId = defaultSpg();
  queryEpoch = 0;
  /** RecoveryReserveType / BackfillReserveType. */
  reserveType = 0;
  priority = 0;
  primaryNumBytes = 0;
  shardNumBytes = 0;

  constructor() {
    super(MBackfillReserve.TYPE, MBackfillReserve.HEAD_VERSION, MBackfillReserve.COMPAT_VERSION);
  }

  typeName(): string {
    return 'MBackfillReserve';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(48);
    encodePgId(e, this.pgid.pgid);
    e.u32(this.queryEpoch).u32(this.reserveType).s32(this.priority);
    encodeShardId(e, this.pgid.shard);
    e.s64(this.primaryNumBytes).s64(this.shardNumBytes);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MBackfillReserve {
    const what = 'MBackfillReserve';
    if (raw.header.version < 5) throw new CephError('EBADMSG', `${what} v${raw.header.version}: only v5 is read`);
    const d = frontDecoder(raw, what);
    const m = new MBackfillReserve();
    const pgid = decodePgId(d, 'pgid');
    m.queryEpoch = d.u32('query_epoch');
    m.reserveType = d.u32('type');
    m.priority = d.s32('priority');
    m.pgid = { pgid, shard: decodeShardId(d, 'shard') };
    m.primaryNumBytes = d.s64('primary_num_bytes');
    m.shardNumBytes = d.s64('shard_num_bytes');
    expectEnd(d, what);
    return m;
  }
}

// ---- heartbeats -----------------------------------------------------------------------------------

export const PingOp = { HEARTBEAT: 0, START_HEARTBEAT: 1, YOU_DIED: 2, STOP_HEARTBEAT: 3, PING: 4, PING_REPLY: 5 } as const;

/** A ceph::mono_time stamp as it travels: u32 seconds and u32 nanoseconds, kept as sent. */
export interface Span {
  sec: number;
  nsec: number;
}

/** A ceph::signedspan as MOSDPing sends it: a negative flag, then the magnitude's seconds and nanoseconds. */
export interface SignedSpan {
  negative: boolean;
  sec: number;
  nsec: number;
}

/**
 * MOSDPing (v5): heartbeats on the front and back heartbeat networks. The payload is padded with zeros
 * to minMessageSize bytes (osd_heartbeat_min_size) so a heartbeat also tests large frames; the pad's
 * length is sent before the v5 fields and the zeros after them.
 */
export class MOSDPing extends Message {
  static readonly TYPE = PgMsgType.MSG_OSD_PING;
  static readonly HEAD_VERSION = 5;
  static readonly COMPAT_VERSION = 4;

  fsid = UUID_ZERO;
  mapEpoch = 0;
  op = 0;
  pingStamp: UTime = { sec: 0, nsec: 0 };
  upFrom = 0;
  monoPingStamp: Span = { sec: 0, nsec: 0 };
  monoSendStamp: Span = { sec: 0, nsec: 0 };
  deltaUb: SignedSpan = { negative: false, sec: 0, nsec: 0 };
  minMessageSize = HEARTBEAT_MIN_BYTES;

  constructor() {
    super(MOSDPing.TYPE, MOSDPing.HEAD_VERSION, MOSDPing.COMPAT_VERSION);
  }

  typeName(): string {
    return 'osd_ping';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64);
    encodeUuid(e, this.fsid);
    e.u32(this.mapEpoch).u8(this.op);
    encodeUTime(e, this.pingStamp);
    const pad = Math.max(0, this.minMessageSize - e.length);
    e.u32(pad);
    e.u32(this.upFrom);
    for (const s of [this.monoPingStamp, this.monoSendStamp]) e.u32(s.sec).u32(s.nsec);
    e.bool(this.deltaUb.negative).u32(this.deltaUb.sec).u32(this.deltaUb.nsec);
    this.front = [e.toBuffer()];
    for (let left = pad; left > 0; left -= PING_ZEROS.length) this.front.push(PING_ZEROS.subarray(0, Math.min(left, PING_ZEROS.length)));
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPing {
    const what = 'osd_ping';
    const d = frontDecoder(raw, what);
    const m = new MOSDPing();
    m.fsid = decodeUuid(d, 'fsid');
    m.mapEpoch = d.u32('map_epoch');
    m.op = d.u8('op');
    m.pingStamp = decodeUTime(d, 'ping_stamp');
    const mid = d.pos;
    const pad = d.u32('pad');
    if (pad > heartbeatPaddingBytesMax) throw new CephError('EBADMSG', `${what}: padding of ${pad} bytes exceeds ${heartbeatPaddingBytesMax}`);
    if (raw.header.version >= 5) {
      m.upFrom = d.u32('up_from');
      const span = (w: string): Span => ({ sec: d.u32(w), nsec: d.u32(w) });
      m.monoPingStamp = span('mono_ping_stamp');
      m.monoSendStamp = span('mono_send_stamp');
      m.deltaUb = { negative: d.bool('delta_ub'), sec: d.u32('delta_ub'), nsec: d.u32('delta_ub') };
    }
    d.skip(pad, 'padding');
    m.minMessageSize = pad + mid;
    return m;
  }
}
