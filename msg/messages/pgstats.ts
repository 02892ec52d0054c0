// PG statistics on the wire: what an OSD reports about its PGs and its store (MPGStats, acked by
// MPGStatsAck), and what a client asks about pools and the cluster (MGetPoolStats / MGetPoolStatsReply,
// `rados df`, librados' pool stats; MStatfs is in statfs.ts). Layouts are Ceph 16's
// (src/messages/MPGStats.h, MPGStatsAck.h, MGetPoolStats.h, MGetPoolStatsReply.h) with the structs
// they carry from src/osd/osd_types.h: store_statfs_t, osd_stat_t (v14), object_stat_sum_t (v20),
// object_stat_collection_t, pg_stat_t (v26, codec in pgtypes.ts) and pool_stat_t (v7).
//
// In Ceph 16 an OSD sends MPGStats to the manager; tsceph has no manager yet, so OSDs send it to the
// monitors (docs/mon-services.md says how the monitors keep the PGMap).

import { Decoder, Encoder, compareStringBytes } from '../../common/encoding.js';
import { comparePgId, decodePgId, encodePgId, type PgId } from '../../common/osdmap/index.js';
import { Message, type RawMessage } from '../message.js';
import { decodeStringVec, decodeUTime, decodeUuid, encodeStringVec, encodeUTime, encodeUuid, frontDecoder, PaxosServiceMessage, setFront, UUID_ZERO } from './common.js';
import {
  decodeObjectStatCollection, decodePgStat, emptyObjectStatSum, encodeObjectStatCollection, encodePgStat, type ObjectStatSum, type PgStat,
} from './pgtypes.js';

/** Message type numbers (src/msg/Message.h, include/ceph_fs.h). */
export const MSG_GETPOOLSTATS = 58;
export const MSG_GETPOOLSTATSREPLY = 59;
export const MSG_PGSTATS = 87;
export const MSG_PGSTATSACK = 88;

// ---- store_statfs_t -------------------------------------------------------------------------------

/** store_statfs_t: an object store's space, in bytes. */
export interface StoreStatfs {
  total: number;
  available: number;
  internallyReserved: number;
  allocated: number;
  dataStored: number;
  dataCompressed: number;
  dataCompressedAllocated: number;
  dataCompressedOriginal: number;
  omapAllocated: number;
  internalMetadata: number;
}

export function emptyStoreStatfs(): StoreStatfs {
  return { total: 0, available: 0, internallyReserved: 0, allocated: 0, dataStored: 0, dataCompressed: 0, dataCompressedAllocated: 0, dataCompressedOriginal: 0, omapAllocated: 0, internalMetadata: 0 };
}

const STATFS_FIELDS = ['total', 'available', 'internallyReserved', 'allocated', 'dataStored', 'dataCompressed', 'dataCompressedAllocated', 'dataCompressedOriginal', 'omapAllocated', 'internalMetadata'] as const;

export function encodeStoreStatfs(e: Encoder, s: StoreStatfs): void {
  e.startStruct(1, 1);
  for (const k of STATFS_FIELDS) e.s64(s[k]);
  e.finishStruct();
}

export function decodeStoreStatfs(d: Decoder, what = 'store_statfs_t'): StoreStatfs {
  d.decodeStart(1, what);
  const s = emptyStoreStatfs();
  for (const k of STATFS_FIELDS) s[k] = d.s64(what);
  d.decodeFinish(what);
  return s;
}

/** store_statfs_t::add. */
export function addStoreStatfs(into: StoreStatfs, o: StoreStatfs): void {
  for (const k of STATFS_FIELDS) into[k] += o[k];
}

/** get_used_raw(): everything not available (data, metadata and the reserve). */
export function statfsUsedRaw(s: StoreStatfs): number {
  return s.total - s.available;
}

// ---- osd_stat_t -----------------------------------------------------------------------------------

/** osd_stat_t::Interfaces: heartbeat ping times to one peer (microseconds; 1, 5, 15 minute windows). */
export interface OsdPingTimes {
  lastUpdate: number;
  backPingtime: [number, number, number];
  backMin: [number, number, number];
  backMax: [number, number, number];
  backLast: number;
  frontPingtime: [number, number, number];
  frontMin: [number, number, number];
  frontMax: [number, number, number];
  frontLast: number;
}

