// Proves librados' compound operations against a real Ceph 16 ceph-mon + ceph-osd (memstore, ports
// 18400-18439): a WriteOp applies all its ops or none, a ReadOp fills each op's own value and rval,
// guards (assertExists, assertVersion, cmpext, cmpxattr, omapCmp) fail with Ceph's errnos, failOk lets
// one op fail alone, object versions follow writes, and clusterStats answers through MStatfs.
// LIBRADOS_KEEP=1 keeps the cluster's directory.
import { strict as assert } from 'node:assert';
import { CephError, CmpExtMismatch, Rados, ReadOp, WriteOp, type IoCtx } from '../../librados/index.js';
import { startRealCephCluster, type RealCephCluster } from '../support/real-ceph-cluster.js';

const POOL = 'opx';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<CephError> {
  let got: CephError | null = null;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CephError, `expected a CephError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    got = e;
    return true;
  });
  return got!;
}

describe('librados operate() with WriteOp / ReadOp against a real ceph-osd', function () {
  this.timeout(180000);
  let c: RealCephCluster | null = null;
  let rados: Rados | null = null;
  let io: IoCtx;

  before(async () => {
    c = await startRealCephCluster({
      name: 'librados-operate', monPort: 18400, osdPortMin: 18410, osdPortMax: 18439, osds: 1, objectstore: 'memstore',
      options: { osd_pool_default_size: '1', osd_pool_default_min_size: '1', mon_warn_on_pool_no_redundancy: 'false' },
    });
    rados = await Rados.connect({ conf: c.conf });
    await rados.poolCreate(POOL, 8);
    io = rados.ioctx(POOL);
    await io.writeFull('warmup', Buffer.from('x'), { timeoutMs: 90000 });
  });

  after(async () => {
    await rados?.shutdown();
    await c?.stop(process.env.LIBRADOS_KEEP !== undefined);
  });

  it('a WriteOp applies data, xattrs and omap at once; a ReadOp returns each op\'s value', async () => {
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
  });

  it('all or nothing: a failing op leaves the object as it was', async () => {
    await io.writeFull('w2', Buffer.from('before'));
    const w = new WriteOp().writeFull(Buffer.from('after')).setxattr('user.x', Buffer.from('1')).create(true);
    await rejectsWith(io.operate('w2', w), 'EEXIST');
    assert.equal((await io.read('w2', 0)).toString(), 'before');
    await rejectsWith(io.getxattr('w2', 'user.x'), 'ENODATA');
  });

  it('writeSame, append, zero, truncate, omap remove and clear, rmxattr, remove in WriteOps', async () => {
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
  });

  it('guards: assertExists, assertVersion, cmpxattr, omapCmp, cmpext', async () => {
    await rejectsWith(io.operate('g1', new WriteOp().assertExists().writeFull(Buffer.from('x'))), 'ENOENT');
    await rejectsWith(io.stat('g1'), 'ENOENT');
    const v1 = (await io.operate('g1', new WriteOp().writeFull(Buffer.from('0123456789')).setxattr('user.n', Buffer.from('5')))).version;
    await io.operate('g1', new WriteOp().assertVersion(v1).append(Buffer.from('A')));
    const stale = await rejectsWith(io.operate('g1', new WriteOp().assertVersion(v1).append(Buffer.from('B'))), 'ERANGE');
    assert.match(stale.message, /g1/);
    await rejectsWith(io.operate('g1', new WriteOp().assertVersion(v1 + 100).append(Buffer.from('B'))), 'EOVERFLOW');
    await io.operate('g1', new WriteOp().cmpxattr('user.n', 'eq', Buffer.from('5')).setxattr('user.ok', Buffer.from('1')));
    // As Ceph: the given value on the left, the stored one on the right ('7' > '5').
    await io.operate('g1', new WriteOp().cmpxattr('user.n', 'gt', Buffer.from('7')).setxattr('user.ok1', Buffer.from('1')));
    await rejectsWith(io.operate('g1', new WriteOp().cmpxattr('user.n', 'gt', Buffer.from('3')).setxattr('user.no', Buffer.from('1'))), 'ECANCELED');
    await rejectsWith(io.getxattr('g1', 'user.no'), 'ENODATA');
    await io.setxattr('g1', 'user.num', Buffer.from('42'));
    await io.operate('g1', new WriteOp().cmpxattr('user.num', 'lte', 40).setxattr('user.ok2', Buffer.from('1')));
    await rejectsWith(io.operate('g1', new WriteOp().cmpxattr('user.num', 'gte', 40).setxattr('user.no', Buffer.from('1'))), 'ECANCELED');
    await io.omapSet('g1', { key: Buffer.from('val') });
    await io.operate('g1', new WriteOp().omapCmp(new Map([['key', { value: Buffer.from('val'), op: 'eq' }]])).omapSet({ k2: Buffer.from('x') }));
    await rejectsWith(io.operate('g1', new WriteOp().omapCmp(new Map([['key', { value: Buffer.from('zzz'), op: 'eq' }]])).omapSet({ k3: Buffer.from('x') })), 'ECANCELED');
    assert.deepEqual(await io.omapKeys('g1'), ['k2', 'key']);
    const r = new ReadOp();
    const eq = r.cmpext(0, Buffer.from('0123'));
    await io.operate('g1', r);
    assert.equal(eq.rval, 0);
    const r2 = new ReadOp();
    r2.cmpext(0, Buffer.from('01x3'));
    const e = await rejectsWith(io.operate('g1', r2), 'ECANCELED');
    assert.ok(e instanceof CmpExtMismatch);
    assert.equal(e.offset, 2);
  });

  it('failOk lets one op fail alone, with its rval; an op failing without it fails the whole ReadOp', async () => {
    await io.writeFull('f1', Buffer.from('data'));
    const r = new ReadOp();
    const missing = r.getxattr('user.none');
    r.failOk();
    const data = r.read(0, 0);
    await io.operate('f1', r);
    assert.equal(missing.rval, -61, 'ENODATA');
    assert.equal(missing.value, undefined);
    assert.throws(() => missing.get(), (x: unknown) => x instanceof CephError && x.code === 'ENODATA');
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
  });

  it('versions grow with each write and show in getLastVersion', async () => {
    await io.writeFull('v1', Buffer.from('a'));
    const a = io.getLastVersion();
    await io.append('v1', Buffer.from('b'));
    const b = io.getLastVersion();
    assert.ok(b > a, `${b} > ${a}`);
    await io.read('v1', 0);
    assert.equal(io.getLastVersion(), b);
  });

  it('clusterStats: the monitors\' totals through MStatfs', async () => {
    const s = await rados!.clusterStats();
    // Ceph's own rados asks the same question (MStatfs) for `rados df`'s totals (KiB there too).
    const oracle = c!.rados(['df', '--format', 'json']);
    assert.equal(oracle.status, 0, oracle.stderr);
    const want = JSON.parse(oracle.stdout.toString()) as { total_objects: number; total_used: number; total_avail: number; total_space: number };
    assert.deepEqual(s, { kb: want.total_space, kbUsed: want.total_used, kbAvail: want.total_avail, numObjects: want.total_objects });
  });
});
