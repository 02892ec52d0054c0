// Proves msg/messages/pgstats.ts speaks Ceph 16's layouts for MPGStats, MPGStatsAck, MGetPoolStats, MGetPoolStatsReply and the structs they carry (store_statfs_t, osd_stat_t v14, object_stat_sum_t v20, pg_stat_t v26, pool_stat_t v7): byte vectors written by hand from Ceph's src/messages/*.h and src/osd/osd_types.cc (Buffer writes, not our Encoder) decode to the fields and our encoder reproduces them; every message round-trips through the registry; a newer pg_stat_t (v28, trailing fields) decodes; truncated payloads are EBADMSG.
import assert from 'node:assert/strict';
import { CephError } from '../../common/errors.js';
import { Decoder, Encoder } from '../../common/encoding.js';
import { PACIFIC_FEATURES } from '../../common/osdmap/index.js';
import { decodeMessage, type Message, type RawMessage } from '../../msg/message.js';
import {
  MGetPoolStats,
  MGetPoolStatsReply,
  MPGStats,
  MPGStatsAck,
  MSG_GETPOOLSTATS,
  MSG_PGSTATSACK,
  decodeOsdStat,
  decodePgStat,
  decodeStoreStatfs,
  emptyOsdStat,
  emptyPoolStat,
  emptyPgStat,
  encodeOsdStat,
  encodePgStat,
  encodeStoreStatfs,
  PgState,
  type StoreStatfs,
} from '../../msg/messages/index.js';

const FSID = '0b6bd5a4-61f4-4e57-8a0c-2f0a9d4e8c11';
const FSID_BYTES = Buffer.from(FSID.replace(/-/g, ''), 'hex');

const u8 = (v: number): Buffer => Buffer.from([v]);
const u16 = (v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const s32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };
const u64 = (v: number | bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
const s64 = (v: number): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); return b; };
const cat = (...b: Buffer[]): Buffer => Buffer.concat(b);
const str = (s: string): Buffer => cat(u32(Buffer.byteLength(s)), Buffer.from(s));
/** ENCODE_START(v, compat) ... ENCODE_FINISH around body. */
const struct = (v: number, compat: number, body: Buffer): Buffer => cat(u8(v), u8(compat), u32(body.length), body);
/** pg_t: u8 version 1, u64 pool, u32 seed, s32 preferred -1. */
const pgT = (pool: number, seed: number): Buffer => cat(u8(1), u64(pool), u32(seed), s32(-1));
/** PaxosServiceMessage header: version, deprecated session mon -1, tid 0. */
const paxos = (version = 0): Buffer => cat(u64(version), u16(0xffff), u64(0));

