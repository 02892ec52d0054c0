// The OSDMap data model, shared by monitors, OSDs, clients and tools: Ceph's OSDMap, pg_pool_t, pg_t,
// osd_info_t, osd_xinfo_t, entity_addr_t and the OSDMap::Incremental (src/osd/OSDMap.h,
// src/osd/osd_types.h, src/msg/msg_types.h in Ceph 16.2 "Pacific").
//
// Conventions:
//  - Field names are Ceph's, in camelCase (pg_num -> pgNum, up_thru -> upThru).
//  - u32/s32/epoch values are Numbers. 64-bit values that can exceed 2^53 (snap ids, quotas, feature
//    bits, auid) are bigints; pool ids and pool flags are Numbers (Ceph's pool ids and flag bits are
//    small; a decoder refuses values a Number cannot hold exactly).
//  - Maps that go on the wire are JS Maps; encoders sort their keys as Ceph's std::map iterates
//    (numbers ascending, strings by bytes, pg_t by pool then seed), so insertion order never matters.
//  - Weights and primary affinities are 16.16 fixed point u32 (0x10000 = 1.0, "in" / default).

import type { CrushWrapper } from '../../crush/index.js';

// --- osd state bits (include/rados.h) ------------------------------------------------------------
export const CEPH_OSD_EXISTS = 1 << 0;
export const CEPH_OSD_UP = 1 << 1;
export const CEPH_OSD_AUTOOUT = 1 << 2; // osd was automatically marked out
export const CEPH_OSD_NEW = 1 << 3; // osd is new, never marked in
export const CEPH_OSD_FULL = 1 << 4;
export const CEPH_OSD_NEARFULL = 1 << 5;
export const CEPH_OSD_BACKFILLFULL = 1 << 6;
export const CEPH_OSD_DESTROYED = 1 << 7;
export const CEPH_OSD_NOUP = 1 << 8;
export const CEPH_OSD_NODOWN = 1 << 9;
export const CEPH_OSD_NOIN = 1 << 10;
export const CEPH_OSD_NOOUT = 1 << 11;
export const CEPH_OSD_STOP = 1 << 12;

export const CEPH_OSD_IN = 0x10000;
export const CEPH_OSD_OUT = 0;
export const CEPH_OSD_MAX_PRIMARY_AFFINITY = 0x10000;
export const CEPH_OSD_DEFAULT_PRIMARY_AFFINITY = 0x10000;

/** The "no OSD here" marker in up/acting sets of erasure pools (CRUSH_ITEM_NONE). */
export const CRUSH_ITEM_NONE = 0x7fffffff;

// --- osdmap flags (include/rados.h) --------------------------------------------------------------
export const CEPH_OSDMAP_NEARFULL = 1 << 0;
export const CEPH_OSDMAP_FULL = 1 << 1;
export const CEPH_OSDMAP_PAUSERD = 1 << 2;
export const CEPH_OSDMAP_PAUSEWR = 1 << 3;
export const CEPH_OSDMAP_PAUSEREC = 1 << 4;
export const CEPH_OSDMAP_NOUP = 1 << 5;
export const CEPH_OSDMAP_NODOWN = 1 << 6;
export const CEPH_OSDMAP_NOOUT = 1 << 7;
export const CEPH_OSDMAP_NOIN = 1 << 8;
export const CEPH_OSDMAP_NOBACKFILL = 1 << 9;
export const CEPH_OSDMAP_NORECOVER = 1 << 10;
export const CEPH_OSDMAP_NOSCRUB = 1 << 11;
export const CEPH_OSDMAP_NODEEP_SCRUB = 1 << 12;
export const CEPH_OSDMAP_NOTIERAGENT = 1 << 13;
export const CEPH_OSDMAP_NOREBALANCE = 1 << 14;
export const CEPH_OSDMAP_SORTBITWISE = 1 << 15;
export const CEPH_OSDMAP_REQUIRE_JEWEL = 1 << 16;
export const CEPH_OSDMAP_REQUIRE_KRAKEN = 1 << 17;
export const CEPH_OSDMAP_REQUIRE_LUMINOUS = 1 << 18;
export const CEPH_OSDMAP_RECOVERY_DELETES = 1 << 19;
export const CEPH_OSDMAP_PURGED_SNAPDIRS = 1 << 20;
export const CEPH_OSDMAP_NOSNAPTRIM = 1 << 21;
export const CEPH_OSDMAP_PGLOG_HARDLIMIT = 1 << 22;

