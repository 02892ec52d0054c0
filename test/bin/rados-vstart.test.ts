// Proves every rados command and flag of issue 6, errors included, on tsceph's own daemons: a vstart
// cluster (one tsceph monitor, one tsceph OSD; ports 22000-22099) runs test/support/rados-cli.ts'
// radosCommandTests, where our rados and Debian's rados (the oracle, a Ceph 16 client of our daemons)
// must print the same and read back what the other wrote. RADOS_VSTART_KEEP=1 keeps the cluster's
// directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsdCluster } from '../support/osd-cluster.js';
import { radosCli, radosCommandTests } from '../support/rados-cli.js';
import { until } from '../support/vstart-cluster.js';

const PORT = 22000;
const POOL = 'rp';

describe('rados commands on a tsceph vstart cluster, Ceph\'s rados as the oracle', function () {
  this.timeout(240000);
  let c: OsdCluster | null = null;
  let dir = '';
  const { theirs } = radosCli(() => c!.conf);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rados-vstart-files-'));
    c = OsdCluster.start({ osds: 1, port: PORT, prefix: 'rados-vstart-' });
    const r = c.ceph(['osd', 'pool', 'create', POOL, '8']);
    if (r.status !== 0) throw new Error(`pool create: ${r.stderr}`);
    await until('pool writable', () => theirs(['-p', POOL, 'put', 'warmup', '-'], Buffer.from('w')).status === 0, 90000);
  });

  after(() => {
    c?.destroy({ keepDir: process.env.RADOS_VSTART_KEEP !== undefined });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) console.log(c.logTails(30));
  });

  radosCommandTests(() => ({ conf: c!.conf, dir }), POOL);
});
