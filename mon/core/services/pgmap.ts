// The PGMap: what the cluster's PGs and OSDs last reported (Ceph 16's PGMap, kept by the manager and
// summarized to the monitors as a digest by MgrStatMonitor). tsceph has no manager, so the monitors
// keep it themselves as a Paxos service:
//   - OSDs send MPGStats to any monitor; a peon forwards the report to the leader (as an internal
//     command, so it keeps the sender's identity), the leader folds it into its pending changes;
//   - the leader commits the changed entries (one store key per PG and per OSD) at most once per
//     pgmapProposeIntervalMs together with whatever else is pending, and acks each report with
//     MPGStatsAck once the commit holding it is durable (as Ceph's PGMonitor acked);
//   - every monitor refreshes from the committed keys, so every monitor answers `pg stat`, `df`,
//     `status` and health from the same entries.
// A PG the osdmap has but nobody reported is "unknown" (state 0, as Ceph's manager shows a new PG);
// a reported PG whose acting primary is down (or gone), or whose report is older than
// mon_osd_report_timeout, is shown "stale" (Ceph's PGMapUpdater::check_down_pgs). Both are derived at
// read time from the committed osdmap, so no commit is needed when an OSD goes down.
//
// Output shapes (plain and JSON) follow src/mon/PGMap.cc and src/osd/osd_types.cc of Ceph 16.

import { Decoder, Encoder } from '../../../common/encoding.js';
import { Align, formatFixed, TextTable, type Formatter } from '../../../common/formatter.js';
import { civilFromDays, formatUtime, pgidToString, pgToUpActingOsds, type OSDMap, type PgId, type UTime } from '../../../common/osdmap/index.js';
import {
  addObjectStatSum,
  addStoreStatfs,
  decodeOsdStat,
  decodeStoreStatfs,
  emptyOsdStat,
  emptyPoolStat,
  emptyStoreStatfs,
  encodeOsdStat,
  encodeStoreStatfs,
  statfsUsedRaw,
  MPGStatsAck,
  type MPGStats,
  type OsdStat,
  type PoolStat,
  type StoreStatfs,
} from '../../../msg/messages/pgstats.js';
import { decodePgStat, emptyObjectStatSum, emptyPgStat, encodePgStat, PgState, pgStateFromString, pgStateString, type ObjectStatSum, type PgStat } from '../../../msg/messages/pgtypes.js';
import type { EVersion } from '../../../msg/messages/osdop.js';
import { MonStoreTx, type MonStoreRead } from '../store.js';
import { msFromUtime, timespanStr, utimeFromMs } from './common.js';

export const PGMAP_PREFIX = 'pgmap';
/** Ceph's paxos_propose_interval: reports are batched into one commit at most this often. */
export const PGMAP_PROPOSE_INTERVAL_MS = 1000;
/** mon_pg_stuck_threshold (60 s): a PG inactive / peering / stale / undersized this long is reported. */
export const PG_STUCK_THRESHOLD_MS = 60_000;
/** mon_health_max_detail (50). */
export const HEALTH_DETAIL_MAX = 50;
/** mon_stat_smooth_intervals (6): io rates average over this many commits. */
export const STAT_SMOOTH_INTERVALS = 6;
/** mon_delta_reset_interval (10 s) doubled: the longest one delta counts for. */
export const STAT_DELTA_MAX_MS = 20_000;
/** PGs one MPGStats may carry (an OSD reports the PGs it is primary for). */
export const PGSTATS_PGS_MAX = 65_536;

const PG_KEY = 'pg_';
const OSD_KEY = 'osd_';

// ---- PG state names (osd_types.cc pg_state_string / pg_string_state) -------------------------------

function hasBit(state: number, bit: number): boolean {
  return Math.floor(state / bit) % 2 === 1;
}

/** pg_state_string (pgtypes' pgStateString): "active+clean", "unknown" for 0. */
export const pgStateName = pgStateString;

/** pg_string_state: one state word to its bit; "unknown" is 0; undefined when not a state. */
export function pgStateBit(name: string): number | undefined {
  if (name === 'deep_scrub') return PgState.DEEP_SCRUB;
  return pgStateFromString(name);
}

// ---- small text helpers (include/types.h byte_u_t / si_u_t, osd_types.h printers) ----------------

function formatUnits(v: number, base: number, units: readonly string[]): string {
  let n = Math.max(0, Math.floor(v));
  const exact = n;
  let index = 0;
  let mult = 1;
  while (n >= base && index < units.length - 1) {
    n = Math.floor(n / base);
    index++;
    mult *= base;
  }
  const u = units[index]!;
  if (index === 0 || exact % mult === 0) return `${n}${u}`;
  let s = '';
  for (let i = 2; i >= 0; i--) {
    s = `${formatFixed(exact / mult, i)}${u}`;
    if (s.length <= 7) break;
  }
  return s;
}

/** byte_u_t: "0 B", "1.5 KiB", "3 GiB". */
export function byteU(v: number): string {
  return formatUnits(v, 1024, [' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB', ' EiB']);
}

/** si_u_t: "12", "1.50k", "3 M". */
export function siU(v: number): string {
  return formatUnits(v, 1000, ['', 'k', 'M', 'G', 'T', 'P', 'E']);
}

/** eversion_t printed: epoch'version. */
export function eversionStr(v: EVersion): string {
  return `${v.epoch}'${v.version}`;
}

/** pg_vector_string: [1,2,NONE]. */
export function pgVectorStr(v: readonly number[]): string {
  return '[' + v.map((x) => (x === 0x7fffffff ? 'NONE' : String(x))).join(',') + ']';
}

/** Ceph's percentify: "0" under 0.01, else two decimals. */
function percentify(a: number): string {
  return a < 0.01 ? '0' : formatFixed(a, 2);
}

// ---- stored entries ---------------------------------------------------------------------------------

interface StoredPg {
  pgid: PgId;
  stat: PgStat;
  reportedBy: number;
  reportStampMs: number;
}

interface StoredOsd {
  osd: number;
  stat: OsdStat;
  poolStatfs: Map<number, StoreStatfs>;
  reportStampMs: number;
}

function pgKey(pg: PgId): string {
  return `${PG_KEY}${pg.pool}.${pg.seed.toString(16)}`;
}

function osdKey(osd: number): string {
  return `${OSD_KEY}${osd}`;
}

function encodeStoredPg(p: StoredPg): Buffer {
  const e = new Encoder(700);
  e.startStruct(1, 1);
  e.u64(p.pgid.pool).u32(p.pgid.seed).s32(p.reportedBy).u64(p.reportStampMs);
  encodePgStat(e, p.stat);
  e.finishStruct();
  return e.toBuffer();
}

function decodeStoredPg(b: Buffer): StoredPg {
  const d = new Decoder(b, 'pgmap pg');
  d.decodeStart(1, 'pgmap pg');
  const pool = d.u64('pool');
  const seed = d.u32('seed');
  const reportedBy = d.s32('reported by');
  const reportStampMs = d.u64('report stamp');
  const stat = decodePgStat(d);
  d.decodeFinish('pgmap pg');
  return { pgid: { pool, seed }, stat, reportedBy, reportStampMs };
}

function encodeStoredOsd(o: StoredOsd): Buffer {
  const e = new Encoder(400);
  e.startStruct(1, 1);
  e.s32(o.osd).u64(o.reportStampMs);
  encodeOsdStat(e, o.stat);
  const pools = [...o.poolStatfs.keys()].sort((a, b) => a - b);
  e.u32(pools.length);
  for (const p of pools) {
    e.s64(p);
    encodeStoreStatfs(e, o.poolStatfs.get(p)!);
  }
  e.finishStruct();
  return e.toBuffer();
}

function decodeStoredOsd(b: Buffer): StoredOsd {
  const d = new Decoder(b, 'pgmap osd');
  d.decodeStart(1, 'pgmap osd');
  const osd = d.s32('osd');
  const reportStampMs = d.u64('report stamp');
  const stat = decodeOsdStat(d);
  const poolStatfs = d.map('pool statfs', 9, (x) => x.s64('pool'), (x) => decodeStoreStatfs(x));
  d.decodeFinish('pgmap osd');
  return { osd, stat, poolStatfs, reportStampMs };
}

// ---- the digest: what every read is computed from --------------------------------------------------

/** pool_stat_t plus what the outputs need per pool. */
export interface PoolSum extends PoolStat {
  numPg: number;
}

function addPgToPool(p: PoolSum, s: PgStat): void {
  addObjectStatSum(p.stats, s.statsSum);
  p.logSize += s.logSize;
  p.ondiskLogSize += s.ondiskLogSize;
  p.up += s.up.length;
  p.acting += s.acting.length;
  p.numPg++;
}

function newPoolSum(): PoolSum {
  return { ...emptyPoolStat(), numPg: 0 };
}

/** One PG as the outputs show it (unknown and stale applied). */
export interface PgView {
  pgid: PgId;
  stat: PgStat;
}

export interface PgMapDigest {
  pgs: PgView[];
  numPg: number;
  numPgActive: number;
  numPgUnknown: number;
  byState: Map<number, number>;
  pgSum: PoolSum;
  poolSums: Map<number, PoolSum>;
  osdSum: OsdStat;
  osds: Map<number, StoredOsd>;
  /** osd -> (primary PGs, PGs up or acting). */
  pgsByOsd: Map<number, { primary: number; all: number }>;
  perPool: boolean;
  perPoolOmap: boolean;
}

/** The ack entries as MPGStatsAck's payload (what a reply's out carries to the shell or a peon). */
export function encodeAckEntries(entries: readonly PgStatsAckEntry[]): Buffer {
  const m = new MPGStatsAck();
  m.pgStat = entries.map((e) => ({ pgid: { pool: e.pgid.pool, seed: e.pgid.seed }, seq: e.seq, epoch: e.epoch }));
  return Buffer.concat(m.toRaw(0n).front);
}

// ---- the service ----------------------------------------------------------------------------------

export interface PgStatsAckEntry {
  pgid: PgId;
  seq: number;
  epoch: number;
}

export class PgMapService {
  private version = 0;
  private stampMs = 0;
  private readonly pgs = new Map<string, StoredPg>();
  private readonly osds = new Map<number, StoredOsd>();
  private readonly cache = new Map<string, Buffer>();
  private readonly pendingPgs = new Map<string, StoredPg | null>();
  private readonly pendingOsds = new Map<number, StoredOsd | null>();
  private lastProposedMs = 0;
  /** Deltas between successive commits, for io rates: [delta sum, ms]. */
  private deltas: Array<{ sum: ObjectStatSum; ms: number }> = [];
  private lastSum: ObjectStatSum | null = null;
  private proposedVersion = 0;
  private electionEpoch = -1;

  epoch(): number {
    return this.version;
  }

  /** True while a write made here has not been seen committed. */
  inFlight(): boolean {
    return this.proposedVersion > this.version;
  }

