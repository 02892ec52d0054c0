// The messages between OSDs and monitors about the OSDMap (src/messages/MOSD*.h in Ceph 16): MOSDBoot
// (with the OSDSuperblock, osd/osd_types.h), MOSDMap, MOSDFailure, MOSDMarkMeDown, MOSDAlive and
// MOSDPGTemp. OSDMaps travel as encoded Buffers (common/osdmap encodes and decodes them).

import { Decoder, Encoder } from '../../common/encoding.js';
import {
  decodeAddrVec,
  decodePgId,
  encodeAddrVec,
  encodePgId,
  type EntityAddrVec,
  type PgId,
  type UTime,
} from '../../common/osdmap/index.js';
import type { OsdMapUpdate } from '../../mon/core/types.js';
import { EntityType, Message, type RawMessage } from '../message.js';
import {
  MsgType,
  PaxosServiceMessage,
  UUID_ZERO,
  decodeBl,
  decodeEntityInst,
  decodeStringMap,
  decodeUTime,
  decodeUuid,
  encodeStringMap,
  encodeUTime,
  encodeUuid,
  frontDecoder,
  setFront,
} from './common.js';

// ---- OSDSuperblock --------------------------------------------------------------------------------

/** CompatSet: three feature sets, each feature id -> name. */
export interface CompatSet {
  compat: Map<number, string>;
  roCompat: Map<number, string>;
  incompat: Map<number, string>;
}

export function emptyCompatSet(): CompatSet {
  return { compat: new Map(), roCompat: new Map(), incompat: new Map() };
}

/** CompatSet::FeatureSet::encode: the mask (bit 0 never encoded) and id -> name. */
function encodeFeatureSet(e: Encoder, s: ReadonlyMap<number, string>): void {
  const ids = [...s.keys()].sort((a, b) => a - b);
  let mask = 0n;
  for (const id of ids) mask |= 1n << BigInt(id);
  e.u64Big(mask & ~1n);
  e.u32(ids.length);
  for (const id of ids) e.u64(id).string(s.get(id)!);
}

/** Feature ids index a 64-bit mask; a larger one cannot come from Ceph (its shift would overflow). */
const COMPAT_FEATURE_ID_MAX = 63;

function decodeFeatureSet(d: Decoder, what: string): Map<number, string> {
  d.u64Big(what);
  return d.map(what, 12, (x) => {
    const id = x.u64(what);
    if (id > COMPAT_FEATURE_ID_MAX) x.malformed(what, `feature id ${id} is past the 64-bit mask`);
    return id;
  }, (x) => x.string(what));
}

/** OSDSuperblock: what an OSD knows about itself and its maps (struct v10, compat 5). */
export interface OSDSuperblock {
  clusterFsid: string;
  osdFsid: string;
  whoami: number;
  currentEpoch: number;
  oldestMap: number;
  newestMap: number;
  weight: number; // double
  compatFeatures: CompatSet;
  mounted: number; // last epoch I mounted
  cleanThru: number; // epoch I was last clean thru
  purgedSnapsLast: number;
  lastPurgedSnapsScrub: UTime;
  clusterOsdmapTrimLowerBound: number;
}

export function newOSDSuperblock(): OSDSuperblock {
  return {
    clusterFsid: UUID_ZERO,
    osdFsid: UUID_ZERO,
    whoami: -1,
    currentEpoch: 0,
    oldestMap: 0,
    newestMap: 0,
    weight: 0,
    compatFeatures: emptyCompatSet(),
    mounted: 0,
    cleanThru: 0,
    purgedSnapsLast: 0,
    lastPurgedSnapsScrub: { sec: 0, nsec: 0 },
    clusterOsdmapTrimLowerBound: 0,
  };
}

