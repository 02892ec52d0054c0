// The placement-group structs OSDs exchange while peering and recovering and report to the monitors,
// as Ceph 16 defines them in src/osd/osd_types.h (pg_history_t, pg_info_t, PastIntervals,
// pg_log_entry_t, pg_log_t, pg_missing_t, pg_stat_t, object_stat_sum_t, the PG state bits). Field
// names are Ceph's in camelCase; each struct has one encode/decode in Ceph's versioned encoding so a
// message carrying it is byte-compatible with a Ceph OSD's.
//
// CONTRACT (written by the lead before the OSD work was split): the interfaces and constants below are
// shared by the peering core (osd/core), the OSD shell (osd/), the PG messages (msg/messages/pg.ts) and
// the monitors' PG statistics. Add fields Ceph has; do not rename or remove.

import { Decoder, Encoder, compareStringBytes, ownedBytes } from '../../common/encoding.js';
import { assert, CephError } from '../../common/errors.js';
import { decodePgId, encodePgId, type PgId, type UTime } from '../../common/osdmap/index.js';
import { reverseBits32 } from '../../osd/objectstore/types.js';
import { decodeUTime, encodeUTime } from './common.js';
import {
  decodeEVersion, decodeHObject, decodePgShard, decodeReqId, encodeEVersion, encodeHObject, encodePgShard,
  encodeReqId, zeroEVersion, type EVersion, type HObject, type OsdReqId, type PgShard, type SpgId,
} from './osdop.js';

// ---- eversion_t helpers -----------------------------------------------------------------------------

/** Order of eversion_t: by epoch, then version. */
export function cmpEVersion(a: EVersion, b: EVersion): number {
  return a.epoch !== b.epoch ? (a.epoch < b.epoch ? -1 : 1) : a.version === b.version ? 0 : a.version < b.version ? -1 : 1;
}

// ---- PG state bits (osd_types.h PG_STATE_*; names as pg_state_string prints them) -------------------

export const PgState = {
  CREATING: 1 << 0,
  ACTIVE: 1 << 1,
  CLEAN: 1 << 2,
  DOWN: 1 << 4,
  RECOVERY_UNFOUND: 1 << 5,
  BACKFILL_UNFOUND: 1 << 6,
  PREMERGE: 1 << 7,
  SCRUBBING: 1 << 8,
  DEGRADED: 1 << 10,
  INCONSISTENT: 1 << 11,
  PEERING: 1 << 12,
  REPAIR: 1 << 13,
  RECOVERING: 1 << 14,
  BACKFILL_WAIT: 1 << 15,
  INCOMPLETE: 1 << 16,
  STALE: 1 << 17,
  REMAPPED: 1 << 18,
  DEEP_SCRUB: 1 << 19,
  BACKFILLING: 1 << 20,
  BACKFILL_TOOFULL: 1 << 21,
  RECOVERY_WAIT: 1 << 22,
  UNDERSIZED: 1 << 23,
  ACTIVATING: 1 << 24,
  PEERED: 1 << 25,
  SNAPTRIM: 1 << 26,
  SNAPTRIM_WAIT: 1 << 27,
  RECOVERY_TOOFULL: 1 << 28,
  SNAPTRIM_ERROR: 1 << 29,
  FORCED_RECOVERY: 1 << 30,
  FORCED_BACKFILL: 2 ** 31,
  FAILED_REPAIR: 2 ** 32,
  LAGGY: 2 ** 33,
  WAIT: 2 ** 34,
} as const;
/** A PG's state: an OR of PgState bits (up to 2^35, so a plain number holds it exactly). */
export type PgStateBits = number;

// ---- pg_history_t ---------------------------------------------------------------------------------

export interface PgHistory {
  epochCreated: number;
  epochPoolCreated: number;
  lastEpochStarted: number;
  lastIntervalStarted: number;
  lastEpochClean: number;
  lastIntervalClean: number;
  lastEpochSplit: number;
  lastEpochMarkedFull: number;
  sameUpSince: number;
  sameIntervalSince: number;
  samePrimarySince: number;
  lastScrub: EVersion;
  lastDeepScrub: EVersion;
  lastScrubStamp: UTime;
  lastDeepScrubStamp: UTime;
  lastCleanScrubStamp: UTime;
  /** prior_readable_until_ub, a ceph::timespan in nanoseconds. */
  priorReadableUntilUb: number;
}

// ---- object_stat_sum_t / pg_stat_t ----------------------------------------------------------------

/** object_stat_sum_t: every counter Ceph 16 encodes (v20), in its order. */
export interface ObjectStatSum {
  numBytes: number;
  numObjects: number;
  numObjectClones: number;
  numObjectCopies: number;
  numObjectsMissingOnPrimary: number;
  numObjectsDegraded: number;
  numObjectsUnfound: number;
  numRd: number;
  numRdKb: number;
  numWr: number;
  numWrKb: number;
  numScrubErrors: number;
  numObjectsRecovered: number;
  numBytesRecovered: number;
  numKeysRecovered: number;
  numShallowScrubErrors: number;
  numDeepScrubErrors: number;
  numObjectsDirty: number;
  numWhiteouts: number;
  numObjectsOmap: number;
  numObjectsHitSetArchive: number;
  numObjectsMisplaced: number;
  numBytesHitSetArchive: number;
  numFlush: number;
  numFlushKb: number;
  numEvict: number;
  numEvictKb: number;
  numPromote: number;
  numFlushModeHigh: number;
  numFlushModeLow: number;
  numEvictModeSome: number;
  numEvictModeFull: number;
  numObjectsPinned: number;
  numObjectsMissing: number;
  numLegacySnapsets: number;
  numLargeOmapObjects: number;
  numObjectsManifest: number;
  numOmapBytes: number;
  numOmapKeys: number;
  numObjectsRepaired: number;
}

/** pg_stat_t: what a primary reports about one PG. */
export interface PgStat {
  version: EVersion;
  reportedSeq: number;
  reportedEpoch: number;
  state: PgStateBits;
  lastFresh: UTime;
  lastChange: UTime;
  lastActive: UTime;
  lastPeered: UTime;
  lastClean: UTime;
  lastUnstale: UTime;
  lastUndegraded: UTime;
  lastFullsized: UTime;
  logStart: EVersion;
  ondiskLogStart: EVersion;
  created: number;
  lastEpochClean: number;
  parent: PgId;
  parentSplitBits: number;
  lastScrub: EVersion;
  lastDeepScrub: EVersion;
  lastScrubStamp: UTime;
  lastDeepScrubStamp: UTime;
  lastCleanScrubStamp: UTime;
  statsSum: ObjectStatSum;
  logSize: number;
  ondiskLogSize: number;
  up: number[];
  acting: number[];
  upPrimary: number;
  actingPrimary: number;
  mappingEpoch: number;
  lastBecameActive: UTime;
  lastBecamePeered: UTime;
  snaptrimqLen: number;
  statsInvalid: boolean;
  dirtyStatsInvalid: boolean;
  omapStatsInvalid: boolean;
  hitsetStatsInvalid: boolean;
  hitsetBytesStatsInvalid: boolean;
  pinStatsInvalid: boolean;
  manifestStatsInvalid: boolean;
  /** purged_snaps: interval_set<snapid_t> as [start, len] pairs. */
  purgedSnaps: Array<[bigint, bigint]>;
  blockedBy: number[];
  /** Quincy's pg_stat_t v27+ fields; Pacific (v26) does not encode them. */
  objectsScrubbed: number;
  scrubDuration: number;
  /** avail_no_missing (pg_stat_t v26): shards with no missing objects. */
  availNoMissing?: PgShard[];
  /** object_location_counts (v26): how many objects live on exactly this set of shards. */
  objectLocationCounts?: Array<{ shards: PgShard[]; objects: number }>;
}

