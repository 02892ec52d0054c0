// OSDMap::check_health as Ceph 16.2 computes it (`osdmaptool MAP --health`, and later the monitor's
// OSDMap health checks): down OSDs and down CRUSH subtrees, orphans, scrub flags on pools, ratios out
// of order, full OSDs, map and OSD flags, legacy tunables, cache pools without hit sets, sortbitwise,
// unfinished upgrades, full pools, non-power-of-two pg_num, pools without redundancy, stretch mode.
//
// Pure: the configuration values Ceph reads are HealthConfig (Pacific's defaults), and the up OSDs'
// feature bits (which Ceph caches when a map is decoded or advanced) are an input.

import type { Formatter } from '../formatter.js';
import { getMinRequiredVersion } from '../../crush/index.js';
import { cacheModeName, osdStateSet, osdmapFlagString } from './print.js';
import { OSDMap, compareByteStrings, osdIsUp } from './osdmap.js';
import {
  CEPH_OSD_BACKFILLFULL,
  CEPH_OSD_FULL,
  CEPH_OSD_NEARFULL,
  CEPH_OSD_NEW,
  CEPH_OSD_NODOWN,
  CEPH_OSD_NOIN,
  CEPH_OSD_NOOUT,
  CEPH_OSD_NOUP,
  CEPH_OSDMAP_NOBACKFILL,
  CEPH_OSDMAP_NODEEP_SCRUB,
  CEPH_OSDMAP_NODOWN,
  CEPH_OSDMAP_NOIN,
  CEPH_OSDMAP_NOOUT,
  CEPH_OSDMAP_NOREBALANCE,
  CEPH_OSDMAP_NORECOVER,
  CEPH_OSDMAP_NOSCRUB,
  CEPH_OSDMAP_NOSNAPTRIM,
  CEPH_OSDMAP_NOTIERAGENT,
  CEPH_OSDMAP_NOUP,
  CEPH_OSDMAP_PAUSEREC,
  CEPH_OSDMAP_PAUSERD,
  CEPH_OSDMAP_PAUSEWR,
  CEPH_OSDMAP_SORTBITWISE,
  CephRelease,
  POOL_FLAG_BACKFILLFULL,
  POOL_FLAG_FULL,
  POOL_FLAG_FULL_QUOTA,
  POOL_FLAG_NEARFULL,
  POOL_FLAG_NODEEP_SCRUB,
  POOL_FLAG_NOSCRUB,
  type OSDMapData,
} from './types.js';
import { formatDoubleG } from '../formatter.js';

export type HealthStatus = 'HEALTH_OK' | 'HEALTH_WARN' | 'HEALTH_ERR';

/** health_check_t. */
export interface HealthCheck {
  severity: HealthStatus;
  summary: string;
  count: number;
  detail: string[];
}

/** health_check_map_t: checks by code, dumped in code order. */
export class HealthCheckMap {
  readonly checks = new Map<string, HealthCheck>();
  add(code: string, severity: HealthStatus, summary: string, count: number): HealthCheck {
    const c: HealthCheck = { severity, summary, count, detail: [] };
    this.checks.set(code, c);
    return c;
  }
  /**
   * health_check_map_t::dump (inside the caller's "checks" section). `detail` false leaves out the
   * detail lists (the monitor's `health` without `detail`); `muted` adds the monitor's "muted" field.
   */
  dump(f: Formatter, opts: { detail?: boolean; muted?: boolean } = {}): void {
    for (const code of [...this.checks.keys()].sort(compareByteStrings)) {
      const c = this.checks.get(code)!;
      f.openObjectSection(code);
      f.dumpString('severity', c.severity);
      f.openObjectSection('summary');
      f.dumpString('message', c.summary);
      f.dumpInt('count', c.count);
      f.closeSection();
      if (opts.detail ?? true) {
        f.openArraySection('detail');
        for (const d of c.detail) {
          f.openObjectSection('detail_item');
          f.dumpString('message', d);
          f.closeSection();
        }
        f.closeSection();
      }
      if (opts.muted) f.dumpBool('muted', false);
      f.closeSection();
    }
  }
}