  refresh(store: MonStoreRead, electionEpoch: number): void {
    if (electionEpoch !== this.electionEpoch) {
      // A new election: what was pending or in flight is dropped (OSDs report again within a second).
      this.electionEpoch = electionEpoch;
      this.proposedVersion = 0;
      this.pendingPgs.clear();
      this.pendingOsds.clear();
    }
    const v = store.getNumber(PGMAP_PREFIX, 'last_committed');
    if (v >= this.proposedVersion) this.proposedVersion = 0;
    if (v === this.version) return;
    const seen = new Set<string>();
    for (const key of store.keys(PGMAP_PREFIX)) {
      if (!key.startsWith(PG_KEY) && !key.startsWith(OSD_KEY)) continue;
      seen.add(key);
      const b = store.get(PGMAP_PREFIX, key)!;
      if (this.cache.get(key) === b) continue;
      this.cache.set(key, b);
      if (key.startsWith(PG_KEY)) this.pgs.set(key, decodeStoredPg(b));
      else {
        const o = decodeStoredOsd(b);
        this.osds.set(o.osd, o);
      }
    }
    for (const key of [...this.cache.keys()]) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      if (key.startsWith(PG_KEY)) this.pgs.delete(key);
      else this.osds.delete(Number(key.slice(OSD_KEY.length)));
    }
    const stamp = store.getNumber(PGMAP_PREFIX, 'stamp');
    // io rates: the change of the reported sums between this commit and the previous one.
    const sum = emptyObjectStatSum();
    for (const p of this.pgs.values()) addObjectStatSum(sum, p.stat.statsSum);
    // As Ceph, no delta while the previous sum was all zero (the map was not yet filled in).
    const lastSum = this.lastSum;
    if (lastSum && this.stampMs > 0 && stamp > this.stampMs && Object.values(lastSum).some((v) => v !== 0)) {
      const d = { ...sum };
      for (const k of Object.keys(d) as Array<keyof ObjectStatSum>) d[k] -= lastSum[k];
      this.deltas.push({ sum: d, ms: Math.min(stamp - this.stampMs, STAT_DELTA_MAX_MS) });
      while (this.deltas.length > STAT_SMOOTH_INTERVALS) this.deltas.shift();
    }
    this.lastSum = sum;
    this.version = v;
    this.stampMs = stamp;
  }

  /** The committed, in-flight-free first version (nothing to write: the service starts empty). */
  hasPending(): boolean {
    return this.pendingPgs.size > 0 || this.pendingOsds.size > 0;
  }

  /**
   * Leader: an OSD's report. Entries for PGs the osdmap does not have, or older (reported_epoch,
   * reported_seq) than what is held, are skipped (Ceph's ClusterState::ingest_pgstats). Returns the
   * ack entries (every reported PG with the version pair it carried).
   */
  handleStats(osd: number, m: MPGStats, osdmap: OSDMap, nowMs: number): PgStatsAckEntry[] {
    const ack: PgStatsAckEntry[] = [];
    if (!osdmap.exists(osd)) return ack;
    for (const { pgid, stat } of m.pgStat.slice(0, PGSTATS_PGS_MAX)) {
      ack.push({ pgid, seq: stat.reportedSeq, epoch: stat.reportedEpoch });
      const pool = osdmap.getPool(pgid.pool);
      if (!pool || pgid.seed >= pool.pgNum) continue;
      const key = pgKey(pgid);
      const held = this.pendingPgs.get(key) ?? this.pgs.get(key);
      if (held && (held.stat.reportedEpoch > stat.reportedEpoch || (held.stat.reportedEpoch === stat.reportedEpoch && held.stat.reportedSeq > stat.reportedSeq))) continue;
      this.pendingPgs.set(key, { pgid, stat, reportedBy: osd, reportStampMs: nowMs });
    }
    const poolStatfs = new Map<number, StoreStatfs>();
    for (const [pool, s] of m.poolStat) if (osdmap.getPool(pool)) poolStatfs.set(pool, s);
    this.pendingOsds.set(osd, { osd, stat: m.osdStat, poolStatfs, reportStampMs: nowMs });
    return ack;
  }

  /**
   * Leader: write the pending entries (and drop entries the osdmap no longer has) into tx. Held back
   * until PGMAP_PROPOSE_INTERVAL_MS since the last write unless `force` (another service proposes).
   */
  encodePending(tx: MonStoreTx, osdmap: OSDMap | null, nowMs: number, force: boolean): void {
    if (!osdmap || this.inFlight()) return;
    let changed = false;
    if (this.hasPending() && (force || nowMs - this.lastProposedMs >= PGMAP_PROPOSE_INTERVAL_MS)) {
      for (const [key, p] of this.pendingPgs) {
        if (p) tx.put(PGMAP_PREFIX, key, encodeStoredPg(p));
        else tx.erase(PGMAP_PREFIX, key);
      }
      for (const [osd, o] of this.pendingOsds) {
        if (o) tx.put(PGMAP_PREFIX, osdKey(osd), encodeStoredOsd(o));
        else tx.erase(PGMAP_PREFIX, osdKey(osd));
      }
      this.pendingPgs.clear();
      this.pendingOsds.clear();
      changed = true;
    }
    // Entries of deleted pools, merged PGs and removed OSDs go in the same write.
    for (const [key, p] of this.pgs) {
      const pool = osdmap.getPool(p.pgid.pool);
      if (!pool || p.pgid.seed >= pool.pgNum) {
        tx.erase(PGMAP_PREFIX, key);
        changed = true;
      }
    }
    for (const osd of this.osds.keys()) {
      if (!osdmap.exists(osd)) {
        tx.erase(PGMAP_PREFIX, osdKey(osd));
        changed = true;
      }
    }
    if (changed) {
      tx.putNumber(PGMAP_PREFIX, 'last_committed', this.version + 1);
      tx.putNumber(PGMAP_PREFIX, 'stamp', nowMs);
      this.lastProposedMs = nowMs;
      this.proposedVersion = this.version + 1;
    }
  }

  // -- reads ----------------------------------------------------------------------------------------

  /** Every PG of the committed osdmap with its committed stats (unknown / stale applied). */
  digest(osdmap: OSDMap | null, nowMs: number, reportTimeoutMs: number): PgMapDigest {
    const dg: PgMapDigest = {
      pgs: [], numPg: 0, numPgActive: 0, numPgUnknown: 0, byState: new Map(), pgSum: newPoolSum(), poolSums: new Map(),
      osdSum: emptyOsdStat(), osds: new Map(), pgsByOsd: new Map(), perPool: false, perPoolOmap: false,
    };
    if (!osdmap) return dg;
    const poolIds = [...osdmap.pools.keys()].sort((a, b) => a - b);
    for (const poolId of poolIds) {
      const pool = osdmap.pools.get(poolId)!;
      const psum = newPoolSum();
      dg.poolSums.set(poolId, psum);
      for (let seed = 0; seed < pool.pgNum; seed++) {
        const pgid = { pool: poolId, seed };
        const held = this.pgs.get(pgKey(pgid));
        let stat: PgStat;
        if (!held) {
          stat = emptyPgStat();
        } else {
          stat = held.stat;
          const primary = stat.actingPrimary;
          const primaryGone = primary < 0 || !osdmap.exists(primary) || !osdmap.isUp(primary);
          const silent = nowMs - held.reportStampMs > reportTimeoutMs;
          if ((primaryGone || silent) && !hasBit(stat.state, PgState.STALE)) stat = { ...stat, state: stat.state + PgState.STALE };
        }
        dg.pgs.push({ pgid, stat });
        dg.numPg++;
        if (hasBit(stat.state, PgState.ACTIVE)) dg.numPgActive++;
        if (stat.state === 0) dg.numPgUnknown++;
        dg.byState.set(stat.state, (dg.byState.get(stat.state) ?? 0) + 1);
        addPgToPool(psum, stat);
        addPgToPool(dg.pgSum, stat);
        const seen = new Set<number>();
        for (const o of [...stat.acting, ...stat.up]) {
          if (seen.has(o) || o < 0) continue;
          seen.add(o);
          const c = dg.pgsByOsd.get(o) ?? { primary: 0, all: 0 };
          c.all++;
          dg.pgsByOsd.set(o, c);
        }
        if (stat.upPrimary >= 0) {
          const c = dg.pgsByOsd.get(stat.upPrimary) ?? { primary: 0, all: 0 };
          c.primary++;
          dg.pgsByOsd.set(stat.upPrimary, c);
        }
      }
    }
    for (const osd of [...this.osds.keys()].sort((a, b) => a - b)) {
      if (!osdmap.exists(osd)) continue;
      const o = this.osds.get(osd)!;
      dg.osds.set(osd, o);
      addOsdStat(dg.osdSum, o.stat);
      for (const [pool, s] of o.poolStatfs) {
        const psum = dg.poolSums.get(pool);
        if (!psum) continue;
        addStoreStatfs(psum.storeStats, s);
        psum.numStoreStats++;
      }
    }
    dg.perPool = dg.osdSum.numOsds > 0 && dg.osdSum.numOsds === dg.osdSum.numPerPoolOsds;
    dg.perPoolOmap = dg.osdSum.numOsds > 0 && dg.osdSum.numOsds === dg.osdSum.numPerPoolOmapOsds;
    return dg;
  }

  /** The smoothed change of the summed counters and the span it covers, in seconds. */
  ioDelta(): { sum: ObjectStatSum; sec: number } {
    const sum = emptyObjectStatSum();
    let ms = 0;
    for (const d of this.deltas) {
      addObjectStatSum(sum, d.sum);
      ms += d.ms;
    }
    for (const k of Object.keys(sum) as Array<keyof ObjectStatSum>) if (sum[k] < 0) sum[k] = 0;
    return { sum, sec: ms / 1000 };
  }

  /** The time of the last commit (Ceph's PGMap stamp). */
  stamp(): number {
    return this.stampMs;
  }
}

/** osd_stat_t::add, for the sums the outputs print. */
function addOsdStat(into: OsdStat, o: OsdStat): void {
  addStoreStatfs(into.statfs, o.statfs);
  into.snapTrimQueueLen += o.snapTrimQueueLen;
  into.numSnapTrimming += o.numSnapTrimming;
  into.numShardsRepaired += o.numShardsRepaired;
  into.numPgs += o.numPgs;
  into.numOsds += o.numOsds;
  into.numPerPoolOsds += o.numPerPoolOsds;
  into.numPerPoolOmapOsds += o.numPerPoolOmapOsds;
  into.osCommitLatencyNs += o.osCommitLatencyNs;
  into.osApplyLatencyNs += o.osApplyLatencyNs;
}

// ---- dumps ----------------------------------------------------------------------------------------

function statfsUsed(s: StoreStatfs): number {
  return s.total - s.available - s.internallyReserved;
}

export function dumpStoreStatfs(f: Formatter, s: StoreStatfs): void {
  f.dumpInt('total', s.total);
  f.dumpInt('available', s.available);
  f.dumpInt('internally_reserved', s.internallyReserved);
  f.dumpInt('allocated', s.allocated);
  f.dumpInt('data_stored', s.dataStored);
  f.dumpInt('data_compressed', s.dataCompressed);
  f.dumpInt('data_compressed_allocated', s.dataCompressedAllocated);
  f.dumpInt('data_compressed_original', s.dataCompressedOriginal);
  f.dumpInt('omap_allocated', s.omapAllocated);
  f.dumpInt('internal_metadata', s.internalMetadata);
}