// ---- pg_info_t ------------------------------------------------------------------------------------

export interface PgInfo {
  pgid: SpgId;
  lastUpdate: EVersion;
  lastComplete: EVersion;
  logTail: EVersion;
  /** Objects sorting before this have been backfilled; hobject_t::get_max() (max=true) when complete. */
  lastBackfill: HObject;
  stats: PgStat;
  history: PgHistory;
  purgedSnaps: Array<[bigint, bigint]>;
  lastUserVersion: number;
  lastEpochStarted: number;
  lastIntervalStarted: number;
  /** The encoded pg_hit_set_history_t (cache tiering only); absent: an empty history. */
  hitSetHistory?: Buffer;
}

// ---- PastIntervals (the compact representation Ceph 16 encodes, pi_compact_rep) -------------------

/** One interval that may have gone read-write, with the acting shards of that interval. */
export interface CompactInterval {
  first: number;
  last: number;
  acting: PgShard[];
}

export interface PastIntervals {
  /** Epoch range covered [first, last]; both 0 when empty. */
  first: number;
  last: number;
  /** Every shard that was acting in any recorded interval (Ceph's all_participants). */
  allParticipants: PgShard[];
  intervals: CompactInterval[];
}

// ---- pg_log_entry_t / pg_log_t --------------------------------------------------------------------

export const PgLogOp = {
  MODIFY: 1,
  CLONE: 2,
  DELETE: 3,
  LOST_REVERT: 5,
  LOST_DELETE: 6,
  LOST_MARK: 7,
  PROMOTE: 8,
  CLEAN: 9,
  ERROR: 10,
} as const;

export interface PgLogEntry {
  op: number; // PgLogOp
  soid: HObject;
  version: EVersion;
  priorVersion: EVersion;
  revertingTo: EVersion;
  reqid: OsdReqId;
  /** extra_reqids as (reqid, user_version) pairs. */
  extraReqids: Array<{ reqid: OsdReqId; userVersion: number }>;
  /** extra_reqid_return_codes: index into extraReqids -> return code (only for errors). */
  extraReqidReturnCodes?: Array<[number, number]>;
  mtime: UTime;
  returnCode: number;
  /** op_returns: each op's (rval, outdata) for ops that must be replayable (dup detection). */
  opReturns: Array<{ rval: number; data: Buffer }>;
  userVersion: number;
  /** The encoded ObjectModDesc (rollback info; empty "can't rollback" for replicated pools is fine). */
  modDesc: Buffer;
  /** The encoded snaps bufferlist (empty for heads). */
  snaps: Buffer;
  /** The encoded ObjectCleanRegions. */
  cleanRegions: Buffer;
}

export interface PgLog {
  head: EVersion;
  tail: EVersion;
  canRollbackTo: EVersion;
  rollbackInfoTrimmedTo: EVersion;
  log: PgLogEntry[];
  /** dups: pg_log_dup_t (reqid, version, user_version, return_code, op_returns). */
  dups: Array<{ reqid: OsdReqId; version: EVersion; userVersion: number; returnCode: number; opReturns: Array<{ rval: number; data: Buffer }> }>;
}

// ---- pg_missing_t ---------------------------------------------------------------------------------

export interface PgMissingItem {
  need: EVersion;
  have: EVersion;
  /** FLAG_DELETE: the object must be deleted rather than recovered. */
  isDelete: boolean;
  /** The encoded ObjectCleanRegions (empty: the whole object is dirty). */
  cleanRegions: Buffer;
}

export interface PgMissing {
  /** Keyed by objectKey(soid) from this file, so lookups are exact. */
  items: Map<string, { soid: HObject; item: PgMissingItem }>;
  mayIncludeDeletes: boolean;
}

/** A stable string key for a hobject_t (pool, namespace, key, name, snap, hash) for maps and sets. */
export function objectKey(h: HObject): string {
  return `${h.pool}\u0000${h.nspace}\u0000${h.key}\u0000${h.oid}\u0000${h.snap}\u0000${h.hash}\u0000${h.max ? 1 : 0}`;
}


// ---- empty constructors (what Ceph's default constructors give) ------------------------------------

function zeroTime(): UTime {
  return { sec: 0, nsec: 0 };
}

/** hobject_t::get_max(): sorts after every object (a complete last_backfill). */
export function maxHObject(): HObject {
  return { oid: '', key: '', nspace: '', hash: 0, pool: -(2 ** 63), snap: 0n, max: true };
}

export function emptyPgHistory(): PgHistory {
  return {
    epochCreated: 0, epochPoolCreated: 0, lastEpochStarted: 0, lastIntervalStarted: 0, lastEpochClean: 0,
    lastIntervalClean: 0, lastEpochSplit: 0, lastEpochMarkedFull: 0, sameUpSince: 0, sameIntervalSince: 0,
    samePrimarySince: 0, lastScrub: zeroEVersion(), lastDeepScrub: zeroEVersion(), lastScrubStamp: zeroTime(),
    lastDeepScrubStamp: zeroTime(), lastCleanScrubStamp: zeroTime(), priorReadableUntilUb: 0,
  };
}

export function emptyObjectStatSum(): ObjectStatSum {
  return {
    numBytes: 0, numObjects: 0, numObjectClones: 0, numObjectCopies: 0, numObjectsMissingOnPrimary: 0,
    numObjectsDegraded: 0, numObjectsUnfound: 0, numRd: 0, numRdKb: 0, numWr: 0, numWrKb: 0,
    numScrubErrors: 0, numObjectsRecovered: 0, numBytesRecovered: 0, numKeysRecovered: 0,
    numShallowScrubErrors: 0, numDeepScrubErrors: 0, numObjectsDirty: 0, numWhiteouts: 0, numObjectsOmap: 0,
    numObjectsHitSetArchive: 0, numObjectsMisplaced: 0, numBytesHitSetArchive: 0, numFlush: 0, numFlushKb: 0,
    numEvict: 0, numEvictKb: 0, numPromote: 0, numFlushModeHigh: 0, numFlushModeLow: 0, numEvictModeSome: 0,
    numEvictModeFull: 0, numObjectsPinned: 0, numObjectsMissing: 0, numLegacySnapsets: 0,
    numLargeOmapObjects: 0, numObjectsManifest: 0, numOmapBytes: 0, numOmapKeys: 0, numObjectsRepaired: 0,
  };
}

