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
import {
  AF_INET,
  AF_INET6,
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

// ---- address parsing (entity_addr_t::parse, entity_addrvec_t::parse) -------------------------------

function parseIpv4(s: string): Buffer | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const b = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    b[i] = v;
  }
  return b;
}

function parseIpv6(s: string): Buffer | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (t: string): number[] | null => {
    if (t === '') return [];
    const out: number[] = [];
    for (const g of t.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 && head.length !== 8) return null;
  if (head.length + tail.length > (halves.length === 2 ? 7 : 8)) return null;
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const b = Buffer.alloc(16);
  all.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

/** An entity_addr_t for an IPv4 or IPv6 address and port (sockaddr as Ceph encodes it). */
export function makeEntityAddr(type: number, ip: Buffer, port: number, nonce = 0): EntityAddr {
  if (ip.length === 4) {
    const sa = Buffer.alloc(14);
    sa.writeUInt16BE(port, 0);
    ip.copy(sa, 2);
    return { type, nonce, family: AF_INET, sockaddr: sa };
  }
  const sa = Buffer.alloc(26);
  sa.writeUInt16BE(port, 0);
  ip.copy(sa, 6);
  return { type, nonce, family: AF_INET6, sockaddr: sa };
}

/** The port of an IPv4/IPv6 address (0 for an empty one). */
export function addrPort(a: EntityAddr): number {
  return a.family === AF_INET || a.family === AF_INET6 ? a.sockaddr.readUInt16BE(0) : 0;
}

function withPort(a: EntityAddr, port: number, type = a.type): EntityAddr {
  const sa = Buffer.from(a.sockaddr);
  sa.writeUInt16BE(port, 0);
  return { ...a, type, sockaddr: sa };
}

/**
 * entity_addr_t::parse of one address: optional "v1:" / "v2:" / "any:" prefix (TYPE_ANY when none),
 * IPv4 or bracketed IPv6, optional ":port", optional "/nonce". Null when the text is not an address.
 */
export function parseEntityAddr(text: string): EntityAddr | null {
  let s = text;
  let type: number = ENTITY_ADDR_TYPE_ANY;
  if (s.startsWith('v1:')) { type = ENTITY_ADDR_TYPE_LEGACY; s = s.slice(3); }
  else if (s.startsWith('v2:')) { type = ENTITY_ADDR_TYPE_MSGR2; s = s.slice(3); }
  else if (s.startsWith('any:')) { s = s.slice(4); }
  let nonce = 0;
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const n = s.slice(slash + 1);
    if (!/^[0-9]+$/.test(n) || Number(n) > 0xffffffff) return null;
    nonce = Number(n);
    s = s.slice(0, slash);
  }
  let ip: Buffer | null;
  let portText = '';
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    ip = parseIpv6(s.slice(1, close));
    const rest = s.slice(close + 1);
    if (rest.length) {
      if (!rest.startsWith(':')) return null;
      portText = rest.slice(1);
    }
  } else {
    const colon = s.indexOf(':');
    ip = parseIpv4(colon >= 0 ? s.slice(0, colon) : s);
    if (colon >= 0) portText = s.slice(colon + 1);
  }
  if (!ip) return null;
  let port = 0;
  if (portText.length) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) return null;
    port = Number(portText);
  }
  return makeEntityAddr(type, ip, port, nonce);
}

/** entity_addrvec_t::parse: "[a,b,...]" or one address. Null when any part is not an address. */
export function parseAddrVec(text: string): EntityAddrVec | null {
  const t = text.trim();
  if (t.startsWith('[') && t.endsWith(']') && !/^\[[0-9a-fA-F:]*\](:[0-9]+)?$/.test(t)) {
    const inner = t.slice(1, -1);
    if (!inner.length) return null;
    const out: EntityAddrVec = [];
    for (const part of inner.split(',')) {
      const a = parseEntityAddr(part.trim());
      if (!a) return null;
      out.push(a);
    }
    return out;
  }
  const a = parseEntityAddr(t);
  return a ? [a] : null;
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