/** The configuration options check_health reads, with Pacific's defaults. */
export interface HealthConfig {
  osdFailsafeFullRatio: number;
  monWarnOnLegacyCrushTunables: boolean;
  monCrushMinRequiredVersion: string;
  monWarnOnCrushStrawCalcVersionZero: boolean;
  monWarnOnCachePoolsWithoutHitSets: boolean;
  monWarnOnPoolPgNumNotPowerOfTwo: boolean;
  monWarnOnPoolNoRedundancy: boolean;
  monWarnOnDegradedStretchMode: boolean;
}

export const PACIFIC_HEALTH_CONFIG: Readonly<HealthConfig> = Object.freeze({
  osdFailsafeFullRatio: 0.97,
  monWarnOnLegacyCrushTunables: true,
  monCrushMinRequiredVersion: 'hammer',
  monWarnOnCrushStrawCalcVersionZero: true,
  monWarnOnCachePoolsWithoutHitSets: true,
  monWarnOnPoolPgNumNotPowerOfTwo: true,
  monWarnOnPoolNoRedundancy: true,
  monWarnOnDegradedStretchMode: true,
});

// ceph_features.h masks: the feature bit plus its incarnation bits (2: bit 57, 3: bits 57 and 28).
const INCARNATION_3 = (1n << 57n) | (1n << 28n);
const FEATUREMASK_SERVER_NAUTILUS = (1n << 2n) | INCARNATION_3;
const FEATUREMASK_SERVER_OCTOPUS = (1n << 16n) | INCARNATION_3;
const FEATUREMASK_SERVER_PACIFIC = (1n << 20n) | INCARNATION_3;

/**
 * OSDMap::_calc_up_osd_features: the features every up OSD has (xinfo features; OSDs reporting none
 * are skipped). Ceph caches this when it decodes or advances a map, not when a tool edits OSD states.
 */
export function calcUpOsdFeatures(m: OSDMapData): bigint {
  let first = true;
  let features = 0n;
  for (let osd = 0; osd < m.maxOsd; osd++) {
    if (!osdIsUp(m, osd)) continue;
    const f = m.osdXinfo[osd]!.features;
    if (f === 0n) continue;
    if (first) {
      features = f;
      first = false;
    } else {
      features &= f;
    }
  }
  return features;
}

/** OSDMap::pending_require_osd_release: the release all up OSDs run that require_osd_release lags. */
export function pendingRequireOsdRelease(m: OSDMapData, upOsdFeatures: bigint): string | null {
  const has = (mask: bigint): boolean => (upOsdFeatures & mask) === mask;
  if (has(FEATUREMASK_SERVER_PACIFIC) && m.requireOsdRelease < CephRelease.pacific) return 'pacific';
  if (has(FEATUREMASK_SERVER_OCTOPUS) && m.requireOsdRelease < CephRelease.octopus) return 'octopus';
  if (has(FEATUREMASK_SERVER_NAUTILUS) && m.requireOsdRelease < CephRelease.nautilus) return 'nautilus';
  return null;
}

function floatText(f: number): string {
  const v = Math.fround(f);
  return Number.isNaN(v) ? 'nan' : formatDoubleG(v, 6);
}

function setText(s: string[]): string {
  return s.join(',');
}

