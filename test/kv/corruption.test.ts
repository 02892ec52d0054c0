// Proves bit flips are caught: flips in tree pages, value pages and committed journal records surface as EIO (or, for the journal's last record, a replay that ends cleanly before it), never as wrong data; a flip in a header block costs nothing; fsck names the damage. Env: KV_SEED=<n> replays one seed; KV_FLIP_ITERATIONS=<n> sets the rounds (default 40).
import { strict as assert } from 'node:assert';
import { FaultyDevice } from '../../common/blockdev/index.js';
import { KVBatch, MemKV, formatKV, fsckKV, openKV, type DeviceKV } from '../../common/kv/index.js';
import { Rng, caseSeed } from '../support/rng.js';
import { envInt, randKey, randValue } from './helpers.js';

const REGION = { offset: 0, length: 4 * 1024 * 1024 };

function isEIO(e: unknown): boolean {
  return (e as { code?: string }).code === 'EIO';
}

/** A store of ~150 keys, some values large, checkpointed; and the model of it. */
async function build(rng: Rng): Promise<{ dev: FaultyDevice; model: MemKV; keys: Buffer[] }> {
  const dev = new FaultyDevice(REGION.length, rng, { asyncFlush: false });
  await formatKV(dev, REGION, { journalBytes: 1024 * 1024 });
  const kv = await openKV(dev, REGION);
  const model = new MemKV();
  for (let i = 0; i < 40; i++) {
    const b = new KVBatch();
    for (let j = 0; j < 5; j++) b.set(randKey(rng, 300), randValue(rng));
    if (b.bytes > kv.batchBytesMax) continue;
    await kv.submit(b);
    await model.submit(b);
  }
  await kv.close();
  const keys = (await model.list(Buffer.alloc(0), undefined, 1e6)).map((e) => e.key);
  return { dev, model, keys };
}

/** Every read either returns the model's bytes or throws EIO; returns how many threw. */
async function readAll(kv: DeviceKV, model: MemKV, keys: Buffer[], what: string): Promise<number> {
  let eio = 0;
  for (const k of keys) {
    try {
      const got = await kv.get(k);
      const want = await model.get(k);
      assert.ok(got !== undefined && want !== undefined && got.equals(want), `${what}: wrong data for key ${k.toString('hex')}`);
    } catch (e) {
      if (!isEIO(e)) throw e;
      eio++;
    }
  }
  try {
    const all = await kv.list(Buffer.alloc(0), undefined, 1e6);
    const want = await model.list(Buffer.alloc(0), undefined, 1e6);
    assert.equal(all.length, want.length, `${what}: list length`);
    all.forEach((e, i) => assert.ok(e.key.equals(want[i]!.key) && e.value.equals(want[i]!.value), `${what}: list entry ${i}`));
  } catch (e) {
    if (!isEIO(e)) throw e;
    eio++;
  }
  return eio;
}

describe('kv: bit flips', function () {
  this.timeout(120000);
  const only = process.env.KV_SEED;
  const rounds = envInt('KV_FLIP_ITERATIONS', 40);
  const seeds = only ? [Number(only)] : Array.from({ length: rounds }, (_, i) => caseSeed(0x666c6970, i));

  it(`flips in tree and value pages are EIO, never data (${seeds.length} seeds)`, async () => {
    let detected = 0;
    for (const seed of seeds) {
      const rng = new Rng(seed);
      const { dev, model, keys } = await build(rng);
      const probe = await openKV(dev, REGION);
      const runs = await probe.usedRuns();
      const { pageOffset } = probe.layout();
      const run = rng.pick(runs);
      dev.flipBits(rng.int(1, 3), pageOffset + run.slot * 4096, run.pages * 4096);
      let kv: DeviceKV;
      try {
        kv = await openKV(dev, REGION);
      } catch (e) {
        assert.ok(isEIO(e), `seed=${seed}: open after a flip in a ${run.kind} page failed with ${(e as Error).message}`);
        detected++;
        const report = await fsckKV(dev, REGION);
        assert.ok(report.errors.length > 0, `seed=${seed}: fsck found nothing`);
        continue;
      }
      const eio = await readAll(kv, model, keys, `seed=${seed} (${run.kind} page ${run.slot})`);
      const report = await kv.fsck();
      if (eio > 0) {
        detected++;
        assert.ok(report.errors.length > 0, `seed=${seed}: reads saw EIO but fsck found nothing`);
      }
    }
    // Values are checked over their bytes only: a flip in a value's zero padding changes nothing. Most flips land in data.
    assert.ok(detected >= seeds.length / 2, `only ${detected} of ${seeds.length} flips were detected`);
  });

  it('a flip in a committed journal record followed by others is EIO; in the last record, replay ends before it', async () => {
    for (const seed of seeds.slice(0, 10)) {
      const rng = new Rng(seed);
      const dev = new FaultyDevice(REGION.length, rng, { asyncFlush: false });
      await formatKV(dev, REGION, { journalBytes: 1024 * 1024 });
      const kv = await openKV(dev, REGION, { cacheBytesMax: 64 * 1024 * 1024 });
      const model = new MemKV();
      const models: string[] = [];
      const { journalOffset } = kv.layout();
      const positions: number[] = [];
      // Bytes the record's crc covers (its zero padding to a sector is not data): header, batch header, op.
      const covered: number[] = [];
      for (let i = 0; i < 12; i++) {
        const b = new KVBatch().set(Buffer.from(`key${i % 5}`), Buffer.alloc(rng.int(10, 3000), i + 1));
        // Sequential submits: one batch per record, record i at the head before its submit.
        positions.push(kv.journalWindow().headLsn);
        covered.push(64 + 8 + 9 + `key${i % 5}`.length + (b.ops[0] as { value: Buffer }).value.length);
        await kv.submit(b);
        await model.submit(b);
        models.push(JSON.stringify((await model.list(Buffer.alloc(0), undefined, 100)).map((e) => [e.key.toString(), e.value.length, e.value[0]])));
      }
      const image = dev.currentImage();
      // A middle record.
      const mid = rng.int(0, 9);
      const d1 = FaultyDevice.fromImage(image, rng);
      d1.flipBits(1, journalOffset + positions[mid]! + 8, covered[mid]! - 8);
      await assert.rejects(openKV(d1, REGION), (e: Error) => isEIO(e) && /journal/.test(e.message), `seed=${seed}: flip in record ${mid}`);
      // The last record: replay stops before it, the state is the one after batch 10.
      const d2 = FaultyDevice.fromImage(image, rng);
      d2.flipBits(1, journalOffset + positions[11]! + 8, covered[11]! - 8);
      const kv2 = await openKV(d2, REGION);
      const got = JSON.stringify((await kv2.list(Buffer.alloc(0), undefined, 100)).map((e) => [e.key.toString(), e.value.length, e.value[0]]));
      assert.equal(got, models[10], `seed=${seed}: state after a flip in the last record`);
    }
  });

  it('a flip in either header block changes nothing', async () => {
    const rng = new Rng(only ? Number(only) : 99);
    const { dev, model, keys } = await build(rng);
    for (let i = 0; i < 20; i++) {
      const img = FaultyDevice.fromImage(dev.currentImage(), rng);
      img.flipBits(1, rng.pick([0, 4096]), 4096);
      const kv = await openKV(img, REGION);
      assert.equal(await readAll(kv, model, keys, `header flip ${i}`), 0);
    }
  });
});
