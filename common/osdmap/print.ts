// OSDMap::print as Ceph 16.2 prints it (`osdmaptool MAP --print`, `--dump plain`), and the C++ stream
// forms (operator<<) it is made of: utime_t, entity_addr_t / entity_addrvec_t, pg_t, snap interval
// sets, pg_pool_t, osd_info_t. Also OSDMap::get_features / get_min_compat_client, which the header
// and the dump both show. dump.ts and tree.ts build on the helpers here.
//
// Time zones: utime_t's operator<< prints local time (localtime_r and strftime's %z) in the process's
// time zone. Here the zone is an explicit input (ViewOptions.tz), UTC unless the caller passes one.
//
// Strings: names from a decoded map hold one byte per char (as crush/ decodes them), so sorting by
// code unit is Ceph's std::string order; the text returned holds the same one-byte chars.

import { formatDoubleG } from '../formatter.js';
import { hasIncompatChooseArgs } from '../../crush/encoding.js';
import {
  hasNondefaultTunables,
  hasNondefaultTunables2,
  hasNondefaultTunables3,
  hasNondefaultTunables5,
  hasV4Buckets,
  isV2Rule,
  isV3Rule,
  isV5Rule,
} from '../../crush/tunables.js';
import { compareEntityAddr } from './encoding.js';
import { UUID_ZERO, compareByteStrings, osdExists, osdIsUp, pgidToString } from './osdmap.js';
import { cephStrHashName } from './hash.js';
import {
  AF_INET,
  AF_INET6,
  CEPH_OSD_DEFAULT_PRIMARY_AFFINITY,
  CEPH_OSD_IN,
  CEPH_OSD_MAX_PRIMARY_AFFINITY,
  CephRelease,
  ENTITY_ADDR_TYPE_ANY,
  ENTITY_ADDR_TYPE_LEGACY,
  ENTITY_ADDR_TYPE_NONE,
  POOL_FLAG_HASHPSPOOL,
  type EntityAddr,
  type EntityAddrVec,
  type HitSetParams,
  type OSDMapData,
  type OsdInfo,
  type PgPool,
  type PoolOptValue,
  type SnapIntervalSet,
  type UTime,
} from './types.js';

// ---- time zones and utime_t ---------------------------------------------------------------------

/** The local-time rule utime_t's operator<< applies: the UTC offset, in seconds, at a UTC instant. */
export interface TimeZone {
  offsetSeconds(utcSec: number): number;
}

export const UTC: TimeZone = { offsetSeconds: () => 0 };

/** A zone with one fixed offset (seconds east of UTC). */
export function fixedOffsetZone(offsetSeconds: number): TimeZone {
  return { offsetSeconds: () => offsetSeconds };
}

/**
 * An IANA zone ("Europe/Paris") through Intl's tz database, or null when Intl does not know the name.
 * For shells that pass the process's TZ on; the views themselves never read it.
 */
export function ianaTimeZone(name: string): TimeZone | null {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return null;
  }
  return {
    offsetSeconds(utcSec: number): number {
      const parts = fmt.formatToParts(utcSec * 1000);
      const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
      const local = daysFromCivil(get('year'), get('month'), get('day')) * 86400 + get('hour') * 3600 + get('minute') * 60 + get('second');
      return local - utcSec;
    },
  };
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilFromDays(z: number): { y: number; m: number; d: number } {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length >= width ? s : '0'.repeat(width - s.length) + s);
}

/** Seconds below which utime_t prints itself as a relative "SEC.USEC" (ten 365-day years). */
const UTIME_RELATIVE_SEC = 60 * 60 * 24 * 365 * 10;

/**
 * utime_t's operator<< (utime_t::localtime): "SEC.USEC" for small values, else
 * "YYYY-MM-DDTHH:MM:SS.USEC+ZZZZ" in the given zone.
 */
export function formatUtime(t: UTime, tz: TimeZone = UTC): string {
  const sec = t.sec >>> 0;
  const usec = Math.floor((t.nsec >>> 0) / 1000);
  if (sec < UTIME_RELATIVE_SEC) return `${sec}.${pad(usec, 6)}`;
  const off = tz.offsetSeconds(sec);
  const local = sec + off;
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  const { y, m, d } = civilFromDays(days);
  const hh = Math.floor(rem / 3600);
  const mm = Math.floor((rem % 3600) / 60);
  const ss = rem % 60;
  const offMin = Math.trunc(off / 60);
  const zone = (offMin < 0 ? '-' : '+') + pad(Math.floor(Math.abs(offMin) / 60), 2) + pad(Math.abs(offMin) % 60, 2);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(usec, 6)}${zone}`;
}

// ---- addresses ----------------------------------------------------------------------------------

/** entity_addr_t::get_type_name. */
export function addrTypeName(type: number): string {
  switch (type) {
    case 0:
      return 'none';
    case 1:
      return 'v1';
    case 2:
      return 'v2';
    case 3:
      return 'any';
    case 4:
      return 'cidr';
    default:
      return '???';
  }
}

/** glibc's inet_ntop(AF_INET6): the longest run (2+ words) of zeros as "::", embedded IPv4 forms. */
export function formatIpv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

function port(sa: Buffer): number {
  return sa.length >= 2 ? sa.readUInt16BE(0) : 0;
}

/** operator<<(ostream&, const sockaddr*): "IP:PORT", "[IP6]:PORT" or the unrecognized-family text. */
export function formatSockaddr(a: EntityAddr): string {
  const sa = a.sockaddr;
  if (a.family === AF_INET) {
    const ip = Buffer.alloc(4);
    sa.copy(ip, 0, 2, Math.min(6, sa.length));
    return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}:${port(sa)}`;
  }
  if (a.family === AF_INET6) {
    const ip = Buffer.alloc(16);
    sa.copy(ip, 0, 6, Math.min(22, sa.length));
    return `[${formatIpv6(ip)}]:${port(sa)}`;
  }
  return `(unrecognized address family ${a.family})`;
}

