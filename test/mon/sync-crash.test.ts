// Proves a monitor killed in the middle of a full store sync starts again: the sync's erase removed the
// committed monmap and mkfs's, and Monitor.start must take the monmap the sync backed up under
// mon_sync/latest_monmap (as Ceph's obtain_monmap); before the fix it failed with "mon store holds no
// monmap" (found by the whole-cluster simulation, CLUSTER_SIM_SEED=3066106191). Store on a MemDevice.
import { strict as assert } from 'node:assert';
import { MemDevice } from '../../common/blockdev/index.js';
import { makeEntityAddr } from '../../common/entityaddr.js';
import { addMon, encodeMonMap, newMonMap } from '../../common/monmap/index.js';
import { MonStoreTx } from '../../mon/core/store.js';
import { Monitor, mkfsMonitor } from '../../mon/monitor.js';
import { MonStore } from '../../mon/store.js';

const PORT = 17961;

describe('monitor restart after a crash mid-sync', function () {
  this.timeout(30000);

  it('starts from the monmap the sync backed up when the committed one and mkfs\'s were erased', async () => {
    const monmap = newMonMap({ fsid: '7d1f0c3a-2b4e-4c5d-8e6f-9a0b1c2d3e4f', created: { sec: 1700000000, nsec: 0 }, enableAllFeatures: true, minMonRelease: 16 });
    addMon(monmap, 'a', [makeEntityAddr(2, '127.0.0.1', PORT, 0)]);
    const first = new MemDevice(16 << 20);
    await mkfsMonitor('', 'a', monmap, { dev: first });
    // what a sync leaves after its erase, cut short before any chunk arrived
    const mid = MemDevice.fromImage(first.bytes);
    const store = await MonStore.openOn(mid);
    assert.ok(store.mem.get('mkfs', 'monmap'), 'mkfs wrote its monmap');
    await store.applyAndPersist(new MonStoreTx()
      .put('mon_sync', 'in_sync', Buffer.from([1]))
      .put('mon_sync', 'latest_monmap', encodeMonMap(monmap))
      .erase('mkfs', 'monmap'));
    await store.close();
    // it starts (a lone monitor then waits for a peer to finish the sync from: not part of this test)
    const mon = await Monitor.start({ name: 'a', dataDir: '', device: MemDevice.fromImage(mid.bytes) });
    await mon.shutdown();
  });
});
