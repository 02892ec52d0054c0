// Proves crash safety: random concurrent batches on a FaultyDevice that crashes after a random number of writes/flushes (losing or tearing unflushed writes at sectors); after each reopen every acknowledged batch is there whole and the state equals MemKV after some prefix of the submitted batches, and fsck is clean; a quarter of the reopens crash again during recovery. Env: KV_CRASH_ITERATIONS=<n> cycles (default 150), KV_SEED=<n> replays one seed, KV_RUN_SEED=<n> draws a different set of seeds.
import { strict as assert } from 'node:assert';
import { FaultyDevice, type BlockDevice } from '../../common/blockdev/index.js';
import { KVBatch, MemKV, formatKV, openKV, type DeviceKV } from '../../common/kv/index.js';
import { Rng, caseSeed } from '../support/rng.js';
import { dump, envInt, randBatch } from './helpers.js';

const REGION = { offset: 4096, length: 4 * 1024 * 1024 };
const DEVICE_BYTES = REGION.offset + REGION.length + 4096;

function stateKey(entries: { key: Buffer; value: Buffer }[]): string {
  return entries.map((e) => `${e.key.toString('hex')}=${e.value.length}:${crcish(e.value)}`).join(',');
}

function crcish(b: Buffer): string {
  let h = 2166136261;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 16777619);
  return (h >>> 0).toString(16);
}

/** Smallest-key-space batches so that batches overlap a lot, now and then a large value. */
function crashBatch(rng: Rng, bytesMax: number): KVBatch {
  for (;;) {
    const b = randBatch(rng, 6, 60);
    if (b.bytes <= bytesMax) return b;
  }
}

/**
 * The store's view of a FaultyDevice, cut loose after its crash. A crashed device's calls never settle;
 * a store left waiting on them stays reachable from the device's pending promises for the rest of the
 * run, with all it holds. Here the store waits on promises of this view only, which sever() forgets.
 */
class Severable implements BlockDevice {
  readonly size: number;
  readonly name: string;
  private inner: FaultyDevice | null;
  private readonly waits = new Map<number, { res: (v: never) => void; rej: (e: unknown) => void }>();
  private nextId = 0;
  constructor(inner: FaultyDevice) {
    this.inner = inner;
    this.size = inner.size;
    this.name = inner.name;
  }
  sever(): void {
    this.inner = null;
    this.waits.clear();
  }
  private wrap<T>(call: (d: FaultyDevice) => Promise<T>): Promise<T> {
    const d = this.inner;
    if (!d) return new Promise<T>(() => undefined);
    const id = this.nextId++;
    const p = new Promise<T>((res, rej) => this.waits.set(id, { res: res as (v: never) => void, rej }));
    call(d).then(
      (v) => {
        const w = this.waits.get(id);
        this.waits.delete(id);
        w?.res(v as never);
      },
      (e: unknown) => {
        const w = this.waits.get(id);
        this.waits.delete(id);
        w?.rej(e);
      },
    );
    return p;
  }
  read(offset: number, length: number): Promise<Buffer> {
    // A copy: the device's reads may be views of its whole image.
    return this.wrap((d) => d.read(offset, length).then((b) => Buffer.from(b)));
  }
  readInto(offset: number, into: Buffer): Promise<void> {
    return this.wrap((d) => d.readInto(offset, into));
  }
  write(offset: number, data: readonly Buffer[]): Promise<void> {
    return this.wrap((d) => d.write(offset, data));
  }
  flush(): Promise<void> {
    return this.wrap((d) => d.flush());
  }
  close(): Promise<void> {
    return this.inner ? this.inner.close() : Promise.resolve();
  }
}

const totals = { crashes: 0, submitted: 0, acked: 0, torn: 0, dropped: 0, recoveryCrashes: 0 };

