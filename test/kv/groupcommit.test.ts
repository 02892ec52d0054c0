// Proves group commit: concurrent submits share journal writes and device flushes (counted by the store and by the device), and each resolves only once its batch is durable.
import { strict as assert } from 'node:assert';
import { FaultyDevice, MemDevice } from '../../common/blockdev/index.js';
import { KVBatch, formatKV, openKV } from '../../common/kv/index.js';
import { Rng } from '../support/rng.js';

const REGION = { offset: 0, length: 8 * 1024 * 1024 };

describe('kv: group commit', () => {
  it('32 concurrent submits take far fewer flushes than batches', async () => {
    const dev = new MemDevice(REGION.length);
    await formatKV(dev, REGION);
    const kv = await openKV(dev, REGION);
    for (let round = 0; round < 3; round++) {
      const before = kv.stats();
      const groupsBefore = kv.journalGroups;
      await Promise.all(
        Array.from({ length: 32 }, (_, i) => kv.submit(new KVBatch().set(Buffer.from(`k${round}-${i}`), Buffer.alloc(100 + i, i)))),
      );
      const after = kv.stats();
      const batches = after.batches - before.batches;
      const flushes = after.flushes - before.flushes;
      const groups = kv.journalGroups - groupsBefore;
      assert.equal(batches, 32);
      assert.ok(flushes <= 4, `32 batches took ${flushes} flushes (${groups} journal groups)`);
    }
    for (let i = 0; i < 32; i++) assert.equal((await kv.get(Buffer.from(`k2-${i}`)))?.length, 100 + i);
    await kv.close();
  });

  it('a submit resolves only after a flush covering its record (FaultyDevice crash right after)', async () => {
    const rng = new Rng(7);
    const dev = new FaultyDevice(REGION.length, rng);
    await formatKV(dev, REGION);
    const kv = await openKV(dev, REGION);
    const acked: number[] = [];
    const all = Array.from({ length: 64 }, (_, i) => kv.submit(new KVBatch().set(Buffer.from(`k${i}`), Buffer.from(`v${i}`))).then(() => void acked.push(i)));
    // Crash as soon as batch 15 is acknowledged (no timer): every batch acknowledged by then must be durable.
    await all[15];
    assert.ok(acked.length >= 16, `only ${acked.length} acknowledged`);
    const image = dev.crash();
    const kv2 = await openKV(new MemDevice(image.length, image), REGION);
    for (const i of acked) assert.equal((await kv2.get(Buffer.from(`k${i}`)))?.toString(), `v${i}`, `acked batch ${i} lost`);
  });
});
