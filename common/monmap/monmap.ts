// Building and reading MonMaps the way Ceph's MonMap class and monmaptool do: a new map from names and
// addresses (`monmaptool --create --add a 127.0.0.1:3300`), adding and removing monitors with Ceph's
// rank rules, rank and address lookups, and the views: MonMap::print (`monmaptool --print`,
// `ceph mon dump`), MonMap::dump (`ceph mon dump -f json`) and print_summary (`ceph mon stat`).
//
// Ranks (Pacific): once the map's persistent features include NAUTILUS a new monitor takes the next
// rank and a removed one leaves a gap that later ranks close up (ranks are an ordered list of names);
// before that, ranks are recomputed from the addresses (calcLegacyRanks). A removed rank is recorded
// in removedRanks, as Ceph does, so the connectivity tracker can renumber its peers.

import { CephError } from '../errors.js';
import type { Formatter } from '../formatter.js';
import { addrPort, parseAddrVec, parseEntityAddr, withPort } from '../entityaddr.js';
import {
  ENTITY_ADDR_TYPE_ANY,
  ENTITY_ADDR_TYPE_LEGACY,
  ENTITY_ADDR_TYPE_MSGR2,
  addrVecLegacyStr,
  cephReleaseName,
  compareEntityAddr,
  dumpEntityAddrVec,
  dumpStream,
  formatAddrVec,
  formatUtime,
  UTC,
  type EntityAddr,
  type EntityAddrVec,
  type TimeZone,
  type UTime,
} from '../osdmap/index.js';
import { MON_FEATURE_NAMES, MON_FEATURES_SUPPORTED, MonFeature, calcLegacyRanks, compareNames } from './encoding.js';
import { ElectionStrategy, type MonInfo, type MonMap } from './types.js';

/** CEPH_MON_PORT_IANA (msgr2) and CEPH_MON_PORT_LEGACY (msgr1). */
export const MON_PORT_IANA = 3300;
export const MON_PORT_LEGACY = 6789;

// ---- construction ---------------------------------------------------------------------------------

export interface NewMonMapOptions {
  fsid: string;
  /** created = last_changed (monmaptool uses the clock; pass it in). */
  created: UTime;
  epoch?: number;
  /** monmaptool --enable-all-features / ceph-mon --mkfs: every supported mon feature persistent. */
  enableAllFeatures?: boolean;
  minMonRelease?: number;
}

/** An empty MonMap (MonMap's constructor plus what monmaptool --create sets). */
export function newMonMap(o: NewMonMapOptions): MonMap {
  return {
    fsid: o.fsid,
    epoch: o.epoch ?? 0,
    lastChanged: { ...o.created },
    created: { ...o.created },
    mons: new Map(),
    ranks: [],
    persistentFeatures: o.enableAllFeatures ? MON_FEATURES_SUPPORTED : 0n,
    optionalFeatures: 0n,
    minMonRelease: o.minMonRelease ?? 0,
    removedRanks: new Set(),
    strategy: ElectionStrategy.CLASSIC,
    disallowedLeaders: new Set(),
    stretchModeEnabled: false,
    tiebreakerMon: '',
    stretchMarkedDownMons: new Set(),
  };
}

/** A deep copy (Maps, Sets and address buffers included). */
export function cloneMonMap(m: MonMap): MonMap {
  const mons = new Map<string, MonInfo>();
  for (const [k, v] of m.mons) {
    mons.set(k, {
      name: v.name,
      publicAddrs: v.publicAddrs.map((a) => ({ ...a, sockaddr: Buffer.from(a.sockaddr) })),
      priority: v.priority,
      weight: v.weight,
      crushLoc: new Map(v.crushLoc),
    });
  }
  return {
    ...m,
    lastChanged: { ...m.lastChanged },
    created: { ...m.created },
    mons,
    ranks: [...m.ranks],
    removedRanks: new Set(m.removedRanks),
    disallowedLeaders: new Set(m.disallowedLeaders),
    stretchMarkedDownMons: new Set(m.stretchMarkedDownMons),
  };
}

function nautilusRanks(m: MonMap): boolean {
  return (m.persistentFeatures & MonFeature.NAUTILUS) !== 0n;
}

/** MonMap::add. EEXIST when the name or one of the addresses is in the map already. */
export function addMon(m: MonMap, name: string, addrs: EntityAddrVec, priority = 0, weight = 0): void {
  if (m.mons.has(name)) throw new CephError('EEXIST', `mon.${name} is in the monmap already`);
  for (const a of addrs) {
    const other = monNameByAddr(m, a);
    if (other !== null) throw new CephError('EEXIST', `address ${formatAddrVec([a])} is used by mon.${other} already`);
  }
  m.mons.set(name, { name, publicAddrs: addrs, priority, weight, crushLoc: new Map() });
  if (nautilusRanks(m)) m.ranks.push(name);
  else m.ranks = calcLegacyRanks(m.mons);
}