/** osd_stat_t: what an OSD reports about itself. */
export interface OsdStat {
  statfs: StoreStatfs;
  hbPeers: number[];
  snapTrimQueueLen: number;
  numSnapTrimming: number;
  numShardsRepaired: number;
  /** pow2_hist_t of op queue ages. */
  opQueueAgeHist: number[];
  /** objectstore_perf_stat_t, nanoseconds. */
  osCommitLatencyNs: number;
  osApplyLatencyNs: number;
  /** osd_alerts_t: osd -> (alert -> detail). */
  osAlerts: Map<number, Map<string, string>>;
  upFrom: number;
  seq: number;
  numPgs: number;
  numOsds: number;
  numPerPoolOsds: number;
  numPerPoolOmapOsds: number;
  hbPingtime: Map<number, OsdPingTimes>;
}

export function emptyOsdStat(): OsdStat {
  return {
    statfs: emptyStoreStatfs(), hbPeers: [], snapTrimQueueLen: 0, numSnapTrimming: 0, numShardsRepaired: 0,
    opQueueAgeHist: [], osCommitLatencyNs: 0, osApplyLatencyNs: 0, osAlerts: new Map(), upFrom: 0, seq: 0,
    numPgs: 0, numOsds: 0, numPerPoolOsds: 0, numPerPoolOmapOsds: 0, hbPingtime: new Map(),
  };
}

const KB = 1024;
const kb = (bytes: number): number => Math.floor(bytes / KB);

function u32x3(d: Decoder, what: string): [number, number, number] {
  return [d.u32(what), d.u32(what), d.u32(what)];
}

/** osd_stat_t::encode v14 (compat 2), with the legacy kb fields derived from statfs as Ceph does. */
export function encodeOsdStat(e: Encoder, s: OsdStat): void {
  e.startStruct(14, 2);
  e.s64(kb(s.statfs.total)).s64(kb(statfsUsedRaw(s.statfs))).s64(kb(s.statfs.available));
  e.s32(s.snapTrimQueueLen).s32(s.numSnapTrimming);
  e.u32(s.hbPeers.length);
  for (const p of s.hbPeers) e.s32(p);
  e.u32(0); // hb_out, always empty
  e.startStruct(1, 1);
  e.u32(s.opQueueAgeHist.length);
  for (const h of s.opQueueAgeHist) e.s32(h);
  e.finishStruct();
  e.startStruct(2, 2).u64(s.osCommitLatencyNs).u64(s.osApplyLatencyNs).finishStruct();
  e.u32(s.upFrom).u64(s.seq).u32(s.numPgs);
  e.s64(kb(s.statfs.allocated)).s64(kb(s.statfs.omapAllocated)).s64(kb(s.statfs.internalMetadata));
  encodeStoreStatfs(e, s.statfs);
  const alertOsds = [...s.osAlerts.keys()].sort((a, b) => a - b);
  e.u32(alertOsds.length);
  for (const o of alertOsds) {
    e.s32(o);
    const m = s.osAlerts.get(o)!;
    const keys = [...m.keys()].sort(compareStringBytes);
    e.u32(keys.length);
    for (const k of keys) e.string(k).string(m.get(k)!);
  }
  e.u64(s.numShardsRepaired).u32(s.numOsds).u32(s.numPerPoolOsds).u32(s.numPerPoolOmapOsds);
  const peers = [...s.hbPingtime.keys()].sort((a, b) => a - b);
  e.s32(peers.length);
  for (const p of peers) {
    const t = s.hbPingtime.get(p)!;
    e.s32(p).u32(t.lastUpdate);
    for (const v of [...t.backPingtime, ...t.backMin, ...t.backMax, t.backLast, ...t.frontPingtime, ...t.frontMin, ...t.frontMax, t.frontLast]) e.u32(v);
  }
  e.finishStruct();
}