/** entity_addr_t's operator<<: "-" for TYPE_NONE, "TYPE:" unless TYPE_ANY, then "SOCKADDR/NONCE". */
export function formatEntityAddr(a: EntityAddr): string {
  if (a.type === ENTITY_ADDR_TYPE_NONE) return '-';
  const prefix = a.type === ENTITY_ADDR_TYPE_ANY ? '' : addrTypeName(a.type) + ':';
  return `${prefix}${formatSockaddr(a)}/${a.nonce >>> 0}`;
}

/** A default-constructed entity_addr_t (type none, family 0). */
export const EMPTY_ADDR: Readonly<EntityAddr> = Object.freeze({ type: 0, nonce: 0, family: 0, sockaddr: Buffer.alloc(0) });

/** entity_addrvec_t's operator<<: nothing when empty, the address alone, or "[a,b]". */
export function formatAddrVec(v: EntityAddrVec): string {
  if (v.length === 0) return '';
  if (v.length === 1) return formatEntityAddr(v[0]!);
  return '[' + v.map(formatEntityAddr).join(',') + ']';
}

/** entity_addrvec_t::legacy_addr: the first v1 address, else an empty one. */
export function legacyAddr(v: EntityAddrVec): EntityAddr {
  for (const a of v) if (a.type === ENTITY_ADDR_TYPE_LEGACY) return a;
  return EMPTY_ADDR;
}

/** entity_addrvec_t::legacy_or_front_addr. */
export function legacyOrFrontAddr(v: EntityAddrVec): EntityAddr {
  for (const a of v) if (a.type === ENTITY_ADDR_TYPE_LEGACY) return a;
  return v[0] ?? EMPTY_ADDR;
}

/** entity_addrvec_t::get_legacy_str: "SOCKADDR/NONCE" of the legacy-or-front address, no type. */
export function addrVecLegacyStr(v: EntityAddrVec): string {
  const a = legacyOrFrontAddr(v);
  return `${formatSockaddr(a)}/${a.nonce >>> 0}`;
}

/** Bob Jenkins' 32-bit integer hash (Ceph's rjhash32). */
export function rjhash32(x: number): number {
  let a = x >>> 0;
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return a;
}

/**
 * std::hash<entity_addr_t>: Ceph's blobhash over the 36-byte struct (type, nonce, sockaddr union):
 * the XOR of its little-endian words, through rjhash32.
 */
export function entityAddrHash(a: EntityAddr): number {
  let acc = (a.type >>> 0) ^ (a.nonce >>> 0);
  const u = Buffer.alloc(28);
  u.writeUInt16LE(a.family & 0xffff, 0);
  a.sockaddr.copy(u, 2, 0, Math.min(a.sockaddr.length, 26));
  for (let i = 0; i < 28; i += 4) acc ^= u.readUInt32LE(i);
  return rjhash32(acc >>> 0);
}

/** libstdc++'s prime bucket counts (hashtable-aux.cc), as far as a map of a few million entries needs. */
const PRIMES = [
  2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 103, 109, 113, 127,
  137, 139, 149, 157, 167, 179, 193, 199, 211, 227, 241, 257, 277, 293, 313, 337, 359, 383, 409, 439, 467, 503, 541,
  577, 619, 661, 709, 761, 823, 887, 953, 1031, 1109, 1193, 1289, 1381, 1493, 1613, 1741, 1879, 2029, 2179, 2357,
  2549, 2753, 2971, 3209, 3469, 3739, 4027, 4349, 4703, 5087, 5503, 5953, 6427, 6949, 7517, 8123, 8783, 9497, 10273,
  11113, 12011, 12983, 14033, 15173, 16411, 17749, 19183, 20753, 22447, 24281, 26267, 28411, 30727, 33223, 35933,
  38873, 42043, 45481, 49201, 53201, 57557, 62233, 67307, 72817, 78779, 85229, 92203, 99733, 107897, 116731,
  126271, 136607, 147793, 159871, 172933, 187091, 202409, 218971, 236897, 256279, 277261, 299951, 324503, 351061,
  379787, 410857, 444487, 480881, 520241, 562841, 608903, 658753, 712697, 771049, 834181, 902483, 976369,
  1056323, 1142821, 1236397, 1337629, 1447153, 1565659, 1693859, 1832561, 1982627, 2144977, 2320627, 2510653,
  2716249, 2938679, 3179303, 3439651, 3721303, 4026031, 4355707, 4712381, 5098259, 5515729, 5967347,
];
const FAST_BKT = [2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13];

