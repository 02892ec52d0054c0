// Proves vstart with OSD processes (ports 18150-18199): `vstart --osds 3` starts 1 monitor and 3
// ceph-osd daemons on file devices and a size-3 pool, `ceph -s` shows 3 up and 3 in, --status lists the
// daemons; a frozen OSD (SIGSTOP) is reported by its peers after osd_heartbeat_grace (3 s here) and
// marked down, and once thawed rejoins (it was wrongly marked down); a killed OSD (-9) is marked down
// at once (refused connection) and a second vstart run restarts it; ceph-osd refuses bad arguments, a
// missing device, another OSD's device and a file that is no OSD device; --stop stops everything, each
// OSD first asking the monitor to mark it down; --new replaces the cluster.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsdCluster } from '../support/osd-cluster.js';
import { signalProcess } from '../support/proc-stat.js';
import { binPath, until, type CliResult } from '../support/vstart-cluster.js';

const PORT = 18150;

describe('vstart with OSDs (processes)', function () {
  this.timeout(180000);
  let dir = '';
  let conf = '';
  let cluster: OsdCluster | null = null;

  const vstart = (args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [binPath('vstart'), '--dir', dir, ...args], { encoding: 'utf8', timeout: 150000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const ceph = (args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [binPath('ceph'), '-c', conf, '--connect-timeout', '10', ...args], { encoding: 'utf8', timeout: 40000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const cephOsd = (args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [binPath('ceph-osd'), '-c', conf, ...args], { encoding: 'utf8', timeout: 30000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const pidOf = (name: string): number => Number(readFileSync(join(dir, 'out', `${name}.pid`), 'utf8').trim());
  const osdUp = (id: number): boolean => new RegExp(`osd\\.${id}\\s+up`).test(ceph(['osd', 'tree']).stdout);
  const osdDown = (id: number): boolean => new RegExp(`osd\\.${id}\\s+down`).test(ceph(['osd', 'tree']).stdout);
  const log = (name: string): string => {
    try {
      return readFileSync(join(dir, 'out', `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsceph-vstart-osd-'));
    conf = join(dir, 'ceph.conf');
  });
  afterEach(function () {
    // A failure shows the end of each daemon's log (the directory is removed afterwards).
    if (this.currentTest?.state !== 'failed') return;
    const out = join(dir, 'out');
    if (!existsSync(out)) return;
    for (const f of readdirSync(out).filter((n) => n.endsWith('.log'))) {
      const lines = readFileSync(join(out, f), 'utf8').trimEnd().split('\n');
      process.stderr.write(`--- ${f} (last 25 lines)\n${lines.slice(-25).join('\n')}\n`);
    }
  });
  after(() => {
    // Every daemon this test started (vstart's pid files and restarts), then the directory.
    (cluster ?? OsdCluster.attach(dir, 3)).destroy();
  });

  it('starts 1 monitor and 3 OSDs with a size-3 pool; ceph -s shows 3 up, 3 in; --status lists them', () => {
    const r = vstart(['--port', String(PORT), '--osd-size', '256M', '-o', 'osd_heartbeat_grace = 3', '-o', 'osd_heartbeat_interval = 0.5']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /pool tsceph: size 3/);
    assert.match(r.stdout, /rados(\.js)? -p tsceph put/, 'prints how to use the pool');
    const s = ceph(['-s']);
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /osd: 3 osds: 3 up \(since [^)]*\), 3 in/);
    assert.match(s.stdout, /pools:\s+1 pools/);
    assert.equal(JSON.parse(ceph(['osd', 'pool', 'get', 'tsceph', 'size', '-f', 'json']).stdout).size, 3);
    const st = vstart(['--status']);
    for (const n of ['mon.a', 'osd.0', 'osd.1', 'osd.2']) assert.match(st.stdout, new RegExp(`${n.replace('.', '\\.')}: running \\(pid \\d+\\)`));
    assert.match(st.stdout, /osds: 3 osds: 3 up, 3 in/);
    cluster = OsdCluster.attach(dir, 3);
  });

  it('the pool goes active+clean and our rados CLI puts and gets an object through the OSDs', async () => {
    const c = cluster!;
    await c.waitClean(60000);
    const file = join(dir, 'hello.txt');
    writeFileSync(file, 'hello from vstart\n');
    const put = c.rados(['-p', 'tsceph', 'put', 'hello', file]);
    assert.equal(put.status, 0, put.stderr);
    const get = c.rados(['-p', 'tsceph', 'get', 'hello', '-']);
    assert.equal(get.status, 0, get.stderr);
    assert.equal(get.stdout, 'hello from vstart\n');
  });

  it('a frozen OSD is reported after the grace and marked down; thawed, it rejoins', async () => {
    const pid = pidOf('osd.1');
    signalProcess(pid, 'SIGSTOP'); // returns once every thread is stopped
    const t0 = Date.now();
    try {
      await until('osd.1 down', () => osdDown(1), 30000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.ok(Date.now() - t0 >= 2500, 'not before the 3 s grace');
    assert.match(log('osd.0') + log('osd.2'), /reported osd\.1 failed \(no reply for \d+ s\)/);
    await until('osd.1 up again', () => osdUp(1), 30000);
    assert.match(log('osd.1'), /wrongly marked me down/);
  });

  it('a killed OSD is marked down at once; a second vstart restarts it', async () => {
    cluster!.signalOsd(2, 'SIGKILL');
    await until('osd.2 down', () => cluster!.osdDown(2), 15000);
    assert.match(log('osd.0') + log('osd.1'), /reported osd\.2 failed \(connection refused\)/);
    const r = vstart([]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /reusing the cluster/);
    assert.match(r.stdout, /osd\.0 already running/);
    assert.match(r.stdout, /started osd\.2/);
    await until('3 up', () => /3 osds: 3 up/.test(ceph(['-s']).stdout), 30000);
  });

  it('ceph-osd refuses bad arguments, a missing device, another OSD\'s device, a non-OSD file and bad client budget options', () => {
    let r = cephOsd(['-i', 'x', '-f']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /must specify '-i #'/);
    r = cephOsd(['-i', '1', '--bogus']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unrecognized argument '--bogus'/);
    r = cephOsd(['-i', '7', '-f']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no device at .*osd\.7\/block: have you run 'ceph-osd -i 7 --mkfs'/);
    const dev = join(dir, 'other.dev');
    r = cephOsd(['-i', '9', '--mkfs', '--data', dev, '--bluestore-block-size', '64M']);
    assert.equal(r.status, 0, r.stderr);
    r = cephOsd(['-i', '8', '--data', dev, '-f']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /belongs to osd\.9, not osd\.8/);
    // The client budget's options: a byte size and a message count (a count takes no size suffix).
    r = cephOsd(['-i', '9', '--data', dev, '-f', '--osd_client_message_cap', '2K']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /osd_client_message_cap: not a count: '2K'/);
    r = cephOsd(['-i', '9', '--data', dev, '-f', '--osd_client_message_size_cap', '2X']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /osd_client_message_size_cap: not a size: '2X'/);
    const junk = join(dir, 'junk.dev');
    writeFileSync(junk, Buffer.alloc(1024 * 1024, 7));
    r = cephOsd(['-i', '8', '--data', junk, '-f']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not a tsceph OSD device/);
  });

  it('--stop stops the OSDs (each marked down at its request) and the monitor', () => {
    const pids = ['osd.0', 'osd.1', 'osd.2', 'mon.a'].map(pidOf);
    const r = vstart(['--stop']);
    assert.equal(r.status, 0, r.stderr);
    for (const n of ['osd.0', 'osd.1', 'osd.2', 'mon.a']) assert.match(r.stdout, new RegExp(`stopped ${n.replace('.', '\\.')}`));
    assert.ok(r.stdout.indexOf('stopped osd.0') < r.stdout.indexOf('stopped mon.a'), 'OSDs before the monitor');
    for (const pid of pids) assert.ok(!existsSync(`/proc/${pid}`) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(conf), `pid ${pid} gone`);
    for (const n of ['osd.0', 'osd.1', 'osd.2']) assert.match(log(n), /marked down by the monitors/);
    assert.match(vstart(['--status']).stdout, /osd\.0: stopped/);
  });

  it('--new replaces the cluster with a fresh one (--osds 1: a size-1 pool)', () => {
    const oldFsid = /^fsid = (\S+)$/m.exec(readFileSync(conf, 'utf8'))![1];
    const r = vstart(['--new', '--osds', '1', '--port', String(PORT), '--osd-size', '128M']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /pool tsceph: size 1/);
    assert.notEqual(/^fsid = (\S+)$/m.exec(readFileSync(conf, 'utf8'))![1], oldFsid);
    assert.ok(!existsSync(join(dir, 'dev', 'osd.2')), 'the old OSDs are gone');
    assert.match(ceph(['-s']).stdout, /osd: 1 osds: 1 up/);
    assert.equal(vstart(['--stop']).status, 0);
  });
});
