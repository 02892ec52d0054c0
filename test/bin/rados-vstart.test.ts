// Proves bin/rados and librados on tsceph's own daemons (vstart: one tsceph monitor and one tsceph OSD,
// ports 18400-18499), with Debian's rados as the oracle for the texts where both can run (listing order
// included: both list the pool in hobject order). RADOS_VSTART_KEEP=1 keeps the cluster directory.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rados, ReadOp, WriteOp } from '../../librados/index.js';
import { ok, radosCli } from '../support/rados-cli.js';
import { binPath } from '../support/vstart-cluster.js';

const PORT = 18400;
const POOL = 'tsceph';

describe('rados and librados on a tsceph vstart cluster', function () {
  this.timeout(240000);
  let dir = '';
  let conf = '';
  const { ours, theirs, same } = radosCli(() => conf);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rados-vstart-'));
    conf = join(dir, 'ceph.conf');
    const r = spawnSync(process.execPath, [binPath('vstart'), '--osds', '1', '--osd-size', '256M', '--dir', dir, '--port', String(PORT), '--new'], { encoding: 'utf8', timeout: 180000 });
    assert.equal(r.status, 0, `vstart: ${r.stdout}\n${r.stderr}`);
  });

  after(() => {
    if (conf) spawnSync(process.execPath, [binPath('vstart'), '--stop', '--dir', dir], { encoding: 'utf8', timeout: 60000 });
    if (dir && !process.env.RADOS_VSTART_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it('objects, xattrs and omap through our rados; Ceph\'s rados reads them the same', async () => {
    ok(await ours(['-p', POOL, 'put', 'o1', '-'], Buffer.from('hello\n')), 'put');
    ok(await ours(['-p', POOL, 'append', 'o1', '-'], Buffer.from('world\n')), 'append');
    await same(['-p', POOL, 'get', 'o1', '-']);
    await same(['-p', POOL, 'stat', 'o1']);
    await same(['-p', POOL, 'stat', 'nosuch']);
    ok(await ours(['-p', POOL, 'setxattr', 'o1', 'k', 'v']), 'setxattr');
    await same(['-p', POOL, 'getxattr', 'o1', 'k']);
    await same(['-p', POOL, 'getxattr', 'o1', 'none']);
    ok(await ours(['-p', POOL, 'setomapval', 'o1', 'key', 'val']), 'setomapval');
    await same(['-p', POOL, 'listomapvals', 'o1']);
    await same(['-p', POOL, 'getomapval', 'o1', 'none']);
    ok(await ours(['-p', POOL, 'truncate', 'o1', '3']), 'truncate');
    await same(['-p', POOL, 'get', 'o1', '-']);
    ok(await ours(['-p', POOL, 'rm', 'o1']), 'rm');
    await same(['-p', POOL, 'rm', 'o1']);
    await same(['lspools']);
  });

  it('librados compound operations and guards', async () => {
    const rados = await Rados.connect({ conf });
    try {
      const io = rados.ioctx(POOL);
      const { version } = await io.operate('c1', new WriteOp().create(true).writeFull(Buffer.from('abc')).setxattr('x', Buffer.from('1')).omapSet({ a: Buffer.from('A') }));
      const r = new ReadOp();
      const data = r.read(0, 0);
      const keys = r.omapGetKeys();
      const none = r.getxattr('none');
      r.failOk();
      await io.operate('c1', r);
      assert.equal(data.get().toString(), 'abc');
      assert.deepEqual(keys.get().entries, ['a']);
      assert.equal(none.rval, -61);
      await io.operate('c1', new WriteOp().assertVersion(version).append(Buffer.from('d')));
      await assert.rejects(io.operate('c1', new WriteOp().assertVersion(version).append(Buffer.from('e'))), (e: unknown) => (e as { code?: string }).code === 'ERANGE');
      await assert.rejects(io.operate('c1', new WriteOp().create(true)), (e: unknown) => (e as { code?: string }).code === 'EEXIST');
      assert.equal((await io.read('c1', 0)).toString(), 'abcd');
    } finally {
      await rados.shutdown();
    }
  });

  it('bench write, Ceph\'s seq reads it back and checks it, cleanup', async () => {
    ok(await ours(['-p', POOL, 'bench', '1', 'write', '-b', '4096', '-t', '4', '--no-cleanup']), 'bench write');
    const seq = theirs(['-p', POOL, 'bench', '1', 'seq', '-t', '4']);
    assert.equal(seq.status, 0, seq.stderr);
    assert.doesNotMatch(seq.stderr, /is not correct/);
    ok(await ours(['-p', POOL, 'bench', '1', 'rand', '-t', '4']), 'bench rand');
    assert.match(ok(await ours(['-p', POOL, 'cleanup']), 'cleanup').stdout.toString(), /^Removed [1-9]\d* objects\n$/);
  });

  it('ls and df', async () => {
    ok(await ours(['-p', POOL, 'put', 'listed', '-'], Buffer.from('x')), 'put');
    await same(['-p', POOL, 'ls']);
    await same(['df']);
  });
});
