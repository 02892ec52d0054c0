// The MonMap codec: Ceph 16's MonMap::encode / decode byte for byte (src/mon/MonMap.cc, mon_info_t,
// mon_feature_t), including the older layouts Ceph still writes for peers without the features:
//   - no MONNAMES:           u16 v1, fsid, epoch, vector<entity_inst_t> by rank, last_changed, created
//   - no MONENC:             u16 v2, fsid, epoch, map<name, legacy addr>, last_changed, created
//   - no SERVER_NAUTILUS:    struct v5 (compat 3) with the legacy addr map and mon_info_t v2
//   - Pacific (the default): struct v9 (compat 6): no addr map, ranks encoded, removed ranks, election
//                            strategy, disallowed leaders and the stretch-mode fields.
// Decoding reads all of them (struct_v 1..9; v1/v2 carried a u16 version, whose high byte is skipped).
// Ranks: encoded from v6 on; for older maps Ceph derives them (calc_legacy_ranks): monitors ordered
// by their legacy-or-front address (entity_addr_t order), then by name.

import { Decoder, Encoder } from '../encoding.js';
import {
  compareEntityAddr,
  decodeAddrVec,
  decodeEntityAddr,
  encodeAddrVec,
  encodeEntityAddr,
  legacyAddr,
  legacyOrFrontAddr,
  uuidFromBytes,
  uuidToBytes,
  CephRelease,
  ENTITY_ADDR_TYPE_ANY,
  ENTITY_ADDR_TYPE_LEGACY,
  type EntityAddr,
  type UTime,
} from '../osdmap/index.js';
import { ElectionStrategy, type MonInfo, type MonMap } from './types.js';

// ---- connection features the encoding depends on (include/ceph_features.h) -----------------------

/** CEPH_FEATURE_MONNAMES (bit 5). */
export const FEATURE_MONNAMES = 1n << 5n;
/** CEPH_FEATURE_MONENC (bit 33). */
export const FEATURE_MONENC = 1n << 33n;
/** CEPH_FEATURE_MSG_ADDR2 (bit 59). */
export const FEATURE_MSG_ADDR2 = 1n << 59n;
/** CEPH_FEATUREMASK_SERVER_NAUTILUS: bit 2 of incarnation 3 (bits 57 and 28). */
export const FEATUREMASK_SERVER_NAUTILUS = (1n << 2n) | (1n << 57n) | (1n << 28n);
/** CEPH_FEATURES_ALL as far as the MonMap cares: every bit (Ceph encodes stored maps with it). */
export const MONMAP_FEATURES_ALL = 0xffff_ffff_ffff_ffffn;

export function hasFeature(features: bigint, mask: bigint): boolean {
  return (features & mask) === mask;
}

// ---- mon_feature_t (mon/mon_types.h, ceph::features::mon) -----------------------------------------

export const MonFeature = {
  KRAKEN: 1n << 0n,
  LUMINOUS: 1n << 1n,
  MIMIC: 1n << 2n,
  OSDMAP_PRUNE: 1n << 3n,
  NAUTILUS: 1n << 4n,
  OCTOPUS: 1n << 5n,
  PACIFIC: 1n << 6n,
  PINGING: 1n << 7n,
} as const;

/** Feature names by bit, as mon_feature_t::dump / print list them. */
export const MON_FEATURE_NAMES: ReadonlyArray<[bigint, string]> = [
  [MonFeature.KRAKEN, 'kraken'],
  [MonFeature.LUMINOUS, 'luminous'],
  [MonFeature.MIMIC, 'mimic'],
  [MonFeature.OSDMAP_PRUNE, 'osdmap-prune'],
  [MonFeature.NAUTILUS, 'nautilus'],
  [MonFeature.OCTOPUS, 'octopus'],
  [MonFeature.PACIFIC, 'pacific'],
  [MonFeature.PINGING, 'elector-pinging'],
];

/** ceph::features::mon::get_supported() in Pacific: every feature above. */
export const MON_FEATURES_SUPPORTED = 0xffn;

/** infer_ceph_release_from_mon_features. */
export function inferReleaseFromMonFeatures(f: bigint): number {
  if (f & MonFeature.PACIFIC) return CephRelease.pacific;
  if (f & MonFeature.OCTOPUS) return CephRelease.octopus;
  if (f & MonFeature.NAUTILUS) return CephRelease.nautilus;
  if (f & MonFeature.MIMIC) return CephRelease.mimic;
  if (f & MonFeature.LUMINOUS) return CephRelease.luminous;
  if (f & MonFeature.KRAKEN) return CephRelease.kraken;
  return CephRelease.unknown;
}

