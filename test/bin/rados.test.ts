// Proves bin/rados against Debian's Ceph 16 `rados` as the oracle: both run against one real cluster
// (ceph-mon, ceph-osd on memstore, ceph-mgr for pool stats; ports 18450-18489) and must print the same
// stdout, stderr and exit status for every command of test/support/rados-cli.ts' radosCommandTests
// (object, xattr, omap, listing, df, bench, cleanup, errors), read back what the other wrote, and
// bench objects written by ours pass Ceph's own `bench seq` content check. RADOS_CLI_KEEP=1 keeps the
// cluster's directory.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byteU, hexdump, benchContents, decodeBenchMeta, encodeBenchMeta } from '../../bin/rados.js';
import { ok, radosCli, radosCommandTests } from '../support/rados-cli.js';
import { startRealCephCluster, type RealCephCluster } from '../support/real-ceph-cluster.js';
import { until } from '../support/vstart-cluster.js';

const POOL = 'rp';

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
  const { theirs } = radosCli(() => c!.conf);

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

  radosCommandTests(() => ({ conf: c!.conf, dir }), POOL);
});
