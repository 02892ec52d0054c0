// Proves librados against real clusters on loopback. Our vstart monitor (port 17950): connect by conf
// and by monHost, pool create / list / lookup / delete through monitor commands. A real Ceph 16
// ceph-mon and ceph-osd (memstore; ports 17900-17939) runs test/librados/suites.ts' objectOpTests,
// Ceph's OSD the oracle: every IoCtx op round-trips and fails with Ceph's errno names, a per-op
// timeout fires while the OSD is frozen, and an op in flight when its OSD is marked down is resent
// once a later map shows the OSD up again (test/librados/vstart.test.ts runs the same on tsceph's
// daemons). LIBRADOS_KEEP=1 keeps the real cluster's directory.
import { strict as assert } from 'node:assert';
import { CephError, Rados } from '../../librados/index.js';
import { startRealCephCluster, type RealCephCluster } from '../support/real-ceph-cluster.js';
import { VstartCluster } from '../support/vstart-cluster.js';
import { objectOpTests, openTarget, type LibradosTarget } from './suites.js';

const MON_PORT = 17900;
const VSTART_PORT = 17950;
const POOL = 'lr';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CephError, `expected a CephError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('librados pool commands against a vstart monitor', function () {
  this.timeout(120000);
  let c: VstartCluster;
  let rados: Rados | null = null;
  before(async () => {
    c = VstartCluster.start(1, VSTART_PORT, 'tsceph-librados-');
    rados = await Rados.connect({ conf: c.conf });
  });
  after(async () => {
    await rados?.shutdown();
    c?.destroy();
  });

  it('connects by conf and by monHost, creates, lists, looks up and deletes pools', async () => {
    assert.ok(rados!.osdmap.epoch > 0);
    const id = await rados!.poolCreate('lr-a', 8);
    await rados!.poolCreate('lr-b', 8);
    assert.equal(rados!.poolLookup('lr-a'), id);
    assert.deepEqual(rados!.poolList(), ['lr-a', 'lr-b']);
    await rejectsWith(rados!.poolCreate('lr-a'), 'EEXIST');
    const r2 = await Rados.connect({ monHost: `v2:127.0.0.1:${VSTART_PORT}` });
    try {
      assert.equal(r2.poolLookup('lr-b'), rados!.poolLookup('lr-b'));
    } finally {
      await r2.shutdown();
    }
    await rejectsWith(Rados.connect({ monHost: '' }), 'ENOENT');
    await rejectsWith(Rados.connect({ monHost: `v2:127.0.0.1:${VSTART_PORT + 9}`, connectTimeoutMs: 500 }), 'ETIMEDOUT');
    await rados!.poolDelete('lr-a');
    assert.deepEqual(rados!.poolList(), ['lr-b']);
    assert.throws(() => rados!.poolLookup('lr-a'), (e: unknown) => e instanceof CephError && e.code === 'ENOENT');
    assert.throws(() => rados!.ioctx('lr-a'), (e: unknown) => e instanceof CephError && e.code === 'ENOENT');
    await rejectsWith(rados!.poolDelete('lr-a'), 'ENOENT');
  });
});

describe('librados object ops against a real ceph-mon and ceph-osd', function () {
  this.timeout(180000);
  let c: RealCephCluster | null = null;
  let t: LibradosTarget | null = null;

  before(async () => {
    c = await startRealCephCluster({
      name: 'librados', monPort: MON_PORT, osdPortMin: 17910, osdPortMax: 17939, osds: 1, objectstore: 'memstore', deviceBytes: 128 << 20,
      options: { osd_pool_default_size: '1', osd_pool_default_min_size: '1', mon_warn_on_pool_no_redundancy: 'false' },
    });
    t = await openTarget(c, POOL, MON_PORT);
  });

  after(async () => {
    await t?.rados.shutdown();
    await c?.stop(process.env.LIBRADOS_KEEP !== undefined);
  });

  objectOpTests(() => t!);
});
