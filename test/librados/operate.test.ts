// Proves librados' compound operations against a real Ceph 16 ceph-mon + ceph-osd (memstore, ports
// 18400-18439), Ceph's OSD the oracle, with test/librados/suites.ts' operateTests: a WriteOp applies
// all its ops or none, a ReadOp fills each op's own value and rval, omap pages (start after, max,
// filter prefix, more), guards (assertExists, assertVersion, cmpext, cmpxattr, omapCmp) fail with
// Ceph's errnos, failOk lets one op fail alone, object versions follow writes, and clusterStats /
// poolStats answer as Ceph's rados df. LIBRADOS_KEEP=1 keeps the cluster's directory.
import { startRealCephCluster, type RealCephCluster } from '../support/real-ceph-cluster.js';
import { openTarget, operateTests, type LibradosTarget } from './suites.js';

const POOL = 'opx';

describe('librados operate() with WriteOp / ReadOp against a real ceph-osd', function () {
  this.timeout(180000);
  let c: RealCephCluster | null = null;
  let t: LibradosTarget | null = null;

  before(async () => {
    c = await startRealCephCluster({
      name: 'librados-operate', monPort: 18400, osdPortMin: 18410, osdPortMax: 18439, osds: 1, objectstore: 'memstore',
      options: { osd_pool_default_size: '1', osd_pool_default_min_size: '1', mon_warn_on_pool_no_redundancy: 'false' },
    });
    t = await openTarget(c, POOL, 18400);
  });

  after(async () => {
    await t?.rados.shutdown();
    await c?.stop(process.env.LIBRADOS_KEEP !== undefined);
  });

  operateTests(() => t!);
});