const SUM_DUMP: ReadonlyArray<readonly [string, keyof ObjectStatSum]> = [
  ['num_bytes', 'numBytes'], ['num_objects', 'numObjects'], ['num_object_clones', 'numObjectClones'],
  ['num_object_copies', 'numObjectCopies'], ['num_objects_missing_on_primary', 'numObjectsMissingOnPrimary'],
  ['num_objects_missing', 'numObjectsMissing'], ['num_objects_degraded', 'numObjectsDegraded'],
  ['num_objects_misplaced', 'numObjectsMisplaced'], ['num_objects_unfound', 'numObjectsUnfound'],
  ['num_objects_dirty', 'numObjectsDirty'], ['num_whiteouts', 'numWhiteouts'], ['num_read', 'numRd'],
  ['num_read_kb', 'numRdKb'], ['num_write', 'numWr'], ['num_write_kb', 'numWrKb'], ['num_scrub_errors', 'numScrubErrors'],
  ['num_shallow_scrub_errors', 'numShallowScrubErrors'], ['num_deep_scrub_errors', 'numDeepScrubErrors'],
  ['num_objects_recovered', 'numObjectsRecovered'], ['num_bytes_recovered', 'numBytesRecovered'],
  ['num_keys_recovered', 'numKeysRecovered'], ['num_objects_omap', 'numObjectsOmap'],
  ['num_objects_hit_set_archive', 'numObjectsHitSetArchive'], ['num_bytes_hit_set_archive', 'numBytesHitSetArchive'],
  ['num_flush', 'numFlush'], ['num_flush_kb', 'numFlushKb'], ['num_evict', 'numEvict'], ['num_evict_kb', 'numEvictKb'],
  ['num_promote', 'numPromote'], ['num_flush_mode_high', 'numFlushModeHigh'], ['num_flush_mode_low', 'numFlushModeLow'],
  ['num_evict_mode_some', 'numEvictModeSome'], ['num_evict_mode_full', 'numEvictModeFull'],
  ['num_objects_pinned', 'numObjectsPinned'], ['num_legacy_snapsets', 'numLegacySnapsets'],
  ['num_large_omap_objects', 'numLargeOmapObjects'], ['num_objects_manifest', 'numObjectsManifest'],
  ['num_omap_bytes', 'numOmapBytes'], ['num_omap_keys', 'numOmapKeys'], ['num_objects_repaired', 'numObjectsRepaired'],
];

/** object_stat_collection_t::dump: {"stat_sum": {...}}. */
export function dumpStatCollection(f: Formatter, s: ObjectStatSum): void {
  f.openObjectSection('stat_sum');
  for (const [name, k] of SUM_DUMP) f.dumpInt(name, s[k]);
  f.closeSection();
}

export function dumpPoolStat(f: Formatter, p: PoolStat): void {
  dumpStatCollection(f, p.stats);
  f.openObjectSection('store_stats');
  dumpStoreStatfs(f, p.storeStats);
  f.closeSection();
  f.dumpInt('log_size', p.logSize);
  f.dumpInt('ondisk_log_size', p.ondiskLogSize);
  f.dumpInt('up', p.up);
  f.dumpInt('acting', p.acting);
  f.dumpInt('num_store_stats', p.numStoreStats);
}

function dumpIntArray(f: Formatter, name: string, v: readonly number[]): void {
  f.openArraySection(name);
  for (const x of v) f.dumpInt('osd', x);
  f.closeSection();
}

/** pg_stat_t::dump. */
export function dumpPgStat(f: Formatter, s: PgStat): void {
  f.dumpString('version', eversionStr(s.version));
  f.dumpUnsigned('reported_seq', s.reportedSeq);
  f.dumpUnsigned('reported_epoch', s.reportedEpoch);
  f.dumpString('state', pgStateName(s.state));
  for (const [n, t] of [['last_fresh', s.lastFresh], ['last_change', s.lastChange], ['last_active', s.lastActive], ['last_peered', s.lastPeered], ['last_clean', s.lastClean], ['last_became_active', s.lastBecameActive], ['last_became_peered', s.lastBecamePeered], ['last_unstale', s.lastUnstale], ['last_undegraded', s.lastUndegraded], ['last_fullsized', s.lastFullsized]] as const) {
    f.dumpString(n, formatUtime(t));
  }
  f.dumpUnsigned('mapping_epoch', s.mappingEpoch);
  f.dumpString('log_start', eversionStr(s.logStart));
  f.dumpString('ondisk_log_start', eversionStr(s.ondiskLogStart));
  f.dumpUnsigned('created', s.created);
  f.dumpUnsigned('last_epoch_clean', s.lastEpochClean);
  f.dumpString('parent', pgidToString(s.parent));
  f.dumpUnsigned('parent_split_bits', s.parentSplitBits);
  f.dumpString('last_scrub', eversionStr(s.lastScrub));
  f.dumpString('last_scrub_stamp', formatUtime(s.lastScrubStamp));
  f.dumpString('last_deep_scrub', eversionStr(s.lastDeepScrub));
  f.dumpString('last_deep_scrub_stamp', formatUtime(s.lastDeepScrubStamp));
  f.dumpString('last_clean_scrub_stamp', formatUtime(s.lastCleanScrubStamp));
  f.dumpInt('log_size', s.logSize);
  f.dumpInt('ondisk_log_size', s.ondiskLogSize);
  f.dumpBool('stats_invalid', s.statsInvalid);
  f.dumpBool('dirty_stats_invalid', s.dirtyStatsInvalid);
  f.dumpBool('omap_stats_invalid', s.omapStatsInvalid);
  f.dumpBool('hitset_stats_invalid', s.hitsetStatsInvalid);
  f.dumpBool('hitset_bytes_stats_invalid', s.hitsetBytesStatsInvalid);
  f.dumpBool('pin_stats_invalid', s.pinStatsInvalid);
  f.dumpBool('manifest_stats_invalid', s.manifestStatsInvalid);
  f.dumpUnsigned('snaptrimq_len', s.snaptrimqLen);
  dumpStatCollection(f, s.statsSum);
  dumpIntArray(f, 'up', s.up);
  dumpIntArray(f, 'acting', s.acting);
  f.openArraySection('avail_no_missing');
  f.closeSection();
  f.openArraySection('object_location_counts');
  f.closeSection();
  dumpIntArray(f, 'blocked_by', s.blockedBy);
  f.dumpInt('up_primary', s.upPrimary);
  f.dumpInt('acting_primary', s.actingPrimary);
  f.openArraySection('purged_snaps');
  for (const [start, len] of s.purgedSnaps) {
    f.openObjectSection('interval');
    f.dumpString('start', start.toString(16));
    f.dumpString('length', len.toString(16));
    f.closeSection();
  }
  f.closeSection();
}

/** pg_stat_t::dump_brief. */
function dumpPgStatBrief(f: Formatter, s: PgStat): void {
  f.dumpString('state', pgStateName(s.state));
  dumpIntArray(f, 'up', s.up);
  dumpIntArray(f, 'acting', s.acting);
  f.dumpInt('up_primary', s.upPrimary);
  f.dumpInt('acting_primary', s.actingPrimary);
}

