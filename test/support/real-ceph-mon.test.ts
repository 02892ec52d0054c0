// Proves the real-Ceph oracle harness works: it starts Debian's ceph-mon with auth none on loopback,
// Ceph's own CLI gets a quorum status from it, and stop() ends the process it started.
import { strict as assert } from 'node:assert';
import { startRealCephMon } from './real-ceph-mon.js';

describe('test support: real ceph-mon', function () {
  this.timeout(60000);
  it('starts, answers the ceph CLI, and stops by PID', async () => {
    const mon = await startRealCephMon({ port: 17490 });
    try {
      const r = mon.ceph(['quorum_status', '-f', 'json']);
      assert.equal(r.status, 0, r.stderr);
      const q = JSON.parse(r.stdout.toString()) as { quorum_names: string[]; monmap: { fsid: string } };
      assert.deepEqual(q.quorum_names, ['a']);
      assert.equal(q.monmap.fsid, mon.fsid);
    } finally {
      await mon.stop();
    }
    assert.throws(() => process.kill(mon.pid, 0));
  });
});