/**
 * The iteration order of a libstdc++ std::unordered_map (max load factor 1) after inserting `hashes`
 * one by one into an empty map, as Ceph's decode of an unordered_map does: indexes into `hashes`.
 */
export function unorderedMapOrder(hashes: readonly number[]): number[] {
  let nBkt = 1;
  let nextResize = 0;
  let buckets: number[] = [-1]; // bucket -> node before its first node (-2: before-begin), -1 empty
  const next: number[] = [];
  let head = -1; // before-begin's next
  const BEFORE = -2;
  const nextBkt = (n: number): number => {
    if (n < FAST_BKT.length) {
      const b = FAST_BKT[n]!;
      nextResize = b;
      return b;
    }
    let lo = 6;
    let hi = PRIMES.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (PRIMES[mid]! < n) lo = mid + 1;
      else hi = mid;
    }
    nextResize = PRIMES[lo]!;
    return PRIMES[lo]!;
  };
  const rehash = (count: number): void => {
    const nb: number[] = new Array<number>(count).fill(-1);
    let p = head;
    head = -1;
    let bbegin = 0;
    while (p !== -1) {
      const nx = next[p]!;
      const b = hashes[p]! % count;
      if (nb[b] === -1) {
        next[p] = head;
        head = p;
        nb[b] = BEFORE;
        if (next[p] !== -1) nb[bbegin] = p;
        bbegin = b;
      } else {
        const before = nb[b]!;
        if (before === BEFORE) {
          next[p] = head;
          head = p;
        } else {
          next[p] = next[before]!;
          next[before] = p;
        }
      }
      p = nx;
    }
    buckets = nb;
    nBkt = count;
  };
  for (let i = 0; i < hashes.length; i++) {
    // _M_need_rehash(n_bkt, n_elt = i, n_ins = 1)
    if (i + 1 > nextResize) {
      const minBkts = Math.max(i + 1, nextResize ? 0 : 11);
      if (minBkts >= nBkt) rehash(nextBkt(Math.max(minBkts + 1, nBkt * 2)));
      else nextResize = nBkt;
    }
    const b = hashes[i]! % nBkt;
    const before = buckets[b]!;
    if (before !== -1) {
      if (before === BEFORE) {
        next[i] = head;
        head = i;
      } else {
        next[i] = next[before]!;
        next[before] = i;
      }
    } else {
      next[i] = head;
      head = i;
      if (next[i] !== -1) buckets[hashes[next[i]!]! % nBkt] = i;
      buckets[b] = BEFORE;
    }
  }
  const order: number[] = [];
  for (let p = head; p !== -1; p = next[p]!) order.push(p);
  return order;
}

/**
 * OSDMap::blocklist's iteration order. Pacific keeps it in an unordered_map<entity_addr_t, utime_t>,
 * so its order is the hash table's after decoding the entries in the order they were encoded; the
 * model's Map keeps that order, so this is the order osdmaptool prints after decoding them.
 */
export function sortedBlocklist(m: ReadonlyMap<string, { addr: EntityAddr; until: UTime }>): Array<{ addr: EntityAddr; until: UTime }> {
  const entries = [...m.values()];
  return unorderedMapOrder(entries.map((e) => entityAddrHash(e.addr))).map((i) => entries[i]!);
}

/** Entries of a std::map<entity_addr_t, utime_t> (range_blocklist, an incremental's new_blocklist). */
export function addrMapEntries(m: ReadonlyMap<string, { addr: EntityAddr; until: UTime }>): Array<{ addr: EntityAddr; until: UTime }> {
  return [...m.values()].sort((x, y) => compareEntityAddr(x.addr, y.addr));
}

// ---- small value forms --------------------------------------------------------------------------

const CEPH_NOSNAP = 0xfffffffffffffffen;
const CEPH_SNAPDIR = 0xffffffffffffffffn;

/** snapid_t's operator<<: hex, or "head" / "snapdir". */
export function formatSnapid(s: bigint): string {
  if (s === CEPH_NOSNAP) return 'head';
  if (s === CEPH_SNAPDIR) return 'snapdir';
  return BigInt.asUintN(64, s).toString(16);
}

/** interval_set<snapid_t>'s operator<<: "[START~LEN,...]" with both in snapid_t (hex) form. */
export function formatSnapIntervalSet(s: SnapIntervalSet): string {
  return '[' + s.map((r) => `${formatSnapid(r.start)}~${formatSnapid(r.len)}`).join(',') + ']';
}

/** vector<int>'s operator<<: "[1,2,3]". */
export function formatIntVector(v: readonly number[]): string {
  return '[' + v.join(',') + ']';
}

/** A float or double through an ostream with the default precision (6 significant digits). */
export function formatStreamFloat(v: number): string {
  return formatDoubleG(v, 6);
}

/** ceph_release_name (Pacific knows names up to pacific; anything else is "unknown"). */
export function cephReleaseName(r: number): string {
  return r > 0 && r < RELEASE_NAMES.length ? RELEASE_NAMES[r]! : 'unknown';
}

/** ceph_release_t names by number (CephRelease numbers them 0..pacific without gaps). */
const RELEASE_NAMES: readonly string[] = Object.keys(CephRelease);

