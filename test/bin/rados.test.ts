// Proves bin/rados against Debian's Ceph 16 `rados` as the oracle: both run against one real cluster
// (ceph-mon, ceph-osd on memstore, ceph-mgr for pool stats; ports 18450-18489) and must print the same
// stdout, stderr and exit status for the same commands (object, xattr, omap, listing, df, errors), read
// back what the other wrote (put/get both ways), and bench objects written by ours pass Ceph's own
// `bench seq` content check. RADOS_CLI_KEEP=1 keeps the cluster's directory.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { byteU, hexdump, benchContents, decodeBenchMeta, encodeBenchMeta, main } from '../../bin/rados.js';
import { ok, radosCli, type CliRun as Run } from '../support/rados-cli.js';
import { startRealCephCluster, type RealCephCluster } from '../support/real-ceph-cluster.js';
import { until } from '../support/vstart-cluster.js';

const OURS = fileURLToPath(new URL('../../bin/rados.js', import.meta.url));
const POOL = 'rp';

async function untilAsync(what: string, f: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('bin/rados text helpers', () => {
  it('hexdump as bufferlist::hexdump, byte_u_t, bench contents and metadata', () => {
    assert.equal(hexdump(Buffer.from('v1')), '00000000  76 31                                             |v1|\n00000002\n');
    const b = Buffer.alloc(40, 0x61);
    assert.equal(hexdump(b),
      '00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|\n*\n' +
      '00000020  61 61 61 61 61 61 61 61                           |aaaaaaaa|\n00000028\n');
    assert.equal(byteU(0), '0 B');
    assert.equal(byteU(41), '41 B');
    assert.equal(byteU(1024), '1 KiB');
    assert.equal(byteU(1536), '1.5 KiB');
    assert.equal(byteU(230 * 1024 * 1024 + 5), '230 MiB');
    assert.equal(byteU(10239), '10 KiB');
    assert.equal(byteU(1023 * 1024 + 1), '1023 KiB');
    assert.equal(byteU(100 * 1024 + 512), '100 KiB');
    const c = benchContents(7, 64);
    assert.equal(c.subarray(0, 31).toString(), `I'm the ${' '.repeat(15)}7th op!\0`);
    assert.equal(c.subarray(31).toString(), 'z'.repeat(33));
    assert.equal(benchContents(7, 4).toString('latin1'), "I'm\0");
    const meta = { objectSize: 4096, numOps: 12, pid: 77, opSize: 1024 };
    assert.deepEqual(decodeBenchMeta(encodeBenchMeta(meta)), meta);
    assert.equal(encodeBenchMeta(meta).length, 24);
  });
});

describe('bin/rados against Ceph 16 rados on a real cluster', function () {
  this.timeout(240000);
  let c: RealCephCluster | null = null;
  let dir = '';

  // Ours runs in this process (main() with captured streams); the executable itself is run once below.
  const { ours, theirs, same } = radosCli(() => c!.conf);
  const oursExe = (args: string[], input?: Buffer): Run => {
    const r = spawnSync(process.execPath, [OURS, '-c', c!.conf, ...args], { input, maxBuffer: 64 << 20, timeout: 120000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString() ?? '' };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rados-cli-'));
    c = await startRealCephCluster({
      name: 'rados-cli', monPort: 18450, osdPortMin: 18460, osdPortMax: 18489, osds: 1, objectstore: 'memstore',
      options: { osd_pool_default_size: '1', osd_pool_default_min_size: '1', mon_warn_on_pool_no_redundancy: 'false' },
    });
    ok({ ...c.ceph(['osd', 'pool', 'create', POOL, '8']), stdout: Buffer.alloc(0) }, 'pool create');
    // The pool's PGs peer before the first write lands.
    await until('pool writable', () => theirs(['-p', POOL, 'put', 'warmup', '-'], Buffer.from('w')).status === 0, 90000);
  });

  after(async () => {
    await c?.stop(process.env.RADOS_CLI_KEEP !== undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('put and get both ways (files, stdin, stdout, several op-size chunks)', async () => {
    const big = Buffer.alloc(5000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const f = join(dir, 'big');
    writeFileSync(f, big);
    ok(await ours(['-p', POOL, '-b', '1024', 'put', 'big1', f]), 'our put');
    assert.deepEqual(ok(theirs(['-p', POOL, 'get', 'big1', '-']), 'their get').stdout, big);
    ok(theirs(['-p', POOL, 'put', 'big2', f]), 'their put');
    assert.deepEqual(ok(await ours(['-p', POOL, '-b', '1000', 'get', 'big2', '-']), 'our get').stdout, big);
    const out = join(dir, 'out');
    ok(await ours(['-p', POOL, 'get', 'big2', out]), 'our get to a file');
    assert.deepEqual(readFileSync(out), big);
    ok(await ours(['-p', POOL, 'put', 'small', '-'], Buffer.from('hello\n')), 'put from stdin');
    ok(await ours(['-p', POOL, 'append', 'small', '-'], Buffer.from('world\n')), 'append');
    assert.equal(theirs(['-p', POOL, 'get', 'small', '-']).stdout.toString(), 'hello\nworld\n');
    ok(await ours(['-p', POOL, 'put', 'small', '-', '--offset', '2'], Buffer.from('LL')), 'put at an offset');
    assert.equal(theirs(['-p', POOL, 'get', 'small', '-']).stdout.toString(), 'heLLo\nworld\n');
    ok(await ours(['-p', POOL, 'put', 'small', '-', '--offset', '0'], Buffer.from('HE')), 'an explicit --offset 0 writes in place');
    assert.equal(theirs(['-p', POOL, 'get', 'small', '-']).stdout.toString(), 'HELLo\nworld\n');
    ok(await ours(['-p', POOL, 'put', 'empty', '-'], Buffer.alloc(0)), 'put of nothing');
    await same(['-p', POOL, 'stat', 'empty']);
    ok(await ours(['-p', POOL, 'append', 'not-made', '-'], Buffer.alloc(0)), 'append of nothing');
    await same(['-p', POOL, 'stat', 'not-made']);
    ok(await ours(['-p', POOL, 'truncate', 'small', '5']), 'truncate');
    assert.equal(theirs(['-p', POOL, 'get', 'small', '-']).stdout.toString(), 'HELLo');
    await same(['-p', POOL, 'get', 'nosuch', '-']);
    await same(['-p', POOL, 'put', 'x', join(dir, 'nofile')]);
    await same(['-p', POOL, 'get', 'small', join(dir, 'no', 'dir')]);
  });

  it('stat, rm, create: the same texts and statuses', async () => {
    await same(['-p', POOL, 'stat', 'big1']);
    await same(['-p', POOL, 'stat', 'nosuch']);
    await same(['-p', 'nopool', 'stat', 'x']);
    ok(await ours(['-p', POOL, 'create', 'made']), 'create');
    await same(['-p', POOL, 'create', 'made']);
    await same(['-p', POOL, 'stat', 'made']);
    ok(await ours(['-p', POOL, 'rm', 'made', 'big2']), 'rm two');
    await same(['-p', POOL, 'rm', 'made']);
    await same(['-p', POOL, '-N', 'nsx', 'rm', 'made']);
    await same(['-p', POOL, 'truncate', 'made', 'x']);
    await same(['-p', POOL, 'stat', 'big2']);
  });

  it('xattrs and omap: set with ours, read with both', async () => {
    ok(await ours(['-p', POOL, 'put', 'kv', '-'], Buffer.from('x')), 'put');
    ok(await ours(['-p', POOL, 'setxattr', 'kv', 'color', 'blue']), 'setxattr');
    ok(await ours(['-p', POOL, 'setxattr', 'kv', 'size'], Buffer.from('large')), 'setxattr from stdin');
    await same(['-p', POOL, 'getxattr', 'kv', 'color']);
    await same(['-p', POOL, 'getxattr', 'kv', 'size']);
    await same(['-p', POOL, 'listxattr', 'kv']);
    await same(['-p', POOL, 'getxattr', 'kv', 'nope']);
    await same(['-p', POOL, 'getxattr', 'nosuch', 'nope']);
    await same(['-p', POOL, 'listxattr', 'nosuch']);
    ok(await ours(['-p', POOL, 'rmxattr', 'kv', 'color']), 'rmxattr');
    await same(['-p', POOL, 'listxattr', 'kv']);
    ok(await ours(['-p', POOL, 'setomapval', 'kv', 'k1', 'v1']), 'setomapval');
    ok(await ours(['-p', POOL, 'setomapval', 'kv', 'k2'], Buffer.alloc(40, 0x41)), 'setomapval from stdin');
    ok(await ours(['-p', POOL, 'setomapheader', 'kv', 'hdr']), 'setomapheader');
    await same(['-p', POOL, 'getomapval', 'kv', 'k1']);
    await same(['-p', POOL, 'getomapval', 'kv', 'k2']);
    await same(['-p', POOL, 'getomapval', 'kv', 'none']);
    await same(['-p', POOL, 'listomapkeys', 'kv']);
    await same(['-p', POOL, 'listomapvals', 'kv']);
    await same(['-p', POOL, 'getomapheader', 'kv']);
    await same(['-p', POOL, 'listomapkeys', 'nosuch']);
    ok(await ours(['-p', POOL, 'rmomapkey', 'kv', 'k1']), 'rmomapkey');
    await same(['-p', POOL, 'listomapkeys', 'kv']);
    ok(await ours(['-p', POOL, 'clearomap', 'kv']), 'clearomap');
    await same(['-p', POOL, 'listomapvals', 'kv']);
  });

  it('ls: one namespace, all of them, json; lspools', async () => {
    ok(await ours(['-p', POOL, '-N', 'ns1', 'put', 'in-ns', '-'], Buffer.from('n')), 'put in a namespace');
    ok(await ours(['-p', POOL, '--object-locator', 'lk', 'put', 'with-loc', '-'], Buffer.from('l')), 'put with a locator');
    const sorted = (s: string): string => s.split('\n').sort().join('\n');
    await same(['-p', POOL, 'ls'], undefined, sorted);
    await same(['-p', POOL, 'ls', '--all'], undefined, sorted);
    await same(['-p', POOL, '-N', 'ns1', 'ls'], undefined, sorted);
    await same(['-p', POOL, 'ls', '--format', 'json-pretty'], undefined, sorted);
    await same(['-p', POOL, 'ls', 'extra-arg']);
    const a = JSON.parse(ok(await ours(['-p', POOL, 'ls', '--all', '--format', 'json']), 'ls json').stdout.toString()) as unknown[];
    const b = JSON.parse(theirs(['-p', POOL, 'ls', '--all', '--format', 'json']).stdout.toString()) as unknown[];
    const key = (x: unknown): string => JSON.stringify(x);
    assert.deepEqual(a.map(key).sort(), b.map(key).sort());
    await same(['lspools']);
    await same(['ls']);
    await same(['-p', 'nopool', 'ls']);
  });

  it('df, plain and json, once the mgr has the stats', async () => {
    // Stats move while the OSD reports: compare until two runs agree.
    await untilAsync('the same df', async () => {
      const a = await ours(['df']);
      const b = theirs(['df']);
      return a.status === 0 && a.stdout.equals(b.stdout) && a.stderr === b.stderr;
    }, 60000);
    await untilAsync('the same df json', async () => (await ours(['df', '--format', 'json'])).stdout.equals(theirs(['df', '--format', 'json']).stdout), 60000);
    await untilAsync('the same pool df', async () => (await ours(['-p', POOL, 'df'])).stdout.equals(theirs(['-p', POOL, 'df']).stdout), 60000);
    assert.match((await ours(['df'])).stdout.toString(), new RegExp(`^${POOL} `, 'm'));
  });

  it('errors and usage as Ceph words them', async () => {
    await same(['-p', POOL, 'bogus']);
    const help = oursExe(['--help']);
    assert.equal(help.status, 1);
    assert.match(help.stderr, /^usage: rados \[options\] \[commands\]/);
    assert.equal((await ours(['-p', POOL, 'put'])).status, 1);
    // No monitor answers: client_mount_timeout bounds the wait (Ceph's rados says the same with --no-mon-config).
    const out: Buffer[] = [];
    let err = '';
    const st = await main(['-m', 'v2:127.0.0.1:1', '--client-mount-timeout', '1', 'lspools'], { stdout: (b) => out.push(b), stderr: (t) => { err += t; }, env: {} });
    assert.equal(st, 1);
    assert.equal(err, "couldn't connect to cluster: (110) Connection timed out\n");
    await same(['-p', POOL, 'bench', '1', 'seq', '--run-name', 'never-written']);
  });

  it('mkpool / rmpool (tsceph extras) and what Ceph sees of them', async () => {
    assert.equal(ok(await ours(['mkpool', 'extra', '8']), 'mkpool').stdout.toString(), 'successfully created pool extra\n');
    assert.match(theirs(['lspools']).stdout.toString(), /^extra$/m);
    const refused = await ours(['rmpool', 'extra']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /--yes-i-really-really-mean-it/);
    assert.equal(ok(await ours(['rmpool', 'extra', 'extra', '--yes-i-really-really-mean-it']), 'rmpool').stdout.toString(), 'successfully deleted pool extra\n');
    assert.doesNotMatch(theirs(['lspools']).stdout.toString(), /^extra$/m);
  });

  it('bench write / seq / rand / cleanup: obj_bencher\'s output, objects Ceph\'s bench reads and checks', async () => {
    const w = ok(await ours(['-p', POOL, 'bench', '1', 'write', '-b', '4096', '-t', '4', '--no-cleanup']), 'bench write');
    const text = w.stdout.toString();
    const names = (t: string): string[] => t.split('\n').filter((l) => /^[A-Z][A-Za-z ()/]+:\s/.test(l)).map((l) => l.slice(0, l.indexOf(':') + 1));
    const wantWrite = ['Total time run:', 'Total writes made:', 'Write size:', 'Object size:', 'Bandwidth (MB/sec):', 'Stddev Bandwidth:',
      'Max bandwidth (MB/sec):', 'Min bandwidth (MB/sec):', 'Average IOPS:', 'Stddev IOPS:', 'Max IOPS:', 'Min IOPS:', 'Average Latency(s):',
      'Stddev Latency(s):', 'Max latency(s):', 'Min latency(s):'];
    assert.deepEqual(names(text).filter((n) => n !== 'Object prefix:'), wantWrite);
    assert.match(text, /^hints = 1\nMaintaining 4 concurrent writes of 4096 bytes to objects of size 4096 for up to 1 seconds or 0 objects\nObject prefix: benchmark_data_\S+_\d+\n  sec Cur ops   started  finished  avg MB\/s  cur MB\/s last lat\(s\)  avg lat\(s\)\n/);
    assert.match(text, /^Total writes made:      [1-9]\d*$/m);
    // Ceph's own seq run reads our objects and checks their contents.
    const seq = theirs(['-p', POOL, 'bench', '1', 'seq', '-t', '4']);
    assert.equal(seq.status, 0, seq.stderr);
    assert.doesNotMatch(seq.stderr, /is not correct/);
    const wantRead = ['Total time run:', 'Total reads made:', 'Read size:', 'Object size:', 'Bandwidth (MB/sec):', 'Average IOPS:', 'Stddev IOPS:',
      'Max IOPS:', 'Min IOPS:', 'Average Latency(s):', 'Max latency(s):', 'Min latency(s):'];
    for (const mode of ['seq', 'rand']) {
      const r = ok(await ours(['-p', POOL, 'bench', '1', mode, '-t', '4']), `bench ${mode}`);
      assert.deepEqual(names(r.stdout.toString()), wantRead, mode);
      assert.equal(r.stderr, '', mode);
    }
    const cl = ok(await ours(['-p', POOL, 'cleanup']), 'cleanup');
    assert.match(cl.stdout.toString(), /^Removed [1-9]\d* objects\n$/);
    assert.doesNotMatch(theirs(['-p', POOL, 'ls']).stdout.toString(), /benchmark_/);
    // A write run without --no-cleanup removes its objects itself.
    const w2 = ok(await ours(['-p', POOL, 'bench', '1', 'write', '-b', '1024', '-t', '2', '--run-name', 'r2']), 'bench write with cleanup');
    assert.match(w2.stdout.toString(), /Cleaning up \(deleting benchmark objects\)\nRemoved \d+ objects\nClean up completed and total clean up time :[\d.e-]+\n$/);
    assert.doesNotMatch(theirs(['-p', POOL, 'ls']).stdout.toString(), /benchmark_|^r2$/m);
  });
});