function encodeMonFeature(e: Encoder, f: bigint): void {
  e.startStruct(1, 1).u64Big(f).finishStruct();
}

function decodeMonFeature(d: Decoder, what: string): bigint {
  d.decodeStart(1, what);
  const f = d.u64Big(what);
  d.decodeFinish(what);
  return f;
}

// ---- addresses for peers without MSG_ADDR2 / SERVER_NAUTILUS ---------------------------------------

/** sizeof(sockaddr_storage), the legacy entity_addr_t's address field. */
const SOCKADDR_STORAGE_BYTES = 128;

/**
 * entity_addr_t::encode(bl, features): the legacy form without MSG_ADDR2 (u32 type 0, nonce, a
 * sockaddr_storage with its family big-endian), else the versioned form, with TYPE_ANY shown as
 * TYPE_LEGACY to pre-Nautilus peers.
 */
export function encodeEntityAddrFeatures(e: Encoder, a: EntityAddr, features: bigint): void {
  if (!hasFeature(features, FEATURE_MSG_ADDR2)) {
    e.u32(0).u32(a.nonce);
    const ss = Buffer.alloc(SOCKADDR_STORAGE_BYTES);
    ss.writeUInt16BE(a.family & 0xffff, 0);
    a.sockaddr.copy(ss, 2, 0, Math.min(a.sockaddr.length, SOCKADDR_STORAGE_BYTES - 2));
    e.raw(ss);
    return;
  }
  if (!hasFeature(features, FEATUREMASK_SERVER_NAUTILUS) && a.type === ENTITY_ADDR_TYPE_ANY) {
    encodeEntityAddr(e, { ...a, type: ENTITY_ADDR_TYPE_LEGACY });
    return;
  }
  encodeEntityAddr(e, a);
}

// ---- mon_info_t ------------------------------------------------------------------------------------

function encodeStringMap(e: Encoder, m: ReadonlyMap<string, string>): void {
  const keys = [...m.keys()].sort(compareNames);
  e.u32(keys.length);
  for (const k of keys) e.string(k).string(m.get(k)!);
}

function decodeStringMap(d: Decoder, what: string): Map<string, string> {
  return d.map(what, 8, (x) => x.string(what), (x) => x.string(what));
}

function encodeStringSet(e: Encoder, s: ReadonlySet<string>): void {
  const keys = [...s].sort(compareNames);
  e.u32(keys.length);
  for (const k of keys) e.string(k);
}

function decodeStringSet(d: Decoder, what: string): Set<string> {
  return new Set(d.list(what, 4, (x) => x.string(what)));
}

/** std::string's operator< (bytewise). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** mon_info_t::encode: v5 (compat 5 once crush_loc is set), v2 with a legacy addr before Nautilus. */
function encodeMonInfo(e: Encoder, m: MonInfo, features: bigint): void {
  if (!hasFeature(features, FEATUREMASK_SERVER_NAUTILUS)) {
    e.startStruct(2, 1);
    e.string(m.name);
    encodeEntityAddrFeatures(e, legacyAddr(m.publicAddrs), features);
    e.u16(m.priority);
    e.finishStruct();
    return;
  }
  e.startStruct(5, m.crushLoc.size ? 5 : 1);
  e.string(m.name);
  encodeAddrVec(e, m.publicAddrs);
  e.u16(m.priority).u16(m.weight);
  encodeStringMap(e, m.crushLoc);
  e.finishStruct();
}

function decodeMonInfo(d: Decoder): MonInfo {
  const what = 'mon_info_t';
  const v = d.decodeStart(5, what);
  const name = d.string('mon_info_t name');
  const publicAddrs = decodeAddrVec(d, 'mon_info_t public_addrs');
  const priority = v >= 2 ? d.u16('mon_info_t priority') : 0;
  const weight = v >= 4 ? d.u16('mon_info_t weight') : 0;
  const crushLoc = v >= 5 ? decodeStringMap(d, 'mon_info_t crush_loc') : new Map<string, string>();
  d.decodeFinish(what);
  return { name, publicAddrs, priority, weight, crushLoc };
}

// ---- ranks -----------------------------------------------------------------------------------------

