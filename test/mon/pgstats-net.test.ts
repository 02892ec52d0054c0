// Proves the PG stats path of the monitor daemons end to end over msgr2: three in-process monitors, two fake OSDs that boot and send MPGStats (one to a peon, which forwards it to the leader, one to the leader) each get an MPGStatsAck with their tid and the (seq, epoch) of every PG once the report is committed; every monitor then answers `pg stat` the same; a client's MGetPoolStats and MStatfs are answered from the PGMap; and, when Debian's Ceph 16 is installed, Ceph's own `ceph pg stat` / `ceph df` and `rados df` read them from our monitors; MOSDPGCreated sent to a peon and the leader clears the pool's creating flag once every PG is reported; MOSDPGTemp sent to a peon sets a pg_temp (the OSD gets an MOSDMap with it) and sent to the leader by the new acting primary clears it; MOSDAlive and MOSDFailure sent to a peon raise up_thru and mark the target down; an OSD booting through a peon gets its own public address in the map, and its MOSDMarkMeDown through the peon is acked to it. Ports 18360-18369.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addrHostPort, makeEntityAddr } from '../../common/entityaddr.js';
import { parseAddrVecList } from '../../common/config.js';
import { addMon, newMonMap } from '../../common/monmap/index.js';
import { applyIncremental, decodeIncremental, decodeOSDMap, pgToUpActingOsds, POOL_FLAG_CREATING, type OSDMap } from '../../common/osdmap/index.js';
import { MonClient } from '../../mon/client/index.js';
import { Monitor, mkfsMonitor } from '../../mon/monitor.js';
import {
  createMessenger,
  EntityType,
  MGetPoolStats,
  MGetPoolStatsReply,
  MMonSubscribe,
  MOSDAlive,
  MOSDBoot,
  MOSDFailure,
  MOSDMap,
  MOSDMarkMeDown,
  MOSDPGCreated,
  MOSDPGTemp,
  MPGStats,
  MPGStatsAck,
  MStatfs,
  MStatfsReply,
  Policies,
  emptyPgStat,
  PgState,
  type Connection,
  type Message,
  type Messenger,
} from '../../msg/index.js';
import { sleep, until as untilPoll, untilAsync } from '../support/wait.js';
const until = <T>(what: string, f: () => T | null | false | undefined, timeoutMs = 20000): Promise<T> => untilPoll(what, f, timeoutMs, 100);

const PORT = 18360;
const FSID = '6c1e0f4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b';
const NAMES = ['a', 'b', 'c'];

/** A messenger that collects what it receives and lets a test wait for one kind. */
class Peer {
  readonly msgr: Messenger;
  readonly got: Message[] = [];
  map: OSDMap | null = null;

  constructor(type: number, readonly num: number) {
    this.msgr = createMessenger({ entity: { type, num }, nonce: 3000 + num + type * 100, defaultPolicy: Policies.lossyClient() });
    this.msgr.addDispatcher({
      dispatch: (_c, m) => {
        this.got.push(m);
        if (m instanceof MOSDMap) this.applyMap(m);
      },
    });
    this.msgr.start();
  }

  connect(rank: number): Connection {
    return this.msgr.connectTo(EntityType.MON, [makeEntityAddr(2, '127.0.0.1', PORT + rank, 0)]);
  }

  /** As osd.<num>: subscribes to the osdmap and sends MOSDBoot through monitor `rank`. */
  boot(rank: number): Connection {
    const c = this.connect(rank);
    const sub = new MMonSubscribe();
    sub.what.set('osdmap', { start: 1, flags: 0 });
    c.send(sub);
    const id = this.num;
    const b = new MOSDBoot();
    b.sb.clusterFsid = FSID;
    b.sb.whoami = id;
    b.sb.osdFsid = `00000000-0000-0000-0000-00000000000${id}`;
    b.osdFeatures = 0x3f01cfbffffdffffn;
    b.clusterAddrs = [makeEntityAddr(2, '127.0.0.1', 6800 + id, 2000 + id)];
    b.hbBackAddrs = [makeEntityAddr(2, '127.0.0.1', 6900 + id, 2000 + id)];
    b.hbFrontAddrs = [makeEntityAddr(2, '127.0.0.1', 7000 + id, 2000 + id)];
    c.send(b);
    return c;
  }

