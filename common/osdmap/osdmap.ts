// The OSDMap class: the data of types.ts plus the small queries Ceph's OSDMap.h defines inline
// (exists / isUp / isOut, weights, affinities, pool lookups), and constructors for empty records
// with Ceph's defaults. Placement lives in placement.ts, encoding in encoding.ts, incrementals in
// incremental.ts.

import { CrushWrapper } from '../../crush/index.js';
import { assert } from '../errors.js';
import {
  CEPH_OSD_DEFAULT_PRIMARY_AFFINITY,
  CEPH_OSD_DESTROYED,
  CEPH_OSD_EXISTS,
  CEPH_OSD_OUT,
  CEPH_OSD_UP,
  CRUSH_ITEM_NONE,
  PgMap,
  PoolType,
  POOL_FLAG_HASHPSPOOL,
  UTIME_ZERO,
  type EntityAddr,
  type EntityAddrVec,
  type OSDMapData,
  type OSDMapIncremental,
  type OsdInfo,
  type OsdXinfo,
  type PgId,
  type PgMergeMeta,
  type PgPool,
  type SnapIntervalSet,
  type UpmapItem,
  type UTime,
} from './types.js';

export const UUID_ZERO = '00000000-0000-0000-0000-000000000000';

/** Ceph's calc_bits_of(): the number of bits needed to hold t (0 for 0). */
export function calcBitsOf(t: number): number {
  let b = 0;
  let v = t >>> 0;
  while (v) {
    v >>>= 1;
    b++;
  }
  return b;
}

/** pg_pool_t::calc_pg_masks. */
export function calcPgMasks(p: PgPool): void {
  p.pgNumMask = (((1 << calcBitsOf(p.pgNum - 1)) >>> 0) - 1) >>> 0;
  p.pgpNumMask = (((1 << calcBitsOf(p.pgpNum - 1)) >>> 0) - 1) >>> 0;
}

export function emptyMergeMeta(): PgMergeMeta {
  return {
    sourcePgid: { pool: 0, seed: 0 },
    readyEpoch: 0,
    lastEpochStarted: 0,
    lastEpochClean: 0,
    sourceVersion: { epoch: 0, version: 0n },
    targetVersion: { epoch: 0, version: 0n },
  };
}

/** A pg_pool_t as Ceph's constructor leaves it. */
export function newPgPool(): PgPool {
  return {
    type: 0,
    size: 0,
    crushRule: 0,
    objectHash: 0,
    pgNum: 0,
    pgpNum: 0,
    lastChange: 0,
    snapSeq: 0n,
    snapEpoch: 0,
    snaps: new Map(),
    removedSnaps: [],
    auid: 0n,
    flags: 0,
    crashReplayInterval: 0,
    minSize: 0,
    quotaMaxBytes: 0n,
    quotaMaxObjects: 0n,
    tiers: [],
    tierOf: -1,
    cacheMode: 0,
    readTier: -1,
    writeTier: -1,
    properties: new Map(),
    hitSetParams: { type: 0, impl: Buffer.alloc(0) },
    hitSetPeriod: 0,
    hitSetCount: 0,
    stripeWidth: 0,
    targetMaxBytes: 0n,
    targetMaxObjects: 0n,
    cacheTargetDirtyRatioMicro: 0,
    cacheTargetFullRatioMicro: 0,
    cacheMinFlushAge: 0,
    cacheMinEvictAge: 0,
    erasureCodeProfile: '',
    lastForceOpResendPreluminous: 0,
    minReadRecencyForPromote: 0,
    expectedNumObjects: 0n,
    cacheTargetDirtyHighRatioMicro: 0,
    minWriteRecencyForPromote: 0,
    useGmtHitset: true,
    fastRead: false,
    hitSetGradeDecayRate: 0,
    hitSetSearchLastN: 0,
    opts: new Map(),
    lastForceOpResendPrenautilus: 0,
    applicationMetadata: new Map(),
    createTime: { ...UTIME_ZERO },
    pgNumTarget: 0,
    pgpNumTarget: 0,
    pgNumPending: 0,
    lastForceOpResend: 0,
    pgAutoscaleMode: 0xff,
    lastPgMergeMeta: emptyMergeMeta(),
    peeringCrushBucketCount: 0,
    peeringCrushBucketTarget: 0,
    peeringCrushBucketBarrier: 0,
    peeringCrushMandatoryMember: CRUSH_ITEM_NONE,
    pgNumMask: 0,
    pgpNumMask: 0,
  };
}