// --- pools (osd_types.h pg_pool_t) ---------------------------------------------------------------
export const enum PoolType {
  Replicated = 1,
  Erasure = 3,
}

/** Object name hashes (include/ceph_hash.h). */
export const CEPH_STR_HASH_LINUX = 0x1;
export const CEPH_STR_HASH_RJENKINS = 0x2;

export const POOL_FLAG_HASHPSPOOL = 1 << 0;
export const POOL_FLAG_FULL = 1 << 1;
export const POOL_FLAG_EC_OVERWRITES = 1 << 2;
export const POOL_FLAG_INCOMPLETE_CLONES = 1 << 3;
export const POOL_FLAG_NODELETE = 1 << 4;
export const POOL_FLAG_NOPGCHANGE = 1 << 5;
export const POOL_FLAG_NOSIZECHANGE = 1 << 6;
export const POOL_FLAG_WRITE_FADVISE_DONTNEED = 1 << 7;
export const POOL_FLAG_NOSCRUB = 1 << 8;
export const POOL_FLAG_NODEEP_SCRUB = 1 << 9;
export const POOL_FLAG_FULL_QUOTA = 1 << 10;
export const POOL_FLAG_NEARFULL = 1 << 11;
export const POOL_FLAG_BACKFILLFULL = 1 << 12;
export const POOL_FLAG_SELFMANAGED_SNAPS = 1 << 13;
export const POOL_FLAG_POOL_SNAPS = 1 << 14;
export const POOL_FLAG_CREATING = 1 << 15;
export const POOL_FLAG_EIO = 1 << 16;

/** utime_t: seconds and nanoseconds, each u32 on the wire. */
export interface UTime {
  sec: number;
  nsec: number;
}
export const UTIME_ZERO: Readonly<UTime> = Object.freeze({ sec: 0, nsec: 0 });

/** pg_t: a pool and a placement seed (ps). Ceph's in-memory `preferred` is always -1 now. */
export interface PgId {
  pool: number;
  seed: number; // u32
}

/** pool_snap_info_t. */
export interface PoolSnapInfo {
  snapid: bigint;
  stamp: UTime;
  name: string;
}

/** An interval_set<snapid_t>: sorted, disjoint [start, start+len) runs, as on the wire. */
export type SnapIntervalSet = Array<{ start: bigint; len: bigint }>;

/** HitSet::Params: a type byte and, for bloom, its parameters kept as the encoded body. */
export interface HitSetParams {
  type: number; // 0 none, 1 explicit_hash, 2 explicit_object, 3 bloom
  /** The encoded parameters after the type byte (empty for types without parameters). */
  impl: Buffer;
}

/** A pool_opts_t value: Ceph stores int, double or string per option key (an enum number). */
export type PoolOptValue = { type: 'int'; value: number } | { type: 'double'; value: number } | { type: 'str'; value: string };

/** pg_merge_meta_t. */
export interface PgMergeMeta {
  sourcePgid: PgId;
  readyEpoch: number;
  lastEpochStarted: number;
  lastEpochClean: number;
  sourceVersion: { epoch: number; version: bigint };
  targetVersion: { epoch: number; version: bigint };
}

