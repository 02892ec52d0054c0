// Proves librados end to end on tsceph's own daemons: a vstart cluster (one tsceph monitor, one tsceph
// OSD; ports 22100-22199) runs test/librados/suites.ts' objectOpTests and operateTests (every IoCtx
// method, WriteOp / ReadOp builder and guard with Ceph's errnos, listing, pools, timeouts, a resend
// after a wrong mark-down, cluster and pool stats checked against Debian's rados df), the same tests
// a real Ceph OSD passes in librados.test.ts and operate.test.ts. LIBRADOS_VSTART_KEEP=1 keeps the
// cluster's directory.
import { OsdCluster } from '../support/osd-cluster.js';
import { objectOpTests, openTarget, operateTests, type LibradosTarget } from './suites.js';

const PORT = 22100;
const POOL = 'lv';

describe('librados on a tsceph vstart cluster', function () {
  this.timeout(180000);
  let c: OsdCluster | null = null;
  let t: LibradosTarget | null = null;

  before(async () => {
    c = OsdCluster.start({ osds: 1, port: PORT, prefix: 'librados-vstart-' });
    t = await openTarget(c, POOL, PORT);
  });

  after(async () => {
    await t?.rados.shutdown();
    c?.destroy({ keepDir: process.env.LIBRADOS_VSTART_KEEP !== undefined });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) console.log(c.logTails(30));
  });

  describe('object ops', () => objectOpTests(() => t!));
  describe('compound operations', () => operateTests(() => t!));
});