/** A pool of Ceph's constructor defaults with `fields` set over them, its pg_num masks computed. */
export function makePgPool(fields: Partial<PgPool>): PgPool {
  const p = newPgPool();
  Object.assign(p, fields);
  calcPgMasks(p);
  return p;
}

function copySnapSet(s: SnapIntervalSet): SnapIntervalSet {
  return s.map((r) => ({ start: r.start, len: r.len }));
}

/** A deep copy of a pool (Incremental::get_new_pool copies before changing). */
export function clonePgPool(p: PgPool): PgPool {
  return {
    ...p,
    snaps: new Map([...p.snaps].map(([k, v]) => [k, { snapid: v.snapid, stamp: { ...v.stamp }, name: v.name }])),
    removedSnaps: copySnapSet(p.removedSnaps),
    tiers: [...p.tiers],
    properties: new Map(p.properties),
    hitSetParams: { type: p.hitSetParams.type, impl: Buffer.from(p.hitSetParams.impl) },
    opts: new Map([...p.opts].map(([k, v]) => [k, { ...v }])),
    applicationMetadata: new Map([...p.applicationMetadata].map(([k, v]) => [k, new Map(v)])),
    createTime: { ...p.createTime },
    lastPgMergeMeta: {
      ...p.lastPgMergeMeta,
      sourcePgid: { ...p.lastPgMergeMeta.sourcePgid },
      sourceVersion: { ...p.lastPgMergeMeta.sourceVersion },
      targetVersion: { ...p.lastPgMergeMeta.targetVersion },
    },
  };
}

export function isErasurePool(p: PgPool): boolean {
  return p.type === PoolType.Erasure;
}

/** pg_pool_t::can_shift_osds: replicated pools close holes, erasure pools keep positions. */
export function canShiftOsds(p: PgPool): boolean {
  return p.type === PoolType.Replicated;
}

export function poolHasFlag(p: PgPool, flag: number): boolean {
  return (p.flags & flag) !== 0;
}

export function isHashpspool(p: PgPool): boolean {
  return (p.flags & POOL_FLAG_HASHPSPOOL) !== 0;
}

export function newOsdInfo(): OsdInfo {
  return { lastCleanBegin: 0, lastCleanEnd: 0, upFrom: 0, upThru: 0, downAt: 0, lostAt: 0 };
}

export function newOsdXinfo(): OsdXinfo {
  return {
    downStamp: { ...UTIME_ZERO },
    laggyProbability: 0,
    laggyInterval: 0,
    features: 0n,
    oldWeight: 0,
    lastPurgedSnapsScrub: { ...UTIME_ZERO },
    deadEpoch: 0,
  };
}

/**
 * pg_t's text form: pool in decimal, seed in hex ("1.2f"). pg_t holds its pool as a uint64, so a pool
 * parsed from "-1" prints as 18446744073709551615.
 */
export function pgidToString(pg: PgId): string {
  return pgText(pg.pool, pg.seed);
}

/** pgidToString of (pool, seed), without a PgId (osdmaptool's tester prints one per PG). */
export function pgText(pool: number, seed: number): string {
  if (pool < 0) return `${BigInt.asUintN(64, BigInt(pool))}.${(seed >>> 0).toString(16)}`;
  return `${pool}.${(seed >>> 0).toString(16)}`;
}

/** Ceph's pg_t::parse: "POOL.SEEDHEX" (sscanf "%llu.%x"); null when it does not parse. */
export function parsePgid(s: string): PgId | null {
  const m = /^(\d+)\.([0-9a-fA-F]+)/.exec(s);
  if (!m) return null;
  const pool = Number(m[1]);
  const seed = parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(pool) || seed > 0xffffffff) return null;
  return { pool, seed };
}