/** pg_stat_t(): state 0 (Ceph starts a PG's stats with no state bits), up/acting primaries -1. */
export function emptyPgStat(): PgStat {
  return {
    version: zeroEVersion(), reportedSeq: 0, reportedEpoch: 0, state: 0, lastFresh: zeroTime(), lastChange: zeroTime(),
    lastActive: zeroTime(), lastPeered: zeroTime(), lastClean: zeroTime(), lastUnstale: zeroTime(),
    lastUndegraded: zeroTime(), lastFullsized: zeroTime(), logStart: zeroEVersion(), ondiskLogStart: zeroEVersion(),
    created: 0, lastEpochClean: 0, parent: { pool: 0, seed: 0 }, parentSplitBits: 0, lastScrub: zeroEVersion(),
    lastDeepScrub: zeroEVersion(), lastScrubStamp: zeroTime(), lastDeepScrubStamp: zeroTime(),
    lastCleanScrubStamp: zeroTime(), statsSum: emptyObjectStatSum(), logSize: 0, ondiskLogSize: 0, up: [],
    acting: [], upPrimary: -1, actingPrimary: -1, mappingEpoch: 0, lastBecameActive: zeroTime(),
    lastBecamePeered: zeroTime(), snaptrimqLen: 0, statsInvalid: false, dirtyStatsInvalid: false,
    omapStatsInvalid: false, hitsetStatsInvalid: false, hitsetBytesStatsInvalid: false, pinStatsInvalid: false,
    manifestStatsInvalid: false, purgedSnaps: [], blockedBy: [], objectsScrubbed: 0, scrubDuration: 0,
    availNoMissing: [], objectLocationCounts: [],
  };
}

/** pg_info_t(spg): nothing written yet, last_backfill = max (a complete PG). */
export function emptyPgInfo(pgid: SpgId): PgInfo {
  return {
    pgid: { pgid: { pool: pgid.pgid.pool, seed: pgid.pgid.seed }, shard: pgid.shard },
    lastUpdate: zeroEVersion(), lastComplete: zeroEVersion(), logTail: zeroEVersion(), lastBackfill: maxHObject(),
    stats: emptyPgStat(), history: emptyPgHistory(), purgedSnaps: [], lastUserVersion: 0, lastEpochStarted: 0,
    lastIntervalStarted: 0,
  };
}

export function emptyPastIntervals(): PastIntervals {
  return { first: 0, last: 0, allParticipants: [], intervals: [] };
}

export function emptyPgLog(): PgLog {
  return { head: zeroEVersion(), tail: zeroEVersion(), canRollbackTo: zeroEVersion(), rollbackInfoTrimmedTo: zeroEVersion(), log: [], dups: [] };
}

/** pg_missing_t() as a Pacific OSD creates it (may_include_deletes set: every peer supports deletes). */
export function emptyPgMissing(): PgMissing {
  return { items: new Map(), mayIncludeDeletes: true };
}

// ---- hobject_t order (Ceph's cmp(hobject_t, hobject_t), the "bitwise" sort) ------------------------

/**
 * Ceph's hobject_t order: max last, then pool, the bit-reversed hash (so a PG's objects are one
 * contiguous range), namespace, effective key (locator key, else name), name, snap. std::map<hobject_t>
 * iterates in this order, so every map keyed by objects is encoded in it.
 */
export function cmpHObject(a: HObject, b: HObject): number {
  if (a.max !== b.max) return a.max ? 1 : -1;
  if (a.max) return 0;
  if (a.pool !== b.pool) return a.pool < b.pool ? -1 : 1;
  const ka = reverseBits32(a.hash);
  const kb = reverseBits32(b.hash);
  if (ka !== kb) return ka < kb ? -1 : 1;
  let c = compareStringBytes(a.nspace, b.nspace);
  if (c !== 0) return c;
  c = compareStringBytes(a.key !== '' ? a.key : a.oid, b.key !== '' ? b.key : b.oid);
  if (c !== 0) return c;
  c = compareStringBytes(a.oid, b.oid);
  if (c !== 0) return c;
  return a.snap === b.snap ? 0 : a.snap < b.snap ? -1 : 1;
}

function cmpPgShard(a: PgShard, b: PgShard): number {
  return a.osd !== b.osd ? a.osd - b.osd : a.shard - b.shard;
}

/** A set<pg_shard_t> as Ceph encodes it: sorted, no duplicates. */
function shardSet(v: readonly PgShard[]): PgShard[] {
  const out = [...v].sort(cmpPgShard);
  return out.filter((s, i) => i === 0 || cmpPgShard(out[i - 1]!, s) !== 0);
}

// ---- small helpers --------------------------------------------------------------------------------

/** Run a struct decoder over bytes from a peer: any failure is CephError EBADMSG naming the struct. */
export function decodeOrBadMsg<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CephError && e.code === 'EBADMSG') throw e;
    if (e instanceof CephError || e instanceof RangeError || e instanceof TypeError) {
      throw new CephError('EBADMSG', `${what}: ${e.message}`);
    }
    throw e;
  }
}

function encodeS32Vec(e: Encoder, v: readonly number[]): void {
  e.u32(v.length);
  for (const x of v) e.s32(x);
}

function decodeS32Vec(d: Decoder, what: string): number[] {
  return d.list(what, 4, (x) => x.s32(what));
}

/** interval_set<uint64_t> or interval_set<snapid_t>: u32 count, then (start, len) u64 pairs. */
export function encodeIntervalSet(e: Encoder, v: ReadonlyArray<readonly [bigint, bigint]>): void {
  e.u32(v.length);
  for (const [a, b] of v) e.u64Big(a).u64Big(b);
}

export function decodeIntervalSet(d: Decoder, what: string): Array<[bigint, bigint]> {
  return d.list(what, 16, (x) => [x.u64Big(what), x.u64Big(what)] as [bigint, bigint]);
}

/** ceph::timespan: s32 seconds then s32 nanoseconds; we keep nanoseconds. */
function encodeTimespan(e: Encoder, ns: number): void {
  const sec = Math.trunc(ns / 1e9);
  e.s32(sec).s32(ns - sec * 1e9);
}

function decodeTimespan(d: Decoder, what: string): number {
  const sec = d.s32(what);
  const nsec = d.s32(what);
  return sec * 1e9 + nsec;
}

/** shard_id_t: one signed byte (NO_SHARD is -1). */
export function encodeShardId(e: Encoder, shard: number): void {
  e.u8(shard & 0xff);
}

export function decodeShardId(d: Decoder, what: string): number {
  return (d.u8(what) << 24) >> 24;
}

// ---- pg_history_t (v10, compat 4) -----------------------------------------------------------------

export function encodePgHistory(e: Encoder, h: PgHistory): void {
  e.startStruct(10, 4);
  e.u32(h.epochCreated).u32(h.lastEpochStarted).u32(h.lastEpochClean).u32(h.lastEpochSplit)
    .u32(h.sameIntervalSince).u32(h.sameUpSince).u32(h.samePrimarySince);
  encodeEVersion(e, h.lastScrub);
  encodeUTime(e, h.lastScrubStamp);
  encodeEVersion(e, h.lastDeepScrub);
  encodeUTime(e, h.lastDeepScrubStamp);
  encodeUTime(e, h.lastCleanScrubStamp);
  e.u32(h.lastEpochMarkedFull).u32(h.lastIntervalStarted).u32(h.lastIntervalClean).u32(h.epochPoolCreated);
  encodeTimespan(e, h.priorReadableUntilUb);
  e.finishStruct();
}

