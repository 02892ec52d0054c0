// Proves the OSD daemon shell: the heartbeat bookkeeping on a simulated clock (ping interval, grace,
// one report per silence, cancel on an answer, immediate report on a refused connection); three
// in-process OSDs (MemStore, a recording PG factory standing in for osd/pg.ts) against a tsceph vstart
// monitor (ports 18120-18199) boot and are marked up and in, answer each other's MOSDPing, persist their
// maps and superblock, rebind to a new nonce and port and boot again there when wrongly marked down, get MOSDPGCreate2, hold exactly the PGs they are up/acting for with every epoch
// fed in order, route a librados client's writes to the acting primary's PG, remove a deleted pool's
// PGs, drop a PG that removed itself until a map maps it here again, report a crashed peer failed so the monitor marks it down, ask to be marked down on stop,
// restart from the maps they stored, and keep only the newest epochs when trimming.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

import { parseAddrVecList } from '../../common/config.js';
import { addrHostPort } from '../../common/entityaddr.js';
import { pgToUpActingOsds, type OSDMap, type PgId } from '../../common/osdmap/index.js';
import { Rados } from '../../librados/index.js';
import { MOSDOpReply, emptyPgStat, type Connection, type Message, type MOSDOp, type PgStat } from '../../msg/index.js';
import { Heartbeat } from '../../osd/heartbeat.js';
import { MemStore, META_COLLECTION, Transaction, pgCollection, type ObjectStore } from '../../osd/index.js';
import { OSD, SUPERBLOCK_OBJECT, mkfsOsd, osdmapObject, readOsdSuperblock, type PgFactory } from '../../osd/osd.js';
import type { PgHandle, PgHost } from '../../osd/pg-api.js';
import { listStoredPgs } from '../../osd/pg.js';
import { VstartCluster, until } from '../support/vstart-cluster.js';

const MON_PORT = 18120;
const OSD_PORT_MIN = 18130;
const OSD_PORT_MAX = 18199;