/** OSDMap flag names, in the order OSDMap::get_flag_string lists them (Pacific: no noautoscale). */
const OSDMAP_FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [1 << 2, 'pauserd'],
  [1 << 3, 'pausewr'],
  [1 << 4, 'pauserec'],
  [1 << 5, 'noup'],
  [1 << 6, 'nodown'],
  [1 << 7, 'noout'],
  [1 << 8, 'noin'],
  [1 << 9, 'nobackfill'],
  [1 << 14, 'norebalance'],
  [1 << 10, 'norecover'],
  [1 << 11, 'noscrub'],
  [1 << 12, 'nodeep-scrub'],
  [1 << 13, 'notieragent'],
  [1 << 21, 'nosnaptrim'],
  [1 << 15, 'sortbitwise'],
  [1 << 16, 'require_jewel_osds'],
  [1 << 17, 'require_kraken_osds'],
  [1 << 18, 'require_luminous_osds'],
  [1 << 19, 'recovery_deletes'],
  [1 << 20, 'purged_snapdirs'],
  [1 << 22, 'pglog_hardlimit'],
];

/** OSDMap::get_flag_string: the named flags, comma separated. */
export function osdmapFlagString(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of OSDMAP_FLAG_NAMES) if (flags & bit) names.push(name);
  return names.join(',');
}

/** OSDMap::get_flag_set: the name of each set bit, as a sorted set (unnamed bits give ""). */
export function osdmapFlagSet(flags: number): string[] {
  const set = new Set<string>();
  for (let i = 0; i < 32; i++) {
    const bit = (1 << i) >>> 0;
    if ((flags >>> 0) & bit) set.add(osdmapFlagString(bit | 0));
  }
  return [...set].sort();
}

/** ceph_osd_state_name. */
export function osdStateName(bit: number): string {
  switch (bit) {
    case 1 << 0:
      return 'exists';
    case 1 << 1:
      return 'up';
    case 1 << 2:
      return 'autoout';
    case 1 << 3:
      return 'new';
    case 1 << 4:
      return 'full';
    case 1 << 5:
      return 'nearfull';
    case 1 << 6:
      return 'backfillfull';
    case 1 << 7:
      return 'destroyed';
    case 1 << 8:
      return 'noup';
    case 1 << 9:
      return 'nodown';
    case 1 << 10:
      return 'noin';
    case 1 << 11:
      return 'noout';
    case 1 << 12:
      return 'stop';
    default:
      return '???';
  }
}

/** OSDMap::calc_state_set: the state bits' names as a sorted set. */
export function osdStateSet(state: number): string[] {
  const set = new Set<string>();
  let t = state >>> 0;
  for (let i = 0; i < 32 && t; i++) {
    const bit = (1 << i) >>> 0;
    if (t & bit) {
      t = (t & ~bit) >>> 0;
      set.add(osdStateName(bit | 0));
    }
  }
  return [...set].sort();
}

// ---- pg_pool_t ----------------------------------------------------------------------------------

/** pg_pool_t::get_flag_name as 16.2.15 has it (bulk is bit 17; eio has no name). */
export function poolFlagName(bit: number): string {
  switch (bit) {
    case 1 << 0:
      return 'hashpspool';
    case 1 << 1:
      return 'full';
    case 1 << 2:
      return 'ec_overwrites';
    case 1 << 3:
      return 'incomplete_clones';
    case 1 << 4:
      return 'nodelete';
    case 1 << 5:
      return 'nopgchange';
    case 1 << 6:
      return 'nosizechange';
    case 1 << 7:
      return 'write_fadvise_dontneed';
    case 1 << 8:
      return 'noscrub';
    case 1 << 9:
      return 'nodeep-scrub';
    case 1 << 10:
      return 'full_quota';
    case 1 << 11:
      return 'nearfull';
    case 1 << 12:
      return 'backfillfull';
    case 1 << 13:
      return 'selfmanaged_snaps';
    case 1 << 14:
      return 'pool_snaps';
    case 1 << 15:
      return 'creating';
    // FLAG_EIO (1 << 16) has no name in 16.2.15's get_flag_name: osdmaptool prints "???"
    case 1 << 17:
      return 'bulk';
    default:
      return '???';
  }
}

/** pg_pool_t::get_flags_string: each set bit's name, comma separated. */
export function poolFlagsString(flags: number): string {
  const names: string[] = [];
  let f = flags;
  for (let n = 0; f > 0 && n < 64; n++) {
    const bit = 2 ** n;
    if (Math.floor(f / bit) % 2 === 1) {
      names.push(n < 31 ? poolFlagName(1 << n) : '???');
      f -= bit;
    }
  }
  return names.join(',');
}

/** pg_pool_t::get_type_name. */
export function poolTypeName(type: number): string {
  return type === 1 ? 'replicated' : type === 3 ? 'erasure' : '???';
}

/** pg_pool_t::get_cache_mode_name. */
export function cacheModeName(m: number): string {
  const names = ['none', 'writeback', 'forward', 'readonly', 'readforward', 'readproxy', 'proxy'];
  return names[m] ?? 'unknown';
}

/** pg_pool_t::get_pg_autoscale_mode_name. */
export function autoscaleModeName(m: number): string {
  return m === 0 ? 'off' : m === 1 ? 'warn' : m === 2 ? 'on' : '???';
}
const AUTOSCALE_UNKNOWN = 0xff;