export function decodePgHistory(d: Decoder, what = 'pg_history_t'): PgHistory {
  const v = d.decodeStartLegacyCompatLen(10, 4, 4, what);
  if (v < 9) throw new CephError('EBADMSG', `${what}: struct_v ${v} predates Nautilus`);
  const h = emptyPgHistory();
  h.epochCreated = d.u32(what);
  h.lastEpochStarted = d.u32(what);
  h.lastEpochClean = d.u32(what);
  h.lastEpochSplit = d.u32(what);
  h.sameIntervalSince = d.u32(what);
  h.sameUpSince = d.u32(what);
  h.samePrimarySince = d.u32(what);
  h.lastScrub = decodeEVersion(d, what);
  h.lastScrubStamp = decodeUTime(d, what);
  h.lastDeepScrub = decodeEVersion(d, what);
  h.lastDeepScrubStamp = decodeUTime(d, what);
  h.lastCleanScrubStamp = decodeUTime(d, what);
  h.lastEpochMarkedFull = d.u32(what);
  h.lastIntervalStarted = d.u32(what);
  h.lastIntervalClean = d.u32(what);
  h.epochPoolCreated = d.u32(what);
  if (v >= 10) h.priorReadableUntilUb = decodeTimespan(d, what);
  d.decodeFinish(what);
  return h;
}

// ---- object_stat_sum_t (v20, compat 14; Ceph copies the struct's memory, so the order is its layout) --

/** Field order of object_stat_sum_t's memory layout; the four i32 fields are marked. */
const STAT_SUM_FIELDS: ReadonlyArray<readonly [keyof ObjectStatSum, 8 | 4]> = [
  ['numBytes', 8], ['numObjects', 8], ['numObjectClones', 8], ['numObjectCopies', 8],
  ['numObjectsMissingOnPrimary', 8], ['numObjectsDegraded', 8], ['numObjectsUnfound', 8], ['numRd', 8],
  ['numRdKb', 8], ['numWr', 8], ['numWrKb', 8], ['numScrubErrors', 8], ['numObjectsRecovered', 8],
  ['numBytesRecovered', 8], ['numKeysRecovered', 8], ['numShallowScrubErrors', 8], ['numDeepScrubErrors', 8],
  ['numObjectsDirty', 8], ['numWhiteouts', 8], ['numObjectsOmap', 8], ['numObjectsHitSetArchive', 8],
  ['numObjectsMisplaced', 8], ['numBytesHitSetArchive', 8], ['numFlush', 8], ['numFlushKb', 8], ['numEvict', 8],
  ['numEvictKb', 8], ['numPromote', 8], ['numFlushModeHigh', 4], ['numFlushModeLow', 4], ['numEvictModeSome', 4],
  ['numEvictModeFull', 4], ['numObjectsPinned', 8], ['numObjectsMissing', 8], ['numLegacySnapsets', 8],
  ['numLargeOmapObjects', 8], ['numObjectsManifest', 8], ['numOmapBytes', 8], ['numOmapKeys', 8],
  ['numObjectsRepaired', 8],
];

export function encodeObjectStatSum(e: Encoder, s: ObjectStatSum): void {
  // written out in STAT_SUM_FIELDS' order (checked when this module loads): one monomorphic property
  // read per field instead of a keyed read through the table (this runs several times per write)
  e.startStruct(20, 14);
  e.s64(s.numBytes).s64(s.numObjects).s64(s.numObjectClones).s64(s.numObjectCopies);
  e.s64(s.numObjectsMissingOnPrimary).s64(s.numObjectsDegraded).s64(s.numObjectsUnfound).s64(s.numRd);
  e.s64(s.numRdKb).s64(s.numWr).s64(s.numWrKb).s64(s.numScrubErrors).s64(s.numObjectsRecovered);
  e.s64(s.numBytesRecovered).s64(s.numKeysRecovered).s64(s.numShallowScrubErrors).s64(s.numDeepScrubErrors);
  e.s64(s.numObjectsDirty).s64(s.numWhiteouts).s64(s.numObjectsOmap).s64(s.numObjectsHitSetArchive);
  e.s64(s.numObjectsMisplaced).s64(s.numBytesHitSetArchive).s64(s.numFlush).s64(s.numFlushKb).s64(s.numEvict);
  e.s64(s.numEvictKb).s64(s.numPromote).s32(s.numFlushModeHigh).s32(s.numFlushModeLow).s32(s.numEvictModeSome);
  e.s32(s.numEvictModeFull).s64(s.numObjectsPinned).s64(s.numObjectsMissing).s64(s.numLegacySnapsets);
  e.s64(s.numLargeOmapObjects).s64(s.numObjectsManifest).s64(s.numOmapBytes).s64(s.numOmapKeys);
  e.s64(s.numObjectsRepaired);
  e.finishStruct();
}

/** The unrolled encoder above follows STAT_SUM_FIELDS: checked once, by encoding distinct values both ways. */
function checkStatSumOrder(): void {
  const s = emptyObjectStatSum();
  STAT_SUM_FIELDS.forEach(([k], i) => (s[k] = i + 1));
  const a = new Encoder(512);
  encodeObjectStatSum(a, s);
  const b = new Encoder(512);
  b.startStruct(20, 14);
  for (const [k, w] of STAT_SUM_FIELDS) {
    if (w === 8) b.s64(s[k]);
    else b.s32(s[k]);
  }
  b.finishStruct();
  assert(a.view().equals(b.view()), 'encodeObjectStatSum follows STAT_SUM_FIELDS');
}
checkStatSumOrder();

export function decodeObjectStatSum(d: Decoder, what = 'object_stat_sum_t'): ObjectStatSum {
  const v = d.decodeStart(20, what);
  if (v < 14) throw new CephError('EBADMSG', `${what}: struct_v ${v} predates Luminous`);
  const s = emptyObjectStatSum();
  // v14..v19 end earlier: legacy_snapsets (16), large_omap (17), manifest (18), omap bytes/keys (19), repaired (20)
  const present = v >= 20 ? 40 : v >= 19 ? 39 : v >= 18 ? 37 : v >= 17 ? 36 : v >= 16 ? 35 : 34;
  for (let i = 0; i < present; i++) {
    const [k, w] = STAT_SUM_FIELDS[i]!;
    s[k] = w === 8 ? d.s64(what) : d.s32(what);
  }
  if (v < 16) s.numLegacySnapsets = s.numObjectClones;
  d.decodeFinish(what);
  return s;
}

// ---- object_stat_collection_t (v2): the sum and a retired per-category map, sent empty ---------------

export function encodeObjectStatCollection(e: Encoder, s: ObjectStatSum): void {
  e.startStruct(2, 2);
  encodeObjectStatSum(e, s);
  e.u32(0); // cat_sum: none
  e.finishStruct();
}

/** The sum; per-category sums an old peer may send are read and dropped. */
export function decodeObjectStatCollection(d: Decoder, what = 'object_stat_collection_t'): ObjectStatSum {
  d.decodeStartLegacyCompatLen(2, 2, 2, what);
  const sum = decodeObjectStatSum(d);
  const n = d.count('cat_sum', 8);
  for (let i = 0; i < n; i++) {
    d.string('cat_sum name');
    decodeObjectStatSum(d);
  }
  d.decodeFinish(what);
  return sum;
}

// ---- pg_stat_t (Pacific: v26, compat 22) ----------------------------------------------------------

