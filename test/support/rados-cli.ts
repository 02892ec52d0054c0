// Running the rados CLI in tests: ours (bin/rados' main() in this process, streams captured) and
// Debian's Ceph 16 `rados` (the oracle), against one cluster's conf, and the comparison of the two
// (same stdout, stderr and exit status). radosCommandTests() is the suite of every rados command and
// flag issue 6 names, errors included, compared that way; test/bin/rados.test.ts runs it on a real
// Ceph cluster (ours against Ceph's texts) and test/bin/rados-vstart.test.ts on a tsceph vstart
// cluster (both CLIs against our daemons).
//
//   const cli = radosCli(() => conf);
//   await cli.same(['-p', 'pool', 'stat', 'obj']);
//   ok(await cli.ours(['-p', 'pool', 'put', 'obj', '-'], Buffer.from('x')), 'put');

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../bin/rados.js';
import { cephRados } from './real-ceph-cluster.js';
import { untilAsync } from './wait.js';

export interface CliRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Ceph's client library may log a line of its own on stderr (timestamp, thread, level: e.g. a monclient auth race under load); those are not rados' texts. */
function withoutLibraryLog(t: string): string {
  return t.replace(/^\d{4}-\d\d-\d\dT\S+ [0-9a-f]+ -?\d+ .*\n\n?/gm, '');
}

export interface RadosCli {
  /** Our bin/rados, in this process. */
  ours(args: string[], input?: Buffer): Promise<CliRun>;
  /** Debian's rados. */
  theirs(args: string[], input?: Buffer): CliRun;
  /** Both, which must print the same (after `mask`) and exit alike; ours' run is returned. */
  same(args: string[], input?: Buffer, mask?: (s: string) => string): Promise<CliRun>;
}

export function radosCli(conf: () => string): RadosCli {
  const ours = async (args: string[], input?: Buffer): Promise<CliRun> => {
    const out: Buffer[] = [];
    let err = '';
    const status = await main(['-c', conf(), ...args], {
      stdout: (b) => out.push(Buffer.from(b)),
      stderr: (t) => { err += t; },
      env: {},
      readStdin: () => input ?? Buffer.alloc(0),
    });
    return { status, stdout: Buffer.concat(out), stderr: err };
  };
  const theirs = (args: string[], input?: Buffer): CliRun => cephRados(conf(), args, input);
  const same = async (args: string[], input?: Buffer, mask: (s: string) => string = (s) => s): Promise<CliRun> => {
    const a = await ours(args, input);
    const b = theirs(args, input);
    const show = `rados ${args.join(' ')}`;
    assert.equal(mask(a.stdout.toString('latin1')), mask(b.stdout.toString('latin1')), `${show}: stdout`);
    assert.equal(mask(withoutLibraryLog(a.stderr)), mask(withoutLibraryLog(b.stderr)), `${show}: stderr`);
    assert.equal(a.status, b.status, `${show}: status`);
    return a;
  };
  return { ours, theirs, same };
}

/** The run exited 0 (else its stderr is the failure). */
export function ok(r: CliRun, what: string): CliRun {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  return r;
}

/**
 * Ceph's usage text and ours list different commands and client options: that a usage was printed
 * (on stderr, the client options on stdout) is all the comparison checks.
 */
export const maskUsage = (s: string): string => s.replace(/^usage: rados \[options\] \[commands\]\n[\s\S]*/m, '<usage>\n').replace(/^  --conf\/-c FILE [\s\S]*/m, '<client options>\n');

const OURS_EXE = fileURLToPath(new URL('../../bin/rados.js', import.meta.url));

export interface RadosCommandTarget {
  conf: string;
  /** A scratch directory for input and output files. */
  dir: string;
}

