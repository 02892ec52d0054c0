// Proves bin/ceph is a drop-in for Ceph 16's `ceph` CLI: run against the same REAL ceph-mon (loopback, auth none), our CLI and Ceph's give the same stdout, stderr and exit status for -s, osd tree, osd pool create, mon dump -f json, invalid commands and errors; osd getmap -o writes the same bytes (read by osdmaptool); with no monitor, or a monitor without quorum, a command fails with ETIMEDOUT within --connect-timeout.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { main, parseCephArgs } from '../../bin/ceph.js';
import { realCephAvailable, startRealCephMon, type RealCephMon } from '../support/real-ceph-mon.js';
import { sleep } from '../support/wait.js';

const PORT = 17320;
const DEAD_PORT = 17338;
const NOQUORUM_PORT = 17336;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

async function ours(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, {
    stdout: (b) => {
      stdout += b.toString('latin1');
    },
    stderr: (s) => {
      stderr += s;
    },
    env,
    columns: 80,
  });
  return { status, stdout, stderr };
}

/** Ceph's CLI logs auth warnings (no keyring) with timestamps before its output: not part of the comparison. */
function cephStderr(s: string): string {
  return s.replace(/^\d{4}-\d\d-\d\dT[^\n]* -1 [^\n]*\n\n?/gm, '');
}

/** Times move between two runs: mask monitor ages and stamps. */
function maskTimes(s: string): string {
  return s.replace(/\(age [^)]*\)/g, '(age X)').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d{4}/g, 'STAMP');
}