export function encodeOSDSuperblock(e: Encoder, sb: OSDSuperblock): void {
  e.startStruct(10, 5);
  encodeUuid(e, sb.clusterFsid);
  e.s32(sb.whoami).u32(sb.currentEpoch).u32(sb.oldestMap).u32(sb.newestMap);
  e.f64(sb.weight);
  encodeFeatureSet(e, sb.compatFeatures.compat);
  encodeFeatureSet(e, sb.compatFeatures.roCompat);
  encodeFeatureSet(e, sb.compatFeatures.incompat);
  e.u32(sb.cleanThru).u32(sb.mounted);
  encodeUuid(e, sb.osdFsid);
  e.u32(0); // last_map_marked_full (retired)
  e.u32(0); // pool_last_map_marked_full (retired, empty map)
  e.u32(sb.purgedSnapsLast);
  encodeUTime(e, sb.lastPurgedSnapsScrub);
  e.u32(sb.clusterOsdmapTrimLowerBound);
  e.finishStruct();
}

export function decodeOSDSuperblock(d: Decoder): OSDSuperblock {
  const what = 'OSDSuperblock';
  const v = d.decodeStartLegacyCompatLen(10, 5, 5, what);
  const sb = newOSDSuperblock();
  if (v < 3) d.string('OSDSuperblock magic');
  sb.clusterFsid = decodeUuid(d, 'OSDSuperblock cluster_fsid');
  sb.whoami = d.s32('OSDSuperblock whoami');
  sb.currentEpoch = d.u32('OSDSuperblock current_epoch');
  sb.oldestMap = d.u32('OSDSuperblock oldest_map');
  sb.newestMap = d.u32('OSDSuperblock newest_map');
  sb.weight = d.f64('OSDSuperblock weight');
  if (v >= 2) {
    sb.compatFeatures = {
      compat: decodeFeatureSet(d, 'OSDSuperblock compat'),
      roCompat: decodeFeatureSet(d, 'OSDSuperblock ro_compat'),
      incompat: decodeFeatureSet(d, 'OSDSuperblock incompat'),
    };
  }
  sb.cleanThru = d.u32('OSDSuperblock clean_thru');
  sb.mounted = d.u32('OSDSuperblock mounted');
  if (v >= 4) sb.osdFsid = decodeUuid(d, 'OSDSuperblock osd_fsid');
  if (v >= 6) d.u32('OSDSuperblock last_map_marked_full');
  if (v >= 7) d.map('OSDSuperblock pool_last_map_marked_full', 12, (x) => x.s64('pool'), (x) => x.u32('epoch'));
  if (v >= 9) {
    sb.purgedSnapsLast = d.u32('OSDSuperblock purged_snaps_last');
    sb.lastPurgedSnapsScrub = decodeUTime(d, 'OSDSuperblock last_purged_snaps_scrub');
  }
  if (v >= 10) sb.clusterOsdmapTrimLowerBound = d.u32('OSDSuperblock cluster_osdmap_trim_lower_bound');
  d.decodeFinish(what);
  return sb;
}

// ---- MOSDBoot -------------------------------------------------------------------------------------

/**
 * MOSDBoot: an OSD asks to be marked up. Its public address is the connection's peer address; the
 * message carries the cluster and heartbeat addresses. `version` (the PaxosServiceMessage header) is
 * the newest OSDMap epoch the OSD has.
 */
export class MOSDBoot extends PaxosServiceMessage {
  static readonly TYPE = MsgType.MSG_OSD_BOOT;
  static readonly HEAD_VERSION = 7;
  static readonly COMPAT_VERSION = 7;

  sb: OSDSuperblock = newOSDSuperblock();
  hbBackAddrs: EntityAddrVec = [];
  hbFrontAddrs: EntityAddrVec = [];
  clusterAddrs: EntityAddrVec = [];
  bootEpoch = 0;
  metadata = new Map<string, string>();
  osdFeatures = 0n;

  constructor() {
    super(MOSDBoot.TYPE, MOSDBoot.HEAD_VERSION, MOSDBoot.COMPAT_VERSION);
  }