/** MonMap::calc_legacy_ranks: by legacy-or-front address, then by name. */
export function calcLegacyRanks(mons: ReadonlyMap<string, MonInfo>): string[] {
  const list = [...mons.values()];
  list.sort((a, b) => {
    const c = compareEntityAddr(legacyOrFrontAddr(a.publicAddrs), legacyOrFrontAddr(b.publicAddrs));
    return c !== 0 ? c : compareNames(a.name, b.name);
  });
  // Ceph keeps them in a std::set with that order: two monitors that compare equal keep only one.
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    if (i > 0) {
      const p = list[i - 1]!;
      const q = list[i]!;
      if (compareEntityAddr(legacyOrFrontAddr(p.publicAddrs), legacyOrFrontAddr(q.publicAddrs)) === 0 && p.name === q.name) continue;
    }
    out.push(list[i]!.name);
  }
  return out;
}

// ---- the map ---------------------------------------------------------------------------------------

function encodeUTime(e: Encoder, t: UTime): void {
  e.u32(t.sec).u32(t.nsec);
}

function decodeUTime(d: Decoder, what: string): UTime {
  const sec = d.u32(what);
  const nsec = d.u32(what);
  return { sec, nsec };
}

function sortedMonNames(m: MonMap): string[] {
  return [...m.mons.keys()].sort(compareNames);
}

function encodeLegacyAddrMap(e: Encoder, m: MonMap, features: bigint): void {
  const names = sortedMonNames(m);
  e.u32(names.length);
  for (const n of names) {
    e.string(n);
    encodeEntityAddrFeatures(e, legacyAddr(m.mons.get(n)!.publicAddrs), features);
  }
}

/** MonMap::encode(bl, features) into an Encoder. */
export function encodeMonMapInto(e: Encoder, m: MonMap, features: bigint = MONMAP_FEATURES_ALL): void {
  const fsid = uuidToBytes(m.fsid);
  if (!hasFeature(features, FEATURE_MONNAMES)) {
    e.u16(1).raw(fsid).u32(m.epoch);
    e.u32(m.ranks.length);
    for (let r = 0; r < m.ranks.length; r++) {
      // entity_inst_t: entity_name_t (u8 type, s64 num) then the address
      e.u8(0x01).s64(r);
      encodeEntityAddrFeatures(e, legacyAddr(m.mons.get(m.ranks[r]!)!.publicAddrs), features);
    }
    encodeUTime(e, m.lastChanged);
    encodeUTime(e, m.created);
    return;
  }
  if (!hasFeature(features, FEATURE_MONENC)) {
    e.u16(2).raw(fsid).u32(m.epoch);
    encodeLegacyAddrMap(e, m, features);
    encodeUTime(e, m.lastChanged);
    encodeUTime(e, m.created);
    return;
  }
  const names = sortedMonNames(m);
  if (!hasFeature(features, FEATUREMASK_SERVER_NAUTILUS)) {
    e.startStruct(5, 3);
    e.raw(fsid).u32(m.epoch);
    encodeLegacyAddrMap(e, m, features);
    encodeUTime(e, m.lastChanged);
    encodeUTime(e, m.created);
    encodeMonFeature(e, m.persistentFeatures);
    encodeMonFeature(e, m.optionalFeatures);
    e.u32(names.length);
    for (const n of names) {
      e.string(n);
      encodeMonInfo(e, m.mons.get(n)!, features);
    }
    e.finishStruct();
    return;
  }
  e.startStruct(9, 6);
  e.raw(fsid).u32(m.epoch);
  encodeUTime(e, m.lastChanged);
  encodeUTime(e, m.created);
  encodeMonFeature(e, m.persistentFeatures);
  encodeMonFeature(e, m.optionalFeatures);
  e.u32(names.length);
  for (const n of names) {
    e.string(n);
    encodeMonInfo(e, m.mons.get(n)!, features);
  }
  e.u32(m.ranks.length);
  for (const n of m.ranks) e.string(n);
  e.u8(m.minMonRelease);
  const removed = [...m.removedRanks].sort((a, b) => a - b);
  e.u32(removed.length);
  for (const r of removed) e.s32(r);
  e.u8(m.strategy);
  encodeStringSet(e, m.disallowedLeaders);
  e.bool(m.stretchModeEnabled);
  e.string(m.tiebreakerMon);
  encodeStringSet(e, m.stretchMarkedDownMons);
  e.finishStruct();
}

/** MonMap::encode(bl, features) (CEPH_FEATURES_ALL by default, as Ceph writes maps to its store). */
export function encodeMonMap(m: MonMap, features: bigint = MONMAP_FEATURES_ALL): Buffer {
  const e = new Encoder(512);
  encodeMonMapInto(e, m, features);
  return e.toBuffer();
}