export function decodeOsdStat(d: Decoder, what = 'osd_stat_t'): OsdStat {
  const v = d.decodeStartLegacyCompatLen(14, 2, 2, what);
  const s = emptyOsdStat();
  const kbTotal = d.s64(what);
  const kbUsed = d.s64(what);
  const kbAvail = d.s64(what);
  s.snapTrimQueueLen = d.s32(what);
  s.numSnapTrimming = d.s32(what);
  s.hbPeers = d.list(what, 4, (x) => x.s32(what));
  d.list(what, 4, (x) => x.s32(what)); // hb_out
  if (v >= 3) {
    d.decodeStart(1, 'pow2_hist_t');
    s.opQueueAgeHist = d.list('pow2_hist_t', 4, (x) => x.s32('pow2_hist_t'));
    d.decodeFinish('pow2_hist_t');
  }
  if (v >= 4) {
    const pv = d.decodeStart(2, 'objectstore_perf_stat_t');
    if (pv >= 2) {
      s.osCommitLatencyNs = d.u64(what);
      s.osApplyLatencyNs = d.u64(what);
    } else {
      s.osCommitLatencyNs = d.u32(what) * 1_000_000;
      s.osApplyLatencyNs = d.u32(what) * 1_000_000;
    }
    d.decodeFinish('objectstore_perf_stat_t');
  }
  if (v >= 6) {
    s.upFrom = d.u32(what);
    s.seq = d.u64(what);
  }
  if (v >= 7) s.numPgs = d.u32(what);
  let kbData = kbUsed;
  let kbOmap = 0;
  let kbMeta = 0;
  if (v >= 8) {
    kbData = d.s64(what);
    kbOmap = d.s64(what);
    kbMeta = d.s64(what);
  }
  if (v >= 9) {
    s.statfs = decodeStoreStatfs(d);
  } else {
    s.statfs.total = kbTotal * KB;
    s.statfs.available = kbAvail * KB;
    const reserved = Math.max(0, s.statfs.total - s.statfs.available);
    s.statfs.internallyReserved = reserved > kbUsed * KB ? reserved - kbUsed * KB : 0;
    s.statfs.allocated = kbData * KB;
    s.statfs.omapAllocated = kbOmap * KB;
    s.statfs.internalMetadata = kbMeta * KB;
  }
  if (v >= 10) {
    s.osAlerts = d.map(what, 8, (x) => x.s32(what), (x) => x.map(what, 8, (y) => y.string(what), (y) => y.string(what)));
  }
  if (v >= 11) s.numShardsRepaired = d.u64(what);
  if (v >= 12) {
    s.numOsds = d.u32(what);
    s.numPerPoolOsds = d.u32(what);
  }
  if (v >= 13) s.numPerPoolOmapOsds = d.u32(what);
  if (v >= 14) {
    const n = d.s32(what);
    d.checkCount(n, 88, what);
    for (let i = 0; i < n; i++) {
      const osd = d.s32(what);
      const lastUpdate = d.u32(what);
      const backPingtime = u32x3(d, what);
      const backMin = u32x3(d, what);
      const backMax = u32x3(d, what);
      const backLast = d.u32(what);
      const frontPingtime = u32x3(d, what);
      const frontMin = u32x3(d, what);
      const frontMax = u32x3(d, what);
      const frontLast = d.u32(what);
      s.hbPingtime.set(osd, { lastUpdate, backPingtime, backMin, backMax, backLast, frontPingtime, frontMin, frontMax, frontLast });
    }
  }
  d.decodeFinish(what);
  return s;
}

// ---- object_stat_sum_t helpers ----------------------------------------------------------------------
// (object_stat_sum_t, object_stat_collection_t and pg_stat_t themselves are encoded by pgtypes.ts)

const SUM_KEYS = Object.keys(emptyObjectStatSum()) as Array<keyof ObjectStatSum>;

/** object_stat_sum_t::add. */
export function addObjectStatSum(into: ObjectStatSum, o: ObjectStatSum): void {
  for (const k of SUM_KEYS) into[k] += o[k];
}

// ---- pool_stat_t ----------------------------------------------------------------------------------

/** pool_stat_t: a pool's sums as the monitors (Ceph: the manager) report them to clients. */
export interface PoolStat {
  stats: ObjectStatSum;
  storeStats: StoreStatfs;
  logSize: number;
  ondiskLogSize: number;
  up: number;
  acting: number;
  numStoreStats: number;
}

