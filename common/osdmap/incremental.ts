// OSDMap::apply_incremental as Ceph 16.2 does it: advance a map by one epoch. Monitors publish every
// change as an incremental; OSDs and clients apply them in order and, to check they agree with the
// monitors, compare the crc of the map they built with the incremental's full_crc (see
// applyIncrementalChecked).
//
// The order of the steps matters and is Ceph's: flags, max_osd, pools, snaps, names, weights,
// affinity, erasure code profiles, up/down state (XOR), new up addresses, info, xinfo, uuids,
// pg_temp / primary_temp / upmaps, blocklists, node and class flags, cluster snapshot, ratios,
// releases, and the CRUSH map last. Pure: no I/O, no clock.

import { CrushWrapper, decodeCrushMap } from '../../crush/index.js';
import { CephError } from '../errors.js';
import { decodeOSDMap, encodeOSDMap, osdmapCrc } from './encoding.js';
import { addrKey, cloneAddrVec, clonePgPool, newOsdInfo, newOsdXinfo, UUID_ZERO, type OSDMap } from './osdmap.js';
import {
  CephRelease,
  CEPH_OSD_AUTOOUT,
  CEPH_OSD_DEFAULT_PRIMARY_AFFINITY,
  CEPH_OSD_EXISTS,
  CEPH_OSD_NEW,
  CEPH_OSD_STOP,
  CEPH_OSD_UP,
  CEPH_OSDMAP_PGLOG_HARDLIMIT,
  CEPH_OSDMAP_RECOVERY_DELETES,
  CEPH_OSDMAP_REQUIRE_JEWEL,
  CEPH_OSDMAP_REQUIRE_KRAKEN,
  CEPH_OSDMAP_REQUIRE_LUMINOUS,
  type OSDMapIncremental,
  type SnapIntervalSet,
} from './types.js';

const CEPH_OSDMAP_LEGACY_REQUIRE_FLAGS = CEPH_OSDMAP_REQUIRE_JEWEL | CEPH_OSDMAP_REQUIRE_KRAKEN | CEPH_OSDMAP_REQUIRE_LUMINOUS;

// ---------------------------------------------------------------------------------------------------
// interval_set<snapid_t>

/** interval_set::union_of: the runs of both, merged where they touch or overlap. */
export function snapSetUnion(a: SnapIntervalSet, b: SnapIntervalSet): SnapIntervalSet {
  const runs = [...a, ...b].map((r) => ({ start: r.start, end: r.start + r.len }));
  runs.sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const out: SnapIntervalSet = [];
  let cur: { start: bigint; end: bigint } | null = null;
  for (const r of runs) {
    if (r.end <= r.start) continue;
    if (cur && r.start <= cur.end) {
      if (r.end > cur.end) cur.end = r.end;
    } else {
      if (cur) out.push({ start: cur.start, len: cur.end - cur.start });
      cur = { start: r.start, end: r.end };
    }
  }
  if (cur) out.push({ start: cur.start, len: cur.end - cur.start });
  return out;
}

/** interval_set::subtract: `a` without the runs of `b` (Ceph asserts `b` is inside `a`). */
export function snapSetSubtract(a: SnapIntervalSet, b: SnapIntervalSet): SnapIntervalSet {
  let runs = a.map((r) => ({ start: r.start, end: r.start + r.len }));
  for (const s of b) {
    const sEnd = s.start + s.len;
    const next: Array<{ start: bigint; end: bigint }> = [];
    for (const r of runs) {
      if (sEnd <= r.start || s.start >= r.end) {
        next.push(r);
        continue;
      }
      if (s.start > r.start) next.push({ start: r.start, end: s.start });
      if (sEnd < r.end) next.push({ start: sEnd, end: r.end });
    }
    runs = next;
  }
  return runs.map((r) => ({ start: r.start, len: r.end - r.start }));
}

function cloneSnapSet(s: SnapIntervalSet): SnapIntervalSet {
  return s.map((r) => ({ start: r.start, len: r.len }));
}

// ---------------------------------------------------------------------------------------------------

function checkOsd(m: OSDMap, osd: number, what: string, epoch: number): void {
  if (!Number.isInteger(osd) || osd < 0 || osd >= m.maxOsd) {
    throw new CephError('EINVAL', `osdmap incremental epoch ${epoch}: ${what} names osd.${osd} past max_osd ${m.maxOsd}`);
  }
}