/** HitSet::get_type_name. */
export function hitSetTypeName(t: number): string {
  const names = ['none', 'explicit_hash', 'explicit_object', 'bloom'];
  return names[t] ?? '???';
}

/** BloomHitSet::Params, read from the encoded parameters (a v1 struct: fpp_micro, target_size, seed). */
export function bloomParams(p: HitSetParams): { fppMicro: number; targetSize: bigint; seed: bigint } {
  const b = p.impl;
  const at = 6; // struct_v, struct_compat, struct_len
  return {
    fppMicro: b.length >= at + 4 ? b.readUInt32LE(at) : 0,
    targetSize: b.length >= at + 12 ? b.readBigUInt64LE(at + 4) : 0n,
    seed: b.length >= at + 20 ? b.readBigUInt64LE(at + 12) : 0n,
  };
}

/** HitSet::Params's operator<<: "TYPE{PARAMS}". */
export function formatHitSetParams(p: HitSetParams): string {
  let out = hitSetTypeName(p.type);
  if (p.type === 1 || p.type === 2) out += '{';
  if (p.type === 3) {
    const b = bloomParams(p);
    out += `{false_positive_probability: ${formatStreamFloat(b.fppMicro / 1000000)}, target_size: ${b.targetSize}, seed: ${b.seed}`;
  }
  return out + '}';
}

/**
 * pool_opts_t's option names by key (Pacific 16.2's enum order); output walks them sorted by name,
 * as Ceph's std::map<string, opt_desc_t> does.
 */
export const POOL_OPT_NAMES: readonly string[] = [
  'scrub_min_interval',
  'scrub_max_interval',
  'deep_scrub_interval',
  'recovery_priority',
  'recovery_op_priority',
  'scrub_priority',
  'compression_mode',
  'compression_algorithm',
  'compression_required_ratio',
  'compression_max_blob_size',
  'compression_min_blob_size',
  'csum_type',
  'csum_max_block',
  'csum_min_block',
  'fingerprint_algorithm',
  'pg_num_min',
  'target_size_bytes',
  'target_size_ratio',
  'pg_autoscale_bias',
  'read_lease_interval',
  'dedup_tier',
  'dedup_chunk_algorithm',
  'dedup_cdc_chunk_size',
  'pg_num_max',
];