/**
 * Every rados command and flag of issue 6 (put / get / append / rm / stat / truncate / create / ls /
 * lspools / mkpool / rmpool / df, xattrs, omap, bench write|seq|rand, cleanup; -p, -N, --all,
 * --object-locator, -b, -t, --offset, --run-name, --prefix, --no-cleanup, --format) with its errors,
 * as mocha tests: ours and Debian's rados must print the same and read back what the other wrote.
 * `pool` exists and takes writes before the first test.
 */
export function radosCommandTests(target: () => RadosCommandTarget, pool: string): void {
  const POOL = pool;
  const { ours, theirs, same } = radosCli(() => target().conf);
  const oursExe = (args: string[], input?: Buffer): CliRun => {
    const r = spawnSync(process.execPath, [OURS_EXE, '-c', target().conf, ...args], { input, maxBuffer: 64 << 20, timeout: 120000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString() ?? '' };
  };

  it('put and get both ways (files, stdin, stdout, several op-size chunks)', async () => {
    const dir = target().dir;
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
    await same(['-p', POOL, 'append', 'x', join(dir, 'nofile')]);
    await same(['-p', POOL, 'get', 'small', join(dir, 'no', 'dir')]);
    await same(['-p', POOL, 'put', 'x', '-', '--offset', 'x']);
  });

  it('stat, rm, create, truncate: the same texts and statuses', async () => {
    await same(['-p', POOL, 'stat', 'big1']);
    await same(['-p', POOL, 'stat', 'nosuch']);
    await same(['-p', 'nopool', 'stat', 'x']);
    ok(await ours(['-p', POOL, 'create', 'made']), 'create');
    await same(['-p', POOL, 'create', 'made']);
    await same(['-p', POOL, 'stat', 'made']);
    ok(await ours(['-p', POOL, 'rm', 'made', 'big2']), 'rm two');
    await same(['-p', POOL, 'rm', 'made']);
    await same(['-p', POOL, '-N', 'nsx', 'rm', 'made']);
    await same(['-p', POOL, 'truncate', 'made', 'x'], undefined, maskUsage);
    await same(['-p', POOL, 'truncate', 'made', '-1'], undefined, maskUsage);
    await same(['-p', POOL, 'truncate', 'nosuch', '1']);
    await same(['-p', POOL, 'stat', 'big2']);
  });

  it('xattrs and omap: set with ours, read with both; errors on missing objects and keys', async () => {
    ok(await ours(['-p', POOL, 'put', 'kv', '-'], Buffer.from('x')), 'put');
    ok(await ours(['-p', POOL, 'setxattr', 'kv', 'color', 'blue']), 'setxattr');
    ok(await ours(['-p', POOL, 'setxattr', 'kv', 'size'], Buffer.from('large')), 'setxattr from stdin');
    await same(['-p', POOL, 'getxattr', 'kv', 'color']);
    await same(['-p', POOL, 'getxattr', 'kv', 'size']);
    await same(['-p', POOL, 'listxattr', 'kv']);
    await same(['-p', POOL, 'getxattr', 'kv', 'nope']);
    await same(['-p', POOL, 'getxattr', 'nosuch', 'nope']);
    await same(['-p', POOL, 'listxattr', 'nosuch']);
    await same(['-p', POOL, 'rmxattr', 'nosuch', 'k']);
    ok(await ours(['-p', POOL, 'rmxattr', 'kv', 'color']), 'rmxattr');
    await same(['-p', POOL, 'listxattr', 'kv']);
    ok(await ours(['-p', POOL, 'setomapval', 'kv', 'k1', 'v1']), 'setomapval');
    ok(await ours(['-p', POOL, 'setomapval', 'kv', 'k2'], Buffer.alloc(40, 0x41)), 'setomapval from stdin');
    ok(await ours(['-p', POOL, 'setomapheader', 'kv', 'hdr']), 'setomapheader');
    await same(['-p', POOL, 'getomapval', 'kv', 'k1']);
    await same(['-p', POOL, 'getomapval', 'kv', 'k2']);
    await same(['-p', POOL, 'getomapval', 'kv', 'none']);
    await same(['-p', POOL, 'getomapval', 'nosuch', 'k1']);
    await same(['-p', POOL, 'listomapkeys', 'kv']);
    await same(['-p', POOL, 'listomapvals', 'kv']);
    await same(['-p', POOL, 'getomapheader', 'kv']);
    await same(['-p', POOL, 'getomapheader', 'nosuch']);
    await same(['-p', POOL, 'listomapkeys', 'nosuch']);
    await same(['-p', POOL, 'listomapvals', 'nosuch']);
    await same(['-p', POOL, 'rmomapkey', 'nosuch', 'k1']);
    await same(['-p', POOL, 'clearomap', 'nosuch']);
    ok(await ours(['-p', POOL, 'rmomapkey', 'kv', 'k1']), 'rmomapkey');
    await same(['-p', POOL, 'listomapkeys', 'kv']);
    ok(await ours(['-p', POOL, 'clearomap', 'kv']), 'clearomap');
    await same(['-p', POOL, 'listomapvals', 'kv']);
    // Written by Ceph's rados, read by ours.
    ok(theirs(['-p', POOL, 'setxattr', 'kv', 'theirs', 'T']), 'their setxattr');
    ok(theirs(['-p', POOL, 'setomapval', 'kv', 'tk', 'tv']), 'their setomapval');
    ok(theirs(['-p', POOL, 'setomapheader', 'kv', 'their-hdr']), 'their setomapheader');
    assert.equal(ok(await ours(['-p', POOL, 'getxattr', 'kv', 'theirs']), 'our getxattr').stdout.toString(), 'T');
    await same(['-p', POOL, 'listomapvals', 'kv']);
    await same(['-p', POOL, 'getomapheader', 'kv']);
  });

  it('ls: one namespace, all of them, json; lspools', async () => {
    ok(await ours(['-p', POOL, '-N', 'ns1', 'put', 'in-ns', '-'], Buffer.from('n')), 'put in a namespace');
    ok(await ours(['-p', POOL, '--object-locator', 'lk', 'put', 'with-loc', '-'], Buffer.from('l')), 'put with a locator');
    await same(['-p', POOL, '-N', 'ns1', 'stat', 'in-ns'], undefined, (s) => s.replace(/mtime \S+/, 'mtime T'));
    await same(['-p', POOL, 'stat', 'in-ns']);
    assert.equal(ok(theirs(['-p', POOL, '--object-locator', 'lk', 'get', 'with-loc', '-']), 'their get with the locator').stdout.toString(), 'l');
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

  it('df, plain and json, once the stats settle', async () => {
    // Stats move while the OSD reports: compare until two runs agree.
    await untilAsync('the same df', async () => {
      const a = await ours(['df']);
      const b = theirs(['df']);
      return a.status === 0 && a.stdout.equals(b.stdout) && a.stderr === b.stderr;
    }, 60000, 500);
    await untilAsync('the same df json', async () => (await ours(['df', '--format', 'json'])).stdout.equals(theirs(['df', '--format', 'json']).stdout), 60000, 500);
    await untilAsync('the same pool df', async () => (await ours(['-p', POOL, 'df'])).stdout.equals(theirs(['-p', POOL, 'df']).stdout), 60000, 500);
    assert.match((await ours(['df'])).stdout.toString(), new RegExp(`^${POOL} `, 'm'));
  });

  it('errors and usage as Ceph words them', async () => {
    await same(['-p', POOL, 'bogus']);
    // --help: the usage on stdout, status 0 (as Ceph's: compared through maskUsage).
    const help = oursExe(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout.toString(), /^usage: rados \[options\] \[commands\]\n[\s\S]*\n  --conf\/-c FILE /);
    assert.equal(help.stderr, '');
    await same(['--help'], undefined, maskUsage);
    // Too few arguments, or a pool command without -p: the usage, status 1.
    for (const args of [['put'], ['get', 'o'], ['setxattr', 'o'], ['getomapval', 'o'], ['setomapheader', 'o'], ['listxattr'], ['bench'], ['bench', '1', 'bogus']]) {
      await same(['-p', POOL, ...args], undefined, maskUsage);
    }
    for (const args of [['stat', 'o'], ['put', 'o', '-'], ['setomapval', 'o', 'k', 'v'], ['bench', '1', 'write'], ['cleanup']]) {
      await same(args, undefined, maskUsage);
    }
    // Option values rados cannot parse.
    await same(['-p', POOL, '-b', '1Q', 'stat', 'o']);
    await same(['-p', POOL, '-t', 'x', 'stat', 'o']);
    await same(['-p', POOL, 'get', 'o', '-p']);
    await same(['-p', POOL, 'bench', 'x', 'write']);
    await same(['-p', POOL, 'bench', '1', 'seq', '-b', '4096']);
    await same(['-p', POOL, 'bench', '1', 'write', '-t', '0']);
    await same(['-p', 'nopool', 'bench', '1', 'write']);
    await same(['-p', POOL, 'cleanup', '--prefix', 'foo']);
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
    const again = await ours(['mkpool', 'extra', '8']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /extra.*\(17\) File exists/);
    const refused = await ours(['rmpool', 'extra']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /--yes-i-really-really-mean-it/);
    assert.equal(ok(await ours(['rmpool', 'extra', 'extra', '--yes-i-really-really-mean-it']), 'rmpool').stdout.toString(), 'successfully deleted pool extra\n');
    assert.doesNotMatch(theirs(['lspools']).stdout.toString(), /^extra$/m);
    const gone = await ours(['rmpool', 'extra', 'extra', '--yes-i-really-really-mean-it']);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /extra.*\(2\) No such file or directory/);
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
    assert.match(w2.stdout.toString(), /Cleaning up \(deleting benchmark objects\)\nRemoved \d+ objects?\nClean up completed and total clean up time :[\d.e-]+\n$/);
    assert.doesNotMatch(theirs(['-p', POOL, 'ls']).stdout.toString(), /benchmark_|^r2$/m);
  });

  it('cleanup across namespaces, by metadata or by prefix, as Ceph\'s cleanup does it', async () => {
    // Two runs of 3 objects (one in namespace b with run name rb, one in the default namespace with
    // the default metadata object), then cleanup --all --run-name rb: the default namespace has no
    // rb metadata (a linear search by prefix), b has (3 objects by name). Ceph's cleanup first, then ours.
    const write = async (): Promise<void> => {
      ok(await ours(['-p', POOL, 'bench', '10', 'write', '-b', '512', '-t', '1', '--max-objects', '3', '--no-cleanup']), 'bench write');
      ok(await ours(['-p', POOL, '-N', 'b', 'bench', '10', 'write', '-b', '512', '-t', '1', '--max-objects', '3', '--no-cleanup', '--run-name', 'rb']), 'bench write in b');
    };
    const lsAll = async (): Promise<string> => ok(await ours(['-p', POOL, 'ls', '--all']), 'ls').stdout.toString().split('\n').filter((l) => /bench/.test(l)).sort().join('\n');
    await write();
    const t = theirs(['-p', POOL, 'cleanup', '--all', '--run-name', 'rb']);
    const leftT = await lsAll();
    ok(await ours(['-p', POOL, 'cleanup', '--all']), 'cleanup of the rest');
    await write();
    const o = ok(await ours(['-p', POOL, 'cleanup', '--all', '--run-name', 'rb']), 'our cleanup');
    assert.equal(o.stdout.toString(), t.stdout.toString());
    assert.equal(o.stdout.toString(), 'Warning: using slow linear search\nRemoved 3 objects\nRemoved 3 objects\n');
    assert.equal(await lsAll(), leftT, 'the same objects are left (the default metadata object)');
    ok(await ours(['-p', POOL, 'rm', 'benchmark_last_metadata']), 'rm metadata');
  });
}
