// The placement-group structs OSDs exchange while peering and recovering and report to the monitors,
// as Ceph 16 defines them in src/osd/osd_types.h (pg_history_t, pg_info_t, PastIntervals,
// pg_log_entry_t, pg_log_t, pg_missing_t, pg_stat_t, object_stat_sum_t, the PG state bits). Field
// names are Ceph's in camelCase; each struct has one encode/decode in Ceph's versioned encoding so a
// message carrying it is byte-compatible with a Ceph OSD's.
//
// CONTRACT (written by the lead before the OSD work was split): the interfaces and constants below are
// shared by the peering core (osd/core), the OSD shell (osd/), the PG messages (msg/messages/pg.ts) and
// the monitors' PG statistics. Add fields Ceph has; do not rename or remove.

import type { PgId, UTime } from '../../common/osdmap/index.js';
import type { EVersion, HObject, OsdReqId, PgShard, SpgId } from './osdop.js';

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
  objectsScrubbed: number;
  scrubDuration: number;
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

function zeroEv(): EVersion {
  return { epoch: 0, version: 0 };
}

/** hobject_t::get_max(): sorts after every object (a complete last_backfill). */
export function maxHObject(): HObject {
  return { oid: '', key: '', nspace: '', hash: 0, pool: -(2 ** 63), snap: 0n, max: true };
}

export function emptyPgHistory(): PgHistory {
  return {
    epochCreated: 0, epochPoolCreated: 0, lastEpochStarted: 0, lastIntervalStarted: 0, lastEpochClean: 0,
    lastIntervalClean: 0, lastEpochSplit: 0, lastEpochMarkedFull: 0, sameUpSince: 0, sameIntervalSince: 0,
    samePrimarySince: 0, lastScrub: zeroEv(), lastDeepScrub: zeroEv(), lastScrubStamp: zeroTime(),
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
    version: zeroEv(), reportedSeq: 0, reportedEpoch: 0, state: 0, lastFresh: zeroTime(), lastChange: zeroTime(),
    lastActive: zeroTime(), lastPeered: zeroTime(), lastClean: zeroTime(), lastUnstale: zeroTime(),
    lastUndegraded: zeroTime(), lastFullsized: zeroTime(), logStart: zeroEv(), ondiskLogStart: zeroEv(),
    created: 0, lastEpochClean: 0, parent: { pool: 0, seed: 0 }, parentSplitBits: 0, lastScrub: zeroEv(),
    lastDeepScrub: zeroEv(), lastScrubStamp: zeroTime(), lastDeepScrubStamp: zeroTime(),
    lastCleanScrubStamp: zeroTime(), statsSum: emptyObjectStatSum(), logSize: 0, ondiskLogSize: 0, up: [],
    acting: [], upPrimary: -1, actingPrimary: -1, mappingEpoch: 0, lastBecameActive: zeroTime(),
    lastBecamePeered: zeroTime(), snaptrimqLen: 0, statsInvalid: false, dirtyStatsInvalid: false,
    omapStatsInvalid: false, hitsetStatsInvalid: false, hitsetBytesStatsInvalid: false, pinStatsInvalid: false,
    manifestStatsInvalid: false, purgedSnaps: [], blockedBy: [], objectsScrubbed: 0, scrubDuration: 0,
  };
}

/** pg_info_t(spg): nothing written yet, last_backfill = max (a complete PG). */
export function emptyPgInfo(pgid: SpgId): PgInfo {
  return {
    pgid: { pgid: { pool: pgid.pgid.pool, seed: pgid.pgid.seed }, shard: pgid.shard },
    lastUpdate: zeroEv(), lastComplete: zeroEv(), logTail: zeroEv(), lastBackfill: maxHObject(),
    stats: emptyPgStat(), history: emptyPgHistory(), purgedSnaps: [], lastUserVersion: 0, lastEpochStarted: 0,
    lastIntervalStarted: 0,
  };
}

export function emptyPastIntervals(): PastIntervals {
  return { first: 0, last: 0, allParticipants: [], intervals: [] };
}

export function emptyPgLog(): PgLog {
  return { head: zeroEv(), tail: zeroEv(), canRollbackTo: zeroEv(), rollbackInfoTrimmedTo: zeroEv(), log: [], dups: [] };
}

/** pg_missing_t() as a Pacific OSD creates it (may_include_deletes set: every peer supports deletes). */
export function emptyPgMissing(): PgMissing {
  return { items: new Map(), mayIncludeDeletes: true };
}
