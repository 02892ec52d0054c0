// Proves librados end to end on tsceph's own daemons: a vstart cluster (one tsceph monitor, one tsceph
// OSD; ports 22100-22199) runs test/librados/suites.ts' objectOpTests and operateTests (every IoCtx
// method, WriteOp / ReadOp builder and guard with Ceph's errnos, listing, pools, timeouts, a resend
// after a wrong mark-down, cluster and pool stats checked against Debian's rados df), the same tests
// a real Ceph OSD passes in librados.test.ts and operate.test.ts. LIBRADOS_VSTART_KEEP=1 keeps the
// cluster's directory.
import { Rados } from '../../librados/index.js';
import { OsdCluster } from '../support/osd-cluster.js';
import { objectOpTests, operateTests, type LibradosTarget } from './suites.js';

const PORT = 22100;
const POOL = 'lv';

describe('librados on a tsceph vstart cluster', function () {
  this.timeout(180000);
  let c: OsdCluster | null = null;
  let t: LibradosTarget | null = null;

  before(async () => {
    c = OsdCluster.start({ osds: 1, port: PORT, prefix: 'librados-vstart-' });
    const rados = await Rados.connect({ conf: c.conf });
    await rados.poolCreate(POOL, 8);
    const io = rados.ioctx(POOL);
    await io.writeFull('warmup', Buffer.from('x'), { timeoutMs: 90000 });
    const cl = c;
    t = { rados, io, pool: POOL, conf: c.conf, monHost: `v2:127.0.0.1:${PORT}`, signalOsd: (id, sig) => cl.signalOsd(id, sig), ceph: (args) => cl.ceph(args) };
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
