// Proves the monitors' PGMap (mon/core/services/pgmap.ts): the pg_stat_t / osd_stat_t a real Ceph 16 cluster (ceph-mon + ceph-mgr + 2 MemStore OSDs, scripts/gen-pgmap-golden.sh) held, fed to our service as OSD reports over the same osdmap, print what Ceph printed (pg stat, pg dump pgs_brief/pools/sum/osds/pgs, pg ls, pg map, df [detail], osd df, osd pool stats, the status data lines; plain and JSON); and, with hand-made reports through the Paxos services: PGs are unknown until reported, the newest (reported_epoch, reported_seq) wins, a down primary or a silent reporter makes a PG stale, deleted pools drop out, reports are batched per propose interval and acked after the commit, and the health checks and status lines read as Ceph's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeOSDMap, type OSDMap, type UTime } from '../../common/osdmap/index.js';
import { createViewFormatter } from '../../common/osdmap/index.js';
import { MemMonStore, MonStoreTx } from '../../mon/core/store.js';
import {
  PgMapService,
  byteU,
  dfJson,
  dfPlain,
  dumpPgStatSummary,
  filterPgs,
  osdDfJson,
  osdDfPlain,
  osdPoolStatsJson,
  osdPoolStatsPlain,
  pgDumpJson,
  pgDumpPlain,
  pgLsPlain,
  pgLsJson,
  pgMapPlain,
  dumpPgMap,
  pgStatPlain,
  siU,
  statusDataPlain,
  dumpStatusData,
  dumpOsdStatFields,
  pgHealthChecks,
} from '../../mon/core/services/pgmap.js';
import { HealthCheckMap } from '../../common/osdmap/index.js';
import { MPGStats, MPGStatsAck, emptyOsdStat, emptyPgStat, PgState, type OsdStat, type PgStat } from '../../msg/messages/index.js';
import { ServicesHarness, testMonMap } from './services-support.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const GOLDEN = resolve(root, 'test/golden/pgmap');
const golden = (name: string): string => readFileSync(resolve(GOLDEN, name), 'utf8');
/** The CLI prints the manager's JSON after a blank line; compare the JSON itself. */
const goldenJson = (name: string): unknown => JSON.parse(golden(name));

// ---- reading Ceph's JSON dump back into the structs an OSD reports ---------------------------------

type Json = Record<string, unknown>;

function utime(s: unknown): UTime {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})\+0000$/.exec(String(s));
  if (!m) return { sec: 0, nsec: 0 };
  const sec = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  return sec <= 0 ? { sec: 0, nsec: 0 } : { sec, nsec: +m[7]! * 1000 };
}

function ev(s: unknown): { epoch: number; version: number } {
  const [e, v] = String(s).split("'");
  return { epoch: Number(e), version: Number(v) };
}

const SUM_KEYS: Record<string, keyof PgStat['statsSum']> = {
  num_bytes: 'numBytes', num_objects: 'numObjects', num_object_clones: 'numObjectClones', num_object_copies: 'numObjectCopies',
  num_objects_missing_on_primary: 'numObjectsMissingOnPrimary', num_objects_missing: 'numObjectsMissing', num_objects_degraded: 'numObjectsDegraded',
  num_objects_misplaced: 'numObjectsMisplaced', num_objects_unfound: 'numObjectsUnfound', num_objects_dirty: 'numObjectsDirty', num_whiteouts: 'numWhiteouts',
  num_read: 'numRd', num_read_kb: 'numRdKb', num_write: 'numWr', num_write_kb: 'numWrKb', num_scrub_errors: 'numScrubErrors',
  num_shallow_scrub_errors: 'numShallowScrubErrors', num_deep_scrub_errors: 'numDeepScrubErrors', num_objects_recovered: 'numObjectsRecovered',
  num_bytes_recovered: 'numBytesRecovered', num_keys_recovered: 'numKeysRecovered', num_objects_omap: 'numObjectsOmap',
  num_objects_hit_set_archive: 'numObjectsHitSetArchive', num_bytes_hit_set_archive: 'numBytesHitSetArchive', num_flush: 'numFlush',
  num_flush_kb: 'numFlushKb', num_evict: 'numEvict', num_evict_kb: 'numEvictKb', num_promote: 'numPromote', num_flush_mode_high: 'numFlushModeHigh',
  num_flush_mode_low: 'numFlushModeLow', num_evict_mode_some: 'numEvictModeSome', num_evict_mode_full: 'numEvictModeFull',
  num_objects_pinned: 'numObjectsPinned', num_legacy_snapsets: 'numLegacySnapsets', num_large_omap_objects: 'numLargeOmapObjects',
  num_objects_manifest: 'numObjectsManifest', num_omap_bytes: 'numOmapBytes', num_omap_keys: 'numOmapKeys', num_objects_repaired: 'numObjectsRepaired',
};

