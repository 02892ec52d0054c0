// Proves the monitor cluster survives what Paxos promises with real processes on loopback: three
// tsceph ceph-mon daemons (started by vstart) form a quorum; kill -9 of the leader elects a new leader
// that commits map changes; the killed monitor restarts and catches up; with two of three down, a
// command fails with a clear timeout and nothing is committed. Driven through our own ceph CLI.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = (name: string) => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));
const PORT_BASE = 17420;

interface Cli {
  status: number;
  stdout: string;
  stderr: string;
}

function ceph(conf: string, args: string[], timeoutS = 10): Cli {
  const r = spawnSync(process.execPath, [bin('ceph'), '-c', conf, '--connect-timeout', String(timeoutS), ...args], { encoding: 'utf8', timeout: (timeoutS + 20) * 1000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function quorum(conf: string): { quorum_names: string[]; quorum_leader_name: string } | null {
  const r = ceph(conf, ['quorum_status', '-f', 'json'], 5);
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout) as { quorum_names: string[]; quorum_leader_name: string };
}

async function until<T>(what: string, f: () => T | null | false, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function pidOf(dir: string, name: string): number {
  return Number(readFileSync(join(dir, 'out', `mon.${name}.pid`), 'utf8').trim());
}

function restartMon(dir: string, name: string): number {
  const conf = join(dir, 'ceph.conf');
  const log = openSync(join(dir, 'out', `mon.${name}.stdout`), 'a');
  const child = spawn(process.execPath, [bin('ceph-mon'), '-c', conf, '-i', name, '-f'], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  return child.pid!;
}

describe('monitor cluster: 3 real ceph-mon processes', function () {
  this.timeout(300000);
  let dir: string;
  let conf: string;
  const started: number[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsceph-monclu-'));
    conf = join(dir, 'ceph.conf');
    const r = spawnSync(process.execPath, [bin('vstart'), '--mons', '3', '--dir', dir, '--port', String(PORT_BASE)], { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, `vstart failed: ${r.stdout}\n${r.stderr}`);
    for (const n of ['a', 'b', 'c']) started.push(pidOf(dir, n));
  });

  after(() => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 of the leader: a new leader commits, the old one rejoins and catches up; no quorum means a timeout and no commit', async () => {
    const q0 = await until('a quorum of three', () => { const q = quorum(conf); return q && q.quorum_names.length === 3 ? q : null; });
    const leader = q0.quorum_leader_name;
    process.kill(pidOf(dir, leader), 'SIGKILL');

    const q1 = await until('a new leader', () => { const q = quorum(conf); return q && q.quorum_names.length === 2 && q.quorum_leader_name !== leader ? q : null; });
    assert.ok(!q1.quorum_names.includes(leader));
    const created = ceph(conf, ['osd', 'pool', 'create', 'after-kill', '8'], 30);
    assert.equal(created.status, 0, created.stderr);

    started.push(restartMon(dir, leader));
    await until('the killed monitor back in the quorum', () => { const q = quorum(conf); return q && q.quorum_names.length === 3 ? q : null; });
    // Ask the restarted monitor itself (reads are served locally): it has the commit made while it was dead.
    const monAddr = `v2:127.0.0.1:${PORT_BASE + ['a', 'b', 'c'].indexOf(leader)}`;
    const ls = await until('the restarted monitor to list the pool', () => {
      const r = spawnSync(process.execPath, [bin('ceph'), '-m', monAddr, '--connect-timeout', '10', 'osd', 'pool', 'ls'], { encoding: 'utf8', env: { ...process.env, CEPH_CONF: conf } });
      return r.status === 0 && r.stdout.split('\n').includes('after-kill') ? r.stdout : null;
    });
    assert.match(ls, /after-kill/);

    // Two of three down: the survivor cannot commit; the command times out with a clear error.
    const q2 = quorum(conf)!;
    const victims = q2.quorum_names.slice(0, 2);
    const survivor = ['a', 'b', 'c'].find((n) => !victims.includes(n))!;
    for (const v of victims) process.kill(pidOf(dir, v), 'SIGKILL');
    const survivorAddr = `v2:127.0.0.1:${PORT_BASE + ['a', 'b', 'c'].indexOf(survivor)}`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [bin('ceph'), '-m', survivorAddr, '--connect-timeout', '5', 'osd', 'pool', 'create', 'no-quorum', '8'], { encoding: 'utf8', env: { ...process.env, CEPH_CONF: conf }, timeout: 60000 });
    assert.notEqual(r.status, 0, 'a write without a quorum must fail');
    assert.match(r.stderr, /timed out|ETIMEDOUT/i, r.stderr);
    assert.ok(Date.now() - t0 < 45000, 'fails within the connect timeout plus margin');

    // Bring one victim back: a quorum of two again, and the failed write is not there.
    started.push(restartMon(dir, victims[0]!));
    await until('a quorum of two', () => { const q = quorum(conf); return q && q.quorum_names.length === 2 ? q : null; });
    const after = ceph(conf, ['osd', 'pool', 'ls'], 20);
    assert.equal(after.status, 0, after.stderr);
    assert.ok(after.stdout.split('\n').includes('after-kill'));
    assert.ok(!after.stdout.split('\n').includes('no-quorum'), 'nothing committed without a quorum');
  });
});