/** The options that are set, as (name, value) in Ceph's name order. */
export function poolOptsSorted(opts: ReadonlyMap<number, PoolOptValue>): Array<[string, PoolOptValue]> {
  const out: Array<[string, PoolOptValue]> = [];
  for (const [key, v] of opts) {
    const name = POOL_OPT_NAMES[key];
    if (name !== undefined) out.push([name, v]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The boost::variant<string, int64, double> of a pool option through an ostream. */
export function formatPoolOptValue(v: PoolOptValue): string {
  if (v.type === 'str') return v.value;
  if (v.type === 'int') return String(v.value);
  return formatStreamFloat(v.value);
}

/** pg_pool_t::calc_grade_table, which Ceph runs after decoding a pool. */
export function poolGradeTable(p: PgPool): number[] {
  const out: number[] = [];
  let v = 1000000;
  for (let i = 0; i < (p.hitSetCount >>> 0); i++) {
    v = Math.trunc(v * (1 - p.hitSetGradeDecayRate / 100.0)) >>> 0;
    out.push(v);
  }
  return out;
}

/** pg_pool_t's operator<< (the part after "pool N 'name' "). */
export function formatPgPool(p: PgPool): string {
  let out = poolTypeName(p.type);
  if (p.type === 3) out += ` profile ${p.erasureCodeProfile}`;
  out += ` size ${p.size} min_size ${p.minSize} crush_rule ${p.crushRule} object_hash ${cephStrHashName(p.objectHash)}`;
  out += ` pg_num ${p.pgNum >>> 0} pgp_num ${p.pgpNum >>> 0}`;
  if (p.pgNumTarget !== p.pgNum) out += ` pg_num_target ${p.pgNumTarget >>> 0}`;
  if (p.pgpNumTarget !== p.pgpNum) out += ` pgp_num_target ${p.pgpNumTarget >>> 0}`;
  if (p.pgNumPending !== p.pgNum) out += ` pg_num_pending ${p.pgNumPending >>> 0}`;
  if (p.pgAutoscaleMode !== AUTOSCALE_UNKNOWN) out += ` autoscale_mode ${autoscaleModeName(p.pgAutoscaleMode)}`;
  out += ` last_change ${p.lastChange >>> 0}`;
  if (p.lastForceOpResend || p.lastForceOpResendPrenautilus || p.lastForceOpResendPreluminous) {
    out += ` lfor ${p.lastForceOpResend >>> 0}/${p.lastForceOpResendPrenautilus >>> 0}/${p.lastForceOpResendPreluminous >>> 0}`;
  }
  if (p.auid) out += ` owner ${BigInt.asUintN(64, p.auid)}`;
  if (p.flags) out += ` flags ${poolFlagsString(p.flags)}`;
  if (p.quotaMaxBytes) out += ` max_bytes ${BigInt.asUintN(64, p.quotaMaxBytes)}`;
  if (p.quotaMaxObjects) out += ` max_objects ${BigInt.asUintN(64, p.quotaMaxObjects)}`;
  if (p.tiers.length) out += ` tiers ${[...p.tiers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',')}`;
  if (p.tierOf >= 0) out += ` tier_of ${p.tierOf}`;
  if (p.readTier >= 0) out += ` read_tier ${p.readTier}`;
  if (p.writeTier >= 0) out += ` write_tier ${p.writeTier}`;
  if (p.cacheMode) out += ` cache_mode ${cacheModeName(p.cacheMode)}`;
  if (p.targetMaxBytes) out += ` target_bytes ${BigInt.asUintN(64, p.targetMaxBytes)}`;
  if (p.targetMaxObjects) out += ` target_objects ${BigInt.asUintN(64, p.targetMaxObjects)}`;
  if (p.hitSetParams.type !== 0) {
    out += ` hit_set ${formatHitSetParams(p.hitSetParams)} ${p.hitSetPeriod >>> 0}s x${p.hitSetCount >>> 0}`;
    out += ` decay_rate ${p.hitSetGradeDecayRate >>> 0} search_last_n ${p.hitSetSearchLastN >>> 0}`;
  }
  // both recency fields are u32 in Pacific's pg_pool_t
  if (p.minReadRecencyForPromote) out += ` min_read_recency_for_promote ${p.minReadRecencyForPromote >>> 0}`;
  if (p.minWriteRecencyForPromote) out += ` min_write_recency_for_promote ${p.minWriteRecencyForPromote >>> 0}`;
  out += ` stripe_width ${p.stripeWidth >>> 0}`;
  if (p.expectedNumObjects) out += ` expected_num_objects ${BigInt.asUintN(64, p.expectedNumObjects)}`;
  if (p.fastRead) out += ' fast_read 1';
  for (const [name, v] of poolOptsSorted(p.opts)) out += ` ${name} ${formatPoolOptValue(v)}`;
  if (p.applicationMetadata.size) {
    out += ' application ' + [...p.applicationMetadata.keys()].sort(compareByteStrings).join(',');
  }
  return out;
}

// ---- OSDs ---------------------------------------------------------------------------------------

/** osd_info_t's operator<<. */
export function formatOsdInfo(i: OsdInfo): string {
  let out = `up_from ${i.upFrom >>> 0} up_thru ${i.upThru >>> 0} down_at ${i.downAt >>> 0}`;
  out += ` last_clean_interval [${i.lastCleanBegin >>> 0},${i.lastCleanEnd >>> 0})`;
  if (i.lostAt) out += ` lost_at ${i.lostAt >>> 0}`;
  return out;
}

// OSDMap::exists / is_up over the plain data (the views take OSDMapData, not the class)
/** OSDMap::get_weightf: the 16.16 reweight as Ceph's float. */
export function osdWeightf(m: OSDMapData, osd: number): number {
  return Math.fround(Math.fround((m.osdWeight[osd] ?? 0) >>> 0) / CEPH_OSD_IN);
}

/** The OSD's 16.16 primary affinity (the default when the map has no affinity vector). */
export function osdPrimaryAffinity(m: OSDMapData, osd: number): number {
  return m.osdPrimaryAffinity ? (m.osdPrimaryAffinity[osd] ?? CEPH_OSD_DEFAULT_PRIMARY_AFFINITY) >>> 0 : CEPH_OSD_DEFAULT_PRIMARY_AFFINITY;
}

/** OSDMap::get_primary_affinityf. */
export function osdPrimaryAffinityf(m: OSDMapData, osd: number): number {
  return Math.fround(Math.fround(osdPrimaryAffinity(m, osd)) / CEPH_OSD_MAX_PRIMARY_AFFINITY);
}

/** OSDMap::print_osd: one "osd.N up   in  weight ..." line (empty for an OSD that does not exist). */
export function formatOsdLine(m: OSDMapData, id: number): string {
  if (!osdExists(m, id)) return '';
  let out = `osd.${id}`;
  out += osdIsUp(m, id) ? ' up  ' : ' down';
  out += (m.osdWeight[id] ?? 0) >>> 0 !== 0 ? ' in ' : ' out';
  out += ` weight ${formatStreamFloat(osdWeightf(m, id))}`;
  if (osdPrimaryAffinity(m, id) !== CEPH_OSD_DEFAULT_PRIMARY_AFFINITY) {
    out += ` primary_affinity ${formatStreamFloat(osdPrimaryAffinityf(m, id))}`;
  }
  out += ` ${formatOsdInfo(m.osdInfo[id]!)}`;
  out += ` ${formatAddrVec(m.clientAddrs[id] ?? [])} ${formatAddrVec(m.clusterAddrs[id] ?? [])}`;
  out += ` ${osdStateSet(m.osdState[id] ?? 0).join(',')}`;
  const uuid = m.osdUuid[id] ?? UUID_ZERO;
  if (uuid !== UUID_ZERO) out += ` ${uuid}`;
  return out + '\n';
}

// ---- OSDMap::get_features / get_min_compat_client ------------------------------------------------

/** Feature bits (include/ceph_features.h); the *_MASK values carry the incarnation bits, as Ceph's masks do. */
export const CephFeature = {
  CRUSH_TUNABLES: 1n << 18n,
  CRUSH_TUNABLES2: 1n << 25n,
  OSDHASHPSPOOL: 1n << 30n,
  OSD_CACHEPOOL: 1n << 35n,
  CRUSH_V2: 1n << 36n,
  CRUSH_TUNABLES3: 1n << 41n,
  OSD_PRIMARY_AFFINITY: 1n << 41n,
  CRUSH_V4: 1n << 48n,
  SERVER_JEWEL: 1n << 57n,
  CRUSH_TUNABLES5: 1n << 58n,
  MSG_ADDR2: 1n << 59n,
  /** OSDMAP_PG_UPMAP and CRUSH_CHOOSE_ARGS share bit 21 of incarnation 2 (luminous). */
  OSDMAP_PG_UPMAP_MASK: (1n << 21n) | (1n << 57n),
  CRUSH_CHOOSE_ARGS_MASK: (1n << 21n) | (1n << 57n),
  /** bit 14 of incarnation 2 */
  SERVER_KRAKEN_MASK: (1n << 14n) | (1n << 57n),
  /** bit 61 of incarnation 1 */
  CEPHX_V2_MASK: 1n << 61n,
  /** bit 40 of incarnation 2, from memory of Pacific's ceph_features.h: not checked */
  STRETCH_MODE_MASK: (1n << 40n) | (1n << 57n),
} as const;

export const CEPH_ENTITY_TYPE_OSD = 0x04;
export const CEPH_ENTITY_TYPE_CLIENT = 0x08;

function haveFeature(f: bigint, mask: bigint): boolean {
  return (f & mask) === mask;
}

/**
 * OSDMap::get_features(entity_type): the features a peer of that type needs to use this map.
 * Only the client answer is checked against Ceph (through min_compat_client); the OSD-only server
 * bits follow Pacific's code but are not compared with a tool.
 */
export function getFeatures(m: OSDMapData, entityType: number): bigint {
  const crush = m.crush.crush;
  let features = 0n;
  if (hasNondefaultTunables(crush)) features |= CephFeature.CRUSH_TUNABLES;
  if (hasNondefaultTunables2(crush)) features |= CephFeature.CRUSH_TUNABLES2;
  if (hasNondefaultTunables3(crush)) features |= CephFeature.CRUSH_TUNABLES3;
  if (hasV4Buckets(crush)) features |= CephFeature.CRUSH_V4;
  if (hasNondefaultTunables5(crush)) features |= CephFeature.CRUSH_TUNABLES5;
  if (hasIncompatChooseArgs(m.crush.names)) features |= CephFeature.CRUSH_CHOOSE_ARGS_MASK;
  if (m.pgUpmap.size || m.pgUpmapItems.size) features |= CephFeature.OSDMAP_PG_UPMAP_MASK;
  for (const pool of m.pools.values()) {
    if (pool.flags & POOL_FLAG_HASHPSPOOL) features |= CephFeature.OSDHASHPSPOOL;
    if (pool.tiers.length || pool.tierOf >= 0) features |= CephFeature.OSD_CACHEPOOL;
    const rule = pool.crushRule;
    if (rule >= 0) {
      if (isV2Rule(crush, rule)) features |= CephFeature.CRUSH_V2;
      if (isV3Rule(crush, rule)) features |= CephFeature.CRUSH_TUNABLES3;
      if (isV5Rule(crush, rule)) features |= CephFeature.CRUSH_TUNABLES5;
    }
  }
  if (m.osdPrimaryAffinity) {
    for (let i = 0; i < m.maxOsd; i++) {
      if ((m.osdPrimaryAffinity[i] ?? CEPH_OSD_DEFAULT_PRIMARY_AFFINITY) !== CEPH_OSD_DEFAULT_PRIMARY_AFFINITY) {
        features |= CephFeature.OSD_PRIMARY_AFFINITY;
        break;
      }
    }
  }
  if (entityType === CEPH_ENTITY_TYPE_OSD) {
    if (m.requireOsdRelease >= CephRelease.jewel) features |= CephFeature.SERVER_JEWEL;
    if (m.requireOsdRelease >= CephRelease.kraken) features |= CephFeature.SERVER_KRAKEN_MASK | CephFeature.MSG_ADDR2;
    if (m.stretchModeEnabled) features |= CephFeature.STRETCH_MODE_MASK;
  }
  if (m.requireMinCompatClient >= CephRelease.nautilus) {
    features |= CephFeature.CEPHX_V2_MASK;
  } else if (m.requireOsdRelease >= CephRelease.nautilus && entityType === CEPH_ENTITY_TYPE_OSD) {
    features |= CephFeature.CEPHX_V2_MASK;
  }
  return features;
}

/** OSDMap::get_min_compat_client: the oldest client release that can use this map. */
export function getMinCompatClient(m: OSDMapData): number {
  const f = getFeatures(m, CEPH_ENTITY_TYPE_CLIENT);
  if (haveFeature(f, CephFeature.OSDMAP_PG_UPMAP_MASK) || haveFeature(f, CephFeature.CRUSH_CHOOSE_ARGS_MASK)) {
    return CephRelease.luminous;
  }
  if (haveFeature(f, CephFeature.CRUSH_TUNABLES5)) return CephRelease.jewel;
  if (haveFeature(f, CephFeature.CRUSH_V4)) return CephRelease.hammer;
  if (
    haveFeature(f, CephFeature.OSD_PRIMARY_AFFINITY) ||
    haveFeature(f, CephFeature.CRUSH_TUNABLES3) ||
    haveFeature(f, CephFeature.OSD_CACHEPOOL)
  ) {
    return CephRelease.firefly;
  }
  if (haveFeature(f, CephFeature.CRUSH_TUNABLES2) || haveFeature(f, CephFeature.OSDHASHPSPOOL)) return CephRelease.dumpling;
  return CephRelease.argonaut;
}

// ---- OSDMap::print ------------------------------------------------------------------------------

/** OSDMap::get_cluster_snapshot: the name only in the epoch it was taken, else empty. */
export function clusterSnapshot(m: OSDMapData): string {
  return m.clusterSnapshotEpoch === m.epoch ? m.clusterSnapshot : '';
}

/** Inputs the views take besides the map. */
export interface ViewOptions {
  /** The zone utime_t values print in (Ceph uses the process's local time); UTC by default. */
  tz?: TimeZone;
}

/** OSDMap::print_pools: one line per pool, its snaps and removed snaps, then a blank line. */
export function printPools(m: OSDMapData, tz: TimeZone = UTC): string {
  let out = '';
  for (const id of [...m.pools.keys()].sort((a, b) => a - b)) {
    const p = m.pools.get(id)!;
    const name = m.poolName.get(id) ?? '<unknown>';
    out += `pool ${id} '${name}' ${formatPgPool(p)}\n`;
    for (const snapid of [...p.snaps.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const s = p.snaps.get(snapid)!;
      out += `\tsnap ${formatSnapid(s.snapid)} '${s.name}' ${formatUtime(s.stamp, tz)}\n`;
    }
    if (p.removedSnaps.length) out += `\tremoved_snaps ${formatSnapIntervalSet(p.removedSnaps)}\n`;
    const q = m.removedSnapsQueue.get(id);
    if (q !== undefined) out += `\tremoved_snaps_queue ${formatSnapIntervalSet(q)}\n`;
  }
  return out + '\n';
}

/** Exactly what OSDMap::print writes (osdmaptool --print, --dump plain). */
export function printOSDMap(m: OSDMapData, opts: ViewOptions = {}): string {
  const tz = opts.tz ?? UTC;
  let out = `epoch ${m.epoch >>> 0}\nfsid ${m.fsid}\ncreated ${formatUtime(m.created, tz)}\nmodified ${formatUtime(m.modified, tz)}\n`;
  out += `flags ${osdmapFlagString(m.flags)}\n`;
  out += `crush_version ${m.crushVersion >>> 0}\n`;
  out += `full_ratio ${formatStreamFloat(Math.fround(m.fullRatio))}\n`;
  out += `backfillfull_ratio ${formatStreamFloat(Math.fround(m.backfillfullRatio))}\n`;
  out += `nearfull_ratio ${formatStreamFloat(Math.fround(m.nearfullRatio))}\n`;
  if (m.requireMinCompatClient !== CephRelease.unknown) {
    out += `require_min_compat_client ${cephReleaseName(m.requireMinCompatClient)}\n`;
  }
  out += `min_compat_client ${cephReleaseName(getMinCompatClient(m))}\n`;
  if (m.requireOsdRelease > CephRelease.unknown) out += `require_osd_release ${cephReleaseName(m.requireOsdRelease)}\n`;
  out += `stretch_mode_enabled ${m.stretchModeEnabled ? 'true' : 'false'}\n`;
  if (m.stretchModeEnabled) {
    out += `stretch_bucket_count ${m.stretchBucketCount >>> 0}\n`;
    out += `degraded_stretch_mode ${m.degradedStretchMode >>> 0}\n`;
    out += `recovering_stretch_mode ${m.recoveringStretchMode >>> 0}\n`;
    out += `stretch_mode_bucket ${m.stretchModeBucket | 0}\n`;
  }
  const snap = clusterSnapshot(m);
  if (snap.length) out += `cluster_snapshot ${snap}\n`;
  out += '\n';
  out += printPools(m, tz);
  out += `max_osd ${m.maxOsd}\n`;
  for (let i = 0; i < m.maxOsd; i++) out += formatOsdLine(m, i);
  out += '\n';
  for (const [pg, osds] of m.pgUpmap.sortedEntries()) out += `pg_upmap ${pgidToString(pg)} ${formatIntVector(osds)}\n`;
  for (const [pg, items] of m.pgUpmapItems.sortedEntries()) {
    out += `pg_upmap_items ${pgidToString(pg)} ${formatIntVector(items.flat())}\n`;
  }
  for (const [pg, osds] of m.pgTemp.sortedEntries()) out += `pg_temp ${pgidToString(pg)} ${formatIntVector(osds)}\n`;
  for (const [pg, osd] of m.primaryTemp.sortedEntries()) out += `primary_temp ${pgidToString(pg)} ${osd}\n`;
  for (const e of sortedBlocklist(m.blocklist)) {
    out += `blocklist ${formatEntityAddr(e.addr)} expires ${formatUtime(e.until, tz)}\n`;
  }
  for (const e of addrMapEntries(m.rangeBlocklist)) {
    out += `range blocklist ${formatEntityAddr(e.addr)} expires ${formatUtime(e.until, tz)}\n`;
  }
  return out;
}