export function encodePgStat(e: Encoder, s: PgStat): void {
  e.startStruct(26, 22);
  encodeEVersion(e, s.version);
  e.u64(s.reportedSeq).u32(s.reportedEpoch);
  e.u32(s.state % 0x1_0000_0000);
  encodeEVersion(e, s.logStart);
  encodeEVersion(e, s.ondiskLogStart);
  e.u32(s.created).u32(s.lastEpochClean);
  encodePgId(e, s.parent);
  e.u32(s.parentSplitBits);
  encodeEVersion(e, s.lastScrub);
  encodeUTime(e, s.lastScrubStamp);
  encodeObjectStatCollection(e, s.statsSum);
  e.s64(s.logSize).s64(s.ondiskLogSize);
  encodeS32Vec(e, s.up);
  encodeS32Vec(e, s.acting);
  encodeUTime(e, s.lastFresh);
  encodeUTime(e, s.lastChange);
  encodeUTime(e, s.lastActive);
  encodeUTime(e, s.lastClean);
  encodeUTime(e, s.lastUnstale);
  e.u32(s.mappingEpoch);
  encodeEVersion(e, s.lastDeepScrub);
  encodeUTime(e, s.lastDeepScrubStamp);
  e.bool(s.statsInvalid);
  encodeUTime(e, s.lastCleanScrubStamp);
  encodeUTime(e, s.lastBecameActive);
  e.bool(s.dirtyStatsInvalid);
  e.s32(s.upPrimary).s32(s.actingPrimary);
  e.bool(s.omapStatsInvalid).bool(s.hitsetStatsInvalid);
  encodeS32Vec(e, s.blockedBy);
  encodeUTime(e, s.lastUndegraded);
  encodeUTime(e, s.lastFullsized);
  e.bool(s.hitsetBytesStatsInvalid);
  encodeUTime(e, s.lastPeered);
  encodeUTime(e, s.lastBecamePeered);
  e.bool(s.pinStatsInvalid);
  e.u32(s.snaptrimqLen);
  e.u32(Math.floor(s.state / 0x1_0000_0000));
  encodeIntervalSet(e, s.purgedSnaps);
  e.bool(s.manifestStatsInvalid);
  const avail = s.availNoMissing ?? [];
  e.u32(avail.length);
  for (const sh of avail) encodePgShard(e, sh);
  const locationCounts = s.objectLocationCounts ?? [];
  const counts = locationCounts.length === 0 ? [] : locationCounts.map((c) => ({ shards: shardSet(c.shards), objects: c.objects }));
  counts.sort((a, b) => {
    for (let i = 0; i < Math.min(a.shards.length, b.shards.length); i++) {
      const c = cmpPgShard(a.shards[i]!, b.shards[i]!);
      if (c !== 0) return c;
    }
    return a.shards.length - b.shards.length;
  });
  e.u32(counts.length);
  for (const c of counts) {
    e.u32(c.shards.length);
    for (const sh of c.shards) encodePgShard(e, sh);
    e.s32(c.objects);
  }
  e.finishStruct();
}

export function decodePgStat(d: Decoder, what = 'pg_stat_t'): PgStat {
  const v = d.decodeStart(26, what);
  const s = emptyPgStat();
  s.version = decodeEVersion(d, what);
  s.reportedSeq = d.u64(what);
  s.reportedEpoch = d.u32(what);
  const lowState = d.u32(what);
  s.logStart = decodeEVersion(d, what);
  s.ondiskLogStart = decodeEVersion(d, what);
  s.created = d.u32(what);
  s.lastEpochClean = d.u32(what);
  s.parent = decodePgId(d, what);
  s.parentSplitBits = d.u32(what);
  s.lastScrub = decodeEVersion(d, what);
  s.lastScrubStamp = decodeUTime(d, what);
  s.statsSum = decodeObjectStatCollection(d);
  s.logSize = d.s64(what);
  s.ondiskLogSize = d.s64(what);
  s.up = decodeS32Vec(d, what);
  s.acting = decodeS32Vec(d, what);
  s.lastFresh = decodeUTime(d, what);
  s.lastChange = decodeUTime(d, what);
  s.lastActive = decodeUTime(d, what);
  s.lastClean = decodeUTime(d, what);
  s.lastUnstale = decodeUTime(d, what);
  s.mappingEpoch = d.u32(what);
  s.lastDeepScrub = decodeEVersion(d, what);
  s.lastDeepScrubStamp = decodeUTime(d, what);
  s.statsInvalid = d.bool(what);
  s.lastCleanScrubStamp = decodeUTime(d, what);
  s.lastBecameActive = decodeUTime(d, what);
  s.dirtyStatsInvalid = d.bool(what);
  s.upPrimary = d.s32(what);
  s.actingPrimary = d.s32(what);
  s.omapStatsInvalid = d.bool(what);
  s.hitsetStatsInvalid = d.bool(what);
  s.blockedBy = decodeS32Vec(d, what);
  s.lastUndegraded = decodeUTime(d, what);
  s.lastFullsized = decodeUTime(d, what);
  s.hitsetBytesStatsInvalid = d.bool(what);
  s.lastPeered = decodeUTime(d, what);
  s.lastBecamePeered = decodeUTime(d, what);
  s.pinStatsInvalid = d.bool(what);
  s.state = lowState;
  s.manifestStatsInvalid = true;
  if (v >= 23) {
    s.snaptrimqLen = d.u32(what);
    if (v >= 24) {
      s.state = lowState + d.u32(what) * 0x1_0000_0000;
      s.purgedSnaps = decodeIntervalSet(d, what);
    }
    if (v >= 25) s.manifestStatsInvalid = d.bool(what);
    if (v >= 26) {
      s.availNoMissing = d.list(what, 6, (x) => decodePgShard(x, what));
      s.objectLocationCounts = d.list(what, 8, (x) => {
        const shards = x.list(what, 6, (y) => decodePgShard(y, what));
        return { shards, objects: x.s32(what) };
      });
    }
  }
  d.decodeFinish(what);
  return s;
}

// ---- pg_hit_set_history_t (kept encoded) ----------------------------------------------------------

/** An empty pg_hit_set_history_t as Ceph encodes it (no cache tiering). */
function emptyHitSetHistoryBytes(): Buffer {
  const e = new Encoder(64);
  e.startStruct(1, 1);
  encodeEVersion(e, { epoch: 0, version: 0 }); // current_last_update
  encodeUTime(e, { sec: 0, nsec: 0 }); // dummy stamp
  e.startStruct(2, 1); // dummy pg_hit_set_info_t
  encodeUTime(e, { sec: 0, nsec: 0 });
  encodeUTime(e, { sec: 0, nsec: 0 });
  encodeEVersion(e, { epoch: 0, version: 0 });
  e.bool(true); // using_gmt
  e.finishStruct();
  e.u32(0); // history
  e.finishStruct();
  return e.toBuffer();
}
const EMPTY_HIT_SET_HISTORY = emptyHitSetHistoryBytes();

/** Bytes of one whole encoded struct (header included) at the decoder's position, consumed. */
export function rawStruct(d: Decoder, what: string): Buffer {
  return d.structBytes(what);
}

// ---- pg_info_t (v32, compat 26) -------------------------------------------------------------------

/** pg_info_t's retired last_backfill field: always hobject_t() (read-only: encoders never change it). */
const OLD_LAST_BACKFILL: HObject = { oid: '', key: '', nspace: '', hash: 0, pool: -(2 ** 63), snap: 0n, max: false };