/** osd_stat_t::dump. */
export function dumpOsdStatFields(f: Formatter, s: OsdStat): void {
  f.dumpUnsigned('up_from', s.upFrom);
  f.dumpUnsigned('seq', s.seq);
  f.dumpUnsigned('num_pgs', s.numPgs);
  f.dumpUnsigned('num_osds', s.numOsds);
  f.dumpUnsigned('num_per_pool_osds', s.numPerPoolOsds);
  f.dumpUnsigned('num_per_pool_omap_osds', s.numPerPoolOmapOsds);
  f.dumpUnsigned('kb', Math.floor(s.statfs.total / 1024));
  f.dumpUnsigned('kb_used', Math.floor(statfsUsedRaw(s.statfs) / 1024));
  f.dumpUnsigned('kb_used_data', Math.floor(s.statfs.allocated / 1024));
  f.dumpUnsigned('kb_used_omap', Math.floor(s.statfs.omapAllocated / 1024));
  f.dumpUnsigned('kb_used_meta', Math.floor(s.statfs.internalMetadata / 1024));
  f.dumpUnsigned('kb_avail', Math.floor(s.statfs.available / 1024));
  f.openObjectSection('statfs');
  dumpStoreStatfs(f, s.statfs);
  f.closeSection();
  dumpIntArray(f, 'hb_peers', s.hbPeers);
  f.dumpInt('snap_trim_queue_len', s.snapTrimQueueLen);
  f.dumpInt('num_snap_trimming', s.numSnapTrimming);
  f.dumpInt('num_shards_repaired', s.numShardsRepaired);
  f.openObjectSection('op_queue_age_hist');
  f.openArraySection('histogram');
  for (const h of s.opQueueAgeHist) f.dumpInt('count', h);
  f.closeSection();
  f.dumpInt('upper_bound', 2 ** s.opQueueAgeHist.length);
  f.closeSection();
  f.openObjectSection('perf_stat');
  f.dumpFloat('commit_latency_ms', s.osCommitLatencyNs / 1e6);
  f.dumpFloat('apply_latency_ms', s.osApplyLatencyNs / 1e6);
  f.dumpUnsigned('commit_latency_ns', s.osCommitLatencyNs);
  f.dumpUnsigned('apply_latency_ns', s.osApplyLatencyNs);
  f.closeSection();
  f.openArraySection('alerts');
  f.closeSection();
  dumpPingTimes(f, s);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime_r without its newline, in UTC: "Thu Jan  1 00:00:00 1970" (calendar arithmetic, no clock). */
function ctimeUtc(sec: number): string {
  const days = Math.floor(sec / 86400);
  const rem = sec - days * 86400;
  const { y, m, d } = civilFromDays(days);
  const two = (n: number): string => String(n).padStart(2, '0');
  const wday = (((days + 4) % 7) + 7) % 7;
  return `${DAYS[wday]} ${MONTHS[m - 1]} ${String(d).padStart(2, ' ')} ${two(Math.floor(rem / 3600))}:${two(Math.floor((rem % 3600) / 60))}:${two(rem % 60)} ${y}`;
}

/** osd_stat_t::dump_ping_time: heartbeat ping times per peer (microseconds printed as ms). */
function dumpPingTimes(f: Formatter, s: OsdStat): void {
  const windows = (name: string, v: readonly number[]): void => {
    f.openObjectSection(name);
    f.dumpFloat('1min', v[0]! / 1000);
    f.dumpFloat('5min', v[1]! / 1000);
    f.dumpFloat('15min', v[2]! / 1000);
    f.closeSection();
  };
  f.openArraySection('network_ping_times');
  for (const osd of [...s.hbPingtime.keys()].sort((a, b) => a - b)) {
    const t = s.hbPingtime.get(osd)!;
    f.openObjectSection('entry');
    f.dumpInt('osd', osd);
    f.dumpString('last update', ctimeUtc(t.lastUpdate));
    f.openArraySection('interfaces');
    f.openObjectSection('interface');
    f.dumpString('interface', 'back');
    windows('average', t.backPingtime);
    windows('min', t.backMin);
    windows('max', t.backMax);
    f.dumpFloat('last', t.backLast / 1000);
    f.closeSection();
    if (t.frontPingtime[0] !== 0) {
      f.openObjectSection('interface');
      f.dumpString('interface', 'front');
      windows('average', t.frontPingtime);
      windows('min', t.frontMin);
      windows('max', t.frontMax);
      f.dumpFloat('last', t.frontLast / 1000);
      f.closeSection();
    }
    f.closeSection();
    f.closeSection();
  }
  f.closeSection();
}

// ---- `pg stat` --------------------------------------------------------------------------------------

/**
 * PGMapDigest::print_oneline_summary: what `pg stat` prints, as one line or (with `f`) as the fields
 * of its "pg_summary" section.
 */
function onelineSummary(svc: PgMapService, dg: PgMapDigest, f?: Formatter): string {
  const states = [...dg.byState.keys()].sort((a, b) => a - b);
  let out = '';
  if (f) {
    f.openArraySection('num_pg_by_state');
    for (const s of states) {
      f.openObjectSection('state');
      f.dumpString('name', pgStateName(s));
      f.dumpUnsigned('num', dg.byState.get(s)!);
      f.closeSection();
    }
    f.closeSection();
    f.dumpUnsigned('num_pgs', dg.numPg);
    f.dumpUnsigned('num_bytes', dg.pgSum.stats.numBytes);
    f.dumpInt('total_bytes', dg.osdSum.statfs.total);
    f.dumpInt('total_avail_bytes', dg.osdSum.statfs.available);
    f.dumpInt('total_used_bytes', statfsUsed(dg.osdSum.statfs));
    f.dumpInt('total_used_raw_bytes', statfsUsedRaw(dg.osdSum.statfs));
  } else {
    const byState = states.map((s) => `${dg.byState.get(s)!} ${pgStateName(s)}`).join(', ');
    out = `${dg.numPg} pgs: ${byState}; ${byteU(dg.pgSum.stats.numBytes)} data, ${byteU(statfsUsed(dg.osdSum.statfs))} used, ${byteU(dg.osdSum.statfs.available)} / ${byteU(dg.osdSum.statfs.total)} avail`;
  }
  const { sum, sec } = svc.ioDelta();
  if (sec > 0 && (sum.numRd || sum.numWr)) {
    const rd = Math.floor((sum.numRdKb * 1024) / sec);
    const wr = Math.floor((sum.numWrKb * 1024) / sec);
    const iops = Math.floor((sum.numRd + sum.numWr) / sec);
    if (f) {
      if (sum.numRd) f.dumpUnsigned('read_bytes_sec', rd);
      if (sum.numWr) f.dumpUnsigned('write_bytes_sec', wr);
      f.dumpUnsigned('io_sec', iops);
    } else {
      out += '; ';
      if (sum.numRd) out += `${byteU(rd)}/s rd, `;
      if (sum.numWr) out += `${byteU(wr)}/s wr, `;
      out += `${siU(iops)} op/s`;
    }
  }
  for (const l of recoverySummary(dg.pgSum.stats, f)) out += `; ${l}`;
  const rate = recoveryRateSummary(svc, f);
  if (rate) out += `; ${rate} recovering`;
  return out;
}

/** `pg stat` plain. */
export function pgStatPlain(svc: PgMapService, dg: PgMapDigest): string {
  return `${onelineSummary(svc, dg)}\n`;
}

/** `pg stat` JSON. */
export function dumpPgStatSummary(f: Formatter, svc: PgMapService, dg: PgMapDigest): void {
  f.openObjectSection('pg_info');
  f.dumpBool('pg_ready', true);
  f.openObjectSection('pg_summary');
  onelineSummary(svc, dg, f);
  f.closeSection();
  f.closeSection();
}

/**
 * PGMapDigest::recovery_summary: a sum's degraded / misplaced / unfound objects, as JSON fields into
 * `f`, else as text lines ("3/6 objects degraded (50.000%)").
 */
function recoverySummary(s: ObjectStatSum, f?: Formatter): string[] {
  const lines: string[] = [];
  const one = (what: string, n: number, total: number): void => {
    if (!n || total <= 0) return;
    const pc = (n / total) * 100;
    if (f) {
      f.dumpUnsigned(`${what}_objects`, n);
      f.dumpUnsigned(`${what}_total`, total);
      f.dumpFloat(`${what}_ratio`, pc / 100);
    } else {
      lines.push(`${n}/${total} objects ${what} (${formatFixed(pc, 3)}%)`);
    }
  };
  one('degraded', s.numObjectsDegraded, s.numObjectCopies);
  one('misplaced', s.numObjectsMisplaced, s.numObjectCopies);
  one('unfound', s.numObjectsUnfound, s.numObjects);
  return lines;
}

/** PGMapDigest::recovery_rate_summary over the smoothed delta: JSON fields into `f`, else the text ('' when nothing recovers). */
function recoveryRateSummary(svc: PgMapService, f?: Formatter): string {
  const { sum, sec } = svc.ioDelta();
  if (sec <= 0 || (!sum.numObjectsRecovered && !sum.numBytesRecovered && !sum.numKeysRecovered)) return '';
  const objps = Math.floor(sum.numObjectsRecovered / sec);
  const bps = Math.floor(sum.numBytesRecovered / sec);
  const kps = Math.floor(sum.numKeysRecovered / sec);
  if (f) {
    f.dumpInt('recovering_objects_per_sec', objps);
    f.dumpInt('recovering_bytes_per_sec', bps);
    f.dumpInt('recovering_keys_per_sec', kps);
    f.dumpInt('num_objects_recovered', sum.numObjectsRecovered);
    f.dumpInt('num_bytes_recovered', sum.numBytesRecovered);
    f.dumpInt('num_keys_recovered', sum.numKeysRecovered);
    return '';
  }
  let s = `${byteU(bps)}/s`;
  if (sum.numKeysRecovered) s += `, ${siU(kps)} keys/s`;
  return s + `, ${siU(objps)} objects/s`;
}

/** PGMapDigest::client_io_rate_summary over the smoothed delta: JSON fields into `f`, else the text ('' when idle). */
function clientIoRateSummary(svc: PgMapService, f?: Formatter): string {
  const { sum, sec } = svc.ioDelta();
  if (sec <= 0 || (!sum.numRd && !sum.numWr)) return '';
  const rd = Math.floor((sum.numRdKb * 1024) / sec);
  const wr = Math.floor((sum.numWrKb * 1024) / sec);
  const iopsRd = Math.floor(sum.numRd / sec);
  const iopsWr = Math.floor(sum.numWr / sec);
  if (f) {
    if (sum.numRd) f.dumpInt('read_bytes_sec', rd);
    if (sum.numWr) f.dumpInt('write_bytes_sec', wr);
    f.dumpInt('read_op_per_sec', iopsRd);
    f.dumpInt('write_op_per_sec', iopsWr);
    return '';
  }
  let s = '';
  if (sum.numRd) s += `${byteU(rd)}/s rd, `;
  if (sum.numWr) s += `${byteU(wr)}/s wr, `;
  return s + `${siU(iopsRd)} op/s rd, ${siU(iopsWr)} op/s wr`;
}

// ---- `ceph -s` data section -------------------------------------------------------------------------

/** PGMapDigest::print_summary (plain): the "data:" lines. */
export function statusDataPlain(dg: PgMapDigest, numPools: number): string {
  let out = `    pools:   ${numPools} pools, ${dg.numPg} pgs\n`;
  out += `    objects: ${siU(dg.pgSum.stats.numObjects)} objects, ${byteU(dg.pgSum.stats.numBytes)}\n`;
  out += `    usage:   ${byteU(statfsUsedRaw(dg.osdSum.statfs))} used, ${byteU(dg.osdSum.statfs.available)} / ${byteU(dg.osdSum.statfs.total)} avail\n`;
  out += '    pgs:     ';
  let pad = false;
  const indent = '             ';
  if (dg.numPgUnknown > 0) {
    out += `${formatFixed(Math.fround(dg.numPgUnknown / dg.numPg) * 100, 3)}% pgs unknown\n`;
    pad = true;
  }
  const inactive = dg.numPg - dg.numPgActive - dg.numPgUnknown;
  if (inactive > 0) {
    if (pad) out += indent;
    out += `${formatFixed(Math.fround(inactive / dg.numPg) * 100, 3)}% pgs not active\n`;
    pad = true;
  }
  for (const l of recoverySummary(dg.pgSum.stats)) {
    if (pad) out += indent;
    out += l + '\n';
    pad = true;
  }
  const byCount = statesByCount(dg);
  const width = Math.max(1, ...byCount.map(([, n]) => String(n).length));
  for (const [state, n] of byCount) {
    if (pad) out += indent;
    pad = true;
    out += `${String(n).padEnd(width)} ${pgStateName(state)}\n`;
  }
  if (dg.numPg === 0) out += '\n';
  return out;
}

/** The "io:" section's lines of `ceph -s` ('' when nothing is going on). */
export function statusIoPlain(svc: PgMapService): string {
  const client = clientIoRateSummary(svc);
  const rec = recoveryRateSummary(svc);
  let out = '';
  if (client) out += `    client:   ${client}\n`;
  if (rec) out += `    recovery: ${rec}\n`;
  return out;
}

/** Ceph's multimap<count, state> walked backwards: highest count first, ties by state descending. */
function statesByCount(dg: PgMapDigest): Array<[number, number]> {
  return [...dg.byState.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0]);
}

/** print_summary's JSON fields (inside the caller's "pgmap" section). */
export function dumpStatusData(f: Formatter, svc: PgMapService, dg: PgMapDigest, numPools: number): void {
  f.openArraySection('pgs_by_state');
  for (const [state, n] of statesByCount(dg)) {
    f.openObjectSection('pgs_by_state_element');
    f.dumpString('state_name', pgStateName(state));
    f.dumpUnsigned('count', n);
    f.closeSection();
  }
  f.closeSection();
  f.dumpUnsigned('num_pgs', dg.numPg);
  f.dumpUnsigned('num_pools', numPools);
  f.dumpUnsigned('num_objects', dg.pgSum.stats.numObjects);
  f.dumpUnsigned('data_bytes', dg.pgSum.stats.numBytes);
  f.dumpUnsigned('bytes_used', statfsUsedRaw(dg.osdSum.statfs));
  f.dumpUnsigned('bytes_avail', dg.osdSum.statfs.available);
  f.dumpUnsigned('bytes_total', dg.osdSum.statfs.total);
  if (dg.numPgUnknown > 0) f.dumpFloat('unknown_pgs_ratio', Math.fround(dg.numPgUnknown / dg.numPg));
  const inactive = dg.numPg - dg.numPgActive - dg.numPgUnknown;
  if (inactive > 0) f.dumpFloat('inactive_pgs_ratio', Math.fround(inactive / dg.numPg));
  recoverySummary(dg.pgSum.stats, f);
  recoveryRateSummary(svc, f);
  clientIoRateSummary(svc, f);
}