/** Compare two utimes (sec, then nsec). */
export function utimeCompare(a: UTime, b: UTime): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

export function utimeIsZero(t: UTime): boolean {
  return t.sec === 0 && t.nsec === 0;
}

/** A canonical key for an address (for Maps keyed by entity_addr_t). */
export function addrKey(a: EntityAddr): string {
  return `${a.type}/${a.nonce}/${a.family}/${a.sockaddr.toString('hex')}`;
}

export function cloneAddr(a: EntityAddr): EntityAddr {
  return { type: a.type, nonce: a.nonce, family: a.family, sockaddr: Buffer.from(a.sockaddr) };
}

export function cloneAddrVec(v: EntityAddrVec): EntityAddrVec {
  return v.map(cloneAddr);
}

// --- OSD state queries (OSDMap.h's inline methods), over the plain data so that every module --------
// --- placing, printing or checking maps asks them the same way; the class methods delegate here. -----

/** OSDMap::exists. */
export function osdExists(m: OSDMapData, osd: number): boolean {
  return osd >= 0 && osd < m.maxOsd && (m.osdState[osd]! & CEPH_OSD_EXISTS) !== 0;
}

/** OSDMap::is_up: exists and up. */
export function osdIsUp(m: OSDMapData, osd: number): boolean {
  return osd >= 0 && osd < m.maxOsd && (m.osdState[osd]! & (CEPH_OSD_EXISTS | CEPH_OSD_UP)) === (CEPH_OSD_EXISTS | CEPH_OSD_UP);
}

/** OSDMap::is_out: absent, or weight 0. */
export function osdIsOut(m: OSDMapData, osd: number): boolean {
  return !osdExists(m, osd) || m.osdWeight[osd] === CEPH_OSD_OUT;
}

/** OSDMap::is_destroyed. */
export function osdIsDestroyed(m: OSDMapData, osd: number): boolean {
  return osdExists(m, osd) && (m.osdState[osd]! & CEPH_OSD_DESTROYED) !== 0;
}

/** std::less of byte strings (one char per byte): what std::map<string, ...> orders by. */
export function compareByteStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** pg_t's operator<: pool, then seed. */
export function comparePgId(a: PgId, b: PgId): number {
  return a.pool !== b.pool ? a.pool - b.pool : a.seed - b.seed;
}

/** std::set<pg_t>::insert on a sorted array: keeps it sorted and unique. */
export function insertPgSorted(set: PgId[], pool: number, seed: number): void {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = set[mid]!;
    if (x.pool < pool || (x.pool === pool && x.seed < seed)) lo = mid + 1;
    else hi = mid;
  }
  const at = set[lo];
  if (at !== undefined && at.pool === pool && at.seed === seed) return;
  set.splice(lo, 0, { pool, seed });
}

/** The OSDMap of one epoch. */
export class OSDMap implements OSDMapData {
  fsid = UUID_ZERO;
  epoch = 0;
  created: UTime = { ...UTIME_ZERO };
  modified: UTime = { ...UTIME_ZERO };
  pools = new Map<number, PgPool>();
  poolName = new Map<number, string>();
  poolMax = 0;
  flags = 0;
  maxOsd = 0;
  osdState: number[] = [];
  osdWeight: number[] = [];
  clientAddrs: EntityAddrVec[] = [];
  clusterAddrs: EntityAddrVec[] = [];
  hbBackAddrs: EntityAddrVec[] = [];
  hbFrontAddrs: EntityAddrVec[] = [];
  pgTemp = new PgMap<number[]>();
  primaryTemp = new PgMap<number>();
  osdPrimaryAffinity: number[] | null = null;
  crush: CrushWrapper = new CrushWrapper();
  erasureCodeProfiles = new Map<string, Map<string, string>>();
  pgUpmap = new PgMap<number[]>();
  pgUpmapItems = new PgMap<UpmapItem[]>();
  crushVersion = 1;
  newRemovedSnaps = new Map<number, SnapIntervalSet>();
  newPurgedSnaps = new Map<number, SnapIntervalSet>();
  lastUpChange: UTime = { ...UTIME_ZERO };
  lastInChange: UTime = { ...UTIME_ZERO };
  osdInfo: OsdInfo[] = [];
  blocklist = new Map<string, { addr: EntityAddr; until: UTime }>();
  rangeBlocklist = new Map<string, { addr: EntityAddr; until: UTime }>();
  clusterSnapshotEpoch = 0;
  clusterSnapshot = '';
  osdUuid: string[] = [];
  osdXinfo: OsdXinfo[] = [];
  nearfullRatio = 0;
  fullRatio = 0;
  backfillfullRatio = 0;
  requireMinCompatClient = 0;
  requireOsdRelease = 0;
  removedSnapsQueue = new Map<number, SnapIntervalSet>();
  crushNodeFlags = new Map<number, number>();
  deviceClassFlags = new Map<number, number>();
  stretchModeEnabled = false;
  stretchBucketCount = 0;
  degradedStretchMode = 0;
  recoveringStretchMode = 0;
  stretchModeBucket = 0;