/** pg_pool_t, as Pacific encodes it (struct v29, or v31/32 for stretch pools). */
export interface PgPool {
  type: number; // PoolType
  size: number; // u8
  crushRule: number; // u8 (s8 semantics are not used)
  objectHash: number; // u8, CEPH_STR_HASH_*
  pgNum: number; // u32
  pgpNum: number; // u32
  lastChange: number; // epoch
  snapSeq: bigint;
  snapEpoch: number;
  snaps: Map<bigint, PoolSnapInfo>;
  removedSnaps: SnapIntervalSet;
  auid: bigint;
  flags: number; // u64 on the wire
  crashReplayInterval: number; // u32, always 0 since luminous
  minSize: number; // u8
  quotaMaxBytes: bigint;
  quotaMaxObjects: bigint;
  tiers: bigint[]; // set<u64>
  tierOf: number; // s64, -1 none
  cacheMode: number; // u8
  readTier: number; // s64
  writeTier: number; // s64
  properties: Map<string, string>;
  hitSetParams: HitSetParams;
  hitSetPeriod: number;
  hitSetCount: number;
  stripeWidth: number;
  targetMaxBytes: bigint;
  targetMaxObjects: bigint;
  cacheTargetDirtyRatioMicro: number;
  cacheTargetFullRatioMicro: number;
  cacheMinFlushAge: number;
  cacheMinEvictAge: number;
  erasureCodeProfile: string;
  lastForceOpResendPreluminous: number;
  minReadRecencyForPromote: number; // s32
  expectedNumObjects: bigint;
  cacheTargetDirtyHighRatioMicro: number;
  minWriteRecencyForPromote: number; // s32
  useGmtHitset: boolean;
  fastRead: boolean;
  hitSetGradeDecayRate: number;
  hitSetSearchLastN: number;
  opts: Map<number, PoolOptValue>;
  lastForceOpResendPrenautilus: number;
  applicationMetadata: Map<string, Map<string, string>>;
  createTime: UTime;
  pgNumTarget: number;
  pgpNumTarget: number;
  pgNumPending: number;
  lastForceOpResend: number;
  pgAutoscaleMode: number; // u8: 0 off, 1 warn, 2 on
  lastPgMergeMeta: PgMergeMeta;
  peeringCrushBucketCount: number;
  peeringCrushBucketTarget: number;
  peeringCrushBucketBarrier: number;
  peeringCrushMandatoryMember: number; // s32, CRUSH_ITEM_NONE when unset
  /**
   * Derived, not encoded: pg_num - 1 rounded up to a power of two minus one (Ceph's pg_num_mask),
   * and the same for pgp_num. Kept in sync by setPgNum / calcPgMasks.
   */
  pgNumMask: number;
  pgpNumMask: number;
}

// --- addresses (msg/msg_types.h) -----------------------------------------------------------------
export const ENTITY_ADDR_TYPE_NONE = 0;
export const ENTITY_ADDR_TYPE_LEGACY = 1;
export const ENTITY_ADDR_TYPE_MSGR2 = 2;
export const ENTITY_ADDR_TYPE_ANY = 3;
export const AF_INET = 2;
export const AF_INET6 = 10;

/**
 * entity_addr_t. `sockaddr` holds the sockaddr bytes that follow the family, exactly as on the wire
 * (port and address in network byte order): 2 + 4 bytes for AF_INET (plus padding as encoded),
 * 2 + 4 + 16 + 4 for AF_INET6, nothing for an unset address (family 0).
 */
export interface EntityAddr {
  type: number;
  nonce: number;
  family: number;
  sockaddr: Buffer;
}

/** entity_addrvec_t. */
export type EntityAddrVec = EntityAddr[];

// --- per-OSD records -----------------------------------------------------------------------------
/** osd_info_t. */
export interface OsdInfo {
  lastCleanBegin: number;
  lastCleanEnd: number;
  upFrom: number;
  upThru: number;
  downAt: number;
  lostAt: number;
}

/** osd_xinfo_t. */
export interface OsdXinfo {
  downStamp: UTime;
  /**
   * A float in [0, 1] as Ceph holds it in memory (Math.fround precision); on the wire it is a u32
   * fixed point, 0 = definitely not laggy, 0xffffffff = definitely laggy.
   */
  laggyProbability: number;
  laggyInterval: number;
  features: bigint;
  oldWeight: number;
  lastPurgedSnapsScrub: UTime;
  deadEpoch: number;
}

// --- pg-keyed maps ---------------------------------------------------------------------------------
/**
 * A map keyed by pg_t. Lookups are two Map probes (pool, then seed) and allocate nothing;
 * `sortedEntries` gives Ceph's std::map<pg_t, ...> order (pool, then seed) for encoders and dumps.
 */