/** OSDMap::check_health. */
export function checkHealth(m: OSDMap, upOsdFeatures: bigint, config: HealthConfig = PACIFIC_HEALTH_CONFIG): HealthCheckMap {
  const checks = new HealthCheckMap();
  const crush = m.crush;

  // OSD_DOWN, OSD_<subtree>_DOWN, OSD_ORPHAN
  {
    const orphans = new Set<number>();
    const downIn = new Set<number>();
    const upIn = new Set<number>();
    const subtreeUp = new Set<number>();
    const subtreeTypeDown = new Map<number, Set<number>>();
    const typeDown = (t: number): Set<number> => {
      let s = subtreeTypeDown.get(t);
      if (!s) {
        s = new Set();
        subtreeTypeDown.set(t, s);
      }
      return s;
    };
    const numOsdsSubtree = new Map<number, number>();
    const maxType = crush.getMaxTypeId();
    const bucketType = (id: number): number => {
      const b = crush.getBucket(id);
      return b ? b.type : -2;
    };
    const subtreeIsDown = (id: number, subtreeType: number): boolean => {
      if (id >= 0) {
        const down = !m.isUp(id);
        if (!m.isOut(id)) {
          if (down) downIn.add(id);
          else upIn.add(id);
        }
        return down;
      }
      if (typeDown(subtreeType).has(id)) return true;
      const children = crush.getChildren(id);
      if (typeof children !== 'number') {
        for (const child of children) {
          if (!subtreeIsDown(child, bucketType(child))) {
            subtreeUp.add(id);
            return false;
          }
        }
      }
      typeDown(subtreeType).add(id);
      return true;
    };
    for (let i = 0; i < m.maxOsd; i++) {
      if (!m.exists(i)) {
        if (crush.itemExists(i)) orphans.add(i);
        continue;
      }
      if (m.isOut(i) || (m.osdState[i]! & CEPH_OSD_NEW) !== 0) continue;
      if (downIn.has(i) || upIn.has(i)) continue;
      if (!m.isUp(i)) {
        downIn.add(i);
        let current = i;
        for (let type = 0; type <= maxType; type++) {
          if (crush.getTypeName(type) === undefined) continue;
          const parent = crush.getImmediateParentId(current);
          if (parent === null) break;
          if (subtreeUp.has(parent)) break;
          type = bucketType(parent);
          if (!subtreeIsDown(parent, type)) break;
          current = parent;
        }
      }
    }
    for (let type = 1; type <= maxType; type++) {
      if (crush.getTypeName(type) === undefined) continue;
      for (const j of [...typeDown(type)].sort((a, b) => a - b)) {
        const children = crush.getChildren(j);
        if (typeof children === 'number' || children.length === 0) continue;
        let num = 0;
        for (const l of children) {
          if (l >= 0) num++;
          else if ((numOsdsSubtree.get(l) ?? 0) > 0) num += numOsdsSubtree.get(l)!;
        }
        numOsdsSubtree.set(j, num);
      }
    }
    if (downIn.size > 0) {
      for (let type = maxType; type > 0; type--) {
        const tname = crush.getTypeName(type);
        if (tname === undefined) continue;
        const down = [...typeDown(type)].sort((a, b) => a - b);
        if (down.length === 0) continue;
        let sum = 0;
        for (const j of down) sum += numOsdsSubtree.get(j) ?? 0;
        const summary = `${down.length} ${tname}${down.length > 1 ? 's' : ''} (${sum} osds) down`;
        const d = checks.add(`OSD_${tname}_DOWN`.toUpperCase(), 'HEALTH_WARN', summary, down.length);
        for (const j of down.reverse()) {
          let s = `${tname} ${crush.getItemName(j) ?? ''}`;
          if (type !== maxType) s += ` (${fullLocationOrderedString(m, j)})`;
          s += ` (${numOsdsSubtree.get(j) ?? 0} osds) is down`;
          d.detail.push(s);
        }
      }
      const d = checks.add('OSD_DOWN', 'HEALTH_WARN', `${downIn.size} osds down`, downIn.size);
      for (const osd of [...downIn].sort((a, b) => a - b)) {
        d.detail.push(`osd.${osd} (${fullLocationOrderedString(m, osd)}) is down`);
      }
    }
    if (orphans.size > 0) {
      const d = checks.add('OSD_ORPHAN', 'HEALTH_WARN', `${orphans.size} osds exist in the crush map but not in the osdmap`, orphans.size);
      for (const osd of [...orphans].sort((a, b) => a - b)) d.detail.push(`osd.${osd} exists in crush map but not in osdmap`);
    }
  }

  const poolIds = [...m.pools.keys()].sort((a, b) => a - b);
  const poolName = (id: number): string => m.poolName.get(id) ?? '';

  // POOL_SCRUB_FLAGS
  {
    const messages: string[] = [];
    let noscrub = false;
    let nodeepscrub = false;
    for (const id of poolIds) {
      const p = m.pools.get(id)!;
      if (p.flags & POOL_FLAG_NOSCRUB) {
        messages.push(`Pool ${poolName(id)} has noscrub flag`);
        noscrub = true;
      }
      if (p.flags & POOL_FLAG_NODEEP_SCRUB) {
        messages.push(`Pool ${poolName(id)} has nodeep-scrub flag`);
        nodeepscrub = true;
      }
    }
    if (noscrub || nodeepscrub) {
      let out = noscrub ? 'noscrub' + (nodeepscrub ? ', ' : '') : '';
      out += nodeepscrub ? 'nodeep-scrub' : '';
      const d = checks.add('POOL_SCRUB_FLAGS', 'HEALTH_OK', `Some pool(s) have the ${out} flag(s) set`, 0);
      d.detail.push(...messages);
    }
  }

  // OSD_OUT_OF_ORDER_FULL
  {
    let fsr = Math.fround(config.osdFailsafeFullRatio);
    if (fsr > 1.0) fsr = Math.fround(fsr / 100);
    let fr = Math.fround(m.fullRatio);
    let br = Math.fround(m.backfillfullRatio);
    const nr = Math.fround(m.nearfullRatio);
    const detail: string[] = [];
    if (br < nr) {
      detail.push(`backfillfull_ratio (${floatText(br)}) < nearfull_ratio (${floatText(nr)}), increased`);
      br = nr;
    }
    if (fr < br) {
      detail.push(`full_ratio (${floatText(fr)}) < backfillfull_ratio (${floatText(br)}), increased`);
      fr = br;
    }
    if (fsr < fr) detail.push(`osd_failsafe_full_ratio (${floatText(fsr)}) < full_ratio (${floatText(fr)}), increased`);
    if (detail.length) checks.add('OSD_OUT_OF_ORDER_FULL', 'HEALTH_ERR', 'full ratio(s) out of order', 0).detail.push(...detail);
  }

  // OSD_FULL, OSD_BACKFILLFULL, OSD_NEARFULL
  {
    const full: number[] = [];
    const backfill: number[] = [];
    const near: number[] = [];
    for (let i = 0; i < m.maxOsd; i++) {
      if (!(m.exists(i) && m.isUp(i) && m.isIn(i))) continue;
      const st = m.osdState[i]!;
      if (st & CEPH_OSD_FULL) full.push(i);
      else if (st & CEPH_OSD_BACKFILLFULL) backfill.push(i);
      else if (st & CEPH_OSD_NEARFULL) near.push(i);
    }
    if (full.length) {
      const d = checks.add('OSD_FULL', 'HEALTH_ERR', `${full.length} full osd(s)`, full.length);
      for (const i of full) d.detail.push(`osd.${i} is full`);
    }
    if (backfill.length) {
      const d = checks.add('OSD_BACKFILLFULL', 'HEALTH_WARN', `${backfill.length} backfillfull osd(s)`, backfill.length);
      for (const i of backfill) d.detail.push(`osd.${i} is backfill full`);
    }
    if (near.length) {
      const d = checks.add('OSD_NEARFULL', 'HEALTH_WARN', `${near.length} nearfull osd(s)`, near.length);
      for (const i of near) d.detail.push(`osd.${i} is near full`);
    }
  }

  // OSDMAP_FLAGS
  {
    const warnFlags =
      CEPH_OSDMAP_PAUSERD | CEPH_OSDMAP_PAUSEWR | CEPH_OSDMAP_PAUSEREC | CEPH_OSDMAP_NOUP | CEPH_OSDMAP_NODOWN |
      CEPH_OSDMAP_NOIN | CEPH_OSDMAP_NOOUT | CEPH_OSDMAP_NOBACKFILL | CEPH_OSDMAP_NORECOVER | CEPH_OSDMAP_NOSCRUB |
      CEPH_OSDMAP_NODEEP_SCRUB | CEPH_OSDMAP_NOTIERAGENT | CEPH_OSDMAP_NOSNAPTRIM | CEPH_OSDMAP_NOREBALANCE;
    if (m.flags & warnFlags) {
      const s = osdmapFlagString(m.flags & warnFlags);
      // the count is the flag string's length ("kludgey but sufficient", says Ceph)
      checks.add('OSDMAP_FLAGS', 'HEALTH_WARN', `${s} flag(s) set`, s.length);
    }
  }

  // OSD_FLAGS
  {
    const detail: string[] = [];
    const flags = CEPH_OSD_NOUP | CEPH_OSD_NOIN | CEPH_OSD_NODOWN | CEPH_OSD_NOOUT;
    for (let i = 0; i < m.maxOsd; i++) {
      if (m.osdState[i]! & flags) detail.push(`osd.${i} has flags ${setText(osdStateSet(m.osdState[i]! & flags))}`);
    }
    for (const id of [...m.crushNodeFlags.keys()].sort((a, b) => a - b)) {
      const v = m.crushNodeFlags.get(id)!;
      if (!v || !crush.itemExists(id)) continue;
      const t = id >= 0 ? 0 : (crush.getBucket(id)?.type ?? -2);
      const tn = crush.getTypeName(t);
      detail.push(`${tn ?? 'node'} ${crush.getItemName(id) ?? ''} has flags ${setText(osdStateSet(v))}`);
    }
    for (const id of [...m.deviceClassFlags.keys()].sort((a, b) => a - b)) {
      const v = m.deviceClassFlags.get(id)!;
      const cls = crush.getClassName(id);
      if (v && cls !== undefined) detail.push(`device class '${cls}' has flags ${setText(osdStateSet(v))}`);
    }
    if (detail.length) {
      const d = checks.add(
        'OSD_FLAGS',
        'HEALTH_WARN',
        `${detail.length} OSDs or CRUSH {nodes, device-classes} have {NOUP,NODOWN,NOIN,NOOUT} flags set`,
        detail.length,
      );
      d.detail.push(...detail);
    }
  }

  // OLD_CRUSH_TUNABLES
  if (config.monWarnOnLegacyCrushTunables) {
    const min = getMinRequiredVersion(crush.crush);
    if (min < config.monCrushMinRequiredVersion) {
      const d = checks.add(
        'OLD_CRUSH_TUNABLES',
        'HEALTH_WARN',
        `crush map has legacy tunables (require ${min}, min is ${config.monCrushMinRequiredVersion})`,
        0,
      );
      d.detail.push('see http://docs.ceph.com/en/latest/rados/operations/crush-map/#tunables');
    }
  }

  // OLD_CRUSH_STRAW_CALC_VERSION
  if (config.monWarnOnCrushStrawCalcVersionZero && crush.crush.strawCalcVersion === 0) {
    const d = checks.add('OLD_CRUSH_STRAW_CALC_VERSION', 'HEALTH_WARN', 'crush map has straw_calc_version=0', 0);
    d.detail.push('see http://docs.ceph.com/en/latest/rados/operations/crush-map/#tunables');
  }

  // CACHE_POOL_NO_HIT_SET
  if (config.monWarnOnCachePoolsWithoutHitSets) {
    const detail: string[] = [];
    for (const id of poolIds) {
      const p = m.pools.get(id)!;
      // cache_mode_requires_hit_set: writeback, readforward, readproxy
      const needs = p.cacheMode === 1 || p.cacheMode === 4 || p.cacheMode === 5;
      if (needs && p.hitSetParams.type === 0) {
        detail.push(`pool '${poolName(id)}' with cache_mode ${cacheModeName(p.cacheMode)} needs hit_set_type to be set but it is not`);
      }
    }
    if (detail.length) {
      const d = checks.add('CACHE_POOL_NO_HIT_SET', 'HEALTH_WARN', `${detail.length} cache pools are missing hit_sets`, detail.length);
      d.detail.push(...detail);
    }
  }

  // OSD_NO_SORTBITWISE
  if (!(m.flags & CEPH_OSDMAP_SORTBITWISE)) checks.add('OSD_NO_SORTBITWISE', 'HEALTH_WARN', "'sortbitwise' flag is not set", 0);

  // OSD_UPGRADE_FINISHED
  const pending = pendingRequireOsdRelease(m, upOsdFeatures);
  if (pending !== null) {
    const s = `all OSDs are running ${pending} or later but require_osd_release < ${pending}`;
    checks.add('OSD_UPGRADE_FINISHED', 'HEALTH_WARN', s, 0).detail.push(s);
  }

  // POOL_FULL, POOL_BACKFILLFULL, POOL_NEARFULL
  {
    const full: string[] = [];
    const backfill: string[] = [];
    const near: string[] = [];
    for (const id of poolIds) {
      const p = m.pools.get(id)!;
      if (p.flags & POOL_FLAG_FULL) {
        full.push(p.flags & POOL_FLAG_FULL_QUOTA ? `pool '${poolName(id)}' is full (running out of quota)` : `pool '${poolName(id)}' is full (no space)`);
      } else if (p.flags & POOL_FLAG_BACKFILLFULL) {
        backfill.push(`pool '${poolName(id)}' is backfillfull`);
      } else if (p.flags & POOL_FLAG_NEARFULL) {
        near.push(`pool '${poolName(id)}' is nearfull`);
      }
    }
    if (full.length) checks.add('POOL_FULL', 'HEALTH_WARN', `${full.length} pool(s) full`, full.length).detail.push(...full);
    if (backfill.length) {
      checks.add('POOL_BACKFILLFULL', 'HEALTH_WARN', `${backfill.length} pool(s) backfillfull`, backfill.length).detail.push(...backfill);
    }
    if (near.length) checks.add('POOL_NEARFULL', 'HEALTH_WARN', `${near.length} pool(s) nearfull`, near.length).detail.push(...near);
  }

  // POOL_PG_NUM_NOT_POWER_OF_TWO
  if (config.monWarnOnPoolPgNumNotPowerOfTwo) {
    const detail: string[] = [];
    for (const id of poolIds) {
      const t = m.pools.get(id)!.pgNumTarget >>> 0;
      // isp2(0) is true
      if ((t & (t - 1)) !== 0) detail.push(`pool '${poolName(id)}' pg_num ${t} is not a power of two`);
    }
    if (detail.length) {
      checks.add('POOL_PG_NUM_NOT_POWER_OF_TWO', 'HEALTH_WARN', `${detail.length} pool(s) have non-power-of-two pg_num`, detail.length).detail.push(...detail);
    }
  }

  // POOL_NO_REDUNDANCY
  if (config.monWarnOnPoolNoRedundancy) {
    const detail: string[] = [];
    for (const id of poolIds) {
      if (m.pools.get(id)!.size === 1) detail.push(`pool '${poolName(id)}' has no replicas configured`);
    }
    if (detail.length) {
      checks.add('POOL_NO_REDUNDANCY', 'HEALTH_WARN', `${detail.length} pool(s) have no replicas configured`, detail.length).detail.push(...detail);
    }
  }

  // DEGRADED_STRETCH_MODE, RECOVERING_STRETCH_MODE
  if (config.monWarnOnDegradedStretchMode) {
    if (m.recoveringStretchMode) {
      checks.add(
        'RECOVERING_STRETCH_MODE',
        'HEALTH_WARN',
        `We are recovering stretch mode buckets, only requiring ${m.degradedStretchMode} of ${m.stretchBucketCount} buckets to peer`,
        0,
      );
    } else if (m.degradedStretchMode) {
      checks.add(
        'DEGRADED_STRETCH_MODE',
        'HEALTH_WARN',
        `We are missing stretch mode buckets, only requiring ${m.degradedStretchMode} of ${m.stretchBucketCount} buckets to peer`,
        0,
      );
    }
  }
  return checks;
}

/** CrushWrapper::get_full_location_ordered_string: "root=default,rack=r1,host=h1" (root first). */
function fullLocationOrderedString(m: OSDMap, id: number): string {
  return m.crush
    .getFullLocationOrdered(id)
    .reverse()
    .map(([t, n]) => `${t}=${n}`)
    .join(',');
}

/** What `osdmaptool MAP --health` prints: the checks, inside a "checks" object, as pretty JSON. */
export function dumpHealthChecks(m: OSDMap, f: Formatter, upOsdFeatures: bigint, config?: HealthConfig): void {
  checkHealth(m, upOsdFeatures, config).dump(f);
}
