// Proves the monitor cluster survives what Paxos promises with real processes on loopback: three
// tsceph ceph-mon daemons (started by vstart) form a quorum; kill -9 of the leader elects a new leader
// that commits map changes; the killed monitor restarts and catches up; with two of three down, a
// command fails with a clear timeout and nothing is committed. Driven through our own ceph CLI.
import { strict as assert } from 'node:assert';
import { VstartCluster, until } from '../support/vstart-cluster.js';

describe('monitor cluster: 3 real ceph-mon processes', function () {
  this.timeout(300000);
  let c: VstartCluster;
  before(() => { c = VstartCluster.start(3, 17420, 'tsceph-monclu-'); });
  after(() => c?.destroy());

  it('kill -9 of the leader: a new leader commits, the old one rejoins and catches up; no quorum means a timeout and no commit', async () => {
    const q0 = await c.quorumOf(['a', 'b', 'c']);
    const leader = q0.quorum_leader_name;
    c.kill9(leader);

    const q1 = await until('a new leader', () => { const q = c.quorum(); return q && q.quorum_names.length === 2 && q.quorum_leader_name !== leader ? q : null; });
    assert.ok(!q1.quorum_names.includes(leader));
    const created = c.ceph(['osd', 'pool', 'create', 'after-kill', '8'], { timeoutS: 30 });
    assert.equal(created.status, 0, created.stderr);

    c.startMon(leader);
    await c.quorumOf(['a', 'b', 'c']);
    // Ask the restarted monitor itself (reads are served locally): it has the commit made while it was dead.
    await until('the restarted monitor to list the pool', () => {
      const r = c.ceph(['osd', 'pool', 'ls'], { mon: leader, timeoutS: 10 });
      return r.status === 0 && r.stdout.split('\n').includes('after-kill');
    });

    // Two of three down: the survivor cannot commit; the command times out with a clear error.
    const victims = c.quorum()!.quorum_names.slice(0, 2);
    const survivor = c.names.find((n) => !victims.includes(n))!;
    for (const v of victims) c.kill9(v);
    const t0 = Date.now();
    const r = c.ceph(['osd', 'pool', 'create', 'no-quorum', '8'], { mon: survivor, timeoutS: 5 });
    assert.notEqual(r.status, 0, 'a write without a quorum must fail');
    assert.match(r.stderr, /timed out|ETIMEDOUT/i, r.stderr);
    assert.ok(Date.now() - t0 < 45000, 'fails within the connect timeout plus margin');

    // Bring one victim back: a quorum of two again, and the failed write is not there.
    c.startMon(victims[0]!);
    await c.quorumOf([survivor, victims[0]!]);
    const after = c.ceph(['osd', 'pool', 'ls']);
    assert.equal(after.status, 0, after.stderr);
    assert.ok(after.stdout.split('\n').includes('after-kill'));
    assert.ok(!after.stdout.split('\n').includes('no-quorum'), 'nothing committed without a quorum');
  });
});