export function encodePgInfo(e: Encoder, i: PgInfo): void {
  e.startStruct(32, 26);
  encodePgId(e, i.pgid.pgid);
  encodeEVersion(e, i.lastUpdate);
  encodeEVersion(e, i.lastComplete);
  encodeEVersion(e, i.logTail);
  encodeHObject(e, OLD_LAST_BACKFILL); // old last_backfill
  encodePgStat(e, i.stats);
  encodePgHistory(e, i.history);
  encodeIntervalSet(e, i.purgedSnaps);
  e.u32(i.lastEpochStarted);
  e.u64(i.lastUserVersion);
  e.raw(i.hitSetHistory ?? EMPTY_HIT_SET_HISTORY);
  encodeShardId(e, i.pgid.shard);
  encodeHObject(e, i.lastBackfill);
  e.bool(true); // last_backfill_bitwise
  e.u32(i.lastIntervalStarted);
  e.finishStruct();
}

export function decodePgInfo(d: Decoder, what = 'pg_info_t'): PgInfo {
  const v = d.decodeStart(32, what);
  const pgid = decodePgId(d, what);
  const lastUpdate = decodeEVersion(d, what);
  const lastComplete = decodeEVersion(d, what);
  const logTail = decodeEVersion(d, what);
  decodeHObject(d, what);
  const stats = decodePgStat(d);
  const history = decodePgHistory(d);
  const purgedSnaps = decodeIntervalSet(d, what);
  const lastEpochStarted = d.u32(what);
  const lastUserVersion = d.u64(what);
  const hitSetHistory = rawStruct(d, 'pg_hit_set_history_t');
  const shard = decodeShardId(d, what);
  const lastBackfill = decodeHObject(d, what);
  d.bool(what);
  const lastIntervalStarted = v >= 32 ? d.u32(what) : lastEpochStarted;
  d.decodeFinish(what);
  const info: PgInfo = {
    pgid: { pgid, shard }, lastUpdate, lastComplete, logTail, lastBackfill, stats, history, purgedSnaps,
    lastUserVersion, lastEpochStarted, lastIntervalStarted,
  };
  if (!hitSetHistory.equals(EMPTY_HIT_SET_HISTORY)) info.hitSetHistory = hitSetHistory;
  return info;
}

// ---- PastIntervals (wrapper v1 + pi_compact_rep v1) -----------------------------------------------

export function encodePastIntervals(e: Encoder, p: PastIntervals): void {
  e.startStruct(1, 1);
  e.u8(2); // pi_compact_rep
  e.startStruct(1, 1);
  e.u32(p.first).u32(p.last);
  const all = shardSet(p.allParticipants);
  e.u32(all.length);
  for (const s of all) encodePgShard(e, s);
  e.u32(p.intervals.length);
  for (const iv of p.intervals) {
    e.startStruct(1, 1);
    e.u32(iv.first).u32(iv.last);
    const acting = shardSet(iv.acting);
    e.u32(acting.length);
    for (const s of acting) encodePgShard(e, s);
    e.finishStruct();
  }
  e.finishStruct();
  e.finishStruct();
}

export function decodePastIntervals(d: Decoder, what = 'PastIntervals'): PastIntervals {
  d.decodeStart(1, what);
  const type = d.u8(what);
  const p = emptyPastIntervals();
  if (type === 2) {
    d.decodeStart(1, 'pi_compact_rep');
    p.first = d.u32(what);
    p.last = d.u32(what);
    p.allParticipants = d.list(what, 6, (x) => decodePgShard(x, what));
    p.intervals = d.list(what, 14, (x) => {
      x.decodeStart(1, 'compact_interval_t');
      const first = x.u32(what);
      const last = x.u32(what);
      const acting = x.list(what, 6, (y) => decodePgShard(y, what));
      x.decodeFinish('compact_interval_t');
      return { first, last, acting };
    });
    d.decodeFinish('pi_compact_rep');
  } else if (type !== 0) {
    throw new CephError('EBADMSG', `${what}: representation type ${type} (only the compact one, 2, is supported)`);
  }
  d.decodeFinish(what);
  return p;
}

// ---- ObjectModDesc / ObjectCleanRegions (kept encoded in log entries) -----------------------------

/** ObjectModDesc after mark_unrollbackable(): what a replicated pool's log entries carry. */
function unrollbackableModDesc(): Buffer {
  const e = new Encoder(16);
  e.startStruct(1, 1).bool(false).bool(false).u32(0).finishStruct();
  return e.toBuffer();
}

export interface CleanRegions {
  /** Clean byte ranges [offset, length]; Ceph's default is the whole 2^64 range clean. */
  cleanOffsets: Array<[bigint, bigint]>;
  cleanOmap: boolean;
  newObject: boolean;
}

export function encodeCleanRegions(r: CleanRegions): Buffer {
  const e = new Encoder(64);
  e.startStruct(1, 1);
  encodeIntervalSet(e, r.cleanOffsets);
  e.bool(r.cleanOmap).bool(r.newObject);
  e.finishStruct();
  return e.toBuffer();
}

export function decodeCleanRegions(b: Buffer): CleanRegions {
  return decodeOrBadMsg('ObjectCleanRegions', () => {
    const d = new Decoder(b, 'ObjectCleanRegions');
    d.decodeStart(1, 'ObjectCleanRegions');
    const cleanOffsets = decodeIntervalSet(d, 'clean_offsets');
    const cleanOmap = d.bool('clean_omap');
    const newObject = d.bool('new_object');
    d.decodeFinish('ObjectCleanRegions');
    return { cleanOffsets, cleanOmap, newObject };
  });
}

/** mark_fully_dirty(): nothing clean, omap dirty, a new object (recovery copies everything). */
export const FULLY_DIRTY_CLEAN_REGIONS: Readonly<CleanRegions> = Object.freeze({ cleanOffsets: [], cleanOmap: false, newObject: true });
const FULLY_DIRTY_BYTES = encodeCleanRegions(FULLY_DIRTY_CLEAN_REGIONS);
const UNROLLBACKABLE_BYTES = unrollbackableModDesc();

/**
 * A struct's bytes as a log entry or missing item keeps them (for as long as the PG log holds it): the
 * shared constant when they are its bytes (nearly every entry), else a copy of their own, so no entry
 * pins a receive chunk or a pool slab.
 */
function keptStruct(b: Buffer, common: Buffer): Buffer {
  return b.equals(common) ? common : ownedBytes(b);
}

// ---- pg_log_entry_t (v14, compat 4) and pg_log_dup_t (v2, compat 1) -------------------------------

function encodeOpReturns(e: Encoder, v: ReadonlyArray<{ rval: number; data: Buffer }>): void {
  e.u32(v.length);
  for (const r of v) e.s32(r.rval).bytes(r.data);
}

function decodeOpReturns(d: Decoder, what: string): Array<{ rval: number; data: Buffer }> {
  return d.list(what, 8, (x) => ({ rval: x.s32(what), data: Buffer.from(x.bytes(what)) }));
}

export function encodePgLogEntry(e: Encoder, l: PgLogEntry): void {
  e.startStruct(14, 4);
  e.u32(l.op);
  encodeHObject(e, l.soid);
  encodeEVersion(e, l.version);
  encodeEVersion(e, l.op === PgLogOp.LOST_REVERT ? l.revertingTo : l.priorVersion);
  encodeReqId(e, l.reqid);
  encodeUTime(e, l.mtime);
  if (l.op === PgLogOp.LOST_REVERT) encodeEVersion(e, l.priorVersion);
  e.bytes(l.snaps);
  e.u64(l.userVersion);
  e.raw(l.modDesc.length ? l.modDesc : UNROLLBACKABLE_BYTES);
  e.u32(l.extraReqids.length);
  for (const x of l.extraReqids) {
    encodeReqId(e, x.reqid);
    e.u64(x.userVersion);
  }
  if (l.op === PgLogOp.ERROR) e.s32(l.returnCode);
  if (l.extraReqids.length) {
    const codes = [...(l.extraReqidReturnCodes ?? [])].sort((a, b) => a[0] - b[0]);
    e.u32(codes.length);
    for (const [i, rc] of codes) e.u32(i).s32(rc);
  }
  e.raw(l.cleanRegions.length ? l.cleanRegions : FULLY_DIRTY_BYTES);
  if (l.op !== PgLogOp.ERROR) e.s32(l.returnCode);
  encodeOpReturns(e, l.opReturns);
  e.finishStruct();
}