// ---- health -----------------------------------------------------------------------------------------

interface HealthAdd {
  add(code: string, severity: 'HEALTH_OK' | 'HEALTH_WARN' | 'HEALTH_ERR', summary: string, count: number): { detail: string[] };
}

const UNAVAILABLE = 1;
const DEGRADED = 2;
const DAMAGED = 4;

/** PGMap::get_health_checks: PG_AVAILABILITY, PG_DEGRADED, PG_DAMAGED, OSD_SCRUB_ERRORS. */
export function pgHealthChecks(dg: PgMapDigest, osdmap: OSDMap, nowMs: number, checks: HealthAdd): void {
  const responses: Array<{ bit: number; consequence: number; stuck?: (s: PgStat) => UTime; invert?: boolean }> = [
    { bit: PgState.INCONSISTENT, consequence: DAMAGED },
    { bit: PgState.INCOMPLETE, consequence: UNAVAILABLE },
    { bit: PgState.SNAPTRIM_ERROR, consequence: DAMAGED },
    { bit: PgState.RECOVERY_UNFOUND, consequence: DAMAGED },
    { bit: PgState.BACKFILL_UNFOUND, consequence: DAMAGED },
    { bit: PgState.DEGRADED, consequence: DEGRADED },
    { bit: PgState.DOWN, consequence: UNAVAILABLE },
    { bit: PgState.PEERING, consequence: UNAVAILABLE, stuck: (s: PgStat) => s.lastPeered },
    { bit: PgState.UNDERSIZED, consequence: DEGRADED, stuck: (s: PgStat) => s.lastFullsized },
    { bit: PgState.STALE, consequence: UNAVAILABLE, stuck: (s: PgStat) => s.lastUnstale },
    { bit: PgState.ACTIVE, consequence: UNAVAILABLE, stuck: (s: PgStat) => s.lastActive, invert: true },
  ].sort((a, b) => a.bit - b.bit);
  const cutoffMs = nowMs - PG_STUCK_THRESHOLD_MS;
  // Per consequence: PGs per state bit, and one message per PG (the last matching state's, by bit).
  const detected = new Map<number, { states: Map<number, number>; messages: Map<string, string> }>();
  for (const { pgid, stat } of dg.pgs) {
    for (const r of responses) {
      if (hasBit(stat.state, r.bit) === Boolean(r.invert)) continue;
      if (r.stuck) {
        const since = r.stuck(stat);
        const zero = since.sec === 0 && since.nsec === 0;
        if (zero && msFromUtime(stat.lastChange) >= cutoffMs) continue;
        if (!zero && msFromUtime(since) >= cutoffMs) continue;
      }
      let c = detected.get(r.consequence);
      if (!c) detected.set(r.consequence, (c = { states: new Map(), messages: new Map() }));
      c.states.set(r.bit, (c.states.get(r.bit) ?? 0) + 1);
      if (c.messages.size > HEALTH_DETAIL_MAX) continue;
      const stateName = r.bit === PgState.ACTIVE ? 'inactive' : pgStateName(r.bit);
      let m: string;
      if (r.stuck) {
        const since = r.stuck(stat);
        m = `pg ${pgidToString(pgid)} is stuck ${stateName}`;
        m += since.sec === 0 && since.nsec === 0 ? ' since forever' : ` for ${timespanStr(nowMs - msFromUtime(since))}`;
        m += `, current state ${pgStateName(stat.state)}, last acting ${pgVectorStr(stat.acting)}`;
      } else {
        m = `pg ${pgidToString(pgid)} is ${pgStateName(stat.state)}, acting ${pgVectorStr(stat.acting)}`;
        if (stat.statsSum.numObjectsUnfound) m += `, ${stat.statsSum.numObjectsUnfound} unfound`;
      }
      if (hasBit(stat.state, PgState.INCOMPLETE)) {
        const pool = osdmap.getPool(pgid.pool);
        if (pool && pool.minSize > 1) m += ` (reducing pool ${osdmap.getPoolName(pgid.pool) ?? ''} min_size from ${pool.minSize} may help; search ceph.com/docs for 'incomplete')`;
      }
      c.messages.set(pgidToString(pgid), m);
    }
  }
  for (const consequence of [...detected.keys()].sort((a, b) => a - b)) {
    const c = detected.get(consequence)!;
    let code: string;
    let summary: string;
    let sev: 'HEALTH_WARN' | 'HEALTH_ERR' = 'HEALTH_WARN';
    if (consequence === UNAVAILABLE) {
      code = 'PG_AVAILABILITY';
      summary = 'Reduced data availability: ';
    } else if (consequence === DEGRADED) {
      code = 'PG_DEGRADED';
      summary = 'Degraded data redundancy: ';
      const s = dg.pgSum.stats;
      if (s.numObjectsDegraded && s.numObjectCopies > 0) {
        summary += `${s.numObjectsDegraded}/${s.numObjectCopies} objects degraded (${formatFixed((s.numObjectsDegraded / s.numObjectCopies) * 100, 3)}%), `;
      }
    } else {
      code = 'PG_DAMAGED';
      summary = 'Possible data damage: ';
      sev = 'HEALTH_ERR';
    }
    let count = 0;
    const parts: string[] = [];
    for (const bit of [...c.states.keys()].sort((a, b) => a - b)) {
      const n = c.states.get(bit)!;
      parts.push(`${n}${n > 1 ? ' pgs ' : ' pg '}${bit === PgState.ACTIVE ? 'inactive' : pgStateName(bit)}`);
      count += n;
    }
    const check = checks.add(code, sev, summary + parts.join(', '), count);
    // dg.pgs is in pg_t order already (pool, then seed), as Ceph's map<pg_t, string> is.
    check.detail.push(...c.messages.values());
  }
  if (dg.pgSum.stats.numScrubErrors) {
    checks.add('OSD_SCRUB_ERRORS', 'HEALTH_ERR', `${dg.pgSum.stats.numScrubErrors} scrub errors`, dg.pgSum.stats.numScrubErrors);
  }
  const s = dg.pgSum.stats;
  if (s.numObjectsMisplaced && s.numObjectCopies > 0) {
    checks.add('OBJECT_MISPLACED', 'HEALTH_WARN', `${s.numObjectsMisplaced}/${s.numObjectCopies} objects misplaced (${formatFixed((s.numObjectsMisplaced / s.numObjectCopies) * 100, 3)}%)`, s.numObjectsMisplaced);
  }
  if (s.numObjectsUnfound && s.numObjects) {
    checks.add('OBJECT_UNFOUND', 'HEALTH_WARN', `${s.numObjectsUnfound}/${s.numObjects} objects unfound (${formatFixed((s.numObjectsUnfound / s.numObjects) * 100, 3)}%)`, s.numObjectsUnfound);
  }
}

// ---- `pg dump` ----------------------------------------------------------------------------------------

function pgTablePlain(pgs: readonly PgView[], brief: boolean): string {
  const t = new TextTable();
  const L = Align.Left;
  const R = Align.Right;
  if (brief) {
    t.defineColumn('PG_STAT', L, L);
    for (const h of ['STATE', 'UP', 'UP_PRIMARY', 'ACTING', 'ACTING_PRIMARY']) t.defineColumn(h, L, R);
  } else {
    t.defineColumn('PG_STAT', L, L);
    for (const h of ['OBJECTS', 'MISSING_ON_PRIMARY', 'DEGRADED', 'MISPLACED', 'UNFOUND', 'BYTES', 'OMAP_BYTES*', 'OMAP_KEYS*', 'LOG', 'DISK_LOG', 'STATE', 'STATE_STAMP', 'VERSION', 'REPORTED', 'UP', 'UP_PRIMARY', 'ACTING', 'ACTING_PRIMARY', 'LAST_SCRUB', 'SCRUB_STAMP', 'LAST_DEEP_SCRUB', 'DEEP_SCRUB_STAMP', 'SNAPTRIMQ_LEN']) t.defineColumn(h, L, R);
  }
  for (const { pgid, stat: s } of pgs) {
    if (brief) {
      t.cell(pgidToString(pgid)).cell(pgStateName(s.state)).cell(pgVectorStr(s.up)).cell(s.upPrimary).cell(pgVectorStr(s.acting)).cell(s.actingPrimary).endRow();
      continue;
    }
    const sum = s.statsSum;
    t.cell(pgidToString(pgid)).cell(sum.numObjects).cell(sum.numObjectsMissingOnPrimary).cell(sum.numObjectsDegraded).cell(sum.numObjectsMisplaced)
      .cell(sum.numObjectsUnfound).cell(sum.numBytes).cell(sum.numOmapBytes).cell(sum.numOmapKeys).cell(s.logSize).cell(s.ondiskLogSize)
      .cell(pgStateName(s.state)).cell(formatUtime(s.lastChange)).cell(eversionStr(s.version)).cell(`${s.reportedEpoch}:${s.reportedSeq}`)
      .cell(pgVectorStr(s.up)).cell(s.upPrimary).cell(pgVectorStr(s.acting)).cell(s.actingPrimary).cell(eversionStr(s.lastScrub))
      .cell(formatUtime(s.lastScrubStamp)).cell(eversionStr(s.lastDeepScrub)).cell(formatUtime(s.lastDeepScrubStamp)).cell(s.snaptrimqLen).endRow();
  }
  return t.toString();
}

function poolTablePlain(dg: PgMapDigest, header: boolean): string {
  const t = new TextTable();
  const heads = ['POOLID', 'OBJECTS', 'MISSING_ON_PRIMARY', 'DEGRADED', 'MISPLACED', 'UNFOUND', 'BYTES', 'OMAP_BYTES*', 'OMAP_KEYS*', 'LOG', 'DISK_LOG'];
  heads.forEach((h, i) => t.defineColumn(header ? h : '', Align.Left, i === 0 ? Align.Left : Align.Right));
  for (const [pool, p] of dg.poolSums) poolRow(t, String(pool), p);
  return t.toString();
}

function poolRow(t: TextTable, name: string, p: PoolStat): void {
  const s = p.stats;
  t.cell(name).cell(s.numObjects).cell(s.numObjectsMissingOnPrimary).cell(s.numObjectsDegraded).cell(s.numObjectsMisplaced).cell(s.numObjectsUnfound)
    .cell(s.numBytes).cell(s.numOmapBytes).cell(s.numOmapKeys).cell(p.logSize).cell(p.ondiskLogSize).endRow();
}

function sumTablePlain(dg: PgMapDigest, header: boolean): string {
  const t = new TextTable();
  const heads = ['PG_STAT', 'OBJECTS', 'MISSING_ON_PRIMARY', 'DEGRADED', 'MISPLACED', 'UNFOUND', 'BYTES', 'OMAP_BYTES*', 'OMAP_KEYS*', 'LOG', 'DISK_LOG'];
  heads.forEach((h, i) => t.defineColumn(header ? h : '', Align.Left, i === 0 ? Align.Left : Align.Right));
  poolRow(t, 'sum', dg.pgSum);
  return t.toString();
}

