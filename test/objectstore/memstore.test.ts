// Proves MemStore keeps the ObjectStore contract (the shared compliance suite, seeded random runs against
// the model) plus what is MemStore's own: contents kept across umount/mount of the instance, fsck finding
// objects outside their collection's hash range, memory() and statfs() accounting, and that the model
// comparison catches a store that gets one op wrong. Replay a random failure with STORE_SEED=<n>.

import assert from 'node:assert/strict';
import { MemStore } from '../../osd/objectstore/memstore.js';
import { makeObject, pgCollection, Transaction, type ObjectStore, type TxOp } from '../../osd/objectstore/types.js';
import { Rng } from '../support/rng.js';
import { compareStoreToModel, randomTransaction, StoreModel } from '../support/store-model.js';
import { complianceSuite } from './compliance.js';

complianceSuite('memstore', {
  async create(): Promise<ObjectStore> {
    const s = new MemStore();
    await s.mkfs();
    await s.mount();
    return s;
  },
  async remount(store: ObjectStore): Promise<ObjectStore> {
    await store.umount();
    await store.mount();
    return store;
  },
  async destroy(store: ObjectStore): Promise<void> {
    await store.umount();
  },
});

describe('MemStore', function () {
  const pg = pgCollection(1, 1);

  async function fresh(): Promise<MemStore> {
    const s = new MemStore({ totalBytes: 1 << 30 });
    await s.mkfs();
    await s.mount();
    return s;
  }

  it('keeps its contents across umount and mount of the instance; mkfs empties it', async function () {
    const s = await fresh();
    await s.queueTransaction(new Transaction().createCollection(pg, 1).write(pg, makeObject(1, 'a', 1), 0, Buffer.from('kept')));
    await s.umount();
    await s.mount();
    assert.deepEqual(await s.read(pg, makeObject(1, 'a', 1), 0, 0), Buffer.from('kept'));
    await s.umount();
    await s.mkfs();
    await s.mount();
    assert.deepEqual(await s.listCollections(), []);
  });

  it('fsck reports an object whose hash is outside its collection', async function () {
    const s = await fresh();
    await s.queueTransaction(new Transaction().createCollection(pg, 2).touch(pg, makeObject(1, 'in', 0x5)).touch(pg, makeObject(1, 'out', 0x6)));
    const r = await s.fsck();
    assert.equal(r.errors, 1);
    assert.equal(r.objects, 2);
    assert.match(r.problems[0]!.message, /out.*outside the collection/);
    await s.queueTransaction(new Transaction().remove(pg, makeObject(1, 'out', 0x6)));
    assert.equal((await s.fsck()).errors, 0);
  });

  it('statfs and memory() follow writes, truncates, clones and removes', async function () {
    const s = await fresh();
    const o = makeObject(1, 'm', 1);
    await s.queueTransaction(new Transaction().createCollection(pg, 1).write(pg, o, 0, Buffer.alloc(5000, 1)).setattr(pg, o, 'a', Buffer.alloc(100)));
    assert.equal((await s.statfs()).stored, 5000);
    assert.equal((await s.statfs()).available, (1 << 30) - 5000);
    await s.queueTransaction(new Transaction().clone(pg, o, { ...o, snap: 1 }).truncate(pg, o, 1000));
    assert.equal((await s.statfs()).stored, 6000);
    const m = s.memory();
    assert.equal(m.cachedObjects, 2);
    assert.ok(m.cacheBytes >= 6000 + 200, `cacheBytes ${m.cacheBytes}`);
    assert.equal(m.bytesPerObject, m.cacheBytes / 2);
    await s.queueTransaction(new Transaction().remove(pg, o).remove(pg, { ...o, snap: 1 }));
    assert.equal((await s.statfs()).stored, 0);
    assert.equal(s.memory().cachedObjects, 0);
    assert.equal((await s.fsck()).errors, 0, 'running totals match a recount');
  });

  it('the model comparison catches a store that drops one kind of op', async function () {
    // A MemStore that silently skips omapRmKeyRange: the random run must notice.
    class Lossy extends MemStore {
      override async queueTransaction(t: Transaction): Promise<void> {
        const kept = new Transaction();
        for (const op of t.ops) if (op.op !== 'omapRmKeyRange') (kept.ops as TxOp[]).push(op);
        return super.queueTransaction(kept);
      }
    }
    const s = new Lossy();
    await s.mkfs();
    await s.mount();
    const model = new StoreModel();
    const rng = new Rng(42);
    let caught: Error | undefined;
    for (let i = 0; i < 400 && !caught; i++) {
      const t = randomTransaction(rng, model);
      try {
        model.apply(t);
      } catch {
        continue;
      }
      await s.queueTransaction(t);
      try {
        await compareStoreToModel(s, model, `iteration=${i}`);
      } catch (e) {
        caught = e as Error;
      }
    }
    assert.ok(caught, 'a lost omapRmKeyRange went unnoticed');
    assert.match(caught.message, /omap/);
  });
});