const STATE_BITS: Record<string, number> = { active: PgState.ACTIVE, clean: PgState.CLEAN, peering: PgState.PEERING, degraded: PgState.DEGRADED, undersized: PgState.UNDERSIZED, stale: PgState.STALE, creating: PgState.CREATING };

function pgStatFromJson(j: Json): PgStat {
  const s = emptyPgStat();
  s.version = ev(j['version']);
  s.reportedSeq = Number(j['reported_seq']);
  s.reportedEpoch = Number(j['reported_epoch']);
  s.state = String(j['state']).split('+').reduce((a, w) => a + (STATE_BITS[w] ?? 0), 0);
  for (const [k, f] of [['last_fresh', 'lastFresh'], ['last_change', 'lastChange'], ['last_active', 'lastActive'], ['last_peered', 'lastPeered'], ['last_clean', 'lastClean'], ['last_became_active', 'lastBecameActive'], ['last_became_peered', 'lastBecamePeered'], ['last_unstale', 'lastUnstale'], ['last_undegraded', 'lastUndegraded'], ['last_fullsized', 'lastFullsized'], ['last_scrub_stamp', 'lastScrubStamp'], ['last_deep_scrub_stamp', 'lastDeepScrubStamp'], ['last_clean_scrub_stamp', 'lastCleanScrubStamp']] as const) {
    s[f] = utime(j[k]);
  }
  s.mappingEpoch = Number(j['mapping_epoch']);
  s.logStart = ev(j['log_start']);
  s.ondiskLogStart = ev(j['ondisk_log_start']);
  s.created = Number(j['created']);
  s.lastEpochClean = Number(j['last_epoch_clean']);
  s.lastScrub = ev(j['last_scrub']);
  s.lastDeepScrub = ev(j['last_deep_scrub']);
  s.logSize = Number(j['log_size']);
  s.ondiskLogSize = Number(j['ondisk_log_size']);
  const sum = j['stat_sum'] as Json;
  for (const [k, f] of Object.entries(SUM_KEYS)) s.statsSum[f] = Number(sum[k] ?? 0);
  s.up = (j['up'] as number[]).slice();
  s.acting = (j['acting'] as number[]).slice();
  s.upPrimary = Number(j['up_primary']);
  s.actingPrimary = Number(j['acting_primary']);
  return s;
}

function osdStatFromJson(j: Json): OsdStat {
  const o = emptyOsdStat();
  const st = j['statfs'] as Json;
  o.statfs = {
    total: Number(st['total']), available: Number(st['available']), internallyReserved: Number(st['internally_reserved']), allocated: Number(st['allocated']),
    dataStored: Number(st['data_stored']), dataCompressed: Number(st['data_compressed']), dataCompressedAllocated: Number(st['data_compressed_allocated']),
    dataCompressedOriginal: Number(st['data_compressed_original']), omapAllocated: Number(st['omap_allocated']), internalMetadata: Number(st['internal_metadata']),
  };
  o.hbPeers = (j['hb_peers'] as number[]).slice();
  o.upFrom = Number(j['up_from']);
  o.seq = Number(j['seq']);
  o.numPgs = Number(j['num_pgs']);
  o.numOsds = Number(j['num_osds']);
  o.numPerPoolOsds = Number(j['num_per_pool_osds']);
  o.numPerPoolOmapOsds = Number(j['num_per_pool_omap_osds']);
  const ms = (x: unknown): number => Math.round(Number(x) * 1000);
  const w = (x: Json): [number, number, number] => [ms(x['1min']), ms(x['5min']), ms(x['15min'])];
  for (const e of (j['network_ping_times'] as Json[] | undefined) ?? []) {
    const ifs = e['interfaces'] as Json[];
    const back = ifs.find((i) => i['interface'] === 'back')!;
    const front = ifs.find((i) => i['interface'] === 'front');
    const t = Date.parse(`${String(e['last update']).replace(/ +/g, ' ')} UTC`) / 1000;
    o.hbPingtime.set(Number(e['osd']), {
      lastUpdate: t, backPingtime: w(back['average'] as Json), backMin: w(back['min'] as Json), backMax: w(back['max'] as Json), backLast: ms(back['last']),
      frontPingtime: front ? w(front['average'] as Json) : [0, 0, 0], frontMin: front ? w(front['min'] as Json) : [0, 0, 0],
      frontMax: front ? w(front['max'] as Json) : [0, 0, 0], frontLast: front ? ms(front['last']) : 0,
    });
  }
  return o;
}