  typeName(): string {
    return 'osd_boot';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(512);
    this.paxosEncode(e);
    encodeOSDSuperblock(e, this.sb);
    encodeAddrVec(e, this.hbBackAddrs);
    encodeAddrVec(e, this.clusterAddrs);
    e.u32(this.bootEpoch);
    encodeAddrVec(e, this.hbFrontAddrs);
    encodeStringMap(e, this.metadata);
    e.u64Big(this.osdFeatures);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDBoot {
    const d = frontDecoder(raw, 'osd_boot');
    const m = new MOSDBoot();
    m.paxosDecode(d);
    m.sb = decodeOSDSuperblock(d);
    m.hbBackAddrs = decodeAddrVec(d, 'hb_back_addrs');
    m.clusterAddrs = decodeAddrVec(d, 'cluster_addrs');
    m.bootEpoch = d.u32('boot_epoch');
    m.hbFrontAddrs = decodeAddrVec(d, 'hb_front_addrs');
    m.metadata = decodeStringMap(d, 'metadata');
    m.osdFeatures = d.u64Big('osd_features');
    return m;
  }
}

// ---- MOSDMap --------------------------------------------------------------------------------------

/**
 * MOSDMap: OSDMap epochs, as encoded incrementals and full maps, plus the oldest epoch the monitors
 * keep (cluster_osdmap_trim_lower_bound, named oldest_map before 16.2.14) and their newest.
 */
export class MOSDMap extends Message {
  static readonly TYPE = MsgType.CEPH_MSG_OSD_MAP;
  static readonly HEAD_VERSION = 4;
  static readonly COMPAT_VERSION = 3;

  fsid = UUID_ZERO;
  /** The features the maps were encoded for (not on the wire). */
  encodeFeatures = 0n;
  maps = new Map<number, Buffer>();
  incrementalMaps = new Map<number, Buffer>();
  clusterOsdmapTrimLowerBound = 0;
  newestMap = 0;