  /** OSDMap::set_max_osd: grow or shrink every per-OSD vector, new slots get Ceph's defaults. */
  setMaxOsd(m: number): void {
    assert(m >= 0 && Number.isInteger(m), `setMaxOsd(${m})`);
    const resize = <T>(a: T[], fill: () => T): void => {
      if (a.length > m) a.length = m;
      while (a.length < m) a.push(fill());
    };
    resize(this.osdState, () => 0);
    resize(this.osdWeight, () => CEPH_OSD_OUT);
    resize(this.osdInfo, newOsdInfo);
    resize(this.osdXinfo, newOsdXinfo);
    resize(this.clientAddrs, () => []);
    resize(this.clusterAddrs, () => []);
    resize(this.hbBackAddrs, () => []);
    resize(this.hbFrontAddrs, () => []);
    resize(this.osdUuid, () => UUID_ZERO);
    if (this.osdPrimaryAffinity) resize(this.osdPrimaryAffinity, () => CEPH_OSD_DEFAULT_PRIMARY_AFFINITY);
    this.maxOsd = m;
  }

  exists(osd: number): boolean {
    return osdExists(this, osd);
  }
  isUp(osd: number): boolean {
    return osdIsUp(this, osd);
  }
  isDown(osd: number): boolean {
    return !osdIsUp(this, osd);
  }
  isDestroyed(osd: number): boolean {
    return osdIsDestroyed(this, osd);
  }
  isOut(osd: number): boolean {
    return osdIsOut(this, osd);
  }
  isIn(osd: number): boolean {
    return !this.isOut(osd);
  }
  getState(osd: number): number {
    assert(osd >= 0 && osd < this.maxOsd, `getState(${osd}) past max_osd ${this.maxOsd}`);
    return this.osdState[osd]!;
  }
  setState(osd: number, s: number): void {
    assert(osd >= 0 && osd < this.maxOsd, `setState(${osd}) past max_osd ${this.maxOsd}`);
    this.osdState[osd] = s >>> 0;
  }
  getWeight(osd: number): number {
    assert(osd >= 0 && osd < this.maxOsd, `getWeight(${osd}) past max_osd ${this.maxOsd}`);
    return this.osdWeight[osd]!;
  }
  /** OSDMap::set_weight: a non-zero weight also marks the OSD as existing. */
  setWeight(osd: number, w: number): void {
    assert(osd >= 0 && osd < this.maxOsd, `setWeight(${osd}) past max_osd ${this.maxOsd}`);
    this.osdWeight[osd] = w >>> 0;
    if (w) this.osdState[osd] = (this.osdState[osd]! | CEPH_OSD_EXISTS) >>> 0;
  }
  getPrimaryAffinity(osd: number): number {
    assert(osd >= 0 && osd < this.maxOsd, `getPrimaryAffinity(${osd}) past max_osd ${this.maxOsd}`);
    return this.osdPrimaryAffinity ? this.osdPrimaryAffinity[osd]! : CEPH_OSD_DEFAULT_PRIMARY_AFFINITY;
  }
  setPrimaryAffinity(osd: number, w: number): void {
    assert(osd >= 0 && osd < this.maxOsd, `setPrimaryAffinity(${osd}) past max_osd ${this.maxOsd}`);
    if (!this.osdPrimaryAffinity) {
      this.osdPrimaryAffinity = new Array<number>(this.maxOsd).fill(CEPH_OSD_DEFAULT_PRIMARY_AFFINITY);
    }
    this.osdPrimaryAffinity[osd] = w >>> 0;
  }
  getPool(id: number): PgPool | undefined {
    return this.pools.get(id);
  }
  /**
   * OSDMap::lookup_pg_pool_name: the id of the pool with this name, or -ENOENT. Ceph keeps name_pool
   * as an index of pool_name; pools are few, so this walks pool_name (in id order, the last match
   * winning, as the index Ceph builds from it would hold).
   */
  lookupPoolName(name: string): number {
    let found = -2; // -ENOENT
    for (const id of [...this.poolName.keys()].sort((a, b) => a - b)) if (this.poolName.get(id) === name) found = id;
    return found;
  }
  getPoolName(id: number): string | undefined {
    return this.poolName.get(id);
  }
  /** get_num_osds / up / in, as calc_num_osds counts them. */
  countOsds(): { num: number; up: number; in: number } {
    let num = 0;
    let up = 0;
    let inn = 0;
    for (let i = 0; i < this.maxOsd; i++) {
      if (this.exists(i)) {
        num++;
        if (this.isUp(i)) up++;
        if (this.osdWeight[i] !== CEPH_OSD_OUT) inn++;
      }
    }
    return { num, up, in: inn };
  }
  /** pg_exists: the pool exists and the seed is below its pg_num. */
  pgExists(pg: PgId): boolean {
    const p = this.pools.get(pg.pool);
    return p !== undefined && pg.seed < p.pgNum;
  }
}