function osdTablePlain(dg: PgMapDigest): string {
  const t = new TextTable();
  t.defineColumn('OSD_STAT', Align.Left, Align.Left);
  for (const h of ['USED', 'AVAIL', 'USED_RAW', 'TOTAL', 'HB_PEERS', 'PG_SUM', 'PRIMARY_PG_SUM']) t.defineColumn(h, Align.Left, Align.Right);
  for (const [osd, o] of dg.osds) {
    const c = dg.pgsByOsd.get(osd) ?? { primary: 0, all: 0 };
    const st = o.stat.statfs;
    t.cell(osd).cell(byteU(statfsUsed(st))).cell(byteU(st.available)).cell(byteU(statfsUsedRaw(st))).cell(byteU(st.total)).cell(pgVectorStr(o.stat.hbPeers)).cell(c.all).cell(c.primary).endRow();
  }
  const st = dg.osdSum.statfs;
  t.cell('sum').cell(byteU(statfsUsed(st))).cell(byteU(st.available)).cell(byteU(statfsUsedRaw(st))).cell(byteU(st.total)).cell('').cell('').cell('').endRow();
  return t.toString();
}

const OMAP_STATS_NOTE = '\n* NOTE: Omap statistics are gathered during deep scrub and may be inaccurate soon afterwards depending on utilization. See http://docs.ceph.com/en/latest/dev/placement-group/#omap-statistics for further details.\n';

function dumpBasicPlain(svc: PgMapService): string {
  return `version ${svc.epoch()}\nstamp ${formatUtime(utimeFromMs(svc.stamp()))}\nlast_osdmap_epoch 0\nlast_pg_scan 0\n`;
}

function osdSumTablePlain(dg: PgMapDigest): string {
  const t = new TextTable();
  t.defineColumn('OSD_STAT', Align.Left, Align.Left);
  for (const h of ['USED', 'AVAIL', 'USED_RAW', 'TOTAL']) t.defineColumn(h, Align.Left, Align.Right);
  const st = dg.osdSum.statfs;
  t.cell('sum').cell(byteU(statfsUsed(st))).cell(byteU(st.available)).cell(byteU(statfsUsedRaw(st))).cell(byteU(st.total)).endRow();
  return t.toString();
}

/** The sorted set of `pg dump` contents (Ceph prints "dumped <set>"); "all" when none given. */
export function pgDumpWhat(what: readonly string[]): string[] {
  const w = [...new Set(what)].sort();
  return w.length ? w : ['all'];
}

/** `pg dump [all|summary|sum|delta|pools|osds|pgs|pgs_brief]` plain (process_pg_map_command). */
export function pgDumpPlain(svc: PgMapService, dg: PgMapDigest, what0: readonly string[]): string {
  const what = new Set(pgDumpWhat(what0));
  let out = '';
  let note = false;
  if (what.has('all')) {
    out += dumpBasicPlain(svc) + pgTablePlain(dg.pgs, false) + poolTablePlain(dg, false) + sumTablePlain(dg, false) + osdTablePlain(dg);
    note = true;
  } else if (what.has('summary') || what.has('sum')) {
    out += dumpBasicPlain(svc) + sumTablePlain(dg, true) + osdSumTablePlain(dg);
    note = true;
  } else {
    if (what.has('pgs_brief')) out += pgTablePlain(dg.pgs, true);
    let header = true;
    if (what.has('pgs')) {
      out += pgTablePlain(dg.pgs, false);
      header = false;
      note = true;
    }
    if (what.has('pools')) {
      out += poolTablePlain(dg, header);
      note = true;
    }
    if (what.has('osds')) out += osdTablePlain(dg);
  }
  return note ? out + OMAP_STATS_NOTE : out;
}

function dumpBasicJson(f: Formatter, svc: PgMapService, dg: PgMapDigest): void {
  f.dumpUnsigned('version', svc.epoch());
  f.dumpString('stamp', formatUtime(utimeFromMs(svc.stamp())));
  f.dumpUnsigned('last_osdmap_epoch', 0);
  f.dumpUnsigned('last_pg_scan', 0);
  f.openObjectSection('pg_stats_sum');
  dumpPoolStat(f, dg.pgSum);
  f.closeSection();
  f.openObjectSection('osd_stats_sum');
  dumpOsdStatFields(f, dg.osdSum);
  f.closeSection();
  dumpDeltaJson(f, svc);
}

function dumpDeltaJson(f: Formatter, svc: PgMapService): void {
  const io = svc.ioDelta();
  f.openObjectSection('pg_stats_delta');
  const p = emptyPoolStat();
  p.stats = io.sum;
  dumpPoolStat(f, p);
  f.dumpString('stamp_delta', formatFixed(io.sec, 6));
  f.closeSection();
}

function dumpPgStatsJson(f: Formatter, dg: PgMapDigest, brief: boolean): void {
  f.openArraySection('pg_stats');
  for (const { pgid, stat } of dg.pgs) {
    f.openObjectSection('pg_stat');
    f.dumpString('pgid', pgidToString(pgid));
    if (brief) dumpPgStatBrief(f, stat);
    else dumpPgStat(f, stat);
    f.closeSection();
  }
  f.closeSection();
}

function dumpPoolStatsJson(f: Formatter, dg: PgMapDigest): void {
  f.openArraySection('pool_stats');
  for (const [pool, p] of dg.poolSums) {
    f.openObjectSection('pool_stat');
    f.dumpInt('poolid', pool);
    f.dumpUnsigned('num_pg', p.numPg);
    dumpPoolStat(f, p);
    f.closeSection();
  }
  f.closeSection();
}

function dumpOsdStatsJson(f: Formatter, dg: PgMapDigest): void {
  f.openArraySection('osd_stats');
  for (const [osd, o] of dg.osds) {
    f.openObjectSection('osd_stat');
    f.dumpInt('osd', osd);
    dumpOsdStatFields(f, o.stat);
    f.closeSection();
  }
  f.closeSection();
  f.openArraySection('pool_statfs');
  for (const [osd, o] of dg.osds) {
    for (const [pool, st] of [...o.poolStatfs].sort((a, b) => a[0] - b[0])) {
      f.openObjectSection('item');
      f.dumpInt('poolid', pool);
      f.dumpInt('osd', osd);
      dumpStoreStatfs(f, st);
      f.closeSection();
    }
  }
  f.closeSection();
}

/** `pg dump` JSON: {"pg_ready": true, ...} as the manager answers (process_pg_map_command). */
export function pgDumpJson(f: Formatter, svc: PgMapService, dg: PgMapDigest, what0: readonly string[]): void {
  const what = new Set(pgDumpWhat(what0));
  f.openObjectSection('pg_info');
  f.dumpBool('pg_ready', true);
  if (what.has('all')) {
    f.openObjectSection('pg_map');
    dumpBasicJson(f, svc, dg);
    dumpPgStatsJson(f, dg, false);
    dumpPoolStatsJson(f, dg);
    dumpOsdStatsJson(f, dg);
    f.closeSection();
  } else if (what.has('summary') || what.has('sum')) {
    f.openObjectSection('pg_map');
    dumpBasicJson(f, svc, dg);
    f.closeSection();
  } else {
    if (what.has('pools')) dumpPoolStatsJson(f, dg);
    if (what.has('osds')) dumpOsdStatsJson(f, dg);
    if (what.has('pgs')) dumpPgStatsJson(f, dg, false);
    if (what.has('pgs_brief')) dumpPgStatsJson(f, dg, true);
    if (what.has('delta')) {
      f.openObjectSection('delta');
      dumpDeltaJson(f, svc);
      f.closeSection();
    }
  }
  f.closeSection();
}

// ---- `pg ls` ------------------------------------------------------------------------------------------

/** PGMap::get_filtered_pg_stats: pool (-1 any), osd (-1 any; primary only or any acting), state bits. */
export function filterPgs(dg: PgMapDigest, pool: number, osd: number, primary: boolean, states: number | 'all'): PgView[] {
  return dg.pgs.filter(({ pgid, stat }) => {
    if (pool >= 0 && pgid.pool !== pool) return false;
    if (osd >= 0 && !(primary ? stat.actingPrimary === osd : stat.acting.includes(osd))) return false;
    if (states === 'all') return true;
    if (states === 0) return stat.state === 0;
    for (let bit = 1; bit <= states; bit *= 2) if (hasBit(states, bit) && hasBit(stat.state, bit)) return true;
    return false;
  });
}

export function pgLsPlain(pgs: readonly PgView[], nowMs: number): string {
  const t = new TextTable();
  t.defineColumn('PG', Align.Left, Align.Left);
  for (const h of ['OBJECTS', 'DEGRADED', 'MISPLACED', 'UNFOUND', 'BYTES', 'OMAP_BYTES*', 'OMAP_KEYS*', 'LOG', 'STATE', 'SINCE', 'VERSION', 'REPORTED', 'UP', 'ACTING', 'SCRUB_STAMP', 'DEEP_SCRUB_STAMP']) t.defineColumn(h, Align.Left, Align.Right);
  for (const { pgid, stat: s } of pgs) {
    const sum = s.statsSum;
    t.cell(pgidToString(pgid)).cell(sum.numObjects).cell(sum.numObjectsDegraded).cell(sum.numObjectsMisplaced).cell(sum.numObjectsUnfound).cell(sum.numBytes)
      .cell(sum.numOmapBytes).cell(sum.numOmapKeys).cell(s.logSize).cell(pgStateName(s.state)).cell(timespanStr(nowMs - msFromUtime(s.lastChange)))
      .cell(eversionStr(s.version)).cell(`${s.reportedEpoch}:${s.reportedSeq}`).cell(`${pgVectorStr(s.up)}p${s.upPrimary}`)
      .cell(`${pgVectorStr(s.acting)}p${s.actingPrimary}`).cell(formatUtime(s.lastScrubStamp)).cell(formatUtime(s.lastDeepScrubStamp)).endRow();
  }
  return t.toString() + OMAP_STATS_NOTE;
}

export function pgLsJson(f: Formatter, pgs: readonly PgView[]): void {
  f.openObjectSection('pg_info');
  f.dumpBool('pg_ready', true);
  if (pgs.length === 0) {
    f.closeSection();
    return;
  }
  f.openArraySection('pg_stats');
  for (const { pgid, stat } of pgs) {
    f.openObjectSection('pg_stat');
    f.dumpString('pgid', pgidToString(pgid));
    dumpPgStat(f, stat);
    f.closeSection();
  }
  f.closeSection();
  f.closeSection();
}

// ---- `df` -----------------------------------------------------------------------------------------------

