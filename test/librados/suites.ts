// The librados end-to-end suites, as mocha tests to run against any cluster: a real Ceph 16 one
// (test/librados/librados.test.ts, operate.test.ts: Ceph's OSD is the oracle for every result and
// errno below) and a tsceph vstart one (test/librados/vstart.test.ts: the same tests on our daemons).
// Every IoCtx method, every WriteOp / ReadOp builder and guard, and their errors (ENOENT, EEXIST,
// ENODATA, ECANCELED, ERANGE, EOVERFLOW, EINVAL, ETIMEDOUT) are exercised here.

import { strict as assert } from 'node:assert';
import { CephError, CmpExtMismatch, Rados, ReadOp, WriteOp, type IoCtx } from '../../librados/index.js';
import { opRead, opStat, decodeStatReply } from '../../msg/index.js';
import { cephRados } from '../support/real-ceph-cluster.js';
import { sleep } from '../support/wait.js';

/** What the suites need of a cluster: a connected handle, an IoCtx on a writable pool, and a few levers. */
export interface LibradosTarget {
  rados: Rados;
  io: IoCtx;
  pool: string;
  conf: string;
  /** One monitor's address as monHost takes it. */
  monHost: string;
  /** SIGSTOP / SIGCONT the OSD (a frozen OSD answers nothing). */
  signalOsd(id: number, sig: NodeJS.Signals): void;
  /** A ceph CLI command against the cluster (`osd down 0`). */
  ceph(args: string[]): { status: number; stderr: string };
}