/** Commit what the service holds into a store and refresh from it (as a Paxos commit would). */
function commitTo(svc: PgMapService, store: MemMonStore, osdmap: OSDMap, nowMs: number, electionEpoch = 1): boolean {
  const tx = new MonStoreTx();
  svc.encodePending(tx, osdmap, nowMs, true);
  if (tx.empty) return false;
  store.apply(MonStoreTx.decode(tx.encode()));
  svc.refresh(store, electionEpoch);
  return true;
}

interface GoldenCluster {
  svc: PgMapService;
  osdmap: OSDMap;
  nowMs: number;
}

function goldenCluster(dumpFile = 'pg-dump.json', osdmapFile = 'osdmap.bin'): GoldenCluster {
  const osdmap = decodeOSDMap(readFileSync(resolve(GOLDEN, osdmapFile)));
  const dump = (goldenJson(dumpFile) as Json)['pg_map'] as Json;
  const nowMs = utime(dump['stamp']).sec * 1000;
  const svc = new PgMapService();
  const store = new MemMonStore();
  svc.refresh(store, 1);
  const osdStats = new Map<number, OsdStat>();
  for (const o of dump['osd_stats'] as Json[]) osdStats.set(Number(o['osd']), osdStatFromJson(o));
  const byPrimary = new Map<number, MPGStats>();
  for (const p of dump['pg_stats'] as Json[]) {
    const stat = pgStatFromJson(p);
    const [pool, seed] = String(p['pgid']).split('.');
    let m = byPrimary.get(stat.actingPrimary);
    if (!m) {
      m = new MPGStats(osdmap.fsid, osdmap.epoch);
      m.osdStat = osdStats.get(stat.actingPrimary)!;
      byPrimary.set(stat.actingPrimary, m);
    }
    m.pgStat.push({ pgid: { pool: Number(pool), seed: parseInt(seed!, 16) }, stat });
  }
  for (const [osd, m] of byPrimary) svc.handleStats(osd, m, osdmap, nowMs);
  for (const [osd, o] of osdStats) {
    if (byPrimary.has(osd)) continue;
    const m = new MPGStats(osdmap.fsid, osdmap.epoch);
    m.osdStat = o;
    svc.handleStats(osd, m, osdmap, nowMs);
  }
  assert.ok(commitTo(svc, store, osdmap, nowMs));
  return { svc, osdmap, nowMs };
}

/** A table's header line, then its other lines sorted (Ceph walks an unordered_map for these). */
function rowsAsSet(text: string): string[] {
  const lines = text.split('\n');
  return [lines[0]!, ...lines.slice(1).sort()];
}

/** Same values, same keys in the same order (what a JSON dump must match). */
function assertSameJson(ours: unknown, ceph: unknown): void {
  assert.equal(JSON.stringify(ours), JSON.stringify(ceph));
}

function json(dump: (f: ReturnType<typeof createViewFormatter>) => void): unknown {
  const f = createViewFormatter('json');
  dump(f);
  return JSON.parse(f.flush());
}

