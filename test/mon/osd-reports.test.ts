// Proves the monitor daemon turns OSD messages into OSDMap epochs, end to end over the messenger: an
// OSD that sends MOSDBoot is marked up in a new epoch that its osdmap subscription delivers; failure
// reports from a peer mark it down after the grace; it goes out after the down-out interval; an OSD
// that asks to be marked down (MOSDMarkMeDown) is. One in-process monitor, fake OSDs over msgr2.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEntityAddr } from '../../common/entityaddr.js';
import { addMon, newMonMap } from '../../common/monmap/index.js';
import { decodeOSDMap, decodeIncremental, applyIncremental, type OSDMap } from '../../common/osdmap/index.js';
import { parseAddrVecList } from '../../common/config.js';
import { MonClient } from '../../mon/client/index.js';
import { Monitor, mkfsMonitor } from '../../mon/monitor.js';
import { createMessenger, EntityType, MMonSubscribe, MOSDBoot, MOSDFailure, MOSDMap, MOSDMarkMeDown, Policies, type Connection, type Message, type Messenger } from '../../msg/index.js';

const PORT = 17470;
const FSID = '2f1a6e8e-5b1c-4f0e-9d57-1c2b3a4d5e6f';

class FakeOsd {
  readonly msgr: Messenger;
  conn!: Connection;
  map: OSDMap | null = null;
  private waiters: Array<() => void> = [];

  constructor(readonly id: number) {
    this.msgr = createMessenger({ entity: { type: EntityType.OSD, num: id }, nonce: 1000 + id, defaultPolicy: Policies.lossyClient() });
    this.msgr.addDispatcher({ dispatch: (_c, m) => this.onMessage(m) });
    this.msgr.start();
  }

  connect(): void {
    this.conn = this.msgr.connectTo(EntityType.MON, [makeEntityAddr(2, '127.0.0.1', PORT, 0)]);
    const sub = new MOSDMapSubscribe();
    this.conn.send(sub.message);
  }

