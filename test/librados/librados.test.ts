// Proves librados against real clusters on loopback. Our vstart monitor (port 17950): connect by conf
// and by monHost, pool create / list / lookup / delete through monitor commands. A real Ceph 16
// ceph-mon and ceph-osd (memstore; ports 17900-17939) for object ops, because our monitor does not
// yet send MOSDPGCreate2, so a real OSD never creates the PGs of a pool our monitor made: every IoCtx
// op round-trips and fails with Ceph's errno names, a per-op timeout fires while the OSD is frozen, and
// an op in flight when its OSD is marked down is resent once a later map shows the OSD up again.
import { strict as assert } from 'node:assert';
import { CephError, Rados, type IoCtx } from '../../librados/index.js';
import { startRealCephCluster, type RealCephCluster } from '../support/real-ceph-cluster.js';
import { VstartCluster } from '../support/vstart-cluster.js';

const MON_PORT = 17900;
const VSTART_PORT = 17950;
const POOL = 'lr';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CephError, `expected a CephError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('librados pool commands against a vstart monitor', function () {
  this.timeout(120000);
  let c: VstartCluster;
  let rados: Rados | null = null;
  before(async () => {
    c = VstartCluster.start(1, VSTART_PORT, 'tsceph-librados-');
    rados = await Rados.connect({ conf: c.conf });
  });
  after(async () => {
    await rados?.shutdown();
    c?.destroy();
  });

  it('connects by conf and by monHost, creates, lists, looks up and deletes pools', async () => {
    assert.ok(rados!.osdmap.epoch > 0);
    const id = await rados!.poolCreate('lr-a', 8);
    await rados!.poolCreate('lr-b', 8);
    assert.equal(rados!.poolLookup('lr-a'), id);
    assert.deepEqual(rados!.poolList(), ['lr-a', 'lr-b']);
    await rejectsWith(rados!.poolCreate('lr-a'), 'EEXIST');
    const r2 = await Rados.connect({ monHost: `v2:127.0.0.1:${VSTART_PORT}` });
    try {
      assert.equal(r2.poolLookup('lr-b'), rados!.poolLookup('lr-b'));
    } finally {
      await r2.shutdown();
    }
    await rejectsWith(Rados.connect({ monHost: '' }), 'ENOENT');
    await rejectsWith(Rados.connect({ monHost: `v2:127.0.0.1:${VSTART_PORT + 9}`, connectTimeoutMs: 500 }), 'ETIMEDOUT');
    await rados!.poolDelete('lr-a');
    assert.deepEqual(rados!.poolList(), ['lr-b']);
    assert.throws(() => rados!.poolLookup('lr-a'), (e: unknown) => e instanceof CephError && e.code === 'ENOENT');
    assert.throws(() => rados!.ioctx('lr-a'), (e: unknown) => e instanceof CephError && e.code === 'ENOENT');
    await rejectsWith(rados!.poolDelete('lr-a'), 'ENOENT');
  });
});

describe('librados object ops against a real ceph-mon and ceph-osd', function () {
  this.timeout(180000);
  let c: RealCephCluster | null = null;
  let rados: Rados | null = null;
  let io: IoCtx;

  before(async () => {
    c = await startRealCephCluster({
      name: 'librados', monPort: MON_PORT, osdPortMin: 17910, osdPortMax: 17939, osds: 1, objectstore: 'memstore', deviceBytes: 128 << 20,
      options: { osd_pool_default_size: '1', osd_pool_default_min_size: '1', mon_warn_on_pool_no_redundancy: 'false' },
    });
    rados = await Rados.connect({ conf: c.conf });
    await rados.poolCreate(POOL, 8);
    io = rados.ioctx(POOL);
    // The first op waits for the new pool's PGs to peer.
    await io.writeFull('warmup', Buffer.from('x'), { timeoutMs: 90000 });
  });

  after(async () => {
    await rados?.shutdown();
    await c?.stop(process.env.LIBRADOS_KEEP !== undefined);
  });

  it('connects with monHost too, and knows the osdmap and the pools', async () => {
    const r2 = await Rados.connect({ monHost: `v2:127.0.0.1:${MON_PORT}` });
    try {
      assert.ok(r2.osdmap.epoch > 0);
      assert.ok(r2.poolList().includes(POOL));
      assert.equal(r2.poolLookup(POOL), rados!.poolLookup(POOL));
      assert.ok(r2.osdmap.isUp(0));
    } finally {
      await r2.shutdown();
    }
    assert.throws(() => rados!.poolLookup('nosuch'), (e: unknown) => e instanceof CephError && e.code === 'ENOENT');
    await rejectsWith(rados!.poolCreate(POOL), 'EEXIST');
  });

  it('writeFull, read, write at an offset, append, stat, truncate, remove', async () => {
    await io.writeFull('o1', Buffer.from('hello world'));
    assert.equal((await io.read('o1', 0)).toString(), 'hello world');
    assert.equal((await io.read('o1', 5, 6)).toString(), 'world');
    await io.write('o1', Buffer.from('WORLD'), 6);
    await io.append('o1', Buffer.from('!!'));
    assert.equal((await io.read('o1', 100)).toString(), 'hello WORLD!!');
    const st = await io.stat('o1');
    assert.equal(st.size, 13);
    assert.ok(Math.abs(st.mtime.sec - Date.now() / 1000) < 120, `mtime ${st.mtime.sec}`);
    await io.zero('o1', 0, 2);
    assert.deepEqual(await io.read('o1', 4), Buffer.from('\0\0ll'));
    assert.equal((await io.stat('o1')).size, 13, 'zero keeps the size');
    await io.write('o1', Buffer.from('he'), 0);
    await io.truncate('o1', 5);
    assert.equal((await io.read('o1', 0)).toString(), 'hello');
    await io.writeFull('o1', Buffer.from('ab'));
    assert.equal((await io.stat('o1')).size, 2, 'writeFull replaces the whole object');
    await io.remove('o1');
    await rejectsWith(io.read('o1', 0), 'ENOENT');
    await rejectsWith(io.stat('o1'), 'ENOENT');
    await rejectsWith(io.remove('o1'), 'ENOENT');
  });

  it('exclusive create: EEXIST on an existing object', async () => {
    await io.create('c1', true);
    assert.equal((await io.stat('c1')).size, 0);
    await rejectsWith(io.create('c1', true), 'EEXIST');
    await io.create('c1', false);
    await io.remove('c1');
  });

  it('xattrs: set, get, get all, remove', async () => {
    await io.writeFull('x1', Buffer.from('data'));
    await io.setxattr('x1', 'user.a', Buffer.from('1'));
    await io.setxattr('x1', 'user.b', Buffer.from('two'));
    assert.deepEqual(await io.getxattr('x1', 'user.b'), Buffer.from('two'));
    const all = await io.getxattrs('x1');
    assert.deepEqual([...all].filter(([k]) => k.startsWith('user.')), [['user.a', Buffer.from('1')], ['user.b', Buffer.from('two')]]);
    await io.rmxattr('x1', 'user.a');
    await rejectsWith(io.getxattr('x1', 'user.a'), 'ENODATA');
    await rejectsWith(io.getxattr('nosuch', 'user.a'), 'ENOENT');
  });

  it('omap: set, get all, get by keys, remove', async () => {
    await io.omapSet('m1', { k1: Buffer.from('v1'), k2: Buffer.from('v2'), k3: Buffer.from('') });
    assert.deepEqual([...(await io.omapGet('m1'))], [['k1', Buffer.from('v1')], ['k2', Buffer.from('v2')], ['k3', Buffer.alloc(0)]]);
    assert.deepEqual([...(await io.omapGet('m1', ['k2', 'zz']))], [['k2', Buffer.from('v2')]]);
    await io.omapRm('m1', ['k1', 'k3']);
    assert.deepEqual([...(await io.omapGet('m1'))], [['k2', Buffer.from('v2')]]);
    const many = new Map<string, Buffer>();
    for (let i = 0; i < 1100; i++) many.set(`key${String(i).padStart(5, '0')}`, Buffer.from(String(i)));
    await io.omapSet('m2', many);
    const back = await io.omapGet('m2');
    assert.equal(back.size, 1100, 'paged past OMAP_PAGE_KEYS');
    assert.deepEqual(back.get('key01099'), Buffer.from('1099'));
    await rejectsWith(io.omapGet('nosuch'), 'ENOENT');
  });

  it('namespaces keep same-named objects apart', async () => {
    const a = rados!.ioctx(POOL);
    const b = rados!.ioctx(POOL);
    b.setNamespace('ns-b');
    await a.writeFull('same', Buffer.from('default ns'));
    await rejectsWith(b.read('same', 0), 'ENOENT');
    await b.writeFull('same', Buffer.from('ns b'));
    assert.equal((await a.read('same', 0)).toString(), 'default ns');
    assert.equal((await b.read('same', 0)).toString(), 'ns b');
    await b.remove('same');
    assert.equal((await a.read('same', 0)).toString(), 'default ns');
  });

  it('a locator key places objects by the key, under their own names', async () => {
    const k = rados!.ioctx(POOL);
    k.setLocatorKey('shared-key');
    await k.writeFull('lk-1', Buffer.from('one'));
    await k.writeFull('lk-2', Buffer.from('two'));
    assert.equal((await k.read('lk-2', 0)).toString(), 'two');
    // Without the key the same name hashes elsewhere (or is another object in the same PG): not found.
    await rejectsWith(io.stat('lk-1'), 'ENOENT');
    await k.remove('lk-1');
    await rejectsWith(k.stat('lk-1'), 'ENOENT');
  });

  it('listObjects: one namespace or all of them', async () => {
    const l = rados!.ioctx(POOL);
    l.setNamespace('list-ns');
    const names = Array.from({ length: 30 }, (_, i) => `listed-${i}`);
    await Promise.all(names.map((n) => l.writeFull(n, Buffer.from(n))));
    const seen: string[] = [];
    for await (const e of l.listObjects()) {
      assert.equal(e.nspace, 'list-ns');
      seen.push(e.oid);
    }
    assert.deepEqual(seen.sort(), [...names].sort());
    const paged: string[] = [];
    for await (const e of l.listObjects({ pageEntries: 2 })) paged.push(e.oid);
    assert.deepEqual(paged.sort(), [...names].sort(), 'two entries per round trip, continuing from the cursor');
    const all: string[] = [];
    for await (const e of l.listObjects({ allNamespaces: true })) all.push(`${e.nspace}/${e.oid}`);
    assert.ok(all.includes('list-ns/listed-7'));
    assert.ok(all.includes('/warmup'), 'the default namespace is listed too');
    for (const n of names) await l.remove(n);
    const after: string[] = [];
    for await (const e of l.listObjects()) after.push(e.oid);
    assert.deepEqual(after, []);
  });

  it('many ops at once complete under the in-flight bound', async () => {
    const names = Array.from({ length: 64 }, (_, i) => `par${i}`);
    await Promise.all(names.map((n, i) => io.writeFull(n, Buffer.from(`v${i}`))));
    const got = await Promise.all(names.map((n) => io.read(n, 0)));
    assert.deepEqual(got.map((b) => b.toString()), names.map((_, i) => `v${i}`));
    assert.equal(rados!.objecter.opsInFlight, 0);
  });

  it('pool create and delete through the monitors', async () => {
    const id = await rados!.poolCreate('lr-tmp', 8);
    assert.equal(rados!.poolLookup('lr-tmp'), id);
    assert.ok(rados!.poolList().includes('lr-tmp'));
    await rados!.poolDelete('lr-tmp');
    assert.ok(!rados!.poolList().includes('lr-tmp'));
    assert.throws(() => rados!.ioctx('lr-tmp'), (e: unknown) => e instanceof CephError && e.code === 'ENOENT');
    await rejectsWith(rados!.poolDelete('lr-tmp'), 'ENOENT');
  });

  it('a per-op timeout gives ETIMEDOUT while the OSD is frozen', async () => {
    c!.signalOsd(0, 'SIGSTOP');
    try {
      await rejectsWith(io.read('warmup', 0, 0, { timeoutMs: 800 }), 'ETIMEDOUT');
    } finally {
      c!.signalOsd(0, 'SIGCONT');
    }
    assert.equal((await io.read('warmup', 0)).toString(), 'x');
  });

  it('an op in flight when its OSD is marked down is resent once the map shows it up again', async () => {
    await io.writeFull('before-down', Buffer.from('kept'));
    const epoch0 = rados!.osdmap.epoch;
    const resends0 = rados!.objecter.resends;
    c!.signalOsd(0, 'SIGSTOP');
    let pending: Promise<void>;
    try {
      pending = io.writeFull('during-down', Buffer.from('resent'), { timeoutMs: 120000 });
      await new Promise((r) => setTimeout(r, 300));
      const down = c!.ceph(['osd', 'down', '0']);
      assert.equal(down.status, 0, down.stderr);
      await rados!.waitForMap((m) => !m.isUp(0), 30000, 'osd.0 down');
    } finally {
      c!.signalOsd(0, 'SIGCONT');
    }
    // The OSD learns it was marked down (wrongly), rebinds its cluster side and boots again.
    await pending;
    assert.ok(rados!.osdmap.epoch > epoch0 + 1);
    assert.ok(rados!.objecter.resends > resends0, 'the op was sent again');
    assert.equal((await io.read('during-down', 0)).toString(), 'resent');
    assert.equal((await io.read('before-down', 0)).toString(), 'kept');
  });
});
