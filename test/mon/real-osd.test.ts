// Proves a real Ceph 16 OSD daemon works with tsceph monitors: Debian's ceph-osd (memstore) authenticates
// over msgr2, sends its cluster log and crush location commands, follows the osdmap from epoch 1
// (incrementals, the first carrying the map), boots, and our monitor marks it up and in; it creates a
// new pool's PGs when told, they go active, and Ceph's rados CLI puts and gets an object through them;
// it reports them created (MOSDPGCreated) and the pool's creating flag clears; stopped, it asks to be
// marked down and is.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VstartCluster, until } from '../support/vstart-cluster.js';
import { sleep } from '../support/wait.js';

describe('a real ceph-osd against tsceph monitors', function () {
  this.timeout(120000);
  let c: VstartCluster;
  let osd: ChildProcess | null = null;

  before(() => {
    c = VstartCluster.start(1, 17860, 'tsceph-realosd-');
    appendFileSync(c.conf, [
      '', '[osd]', `osd_data = ${c.dir}/dev/osd.$id`, 'osd_objectstore = memstore',
      'ms_bind_port_min = 17870', 'ms_bind_port_max = 17889', '',
    ].join('\n'));
  });
  after(async () => {
    if (osd && osd.exitCode === null) {
      osd.kill('SIGKILL');
      await new Promise((r) => osd!.once('exit', r));
    }
    c?.destroy();
  });

  it('boots, is marked up and in, and is marked down when it stops', async () => {
    const created = c.ceph(['osd', 'create']);
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stdout.trim(), '0');
    mkdirSync(join(c.dir, 'dev', 'osd.0'), { recursive: true });
    const mk = spawnSync('/usr/bin/ceph-osd', ['-c', c.conf, '-i', '0', '--mkfs'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(mk.status, 0, mk.stderr);
    osd = spawn('/usr/bin/ceph-osd', ['-c', c.conf, '-i', '0', '-f'], { stdio: 'ignore' });

    const tree = await until('osd.0 up', () => {
      const r = c.ceph(['osd', 'tree']);
      return r.status === 0 && /osd\.0\s+up/.test(r.stdout) ? r.stdout : null;
    }, 60000);
    assert.match(tree, /host /, 'the OSD placed itself under its host (osd crush create-or-move on start)');
    const stat = JSON.parse(c.ceph(['osd', 'stat', '-f', 'json']).stdout) as { num_up_osds: number; num_in_osds: number };
    assert.deepEqual([stat.num_up_osds, stat.num_in_osds], [1, 1]);

    // SIGTERM: an active OSD sends MOSDMarkMeDown before it exits. It turns active only once it has the
    // map that shows it up, a moment after the monitor marks it so; one still booting just exits.
    await sleep(3000);
    const exited = new Promise<number>((r) => osd!.once('exit', () => r(Date.now())));
    const t0 = Date.now();
    osd.kill('SIGTERM');
    await until('osd.0 down', () => {
      const r = c.ceph(['osd', 'tree']);
      return r.status === 0 && /osd\.0\s+down/.test(r.stdout);
    }, 60000);
    // The monitor acks the mark-me-down, so the OSD does not sit out osd_mon_shutdown_timeout (5 s).
    const exitMs = (await exited) - t0;
    assert.ok(exitMs < 4500, `the OSD exited ${exitMs} ms after SIGTERM`);
  });

  it('creates a new pool\'s PGs on the OSD, which go active and serve Ceph\'s rados CLI', async () => {
    osd = spawn('/usr/bin/ceph-osd', ['-c', c.conf, '-i', '0', '-f'], { stdio: 'ignore' });
    await until('osd.0 up again', () => {
      const r = c.ceph(['osd', 'tree']);
      return r.status === 0 && /osd\.0\s+up/.test(r.stdout);
    }, 60000);
    // A pool on it: the monitor tells the OSD to create the PGs (MOSDPGCreate2) and records the up_thru
    // it asks for (MOSDAlive), so they go active and Ceph's own rados CLI stores and reads an object.
    const pool = c.ceph(['osd', 'pool', 'create', 'p1', '8']);
    assert.equal(pool.status, 0, pool.stderr);
    // One OSD holds a size-3 pool's PGs undersized; min_size 1 lets them serve I/O.
    assert.equal(c.ceph(['osd', 'pool', 'set', 'p1', 'min_size', '1']).status, 0);
    const obj = join(c.dir, 'obj.txt');
    writeFileSync(obj, 'hello from a tsceph monitor\n');
    const put = spawnSync('/usr/bin/rados', ['-c', c.conf, '-p', 'p1', 'put', 'obj1', obj], { encoding: 'utf8', timeout: 60000 });
    assert.equal(put.status, 0, `rados put: ${put.stderr}`);
    const get = spawnSync('/usr/bin/rados', ['-c', c.conf, '-p', 'p1', 'get', 'obj1', '-'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(get.status, 0, `rados get: ${get.stderr}`);
    assert.equal(get.stdout, 'hello from a tsceph monitor\n');
  });

  it('reports the PGs created (MOSDPGCreated): the monitor clears the pool\'s creating flag', async () => {
    // Ceph's OSD sends MOSDPGCreated when a PG of a pool flagged creating has all its replicas active;
    // once all 8 are reported, our monitor stops asking for them and a new epoch clears the flag.
    const flags = await until('p1 no longer creating', () => {
      const r = c.ceph(['osd', 'pool', 'ls', 'detail', '-f', 'json']);
      if (r.status !== 0) return null;
      const p = (JSON.parse(r.stdout) as Array<{ pool_name: string; flags_names: string }>).find((x) => x.pool_name === 'p1');
      return p && !p.flags_names.split(',').includes('creating') ? p.flags_names : null;
    }, 60000);
    assert.equal(flags, 'hashpspool');
    // The epoch before the one that cleared it (the pool's last_change) still had the flag.
    type Dump = { pools: Array<{ pool_name: string; flags_names: string; last_change: string }> };
    const now = (JSON.parse(c.ceph(['osd', 'dump', '-f', 'json']).stdout) as Dump).pools.find((x) => x.pool_name === 'p1')!;
    const prev = c.ceph(['osd', 'dump', String(Number(now.last_change) - 1), '-f', 'json']);
    assert.equal(prev.status, 0, prev.stderr);
    const before = (JSON.parse(prev.stdout) as Dump).pools.find((x) => x.pool_name === 'p1')!;
    assert.ok(before.flags_names.split(',').includes('creating'), before.flags_names);
  });
});
