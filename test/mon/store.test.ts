// Proves the monitor's durable store keeps what it acknowledged: transactions persisted to the KV file
// come back whole after a reopen, keys keep Ceph's prefix\0key form, erase ranges apply per prefix in
// byte order, and a missing store, a second mkfs or a foreign backend is a clear error.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MonStoreTx } from '../../mon/core/store.js';
import { MonStore, storeKey } from '../../mon/store.js';
import { rejectsCeph } from '../support/ceph-error.js';

describe('mon store (KV file)', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'monstore-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('persists transactions and reloads them into the mirror', async () => {
    await MonStore.mkfs(dir, 64 << 20);
    let s = await MonStore.open(dir);
    const tx = new MonStoreTx().put('paxos', '1', Buffer.from('v1')).putNumber('paxos', 'last_committed', 1).put('osdmap', 'full_1', Buffer.alloc(100000, 7));
    await s.applyAndPersist(tx);
    const tx2 = new MonStoreTx();
    for (let i = 0; i < 5000; i++) tx2.put('many', String(i), Buffer.from([i & 255]));
    tx2.eraseRange('many', '10', '11');
    await s.applyAndPersist(tx2);
    const before = s.mem.entries();
    await s.close();
    s = await MonStore.open(dir);
    assert.deepEqual(s.mem.entries(), before);
    assert.equal(s.mem.getNumber('paxos', 'last_committed'), 1);
    assert.equal(s.mem.get('osdmap', 'full_1')!.length, 100000);
    assert.equal(s.mem.exists('many', '10'), false);
    assert.equal(s.mem.exists('many', '100'), false, '"100" sorts inside [10, 11) as bytes');
    assert.equal(s.mem.exists('many', '11'), true);
    await s.close();
  });

  it('uses prefix NUL key on disk', () => {
    assert.deepEqual(storeKey('paxos', '12'), Buffer.from('paxos\u000012'));
  });

  it('refuses a missing store, a second mkfs and a foreign backend', async () => {
    await rejectsCeph(MonStore.open(dir), 'ENOENT');
    await MonStore.mkfs(dir, 64 << 20);
    await rejectsCeph(MonStore.mkfs(dir, 64 << 20), 'EEXIST');
    writeFileSync(join(dir, 'kv_backend'), 'rocksdb\n');
    await rejectsCeph(MonStore.open(dir), 'EINVAL');
  });

  it('MonStoreTx encodes as Ceph and decodes back', () => {
    const tx = new MonStoreTx().put('p', 'k', Buffer.from([1, 2])).erase('p', 'x').eraseRange('p', 'a', 'b');
    const enc = tx.encode();
    // struct header v2 compat1 len, u32 3 ops; first op: v2 c1 len, type 1, "p", "k", bl [1,2], "" endkey
    assert.deepEqual([...enc.subarray(0, 6)], [2, 1, enc.length - 6, 0, 0, 0]);
    assert.equal(enc.readUInt32LE(6), 3);
    const op0 = enc.subarray(10);
    assert.deepEqual([...op0.subarray(0, 2)], [2, 1]);
    assert.equal(op0[6], 1);
    assert.deepEqual([...op0.subarray(7, 12)], [1, 0, 0, 0, 'p'.charCodeAt(0)]);
    const back = MonStoreTx.decode(enc);
    assert.deepEqual(back.ops, tx.ops);
    assert.equal(back.keys, 3);
  });
});