  constructor(fsid?: string) {
    super(MOSDMap.TYPE, MOSDMap.HEAD_VERSION, MOSDMap.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
  }

  typeName(): string {
    return 'osdmap';
  }

  /** The oldest epoch the monitors keep (oldest_map before 16.2.14; `oldest` in OsdMapUpdate). */
  get oldestMap(): number {
    return this.clusterOsdmapTrimLowerBound;
  }

  get oldest(): number {
    return this.clusterOsdmapTrimLowerBound;
  }

  set oldest(e: number) {
    this.clusterOsdmapTrimLowerBound = e;
  }

  /** newest_map, under the name mon/core's OsdMapUpdate uses. */
  get newest(): number {
    return this.newestMap;
  }

  set newest(e: number) {
    this.newestMap = e;
  }

  /** The message for a monitor's subscription reply (mon/core/types.ts OsdMapUpdate). */
  static fromUpdate(u: OsdMapUpdate): MOSDMap {
    const m = new MOSDMap(u.fsid);
    m.maps = new Map(u.maps);
    m.incrementalMaps = new Map(u.incrementalMaps);
    m.clusterOsdmapTrimLowerBound = u.oldest;
    m.newestMap = u.newest;
    return m;
  }

  /** MOSDMap::get_first / get_last: the lowest and highest epoch carried (0 when none). */
  getFirst(): number {
    const all = [...this.maps.keys(), ...this.incrementalMaps.keys()];
    return all.length ? Math.min(...all) : 0;
  }

  getLast(): number {
    const all = [...this.maps.keys(), ...this.incrementalMaps.keys()];
    return all.length ? Math.max(...all) : 0;
  }

  encodePayload(_features: bigint): void {
    let bytes = 64;
    for (const b of this.maps.values()) bytes += 8 + b.length;
    for (const b of this.incrementalMaps.values()) bytes += 8 + b.length;
    const e = new Encoder(bytes);
    encodeUuid(e, this.fsid);
    encodeEpochMap(e, this.incrementalMaps);
    encodeEpochMap(e, this.maps);
    e.u32(this.clusterOsdmapTrimLowerBound).u32(this.newestMap);
    e.u32(0); // gap_removed_snaps (removed in Octopus): an empty map
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDMap {
    const d = frontDecoder(raw, 'osdmap');
    const m = new MOSDMap(decodeUuid(d, 'fsid'));
    m.incrementalMaps = decodeEpochMap(d, 'incremental_maps');
    m.maps = decodeEpochMap(d, 'maps');
    if (raw.header.version >= 2) {
      m.clusterOsdmapTrimLowerBound = d.u32('cluster_osdmap_trim_lower_bound');
      m.newestMap = d.u32('newest_map');
    }
    if (raw.header.version >= 4) {
      // gap_removed_snaps: map<int64, interval_set<snapid_t>>, read and dropped as Ceph does
      const n = d.count('gap_removed_snaps', 12);
      for (let i = 0; i < n; i++) {
        d.s64('gap_removed_snaps pool');
        const k = d.count('gap_removed_snaps intervals', 16);
        d.skip(k * 16, 'gap_removed_snaps intervals');
      }
    }
    return m;
  }
}

function encodeEpochMap(e: Encoder, m: ReadonlyMap<number, Buffer>): void {
  const epochs = [...m.keys()].sort((a, b) => a - b);
  e.u32(epochs.length);
  for (const ep of epochs) e.u32(ep).bytes(m.get(ep)!);
}

function decodeEpochMap(d: Decoder, what: string): Map<number, Buffer> {
  return d.map(what, 8, (x) => x.u32(what), (x) => decodeBl(x, what));
}

// ---- MOSDFailure ----------------------------------------------------------------------------------

/** MOSDFailure: a reporter says target_osd has not answered heartbeats for failed_for seconds. */
export class MOSDFailure extends PaxosServiceMessage {
  static readonly TYPE = MsgType.MSG_OSD_FAILURE;
  static readonly HEAD_VERSION = 4;
  static readonly COMPAT_VERSION = 4;
  static readonly FLAG_ALIVE = 0; // "I was wrong, it is alive" (cancels a report)
  static readonly FLAG_FAILED = 1;
  static readonly FLAG_IMMEDIATE = 2; // the target refused connections: no grace

  fsid = UUID_ZERO;
  targetOsd = -1;
  targetAddrs: EntityAddrVec = [];
  flags = 0;
  epoch = 0;
  failedFor = 0; // seconds

  constructor() {
    super(MOSDFailure.TYPE, MOSDFailure.HEAD_VERSION, MOSDFailure.COMPAT_VERSION);
  }

  typeName(): string {
    return 'osd_failure';
  }

  ifOsdFailed(): boolean {
    return (this.flags & MOSDFailure.FLAG_FAILED) !== 0;
  }

  isImmediate(): boolean {
    return (this.flags & MOSDFailure.FLAG_IMMEDIATE) !== 0;
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(128);
    this.paxosEncode(e);
    encodeUuid(e, this.fsid);
    e.s32(this.targetOsd);
    encodeAddrVec(e, this.targetAddrs);
    e.u32(this.epoch).u8(this.flags).s32(this.failedFor);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDFailure {
    const d = frontDecoder(raw, 'osd_failure');
    const m = new MOSDFailure();
    m.paxosDecode(d);
    m.fsid = decodeUuid(d, 'fsid');
    if (raw.header.version < 4) {
      const inst = decodeEntityInst(d, 'target_osd');
      m.targetOsd = inst.name.num;
      m.targetAddrs = [inst.addr];
    } else {
      m.targetOsd = d.s32('target_osd');
      m.targetAddrs = decodeAddrVec(d, 'target_addrs');
    }
    m.epoch = d.u32('epoch');
    m.flags = d.u8('flags');
    m.failedFor = d.s32('failed_for');
    return m;
  }
}

// ---- MOSDMarkMeDown -------------------------------------------------------------------------------

/** MOSDMarkMeDown: an OSD shutting down asks to be marked down (and dead) now. */
export class MOSDMarkMeDown extends PaxosServiceMessage {
  static readonly TYPE = MsgType.MSG_OSD_MARK_ME_DOWN;
  static readonly HEAD_VERSION = 4;
  static readonly COMPAT_VERSION = 3;

  fsid = UUID_ZERO;
  targetOsd = -1;
  targetAddrs: EntityAddrVec = [];
  epoch = 0;
  requestAck = false;
  downAndDead = false;

  constructor() {
    super(MOSDMarkMeDown.TYPE, MOSDMarkMeDown.HEAD_VERSION, MOSDMarkMeDown.COMPAT_VERSION);
  }

  typeName(): string {
    return 'MOSDMarkMeDown';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(128);
    this.paxosEncode(e);
    encodeUuid(e, this.fsid);
    e.s32(this.targetOsd);
    encodeAddrVec(e, this.targetAddrs);
    e.u32(this.epoch).bool(this.requestAck).bool(this.downAndDead);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDMarkMeDown {
    const d = frontDecoder(raw, 'MOSDMarkMeDown');
    const m = new MOSDMarkMeDown();
    m.paxosDecode(d);
    m.fsid = decodeUuid(d, 'fsid');
    if (raw.header.version < 3) {
      const inst = decodeEntityInst(d, 'target');
      m.targetOsd = inst.name.type === EntityType.OSD ? inst.name.num : -1;
      m.targetAddrs = [inst.addr];
    } else {
      m.targetOsd = d.s32('target_osd');
      m.targetAddrs = decodeAddrVec(d, 'target_addrs');
    }
    m.epoch = d.u32('epoch');
    m.requestAck = d.bool('request_ack');
    if (raw.header.version >= 4) m.downAndDead = d.bool('down_and_dead');
    return m;
  }
}

// ---- MOSDAlive ------------------------------------------------------------------------------------

/** MOSDAlive: an OSD wants up_thru at least `want`; `version` is its newest map epoch. */
export class MOSDAlive extends PaxosServiceMessage {
  static readonly TYPE = MsgType.MSG_OSD_ALIVE;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  want = 0;

  constructor(epoch?: number, want?: number) {
    super(MOSDAlive.TYPE, MOSDAlive.HEAD_VERSION, MOSDAlive.COMPAT_VERSION);
    if (epoch !== undefined) this.version = epoch;
    if (want !== undefined) this.want = want;
  }

  typeName(): string {
    return 'osd_alive';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(32);
    this.paxosEncode(e);
    e.u32(this.want);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDAlive {
    const d = frontDecoder(raw, 'osd_alive');
    const m = new MOSDAlive();
    m.paxosDecode(d);
    m.want = d.u32('want');
    return m;
  }
}

// ---- MOSDPGTemp -----------------------------------------------------------------------------------

export interface PgTempEntry {
  pgid: PgId;
  osds: number[];
}

/** MOSDPGTemp: a primary asks for pg_temp mappings (an empty list removes one). */
export class MOSDPGTemp extends PaxosServiceMessage {
  static readonly TYPE = MsgType.MSG_OSD_PGTEMP;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 1;

  mapEpoch = 0;
  /** Ceph's map<pg_t, vector<int32_t>>, kept in pg_t order (pool, then seed) on the wire. */
  pgTemp: PgTempEntry[] = [];
  forced = false;

  constructor(epoch?: number) {
    super(MOSDPGTemp.TYPE, MOSDPGTemp.HEAD_VERSION, MOSDPGTemp.COMPAT_VERSION);
    if (epoch !== undefined) {
      this.version = epoch;
      this.mapEpoch = epoch;
    }
  }

  typeName(): string {
    return 'osd_pgtemp';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64 + this.pgTemp.length * 40);
    this.paxosEncode(e);
    e.u32(this.mapEpoch);
    const sorted = [...this.pgTemp].sort((a, b) => a.pgid.pool - b.pgid.pool || a.pgid.seed - b.pgid.seed);
    e.u32(sorted.length);
    for (const t of sorted) {
      encodePgId(e, t.pgid);
      e.u32(t.osds.length);
      for (const o of t.osds) e.s32(o);
    }
    e.bool(this.forced);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGTemp {
    const d = frontDecoder(raw, 'osd_pgtemp');
    const m = new MOSDPGTemp();
    m.paxosDecode(d);
    m.mapEpoch = d.u32('map_epoch');
    const n = d.count('pg_temp', 21);
    for (let i = 0; i < n; i++) {
      const pgid = decodePgId(d, 'pg_temp pgid');
      const osds = d.list('pg_temp osds', 4, (x) => x.s32('pg_temp osd'));
      m.pgTemp.push({ pgid, osds });
    }
    if (raw.header.version >= 2) m.forced = d.bool('forced');
    return m;
  }
}