/** MonMap::remove: ENOENT for a monitor not in the map. Its rank goes into removedRanks; it is no
 * longer a disallowed leader. */
export function removeMon(m: MonMap, name: string): void {
  if (!m.mons.has(name)) throw new CephError('ENOENT', `mon.${name} is not in the monmap`);
  const rank = monRank(m, name);
  m.mons.delete(name);
  m.disallowedLeaders.delete(name);
  if (rank >= 0) m.removedRanks.add(rank);
  if (nautilusRanks(m)) m.ranks.splice(m.ranks.indexOf(name), 1);
  else m.ranks = calcLegacyRanks(m.mons);
}

// ---- lookups --------------------------------------------------------------------------------------

/** MonMap::get_rank(name): -1 when absent. */
export function monRank(m: MonMap, name: string): number {
  return m.ranks.indexOf(name);
}

/** The same as monRank (the name mon/monitor.ts uses). */
export const monmapRankOf = monRank;

/** MonMap::get_name(rank): null when out of range. */
export function monNameAt(m: MonMap, rank: number): string | null {
  return rank >= 0 && rank < m.ranks.length ? m.ranks[rank]! : null;
}

/** The public addresses of a monitor by name or rank; null when absent. */
export function monAddrs(m: MonMap, who: string | number): EntityAddrVec | null {
  const name = typeof who === 'number' ? monNameAt(m, who) : who;
  if (name === null) return null;
  return m.mons.get(name)?.publicAddrs ?? null;
}

function sameAddr(a: EntityAddr, b: EntityAddr): boolean {
  return compareEntityAddr(a, b) === 0;
}

/** MonMap::get_name(addr) over every address of every monitor; null when none has it. */
export function monNameByAddr(m: MonMap, addr: EntityAddr): string | null {
  for (const [name, info] of m.mons) {
    for (const a of info.publicAddrs) if (sameAddr(a, addr)) return name;
  }
  return null;
}

/** MonMap::get_rank(addr): -1 when no monitor has it. */
export function monRankByAddr(m: MonMap, addr: EntityAddr): number {
  const name = monNameByAddr(m, addr);
  return name === null ? -1 : monRank(m, name);
}

/** MonMap::min_quorum_size: a strict majority of the monitors. */
export function minQuorumSize(m: MonMap): number {
  return Math.floor(m.ranks.length / 2) + 1;
}

/**
 * The addresses monmaptool's `--add NAME ADDR` gives a monitor: no port means the default ports
 * (v2:3300 and v1:6789 once the map has the NAUTILUS feature, else v1:6789 alone); port 6789 means
 * msgr1; any other port keeps an explicit v1/v2 prefix and is msgr2 otherwise. EINVAL for bad text.
 */
export function monmaptoolAddAddrs(m: MonMap, text: string): EntityAddrVec {
  const a = parseEntityAddr(text);
  if (!a) throw new CephError('EINVAL', `invalid ip:port '${text}'`);
  const port = addrPort(a);
  if (port === 0) {
    if (nautilusRanks(m)) {
      return [withPort(a, MON_PORT_IANA, ENTITY_ADDR_TYPE_MSGR2), withPort(a, MON_PORT_LEGACY, ENTITY_ADDR_TYPE_LEGACY)];
    }
    return [withPort(a, MON_PORT_LEGACY, ENTITY_ADDR_TYPE_LEGACY)];
  }
  if (port === MON_PORT_LEGACY) return [{ ...a, type: ENTITY_ADDR_TYPE_LEGACY }];
  if (a.type === ENTITY_ADDR_TYPE_ANY) return [{ ...a, type: ENTITY_ADDR_TYPE_MSGR2 }];
  return [a];
}

export interface MonmaptoolCreateOptions extends NewMonMapOptions {
  /** --add NAME ADDR, in order. */
  add?: ReadonlyArray<[string, string]>;
  /** --addv NAME [v2:...,v1:...], in order (after the --add ones, as monmaptool applies them). */
  addv?: ReadonlyArray<[string, string]>;
}

/** `monmaptool --create [--enable-all-features] --fsid F --add ... --addv ...` as one call. */
export function monmaptoolCreate(o: MonmaptoolCreateOptions): MonMap {
  const m = newMonMap(o);
  for (const [name, text] of o.add ?? []) addMon(m, name, monmaptoolAddAddrs(m, text));
  for (const [name, text] of o.addv ?? []) {
    const v = parseAddrVec(text);
    if (!v) throw new CephError('EINVAL', `invalid addrvec '${text}'`);
    addMon(m, name, v);
  }
  return m;
}

// ---- views ----------------------------------------------------------------------------------------

/** operator<< of a std::set: elements joined by ',' (Ceph's include/types.h). */
function formatSet(items: Iterable<string | number>): string {
  return [...items].join(',');
}

/** operator<< of a std::map<string,string>: "{k=v,k2=v2}". */
function formatStringMap(m: ReadonlyMap<string, string>): string {
  const keys = [...m.keys()].sort(compareNames);
  return '{' + keys.map((k) => `${k}=${m.get(k)!}`).join(',') + '}';
}