export function emptyPoolStat(): PoolStat {
  return { stats: emptyObjectStatSum(), storeStats: emptyStoreStatfs(), logSize: 0, ondiskLogSize: 0, up: 0, acting: 0, numStoreStats: 0 };
}

/** pool_stat_t::encode v7 (compat 5): every Ceph 16 peer has CEPH_FEATURE_OSDENC. */
export function encodePoolStat(e: Encoder, p: PoolStat): void {
  e.startStruct(7, 5);
  encodeObjectStatCollection(e, p.stats);
  e.s64(p.logSize).s64(p.ondiskLogSize).s32(p.up).s32(p.acting);
  encodeStoreStatfs(e, p.storeStats);
  e.u32(p.numStoreStats);
  e.finishStruct();
}

export function decodePoolStat(d: Decoder, what = 'pool_stat_t'): PoolStat {
  const v = d.decodeStartLegacyCompatLen(7, 5, 5, what);
  if (v < 5) d.malformed(what, `version ${v} is older than the oldest compatible (5)`);
  const p = emptyPoolStat();
  p.stats = decodeObjectStatCollection(d);
  p.logSize = d.s64(what);
  p.ondiskLogSize = d.s64(what);
  if (v >= 6) {
    p.up = d.s32(what);
    p.acting = d.s32(what);
  }
  if (v >= 7) {
    p.storeStats = decodeStoreStatfs(d);
    p.numStoreStats = d.u32(what);
  }
  d.decodeFinish(what);
  return p;
}

// ---- MPGStats / MPGStatsAck -----------------------------------------------------------------------

export interface PgStatEntry {
  pgid: PgId;
  stat: PgStat;
}

/** MPGStats (87): an OSD's report of the PGs it is primary for, its own stats and its per-pool usage. */
export class MPGStats extends PaxosServiceMessage {
  static readonly TYPE = MSG_PGSTATS;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 1;

  fsid = UUID_ZERO;
  /** pg_stat, kept in pg_t order. */
  pgStat: PgStatEntry[] = [];
  osdStat: OsdStat = emptyOsdStat();
  /** pool_stat: pool -> the OSD's store usage for that pool. */
  poolStat = new Map<number, StoreStatfs>();
  epoch = 0;