export function decodePgLogEntry(d: Decoder, what = 'pg_log_entry_t'): PgLogEntry {
  const v = d.decodeStartLegacyCompatLen(14, 4, 4, what);
  if (v < 12) throw new CephError('EBADMSG', `${what}: struct_v ${v} predates Luminous`);
  const op = d.u32(what);
  const soid = decodeHObject(d, what);
  const version = decodeEVersion(d, what);
  const first = decodeEVersion(d, what);
  const reqid = decodeReqId(d, what);
  const mtime = decodeUTime(d, what);
  let priorVersion = first;
  let revertingTo = { epoch: 0, version: 0 };
  if (op === PgLogOp.LOST_REVERT) {
    revertingTo = first;
    priorVersion = decodeEVersion(d, what);
  }
  const snaps = Buffer.from(d.bytes(what));
  const userVersion = d.u64(what);
  const modDesc = keptStruct(rawStruct(d, 'ObjectModDesc'), UNROLLBACKABLE_BYTES);
  const extraReqids = d.list(what, 25, (x) => ({ reqid: decodeReqId(x, what), userVersion: x.u64(what) }));
  let returnCode = 0;
  if (op === PgLogOp.ERROR) returnCode = d.s32(what);
  const entry: PgLogEntry = {
    op, soid, version, priorVersion, revertingTo, reqid, extraReqids, mtime, returnCode, opReturns: [], userVersion,
    modDesc, snaps, cleanRegions: FULLY_DIRTY_BYTES,
  };
  if (extraReqids.length) entry.extraReqidReturnCodes = d.list(what, 8, (x) => [x.u32(what), x.s32(what)] as [number, number]);
  if (v >= 13) entry.cleanRegions = keptStruct(rawStruct(d, 'ObjectCleanRegions'), FULLY_DIRTY_BYTES);
  if (v >= 14) {
    if (op !== PgLogOp.ERROR) entry.returnCode = d.s32(what);
    entry.opReturns = decodeOpReturns(d, what);
  }
  d.decodeFinish(what);
  return entry;
}

type PgLogDup = PgLog['dups'][number];

export function encodePgLogDup(e: Encoder, x: PgLogDup): void {
  e.startStruct(2, 1);
  encodeReqId(e, x.reqid);
  encodeEVersion(e, x.version);
  e.u64(x.userVersion).s32(x.returnCode);
  encodeOpReturns(e, x.opReturns);
  e.finishStruct();
}

export function decodePgLogDup(d: Decoder, what = 'pg_log_dup_t'): PgLogDup {
  const v = d.decodeStart(2, what);
  const reqid = decodeReqId(d, what);
  const version = decodeEVersion(d, what);
  const userVersion = d.u64(what);
  const returnCode = d.s32(what);
  const opReturns = v >= 2 ? decodeOpReturns(d, what) : [];
  d.decodeFinish(what);
  return { reqid, version, userVersion, returnCode, opReturns };
}

// ---- pg_log_t (v7, compat 3) ----------------------------------------------------------------------

export function encodePgLog(e: Encoder, l: PgLog): void {
  e.startStruct(7, 3);
  encodeEVersion(e, l.head);
  encodeEVersion(e, l.tail);
  e.u32(l.log.length);
  for (const x of l.log) encodePgLogEntry(e, x);
  encodeEVersion(e, l.canRollbackTo);
  encodeEVersion(e, l.rollbackInfoTrimmedTo);
  e.u32(l.dups.length);
  for (const x of l.dups) encodePgLogDup(e, x);
  e.finishStruct();
}

export function decodePgLog(d: Decoder, what = 'pg_log_t'): PgLog {
  const v = d.decodeStartLegacyCompatLen(7, 3, 3, what);
  if (v < 6) throw new CephError('EBADMSG', `${what}: struct_v ${v} predates Luminous`);
  const head = decodeEVersion(d, what);
  const tail = decodeEVersion(d, what);
  const log = d.list(what, 60, (x) => decodePgLogEntry(x));
  const canRollbackTo = decodeEVersion(d, what);
  const rollbackInfoTrimmedTo = decodeEVersion(d, what);
  const dups = v >= 7 ? d.list(what, 30, (x) => decodePgLogDup(x)) : [];
  d.decodeFinish(what);
  return { head, tail, canRollbackTo, rollbackInfoTrimmedTo, log, dups };
}

// ---- pg_missing_t (pg_missing_set<false>: v5, compat 2; items in the SERVER_OCTOPUS form) ----------

/** The missing items in Ceph's hobject_t order (the order they are encoded in). */
export function sortedMissing(m: PgMissing): Array<{ soid: HObject; item: PgMissingItem }> {
  return [...m.items.values()].sort((a, b) => cmpHObject(a.soid, b.soid));
}

/** pg_missing_item in the SERVER_OCTOPUS form Ceph 16 writes (zero version, the (-1,-1) mark, need, have, flags, clean regions). */
export function encodePgMissingItem(e: Encoder, item: PgMissingItem): void {
  encodeEVersion(e, { epoch: 0, version: 0 });
  e.u64Big(0xffffffffffffffffn).u32(0xffffffff); // eversion_t(-1, -1): marks the Octopus form
  encodeEVersion(e, item.need);
  encodeEVersion(e, item.have);
  e.u8(item.isDelete ? 1 : 0);
  e.raw(item.cleanRegions.length ? item.cleanRegions : FULLY_DIRTY_BYTES);
}

/** A pg_missing_item in the Octopus form or the older one (need, have, flags; fully dirty). */
export function decodePgMissingItem(d: Decoder, what = 'pg_missing_item'): PgMissingItem {
  decodeEVersion(d, what);
  const lVersion = d.u64Big(what);
  const lEpoch = d.u32(what);
  if (lEpoch === 0xffffffff && lVersion === 0xffffffffffffffffn) {
    const item: PgMissingItem = { need: decodeEVersion(d, what), have: decodeEVersion(d, what), isDelete: (d.u8(what) & 1) === 1, cleanRegions: Buffer.alloc(0) };
    item.cleanRegions = keptStruct(rawStruct(d, 'ObjectCleanRegions'), FULLY_DIRTY_BYTES);
    return item;
  }
  if (lVersion > BigInt(Number.MAX_SAFE_INTEGER)) throw new CephError('EBADMSG', `${what}: need version ${lVersion} too large`);
  return { need: { epoch: lEpoch, version: Number(lVersion) }, have: decodeEVersion(d, what), isDelete: (d.u8(what) & 1) === 1, cleanRegions: FULLY_DIRTY_BYTES };
}