/** get_rule_stats: the raw space a rule can still place (bytes), or 0 when none of its OSDs reported. */
function ruleAvail(osdmap: OSDMap, dg: PgMapDigest, ruleno: number): { avail: number; maxOsd: number; maxRate: number } {
  const wm = osdmap.crush.getRuleWeightOsdMap(ruleno);
  if (typeof wm === 'number' || wm.size === 0) return { avail: 0, maxOsd: -1, maxRate: 0 };
  const fratio = Math.fround(osdmap.fullRatio);
  let min = -1;
  let maxOsd = -1;
  let maxRate = 0;
  for (const [osd, w] of [...wm].sort((a, b) => a[0] - b[0])) {
    const o = dg.osds.get(osd);
    if (!o || o.stat.statfs.total === 0 || w === 0) continue;
    const kbTotal = Math.floor(o.stat.statfs.total / 1024);
    const unusable = kbTotal * (1 - fratio);
    const avail = Math.max(0, Math.floor(o.stat.statfs.available / 1024) - unusable) * 1024;
    const proj = Math.floor(avail / w);
    if (min < 0 || proj < min) min = proj;
    const rate = Math.floor(statfsUsed(o.stat.statfs) / 1024) / kbTotal;
    if (rate > maxRate || maxOsd < 0) {
      maxOsd = osd;
      maxRate = rate;
    }
  }
  return { avail: Math.max(0, min), maxOsd, maxRate };
}

interface PoolDfRow {
  name: string;
  id: number;
  pgNum: number;
  stored: number;
  storedData: number;
  storedOmap: number;
  objects: number;
  used: number;
  usedData: number;
  usedOmap: number;
  percentUsed: number;
  maxOsd: number;
  maxRate: number;
  maxAvail: number;
  availRaw: number;
  storedRaw: number;
  quotaObjects: number;
  quotaBytes: number;
  pool: PoolSum;
}

function poolDfRows(osdmap: OSDMap, dg: PgMapDigest): PoolDfRow[] {
  const rows: PoolDfRow[] = [];
  for (const [id, p] of dg.poolSums) {
    const pool = osdmap.pools.get(id);
    if (!pool) continue;
    const r = ruleAvail(osdmap, dg, pool.crushRule);
    let rawUsedRate = pool.type === 1 ? pool.size : pool.size; // replicated: size (EC pools are not served)
    const sum = p.stats;
    if (sum.numObjectCopies > 0) rawUsedRate *= (sum.numObjectCopies - sum.numObjectsDegraded) / sum.numObjectCopies;
    const usedData = dg.perPool ? p.storeStats.allocated : sum.numBytes + sum.numBytesHitSetArchive;
    const usedOmap = dg.perPoolOmap ? p.storeStats.omapAllocated : 0;
    const used = usedData + usedOmap;
    // Ceph computes these in float (percent used, the raw rate, max avail): so do we, to print the same.
    const fr = Math.fround;
    const rate = fr(rawUsedRate);
    let pct = 0;
    if (r.avail) pct = fr(fr(used) / fr(fr(used) + fr(r.avail)));
    else if (used) pct = 1;
    const storedData = dg.perPool ? (rate ? Math.floor(fr(p.storeStats.dataStored / rate)) : 0) : sum.numBytes + sum.numBytesHitSetArchive;
    const storedOmap = dg.perPoolOmap ? (rate ? Math.floor(fr(p.storeStats.omapAllocated / rate)) : 0) : 0;
    const stored = storedData + storedOmap;
    rows.push({
      name: osdmap.getPoolName(id) ?? String(id), id, pgNum: pool.pgNum, stored, storedData, storedOmap, objects: sum.numObjects,
      used, usedData, usedOmap, percentUsed: pct, maxOsd: r.maxOsd, maxRate: r.maxRate,
      maxAvail: rate ? Math.floor(fr(fr(r.avail) / rate)) : 0, availRaw: r.avail, storedRaw: Math.floor(fr(stored * rate)),
      quotaObjects: Number(pool.quotaMaxObjects), quotaBytes: Number(pool.quotaMaxBytes), pool: p,
    });
  }
  return rows;
}

/** `ceph df [detail]` plain: --- RAW STORAGE --- and --- POOLS ---. */
export function dfPlain(osdmap: OSDMap, dg: PgMapDigest, detail: boolean): string {
  const t = new TextTable();
  t.defineColumn('CLASS', Align.Left, Align.Left);
  for (const h of ['SIZE', 'AVAIL', 'USED', 'RAW USED', '%RAW USED']) t.defineColumn(h, Align.Right, Align.Right);
  const byClass = osdSumByClass(osdmap, dg);
  const row = (name: string, s: StoreStatfs): void => {
    t.cell(name).cell(byteU(s.total)).cell(byteU(s.available)).cell(byteU(statfsUsed(s))).cell(byteU(statfsUsedRaw(s))).cell(percentify(usedRawRatio(s) * 100)).endRow();
  };
  for (const [cls, s] of byClass) row(cls, s);
  row('TOTAL', dg.osdSum.statfs);
  let out = '--- RAW STORAGE ---\n' + t.toString() + ' \n';
  const p = new TextTable();
  const L = Align.Left;
  const R = Align.Right;
  p.defineColumn('POOL', L, L);
  for (const h of ['ID', 'PGS', 'STORED']) p.defineColumn(h, R, R);
  if (detail) for (const h of ['(DATA)', '(OMAP)']) p.defineColumn(h, R, R);
  for (const h of ['OBJECTS', 'USED']) p.defineColumn(h, R, R);
  if (detail) for (const h of ['(DATA)', '(OMAP)']) p.defineColumn(h, R, R);
  for (const h of ['%USED', 'MAX AVAIL']) p.defineColumn(h, R, R);
  if (detail) for (const h of ['QUOTA OBJECTS', 'QUOTA BYTES', 'DIRTY', 'USED COMPR', 'UNDER COMPR']) p.defineColumn(h, R, R);
  for (const r of poolDfRows(osdmap, dg)) {
    p.cell(r.name).cell(r.id).cell(r.pgNum).cell(byteU(r.stored));
    if (detail) p.cell(byteU(r.storedData)).cell(byteU(r.storedOmap));
    p.cell(siU(r.objects)).cell(byteU(r.used));
    if (detail) p.cell(byteU(r.usedData)).cell(byteU(r.usedOmap));
    p.cell(percentify(r.percentUsed * 100)).cell(byteU(r.maxAvail));
    if (detail) {
      p.cell(r.quotaObjects === 0 ? 'N/A' : siU(r.quotaObjects)).cell(r.quotaBytes === 0 ? 'N/A' : byteU(r.quotaBytes)).cell('N/A')
        .cell(byteU(r.pool.storeStats.dataCompressedAllocated)).cell(byteU(r.pool.storeStats.dataCompressedOriginal));
    }
    p.endRow();
  }
  out += '--- POOLS ---\n' + p.toString();
  return out;
}

function usedRawRatio(s: StoreStatfs): number {
  return s.total ? statfsUsedRaw(s) / s.total : 0;
}