function envelope(type: number, version: number, front: Buffer): RawMessage {
  return { header: { seq: 1, tid: 9, type, priority: 127, version, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, front: [front], middle: [], data: [] };
}

function frontOf(m: Message): Buffer {
  return Buffer.concat(m.toRaw(PACIFIC_FEATURES).front);
}

function roundTrip<T extends Message>(m: T): T {
  const r = m.toRaw(PACIFIC_FEATURES);
  return decodeMessage({ header: { ...r.header }, front: [...r.front], middle: [], data: [] }, PACIFIC_FEATURES) as T;
}

// store_statfs_t::generate_test_instances' second instance.
const STATFS: StoreStatfs = { total: 234, available: 123, internallyReserved: 33, allocated: 32, dataStored: 44, dataCompressed: 21, dataCompressedAllocated: 12, dataCompressedOriginal: 13, omapAllocated: 14, internalMetadata: 15 };
const STATFS_BYTES = struct(1, 1, cat(...[234, 123, 33, 32, 44, 21, 12, 13, 14, 15].map(s64)));

describe('msg/messages/pgstats: Ceph 16 PG statistics messages', () => {
  it('store_statfs_t is ten s64 in a v1 struct', () => {
    const e = new Encoder();
    encodeStoreStatfs(e, STATFS);
    assert.deepEqual(e.toBuffer(), STATFS_BYTES);
    assert.deepEqual(decodeStoreStatfs(new Decoder(STATFS_BYTES)), STATFS);
  });

  it('osd_stat_t v14: legacy kb fields from statfs, hb_peers, perf stat in ns, alerts and ping times', () => {
    const s = emptyOsdStat();
    s.statfs = { ...STATFS, total: 10 << 20, available: 4 << 20, allocated: 3 << 20, omapAllocated: 1 << 20, internalMetadata: 2 << 20 };
    s.hbPeers = [1, 2];
    s.snapTrimQueueLen = 8;
    s.numSnapTrimming = 99;
    s.numShardsRepaired = 101;
    s.opQueueAgeHist = [1, 0, 3];
    s.osCommitLatencyNs = 20_000_000;
    s.osApplyLatencyNs = 30_000_000;
    s.osAlerts.set(0, new Map([['some alert', 'details']]));
    s.upFrom = 5;
    s.seq = (5 * 2 ** 32) + 7;
    s.numPgs = 32;
    s.numOsds = 1;
    s.numPerPoolOsds = 1;
    s.numPerPoolOmapOsds = 1;
    s.hbPingtime.set(2, { lastUpdate: 1000, backPingtime: [1, 2, 3], backMin: [4, 5, 6], backMax: [7, 8, 9], backLast: 10, frontPingtime: [11, 12, 13], frontMin: [14, 15, 16], frontMax: [17, 18, 19], frontLast: 20 });
    const body = cat(
      s64(10 * 1024), s64(6 * 1024), s64(4 * 1024), // kb, kb_used (total - available), kb_avail
      s32(8), s32(99), // snap_trim_queue_len, num_snap_trimming
      u32(2), s32(1), s32(2), u32(0), // hb_peers, hb_out
      struct(1, 1, cat(u32(3), s32(1), s32(0), s32(3))), // pow2_hist_t
      struct(2, 2, cat(u64(20_000_000), u64(30_000_000))), // objectstore_perf_stat_t
      u32(5), u64((5 * 2 ** 32) + 7), u32(32), // up_from, seq, num_pgs
      s64(3 * 1024), s64(1024), s64(2 * 1024), // kb_used_data, omap, meta
      struct(1, 1, cat(...[10 << 20, 4 << 20, 33, 3 << 20, 44, 21, 12, 13, 1 << 20, 2 << 20].map(s64))),
      u32(1), s32(0), u32(1), str('some alert'), str('details'), // os_alerts
      u64(101), u32(1), u32(1), u32(1), // num_shards_repaired, num_osds, per_pool, per_pool_omap
      s32(1), s32(2), u32(1000), ...Array.from({ length: 20 }, (_, i) => u32(i + 1)),
    );
    const want = struct(14, 2, body);
    const e = new Encoder();
    encodeOsdStat(e, s);
    assert.deepEqual(e.toBuffer(), want);
    assert.deepEqual(decodeOsdStat(new Decoder(want)), s);
  });

  it('pg_stat_t v26 round-trips with a 35-bit state and purged snaps; a v28 with trailing fields decodes', () => {
    const s = emptyPgStat();
    s.version = { epoch: 12, version: 34 };
    s.reportedSeq = 99;
    s.reportedEpoch = 12;
    s.state = PgState.ACTIVE | PgState.CLEAN | PgState.LAGGY;
    s.up = [0, 1, 2];
    s.acting = [0, 1, 2];
    s.upPrimary = 0;
    s.actingPrimary = 0;
    s.statsSum.numBytes = 4096;
    s.statsSum.numObjects = 1;
    s.statsSum.numFlushModeHigh = 1;
    s.purgedSnaps = [[2n, 3n]];
    s.blockedBy = [4];
    s.lastFresh = { sec: 1700000000, nsec: 5 };
    const e = new Encoder();
    encodePgStat(e, s);
    const bytes = e.toBuffer();
    assert.equal(bytes[0], 26);
    assert.equal(bytes[1], 22);
    assert.deepEqual(decodePgStat(new Decoder(bytes)), s);
    // The low 32 bits of state follow reported_epoch; the top bits come after snaptrimq_len.
    const d = new Decoder(bytes);
    d.skip(6 + 12 + 8 + 4, 'head');
    assert.equal(d.u32('state'), (PgState.ACTIVE | PgState.CLEAN) >>> 0);
    // A newer encoder's struct (v28, two more fields) is read up to what we know and skipped past.
    const len = bytes.readUInt32LE(2);
    const extra = cat(s64(5), u64(0));
    const newer = cat(u8(28), u8(22), u32(len + extra.length), bytes.subarray(6), extra, u8(0xee));
    const dd = new Decoder(newer);
    assert.deepEqual(decodePgStat(dd), s);
    assert.equal(dd.u8('after'), 0xee);
  });

  it('MPGStatsAck: map<pg_t, pair<version_t, epoch_t>>', () => {
    const m = new MPGStatsAck();
    m.pgStat.push({ pgid: { pool: 2, seed: 0x1f }, seq: 77, epoch: 9 }, { pgid: { pool: 1, seed: 0 }, seq: 5, epoch: 12 });
    const want = cat(u32(2), pgT(1, 0), u64(5), u32(12), pgT(2, 0x1f), u64(77), u32(9));
    assert.deepEqual(frontOf(m), want);
    const back = decodeMessage(envelope(MSG_PGSTATSACK, 1, want), PACIFIC_FEATURES) as MPGStatsAck;
    assert.deepEqual(back.pgStat, [{ pgid: { pool: 1, seed: 0 }, seq: 5, epoch: 12 }, { pgid: { pool: 2, seed: 0x1f }, seq: 77, epoch: 9 }]);
  });

  it('MGetPoolStats: paxos header, fsid, list<string> pools', () => {
    const want = cat(paxos(3), FSID_BYTES, u32(2), str('rbd'), str('data'));
    const m = decodeMessage(envelope(MSG_GETPOOLSTATS, 1, want), PACIFIC_FEATURES) as MGetPoolStats;
    assert.equal(m.fsid, FSID);
    assert.deepEqual(m.pools, ['rbd', 'data']);
    assert.equal(m.version, 3);
    const ours = new MGetPoolStats(FSID, 9, ['rbd', 'data']);
    ours.version = 3;
    assert.deepEqual(frontOf(ours), want);
  });

  it('MGetPoolStatsReply v2: pool_stat_t v7 per name (sorted) and per_pool', () => {
    const r = new MGetPoolStatsReply(FSID, 9, 14);
    const p = emptyPoolStat();
    p.stats.numBytes = 8192;
    p.stats.numObjects = 2;
    p.storeStats = { ...STATFS };
    p.logSize = 123;
    p.ondiskLogSize = 456;
    p.up = 4;
    p.acting = 3;
    p.numStoreStats = 1;
    r.poolStats.set('rbd', p);
    r.perPool = true;
    const sum = Buffer.alloc(304);
    sum.writeBigInt64LE(8192n, 0);
    sum.writeBigInt64LE(2n, 8);
    const want = cat(
      paxos(14), FSID_BYTES, u32(1), str('rbd'),
      struct(7, 5, cat(struct(2, 2, cat(struct(20, 14, sum), u32(0))), s64(123), s64(456), s32(4), s32(3), STATFS_BYTES, u32(1))),
      u8(1),
    );
    assert.deepEqual(frontOf(r), want);
    const back = roundTrip(r);
    assert.deepEqual(back.poolStats.get('rbd'), p);
    assert.equal(back.perPool, true);
    assert.equal(back.header.tid, 9);
  });

  it('MPGStats v2 round-trips (pg_stat in pg_t order, osd_stat, epoch, pool_stat) and its layout starts as Ceph\'s', () => {
    const m = new MPGStats(FSID, 40);
    const a = emptyPgStat();
    a.state = PgState.ACTIVE | PgState.CLEAN;
    a.reportedSeq = 3;
    a.reportedEpoch = 40;
    const b = emptyPgStat();
    b.state = PgState.PEERING;
    m.pgStat.push({ pgid: { pool: 2, seed: 1 }, stat: b }, { pgid: { pool: 1, seed: 7 }, stat: a });
    m.osdStat.numPgs = 2;
    m.poolStat.set(2, { ...STATFS });
    m.poolStat.set(1, { ...STATFS, total: 1 });
    const back = roundTrip(m);
    assert.equal(back.fsid, FSID);
    assert.equal(back.epoch, 40);
    assert.deepEqual(back.pgStat.map((x) => x.pgid), [{ pool: 1, seed: 7 }, { pool: 2, seed: 1 }]);
    assert.deepEqual(back.pgStat[0]!.stat, a);
    assert.deepEqual(back.osdStat, m.osdStat);
    assert.deepEqual([...back.poolStat.keys()], [1, 2]);
    const f = frontOf(m);
    assert.deepEqual(f.subarray(0, 18 + 16), cat(paxos(0), FSID_BYTES));
    assert.equal(f[34], 14); // osd_stat_t v14 follows the fsid
    // A version 1 message has no pool_stat.
    const v1Front = f.subarray(0, f.length - (4 + 2 * (8 + STATFS_BYTES.length)));
    const v1 = decodeMessage(envelope(m.type, 1, v1Front), PACIFIC_FEATURES) as MPGStats;
    assert.equal(v1.poolStat.size, 0);
    assert.equal(v1.pgStat.length, 2);
  });

  it('truncated payloads are EBADMSG', () => {
    const m = new MPGStats(FSID, 40);
    m.pgStat.push({ pgid: { pool: 1, seed: 0 }, stat: emptyPgStat() });
    const f = frontOf(m);
    for (const cut of [10, 40, 200, f.length - 3]) {
      assert.throws(() => decodeMessage(envelope(m.type, 2, f.subarray(0, cut)), PACIFIC_FEATURES), (e: unknown) => e instanceof CephError && e.code === 'EBADMSG', `cut ${cut}`);
    }
  });
});
