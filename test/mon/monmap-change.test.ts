// Proves monitors can be added and removed on a running cluster the way Ceph operators do it: `ceph mon
// add d ADDR`, then `ceph mon getmap -o F`, `ceph-mon -i d --mkfs --monmap F` and starting it: the new
// monitor syncs the store and joins the quorum; `ceph mon remove` takes one out again and the rest keep a
// quorum. Real tsceph ceph-mon processes on loopback, driven through tsceph's ceph CLI.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = (name: string) => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));
const PORT = 17480;

describe('monitor cluster: mon add / mon remove', function () {
  this.timeout(240000);
  let dir: string;
  let conf: string;
  const pids: number[] = [];

  const ceph = (args: string[], timeoutS = 20) => {
    const r = spawnSync(process.execPath, [bin('ceph'), '-c', conf, '--connect-timeout', String(timeoutS), ...args], { encoding: 'utf8', timeout: (timeoutS + 20) * 1000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const quorumNames = (): string[] | null => {
    const r = ceph(['quorum_status', '-f', 'json'], 5);
    return r.status === 0 ? (JSON.parse(r.stdout) as { quorum_names: string[] }).quorum_names.sort() : null;
  };
  const until = async <T>(what: string, f: () => T | null | false, ms = 60000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = f();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsceph-monadd-'));
    conf = join(dir, 'ceph.conf');
    const r = spawnSync(process.execPath, [bin('vstart'), '--mons', '3', '--dir', dir, '--port', String(PORT)], { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, `vstart failed: ${r.stdout}\n${r.stderr}`);
    for (const n of ['a', 'b', 'c']) pids.push(Number(readFileSync(join(dir, 'out', `mon.${n}.pid`), 'utf8')));
  });

  after(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a fourth monitor that syncs and joins, then removes one', async () => {
    await until('a quorum of three', () => { const q = quorumNames(); return q && q.length === 3 ? q : null; });
    assert.equal(ceph(['osd', 'pool', 'create', 'before-add', '8']).status, 0);

    const add = ceph(['mon', 'add', 'd', `127.0.0.1:${PORT + 3}`]);
    assert.equal(add.status, 0, add.stderr);
    const dump = ceph(['mon', 'dump', '-f', 'json']);
    const mm = JSON.parse(dump.stdout) as { epoch: number; mons: Array<{ name: string }> };
    assert.deepEqual(mm.mons.map((m) => m.name).sort(), ['a', 'b', 'c', 'd']);

    const mapFile = join(dir, 'monmap.new');
    assert.equal(ceph(['mon', 'getmap', '-o', mapFile]).status, 0);
    appendFileSync(conf, `\n[mon.d]\npublic_addr = v2:127.0.0.1:${PORT + 3}\n`);
    const mk = spawnSync(process.execPath, [bin('ceph-mon'), '-c', conf, '-i', 'd', '--mkfs', '--monmap', mapFile], { encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stderr);
    const log = openSync(join(dir, 'out', 'mon.d.stdout'), 'a');
    const child = spawn(process.execPath, [bin('ceph-mon'), '-c', conf, '-i', 'd', '-f'], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    pids.push(child.pid!);

    await until('mon.d in the quorum', () => { const q = quorumNames(); return q && q.length === 4 ? q : null; }, 90000);
    const fromD = spawnSync(process.execPath, [bin('ceph'), '-m', `v2:127.0.0.1:${PORT + 3}`, '--connect-timeout', '20', 'osd', 'pool', 'ls'], { encoding: 'utf8', env: { ...process.env, CEPH_CONF: conf } });
    assert.equal(fromD.status, 0, fromD.stderr);
    assert.ok(fromD.stdout.split('\n').includes('before-add'), 'the new monitor synced the store');

    const rm = ceph(['mon', 'remove', 'b']);
    assert.equal(rm.status, 0, rm.stderr);
    await until('a quorum without b', () => { const q = quorumNames(); return q && q.join(',') === 'a,c,d' ? q : null; }, 90000);
    assert.equal(ceph(['osd', 'pool', 'create', 'after-remove', '8']).status, 0);
  });
});