  constructor(fsid?: string, epoch?: number) {
    super(MPGStats.TYPE, MPGStats.HEAD_VERSION, MPGStats.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    if (epoch !== undefined) this.epoch = epoch;
  }

  typeName(): string {
    return 'pg_stats';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(256 + this.pgStat.length * 600);
    this.paxosEncode(e);
    encodeUuid(e, this.fsid);
    encodeOsdStat(e, this.osdStat);
    const pgs = [...this.pgStat].sort((a, b) => comparePgId(a.pgid, b.pgid));
    e.u32(pgs.length);
    for (const p of pgs) {
      encodePgId(e, p.pgid);
      encodePgStat(e, p.stat);
    }
    e.u32(this.epoch);
    encodeUTime(e, { sec: 0, nsec: 0 }); // had_map_for, unused since Luminous
    const pools = [...this.poolStat.keys()].sort((a, b) => a - b);
    e.u32(pools.length);
    for (const pool of pools) {
      e.s64(pool);
      encodeStoreStatfs(e, this.poolStat.get(pool)!);
    }
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MPGStats {
    const d = frontDecoder(raw, 'pg_stats');
    const m = new MPGStats();
    m.paxosDecode(d);
    m.fsid = decodeUuid(d, 'fsid');
    m.osdStat = decodeOsdStat(d);
    const n = d.count('pg_stat', 100);
    for (let i = 0; i < n; i++) {
      const pgid = decodePgId(d);
      m.pgStat.push({ pgid, stat: decodePgStat(d) });
    }
    m.epoch = d.u32('epoch');
    decodeUTime(d, 'had_map_for');
    if (raw.header.version >= 2) {
      const np = d.count('pool_stat', 14);
      for (let i = 0; i < np; i++) {
        const pool = d.s64('pool');
        m.poolStat.set(pool, decodeStoreStatfs(d));
      }
    }
    return m;
  }
}

/** MPGStatsAck (88): for each reported PG, the (reported_seq, reported_epoch) the receiver now holds. */
export class MPGStatsAck extends Message {
  static readonly TYPE = MSG_PGSTATSACK;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  pgStat: Array<{ pgid: PgId; seq: number; epoch: number }> = [];

  constructor() {
    super(MPGStatsAck.TYPE, MPGStatsAck.HEAD_VERSION, MPGStatsAck.COMPAT_VERSION);
  }

  typeName(): string {
    return 'pg_stats_ack';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(8 + this.pgStat.length * 29);
    const sorted = [...this.pgStat].sort((a, b) => comparePgId(a.pgid, b.pgid));
    e.u32(sorted.length);
    for (const p of sorted) {
      encodePgId(e, p.pgid);
      e.u64(p.seq).u32(p.epoch);
    }
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MPGStatsAck {
    const d = frontDecoder(raw, 'pg_stats_ack');
    const m = new MPGStatsAck();
    const n = d.count('pg_stat', 29);
    for (let i = 0; i < n; i++) {
      const pgid = decodePgId(d);
      const seq = d.u64('seq');
      const epoch = d.u32('epoch');
      m.pgStat.push({ pgid, seq, epoch });
    }
    return m;
  }
}

// ---- MGetPoolStats / MGetPoolStatsReply -----------------------------------------------------------

/** MGetPoolStats (58): a client asks for named pools' stats; header.tid matches the reply. */
export class MGetPoolStats extends PaxosServiceMessage {
  static readonly TYPE = MSG_GETPOOLSTATS;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  fsid = UUID_ZERO;
  pools: string[] = [];

  constructor(fsid?: string, tid?: number, pools?: string[]) {
    super(MGetPoolStats.TYPE, MGetPoolStats.HEAD_VERSION, MGetPoolStats.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    if (tid !== undefined) this.header.tid = tid;
    if (pools !== undefined) this.pools = pools;
  }

  typeName(): string {
    return 'getpoolstats';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64);
    this.paxosEncode(e);
    encodeUuid(e, this.fsid);
    encodeStringVec(e, this.pools);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MGetPoolStats {
    const d = frontDecoder(raw, 'getpoolstats');
    const m = new MGetPoolStats();
    m.paxosDecode(d);
    m.fsid = decodeUuid(d, 'fsid');
    m.pools = decodeStringVec(d, 'pools');
    return m;
  }
}

/** MGetPoolStatsReply (59): pool name -> pool_stat_t; per_pool: the stats are per-pool store stats. */
export class MGetPoolStatsReply extends PaxosServiceMessage {
  static readonly TYPE = MSG_GETPOOLSTATSREPLY;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 1;

  fsid = UUID_ZERO;
  poolStats = new Map<string, PoolStat>();
  perPool = false;

  constructor(fsid?: string, tid?: number, version?: number) {
    super(MGetPoolStatsReply.TYPE, MGetPoolStatsReply.HEAD_VERSION, MGetPoolStatsReply.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    if (tid !== undefined) this.header.tid = tid;
    if (version !== undefined) this.version = version;
  }

  typeName(): string {
    return 'getpoolstats';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64 + this.poolStats.size * 400);
    this.paxosEncode(e);
    encodeUuid(e, this.fsid);
    const names = [...this.poolStats.keys()].sort(compareStringBytes);
    e.u32(names.length);
    for (const n of names) {
      e.string(n);
      encodePoolStat(e, this.poolStats.get(n)!);
    }
    e.bool(this.perPool);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MGetPoolStatsReply {
    const d = frontDecoder(raw, 'getpoolstatsreply');
    const m = new MGetPoolStatsReply();
    m.paxosDecode(d);
    m.fsid = decodeUuid(d, 'fsid');
    const n = d.count('pool_stats', 10);
    for (let i = 0; i < n; i++) {
      const name = d.string('pool name');
      m.poolStats.set(name, decodePoolStat(d));
    }
    if (raw.header.version >= 2) m.perPool = d.bool('per_pool');
    return m;
  }
}