export async function rejectsWith(p: Promise<unknown>, code: string): Promise<CephError> {
  let got: CephError | null = null;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CephError, `expected a CephError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    got = e;
    return true;
  });
  return got!;
}

const isCode = (code: string) => (e: unknown): boolean => e instanceof CephError && e.code === code;

/** The cluster levers openTarget takes (OsdCluster and RealCephCluster both have them). */
export interface TargetCluster {
  conf: string;
  signalOsd(id: number, sig: NodeJS.Signals): void;
  ceph(args: string[]): { status: number; stderr: string };
}

/** Connects to `cluster`, creates `pool` (8 PGs) and writes 'warmup' (the first op waits for the new
 * pool's PGs to peer): the common before() of every file that runs these suites. */
export async function openTarget(cluster: TargetCluster, pool: string, monPort: number): Promise<LibradosTarget> {
  const rados = await Rados.connect({ conf: cluster.conf });
  await rados.poolCreate(pool, 8);
  const io = rados.ioctx(pool);
  await io.writeFull('warmup', Buffer.from('x'), { timeoutMs: 90000 });
  return {
    rados, io, pool, conf: cluster.conf, monHost: `v2:127.0.0.1:${monPort}`,
    signalOsd: (id, sig) => cluster.signalOsd(id, sig), ceph: (args) => cluster.ceph(args),
  };
}

/** IoCtx object calls, namespaces, locators, listing, pools, timeouts and resends. */
export function objectOpTests(target: () => LibradosTarget): void {
  it('connects with monHost too, and knows the osdmap and the pools', async () => {
    const t = target();
    const r2 = await Rados.connect({ monHost: t.monHost });
    try {
      assert.ok(r2.osdmap.epoch > 0);
      assert.ok(r2.poolList().includes(t.pool));
      assert.equal(r2.poolLookup(t.pool), t.rados.poolLookup(t.pool));
      assert.ok(r2.osdmap.isUp(0));
    } finally {
      await r2.shutdown();
    }
    assert.throws(() => t.rados.poolLookup('nosuch'), isCode('ENOENT'));
    await rejectsWith(t.rados.poolCreate(t.pool), 'EEXIST');
  });

  it('writeFull, read, write at an offset, append, stat, zero, truncate, remove', async () => {
    const { io } = target();
    await io.writeFull('o1', Buffer.from('hello world'));
    assert.equal((await io.read('o1', 0)).toString(), 'hello world');
    assert.equal((await io.read('o1', 5, 6)).toString(), 'world');
    assert.equal((await io.read('o1', 10, 100)).length, 0, 'a read past the end returns nothing');
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
    await io.truncate('o1', 8);
    assert.deepEqual(await io.read('o1', 0), Buffer.from('hello\0\0\0'), 'truncate up extends with zeros');
    await io.writeFull('o1', Buffer.from('ab'));
    assert.equal((await io.stat('o1')).size, 2, 'writeFull replaces the whole object');
    await io.write('o1', Buffer.from('z'), 4);
    assert.deepEqual(await io.read('o1', 0), Buffer.from('ab\0\0z'), 'a write past the end leaves a zero gap');
    await io.writeSame('o1', Buffer.from('xy'), 6, 1);
    assert.equal((await io.read('o1', 0)).toString(), 'axyxyxy');
    await assert.rejects(io.writeSame('o1', Buffer.from('xy'), 5), isCode('EINVAL'));
    await io.remove('o1');
    await rejectsWith(io.read('o1', 0), 'ENOENT');
    await rejectsWith(io.stat('o1'), 'ENOENT');
    await rejectsWith(io.remove('o1'), 'ENOENT');
    // truncate and zero on a missing object do nothing (as Ceph's: no error, no object).
    await io.truncate('o1', 3);
    await io.zero('o1', 0, 1);
    await rejectsWith(io.stat('o1'), 'ENOENT');
  });

  it('exclusive create: EEXIST on an existing object', async () => {
    const { io } = target();
    await io.create('c1', true);
    assert.equal((await io.stat('c1')).size, 0);
    await rejectsWith(io.create('c1', true), 'EEXIST');
    await io.create('c1', false);
    await io.remove('c1');
  });

  it('xattrs: set, get, get all, remove; ENODATA and ENOENT', async () => {
    const { io } = target();
    await io.writeFull('x1', Buffer.from('data'));
    await io.setxattr('x1', 'user.a', Buffer.from('1'));
    await io.setxattr('x1', 'user.b', Buffer.from('two'));
    await io.setxattr('x1', 'user.empty', Buffer.alloc(0));
    assert.deepEqual(await io.getxattr('x1', 'user.b'), Buffer.from('two'));
    assert.deepEqual(await io.getxattr('x1', 'user.empty'), Buffer.alloc(0));
    const all = await io.getxattrs('x1');
    assert.deepEqual([...all].filter(([k]) => k.startsWith('user.')), [['user.a', Buffer.from('1')], ['user.b', Buffer.from('two')], ['user.empty', Buffer.alloc(0)]]);
    await io.rmxattr('x1', 'user.a');
    await rejectsWith(io.getxattr('x1', 'user.a'), 'ENODATA');
    await rejectsWith(io.getxattr('nosuch', 'user.a'), 'ENOENT');
    await rejectsWith(io.getxattrs('nosuch'), 'ENOENT');
    await rejectsWith(io.rmxattr('nosuch', 'user.a'), 'ENOENT');
    // setxattr makes the object, as Ceph's does.
    await io.setxattr('x2', 'user.a', Buffer.from('1'));
    assert.equal((await io.stat('x2')).size, 0);
  });

  it('omap: set, get all, get by keys, keys, header, remove, clear; ENOENT', async () => {
    const { io } = target();
    await io.omapSet('m1', { k1: Buffer.from('v1'), k2: Buffer.from('v2'), k3: Buffer.from('') });
    assert.deepEqual([...(await io.omapGet('m1'))], [['k1', Buffer.from('v1')], ['k2', Buffer.from('v2')], ['k3', Buffer.alloc(0)]]);
    assert.deepEqual([...(await io.omapGet('m1', ['k2', 'zz']))], [['k2', Buffer.from('v2')]]);
    assert.deepEqual(await io.omapKeys('m1'), ['k1', 'k2', 'k3']);
    assert.deepEqual(await io.omapGetHeader('m1'), Buffer.alloc(0), 'no header yet');
    await io.omapSetHeader('m1', Buffer.from('hdr'));
    assert.equal((await io.omapGetHeader('m1')).toString(), 'hdr');
    await io.omapRm('m1', ['k1', 'k3', 'not-there']);
    assert.deepEqual([...(await io.omapGet('m1'))], [['k2', Buffer.from('v2')]]);
    await io.omapClear('m1');
    assert.deepEqual(await io.omapKeys('m1'), []);
    assert.deepEqual(await io.omapGetHeader('m1'), Buffer.alloc(0), 'omap clear drops the header too');
    const many = new Map<string, Buffer>();
    for (let i = 0; i < 1100; i++) many.set(`key${String(i).padStart(5, '0')}`, Buffer.from(String(i)));
    await io.omapSet('m2', many);
    const back = await io.omapGet('m2');
    assert.equal(back.size, 1100, 'paged past OMAP_PAGE_KEYS');
    assert.deepEqual(back.get('key01099'), Buffer.from('1099'));
    assert.equal((await io.omapKeys('m2')).length, 1100);
    await rejectsWith(io.omapGet('nosuch'), 'ENOENT');
    await rejectsWith(io.omapGet('nosuch', ['k']), 'ENOENT');
    await rejectsWith(io.omapKeys('nosuch'), 'ENOENT');
    await rejectsWith(io.omapGetHeader('nosuch'), 'ENOENT');
    await rejectsWith(io.omapRm('nosuch', ['k']), 'ENOENT');
    await rejectsWith(io.omapClear('nosuch'), 'ENOENT');
  });

  it('operate() with a raw OSDOp list resolves with the OSD\'s reply', async () => {
    const { io } = target();
    await io.writeFull('raw1', Buffer.from('raw bytes'));
    const r = await io.operate('raw1', [opStat(), opRead(4, 5)]);
    assert.equal(r.reply.result, 0);
    assert.equal(decodeStatReply(r.ops[0]!.outdata).size, 9);
    assert.equal(r.ops[1]!.outdata.toString(), 'bytes');
    assert.equal(r.osd, 0);
    await rejectsWith(io.operate('nosuch', [opStat()]), 'ENOENT');
  });

  it('namespaces keep same-named objects apart', async () => {
    const { rados, pool } = target();
    const a = rados.ioctx(pool);
    const b = rados.ioctx(pool);
    b.setNamespace('ns-b');
    assert.equal(b.namespace, 'ns-b');
    await a.writeFull('same', Buffer.from('default ns'));
    await rejectsWith(b.read('same', 0), 'ENOENT');
    await b.writeFull('same', Buffer.from('ns b'));
    assert.equal((await a.read('same', 0)).toString(), 'default ns');
    assert.equal((await b.read('same', 0)).toString(), 'ns b');
    await b.remove('same');
    assert.equal((await a.read('same', 0)).toString(), 'default ns');
  });

  it('a locator key places objects by the key, under their own names', async () => {
    const { rados, pool, io } = target();
    const k = rados.ioctx(pool);
    k.setLocatorKey('shared-key');
    await k.writeFull('lk-1', Buffer.from('one'));
    await k.writeFull('lk-2', Buffer.from('two'));
    assert.equal((await k.read('lk-2', 0)).toString(), 'two');
    // Without the key the same name hashes elsewhere (or is another object in the same PG): not found.
    await rejectsWith(io.stat('lk-1'), 'ENOENT');
    await k.remove('lk-1');
    await rejectsWith(k.stat('lk-1'), 'ENOENT');
    const listed: string[] = [];
    for await (const e of k.listObjects()) if (e.oid.startsWith('lk-')) listed.push(`${e.oid}:${e.locator}`);
    assert.deepEqual(listed, ['lk-2:shared-key']);
    await k.remove('lk-2');
  });

  it('listObjects: one namespace or all of them, paged', async () => {
    const { rados, pool } = target();
    const l = rados.ioctx(pool);
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
    const { rados, io } = target();
    const names = Array.from({ length: 64 }, (_, i) => `par${i}`);
    await Promise.all(names.map((n, i) => io.writeFull(n, Buffer.from(`v${i}`))));
    const got = await Promise.all(names.map((n) => io.read(n, 0)));
    assert.deepEqual(got.map((b) => b.toString()), names.map((_, i) => `v${i}`));
    assert.equal(rados.objecter.opsInFlight, 0);
  });

  it('pool create and delete through the monitors; ops on a deleted pool fail with ENOENT', async () => {
    const { rados } = target();
    const id = await rados.poolCreate('lr-tmp', 8);
    assert.equal(rados.poolLookup('lr-tmp'), id);
    assert.ok(rados.poolList().includes('lr-tmp'));
    const gone = rados.ioctx('lr-tmp');
    await rados.poolDelete('lr-tmp');
    assert.ok(!rados.poolList().includes('lr-tmp'));
    assert.throws(() => rados.ioctx('lr-tmp'), isCode('ENOENT'));
    await rejectsWith(rados.poolDelete('lr-tmp'), 'ENOENT');
    await rejectsWith(gone.read('x', 0), 'ENOENT');
    const it = gone.listObjects();
    await rejectsWith(it.next(), 'ENOENT');
    await rejectsWith(rados.command({ prefix: 'osd pool get', pool: 'lr-tmp', var: 'size' }), 'ENOENT');
  });

  it('local errors: EINVAL for an empty operation, E2BIG past the byte bound, ESHUTDOWN after shutdown', async () => {
    const t = target();
    await rejectsWith(t.io.operate('x', new WriteOp()), 'EINVAL');
    assert.throws(() => new WriteOp().failOk(), isCode('EINVAL'));
    assert.throws(() => new ReadOp().stat().get(), isCode('EINVAL'));
    const small = await Rados.connect({ conf: t.conf, objecter: { opBytesInFlightMax: 1024 } });
    let closed = false;
    try {
      const io = small.ioctx(t.pool);
      await rejectsWith(io.writeFull('big', Buffer.alloc(2048)), 'E2BIG');
      await io.writeFull('fits', Buffer.alloc(1024));
      await small.shutdown();
      closed = true;
      await rejectsWith(io.read('fits', 0), 'ESHUTDOWN');
      await rejectsWith(small.clusterStats(), 'ESHUTDOWN');
    } finally {
      if (!closed) await small.shutdown();
    }
  });

  it('a per-op timeout gives ETIMEDOUT while the OSD is frozen', async () => {
    const t = target();
    t.signalOsd(0, 'SIGSTOP');
    try {
      await rejectsWith(t.io.read('warmup', 0, 0, { timeoutMs: 800 }), 'ETIMEDOUT');
    } finally {
      t.signalOsd(0, 'SIGCONT');
    }
    assert.equal((await t.io.read('warmup', 0)).toString(), 'x');
  });

  it('an op in flight when its OSD is marked down is resent once the map shows it up again', async () => {
    const { rados, io, signalOsd, ceph } = target();
    await io.writeFull('before-down', Buffer.from('kept'));
    const epoch0 = rados.osdmap.epoch;
    const resends0 = rados.objecter.resends;
    signalOsd(0, 'SIGSTOP');
    let pending: Promise<void>;
    try {
      pending = io.writeFull('during-down', Buffer.from('resent'), { timeoutMs: 120000 });
      await sleep(300);
      const down = ceph(['osd', 'down', '0']);
      assert.equal(down.status, 0, down.stderr);
      await rados.waitForMap((m) => !m.isUp(0), 30000, 'osd.0 down');
    } finally {
      signalOsd(0, 'SIGCONT');
    }
    // The OSD learns it was marked down (wrongly), rebinds its cluster side and boots again.
    await pending;
    assert.ok(rados.osdmap.epoch > epoch0 + 1);
    assert.ok(rados.objecter.resends > resends0, 'the op was sent again');
    assert.equal((await io.read('during-down', 0)).toString(), 'resent');
    assert.equal((await io.read('before-down', 0)).toString(), 'kept');
  });
}

/** Compound operations: WriteOp / ReadOp builders, guards, failOk, versions, cluster stats. */
export function operateTests(target: () => LibradosTarget): void {
  it('a WriteOp applies data, xattrs and omap at once; a ReadOp returns each op\'s value', async () => {
    const { io } = target();
    const w = new WriteOp()
      .create(true)
      .writeFull(Buffer.from('hello world'))
      .setxattr('user.a', Buffer.from('A'))
      .omapSetHeader(Buffer.from('hdr'))
      .omapSet({ k1: Buffer.from('v1'), k2: Buffer.from('v2') });
    const res = await io.operate('w1', w);
    assert.ok(res.version > 0);
    assert.equal(io.getLastVersion(), res.version);
    assert.deepEqual(w.rvals, [0, 0, 0, 0, 0]);

    const r = new ReadOp();
    const data = r.read(6, 5);
    const st = r.stat();
    const xa = r.getxattr('user.a');
    const xs = r.getxattrs();
    const hdr = r.omapGetHeader();
    const vals = r.omapGetVals('', 10);
    const keys = r.omapGetKeys('k1', 10);
    const byKeys = r.omapGetValsByKeys(['k2', 'nope']);
    const rr = await io.operate('w1', r);
    assert.equal(rr.version, res.version, 'a read sees the version of the last write');
    assert.equal(data.get().toString(), 'world');
    assert.equal(st.get().size, 11);
    assert.equal(xa.get().toString(), 'A');
    assert.deepEqual([...xs.get().keys()].filter((k) => k.startsWith('user.')), ['user.a']);
    assert.equal(hdr.get().toString(), 'hdr');
    assert.deepEqual([...vals.get().entries.keys()], ['k1', 'k2']);
    assert.equal(vals.get().more, false);
    assert.deepEqual(keys.get().entries, ['k2']);
    assert.deepEqual([...byKeys.get()], [['k2', Buffer.from('v2')]]);
    assert.deepEqual(r.rvals, [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(data.done && byKeys.done);
  });

  it('omap pages: start after, max, filter prefix and "more"', async () => {
    const { io } = target();
    await io.omapSet('pg1', { a1: Buffer.from('1'), a2: Buffer.from('2'), b1: Buffer.from('3'), b2: Buffer.from('4'), c1: Buffer.from('5') });
    const r = new ReadOp();
    const first = r.omapGetVals('', 2);
    const next = r.omapGetVals('a2', 2);
    const bOnly = r.omapGetVals('', 10, 'b');
    const bAfter = r.omapGetVals('b1', 10, 'b');
    const keys = r.omapGetKeys('', 4);
    const none = r.omapGetKeys('c1', 4);
    await io.operate('pg1', r);
    assert.deepEqual([...first.get().entries.keys()], ['a1', 'a2']);
    assert.equal(first.get().more, true);
    assert.deepEqual([...next.get().entries.keys()], ['b1', 'b2']);
    assert.equal(next.get().more, true);
    assert.deepEqual([...bOnly.get().entries], [['b1', Buffer.from('3')], ['b2', Buffer.from('4')]]);
    assert.equal(bOnly.get().more, false);
    assert.deepEqual([...bAfter.get().entries.keys()], ['b2']);
    assert.deepEqual(keys.get().entries, ['a1', 'a2', 'b1', 'b2']);
    assert.equal(keys.get().more, true);
    assert.deepEqual(none.get(), { entries: [], more: false });
  });

  it('all or nothing: a failing op leaves the object as it was', async () => {
    const { io } = target();
    await io.writeFull('w2', Buffer.from('before'));
    const w = new WriteOp().writeFull(Buffer.from('after')).setxattr('user.x', Buffer.from('1')).create(true);
    await rejectsWith(io.operate('w2', w), 'EEXIST');
    assert.equal((await io.read('w2', 0)).toString(), 'before');
    await rejectsWith(io.getxattr('w2', 'user.x'), 'ENODATA');
    // A guard failing after a create: no object is left.
    await rejectsWith(io.operate('w2-new', new WriteOp().create(true).omapSet({ k: Buffer.from('v') }).assertVersion(12345)), 'EOVERFLOW');
    await rejectsWith(io.stat('w2-new'), 'ENOENT');
  });

  it('writeSame, append, zero, truncate, omap remove and clear, rmxattr, remove in WriteOps', async () => {
    const { io } = target();
    await io.operate('w3', new WriteOp().writeSame(Buffer.from('ab'), 8).append(Buffer.from('!')));
    assert.equal((await io.read('w3', 0)).toString(), 'abababab!');
    await io.operate('w3', new WriteOp().zero(0, 2).truncate(4));
    assert.deepEqual(await io.read('w3', 0), Buffer.from('\0\0ab'));
    await io.operate('w3', new WriteOp().omapSet({ a: Buffer.from('1'), b: Buffer.from('2'), c: Buffer.from('3') }).setxattr('user.q', Buffer.from('q')));
    await io.operate('w3', new WriteOp().omapRmKeys(['a']).rmxattr('user.q'));
    assert.deepEqual(await io.omapKeys('w3'), ['b', 'c']);
    await io.operate('w3', new WriteOp().omapClear());
    assert.deepEqual(await io.omapKeys('w3'), []);
    await io.operate('w3', new WriteOp().writeFull(Buffer.from('abc')).write(Buffer.from('xyz'), 100));
    const sr = new ReadOp();
    const sparse = sr.sparseRead(0, 200);
    await io.operate('w3', sr);
    // The store decides the extents (memstore: one); their bytes come back to back.
    const { extents, data } = sparse.get();
    assert.equal(data.length, extents.reduce((n, e) => n + e.length, 0));
    const at = (off: number): number => {
      let skipped = 0;
      for (const e of extents) {
        if (off >= e.offset && off < e.offset + e.length) return skipped + off - e.offset;
        skipped += e.length;
      }
      return -1;
    };
    assert.equal(data.subarray(at(100), at(100) + 3).toString(), 'xyz');
    assert.equal(data.subarray(at(0), at(0) + 3).toString(), 'abc');
    await io.operate('w3', new WriteOp().remove());
    await rejectsWith(io.stat('w3'), 'ENOENT');
    await rejectsWith(io.operate('w3', new WriteOp().remove()), 'ENOENT');
    await rejectsWith(io.operate('w3', new WriteOp().rmxattr('user.q')), 'ENOENT');
  });

  it('guards: assertExists, assertVersion, cmpxattr, omapCmp, cmpext', async () => {
    const { io } = target();
    await rejectsWith(io.operate('g1', new WriteOp().assertExists().writeFull(Buffer.from('x'))), 'ENOENT');
    await rejectsWith(io.stat('g1'), 'ENOENT');
    const v1 = (await io.operate('g1', new WriteOp().writeFull(Buffer.from('0123456789')).setxattr('user.n', Buffer.from('5')))).version;
    await io.operate('g1', new WriteOp().assertExists().assertVersion(v1).append(Buffer.from('A')));
    const stale = await rejectsWith(io.operate('g1', new WriteOp().assertVersion(v1).append(Buffer.from('B'))), 'ERANGE');
    assert.match(stale.message, /g1/);
    await rejectsWith(io.operate('g1', new WriteOp().assertVersion(v1 + 100).append(Buffer.from('B'))), 'EOVERFLOW');
    await io.operate('g1', new WriteOp().cmpxattr('user.n', 'eq', Buffer.from('5')).setxattr('user.ok', Buffer.from('1')));
    // As Ceph: the given value on the left, the stored one on the right ('7' > '5').
    await io.operate('g1', new WriteOp().cmpxattr('user.n', 'gt', Buffer.from('7')).setxattr('user.ok1', Buffer.from('1')));
    await rejectsWith(io.operate('g1', new WriteOp().cmpxattr('user.n', 'gt', Buffer.from('3')).setxattr('user.no', Buffer.from('1'))), 'ECANCELED');
    await rejectsWith(io.operate('g1', new WriteOp().cmpxattr('user.n', 'ne', Buffer.from('5')).setxattr('user.no', Buffer.from('1'))), 'ECANCELED');
    await io.operate('g1', new WriteOp().cmpxattr('user.n', 'lt', Buffer.from('4')).cmpxattr('user.n', 'gte', Buffer.from('5')).cmpxattr('user.n', 'lte', Buffer.from('5')));
    await rejectsWith(io.getxattr('g1', 'user.no'), 'ENODATA');
    await io.setxattr('g1', 'user.num', Buffer.from('42'));
    await io.operate('g1', new WriteOp().cmpxattr('user.num', 'lte', 40).setxattr('user.ok2', Buffer.from('1')));
    await rejectsWith(io.operate('g1', new WriteOp().cmpxattr('user.num', 'gte', 40).setxattr('user.no', Buffer.from('1'))), 'ECANCELED');
    // A missing xattr compares as empty (as a u64: 0).
    await io.operate('g1', new WriteOp().cmpxattr('user.missing', 'eq', Buffer.alloc(0)));
    await rejectsWith(io.operate('g1', new WriteOp().cmpxattr('user.missing', 'eq', Buffer.from('x'))), 'ECANCELED');
    await io.operate('g1', new WriteOp().cmpxattr('user.missing', 'eq', 0));
    await rejectsWith(io.operate('nosuch', new WriteOp().cmpxattr('user.n', 'eq', Buffer.from('5'))), 'ENOENT');
    await io.omapSet('g1', { key: Buffer.from('val') });
    await io.operate('g1', new WriteOp().omapCmp(new Map([['key', { value: Buffer.from('val'), op: 'eq' }]])).omapSet({ k2: Buffer.from('x') }));
    await rejectsWith(io.operate('g1', new WriteOp().omapCmp(new Map([['key', { value: Buffer.from('zzz'), op: 'eq' }]])).omapSet({ k3: Buffer.from('x') })), 'ECANCELED');
    // omapCmp compares the stored value on the left ('val' < 'zzz'), unlike cmpxattr.
    await io.operate('g1', new WriteOp().omapCmp(new Map([['key', { value: Buffer.from('zzz'), op: 'lt' }], ['k2', { value: Buffer.from('x'), op: 'eq' }]])));
    await rejectsWith(io.operate('g1', new WriteOp().omapCmp(new Map([['key', { value: Buffer.from('zzz'), op: 'gt' }]]))), 'ECANCELED');
    // A missing key compares as an empty value.
    await rejectsWith(io.operate('g1', new WriteOp().omapCmp(new Map([['no-key', { value: Buffer.from('v'), op: 'eq' }]]))), 'ECANCELED');
    assert.deepEqual(await io.omapKeys('g1'), ['k2', 'key']);
    const r = new ReadOp();
    const eq = r.cmpext(0, Buffer.from('0123'));
    const oc = r.omapCmp(new Map([['key', { value: Buffer.from('val'), op: 'eq' }]]));
    const ex = r.assertExists();
    const xc = r.cmpxattr('user.n', 'eq', Buffer.from('5'));
    const data = r.read(0, 4);
    await io.operate('g1', r);
    // A cmpxattr that holds returns 1 (Ceph's do_xattr_cmp_*), the other guards 0. (Ceph's omap_cmp
    // leaves the op's rval as the op before it set it: after a cmpxattr it reads 1, so it comes first.)
    assert.deepEqual([eq.rval, oc.rval, ex.rval, xc.rval], [0, 0, 0, 1]);
    assert.equal(data.get().toString(), '0123');
    const r2 = new ReadOp();
    r2.cmpext(0, Buffer.from('01x3'));
    const e = await rejectsWith(io.operate('g1', r2), 'ECANCELED');
    assert.ok(e instanceof CmpExtMismatch);
    assert.equal(e.offset, 2);
    const w = new WriteOp().cmpext(5, Buffer.from('5678')).writeFull(Buffer.from('replaced'));
    await io.operate('g1', w);
    const e2 = await rejectsWith(io.operate('g1', new WriteOp().cmpext(0, Buffer.from('replX')).append(Buffer.from('!'))), 'ECANCELED');
    assert.ok(e2 instanceof CmpExtMismatch && e2.offset === 4);
    const r3 = new ReadOp();
    r3.assertVersion(1);
    await rejectsWith(io.operate('g1', r3), 'ERANGE');
    const r4 = new ReadOp();
    r4.assertExists();
    await rejectsWith(io.operate('nosuch', r4), 'ENOENT');
    const r5 = new ReadOp();
    r5.cmpxattr('user.n', 'eq', Buffer.from('6'));
    await rejectsWith(io.operate('g1', r5), 'ECANCELED');
    const r6 = new ReadOp();
    r6.omapCmp(new Map([['key', { value: Buffer.from('nope'), op: 'eq' }]]));
    await rejectsWith(io.operate('g1', r6), 'ECANCELED');
    assert.equal((await io.read('g1', 0)).toString(), 'replaced');
  });

  it('failOk lets one op fail alone, with its rval; an op failing without it fails the whole ReadOp', async () => {
    const { io } = target();
    await io.writeFull('f1', Buffer.from('data'));
    const r = new ReadOp();
    const missing = r.getxattr('user.none');
    r.failOk();
    const data = r.read(0, 0);
    await io.operate('f1', r);
    assert.equal(missing.rval, -61, 'ENODATA');
    assert.equal(missing.value, undefined);
    assert.throws(() => missing.get(), isCode('ENODATA'));
    assert.equal(data.get().toString(), 'data');
    const r2 = new ReadOp();
    r2.getxattr('user.none');
    r2.read(0, 0);
    await rejectsWith(io.operate('f1', r2), 'ENODATA');
    await rejectsWith(io.operate('nosuch', new ReadOp()), 'EINVAL');
    const r3 = new ReadOp();
    const st = r3.stat();
    await rejectsWith(io.operate('nosuch', r3), 'ENOENT');
    assert.equal(st.value, undefined);
    // failOk on a WriteOp guard: the writes after it still apply.
    const w = new WriteOp().cmpxattr('user.none', 'eq', Buffer.from('x')).failOk().append(Buffer.from('!'));
    await io.operate('f1', w);
    assert.equal(w.rvals[0], -125, 'ECANCELED');
    assert.equal((await io.read('f1', 0)).toString(), 'data!');
  });

  it('versions grow with each write and show in getLastVersion', async () => {
    const { io } = target();
    await io.writeFull('v1', Buffer.from('a'));
    const a = io.getLastVersion();
    await io.append('v1', Buffer.from('b'));
    const b = io.getLastVersion();
    assert.ok(b > a, `${b} > ${a}`);
    await io.read('v1', 0);
    assert.equal(io.getLastVersion(), b);
  });

  it('clusterStats: the monitors\' totals through MStatfs, as Ceph\'s rados df reads them', async () => {
    const { rados, conf } = target();
    // Ceph's own rados asks the same question (MStatfs) for `rados df`'s totals (KiB there too);
    // usage moves while OSDs report, so ask until both agree.
    const deadline = Date.now() + 30000;
    for (;;) {
      const s = await rados.clusterStats();
      const oracle = cephRados(conf, ['df', '--format', 'json']);
      assert.equal(oracle.status, 0, oracle.stderr);
      const want = JSON.parse(oracle.stdout.toString()) as { total_objects: number; total_used: number; total_avail: number; total_space: number };
      const same = { kb: want.total_space, kbUsed: want.total_used, kbAvail: want.total_avail, numObjects: want.total_objects };
      try {
        assert.deepEqual(s, same);
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await sleep(500);
      }
    }
  });

  it('poolStats: the pool\'s usage as Ceph\'s rados df reads it', async () => {
    const { rados, conf, pool } = target();
    const deadline = Date.now() + 30000;
    for (;;) {
      const got = (await rados.poolStats([pool, 'nosuch'])).get(pool);
      assert.ok(!(await rados.poolStats(['nosuch'])).has('nosuch'), 'no stats for a pool that does not exist');
      const oracle = cephRados(conf, ['df', '--format', 'json']);
      assert.equal(oracle.status, 0, oracle.stderr);
      const want = (JSON.parse(oracle.stdout.toString()) as { pools: Array<{ name: string; num_objects: number; size_bytes: number; num_object_copies: number; write_ops: number }> }).pools.find((p) => p.name === pool);
      try {
        assert.ok(got && want, 'both have the pool');
        assert.deepEqual(
          { objects: got.numObjects, bytes: got.numBytes, copies: got.numObjectCopies, wr: got.numWr },
          { objects: want.num_objects, bytes: want.size_bytes, copies: want.num_object_copies, wr: want.write_ops },
        );
        assert.ok(got.numObjects > 0);
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await sleep(500);
      }
    }
  });
}