function sortedStrings(s: ReadonlySet<string>): string[] {
  return [...s].sort(compareNames);
}

/** utime_t::gmtime: "YYYY-MM-DDTHH:MM:SS.USECZ" (or "SEC.USEC" for small values). */
export function formatUtimeGmt(t: UTime): string {
  const s = formatUtime(t, UTC);
  return s.endsWith('+0000') ? s.slice(0, -5) + 'Z' : s;
}

/**
 * MonMap::print: the text of `monmaptool --print` (after its "monmap file" line) and of
 * `ceph mon dump`. Stamps in local time of `tz`, as utime_t prints them.
 */
export function printMonMap(m: MonMap, tz: TimeZone = UTC): string {
  let out = '';
  out += `epoch ${m.epoch}\n`;
  out += `fsid ${m.fsid}\n`;
  out += `last_changed ${formatUtime(m.lastChanged, tz)}\n`;
  out += `created ${formatUtime(m.created, tz)}\n`;
  out += `min_mon_release ${m.minMonRelease} (${cephReleaseName(m.minMonRelease)})\n`;
  out += `election_strategy: ${m.strategy}\n`;
  if (m.stretchModeEnabled) {
    out += `stretch_mode_enabled ${m.stretchModeEnabled ? 1 : 0}\n`;
    out += `tiebreaker_mon ${m.tiebreakerMon}\n`;
  }
  if (m.stretchModeEnabled || m.disallowedLeaders.size) {
    out += `disallowed_leaders ${formatSet(sortedStrings(m.disallowedLeaders))}\n`;
  }
  m.ranks.forEach((name, i) => {
    const info = m.mons.get(name)!;
    out += `${i}: ${formatAddrVec(info.publicAddrs)} mon.${name}`;
    if (info.crushLoc.size) out += `; crush_location ${formatStringMap(info.crushLoc)}`;
    out += '\n';
  });
  return out;
}

/** MonMap::print_summary: "e3: 3 mons at {a=...,b=...}" (names in name order). */
export function printMonMapSummary(m: MonMap): string {
  const names = [...m.mons.keys()].sort(compareNames);
  return `e${m.epoch}: ${m.mons.size} mons at {` + names.map((n) => `${n}=${formatAddrVec(m.mons.get(n)!.publicAddrs)}`).join(',') + '}';
}

/** mon_feature_t::dump(f, name): the feature names as an array. */
export function dumpMonFeatures(features: bigint, name: string, f: Formatter): void {
  f.openArraySection(name);
  for (const [bit, n] of MON_FEATURE_NAMES) if (features & bit) f.dumpString('feature', n);
  f.closeSection();
}

/**
 * MonMap::dump, the body of `ceph mon dump -f json`; the monitor adds "quorum" (the ranks in quorum)
 * after it, which `quorum` does when given.
 */
export function dumpMonMap(m: MonMap, f: Formatter, quorum?: readonly number[]): void {
  f.dumpUnsigned('epoch', m.epoch);
  dumpStream(f, 'fsid', m.fsid);
  dumpStream(f, 'modified', formatUtimeGmt(m.lastChanged));
  dumpStream(f, 'created', formatUtimeGmt(m.created));
  f.dumpUnsigned('min_mon_release', m.minMonRelease);
  f.dumpString('min_mon_release_name', cephReleaseName(m.minMonRelease));
  f.dumpInt('election_strategy', m.strategy);
  dumpStream(f, 'disallowed_leaders: ', formatSet(sortedStrings(m.disallowedLeaders)));
  f.dumpBool('stretch_mode', m.stretchModeEnabled);
  f.dumpString('tiebreaker_mon', m.tiebreakerMon);
  dumpStream(f, 'removed_ranks: ', formatSet([...m.removedRanks].sort((a, b) => a - b)));
  f.openObjectSection('features');
  dumpMonFeatures(m.persistentFeatures, 'persistent', f);
  dumpMonFeatures(m.optionalFeatures, 'optional', f);
  f.closeSection();
  f.openArraySection('mons');
  m.ranks.forEach((name, i) => {
    const info = m.mons.get(name)!;
    f.openObjectSection('mon');
    f.dumpInt('rank', i);
    f.dumpString('name', name);
    f.openObjectSection('public_addrs');
    dumpEntityAddrVec(info.publicAddrs, f);
    f.closeSection();
    dumpStream(f, 'addr', addrVecLegacyStr(info.publicAddrs));
    dumpStream(f, 'public_addr', addrVecLegacyStr(info.publicAddrs));
    f.dumpUnsigned('priority', info.priority);
    f.dumpUnsigned('weight', info.weight);
    dumpStream(f, 'crush_location', formatStringMap(info.crushLoc));
    f.closeSection();
  });
  f.closeSection();
  if (quorum) {
    f.openArraySection('quorum');
    for (const r of quorum) f.dumpInt('mon', r);
    f.closeSection();
  }
}
