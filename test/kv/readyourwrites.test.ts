// Proves the KVStore contract's read-your-writes on the device engine: a get or list issued right after submit() returned (its promise not yet settled) sees the batch, under a checkpoint-heavy load, compared with MemKV.
import { strict as assert } from 'node:assert';
import { MemDevice } from '../../common/blockdev/index.js';
import { KVBatch, MemKV, formatKV, openKV } from '../../common/kv/index.js';
import { Rng, caseSeed } from '../support/rng.js';
import { assertSameState, randBatch } from './helpers.js';

const REGION = { offset: 0, length: 8 * 1024 * 1024 };
/** Room for batches of up to 4 ops of 100 KiB values (the batch limit is a quarter of the journal). */
const BIG_REGION = { offset: 0, length: 32 * 1024 * 1024 };

describe('kv: read-your-writes', () => {
  it('a get right after an unawaited submit sees the value', async () => {
    const dev = new MemDevice(REGION.length);
    await formatKV(dev, REGION);
    const kv = await openKV(dev, REGION);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const key = Buffer.from(`key-${i % 37}`);
      const value = Buffer.from(`value-${i}`);
      pending.push(kv.submit(new KVBatch().set(key, value)));
      assert.deepEqual(await kv.get(key), value, `get after submit ${i}`);
      pending.push(kv.submit(new KVBatch().rmRange(Buffer.from('key-3'), Buffer.from('key-4'))));
      const listed = await kv.list(Buffer.from('key-3'), Buffer.from('key-4'), 100);
      assert.equal(listed.length, 0, `list after rmRange ${i}`);
    }
    await Promise.all(pending);
    await kv.close();
  });

  it('random batches, each read back before it is durable, match MemKV', async () => {
    const seed = caseSeed(20261130, 7);
    const rng = new Rng(seed);
    const dev = new MemDevice(BIG_REGION.length);
    await formatKV(dev, BIG_REGION);
    const kv = await openKV(dev, BIG_REGION, { cacheBytesMax: 1024 * 1024 });
    const model = new MemKV();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      const batch = randBatch(rng, 4);
      pending.push(kv.submit(batch));
      await model.submit(batch);
      for (const op of batch.ops) {
        if (op.op !== 'set') continue;
        assert.deepEqual(await kv.get(op.key), await model.get(op.key), `seed=${seed} batch ${i}`);
      }
    }
    await Promise.all(pending);
    await assertSameState(kv, model, `seed=${seed}`);
    await kv.close();
  });
});