export class PgMap<V> {
  private readonly pools = new Map<number, Map<number, V>>();
  private count = 0;

  get size(): number {
    return this.count;
  }
  get(pool: number, seed: number): V | undefined {
    const m = this.pools.get(pool);
    return m === undefined ? undefined : m.get(seed);
  }
  has(pool: number, seed: number): boolean {
    const m = this.pools.get(pool);
    return m !== undefined && m.has(seed);
  }
  set(pool: number, seed: number, v: V): this {
    let m = this.pools.get(pool);
    if (m === undefined) {
      m = new Map();
      this.pools.set(pool, m);
    }
    if (!m.has(seed)) this.count++;
    m.set(seed, v);
    return this;
  }
  delete(pool: number, seed: number): boolean {
    const m = this.pools.get(pool);
    if (m === undefined || !m.delete(seed)) return false;
    this.count--;
    if (m.size === 0) this.pools.delete(pool);
    return true;
  }
  /** Drop every entry of one pool. */
  deletePool(pool: number): void {
    const m = this.pools.get(pool);
    if (m === undefined) return;
    this.count -= m.size;
    this.pools.delete(pool);
  }
  clear(): void {
    this.pools.clear();
    this.count = 0;
  }
  /** Entries in pg_t order (pool ascending, then seed ascending). */
  sortedEntries(): Array<[PgId, V]> {
    const out: Array<[PgId, V]> = [];
    for (const pool of [...this.pools.keys()].sort((a, b) => a - b)) {
      const m = this.pools.get(pool)!;
      for (const seed of [...m.keys()].sort((a, b) => a - b)) out.push([{ pool, seed }, m.get(seed)!]);
    }
    return out;
  }
  clone(copy: (v: V) => V = (v) => v): PgMap<V> {
    const out = new PgMap<V>();
    for (const [pg, v] of this.sortedEntries()) out.set(pg.pool, pg.seed, copy(v));
    return out;
  }
}

/** An (from, to) OSD substitution of pg_upmap_items. */
export type UpmapItem = [from: number, to: number];

/** Ceph releases as ceph_release_t numbers (common/ceph_releases.h), as far as Pacific knows them. */
export const CephRelease = {
  unknown: 0,
  argonaut: 1,
  bobtail: 2,
  cuttlefish: 3,
  dumpling: 4,
  emperor: 5,
  firefly: 6,
  giant: 7,
  hammer: 8,
  infernalis: 9,
  jewel: 10,
  kraken: 11,
  luminous: 12,
  mimic: 13,
  nautilus: 14,
  octopus: 15,
  pacific: 16,
} as const;

// --- the map -------------------------------------------------------------------------------------
/**
 * Ceph's OSDMap: the full state of one epoch. Per-OSD arrays all have length maxOsd. The placement
 * functions (placement.ts) read it; incremental.ts advances it; encoding.ts reads and writes it.
 */
export interface OSDMapData {
  fsid: string; // uuid text, lower-case
  epoch: number;
  created: UTime;
  modified: UTime;
  pools: Map<number, PgPool>;
  poolName: Map<number, string>;
  poolMax: number; // s32
  flags: number; // u32
  maxOsd: number;
  osdState: number[]; // u32 per OSD
  osdWeight: number[]; // u32 16.16 per OSD (0x10000 in, 0 out)
  clientAddrs: EntityAddrVec[];
  clusterAddrs: EntityAddrVec[];
  hbBackAddrs: EntityAddrVec[];
  hbFrontAddrs: EntityAddrVec[];
  pgTemp: PgMap<number[]>;
  primaryTemp: PgMap<number>;
  /** null when the map carries no primary affinity vector (all default). */
  osdPrimaryAffinity: number[] | null;
  crush: CrushWrapper;
  erasureCodeProfiles: Map<string, Map<string, string>>;
  pgUpmap: PgMap<number[]>;
  pgUpmapItems: PgMap<UpmapItem[]>;
  crushVersion: number;
  newRemovedSnaps: Map<number, SnapIntervalSet>;
  newPurgedSnaps: Map<number, SnapIntervalSet>;
  lastUpChange: UTime;
  lastInChange: UTime;
  osdInfo: OsdInfo[];
  /** Keyed by the address's canonical text (see addrKey); the value keeps the address itself. */
  blocklist: Map<string, { addr: EntityAddr; until: UTime }>;
  rangeBlocklist: Map<string, { addr: EntityAddr; until: UTime }>;
  clusterSnapshotEpoch: number;
  clusterSnapshot: string;
  osdUuid: string[]; // uuid text per OSD
  osdXinfo: OsdXinfo[];
  nearfullRatio: number; // f32
  fullRatio: number; // f32
  backfillfullRatio: number; // f32
  requireMinCompatClient: number; // ceph_release_t (u8)
  requireOsdRelease: number; // ceph_release_t (u8)
  removedSnapsQueue: Map<number, SnapIntervalSet>;
  crushNodeFlags: Map<number, number>;
  deviceClassFlags: Map<number, number>;
  stretchModeEnabled: boolean;
  stretchBucketCount: number;
  degradedStretchMode: number;
  recoveringStretchMode: number;
  stretchModeBucket: number; // s32
}