/**
 * OSDMap::apply_incremental: change `m` in place from epoch N-1 to N. Returns 0, or -EINVAL (Ceph's
 * result) when the incremental belongs to another cluster. An incremental for the wrong epoch, or one
 * that names OSDs past max_osd, is refused with a CephError (Ceph would assert or write out of bounds)
 * and leaves `m` unchanged for the epoch check, possibly half-applied for the others: callers that
 * must not see a half-applied map apply to a copy (applyIncrementalChecked does).
 */
export function applyIncremental(m: OSDMap, inc: OSDMapIncremental): number {
  if (inc.epoch === 1) m.fsid = inc.fsid;
  else if (inc.fsid !== m.fsid) return -22;
  if (inc.epoch !== m.epoch + 1) {
    throw new CephError('EINVAL', `osdmap incremental for epoch ${inc.epoch} cannot follow epoch ${m.epoch}`);
  }
  m.epoch++;
  m.modified = { ...inc.modified };

  if (inc.fullmap) {
    const full = decodeOSDMap(inc.fullmap);
    Object.assign(m, full);
    return 0;
  }

  const epoch = m.epoch;
  if (inc.newFlags >= 0) {
    m.flags = inc.newFlags >>> 0;
    if (m.flags & CEPH_OSDMAP_REQUIRE_KRAKEN) {
      if (m.requireOsdRelease < CephRelease.kraken) m.requireOsdRelease = CephRelease.kraken;
    } else if (m.flags & CEPH_OSDMAP_REQUIRE_JEWEL) {
      if (m.requireOsdRelease < CephRelease.jewel) m.requireOsdRelease = CephRelease.jewel;
    }
  }

  if (inc.newMaxOsd >= 0) m.setMaxOsd(inc.newMaxOsd);
  if (inc.newPoolMax !== -1) m.poolMax = inc.newPoolMax | 0;

  for (const [id, pool] of inc.newPools) {
    const p = clonePgPool(pool);
    p.lastChange = epoch;
    m.pools.set(id, p);
  }

  m.newRemovedSnaps = new Map([...inc.newRemovedSnaps].map(([k, v]) => [k, cloneSnapSet(v)]));
  m.newPurgedSnaps = new Map([...inc.newPurgedSnaps].map(([k, v]) => [k, cloneSnapSet(v)]));
  for (const [pool, s] of m.newRemovedSnaps) {
    m.removedSnapsQueue.set(pool, snapSetUnion(m.removedSnapsQueue.get(pool) ?? [], s));
  }
  for (const [pool, s] of m.newPurgedSnaps) {
    const q = m.removedSnapsQueue.get(pool);
    if (!q) {
      throw new CephError('EINVAL', `osdmap incremental epoch ${epoch}: purged snaps for pool ${pool}, which has none queued`);
    }
    const left = snapSetSubtract(q, s);
    if (left.length) m.removedSnapsQueue.set(pool, left);
    else m.removedSnapsQueue.delete(pool);
  }

  if (inc.newLastUpChange.sec !== 0 || inc.newLastUpChange.nsec !== 0) m.lastUpChange = { ...inc.newLastUpChange };
  if (inc.newLastInChange.sec !== 0 || inc.newLastInChange.nsec !== 0) m.lastInChange = { ...inc.newLastInChange };

  for (const [id, name] of inc.newPoolNames) m.poolName.set(id, name);
  for (const id of inc.oldPools) {
    m.pools.delete(id);
    m.poolName.delete(id);
  }

  for (const [osd, w] of inc.newWeight) {
    checkOsd(m, osd, 'new_weight', epoch);
    m.setWeight(osd, w);
    if (w) {
      m.osdState[osd] = (m.osdState[osd]! & ~(CEPH_OSD_AUTOOUT | CEPH_OSD_NEW)) >>> 0;
      m.osdXinfo[osd]!.oldWeight = 0;
    }
  }

  for (const [osd, a] of inc.newPrimaryAffinity) {
    checkOsd(m, osd, 'new_primary_affinity', epoch);
    m.setPrimaryAffinity(osd, a);
  }

  for (const name of inc.oldErasureCodeProfiles) m.erasureCodeProfiles.delete(name);
  for (const [name, profile] of inc.newErasureCodeProfiles) m.erasureCodeProfiles.set(name, new Map(profile));

  // up/down: XOR the state bits; an EXISTS bit in the change on an existing OSD destroys it.
  for (const [osd, change] of inc.newState) {
    checkOsd(m, osd, 'new_state', epoch);
    const s = change ? change : CEPH_OSD_UP;
    const cur = m.osdState[osd]!;
    if (cur & CEPH_OSD_UP && s & CEPH_OSD_UP) {
      m.osdInfo[osd]!.downAt = epoch;
      m.osdXinfo[osd]!.downStamp = { ...m.modified };
    }
    if (cur & CEPH_OSD_EXISTS && s & CEPH_OSD_EXISTS) {
      m.osdUuid[osd] = UUID_ZERO;
      m.osdInfo[osd] = newOsdInfo();
      m.osdXinfo[osd] = newOsdXinfo();
      m.setPrimaryAffinity(osd, CEPH_OSD_DEFAULT_PRIMARY_AFFINITY);
      m.clientAddrs[osd] = [];
      m.clusterAddrs[osd] = [];
      m.hbFrontAddrs[osd] = [];
      m.hbBackAddrs[osd] = [];
      m.osdState[osd] = 0;
    } else {
      m.osdState[osd] = (cur ^ s) >>> 0;
    }
  }

  for (const [osd, addrs] of inc.newUpClient) {
    checkOsd(m, osd, 'new_up_client', epoch);
    m.osdState[osd] = ((m.osdState[osd]! | CEPH_OSD_EXISTS | CEPH_OSD_UP) & ~CEPH_OSD_STOP) >>> 0;
    m.clientAddrs[osd] = cloneAddrVec(addrs);
    m.hbBackAddrs[osd] = cloneAddrVec(inc.newHbBackUp.get(osd) ?? []);
    m.hbFrontAddrs[osd] = cloneAddrVec(inc.newHbFrontUp.get(osd) ?? []);
    m.osdInfo[osd]!.upFrom = epoch;
  }
  for (const [osd, addrs] of inc.newUpCluster) {
    checkOsd(m, osd, 'new_up_cluster', epoch);
    m.clusterAddrs[osd] = cloneAddrVec(addrs);
  }

  for (const [osd, thru] of inc.newUpThru) {
    checkOsd(m, osd, 'new_up_thru', epoch);
    m.osdInfo[osd]!.upThru = thru;
  }
  for (const [osd, [begin, end]] of inc.newLastCleanInterval) {
    checkOsd(m, osd, 'new_last_clean_interval', epoch);
    m.osdInfo[osd]!.lastCleanBegin = begin;
    m.osdInfo[osd]!.lastCleanEnd = end;
  }
  for (const [osd, lost] of inc.newLost) {
    checkOsd(m, osd, 'new_lost', epoch);
    m.osdInfo[osd]!.lostAt = lost;
  }
  for (const [osd, x] of inc.newXinfo) {
    checkOsd(m, osd, 'new_xinfo', epoch);
    m.osdXinfo[osd] = { ...x, downStamp: { ...x.downStamp }, lastPurgedSnapsScrub: { ...x.lastPurgedSnapsScrub } };
  }
  for (const [osd, uuid] of inc.newUuid) {
    checkOsd(m, osd, 'new_uuid', epoch);
    m.osdUuid[osd] = uuid;
  }

  for (const [pg, osds] of inc.newPgTemp.sortedEntries()) {
    if (osds.length === 0) m.pgTemp.delete(pg.pool, pg.seed);
    else m.pgTemp.set(pg.pool, pg.seed, [...osds]);
  }
  for (const [pg, osd] of inc.newPrimaryTemp.sortedEntries()) {
    if (osd === -1) m.primaryTemp.delete(pg.pool, pg.seed);
    else m.primaryTemp.set(pg.pool, pg.seed, osd);
  }
  for (const [pg, osds] of inc.newPgUpmap.sortedEntries()) m.pgUpmap.set(pg.pool, pg.seed, [...osds]);
  for (const pg of inc.oldPgUpmap) m.pgUpmap.delete(pg.pool, pg.seed);
  for (const [pg, items] of inc.newPgUpmapItems.sortedEntries()) {
    m.pgUpmapItems.set(pg.pool, pg.seed, items.map(([f, t]) => [f, t]));
  }
  for (const pg of inc.oldPgUpmapItems) m.pgUpmapItems.delete(pg.pool, pg.seed);

  for (const [k, v] of inc.newBlocklist) m.blocklist.set(k, { addr: v.addr, until: { ...v.until } });
  for (const a of inc.oldBlocklist) m.blocklist.delete(addrKey(a));
  for (const [k, v] of inc.newRangeBlocklist) {
    // std::map::insert keeps an existing entry.
    if (!m.rangeBlocklist.has(k)) m.rangeBlocklist.set(k, { addr: v.addr, until: { ...v.until } });
  }
  for (const a of inc.oldRangeBlocklist) m.rangeBlocklist.delete(addrKey(a));

  for (const [id, f] of inc.newCrushNodeFlags) {
    if (f) m.crushNodeFlags.set(id, f);
    else m.crushNodeFlags.delete(id);
  }
  for (const [id, f] of inc.newDeviceClassFlags) {
    if (f) m.deviceClassFlags.set(id, f);
    else m.deviceClassFlags.delete(id);
  }

  if (inc.clusterSnapshot.length) {
    m.clusterSnapshot = inc.clusterSnapshot;
    m.clusterSnapshotEpoch = inc.epoch;
  } else {
    m.clusterSnapshot = '';
    m.clusterSnapshotEpoch = 0;
  }

  if (inc.newNearfullRatio >= 0) m.nearfullRatio = inc.newNearfullRatio;
  if (inc.newBackfillfullRatio >= 0) m.backfillfullRatio = inc.newBackfillfullRatio;
  if (inc.newFullRatio >= 0) m.fullRatio = inc.newFullRatio;
  if (inc.newRequireMinCompatClient > CephRelease.unknown && inc.newRequireMinCompatClient !== 0xff) {
    m.requireMinCompatClient = inc.newRequireMinCompatClient;
  }
  // 0xff is the Incremental's "unchanged" marker for both releases.
  if (inc.newRequireOsdRelease !== 0xff) {
    m.requireOsdRelease = inc.newRequireOsdRelease;
    if (m.requireOsdRelease >= CephRelease.luminous) {
      m.flags = ((m.flags & ~CEPH_OSDMAP_LEGACY_REQUIRE_FLAGS) | CEPH_OSDMAP_RECOVERY_DELETES) >>> 0;
    }
    if (m.requireOsdRelease >= CephRelease.nautilus) m.flags = (m.flags | CEPH_OSDMAP_PGLOG_HARDLIMIT) >>> 0;
  }

  // The CRUSH map last, after the up/down changes.
  if (inc.crush) {
    m.crush = CrushWrapper.from(decodeCrushMap(inc.crush));
    if (m.requireOsdRelease >= CephRelease.luminous) m.crushVersion = (m.crushVersion + 1) >>> 0;
    for (const id of [...m.deviceClassFlags.keys()]) {
      if (!m.crush.names.className.has(id)) m.deviceClassFlags.delete(id);
    }
  }

  if (inc.changeStretchMode) {
    m.stretchModeEnabled = inc.stretchModeEnabled;
    m.stretchBucketCount = inc.newStretchBucketCount;
    m.degradedStretchMode = inc.newDegradedStretchMode;
    m.recoveringStretchMode = inc.newRecoveringStretchMode;
    m.stretchModeBucket = inc.newStretchModeBucket;
  }
  return 0;
}

/** What applyIncrementalChecked found. */
export interface AppliedIncremental {
  map: OSDMap;
  /** The encoding of the new map (as this node would store it). */
  encoded: Buffer;
  /** True when the incremental carried a full_crc and the new map's crc matched it. */
  crcMatches: boolean;
}

/**
 * Apply an incremental to a copy of `prev` (decoded from `prevEncoded`, so `prev` itself is never
 * touched) and check the result against the incremental's full_crc, as an OSD does before trusting a
 * map it built itself (on a mismatch it asks the monitors for the full map).
 */
export function applyIncrementalChecked(prevEncoded: Uint8Array, inc: OSDMapIncremental): AppliedIncremental {
  const map = decodeOSDMap(prevEncoded);
  const r = applyIncremental(map, inc);
  if (r < 0) throw new CephError('EINVAL', `osdmap incremental epoch ${inc.epoch} belongs to cluster ${inc.fsid}, not ${map.fsid}`);
  const encoded = inc.fullmap ? Buffer.from(inc.fullmap) : encodeOSDMap(map);
  const crcMatches = inc.haveCrc && osdmapCrc(encoded) === inc.fullCrc;
  return { map, encoded, crcMatches };
}