describe('bin/ceph: the CLI against a real Ceph 16 monitor, compared with Ceph\'s own CLI', function () {
  this.timeout(120000);
  let mon: RealCephMon | null = null;
  let dir = '';

  before(async function () {
    if (!realCephAvailable()) this.skip();
    mon = await startRealCephMon({ port: PORT });
    dir = mkdtempSync(join(tmpdir(), 'h5-ceph-cli-'));
  });

  after(async function () {
    if (mon) await mon.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function theirs(args: string[]): Run {
    const r = mon!.ceph(args);
    return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: cephStderr(r.stderr) };
  }

  async function same(args: string[], mask = (s: string) => s): Promise<Run> {
    const want = theirs(args);
    const got = await ours(['-c', mon!.conf, ...args]);
    assert.deepEqual({ status: got.status, stdout: mask(got.stdout), stderr: mask(got.stderr) }, { status: want.status, stdout: mask(want.stdout), stderr: mask(want.stderr) }, `ceph ${args.join(' ')}`);
    return got;
  }

  it('-s, status, health, mon stat, mon dump -f json, osd tree, osd ls, quorum_status as Ceph prints them', async function () {
    for (const args of [['-s'], ['status'], ['health'], ['health', 'detail'], ['mon', 'stat'], ['mon', 'dump'], ['mon', 'dump', '-f', 'json'], ['--format=json-pretty', 'mon', 'dump'],
      ['osd', 'tree'], ['osd', 'tree', '-f', 'json'], ['osd', 'ls'], ['osd', 'stat'], ['osd', 'dump', '-f', 'json'], ['fsid'], ['-s', '-f', 'json'], ['quorum_status'], ['quorum_status', '-f', 'json-pretty']]) {
      await same(args, (s) => maskTimes(s).replace(/"(quorum_)?age": ?\d+/g, '"$1age":X'));
    }
  });

  it('osd pool create / ls / get / set and their errors as Ceph prints them', async function () {
    const want = theirs(['osd', 'pool', 'create', 'theirs', '8']);
    const got = await ours(['-c', mon!.conf, 'osd', 'pool', 'create', 'ours', '8']);
    assert.deepEqual({ status: got.status, stdout: got.stdout, stderr: got.stderr.replace('ours', 'theirs') }, want);
    await same(['osd', 'pool', 'create', 'ours', '8']); // already exists
    await same(['osd', 'pool', 'ls']);
    await same(['osd', 'pool', 'ls', 'detail'], maskTimes);
    await same(['osd', 'pool', 'get', 'ours', 'size']);
    await same(['osd', 'pool', 'get', 'nopool', 'size']); // Error ENOENT, status 2
    await same(['osd', 'pool', 'set', 'ours', 'size', '2']);
    await same(['osd', 'pool', 'get', 'ours', 'all', '--format', 'json']);
    await same(['osd', 'map', 'ours', 'obj1']);
    // Float arguments go out as floats ("1.0"): a Ceph monitor refuses "1" for a CephFloat.
    assert.equal(theirs(['osd', 'crush', 'add-bucket', 'h1', 'host']).status, 0);
    await same(['osd', 'crush', 'reweight', 'h1', '1']);
    const w2 = theirs(['osd', 'pool', 'create', 'ratio1', '--target_size_ratio', '1']);
    const g2 = await ours(['-c', mon!.conf, 'osd', 'pool', 'create', 'ratio2', '--target_size_ratio', '1']);
    assert.deepEqual({ ...g2, stderr: g2.stderr.replace('ratio2', 'ratio1') }, w2);
  });

  it('invalid commands: the same "Invalid command" / "no valid command" text and EINVAL', async function () {
    for (const args of [['osd', 'pool', 'create'], ['osd', 'pool', 'get', 'ours', 'bogus'], ['osd', 'frob'], ['osd', 'pool', 'create', 'x', 'y'], ['osd', 'tree', '--bogus']]) {
      await same(args);
    }
  });

  it('osd getmap -o and getcrushmap -o write what Ceph writes, and osdmaptool reads it', async function () {
    const a = join(dir, 'om.ours');
    const b = join(dir, 'om.theirs');
    const got = await ours(['-c', mon!.conf, 'osd', 'getmap', '-o', a]);
    const want = theirs(['osd', 'getmap', '-o', b]);
    assert.deepEqual(got, want);
    assert.ok(readFileSync(a).equals(readFileSync(b)));
    const p = spawnSync('osdmaptool', ['--print', a], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    const c1 = join(dir, 'cm.ours');
    const c2 = join(dir, 'cm.theirs');
    assert.deepEqual(await ours(['-c', mon!.conf, 'osd', 'getcrushmap', '-o', c1]), theirs(['osd', 'getcrushmap', '-o', c2]));
    assert.ok(readFileSync(c1).equals(readFileSync(c2)));
  });

  it('osd setcrushmap -i sends the file as Ceph does; an unreadable -i file is refused as Ceph refuses it', async function () {
    const f = join(dir, 'crush.bin');
    assert.equal((await ours(['-c', mon!.conf, 'osd', 'getcrushmap', '-o', f])).status, 0);
    // The same map again: each setcrushmap makes a new crush version, which the monitor prints.
    await same(['osd', 'setcrushmap', '-i', f], (s) => s.replace(/^\d+\n$/, 'VERSION\n'));
    await same(['osd', 'setcrushmap', '-i', join(dir, 'nofile')]);
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, 'not a crush map');
    await same(['osd', 'setcrushmap', '-i', bad]);
  });

  it('-m, --id and CEPH_ARGS reach the monitor as with Ceph', async function () {
    const r = await ours(['-c', '/dev/null', '-m', mon!.addr, '--id', 'admin', 'fsid']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), mon!.fsid);
    const e = await ours(['fsid'], { CEPH_ARGS: `-c /dev/null -m ${mon!.addr}` });
    assert.equal(e.status, 0, e.stderr);
    assert.equal(e.stdout.trim(), mon!.fsid);
  });

  it('-h prints the usage and the monitor\'s command list', async function () {
    const r = await ours(['-c', mon!.conf, '-h']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /usage: ceph/);
    assert.match(r.stdout, /Monitor commands:/);
    assert.match(r.stdout, /^osd pool create <pool> /m);
  });

  it('with no monitor, fails with ETIMEDOUT within --connect-timeout', async function () {
    const t0 = Date.now();
    const r = await ours(['-c', '/dev/null', '-m', `v2:127.0.0.1:${DEAD_PORT}`, '--connect-timeout', '2', '-s']);
    const took = Date.now() - t0;
    assert.equal(r.status, 110);
    assert.match(r.stderr, /^Error ETIMEDOUT: .*127\.0\.0\.1:17338/);
    assert.ok(took >= 1900 && took < 5000, `took ${took} ms`);
  });

  it('with a monitor that has no quorum (1 of 2 running), fails with ETIMEDOUT within --connect-timeout', async function () {
    const nq = join(dir, 'noquorum');
    mkdirSync(nq);
    const fsid = randomUUID();
    const conf = join(nq, 'ceph.conf');
    writeFileSync(conf, [
      '[global]', `fsid = ${fsid}`, `mon_host = [v2:127.0.0.1:${NOQUORUM_PORT}] [v2:127.0.0.1:${NOQUORUM_PORT + 1}]`,
      'auth_cluster_required = none', 'auth_service_required = none', 'auth_client_required = none',
      `mon_data = ${nq}/mon.$id`, `log_file = ${nq}/$name.log`, `admin_socket = ${nq}/$name.asok`, `run_dir = ${nq}`, '',
    ].join('\n'));
    const monmap = join(nq, 'monmap');
    const mk = spawnSync('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${NOQUORUM_PORT}]`, '--addv', 'b', `[v2:127.0.0.1:${NOQUORUM_PORT + 1}]`, monmap], { encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stderr);
    const fs = spawnSync('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap], { encoding: 'utf8' });
    assert.equal(fs.status, 0, fs.stderr);
    const child = spawn('ceph-mon', ['-c', conf, '-i', 'a', '-f'], { stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      await sleep(1000);
      const t0 = Date.now();
      const r = await ours(['-c', conf, '--connect-timeout', '2', 'osd', 'pool', 'create', 'never']);
      const took = Date.now() - t0;
      assert.equal(r.status, 110, r.stderr);
      assert.match(r.stderr, /^Error ETIMEDOUT: .*127\.0\.0\.1:17336/);
      assert.ok(took >= 1900 && took < 6000, `took ${took} ms`);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('parses its own flags as ceph.in\'s argparse does', function () {
    const { parsed, extras } = parseCephArgs(['--form', 'json', '-ofile', 'osd', 'tree', '-m', 'x', '--conn=3', '--', '-1']);
    assert.equal(parsed.format, 'json');
    assert.equal(parsed.outputFile, 'file');
    assert.equal(parsed.connectTimeout, 3);
    assert.deepEqual(extras, ['osd', 'tree', '-m', 'x', '-1']);
  });
});