/** An empty incremental for `epoch`, with Ceph's "unchanged" markers. */
export function newIncremental(epoch = 0): OSDMapIncremental {
  return {
    fsid: UUID_ZERO,
    epoch,
    modified: { ...UTIME_ZERO },
    newPoolMax: -1,
    newFlags: -1,
    fullmap: null,
    crush: null,
    newMaxOsd: -1,
    newPools: new Map(),
    newPoolNames: new Map(),
    oldPools: [],
    newUpClient: new Map(),
    newUpCluster: new Map(),
    newHbBackUp: new Map(),
    newHbFrontUp: new Map(),
    newState: new Map(),
    newWeight: new Map(),
    newPgTemp: new PgMap(),
    newPrimaryTemp: new PgMap(),
    newPrimaryAffinity: new Map(),
    newUpThru: new Map(),
    newLastCleanInterval: new Map(),
    newLost: new Map(),
    newUuid: new Map(),
    newXinfo: new Map(),
    newBlocklist: new Map(),
    oldBlocklist: [],
    newRangeBlocklist: new Map(),
    oldRangeBlocklist: [],
    newPgUpmap: new PgMap(),
    oldPgUpmap: [],
    newPgUpmapItems: new PgMap(),
    oldPgUpmapItems: [],
    newRemovedSnaps: new Map(),
    newPurgedSnaps: new Map(),
    newErasureCodeProfiles: new Map(),
    oldErasureCodeProfiles: [],
    newCrushNodeFlags: new Map(),
    newDeviceClassFlags: new Map(),
    clusterSnapshot: '',
    newNearfullRatio: -1,
    newBackfillfullRatio: -1,
    newFullRatio: -1,
    newRequireMinCompatClient: 0xff,
    newRequireOsdRelease: 0xff,
    newLastUpChange: { ...UTIME_ZERO },
    newLastInChange: { ...UTIME_ZERO },
    changeStretchMode: false,
    stretchModeEnabled: false,
    newStretchBucketCount: 0,
    newDegradedStretchMode: 0,
    newRecoveringStretchMode: 0,
    newStretchModeBucket: 0,
    haveCrc: false,
    fullCrc: 0,
    incCrc: 0,
    encodeFeatures: 0n,
  };
}