  private applyMap(m: MOSDMap): void {
    for (const e of [...new Set([...m.maps.keys(), ...m.incrementalMaps.keys()])].sort((a, b) => a - b)) {
      const full = m.maps.get(e);
      const inc = m.incrementalMaps.get(e);
      if (full) this.map = decodeOSDMap(full);
      else if (inc) {
        const i = decodeIncremental(inc);
        if (!this.map && i.fullmap) this.map = decodeOSDMap(i.fullmap);
        else if (this.map && e === this.map.epoch + 1) applyIncremental(this.map, i);
      }
    }
  }

  wait<T extends Message>(what: string, pred: (m: Message) => m is T, timeoutMs = 20000): Promise<T> {
    return untilPoll(what, () => this.got.find(pred), timeoutMs, 50);
  }
}


describe('monitor daemons: MPGStats, MGetPoolStats, MStatfs over the network', function () {
  this.timeout(120000);
  let dir: string;
  const mons: Monitor[] = [];
  let admin: MonClient;
  const peers: Peer[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsceph-pgstats-'));
    const monmap = newMonMap({ fsid: FSID, created: { sec: 1700000000, nsec: 0 }, enableAllFeatures: true, minMonRelease: 16 });
    NAMES.forEach((n, i) => addMon(monmap, n, [makeEntityAddr(2, '127.0.0.1', PORT + i, 0)]));
    for (const n of NAMES) await mkfsMonitor(join(dir, `mon.${n}`), n, monmap);
    for (const n of NAMES) mons.push(await Monitor.start({ name: n, dataDir: join(dir, `mon.${n}`), services: { poolDefaultSize: 2 } }));
    await Promise.all(mons.map((m) => m.waitForQuorum()));
    admin = new MonClient({ monAddrs: parseAddrVecList(NAMES.map((_, i) => `v2:127.0.0.1:${PORT + i}`).join(','), 'mon_host') });
    await admin.connect({ timeoutMs: 20000 });
    for (let i = 0; i < 2; i++) assert.equal((await admin.command({ prefix: 'osd create' }, undefined, { timeoutMs: 20000 })).r, 0);
    for (const [id, host] of [[0, 'h0'], [1, 'h1']] as const) {
      await admin.command({ prefix: 'osd crush add-bucket', name: host, type: 'host', args: ['root=default'] }, undefined, { timeoutMs: 20000 });
      await admin.command({ prefix: 'osd crush add', id, weight: 1, args: [`host=${host}`] }, undefined, { timeoutMs: 20000 });
    }
    assert.equal((await admin.command({ prefix: 'osd pool create', pool: 'rbd', pg_num: 4 }, undefined, { timeoutMs: 20000 })).r, 0);
  });

  after(async () => {
    for (const p of peers) await p.msgr.shutdown();
    await admin?.shutdown();
    for (const m of mons) await m.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports are acked (through a peon and the leader) and every monitor answers the same pg stat; pool stats and statfs come back', async () => {
    const leader = mons.findIndex((m) => m.isLeader);
    const peon = mons.findIndex((m) => !m.isLeader);
    assert.ok(leader >= 0 && peon >= 0);
    // Boot both OSDs (through the leader) and follow the osdmap.
    const osds = [new Peer(EntityType.OSD, 0), new Peer(EntityType.OSD, 1)];
    peers.push(...osds);
    for (const o of osds) o.boot(leader);
    for (const o of osds) await until('both OSDs up', () => o.map && o.map.isUp(0) && o.map.isUp(1));
    const map = osds[0]!.map!;
    // osd.0 reports PGs 1.0 and 1.1 to a peon, osd.1 reports 1.2 and 1.3 to the leader.
    const send = (o: Peer, rank: number, seeds: number[], tid: number): void => {
      const m = new MPGStats(FSID, map.epoch);
      const id = osds.indexOf(o);
      for (const seed of seeds) {
        const s = emptyPgStat();
        s.state = PgState.ACTIVE | PgState.CLEAN;
        s.reportedEpoch = map.epoch;
        s.reportedSeq = 10 + seed;
        s.up = [id, 1 - id];
        s.acting = [id, 1 - id];
        s.upPrimary = id;
        s.actingPrimary = id;
        s.statsSum.numObjects = 1;
        s.statsSum.numBytes = 4096;
        s.statsSum.numObjectCopies = 2;
        m.pgStat.push({ pgid: { pool: 1, seed }, stat: s });
      }
      m.osdStat.statfs.total = 1 << 30;
      m.osdStat.statfs.available = (1 << 30) - (1 << 22);
      m.osdStat.numOsds = 1;
      m.header.tid = tid;
      o.connect(rank).send(m);
    };
    send(osds[0]!, peon, [0, 1], 41);
    send(osds[1]!, leader, [2, 3], 42);
    const ack0 = await osds[0]!.wait('the ack through the peon', (m): m is MPGStatsAck => m instanceof MPGStatsAck);
    const ack1 = await osds[1]!.wait('the ack from the leader', (m): m is MPGStatsAck => m instanceof MPGStatsAck);
    assert.equal(ack0.header.tid, 41);
    assert.deepEqual(ack0.pgStat.map((x) => [x.pgid.seed, x.seq, x.epoch]), [[0, 10, map.epoch], [1, 11, map.epoch]]);
    assert.equal(ack1.header.tid, 42);
    assert.deepEqual(ack1.pgStat.map((x) => [x.pgid.seed, x.seq]), [[2, 12], [3, 13]]);
    // Every monitor answers from the same committed PGMap.
    const want = '4 pgs: 4 active+clean; 16 KiB data, 8 MiB used, 2.0 GiB / 2 GiB avail\n';
    for (let r = 0; r < NAMES.length; r++) {
      const one = new MonClient({ monAddrs: parseAddrVecList(`v2:127.0.0.1:${PORT + r}`, 'mon_host') });
      await one.connect({ timeoutMs: 20000 });
      let got = '';
      await untilAsync(`mon.${NAMES[r]}'s pg stat: ${want.trim()}`, async () => {
        got = (await one.command({ prefix: 'pg stat' }, undefined, { timeoutMs: 10000 })).out.toString();
        return got === want;
      }, 10000, 100).catch(() => undefined);
      assert.equal(got, want, `mon.${NAMES[r]}`);
      await one.shutdown();
    }
    // A client's pool stats and statfs, from a peon.
    const client = new Peer(EntityType.CLIENT, 0x7000);
    peers.push(client);
    const c = client.connect(peon);
    c.send(new MGetPoolStats(FSID, 77, ['rbd', 'nope']));
    const ps = await client.wait('pool stats', (m): m is MGetPoolStatsReply => m instanceof MGetPoolStatsReply);
    assert.equal(ps.header.tid, 77);
    assert.deepEqual([...ps.poolStats.keys()], ['rbd']);
    assert.equal(ps.poolStats.get('rbd')!.stats.numObjects, 4);
    assert.equal(ps.poolStats.get('rbd')!.stats.numBytes, 16384);
    const sf = new MStatfs(FSID);
    sf.header.tid = 78;
    c.send(sf);
    const st = await client.wait('statfs', (m): m is MStatfsReply => m instanceof MStatfsReply);
    assert.equal(st.header.tid, 78);
    assert.deepEqual(st.st, { kb: 2 * 1024 * 1024, kbUsed: 8 * 1024, kbAvail: 2 * 1024 * 1024 - 8 * 1024, numObjects: 4 });
  });

  it('Ceph 16\'s own ceph CLI and rados read the PGMap from our monitors', async function () {
    if (!existsSync('/usr/bin/ceph') || !existsSync('/usr/bin/rados')) this.skip();
    const conf = join(dir, 'ceph.conf');
    writeFileSync(conf, [
      '[global]', `fsid = ${FSID}`, `mon_host = ${NAMES.map((_, i) => `v2:127.0.0.1:${PORT + i}`).join(',')}`,
      'auth_cluster_required = none', 'auth_service_required = none', 'auth_client_required = none', `log_file = ${join(dir, 'client.log')}`, '',
    ].join('\n'));
    // The monitors run in this process: the CLIs must run asynchronously (spawnSync would block them).
    const run = (bin: string, args: string[]): Promise<string> => new Promise((resolve, reject) => {
      const c = spawn(bin, ['-c', conf, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => c.kill('SIGKILL'), 60000);
      c.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`${bin} ${args.join(' ')} exited ${code}: ${err}`));
      });
    });
    assert.equal(await run('/usr/bin/ceph', ['--connect-timeout', '20', 'pg', 'stat']), '4 pgs: 4 active+clean; 16 KiB data, 8 MiB used, 2.0 GiB / 2 GiB avail\n');
    const df = await run('/usr/bin/ceph', ['--connect-timeout', '20', 'df']);
    assert.ok(/^rbd +1 +4 +16 KiB +4 +16 KiB /m.test(df), df);
    const rdf = await run('/usr/bin/rados', ['df']);
    assert.ok(/^rbd +16 KiB +4 +0 +8 /m.test(rdf), rdf);
    assert.ok(rdf.includes('total_objects    4\n'), rdf);
    assert.ok(rdf.includes('total_space      2 GiB\n'), rdf);
  });

  it('MOSDPGCreated through a peon and the leader: once all four PGs are reported the pool\'s creating flag clears in a new epoch', async () => {
    const leader = mons.findIndex((m) => m.isLeader);
    const peon = mons.findIndex((m) => !m.isLeader);
    const osds = peers.slice(0, 2);
    assert.ok(osds[0]!.map!.pools.get(1)!.flags & POOL_FLAG_CREATING, 'the pool is still creating');
    for (const seed of [0, 1]) osds[0]!.connect(peon).send(new MOSDPGCreated({ pool: 1, seed }));
    osds[1]!.connect(leader).send(new MOSDPGCreated({ pool: 1, seed: 2 }));
    await sleep(300);
    assert.ok(osds[0]!.map!.pools.get(1)!.flags & POOL_FLAG_CREATING, 'three of four: still creating');
    osds[1]!.connect(leader).send(new MOSDPGCreated({ pool: 1, seed: 3 }));
    for (const o of osds) await until('the creating flag cleared', () => o.map && (o.map.pools.get(1)!.flags & POOL_FLAG_CREATING) === 0);
    const detail = (await admin.command({ prefix: 'osd pool ls', detail: 'detail' }, undefined, { timeoutMs: 20000 })).out.toString();
    assert.ok(!detail.includes('creating'), detail);
  });

  it('MOSDPGTemp through a peon sets a pg_temp and the sender gets the osdmap; the new acting primary clears it through the leader', async () => {
    const leader = mons.findIndex((m) => m.isLeader);
    const peon = mons.findIndex((m) => !m.isLeader);
    const osds = peers.slice(0, 2);
    const map = osds[0]!.map!;
    const seed = [0, 1, 2, 3].find((s) => { const u = pgToUpActingOsds(map, { pool: 1, seed: s }); return u.up.length === 2 && u.upPrimary === 0; });
    assert.ok(seed !== undefined, 'a PG osd.0 leads');
    const pgid = { pool: 1, seed };
    const before = osds[0]!.got.filter((m) => m instanceof MOSDMap).length;
    const m = new MOSDPGTemp(map.epoch);
    m.pgTemp = [{ pgid, osds: [1, 0] }];
    osds[0]!.connect(peon).send(m);
    for (const o of osds) await until('the pg_temp in the map', () => o.map && o.map.pgTemp.get(1, seed)?.join(',') === '1,0');
    assert.ok(osds[0]!.got.filter((x) => x instanceof MOSDMap).length > before, 'the sender got an osdmap');
    const ua = pgToUpActingOsds(osds[0]!.map!, pgid);
    assert.deepEqual(ua.up, [0, 1]);
    assert.deepEqual(ua.acting, [1, 0]);
    assert.equal(ua.actingPrimary, 1);
    const dump = (await admin.command({ prefix: 'osd dump' }, undefined, { timeoutMs: 20000 })).out.toString();
    assert.ok(dump.includes(`\npg_temp 1.${seed.toString(16)} [1,0]\n`), dump);
    const clr = new MOSDPGTemp(osds[1]!.map!.epoch);
    clr.pgTemp = [{ pgid, osds: [] }];
    osds[1]!.connect(leader).send(clr);
    for (const o of osds) await until('the pg_temp cleared', () => o.map && !o.map.pgTemp.has(1, seed));
  });

  it('MOSDAlive and MOSDFailure through a peon reach the leader with their sender: up_thru raised, then the target marked down', async () => {
    const peon = mons.findIndex((m) => !m.isLeader);
    const osds = peers.slice(0, 2);
    const want = osds[0]!.map!.epoch;
    assert.ok((osds[0]!.map!.osdInfo[0]?.upThru ?? 0) < want, 'osd.0 needs a higher up_thru');
    osds[0]!.connect(peon).send(new MOSDAlive(want, want));
    for (const o of osds) await until('osd.0 up_thru raised', () => o.map && (o.map.osdInfo[0]?.upThru ?? 0) >= want);
    // osd.1 found osd.0 refusing connections (FLAG_IMMEDIATE: down at once, no second reporter needed).
    const f = new MOSDFailure();
    f.fsid = FSID;
    f.version = osds[1]!.map!.epoch;
    f.epoch = osds[1]!.map!.epoch;
    f.targetOsd = 0;
    f.targetAddrs = osds[1]!.map!.clientAddrs[0] ?? [];
    f.flags = MOSDFailure.FLAG_FAILED | MOSDFailure.FLAG_IMMEDIATE;
    osds[1]!.connect(peon).send(f);
    for (const o of osds) await until('osd.0 down', () => o.map && !o.map.isUp(0));
  });

  it('MOSDBoot through a peon records the OSD\'s own public address, not the peon\'s; MOSDMarkMeDown through it is acked to the OSD', async () => {
    const peon = mons.findIndex((m) => !m.isLeader);
    assert.equal((await admin.command({ prefix: 'osd create' }, undefined, { timeoutMs: 20000 })).r, 0);
    const o = new Peer(EntityType.OSD, 2);
    peers.push(o);
    const c = o.boot(peon);
    const map = await until('osd.2 up', () => o.map && o.map.isUp(2) && o.map);
    const pub = map.clientAddrs[2] ?? [];
    assert.ok(pub.length > 0);
    for (const a of pub) {
      const { port } = addrHostPort(a);
      assert.ok(!(port >= PORT && port < PORT + NAMES.length), `osd.2's public address is a monitor's (port ${port})`);
    }
    const down = new MOSDMarkMeDown();
    down.fsid = FSID;
    down.targetOsd = 2;
    down.targetAddrs = pub;
    down.epoch = map.epoch;
    down.version = map.epoch;
    down.requestAck = true;
    c.send(down);
    await o.wait('the mark-me-down ack', (x): x is MOSDMarkMeDown => x instanceof MOSDMarkMeDown);
    await until('osd.2 down', () => o.map && !o.map.isUp(2));
  });
});
