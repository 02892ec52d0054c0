// Proves DeviceKV matches MemKV: seeded random batches (set/rm/rmRange over shared-prefix keys, values 0 B..100 KiB) with get/list checks and reopens at random points. Env: KV_SEED=<n> replays one seed; KV_MODEL_OPS=<n> sets batches per seed.
import { strict as assert } from 'node:assert';
import { MemDevice } from '../../common/blockdev/index.js';
import { KVBatch, MemKV, formatKV, openKV, type DeviceKV } from '../../common/kv/index.js';
import { Rng, caseSeed } from '../support/rng.js';
import { assertSameState, envInt, randBatch, randKey } from './helpers.js';

const REGION = { offset: 8192, length: 24 * 1024 * 1024 };

async function runSeed(seed: number, batches: number): Promise<void> {
  const rng = new Rng(seed);
  let dev = new MemDevice(REGION.offset + REGION.length + 4096);
  await formatKV(dev, REGION, { journalBytes: 1024 * 1024 });
  const cacheBytesMax = rng.chance(0.5) ? 1024 * 1024 : 8 * 1024 * 1024;
  let kv: DeviceKV = await openKV(dev, REGION, { cacheBytesMax });
  const model = new MemKV();
  let lastSync = true;
  for (let i = 0; i < batches; i++) {
    try {
      await step(i);
    } catch (e) {
      (e as Error).message = `seed=${seed} batch ${i}: ${(e as Error).message}`;
      throw e;
    }
  }
  async function step(i: number): Promise<void> {
    const b = randBatch(rng, 12, rng.chance(0.1) ? 4000 : 400);
    const sync = rng.chance(0.8);
    if (b.bytes > kv.batchBytesMax) {
      await assert.rejects(kv.submit(b, sync), (e: Error & { code?: string }) => e.code === 'E2BIG', `seed=${seed} batch ${i}: E2BIG`);
      return;
    }
    await Promise.all([kv.submit(b, sync), model.submit(b)]);
    lastSync = sync;
    if (rng.chance(0.3)) {
      const k = randKey(rng);
      const [a, w] = await Promise.all([kv.get(k), model.get(k)]);
      assert.deepEqual(a?.toString('hex'), w?.toString('hex'), `seed=${seed} batch ${i}: get ${k.toString('hex')}`);
    }
    if (rng.chance(0.1)) {
      const s = randKey(rng);
      const e = rng.chance(0.5) ? undefined : randKey(rng);
      const max = rng.int(1, 50);
      const [a, w] = await Promise.all([kv.list(s, e, max), model.list(s, e, max)]);
      assert.deepEqual(a.map((x) => x.key.toString('hex') + '=' + x.value.toString('hex').slice(0, 16)), w.map((x) => x.key.toString('hex') + '=' + x.value.toString('hex').slice(0, 16)), `seed=${seed} batch ${i}: list`);
    }
    if (rng.chance(0.02)) await kv.checkpoint();
    if (rng.chance(0.03)) {
      if (lastSync && rng.chance(0.5)) {
        // As after a crash: a copy of the device now (every batch so far durable, a checkpoint maybe half
        // written); the old instance runs on against the old device, unseen.
        dev = MemDevice.fromImage(dev.bytes);
      } else await kv.close();
      kv = await openKV(dev, REGION, { cacheBytesMax });
      await assertSameState(kv, model, `seed=${seed} after reopen at batch ${i}`);
    }
    assert.equal(kv.stats().keys, model.stats().keys, `seed=${seed} batch ${i}: key count`);
    assert.ok(kv.stats().cacheBytes <= cacheBytesMax * 1.5, `seed=${seed} batch ${i}: cache ${kv.stats().cacheBytes} over ${cacheBytesMax}`);
  }
  await assertSameState(kv, model, `seed=${seed} at the end`);
  const report = await kv.fsck();
  assert.deepEqual(report.errors, [], `seed=${seed}: fsck`);
  await kv.close();
  const again = await openKV(dev, REGION, { cacheBytesMax });
  await assertSameState(again, model, `seed=${seed} after close and reopen`);
}

describe('kv: DeviceKV against MemKV', function () {
  this.timeout(120000);
  const only = process.env.KV_SEED;
  const batches = envInt('KV_MODEL_OPS', 700);
  const seeds = only ? [Number(only)] : [0, 1, 2, 3].map((i) => caseSeed(0x6b76, i));
  for (const seed of seeds) {
    it(`seed=${seed}: ${batches} random batches, gets, lists, reopens`, async () => {
      await runSeed(seed, batches);
    });
  }

  it(`huge keys (up to the 16 KiB limit) make multi-page nodes and deep trees, and still match MemKV`, async () => {
    const seed = only ? Number(only) : 0x6b6579;
    const rng = new Rng(seed);
    const dev = new MemDevice(REGION.offset + REGION.length);
    await formatKV(dev, REGION, { journalBytes: 4 * 1024 * 1024 });
    let kv = await openKV(dev, REGION, { cacheBytesMax: 1024 * 1024 });
    const model = new MemKV();
    const keyOf = (n: number): Buffer => {
      // Long shared prefixes so separators stay long too.
      const len = rng.chance(0.3) ? rng.int(8000, 16 * 1024) : rng.int(1000, 6000);
      const k = Buffer.alloc(len, 0x61);
      k.write(n.toString(36).padStart(6, '0'), len - 6, 'latin1');
      return k;
    };
    for (let i = 0; i < 150; i++) {
      const b = new KVBatch();
      for (let j = 0; j < 4; j++) {
        const k = keyOf(rng.int(0, 300));
        if (rng.chance(0.8)) b.set(k, Buffer.alloc(rng.int(0, 2000), i & 0xff));
        else b.rm(k);
      }
      await kv.submit(b);
      await model.submit(b);
      if (i % 50 === 49) {
        await kv.close();
        kv = await openKV(dev, REGION, { cacheBytesMax: 1024 * 1024 });
        await assertSameState(kv, model, `seed=${seed} huge keys, batch ${i}`);
      }
    }
    const report = await kv.fsck();
    assert.deepEqual(report.errors, [], `seed=${seed}: fsck`);
    assert.ok(report.depth >= 3, `depth ${report.depth}`);
    assert.ok((await kv.usedRuns()).some((r) => r.kind === 'node' && r.pages > 1), 'no multi-page node was made');
    await assertSameState(kv, model, `seed=${seed} huge keys at the end`);
  });

  it('handles an empty store, empty values, a largest key and a huge value', async () => {
    const dev = new MemDevice(REGION.offset + REGION.length);
    await formatKV(dev, REGION, { journalBytes: 8 * 1024 * 1024 });
    let kv = await openKV(dev, REGION);
    assert.equal(await kv.get(Buffer.from('x')), undefined);
    assert.deepEqual(await kv.list(Buffer.alloc(0), undefined, 10), []);
    const big = Buffer.alloc(16 * 1024, 7);
    const huge = Buffer.alloc(1024 * 1024 + 3, 9);
    await kv.submit(new KVBatch().set(Buffer.alloc(0), Buffer.alloc(0)).set(big, huge).set(Buffer.concat([big.subarray(1), Buffer.from('a')]), Buffer.from('v')));
    await kv.close();
    kv = await openKV(dev, REGION);
    assert.equal((await kv.get(Buffer.alloc(0)))?.length, 0);
    assert.ok((await kv.get(big))?.equals(huge));
    assert.equal((await kv.list(Buffer.alloc(0), undefined, 10)).length, 3);
    assert.deepEqual((await kv.fsck()).errors, []);
  });
});
