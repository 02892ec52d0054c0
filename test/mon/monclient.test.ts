// Proves MonClient works against a REAL Ceph 16 ceph-mon on loopback (auth none): it hunts past a dead address to the live monitor, learns the monmap, runs commands with tids and gets Ceph's (r, rs, out), receives osdmaps and MConfig it subscribes to, shares a daemon's messenger, and with no live monitor fails with ETIMEDOUT naming the addresses tried, within the timeout.
import { strict as assert } from 'node:assert';

import { parseAddrVecList } from '../../common/config.js';
import { CephError } from '../../common/errors.js';
import { MonClient } from '../../mon/client/index.js';
import { validateCmdMap } from '../../mon/commands.js';
import type { CmdMap } from '../../mon/core/types.js';
import { EntityType, Policies, createMessenger } from '../../msg/index.js';
import { realCephAvailable, startRealCephMon, type RealCephMon } from '../support/real-ceph-mon.js';
import { until } from '../support/wait.js';

const PORT = 17310;
const DEAD_PORT = 17339; // nothing listens here

describe('mon/client: MonClient against a real Ceph 16 monitor', function () {
  this.timeout(60000);
  let mon: RealCephMon | null = null;
  const clients: MonClient[] = [];

  before(async function () {
    if (!realCephAvailable()) this.skip();
    mon = await startRealCephMon({ port: PORT });
  });

  after(async function () {
    for (const c of clients) await c.shutdown();
    if (mon) await mon.stop();
  });

  function client(addrs: string, first = 0): MonClient {
    const c = new MonClient({ monAddrs: parseAddrVecList(addrs), nonce: 4242 + clients.length, random: () => first, huntIntervalMs: 1000 });
    clients.push(c);
    return c;
  }

  it('connects, learns the monmap and runs commands', async function () {
    const c = client(mon!.addr);
    await c.connect({ timeoutMs: 15000 });
    const mm = c.getMonMap();
    assert.ok(mm);
    assert.equal(mm.fsid, mon!.fsid);
    assert.deepEqual(mm.ranks, ['a']);

    const dump = await c.command({ prefix: 'mon dump', format: 'json' }, Buffer.alloc(0), { timeoutMs: 15000 });
    assert.equal(dump.r, 0, dump.rs);
    assert.equal((JSON.parse(dump.out.toString()) as { fsid: string }).fsid, mon!.fsid);
    assert.match(dump.rs, /dumped monmap epoch 1/);

    const bad = await c.command({ prefix: 'osd pool get', pool: 'nopool', var: 'size' }, Buffer.alloc(0), { timeoutMs: 15000 });
    assert.equal(bad.r, -2);
    assert.equal(bad.rs, "unrecognized pool 'nopool'");

    // Several commands in flight at once are matched by tid.
    const [a, b, s] = await Promise.all([
      c.command({ prefix: 'osd pool create', pool: 'mc1', pg_num: 8 }, Buffer.alloc(0), { timeoutMs: 15000 }),
      c.command({ prefix: 'fsid' }, Buffer.alloc(0), { timeoutMs: 15000 }),
      c.command({ prefix: 'osd pool ls', format: 'json' }, Buffer.alloc(0), { timeoutMs: 15000 }),
    ]);
    assert.equal(a.r, 0, a.rs);
    assert.equal(b.out.toString().trim(), mon!.fsid);
    assert.equal(s.r, 0);
    const ls = await c.command({ prefix: 'osd pool ls', format: 'json' }, Buffer.alloc(0), { timeoutMs: 15000 });
    assert.ok((JSON.parse(ls.out.toString()) as string[]).includes('mc1'));
  });

  it('validateCmdMap refuses malformed commands with the words a real Ceph monitor answers them with', async function () {
    const c = client(mon!.addr);
    await c.connect({ timeoutMs: 15000 });
    const cases: CmdMap[] = [
      { pool: 'p' },
      { prefix: 'osd frob' },
      { prefix: 'osd pool create', pool: 'v1', pg_num: 'x' },
      { prefix: 'osd pool create', pool: 'v2', pg_num: 8.5 },
      { prefix: 'osd pool create', pool: 'v3', pg_num: 8, bulk: 1 },
      { prefix: 'osd in', ids: 'x' },
      { prefix: 'osd in', ids: [1] },
      { prefix: 'osd find', id: '3' },
      { prefix: 'osd tree', states: 'up' },
      { prefix: 'mon dump', epoch: 1.5 },
    ];
    for (const m of cases) {
      const r = await c.rawCommand([JSON.stringify(m)], Buffer.alloc(0), { timeoutMs: 15000 });
      assert.equal(r.r, -22, JSON.stringify(m));
      assert.throws(() => validateCmdMap(m), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && e.message === r.rs, `${JSON.stringify(m)}: Ceph says ${r.rs}`);
    }
  });

  it('receives the osdmap it subscribes to, and newer epochs after a change', async function () {
    const c = client(mon!.addr);
    const epochs: number[] = [];
    let wake: (() => void) | null = null;
    c.onOsdMap((m) => {
      epochs.push(m.newestMap);
      c.gotEpoch('osdmap', m.newestMap);
      wake?.();
    });
    c.subscribe('osdmap', 0);
    await c.connect({ timeoutMs: 15000 });
    const waitFor = async (pred: () => boolean): Promise<void> => {
      const deadline = Date.now() + 15000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`no osdmap; epochs=${epochs.join(',')}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
    };
    await waitFor(() => epochs.length > 0);
    const first = epochs[epochs.length - 1]!;
    const r = await c.command({ prefix: 'osd pool create', pool: 'mc2', pg_num: 8 }, Buffer.alloc(0), { timeoutMs: 15000 });
    assert.equal(r.r, 0, r.rs);
    await waitFor(() => epochs[epochs.length - 1]! > first);
  });

  it('works over a daemon\'s shared messenger, gets MConfig for a config subscription, and leaves the messenger running', async function () {
    const msgr = createMessenger({ entity: { type: EntityType.CLIENT, num: -1 }, nonce: 777, defaultPolicy: Policies.lossyClient() });
    msgr.start();
    const c = new MonClient({ monAddrs: parseAddrVecList(mon!.addr), messenger: msgr });
    let config: Map<string, string> | null = null;
    c.onConfig((m) => {
      config = m;
    });
    c.subscribe('config', 0);
    await c.connect({ timeoutMs: 15000 });
    const r = await c.command({ prefix: 'mon stat' }, Buffer.alloc(0), { timeoutMs: 15000 });
    assert.equal(r.r, 0, r.rs);
    assert.match(r.out.toString(), /e1: 1 mons at/);
    await until('MConfig after subscribing to config', () => config, 10000, 100);
    await c.shutdown();
    assert.ok(msgr.stats().messagesReceived > 0);
    await msgr.shutdown();
  });

  it('hunts past a monitor that refuses connections', async function () {
    const c = client(`v2:127.0.0.1:${DEAD_PORT} ${mon!.addr}`, 0);
    await c.connect({ timeoutMs: 15000 });
    assert.equal(c.getMonMap()?.fsid, mon!.fsid);
  });

  it('with no live monitor, connect and command fail with ETIMEDOUT naming the monitors tried', async function () {
    const c = client(`v2:127.0.0.1:${DEAD_PORT}`);
    const t0 = Date.now();
    await assert.rejects(c.connect({ timeoutMs: 1500 }), (e: unknown) => e instanceof CephError && e.code === 'ETIMEDOUT' && e.message.includes(`127.0.0.1:${DEAD_PORT}`));
    const took = Date.now() - t0;
    assert.ok(took >= 1400 && took < 4000, `took ${took} ms`);
    await assert.rejects(c.command({ prefix: 'status' }, Buffer.alloc(0), { timeoutMs: 1000 }), (e: unknown) => e instanceof CephError && e.code === 'ETIMEDOUT' && e.message.includes(`127.0.0.1:${DEAD_PORT}`));
  });
});
