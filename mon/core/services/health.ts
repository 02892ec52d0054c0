// Cluster health as Ceph 16's monitor reports it (`ceph health [detail]`, the health part of
// `ceph status`): the OSDMap's checks (common/osdmap/health.ts, Ceph's OSDMap::check_health), the
// monitor's own (MON_DOWN from the quorum against the monmap), and the ones Ceph's manager adds from
// the maps alone (TOO_FEW_OSDS), and the PGMap's (PG_AVAILABILITY, PG_DEGRADED, PG_DAMAGED,
// OSD_SCRUB_ERRORS, OBJECT_MISPLACED, OBJECT_UNFOUND: mon/core/services/pgmap.ts).

import type { Formatter } from '../../../common/formatter.js';
import { compareStringBytes } from '../../../common/encoding.js';
import type { MonMap } from '../../../common/monmap/types.js';
import { calcUpOsdFeatures, checkHealth, formatAddrVec, HealthCheckMap, type HealthStatus, type OSDMap } from '../../../common/osdmap/index.js';
import type { MonContext, MonServicesConfig } from '../types.js';
import { pgHealthChecks, type PgMapDigest } from './pgmap.js';

/** mon_down_mkfs_grace. */
export const MON_DOWN_MKFS_GRACE_MS = 60_000;

const SEVERITY_RANK: Record<HealthStatus, number> = { HEALTH_OK: 0, HEALTH_WARN: 1, HEALTH_ERR: 2 };
const SEVERITY_TAG: Record<HealthStatus, string> = { HEALTH_OK: 'OK', HEALTH_WARN: 'WRN', HEALTH_ERR: 'ERR' };

export interface HealthReport {
  status: HealthStatus;
  checks: HealthCheckMap;
}

/** Every check, computed from the committed maps and the quorum. */
export function computeHealth(osdmap: OSDMap | null, monmap: MonMap, ctx: MonContext, config: MonServicesConfig, pgs?: PgMapDigest): HealthReport {
  const checks = new HealthCheckMap();
  if (osdmap && osdmap.epoch > 0) {
    const osdChecks = checkHealth(osdmap, calcUpOsdFeatures(osdmap));
    for (const [code, c] of osdChecks.checks) checks.checks.set(code, c);
    const { num } = osdmap.countOsds();
    if (num > 0 && num < config.poolDefaultSize && osdmap.pools.size > 0) {
      checks.add('TOO_FEW_OSDS', 'HEALTH_WARN', `OSD count ${num} < osd_pool_default_size ${config.poolDefaultSize}`, 1);
    }
    // The PGMap's checks (Ceph's manager: PGMap::get_health_checks).
    if (pgs) pgHealthChecks(pgs, osdmap, ctx.nowMs, checks);
  }
  // MON_DOWN: monitors in the monmap but not in the quorum, once mon_down_mkfs_grace has passed since
  // the cluster was created (monitors of a new cluster may still be starting).
  const down: number[] = [];
  for (let r = 0; r < monmap.ranks.length; r++) if (!ctx.quorumRanks.includes(r)) down.push(r);
  const createdMs = monmap.created.sec * 1000 + Math.floor(monmap.created.nsec / 1e6);
  if (down.length > 0 && ctx.nowMs > createdMs + MON_DOWN_MKFS_GRACE_MS) {
    const names = ctx.quorumRanks.map((r) => monmap.ranks[r] ?? '').join(',');
    const c = checks.add('MON_DOWN', 'HEALTH_WARN', `${down.length}/${monmap.ranks.length} mons down, quorum ${names}`, down.length);
    for (const r of down) {
      const name = monmap.ranks[r]!;
      const addrs = monmap.mons.get(name)?.publicAddrs ?? [];
      c.detail.push(`mon.${name} (rank ${r}) addr ${formatAddrVec(addrs)} is down (out of quorum)`);
    }
  }
  let status: HealthStatus = 'HEALTH_OK';
  for (const c of checks.checks.values()) if (SEVERITY_RANK[c.severity] > SEVERITY_RANK[status]) status = c.severity;
  return { status, checks };
}

function sortedCodes(h: HealthReport): string[] {
  return [...h.checks.checks.keys()].sort(compareStringBytes);
}

/** Ceph's health_check_map_t summary line: "HEALTH_WARN a; b" (codes in order). */
export function healthSummaryLine(h: HealthReport): string {
  const codes = sortedCodes(h);
  if (codes.length === 0) return h.status;
  return `${h.status} ${codes.map((c) => h.checks.checks.get(c)!.summary).join('; ')}`;
}

/** `ceph health [detail]` plain text. */
export function healthPlain(h: HealthReport, detail: boolean): string {
  let out = healthSummaryLine(h) + '\n';
  if (!detail) return out;
  for (const code of sortedCodes(h)) {
    const c = h.checks.checks.get(code)!;
    out += `[${SEVERITY_TAG[c.severity]}] ${code}: ${c.summary}\n`;
    for (const d of c.detail) out += `    ${d}\n`;
  }
  return out;
}

/** health_check_map_t::dump as the monitor dumps it (inside the caller's section). */
export function dumpHealth(h: HealthReport, f: Formatter, detail: boolean): void {
  f.dumpString('status', h.status);
  f.openObjectSection('checks');
  h.checks.dump(f, { detail, muted: true });
  f.closeSection();
  f.openArraySection('mutes');
  f.closeSection();
}