async function cycle(seed: number): Promise<string> {
  const rng = new Rng(seed);
  let dev = new FaultyDevice(DEVICE_BYTES, rng, { jitter: rng.chance(0.5) });
  await formatKV(dev, REGION, { journalBytes: 512 * 1024 });
  // What the store holds for sure: the state after `durable` batches of `submitted`.
  const submitted: KVBatch[] = [];
  let durable = 0;
  const crashes = rng.int(1, 3);
  let summary = '';
  for (let c = 0; c < crashes; c++) {
    if (c > 0 && rng.chance(0.25)) {
      // Crash again during recovery (replay's checkpoint, the journal-end clearing): nothing may be lost.
      const during = new Severable(dev);
      const crashedAgain = dev.crashAfter(rng.int(1, 6));
      const image = await Promise.race([crashedAgain, openKV(during, REGION, { cacheBytesMax: 1024 * 1024 }).then(() => null)]);
      during.sever();
      if (image) {
        totals.recoveryCrashes++;
        dev = FaultyDevice.fromImage(image, rng, { jitter: rng.chance(0.5) });
      } else dev = FaultyDevice.fromImage(dev.crash(), rng);
    }
    const view = new Severable(dev);
    const kv: DeviceKV = await openKV(view, REGION, { cacheBytesMax: 1024 * 1024 });
    // Check the recovered state against the prefixes of the submitted batches.
    const got = stateKey(await dump(kv));
    const model = new MemKV();
    for (let i = 0; i < durable; i++) await model.submit(submitted[i]!);
    let match = -1;
    for (let p = durable; ; p++) {
      if (stateKey(await dump(model)) === got) {
        match = p;
        break;
      }
      if (p >= submitted.length) break;
      await model.submit(submitted[p]!);
    }
    assert.ok(match >= 0, `seed=${seed} crash ${c}: recovered state is no prefix of the ${submitted.length} submitted batches at or after the ${durable} acknowledged`);
    const fsck = await kv.fsck();
    assert.deepEqual(fsck.errors, [], `seed=${seed} crash ${c}: fsck`);
    // The recovered state is now the truth: drop batches after the prefix.
    submitted.length = match;
    durable = match;
    summary += `${match}/`;
    // Run batches from several concurrent clients; crash after a random number of device calls.
    const crashAt = rng.int(1, 120);
    const crashed = dev.crashAfter(crashAt);
    let stop = false;
    const clients = rng.int(1, 6);
    const acked = new Set<number>();
    const run = async (): Promise<void> => {
      while (!stop) {
        const b = crashBatch(rng, kv.batchBytesMax);
        const idx = submitted.length;
        submitted.push(b);
        const sync = rng.chance(0.85);
        try {
          await kv.submit(b, sync);
        } catch (e) {
          stop = true;
          throw e;
        }
        if (sync) acked.add(idx);
        if (rng.chance(0.05)) await kv.checkpoint();
        if (rng.chance(0.2)) await kv.get(b.ops[0]!.op === 'rmRange' ? b.ops[0]!.start : b.ops[0]!.key);
      }
    };
    const image = await Promise.race([crashed, Promise.all(Array.from({ length: clients }, run)).then(() => null)]);
    stop = true;
    view.sever();
    assert.ok(image, `seed=${seed}: clients stopped before the crash`);
    // Every acknowledged batch, and all before it, must survive.
    for (const i of acked) durable = Math.max(durable, i + 1);
    totals.acked += acked.size;
    totals.submitted += submitted.length - match;
    totals.crashes++;
    const f = dev.lastCrash;
    if (f) {
      totals.torn += f.prefix + f.torn;
      totals.dropped += f.dropped;
    }
    dev = FaultyDevice.fromImage(image, rng, { jitter: rng.chance(0.5) });
  }
  const kv = await openKV(dev, REGION, { cacheBytesMax: 1024 * 1024 });
  const got = stateKey(await dump(kv));
  const model = new MemKV();
  for (let i = 0; i < durable; i++) await model.submit(submitted[i]!);
  let ok = false;
  for (let p = durable; ; p++) {
    if (stateKey(await dump(model)) === got) {
      ok = true;
      break;
    }
    if (p >= submitted.length) break;
    await model.submit(submitted[p]!);
  }
  assert.ok(ok, `seed=${seed} final: recovered state is no prefix at or after ${durable} of ${submitted.length}`);
  assert.deepEqual((await kv.fsck()).errors, [], `seed=${seed} final fsck`);
  await kv.close();
  return summary;
}

describe('kv: crash safety on a FaultyDevice', function () {
  this.timeout(300000);
  const only = process.env.KV_SEED;
  const n = envInt('KV_CRASH_ITERATIONS', 150);
  it(only ? `seed=${only}` : `${n} seeded crash cycles (1-3 crashes each)`, async () => {
    const base = envInt('KV_RUN_SEED', 0x63726173);
    const seeds = only ? [Number(only)] : Array.from({ length: n }, (_, i) => caseSeed(base, i));
    for (const seed of seeds) {
      try {
        await cycle(seed);
      } catch (e) {
        if (!(e as Error).message.includes('seed=')) (e as Error).message = `seed=${seed}: ${(e as Error).message}`;
        throw e;
      }
    }
    // The run did crash mid-flight: writes were torn and dropped, and batches were acknowledged.
    if (!only) assert.ok(totals.torn > 0 && totals.dropped > 0 && totals.acked > 0 && totals.recoveryCrashes > 0, JSON.stringify(totals));
    if (process.env.KV_VERBOSE) console.log(JSON.stringify(totals));
  });
});