/** A legacy entity_inst_t's name part, which the v1 map carried and Ceph ignores. */
function skipEntityName(d: Decoder, what: string): void {
  d.u8(what);
  d.s64(what);
}

/** The newest MonMap struct version this decoder reads. */
export const MONMAP_STRUCT_V = 9;

/** MonMap::decode from a Decoder positioned at the map. Truncated or malformed input: CephError. */
export function decodeMonMapFrom(d: Decoder): MonMap {
  const what = 'monmap';
  const v = d.decodeStartLegacyCompatLen(MONMAP_STRUCT_V, 3, 3, what, 1);
  if (v === 0) d.malformed(what, 'struct_v 0');
  const fsid = uuidFromBytes(d.raw(16, 'monmap fsid'));
  const epoch = d.u32('monmap epoch');
  const legacy = new Map<string, EntityAddr>();
  if (v === 1) {
    const n = d.count('monmap mon_inst', 10);
    for (let i = 0; i < n; i++) {
      skipEntityName(d, 'monmap mon_inst name');
      legacy.set(String.fromCharCode(0x30 + i), decodeEntityAddr(d, 'monmap mon_inst addr'));
    }
  } else if (v < 6) {
    const n = d.count('monmap mon_addr', 9);
    for (let i = 0; i < n; i++) {
      const name = d.string('monmap mon_addr name');
      legacy.set(name, decodeEntityAddr(d, 'monmap mon_addr addr'));
    }
  }
  const lastChanged = decodeUTime(d, 'monmap last_changed');
  const created = decodeUTime(d, 'monmap created');
  let persistentFeatures = 0n;
  let optionalFeatures = 0n;
  if (v >= 4) {
    persistentFeatures = decodeMonFeature(d, 'monmap persistent_features');
    optionalFeatures = decodeMonFeature(d, 'monmap optional_features');
  }
  const mons = new Map<string, MonInfo>();
  if (v < 5) {
    for (const [name, addr] of legacy) {
      mons.set(name, { name, publicAddrs: [addr], priority: 0, weight: 0, crushLoc: new Map() });
    }
  } else {
    const n = d.count('monmap mon_info', 10);
    for (let i = 0; i < n; i++) {
      const key = d.string('monmap mon_info key');
      const info = decodeMonInfo(d);
      // Ceph's map is keyed by the key; the value's name is what the monitor calls itself.
      mons.set(key, info);
    }
  }
  let ranks: string[];
  if (v < 6) {
    ranks = calcLegacyRanks(mons);
  } else {
    ranks = d.list('monmap ranks', 4, (x) => x.string('monmap ranks'));
  }
  const minMonRelease = v >= 7 ? d.u8('monmap min_mon_release') : inferReleaseFromMonFeatures(persistentFeatures);
  const removedRanks = new Set<number>();
  let strategy: number = ElectionStrategy.CLASSIC;
  let disallowedLeaders = new Set<string>();
  if (v >= 8) {
    const n = d.count('monmap removed_ranks', 4);
    for (let i = 0; i < n; i++) removedRanks.add(d.s32('monmap removed_ranks'));
    strategy = d.u8('monmap strategy');
    disallowedLeaders = decodeStringSet(d, 'monmap disallowed_leaders');
  }
  let stretchModeEnabled = false;
  let tiebreakerMon = '';
  let stretchMarkedDownMons = new Set<string>();
  if (v >= 9) {
    stretchModeEnabled = d.bool('monmap stretch_mode_enabled');
    tiebreakerMon = d.string('monmap tiebreaker_mon');
    stretchMarkedDownMons = decodeStringSet(d, 'monmap stretch_marked_down_mons');
  }
  d.decodeFinish(what);
  for (const r of ranks) {
    if (!mons.has(r)) d.malformed('monmap ranks', `rank names '${r}', which is not a monitor in the map`);
  }
  return {
    fsid,
    epoch,
    lastChanged,
    created,
    mons,
    ranks,
    persistentFeatures,
    optionalFeatures,
    minMonRelease,
    removedRanks,
    strategy,
    disallowedLeaders,
    stretchModeEnabled,
    tiebreakerMon,
    stretchMarkedDownMons,
  };
}

/** MonMap::decode of a whole buffer (e.g. a `monmaptool` file or an MMonMap's monmapbl). */
export function decodeMonMap(buf: Uint8Array): MonMap {
  return decodeMonMapFrom(new Decoder(buf, 'monmap'));
}