/** OSDMap::Incremental: the change from epoch-1 to epoch. */
export interface OSDMapIncremental {
  fsid: string;
  epoch: number;
  modified: UTime;
  newPoolMax: number; // -1: unchanged
  newFlags: number; // -1: unchanged
  /** A whole encoded map in lieu of the changes below (rare), or null. */
  fullmap: Buffer | null;
  /** A new encoded CRUSH map, or null. */
  crush: Buffer | null;
  newMaxOsd: number; // -1: unchanged
  newPools: Map<number, PgPool>;
  newPoolNames: Map<number, string>;
  oldPools: number[];
  newUpClient: Map<number, EntityAddrVec>;
  newUpCluster: Map<number, EntityAddrVec>;
  newHbBackUp: Map<number, EntityAddrVec>;
  newHbFrontUp: Map<number, EntityAddrVec>;
  /** XORed onto the previous state (0 in the encoding means CEPH_OSD_UP for old encodings). */
  newState: Map<number, number>;
  newWeight: Map<number, number>;
  newPgTemp: PgMap<number[]>; // [] removes
  newPrimaryTemp: PgMap<number>; // -1 removes
  newPrimaryAffinity: Map<number, number>;
  newUpThru: Map<number, number>;
  newLastCleanInterval: Map<number, [number, number]>;
  newLost: Map<number, number>;
  newUuid: Map<number, string>;
  newXinfo: Map<number, OsdXinfo>;
  newBlocklist: Map<string, { addr: EntityAddr; until: UTime }>;
  oldBlocklist: EntityAddr[];
  newRangeBlocklist: Map<string, { addr: EntityAddr; until: UTime }>;
  oldRangeBlocklist: EntityAddr[];
  newPgUpmap: PgMap<number[]>;
  oldPgUpmap: PgId[];
  newPgUpmapItems: PgMap<UpmapItem[]>;
  oldPgUpmapItems: PgId[];
  newRemovedSnaps: Map<number, SnapIntervalSet>;
  newPurgedSnaps: Map<number, SnapIntervalSet>;
  newErasureCodeProfiles: Map<string, Map<string, string>>;
  oldErasureCodeProfiles: string[];
  newCrushNodeFlags: Map<number, number>;
  newDeviceClassFlags: Map<number, number>;
  clusterSnapshot: string;
  newNearfullRatio: number; // -1: unchanged
  newBackfillfullRatio: number;
  newFullRatio: number;
  newRequireMinCompatClient: number; // 0xff: unchanged
  newRequireOsdRelease: number; // 0xff: unchanged
  newLastUpChange: UTime;
  newLastInChange: UTime;
  changeStretchMode: boolean;
  stretchModeEnabled: boolean;
  newStretchBucketCount: number;
  newDegradedStretchMode: number;
  newRecoveringStretchMode: number;
  newStretchModeBucket: number;
  /** The crc fields: haveCrc says whether fullCrc (crc of the resulting map) is meaningful. */
  haveCrc: boolean;
  fullCrc: number;
  incCrc: number;
  /** Feature bits the incremental was encoded with (the next full map should use the same). */
  encodeFeatures: bigint;
}