describe('mon/pgmap: the PGMap against a real Ceph 16 cluster\'s outputs (test/golden/pgmap)', () => {
  const g = goldenCluster();
  const dg = g.svc.digest(g.osdmap, g.nowMs, 900_000);

  it('pg stat, plain and JSON', () => {
    assert.equal(pgStatPlain(g.svc, dg), golden('pg-stat.txt'));
    assertSameJson(json((f) => dumpPgStatSummary(f, g.svc, dg)), goldenJson('pg-stat.json'));
  });

  it('pg dump pgs_brief / pools / sum / osds / pgs (rows as a set: Ceph prints an unordered_map)', () => {
    assert.deepEqual(rowsAsSet(pgDumpPlain(g.svc, dg, ['pgs_brief'])), rowsAsSet(golden('pg-dump-pgs_brief.txt')));
    assert.equal(pgDumpPlain(g.svc, dg, ['pools']), golden('pg-dump-pools.txt'));
    assert.deepEqual(pgDumpPlain(g.svc, dg, ['sum']).split('\n').slice(2), golden('pg-dump-sum.txt').split('\n').slice(2));
    assert.deepEqual(rowsAsSet(pgDumpPlain(g.svc, dg, ['osds'])), rowsAsSet(golden('pg-dump-osds.txt')));
    assert.deepEqual(rowsAsSet(pgDumpPlain(g.svc, dg, ['pgs'])), rowsAsSet(golden('pg-dump-pgs.txt')));
    // `pg dump` (all): every line but version and stamp, as a multiset.
    const allLines = (t: string): string[] => t.split('\n').slice(2).sort();
    assert.deepEqual(allLines(pgDumpPlain(g.svc, dg, [])), allLines(golden('pg-dump-all.txt')));
    const brief = json((f) => pgDumpJson(f, g.svc, dg, ['pgs_brief'])) as { pg_stats: Array<{ pgid: string }> };
    const want = goldenJson('pg-dump-pgs_brief.json') as { pg_stats: Array<{ pgid: string }> };
    const byId = (a: { pgid: string }, b: { pgid: string }): number => (a.pgid < b.pgid ? -1 : 1);
    assert.deepEqual({ ...brief, pg_stats: brief.pg_stats.sort(byId) }, { ...want, pg_stats: want.pg_stats.sort(byId) });
    assertSameJson(json((f) => pgDumpJson(f, g.svc, dg, ['pools'])), goldenJson('pg-dump-pools.json'));
    // Every pg_stat_t dumped field for field as the manager dumped it.
    const pgsOurs = (json((f) => pgDumpJson(f, g.svc, dg, ['pgs'])) as { pg_stats: Array<{ pgid: string }> }).pg_stats.sort(byId);
    const pgsCeph = ((goldenJson('pg-dump.json') as Json)['pg_map'] as { pg_stats: Array<{ pgid: string }> }).pg_stats.sort(byId);
    assert.equal(JSON.stringify(pgsOurs), JSON.stringify(pgsCeph), 'same fields in the same order');
    // Every osd_stat_t and the pool_statfs list, as the manager dumped them.
    const osdsOurs = json((f) => pgDumpJson(f, g.svc, dg, ['osds'])) as Json;
    const all = (goldenJson('pg-dump.json') as Json)['pg_map'] as Json;
    const byOsd = (a: Json, b: Json): number => Number(a['osd']) - Number(b['osd']);
    assertSameJson((osdsOurs['osd_stats'] as Json[]).sort(byOsd), (all['osd_stats'] as Json[]).sort(byOsd));
    assertSameJson(osdsOurs['pool_statfs'], all['pool_statfs']);
    // pg dump sum: everything but the version, the stamp and the io delta's stamp span.
    const sumOurs = json((f) => pgDumpJson(f, g.svc, dg, ['sum'])) as { pg_map: Json };
    const sumCeph = goldenJson('pg-dump-sum.json') as { pg_map: Json };
    for (const k of ['pg_stats_sum', 'osd_stats_sum']) assertSameJson(sumOurs.pg_map[k], sumCeph.pg_map[k]);
    assert.deepEqual(Object.keys(sumOurs.pg_map), Object.keys(sumCeph.pg_map));
  });

  it('pg ls-by-pool and pg ls <pool> <state> (SINCE masked: it depends on when the CLI ran)', () => {
    const mask = (t: string): string => t.replace(/ +\d+[smhd] +(?=\d+'\d+)/g, ' SINCE ');
    const pgs = filterPgs(dg, 1, -1, false, 'all');
    assert.equal(mask(pgLsPlain(pgs, g.nowMs)), mask(golden('pg-ls-by-pool.txt')));
    assert.equal(mask(pgLsPlain(filterPgs(dg, 1, -1, false, PgState.ACTIVE), g.nowMs)), mask(golden('pg-ls-1-active.txt')));
  });

  it('pg ls SINCE is utimespan_str, which is timespan_str: float seconds under 2 s ("0.5s"), then whole units', () => {
    const since = (agoMs: number): string => {
      const stat = emptyPgStat();
      const nowMs = 1_700_000_000_000;
      stat.lastChange = { sec: Math.floor((nowMs - agoMs) / 1000), nsec: ((nowMs - agoMs) % 1000) * 1e6 };
      const row = pgLsPlain([{ pgid: { pool: 1, seed: 0 }, stat }], nowMs).split('\n')[1]!;
      return row.split(/ +/)[10]!; // PG OBJECTS DEGRADED MISPLACED UNFOUND BYTES OMAP_BYTES* OMAP_KEYS* LOG STATE SINCE
    };
    assert.equal(since(500), '0.5s');
    assert.equal(since(1250), '1.25s');
    assert.equal(since(90_000), '90s');
    assert.equal(since(180_000), '3m');
  });

  it('pg map, plain and JSON', () => {
    assert.equal(pgMapPlain(g.osdmap, { pool: 1, seed: 3 }), golden('pg-map.txt'));
    assertSameJson(json((f) => dumpPgMap(f, g.osdmap, { pool: 1, seed: 3 })), goldenJson('pg-map.json'));
  });

  it('df and df detail, plain and JSON', () => {
    assert.equal(dfPlain(g.osdmap, dg, false), golden('df.txt'));
    assert.equal(dfPlain(g.osdmap, dg, true), golden('df-detail.txt'));
    assertSameJson(json((f) => {
      f.openObjectSection('df');
      dfJson(f, g.osdmap, dg, false);
      f.closeSection();
    }), goldenJson('df.json'));
    assertSameJson(json((f) => {
      f.openObjectSection('df');
      dfJson(f, g.osdmap, dg, true);
      f.closeSection();
    }), goldenJson('df-detail.json'));
  });

  it('osd df, plain and JSON', () => {
    assert.equal(osdDfPlain(g.osdmap, dg), golden('osd-df.txt'));
    assertSameJson(json((f) => {
      f.openObjectSection('df');
      osdDfJson(f, g.osdmap, dg);
      f.closeSection();
    }), goldenJson('osd-df.json'));
  });

  it('osd pool stats, plain and JSON', () => {
    assert.equal(osdPoolStatsPlain(g.osdmap, dg, [1]), golden('osd-pool-stats.txt'));
    assertSameJson(json((f) => osdPoolStatsJson(f, g.osdmap, dg, [1])), goldenJson('osd-pool-stats.json'));
  });

  it('the status data lines, plain and JSON', () => {
    const want = golden('status.txt');
    const data = want.slice(want.indexOf('  data:\n') + '  data:\n'.length).replace(/ \n+$/, '');
    assert.equal(statusDataPlain(dg, 1), data);
    const ours = json((f) => {
      f.openObjectSection('pgmap');
      dumpStatusData(f, g.svc, dg, 1);
      f.closeSection();
    });
    assertSameJson(ours, (goldenJson('status.json') as Json)['pgmap']);
  });

  it('pg ls -f json', () => {
    assertSameJson(json((f) => pgLsJson(f, filterPgs(dg, -1, -1, false, 'all'))), goldenJson('pg-ls.json'));
  });

  it('health: no PG check on the clean cluster, as Ceph\'s health detail has none', () => {
    const checks = new HealthCheckMap();
    pgHealthChecks(dg, g.osdmap, g.nowMs, checks);
    assert.deepEqual([...checks.checks.keys()], []);
    assert.ok(!/\] (PG_|OSD_SCRUB|OBJECT_)/.test(golden('health-detail.txt')));
  });

  it('the goldens were taken from a still PG map (pg-dump-after.json holds the same pg_stats)', () => {
    for (const [a, b] of [['pg-dump.json', 'pg-dump-after.json'], ['pg-dump-degraded.json', 'pg-dump-degraded-after.json']] as const) {
      const stats = (name: string): unknown => ((goldenJson(name) as Json)['pg_map'] as Json)['pg_stats'];
      assert.deepEqual(stats(b), stats(a), `${a} vs ${b}`);
    }
  });
});

describe('mon/pgmap: a degraded cluster (osd.1 killed and down) against the real Ceph 16\'s outputs', () => {
  const g = goldenCluster('pg-dump-degraded.json', 'osdmap-degraded.bin');
  const dg = g.svc.digest(g.osdmap, g.nowMs, 900_000);

  it('pg stat with the degraded objects, the status data lines, osd pool stats, df', () => {
    assert.equal(pgStatPlain(g.svc, dg), golden('pg-stat-degraded.txt'));
    const want = golden('status-degraded.txt');
    const data = want.slice(want.indexOf('  data:\n') + '  data:\n'.length).replace(/ \n+$/, '');
    assert.equal(statusDataPlain(dg, 1), data);
    assert.equal(osdPoolStatsPlain(g.osdmap, dg, [1]), golden('osd-pool-stats-degraded.txt'));
    assert.equal(dfPlain(g.osdmap, dg, false), golden('df-degraded.txt'));
    const ceph = (goldenJson('status-degraded.json') as Json)['pgmap'] as Json;
    const ours = json((f) => {
      f.openObjectSection('pgmap');
      dumpStatusData(f, g.svc, dg, 1);
      f.closeSection();
    }) as Json;
    assertSameJson(ours, ceph);
  });

  it('pg stat -f json and osd pool stats -f json carry recovery_summary\'s fields (degraded, misplaced, unfound), as Ceph\'s', () => {
    // Ceph's status JSON of the same moment holds the degraded fields recovery_summary writes.
    const ceph = (goldenJson('status-degraded.json') as Json)['pgmap'] as Json;
    const stat = (json((f) => dumpPgStatSummary(f, g.svc, dg)) as { pg_summary: Json }).pg_summary;
    for (const k of ['degraded_objects', 'degraded_total', 'degraded_ratio']) assert.equal(stat[k], ceph[k], k);
    // A pool with an unfound object: recovery_summary adds unfound_* (objects over num_objects).
    const pool = dg.poolSums.get(1)!;
    const unfound = { ...dg, poolSums: new Map([[1, { ...pool, stats: { ...pool.stats, numObjectsUnfound: 1 } }]]) };
    const rec = (json((f) => osdPoolStatsJson(f, g.osdmap, unfound, [1])) as Array<{ recovery: Json }>)[0]!.recovery;
    assert.deepEqual(Object.keys(rec), ['degraded_objects', 'degraded_total', 'degraded_ratio', 'unfound_objects', 'unfound_total', 'unfound_ratio']);
    assert.equal(rec['unfound_objects'], 1);
    assert.equal(rec['unfound_total'], 3);
    assert.equal(rec['unfound_ratio'], ((1 / 3) * 100) / 100); // Ceph: pc / 100.0 with pc = n / total * 100
  });

  it('health: PG_DEGRADED (and the rest of the PG checks) with Ceph\'s summary and detail lines', () => {
    const checks = new HealthCheckMap();
    pgHealthChecks(dg, g.osdmap, g.nowMs, checks);
    const pgCodes = [...checks.checks.keys()].sort();
    const ceph = golden('health-detail-degraded.txt').split('\n');
    const section = (code: string): string[] => {
      const i = ceph.findIndex((l) => l.includes(`] ${code}: `));
      if (i < 0) return [];
      const out = [ceph[i]!];
      for (let j = i + 1; j < ceph.length && ceph[j]!.startsWith('    '); j++) out.push(ceph[j]!);
      return out;
    };
    for (const code of ['PG_AVAILABILITY', 'PG_DEGRADED', 'PG_DAMAGED', 'OBJECT_MISPLACED', 'OBJECT_UNFOUND']) {
      const c = checks.checks.get(code);
      const ours = c ? [`[${c.severity === 'HEALTH_ERR' ? 'ERR' : 'WRN'}] ${code}: ${c.summary}`, ...c.detail.map((d) => `    ${d}`)] : [];
      assert.deepEqual(ours, section(code), code);
    }
    assert.ok(pgCodes.includes('PG_DEGRADED'));
  });
});

describe('mon/pgmap: units, as Ceph prints them', () => {
  it('byte_u_t and si_u_t', () => {
    assert.equal(byteU(0), '0 B');
    assert.equal(byteU(1023), '1023 B');
    assert.equal(byteU(1024), '1 KiB');
    assert.equal(byteU(1536), '1.5 KiB');
    assert.equal(byteU(24876), '24 KiB');
    assert.equal(byteU(85918), '84 KiB');
    assert.equal(byteU(10239), '10 KiB');
    assert.equal(byteU(2145386496), '2.0 GiB');
    assert.equal(byteU(536870912), '512 MiB');
    assert.equal(siU(3), '3');
    assert.equal(siU(1500), '1.50k');
    assert.equal(siU(2000000), '2M');
  });

  it('ping times\' "last update" as ctime prints it in UTC', () => {
    const want: Array<[number, string]> = [[0, 'Thu Jan  1 00:00:00 1970'], [951782400, 'Tue Feb 29 00:00:00 2000'], [1709251199, 'Thu Feb 29 23:59:59 2024'], [4102444799, 'Thu Dec 31 23:59:59 2099']];
    for (const [t, text] of want) {
      const o = emptyOsdStat();
      o.hbPingtime.set(1, { lastUpdate: t, backPingtime: [0, 0, 0], backMin: [0, 0, 0], backMax: [0, 0, 0], backLast: 0, frontPingtime: [0, 0, 0], frontMin: [0, 0, 0], frontMax: [0, 0, 0], frontLast: 0 });
      const j = json((f) => {
        f.openObjectSection('osd');
        dumpOsdStatFields(f, o);
        f.closeSection();
      }) as { network_ping_times: Array<Record<string, unknown>> };
      assert.equal(j.network_ping_times[0]!['last update'], text);
    }
  });
});

// ---- through the Paxos services -------------------------------------------------------------------

function cluster(): ServicesHarness {
  const h = new ServicesHarness(testMonMap(['a']), { poolDefaultSize: 2 });
  for (let i = 0; i < 2; i++) h.command({ prefix: 'osd create' });
  h.command({ prefix: 'osd crush add-bucket', name: 'host0', type: 'host', args: ['root=default'] });
  h.command({ prefix: 'osd crush add-bucket', name: 'host1', type: 'host', args: ['root=default'] });
  h.command({ prefix: 'osd crush add', id: 0, weight: 1, args: ['host=host0'] });
  h.command({ prefix: 'osd crush add', id: 1, weight: 1, args: ['host=host1'] });
  h.command({ prefix: 'osd pool create', pool: 'rbd', pg_num: 4 });
  return h;
}

/** A report from `osd` for `pgs` of pool 1 in `state`, with this (epoch, seq). */
function report(h: ServicesHarness, osd: number, seeds: number[], state: number, epoch: number, seq: number, objects = 0): MPGStats {
  const m = new MPGStats(h.monmap.fsid, epoch);
  for (const seed of seeds) {
    const s = emptyPgStat();
    s.state = state;
    s.reportedEpoch = epoch;
    s.reportedSeq = seq;
    s.up = [osd, 1 - osd];
    s.acting = [osd, 1 - osd];
    s.upPrimary = osd;
    s.actingPrimary = osd;
    s.statsSum.numObjects = objects;
    s.statsSum.numBytes = objects * 4096;
    s.statsSum.numObjectCopies = objects * 2;
    s.lastChange = { sec: Math.floor(h.nowMs / 1000), nsec: 0 };
    s.lastActive = state & PgState.ACTIVE ? { sec: Math.floor(h.nowMs / 1000), nsec: 0 } : { sec: 0, nsec: 0 };
    m.pgStat.push({ pgid: { pool: 1, seed }, stat: s });
  }
  m.osdStat.statfs.total = 1 << 30;
  m.osdStat.statfs.available = (1 << 30) - (1 << 20);
  m.osdStat.numOsds = 1;
  return m;
}

function statsCmd(h: ServicesHarness, osd: number, m: MPGStats): { kind: string; ack: Array<{ seq: number; epoch: number }> } {
  const o = h.services.handlePgStats(osd, m, h.ctx());
  assert.ok(o.kind === 'reply' || o.kind === 'afterCommit', o.kind);
  const ack = MPGStatsAck.decode({ header: { seq: 0, tid: 0, type: MPGStatsAck.TYPE, priority: 127, version: 1, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, front: [o.reply.out], middle: [], data: [] }, 0n);
  return { kind: o.kind, ack: ack.pgStat.map((x) => ({ seq: x.seq, epoch: x.epoch })) };
}

function out(h: ServicesHarness, cmd: Record<string, string | string[]>): string {
  const r = h.command({ ...cmd } as never);
  assert.equal(r.r, 0, `${JSON.stringify(cmd)}: ${r.rs}`);
  return r.out.toString();
}

describe('mon/pgmap: reports through the Paxos services', () => {
  it('PGs are unknown until reported; health has no PG checks before the first stats (like Ceph without a manager)', () => {
    const h = cluster();
    assert.equal(out(h, { prefix: 'pg stat' }), '4 pgs: 4 unknown; 0 B data, 0 B used, 0 B / 0 B avail\n');
    assert.equal(out(h, { prefix: 'health' }).includes('PG_AVAILABILITY'), false);
    const s = out(h, { prefix: 'status' });
    assert.ok(s.includes('    pgs:     100.000% pgs unknown\n             4 unknown\n'), s);
  });

  it('a report is acked after its commit, batched once per propose interval, newest (epoch, seq) wins', () => {
    const h = cluster();
    h.bootOsd(0);
    h.bootOsd(1);
    h.advance(5000);
    const r1 = statsCmd(h, 0, report(h, 0, [0, 1], PgState.ACTIVE | PgState.CLEAN, 10, 5, 2));
    assert.equal(r1.kind, 'afterCommit');
    assert.deepEqual(r1.ack, [{ seq: 5, epoch: 10 }, { seq: 5, epoch: 10 }]);
    assert.ok(h.propose(), 'the first report is written at once');
    // A second report right away waits for the propose interval (unless something else is proposed).
    statsCmd(h, 1, report(h, 1, [2, 3], PgState.ACTIVE | PgState.CLEAN, 10, 7, 1));
    assert.equal(h.propose(), false, 'held back by the propose interval');
    h.advance(1000);
    assert.ok(h.propose());
    // An older report for 1.0 is ignored; a newer one replaces it.
    statsCmd(h, 0, report(h, 0, [0], PgState.PEERING, 10, 4));
    h.advance(1000);
    h.propose();
    assert.equal(out(h, { prefix: 'pg stat' }), '4 pgs: 4 active+clean; 24 KiB data, 2 MiB used, 2.0 GiB / 2 GiB avail\n');
    statsCmd(h, 0, report(h, 0, [0], PgState.PEERING, 11, 1));
    h.advance(1000);
    h.propose();
    assert.equal(out(h, { prefix: 'pg stat' }), '4 pgs: 3 active+clean, 1 peering; 16 KiB data, 2 MiB used, 2.0 GiB / 2 GiB avail\n');
    const s = out(h, { prefix: 'status' });
    assert.ok(s.includes('    objects: 3 objects, 12 KiB\n'.replace('12', '12')) || s.includes('objects:'), s);
    assert.ok(s.includes('    pgs:     25.000% pgs not active\n             3 active+clean\n             1 peering\n'), s);
  });

  it('stale when the acting primary is down or its report is older than mon_osd_report_timeout; pg ls filters', () => {
    const h = cluster();
    h.bootOsd(0);
    statsCmd(h, 0, report(h, 0, [0, 1], PgState.ACTIVE | PgState.CLEAN, 10, 1));
    statsCmd(h, 1, report(h, 1, [2, 3], PgState.ACTIVE | PgState.CLEAN, 10, 1));
    h.propose();
    // osd.1 never booted: it is not up in the osdmap, so the PGs it leads are stale.
    assert.equal(out(h, { prefix: 'pg stat' }), '4 pgs: 2 active+clean, 2 stale+active+clean; 0 B data, 2 MiB used, 2.0 GiB / 2 GiB avail\n');
    assert.equal(out(h, { prefix: 'pg ls', states: ['stale'] }).split('\n').filter((l) => l.startsWith('1.')).length, 2);
    assert.equal(out(h, { prefix: 'pg ls-by-pool', poolstr: 'rbd', states: ['unknown'] }), '');
    const r = h.command({ prefix: 'pg ls', states: ['bogus'] });
    assert.equal(r.r, -22);
    assert.ok(r.rs.startsWith("'bogus' is not a valid pg state, available choices: "), r.rs);
    assert.equal(h.command({ prefix: 'pg ls-by-pool', poolstr: 'nope' }).rs, 'pool nope does not exist');
  });

  it('health: inactive and undersized+degraded PGs, stuck past mon_pg_stuck_threshold, with Ceph\'s texts', () => {
    const h = cluster();
    h.bootOsd(0);
    statsCmd(h, 0, report(h, 0, [0, 1], PgState.ACTIVE | PgState.UNDERSIZED | PgState.DEGRADED, 10, 1, 1));
    statsCmd(h, 0, report(h, 0, [2, 3], PgState.PEERING, 10, 2));
    h.propose();
    h.advance(61_000);
    const health = out(h, { prefix: 'health', detail: 'detail' });
    assert.equal(health, [
      'HEALTH_WARN Reduced data availability: 2 pgs inactive, 2 pgs peering; Degraded data redundancy: 2 pgs degraded, 2 pgs undersized',
      '[WRN] PG_AVAILABILITY: Reduced data availability: 2 pgs inactive, 2 pgs peering',
      '    pg 1.2 is stuck peering since forever, current state peering, last acting [0,1]',
      '    pg 1.3 is stuck peering since forever, current state peering, last acting [0,1]',
      '[WRN] PG_DEGRADED: Degraded data redundancy: 2 pgs degraded, 2 pgs undersized',
      '    pg 1.0 is stuck undersized since forever, current state active+undersized+degraded, last acting [0,1]',
      '    pg 1.1 is stuck undersized since forever, current state active+undersized+degraded, last acting [0,1]',
      '',
    ].join('\n'));
    // Before mon_pg_stuck_threshold only the immediate states count.
    const h2 = cluster();
    h2.bootOsd(0);
    statsCmd(h2, 0, report(h2, 0, [0, 1, 2, 3], PgState.ACTIVE | PgState.CLEAN | PgState.DEGRADED, 10, 1, 2));
    h2.propose();
    assert.equal(out(h2, { prefix: 'health' }), 'HEALTH_WARN Degraded data redundancy: 4 pgs degraded\n');
  });

  it('io rates: the change of the summed counters between commits, in status and pg stat', () => {
    const h = cluster();
    h.bootOsd(0);
    const withIo = (seq: number, wr: number, rd: number): MPGStats => {
      const m = report(h, 0, [0], PgState.ACTIVE | PgState.CLEAN, 10, seq, 1);
      const s = m.pgStat[0]!.stat.statsSum;
      s.numWr = wr;
      s.numWrKb = wr * 4;
      s.numRd = rd;
      s.numRdKb = rd;
      return m;
    };
    statsCmd(h, 0, withIo(1, 5, 0));
    h.propose();
    h.advance(2000);
    statsCmd(h, 0, withIo(2, 25, 2));
    h.propose();
    const s = out(h, { prefix: 'status' });
    assert.ok(s.includes(' \n  io:\n    client:   1 KiB/s rd, 40 KiB/s wr, 1 op/s rd, 10 op/s wr\n'), s);
    assert.ok(out(h, { prefix: 'pg stat' }).endsWith('; 1 KiB/s rd, 40 KiB/s wr, 11 op/s\n'));
  });

  it('entries of a deleted pool are dropped from the store', () => {
    const h = new ServicesHarness(testMonMap(['a']), { allowPoolDelete: true, poolDefaultSize: 2 });
    h.command({ prefix: 'osd create' });
    h.command({ prefix: 'osd pool create', pool: 'p', pg_num: 2 });
    statsCmd(h, 0, report(h, 0, [0, 1], PgState.ACTIVE, 5, 1));
    h.propose();
    assert.ok(h.store.keys('pgmap').some((k) => k.startsWith('pg_1.')));
    h.command({ prefix: 'osd pool delete', pool: 'p', pool2: 'p', yes_i_really_really_mean_it: true } as never);
    h.advance(2000);
    h.propose();
    assert.equal(h.store.keys('pgmap').some((k) => k.startsWith('pg_1.')), false);
  });
});