/** A ceph command that must succeed; its stderr in the failure message (a busy machine can time one out). */
function cephOk(r: { status: number | null; stdout: string; stderr: string }): void {
  assert.equal(r.status, 0, `ceph failed (status ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
}

describe('osd heartbeat bookkeeping (simulated clock)', () => {
  it('pings each interval, reports once after the grace, cancels on an answer', () => {
    const hb = new Heartbeat({ intervalMs: 1000, graceMs: 5000 });
    hb.setPeers([2, 1], 0);
    assert.deepEqual(hb.peerIds(), [1, 2]);
    assert.deepEqual(hb.tick(0).pings, [1, 2]);
    assert.deepEqual(hb.tick(500).pings, []);
    assert.deepEqual(hb.tick(1000).pings, [1, 2]);
    assert.equal(hb.handleAnswer(1, 1100), false);
    let t = hb.tick(4999);
    assert.deepEqual(t.failures, []);
    t = hb.tick(5000);
    assert.deepEqual(t.failures, [{ osd: 2, failedForMs: 5000, immediate: false }], 'osd.2 never answered: reported at the grace');
    assert.deepEqual(hb.tick(6000).failures, [], 'one report per silence');
    t = hb.tick(6100);
    assert.deepEqual(t.failures.map((f) => f.osd), [1], 'osd.1 last answered at 1100');
    assert.deepEqual(hb.reportedPeers(), [1, 2]);
    assert.equal(hb.handleAnswer(2, 7000), true, 'an answer from a reported peer asks for a cancel');
    assert.equal(hb.handleAnswer(2, 7100), false);
    assert.deepEqual(hb.reportedPeers(), [1]);
  });

  it('reports a refused peer at once, forgets peers that leave, starts the grace of new peers when added', () => {
    const hb = new Heartbeat({ intervalMs: 1000, graceMs: 5000 });
    hb.setPeers([3], 0);
    assert.deepEqual(hb.handleRefused(3), { osd: 3, failedForMs: 0, immediate: true });
    assert.equal(hb.handleRefused(3), null, 'not twice');
    assert.equal(hb.handleRefused(9), null, 'not a peer');
    hb.setPeers([4], 10000);
    assert.deepEqual(hb.peerIds(), [4]);
    assert.deepEqual(hb.tick(14999).failures, []);
    assert.deepEqual(hb.tick(15000).failures.map((f) => f.osd), [4]);
  });
});

/** A stand-in for osd/pg.ts that records what the daemon feeds it and answers client ops with 0. */
class RecordingPg implements PgHandle {
  readonly epochs: number[] = [];
  activations = 0;
  ops = 0;
  readonly peerMessages: Message[] = [];
  closed = false;
  constructor(private readonly host: PgHost, readonly pgid: PgId, readonly createdEpoch: number) {}
  advanceMap(map: OSDMap): void {
    this.epochs.push(map.epoch);
  }
  activateMap(): void {
    this.activations++;
  }
  handleClientOp(m: MOSDOp, conn: Connection): void {
    this.ops++;
    conn.send(MOSDOpReply.replyTo(m, 0, this.host.currentMap().epoch));
  }
  handlePeerMessage(_from: number, m: Message): void {
    this.peerMessages.push(m);
  }
  stats(): PgStat {
    return emptyPgStat();
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** PGs by OSD: what each daemon created, with a collection in its store as the real PG makes. */
function recordingFactory(made: Map<string, RecordingPg>): PgFactory {
  return {
    async create(host, pgid, createdEpoch) {
      const t = new Transaction().createCollection(pgCollection(pgid.pool, pgid.seed), 0);
      await host.store.queueTransaction(t);
      const pg = new RecordingPg(host, pgid, createdEpoch);
      made.set(`${pgid.pool}.${pgid.seed.toString(16)}`, pg);
      return pg;
    },
    async load(host, pgid) {
      const pg = new RecordingPg(host, pgid, 0);
      made.set(`${pgid.pool}.${pgid.seed.toString(16)}`, pg);
      return pg;
    },
    listStored: (store) => listStoredPgs(store),
  };
}

interface Node {
  id: number;
  store: ObjectStore;
  osd: OSD;
  pgs: Map<string, RecordingPg>;
}

describe('the OSD daemon against a tsceph monitor (in-process OSDs)', function () {
  this.timeout(120000);
  let c: VstartCluster;
  const nodes: Node[] = [];
  let rados: Rados | null = null;

  async function startOsd(id: number, store: ObjectStore, pgs = new Map<string, RecordingPg>(), mapsKeepEpochs?: number): Promise<Node> {
    const osd = new OSD({
      ...(mapsKeepEpochs === undefined ? {} : { mapsKeepEpochs }),
      whoami: id,
      store,
      monAddrs: parseAddrVecList(`v2:127.0.0.1:${MON_PORT}`),
      portMin: OSD_PORT_MIN,
      portMax: OSD_PORT_MAX,
      heartbeatIntervalMs: 200,
      heartbeatGraceMs: 3000,
      markDownTimeoutMs: 3000,
      pgFactory: recordingFactory(pgs),
      crushLocation: [`host=h${id}`, 'root=default'],
      crushWeight: 1,
    });
    await osd.start();
    const n = { id, store, osd, pgs };
    nodes[id] = n;
    return n;
  }

  /** `ceph osd stat -f json`, tried again when the CLI fails (a loaded machine, a monitor election). */
  const osdStat = (): { num_osds: number; num_up_osds: number; num_in_osds: number; epoch: number } => {
    let last = '';
    for (let i = 0; i < 3; i++) {
      const r = c.ceph(['osd', 'stat', '-f', 'json']);
      if (r.status === 0) return JSON.parse(r.stdout) as { num_osds: number; num_up_osds: number; num_in_osds: number; epoch: number };
      last = r.stderr;
    }
    throw new Error(`ceph osd stat failed: ${last}`);
  };

  before(async () => {
    c = VstartCluster.start(1, MON_PORT, 'tsceph-osd-daemon-');
    for (let i = 0; i < 3; i++) assert.equal(c.ceph(['osd', 'create']).stdout.trim(), String(i));
    for (let i = 0; i < 3; i++) {
      const store = new MemStore();
      await store.mkfs();
      await store.mount();
      await mkfsOsd(store, { whoami: i, clusterFsid: /^fsid = (\S+)$/m.exec(readFileSync(c.conf, 'utf8'))![1]!, osdFsid: `00000000-0000-4000-8000-00000000000${i}` });
      await startOsd(i, store);
    }
  });

  after(async () => {
    await rados?.shutdown();
    for (const n of nodes) await n?.osd.abort();
    c?.destroy();
  });

  it('boots three OSDs: up and in at the addresses they bound, maps and superblock persisted', async () => {
    await until('3 osds up', () => osdStat().num_up_osds === 3, 30000);
    const st = osdStat();
    assert.deepEqual([st.num_osds, st.num_up_osds, st.num_in_osds], [3, 3, 3]);
    await until('every OSD active at the monitor epoch', () => nodes.every((n) => n.osd.state === 'active' && n.osd.currentMap().epoch >= st.epoch), 20000);
    for (const n of nodes) {
      const map = n.osd.currentMap();
      assert.ok(map.isUp(n.id));
      assert.equal(map.clientAddrs[n.id]![0]!.nonce, n.osd.addrs[0]!.nonce, 'the map has our address');
      const sb = await readOsdSuperblock(n.store);
      assert.equal(sb.whoami, n.id);
      assert.equal(sb.newestMap, map.epoch);
      assert.ok(await n.store.exists(META_COLLECTION, osdmapObject(map.epoch)), 'osdmap.N in meta');
      assert.ok(await n.store.exists(META_COLLECTION, osdmapObject(1)), 'every epoch since 1 kept');
      assert.ok(await n.store.exists(META_COLLECTION, SUPERBLOCK_OBJECT));
      assert.deepEqual(n.osd.heartbeatPeers(), [0, 1, 2].filter((o) => o !== n.id), 'each pings the other two');
    }
    await until('heartbeats answered both ways', () => nodes.every((n) => n.osd.counters.pingsAnswered > 0 && n.osd.counters.pingRepliesReceived > 0), 10000);
    await until('crush create-or-move placed the OSDs under their hosts', () => /host h0/.test(c.ceph(['osd', 'tree']).stdout), 10000);
  });

  it('wrongly marked down (ceph osd down): rebinds to a new nonce and port, boots again there, peers talk to the new address', async () => {
    const n = nodes[0]!;
    const old = n.osd.addrs[0]!;
    const pingsBefore = n.osd.counters.pingRepliesReceived;
    const bootsBefore = n.osd.counters.bootsSent;
    cephOk(c.ceph(['osd', 'down', '0']));
    await until('osd.0 booted again at a new address', () => n.osd.state === 'active' && n.osd.addrs[0]!.nonce !== old.nonce, 30000);
    const now = n.osd.addrs[0]!;
    assert.equal(now.nonce, (old.nonce + 1000000) >>> 0, 'the nonce moves as Ceph\'s rebind moves it');
    assert.notEqual(addrHostPort(now).port, addrHostPort(old).port, 'the old port is avoided');
    assert.ok(n.osd.counters.bootsSent > bootsBefore, 'MOSDBoot sent again');
    await until('every OSD sees osd.0 up at the new address', () => nodes.every((m) => {
      const map = m.osd.currentMap();
      return map.isUp(0) && map.clientAddrs[0]![0]!.nonce === now.nonce && map.clusterAddrs[0]![0]!.nonce === now.nonce;
    }), 20000);
    await until('3 osds up', () => osdStat().num_up_osds === 3, 20000);
    await until('heartbeats answered at the new address', () => n.osd.counters.pingRepliesReceived > pingsBefore + 2, 20000);
  });

  it('holds exactly the PGs it is up/acting for, fed every epoch in order; routes client writes to the primary', async () => {
    cephOk(c.ceph(['osd', 'pool', 'create', 'p1', '8']));
    const epoch = osdStat().epoch;
    await until('all OSDs at the pool epoch', () => nodes.every((n) => n.osd.currentMap().epoch >= epoch), 20000);
    const map = nodes[0]!.osd.currentMap();
    const poolId = map.lookupPoolName('p1');
    for (const n of nodes) {
      const want: string[] = [];
      for (let seed = 0; seed < 8; seed++) {
        const ua = pgToUpActingOsds(map, { pool: poolId, seed });
        if (ua.up.includes(n.id) || ua.acting.includes(n.id)) want.push(`${poolId}.${seed.toString(16)}`);
      }
      await until(`osd.${n.id} holds its PGs`, () => want.every((k) => n.pgs.has(k)), 20000);
      assert.deepEqual(n.osd.pgIds(), [...want].sort());
      for (const k of want) {
        const pg = n.pgs.get(k)!;
        const e = pg.epochs;
        for (let i = 1; i < e.length; i++) assert.equal(e[i], e[i - 1]! + 1, `pg ${k} on osd.${n.id} fed epochs in order: ${e.join(',')}`);
        assert.equal(e[0], pg.createdEpoch, `pg ${k} on osd.${n.id} fed the held maps since its created epoch: ${e.join(',')}`);
        assert.ok(pg.activations >= 1);
      }
    }
    assert.ok(nodes.some((n) => n.osd.counters.pgCreateMessages > 0), 'the monitor sent MOSDPGCreate2');
    // A librados client's writes reach the acting primary's PG (which answers them).
    rados = await Rados.connect({ monHost: `v2:127.0.0.1:${MON_PORT}`, connectTimeoutMs: 20000 });
    const io = rados.ioctx('p1');
    for (let i = 0; i < 10; i++) await io.writeFull(`obj${i}`, Buffer.from(`data ${i}`), { timeoutMs: 10000 });
    let ops = 0;
    for (const n of nodes) for (const pg of n.pgs.values()) ops += pg.ops;
    assert.equal(ops, 10, 'each write delivered once');
    for (const n of nodes) {
      for (const [k, pg] of n.pgs) {
        if (pg.ops === 0) continue;
        const ua = pgToUpActingOsds(n.osd.currentMap(), pg.pgid);
        assert.equal(ua.actingPrimary, n.id, `ops for ${k} went to its primary`);
      }
    }
  });

  it('drops a PG that removed itself (PgHost.pgRemoved) and creates it again when a new map maps it here', async () => {
    const n = nodes[0]!;
    const k = [...n.pgs.keys()].sort()[0]!;
    const pg = n.pgs.get(k)!;
    // as the real PG does before it reports its removal: stop, delete its collection
    await pg.close();
    await n.store.queueTransaction(new Transaction().removeCollection(pgCollection(pg.pgid.pool, pg.pgid.seed)));
    n.osd.pgRemoved(pg.pgid);
    assert.ok(!n.osd.pgIds().includes(k), 'out of the registry');
    const removed = n.osd.counters.pgsRemoved;
    cephOk(c.ceph(['osd', 'set', 'noout']));
    cephOk(c.ceph(['osd', 'unset', 'noout']));
    await until(`osd.0 holds ${k} again (still mapped here)`, () => n.osd.pgIds().includes(k), 20000);
    assert.notEqual(n.pgs.get(k), pg, 'a new handle');
    assert.equal(n.osd.counters.pgsRemoved, removed);
  });

  it('removes the PGs (and their collections) of a deleted pool', async () => {
    const held = nodes.map((n) => [...n.pgs.values()]);
    const del = c.ceph(['osd', 'pool', 'delete', 'p1', 'p1', '--yes-i-really-really-mean-it']);
    assert.equal(del.status, 0, del.stderr);
    await until('no PGs held', () => nodes.every((n) => n.osd.pgIds().length === 0), 20000);
    for (const list of held) for (const pg of list) assert.ok(pg.closed, 'closed before removal');
    for (const n of nodes) assert.deepEqual(await listStoredPgs(n.store), []);
  });

  it('reports a crashed peer failed: the monitor marks it down', async () => {
    const before = nodes.map((n) => n.osd.counters.failuresSent);
    await nodes[2]!.osd.abort();
    await until('osd.2 down', () => /osd\.2\s+down/.test(c.ceph(['osd', 'tree']).stdout), 20000);
    const reported = [0, 1].filter((i) => nodes[i]!.osd.counters.failuresSent > before[i]!);
    assert.ok(reported.length >= 1, 'a peer sent MOSDFailure');
    await until('peers stop pinging osd.2', () => nodes[0]!.osd.heartbeatPeers().join() === '1' && nodes[1]!.osd.heartbeatPeers().join() === '0', 10000);
  });

  it('restarts from its stored maps and boots again; stop asks to be marked down', async () => {
    const old = nodes[2]!;
    const sb = await readOsdSuperblock(old.store);
    const n = await startOsd(2, old.store);
    assert.equal(n.osd.superblock.newestMap, sb.newestMap, 'the restarted OSD starts from its stored maps');
    await until('osd.2 up again', () => osdStat().num_up_osds === 3, 30000);
    await until('osd.2 active', () => n.osd.state === 'active', 10000);
    const t0 = Date.now();
    await nodes[1]!.osd.stop();
    assert.ok(Date.now() - t0 < 2500, 'the monitor acked the mark-me-down (no wait for the timeout)');
    await until('osd.1 down', () => /osd\.1\s+down/.test(c.ceph(['osd', 'tree']).stdout), 10000);
  });

  it('keeps only the newest mapsKeepEpochs maps in the store, and restarts from them', async () => {
    for (let i = 0; i < 6; i++) {
      cephOk(c.ceph(['osd', i % 2 ? 'unset' : 'set', 'noout']));
    }
    assert.equal(c.ceph(['osd', 'create']).stdout.trim(), '3');
    const store = new MemStore();
    await store.mkfs();
    await store.mount();
    await mkfsOsd(store, { whoami: 3, clusterFsid: nodes[0]!.osd.superblock.clusterFsid, osdFsid: '00000000-0000-4000-8000-000000000003' });
    const keep = 5;
    let n = await startOsd(3, store, new Map(), keep);
    await until('osd.3 active', () => n.osd.state === 'active', 30000);
    const newest = n.osd.currentMap().epoch;
    assert.ok(newest > 2 * keep, `enough epochs to trim (${newest})`);
    await until('trimmed', () => n.osd.superblock.oldestMap === n.osd.superblock.newestMap - keep + 1, 10000);
    const sb = await readOsdSuperblock(store);
    assert.equal(sb.newestMap - sb.oldestMap + 1, keep);
    assert.ok(!(await store.exists(META_COLLECTION, osdmapObject(1))), 'epoch 1 trimmed');
    assert.ok(!(await store.exists(META_COLLECTION, osdmapObject(sb.oldestMap - 1))));
    for (let e = sb.oldestMap; e <= sb.newestMap; e++) assert.ok(await store.exists(META_COLLECTION, osdmapObject(e)), `osdmap.${e} kept`);
    assert.equal(n.osd.mapAt(1), undefined);
    assert.equal(n.osd.mapAt(sb.oldestMap)!.epoch, sb.oldestMap);
    await n.osd.stop();
    n = await startOsd(3, store, new Map(), keep);
    assert.ok(n.osd.currentMap().epoch >= sb.newestMap, 'loaded the newest stored map');
    assert.equal(n.osd.mapAt(sb.newestMap)?.epoch, sb.newestMap, 'from the store');
    await until('osd.3 up again', () => n.osd.state === 'active', 30000);
  });
});