function osdSumByClass(osdmap: OSDMap, dg: PgMapDigest): Map<string, StoreStatfs> {
  const m = new Map<string, StoreStatfs>();
  for (const [osd, o] of dg.osds) {
    const cls = osdmap.crush.getItemClass(osd);
    if (!cls) continue;
    let s = m.get(cls);
    if (!s) m.set(cls, (s = emptyStoreStatfs()));
    addStoreStatfs(s, o.stat.statfs);
  }
  return new Map([...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

export function dfJson(f: Formatter, osdmap: OSDMap, dg: PgMapDigest, detail: boolean): void {
  f.openObjectSection('stats');
  f.dumpInt('total_bytes', dg.osdSum.statfs.total);
  f.dumpInt('total_avail_bytes', dg.osdSum.statfs.available);
  f.dumpInt('total_used_bytes', statfsUsed(dg.osdSum.statfs));
  f.dumpInt('total_used_raw_bytes', statfsUsedRaw(dg.osdSum.statfs));
  f.dumpFloat('total_used_raw_ratio', usedRawRatio(dg.osdSum.statfs));
  f.dumpUnsigned('num_osds', dg.osdSum.numOsds);
  f.dumpUnsigned('num_per_pool_osds', dg.osdSum.numPerPoolOsds);
  f.dumpUnsigned('num_per_pool_omap_osds', dg.osdSum.numPerPoolOmapOsds);
  f.closeSection();
  f.openObjectSection('stats_by_class');
  for (const [cls, s] of osdSumByClass(osdmap, dg)) {
    f.openObjectSection(cls);
    f.dumpInt('total_bytes', s.total);
    f.dumpInt('total_avail_bytes', s.available);
    f.dumpInt('total_used_bytes', statfsUsed(s));
    f.dumpInt('total_used_raw_bytes', statfsUsedRaw(s));
    f.dumpFloat('total_used_raw_ratio', usedRawRatio(s));
    f.closeSection();
  }
  f.closeSection();
  f.openArraySection('pools');
  for (const r of poolDfRows(osdmap, dg)) {
    f.openObjectSection('pool');
    f.dumpString('name', r.name);
    f.dumpInt('id', r.id);
    f.openObjectSection('stats');
    f.dumpInt('stored', r.stored);
    if (detail) {
      f.dumpInt('stored_data', r.storedData);
      f.dumpInt('stored_omap', r.storedOmap);
    }
    f.dumpInt('objects', r.objects);
    f.dumpInt('kb_used', Math.ceil(r.used / 1024));
    f.dumpInt('bytes_used', r.used);
    if (detail) {
      f.dumpInt('data_bytes_used', r.usedData);
      f.dumpInt('omap_bytes_used', r.usedOmap);
    }
    f.dumpFloat('percent_used', r.percentUsed);
    f.dumpUnsigned('max_avail', r.maxAvail);
    if (detail) {
      f.dumpInt('quota_objects', r.quotaObjects);
      f.dumpInt('quota_bytes', r.quotaBytes);
      f.dumpInt('dirty', 0);
      f.dumpInt('rd', r.pool.stats.numRd);
      f.dumpInt('rd_bytes', r.pool.stats.numRdKb * 1024);
      f.dumpInt('wr', r.pool.stats.numWr);
      f.dumpInt('wr_bytes', r.pool.stats.numWrKb * 1024);
      f.dumpInt('compress_bytes_used', r.pool.storeStats.dataCompressedAllocated);
      f.dumpInt('compress_under_bytes', r.pool.storeStats.dataCompressedOriginal);
      f.dumpInt('stored_raw', r.storedRaw);
      f.dumpUnsigned('avail_raw', r.availRaw);
    }
    f.closeSection();
    f.closeSection();
  }
  f.closeSection();
}

/** pool_stat_t per pool name, for MGetPoolStatsReply (librados' pool stats, `rados df`). */
export function poolStatsFor(osdmap: OSDMap, dg: PgMapDigest, names: readonly string[]): Map<string, PoolStat> {
  const out = new Map<string, PoolStat>();
  for (const name of names) {
    const id = osdmap.lookupPoolName(name);
    if (id < 0) continue;
    const p = dg.poolSums.get(id);
    if (!p) continue;
    out.set(name, { stats: { ...p.stats }, storeStats: { ...p.storeStats }, logSize: p.logSize, ondiskLogSize: p.ondiskLogSize, up: p.up, acting: p.acting, numStoreStats: p.numStoreStats });
  }
  return out;
}

/**
 * ceph_statfs for MStatfsReply (PGMapDigest::get_statfs): the cluster's KiB totals and object count,
 * or one data pool's (its bytes, the space its rule can still place, its objects) when asked.
 */
export function clusterStatfs(dg: PgMapDigest, osdmap: OSDMap | null = null, dataPool: number | null = null): { kb: number; kbUsed: number; kbAvail: number; numObjects: number } {
  if (osdmap && dataPool !== null && dg.poolSums.has(dataPool)) {
    const row = poolDfRows(osdmap, dg).find((r) => r.id === dataPool);
    const sum = dg.poolSums.get(dataPool)!.stats;
    const kbUsed = Math.floor(sum.numBytes / 1024);
    const kbAvail = Math.floor((row?.maxAvail ?? 0) / 1024);
    return { kb: kbUsed + kbAvail, kbUsed, kbAvail, numObjects: sum.numObjects };
  }
  const s = dg.osdSum.statfs;
  return { kb: Math.floor(s.total / 1024), kbUsed: Math.floor(statfsUsedRaw(s) / 1024), kbAvail: Math.floor(s.available / 1024), numObjects: dg.pgSum.stats.numObjects };
}

// ---- `osd df` -------------------------------------------------------------------------------------------

/** OSDUtilizationPlainDumper's lowprecision_t (a float): "-" below -0.01, "0" below 0.001, else 2 decimals. */
function lowPrecision(v: number): string {
  const f = Math.fround(v);
  if (f < -0.01) return '-';
  if (f < 0.001) return '0';
  return formatFixed(f, 2);
}

interface OsdDfRow {
  osd: number;
  cls: string;
  weight: number;
  reweight: number;
  kb: number;
  kbUsed: number;
  kbData: number;
  kbOmap: number;
  kbMeta: number;
  kbAvail: number;
  util: number;
  variance: number;
  pgs: number;
  up: boolean;
}

interface OsdDf {
  rows: OsdDfRow[];
  averageUtil: number;
  minVar: number;
  maxVar: number;
  dev: number;
}

/** OSDUtilizationDumper: per-OSD utilization, its variance from the average, and their spread. */
function osdDf(osdmap: OSDMap, dg: PgMapDigest): OsdDf {
  // average_utilization: every existing OSD with a nonzero reweight that reported a size.
  let kbAll = 0;
  let kbUsedAll = 0;
  for (let osd = 0; osd < osdmap.maxOsd; osd++) {
    if (!osdmap.exists(osd) || osdmap.getWeight(osd) === 0) continue;
    const st = dg.osds.get(osd)?.stat.statfs;
    if (!st || st.total < 1024) continue;
    kbAll += Math.floor(st.total / 1024);
    kbUsedAll += Math.floor(statfsUsedRaw(st) / 1024);
  }
  const averageUtil = kbAll > 0 ? (100 * kbUsedAll) / kbAll : 0;
  const out: OsdDf = { rows: [], averageUtil, minVar: -1, maxVar: -1, dev: 0 };
  let acc = 0;
  let sum = 0;
  for (let osd = 0; osd < osdmap.maxOsd; osd++) {
    if (!osdmap.exists(osd)) continue;
    const reweight = Math.fround(osdmap.getWeight(osd) / 0x10000);
    const st = osdmap.isOut(osd) ? emptyStoreStatfs() : (dg.osds.get(osd)?.stat.statfs ?? emptyStoreStatfs());
    const kb = Math.floor(st.total / 1024);
    const kbUsed = Math.floor(statfsUsedRaw(st) / 1024);
    const util = kbUsed && kb ? (100 * kbUsed) / kb : 0;
    const variance = averageUtil ? util / averageUtil : 1;
    out.rows.push({
      osd, cls: osdmap.crush.getItemClass(osd) ?? '', weight: osdmap.crush.getItemWeightf(osd) ?? 0, reweight, kb, kbUsed,
      kbData: Math.floor(st.allocated / 1024), kbOmap: Math.floor(st.omapAllocated / 1024), kbMeta: Math.floor(st.internalMetadata / 1024),
      kbAvail: Math.floor(st.available / 1024), util, variance, pgs: dg.pgsByOsd.get(osd)?.all ?? 0, up: osdmap.isUp(osd),
    });
    if (reweight > 0) {
      if (out.minVar < 0 || variance < out.minVar) out.minVar = variance;
      if (out.maxVar < 0 || variance > out.maxVar) out.maxVar = variance;
      acc += reweight * (util - averageUtil) * (util - averageUtil);
      sum += reweight;
    }
  }
  out.dev = sum > 0 ? Math.sqrt(acc / sum) : 0;
  return out;
}

/** `osd df` plain (Ceph's OSDUtilizationPlainDumper, flat form). */
export function osdDfPlain(osdmap: OSDMap, dg: PgMapDigest): string {
  const t = new TextTable();
  const R = Align.Right;
  t.defineColumn('ID', Align.Left, R);
  t.defineColumn('CLASS', Align.Left, R);
  for (const h of ['WEIGHT', 'REWEIGHT', 'SIZE', 'RAW USE', 'DATA', 'OMAP', 'META', 'AVAIL', '%USE', 'VAR', 'PGS', 'STATUS']) t.defineColumn(h, Align.Left, R);
  const d = osdDf(osdmap, dg);
  for (const r of d.rows) {
    t.cell(r.osd).cell(r.cls).cell(formatFixed(r.weight, 5)).cell(formatFixed(r.reweight, 5)).cell(byteU(r.kb * 1024)).cell(byteU(r.kbUsed * 1024))
      .cell(byteU(r.kbData * 1024)).cell(byteU(r.kbOmap * 1024)).cell(byteU(r.kbMeta * 1024)).cell(byteU(r.kbAvail * 1024))
      .cell(lowPrecision(r.util)).cell(lowPrecision(r.variance)).cell(r.pgs).cell(r.up ? 'up' : 'down').endRow();
  }
  const total = dg.osdSum.statfs;
  // The rows print whole KiB (kb << 10), the TOTAL row the summed bytes.
  t.cell('').cell('').cell('').cell('TOTAL').cell(byteU(total.total)).cell(byteU(statfsUsedRaw(total))).cell(byteU(total.allocated))
    .cell(byteU(total.omapAllocated)).cell(byteU(total.internalMetadata)).cell(byteU(total.available)).cell(lowPrecision(d.averageUtil)).cell('').cell('').cell('').endRow();
  return t.toString() + `MIN/MAX VAR: ${lowPrecision(d.minVar)}/${lowPrecision(d.maxVar)}  STDDEV: ${lowPrecision(d.dev)}\n`;
}

export function osdDfJson(f: Formatter, osdmap: OSDMap, dg: PgMapDigest): void {
  const d = osdDf(osdmap, dg);
  const total = dg.osdSum.statfs;
  f.openArraySection('nodes');
  for (const r of d.rows) {
    f.openObjectSection('osd');
    f.dumpInt('id', r.osd);
    f.dumpString('device_class', r.cls);
    f.dumpString('name', `osd.${r.osd}`);
    f.dumpString('type', 'osd');
    f.dumpInt('type_id', 0);
    f.dumpFloat('crush_weight', r.weight);
    f.dumpInt('depth', 2);
    f.openObjectSection('pool_weights');
    f.closeSection();
    f.dumpFloat('reweight', r.reweight);
    f.dumpInt('kb', r.kb);
    f.dumpInt('kb_used', r.kbUsed);
    f.dumpInt('kb_used_data', r.kbData);
    f.dumpInt('kb_used_omap', r.kbOmap);
    f.dumpInt('kb_used_meta', r.kbMeta);
    f.dumpInt('kb_avail', r.kbAvail);
    f.dumpFloat('utilization', r.util);
    f.dumpFloat('var', r.variance);
    f.dumpUnsigned('pgs', r.pgs);
    f.dumpString('status', r.up ? 'up' : 'down');
    f.closeSection();
  }
  f.closeSection();
  f.openArraySection('stray');
  f.closeSection();
  f.openObjectSection('summary');
  f.dumpInt('total_kb', Math.floor(total.total / 1024));
  f.dumpInt('total_kb_used', Math.floor(statfsUsedRaw(total) / 1024));
  f.dumpInt('total_kb_used_data', Math.floor(total.allocated / 1024));
  f.dumpInt('total_kb_used_omap', Math.floor(total.omapAllocated / 1024));
  f.dumpInt('total_kb_used_meta', Math.floor(total.internalMetadata / 1024));
  f.dumpInt('total_kb_avail', Math.floor(total.available / 1024));
  f.dumpFloat('average_utilization', d.averageUtil);
  f.dumpFloat('min_var', d.minVar);
  f.dumpFloat('max_var', d.maxVar);
  f.dumpFloat('dev', d.dev);
  f.closeSection();
}

// ---- `osd pool stats` -----------------------------------------------------------------------------------

/** PGMap::dump_pool_stats_and_io_rate for each pool (or one). */
export function osdPoolStatsPlain(osdmap: OSDMap, dg: PgMapDigest, pools: readonly number[]): string {
  let out = '';
  for (const id of pools) {
    const name = osdmap.getPoolName(id) ?? String(id);
    const p = dg.poolSums.get(id);
    const lines = p ? recoverySummary(p.stats).map((l) => `  ${l}\n`).join('') : '';
    out += `pool ${name} id ${id}\n`;
    out += lines ? `${lines}\n` : '  nothing is going on\n\n';
  }
  return out;
}

export function osdPoolStatsJson(f: Formatter, osdmap: OSDMap, dg: PgMapDigest, pools: readonly number[]): void {
  f.openArraySection('pool_stats');
  for (const id of pools) {
    f.openObjectSection('pool');
    f.dumpString('pool_name', osdmap.getPoolName(id) ?? String(id));
    f.dumpInt('pool_id', id);
    f.openObjectSection('recovery');
    const p = dg.poolSums.get(id);
    if (p) recoverySummary(p.stats, f);
    f.closeSection();
    f.openObjectSection('recovery_rate');
    f.closeSection();
    f.openObjectSection('client_io_rate');
    f.closeSection();
    f.closeSection();
  }
  f.closeSection();
}

// ---- `pg map` -------------------------------------------------------------------------------------------

/** `pg map <pgid>` plain: the osdmap's mapping (Ceph answers it from the OSDMap). */
export function pgMapPlain(osdmap: OSDMap, pg: PgId): string {
  const r = pgToUpActingOsds(osdmap, pg);
  return `osdmap e${osdmap.epoch} pg ${pgidToString(pg)} (${pgidToString(pg)}) -> up ${pgVectorStr(r.up)} acting ${pgVectorStr(r.acting)}\n`;
}

/** `pg map <pgid>` JSON. */
export function dumpPgMap(f: Formatter, osdmap: OSDMap, pg: PgId): void {
  const r = pgToUpActingOsds(osdmap, pg);
  f.openObjectSection('pg_map');
  f.dumpUnsigned('epoch', osdmap.epoch);
  f.dumpString('raw_pgid', pgidToString(pg));
  f.dumpString('pgid', pgidToString(pg));
  dumpIntArray(f, 'up', r.up);
  dumpIntArray(f, 'acting', r.acting);
  f.closeSection();
}

