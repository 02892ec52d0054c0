// Proves monitors can be added and removed on a running cluster the way Ceph operators do it: `ceph mon
// add d IP:PORT`, then `ceph mon getmap -o F`, `ceph-mon -i d --mkfs --monmap F` and starting it: the new
// monitor syncs the store and joins the quorum; `ceph mon remove` takes one out again and the rest keep a
// quorum. Real tsceph ceph-mon processes on loopback, driven through tsceph's ceph CLI.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { VstartCluster, binPath } from '../support/vstart-cluster.js';

const PORT = 17480;

describe('monitor cluster: mon add / mon remove', function () {
  this.timeout(240000);
  let c: VstartCluster;
  before(() => { c = VstartCluster.start(3, PORT, 'tsceph-monadd-'); });
  after(() => c?.destroy());

  it('adds a fourth monitor that syncs and joins, then removes one', async () => {
    await c.quorumOf(['a', 'b', 'c']);
    assert.equal(c.ceph(['osd', 'pool', 'create', 'before-add', '8']).status, 0);

    // Ceph's own parser refuses a v2: prefix in a CephIPAddr ("not valid IPv6"); operators give IP:PORT.
    const add = c.ceph(['mon', 'add', 'd', `127.0.0.1:${PORT + 3}`]);
    assert.equal(add.status, 0, add.stderr);
    const mm = JSON.parse(c.ceph(['mon', 'dump', '-f', 'json']).stdout) as { mons: Array<{ name: string }> };
    assert.deepEqual(mm.mons.map((m) => m.name).sort(), ['a', 'b', 'c', 'd']);

    const mapFile = join(c.dir, 'monmap.new');
    assert.equal(c.ceph(['mon', 'getmap', '-o', mapFile]).status, 0);
    const mk = spawnSync(process.execPath, [binPath('ceph-mon'), '-c', c.conf, '-i', 'd', '--mkfs', '--monmap', mapFile], { encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stderr);
    c.startMon('d');

    await c.quorumOf(['a', 'b', 'c', 'd']);
    const fromD = c.ceph(['osd', 'pool', 'ls'], { mon: 'd' });
    assert.equal(fromD.status, 0, fromD.stderr);
    assert.ok(fromD.stdout.split('\n').includes('before-add'), 'the new monitor synced the store');

    const rm = c.ceph(['mon', 'remove', 'b']);
    assert.equal(rm.status, 0, rm.stderr);
    await c.quorumOf(['a', 'c', 'd']);
    assert.equal(c.ceph(['osd', 'pool', 'create', 'after-remove', '8']).status, 0);
  });
});
