// `ceph status` / `ceph -s` in Ceph 16's shapes, plain and JSON. tsceph has no manager daemon: the
// mgr line says so as Ceph's does without one; the data and io sections come from the monitors' PGMap
// (pgmap.ts): every PG "unknown" until OSDs report PG stats, as Ceph shows PGs no OSD has reported.

import type { Formatter } from '../../../common/formatter.js';
import { formatUtime, type OSDMap } from '../../../common/osdmap/index.js';
import type { MonMap } from '../../../common/monmap/types.js';
import type { MonContext } from '../types.js';
import { dumpHealth, type HealthReport } from './health.js';
import { quorumAgeSec } from './monmapmonitor.js';
import { msFromUtime, timespanStr } from './common.js';
import { dumpOsdStat, osdFlagsLine } from './osdmonitor.js';
import { dumpStatusData, statusDataPlain, statusIoPlain, type PgMapDigest, type PgMapService } from './pgmap.js';

/** OSDMap::print_summary for status: counts and "since", no epoch. */
function osdSummary(m: OSDMap, nowMs: number): string {
  const { num, up, in: inn } = m.countOsds();
  let s = `${num} osds: ${up} up`;
  if (m.lastUpChange.sec !== 0) s += ` (since ${timespanStr(nowMs - msFromUtime(m.lastUpChange))})`;
  s += `, ${inn} in`;
  if (m.lastInChange.sec !== 0) s += ` (since ${timespanStr(nowMs - msFromUtime(m.lastInChange))})`;
  return s;
}

export function statusPlain(health: HealthReport, monmap: MonMap, osdmap: OSDMap | null, ctx: MonContext, pg: PgMapService, dg: PgMapDigest): string {
  const codes = [...health.checks.checks.keys()].sort();
  let out = '  cluster:\n';
  out += `    id:     ${monmap.fsid}\n`;
  out += `    health: ${health.status}\n`;
  for (const c of codes) out += `            ${health.checks.checks.get(c)!.summary}\n`;
  out += ' \n  services:\n';
  const qnames = ctx.quorumRanks.map((r) => monmap.ranks[r] ?? '').join(',');
  let mon = `    mon: ${monmap.mons.size} daemons, quorum ${qnames} (age ${timespanStr(quorumAgeSec(ctx) * 1000)})`;
  const outOf = monmap.ranks.filter((_, r) => !ctx.quorumRanks.includes(r));
  if (outOf.length) mon += `, out of quorum: ${outOf.join(', ')}`;
  out += mon + '\n';
  out += '    mgr: no daemons active\n';
  if (osdmap) out += `    osd: ${osdSummary(osdmap, ctx.nowMs)}${osdFlagsLine(osdmap, '         ')}\n`;
  out += ' \n  data:\n';
  out += statusDataPlain(dg, osdmap ? osdmap.pools.size : 0);
  const io = statusIoPlain(pg);
  if (io) out += ' \n  io:\n' + io;
  out += ' \n';
  return out;
}

export function dumpStatus(f: Formatter, health: HealthReport, monmap: MonMap, osdmap: OSDMap | null, ctx: MonContext, pg: PgMapService, dg: PgMapDigest): void {
  f.dumpString('fsid', monmap.fsid);
  f.openObjectSection('health');
  dumpHealth(health, f, false);
  f.closeSection();
  f.dumpInt('election_epoch', ctx.electionEpoch);
  f.openArraySection('quorum');
  for (const r of ctx.quorumRanks) f.dumpInt('rank', r);
  f.closeSection();
  f.openArraySection('quorum_names');
  for (const r of ctx.quorumRanks) f.dumpString('id', monmap.ranks[r] ?? '');
  f.closeSection();
  f.dumpInt('quorum_age', quorumAgeSec(ctx));
  f.openObjectSection('monmap');
  f.dumpUnsigned('epoch', monmap.epoch);
  f.dumpString('min_mon_release_name', releaseName(monmap.minMonRelease));
  f.dumpUnsigned('num_mons', monmap.mons.size);
  f.closeSection();
  f.openObjectSection('osdmap');
  if (osdmap) dumpOsdStat(osdmap, f);
  f.closeSection();
  f.openObjectSection('pgmap');
  dumpStatusData(f, pg, dg, osdmap ? osdmap.pools.size : 0);
  f.closeSection();
  f.openObjectSection('fsmap');
  f.dumpUnsigned('epoch', 1);
  f.openArraySection('by_rank');
  f.closeSection();
  f.dumpUnsigned('up:standby', 0);
  f.closeSection();
  f.openObjectSection('mgrmap');
  f.dumpBool('available', false);
  f.dumpUnsigned('num_standbys', 0);
  f.openArraySection('modules');
  for (const m of ['iostat', 'nfs', 'restful']) f.dumpString('module', m);
  f.closeSection();
  f.openObjectSection('services');
  f.closeSection();
  f.closeSection();
  f.openObjectSection('servicemap');
  f.dumpUnsigned('epoch', 1);
  f.dumpString('modified', osdmap ? formatUtime(osdmap.created) : '0.000000');
  f.openObjectSection('services');
  f.closeSection();
  f.closeSection();
  f.openObjectSection('progress_events');
  f.closeSection();
}

function releaseName(r: number): string {
  const names = ['unknown', 'argonaut', 'bobtail', 'cuttlefish', 'dumpling', 'emperor', 'firefly', 'giant', 'hammer', 'infernalis', 'jewel', 'kraken', 'luminous', 'mimic', 'nautilus', 'octopus', 'pacific'];
  return names[r] ?? 'unknown';
}