export function encodePgMissing(e: Encoder, m: PgMissing): void {
  e.startStruct(5, 2);
  const items = sortedMissing(m);
  e.u32(items.length);
  for (const { soid, item } of items) {
    encodeHObject(e, soid);
    encodePgMissingItem(e, item);
  }
  e.bool(m.mayIncludeDeletes);
  e.finishStruct();
}

export function decodePgMissing(d: Decoder, what = 'pg_missing_t'): PgMissing {
  const v = d.decodeStartLegacyCompatLen(5, 2, 2, what);
  const m: PgMissing = { items: new Map(), mayIncludeDeletes: false };
  const n = d.count(what, 30);
  for (let i = 0; i < n; i++) {
    const soid = decodeHObject(d, what);
    m.items.set(objectKey(soid), { soid, item: decodePgMissingItem(d, what) });
  }
  if (v >= 4) m.mayIncludeDeletes = d.bool(what);
  d.decodeFinish(what);
  return m;
}

// ---- pg_notify_t (v3, compat 2) and pg_query_t (v3, compat 3) -------------------------------------

export interface PgNotify {
  queryEpoch: number;
  epochSent: number;
  info: PgInfo;
  /** shard_id_t of the receiver and the sender (NO_SHARD, -1, for replicated pools). */
  to: number;
  from: number;
  pastIntervals: PastIntervals;
}

export function encodePgNotify(e: Encoder, n: PgNotify): void {
  e.startStruct(3, 2);
  e.u32(n.queryEpoch).u32(n.epochSent);
  encodePgInfo(e, n.info);
  encodeShardId(e, n.to);
  encodeShardId(e, n.from);
  encodePastIntervals(e, n.pastIntervals);
  e.finishStruct();
}

export function decodePgNotify(d: Decoder, what = 'pg_notify_t'): PgNotify {
  const v = d.decodeStart(3, what);
  const queryEpoch = d.u32(what);
  const epochSent = d.u32(what);
  const info = decodePgInfo(d);
  const to = decodeShardId(d, what);
  const from = decodeShardId(d, what);
  const pastIntervals = v >= 3 ? decodePastIntervals(d) : emptyPastIntervals();
  d.decodeFinish(what);
  return { queryEpoch, epochSent, info, to, from, pastIntervals };
}

export interface PgQuery {
  /** PgQueryType: INFO 0, LOG 1, MISSING 4, FULLLOG 5. */
  type: number;
  since: EVersion;
  history: PgHistory;
  epochSent: number;
  to: number;
  from: number;
}

export function encodePgQuery(e: Encoder, q: PgQuery): void {
  e.startStruct(3, 3);
  e.s32(q.type);
  encodeEVersion(e, q.since);
  encodePgHistory(e, q.history);
  e.u32(q.epochSent);
  encodeShardId(e, q.to);
  encodeShardId(e, q.from);
  e.finishStruct();
}

export function decodePgQuery(d: Decoder, what = 'pg_query_t'): PgQuery {
  d.decodeStart(3, what);
  const type = d.s32(what);
  const since = decodeEVersion(d, what);
  const history = decodePgHistory(d);
  const epochSent = d.u32(what);
  const to = decodeShardId(d, what);
  const from = decodeShardId(d, what);
  d.decodeFinish(what);
  return { type, since, history, epochSent, to, from };
}

// ---- pg_lease_t / pg_lease_ack_t (v1; ceph::signedspan kept in nanoseconds) -----------------------

export interface PgLease {
  readableUntil: number;
  readableUntilUb: number;
  interval: number;
}

export function encodePgLease(e: Encoder, l: PgLease): void {
  e.startStruct(1, 1);
  encodeTimespan(e, l.readableUntil);
  encodeTimespan(e, l.readableUntilUb);
  encodeTimespan(e, l.interval);
  e.finishStruct();
}

export function decodePgLease(d: Decoder, what = 'pg_lease_t'): PgLease {
  d.decodeStart(1, what);
  const readableUntil = decodeTimespan(d, what);
  const readableUntilUb = decodeTimespan(d, what);
  const interval = decodeTimespan(d, what);
  d.decodeFinish(what);
  return { readableUntil, readableUntilUb, interval };
}

export function encodePgLeaseAck(e: Encoder, readableUntilUb: number): void {
  e.startStruct(1, 1);
  encodeTimespan(e, readableUntilUb);
  e.finishStruct();
}

export function decodePgLeaseAck(d: Decoder, what = 'pg_lease_ack_t'): number {
  d.decodeStart(1, what);
  const ub = decodeTimespan(d, what);
  d.decodeFinish(what);
  return ub;
}

// ---- pg_state_string ------------------------------------------------------------------------------

/** The order Ceph's pg_state_string prints the bits in. */
const STATE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [PgState.STALE, 'stale'], [PgState.CREATING, 'creating'], [PgState.ACTIVE, 'active'],
  [PgState.ACTIVATING, 'activating'], [PgState.CLEAN, 'clean'], [PgState.RECOVERY_WAIT, 'recovery_wait'],
  [PgState.RECOVERY_TOOFULL, 'recovery_toofull'], [PgState.RECOVERING, 'recovering'],
  [PgState.FORCED_RECOVERY, 'forced_recovery'], [PgState.DOWN, 'down'], [PgState.RECOVERY_UNFOUND, 'recovery_unfound'],
  [PgState.BACKFILL_UNFOUND, 'backfill_unfound'], [PgState.UNDERSIZED, 'undersized'], [PgState.DEGRADED, 'degraded'],
  [PgState.REMAPPED, 'remapped'], [PgState.PREMERGE, 'premerge'], [PgState.SCRUBBING, 'scrubbing'],
  [PgState.DEEP_SCRUB, 'deep'], [PgState.INCONSISTENT, 'inconsistent'], [PgState.PEERING, 'peering'],
  [PgState.REPAIR, 'repair'], [PgState.BACKFILL_WAIT, 'backfill_wait'], [PgState.BACKFILLING, 'backfilling'],
  [PgState.FORCED_BACKFILL, 'forced_backfill'], [PgState.BACKFILL_TOOFULL, 'backfill_toofull'],
  [PgState.INCOMPLETE, 'incomplete'], [PgState.PEERED, 'peered'], [PgState.SNAPTRIM, 'snaptrim'],
  [PgState.SNAPTRIM_WAIT, 'snaptrim_wait'], [PgState.SNAPTRIM_ERROR, 'snaptrim_error'],
  [PgState.FAILED_REPAIR, 'failed_repair'], [PgState.LAGGY, 'laggy'], [PgState.WAIT, 'wait'],
];

function hasBit(state: number, bit: number): boolean {
  return Math.floor(state / bit) % 2 === 1;
}

/** "active+clean", "peering", ... exactly as Ceph's pg_state_string; "unknown" for 0. */
export function pgStateString(state: PgStateBits): string {
  const parts: string[] = [];
  for (const [bit, name] of STATE_NAMES) if (hasBit(state, bit)) parts.push(name);
  return parts.length ? parts.join('+') : 'unknown';
}

/** The bits of one state name or a '+'-joined list (Ceph's pg_string_state per part); undefined if unknown. */
export function pgStateFromString(s: string): PgStateBits | undefined {
  let bits = 0;
  for (const part of s.split('+')) {
    if (part === 'unknown') continue;
    const hit = STATE_NAMES.find(([, n]) => n === part);
    if (!hit) return undefined;
    if (!hasBit(bits, hit[0])) bits += hit[0];
  }
  return bits;
}