  private onMessage(m: Message): void {
    if (!(m instanceof MOSDMap)) return;
    const epochs = [...new Set([...m.maps.keys(), ...m.incrementalMaps.keys()])].sort((a, b) => a - b);
    for (const e of epochs) {
      const full = m.maps.get(e);
      const incBl = m.incrementalMaps.get(e);
      const inc = incBl ? decodeIncremental(incBl) : null;
      if (full) this.map = decodeOSDMap(full);
      else if (!this.map && inc?.fullmap) this.map = decodeOSDMap(inc.fullmap); // epoch 1 carries the map
      else if (this.map && e === this.map.epoch + 1) {
        const r = applyIncremental(this.map, inc!);
        assert.equal(r, 0, `incremental ${e} applies`);
      }
    }
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  async until(what: string, pred: (m: OSDMap) => boolean, timeoutMs = 20000): Promise<OSDMap> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.map && pred(this.map))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (osdmap epoch ${this.map?.epoch ?? 'none'})`);
      await new Promise<void>((res) => {
        this.waiters.push(res);
        setTimeout(res, 200);
      });
    }
    return this.map!;
  }

  boot(): void {
    const b = new MOSDBoot();
    b.sb.clusterFsid = FSID;
    b.sb.whoami = this.id;
    b.sb.currentEpoch = this.map?.epoch ?? 0;
    b.sb.osdFsid = `00000000-0000-0000-0000-00000000000${this.id}`;
    b.bootEpoch = this.map?.epoch ?? 0;
    b.osdFeatures = 0x3f01cfbffffdffffn;
    b.clusterAddrs = [makeEntityAddr(2, '127.0.0.1', 6800 + this.id, 2000 + this.id)];
    b.hbBackAddrs = [makeEntityAddr(2, '127.0.0.1', 6900 + this.id, 2000 + this.id)];
    b.hbFrontAddrs = [makeEntityAddr(2, '127.0.0.1', 7000 + this.id, 2000 + this.id)];
    this.conn.send(b);
  }

  reportFailure(target: number, failedForS: number): void {
    const f = new MOSDFailure();
    f.fsid = FSID;
    f.targetOsd = target;
    f.targetAddrs = this.map?.clientAddrs[target] ?? [];
    f.flags = 1; // FLAG_FAILED
    f.epoch = this.map?.epoch ?? 0;
    f.failedFor = failedForS;
    this.conn.send(f);
  }

  markMeDown(): void {
    const d = new MOSDMarkMeDown();
    d.fsid = FSID;
    d.targetOsd = this.id;
    d.targetAddrs = this.map?.clientAddrs[this.id] ?? [];
    d.epoch = this.map?.epoch ?? 0;
    d.requestAck = false;
    this.conn.send(d);
  }
}

class MOSDMapSubscribe {
  readonly message: MMonSubscribe;
  constructor() {
    this.message = new MMonSubscribe();
    this.message.what.set('osdmap', { start: 1, flags: 0 });
  }
}

describe('monitor daemon: OSD boot, failure reports, down-out, mark-me-down', function () {
  this.timeout(120000);
  let dir: string;
  let mon: Monitor;
  let admin: MonClient;
  const osds: FakeOsd[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsceph-osdreports-'));
    const monmap = newMonMap({ fsid: FSID, created: { sec: 1700000000, nsec: 0 }, enableAllFeatures: true, minMonRelease: 16 });
    addMon(monmap, 'a', [makeEntityAddr(2, '127.0.0.1', PORT, 0)]);
    await mkfsMonitor(join(dir, 'mon.a'), 'a', monmap);
    mon = await Monitor.start({
      name: 'a',
      dataDir: join(dir, 'mon.a'),
      services: { osdHeartbeatGraceMs: 1000, osdMinDownReporters: 1, osdDownOutIntervalMs: 2000 },
    });
    await mon.waitForQuorum();
    admin = new MonClient({ monAddrs: parseAddrVecList(`v2:127.0.0.1:${PORT}`, 'mon_host') });
    await admin.connect({ timeoutMs: 20000 });
    for (let i = 0; i < 3; i++) {
      const r = await admin.command({ prefix: 'osd create' }, undefined, { timeoutMs: 20000 });
      assert.equal(r.r, 0, r.rs);
      assert.equal(r.out.toString().trim(), String(i));
    }
  });

  after(async () => {
    for (const o of osds) await o.msgr.shutdown();
    await admin?.shutdown();
    await mon?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('boot marks an OSD up and in, and subscribers get the new epoch', async () => {
    for (let i = 0; i < 3; i++) {
      const o = new FakeOsd(i);
      osds.push(o);
      o.connect();
      await o.until('the first osdmap', () => true);
      o.boot();
    }
    const m = await osds[0]!.until('all three OSDs up', (x) => [0, 1, 2].every((i) => (x.osdState[i]! & 2) !== 0));
    for (let i = 0; i < 3; i++) assert.ok(m.osdWeight[i]! > 0, `osd.${i} is in`);
    const stat = await admin.command({ prefix: 'osd stat', format: 'json' });
    assert.equal(stat.r, 0, stat.rs);
    const j = JSON.parse(stat.out.toString()) as { num_osds: number; num_up_osds: number; num_in_osds: number };
    assert.deepEqual([j.num_osds, j.num_up_osds, j.num_in_osds], [3, 3, 3]);
  });

  it('failure reports past the grace mark an OSD down; after the down-out interval it is out', async () => {
    osds[1]!.reportFailure(0, 30);
    const down = await osds[1]!.until('osd.0 down', (x) => (x.osdState[0]! & 2) === 0);
    assert.ok(down.osdWeight[0]! > 0, 'still in right after going down');
    await osds[1]!.until('osd.0 out after the interval', (x) => x.osdWeight[0] === 0, 30000);
  });

  it('MOSDMarkMeDown marks the sender down at once', async () => {
    osds[2]!.markMeDown();
    await osds[1]!.until('osd.2 down', (x) => (x.osdState[2]! & 2) === 0);
  });
});
