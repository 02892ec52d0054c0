// Proves BlockStore's own behaviour beyond the shared contract, on RAM devices: a foreign device does not
// mount (EINVAL bad magic); a full device rejects a transaction whole (ENOSPC) and freed space comes back;
// a journaled small overwrite whose in-place write was lost is replayed at mount; a flipped data bit reads
// as EIO naming the object (and logged), and deep fsck finds it; fsck repair drops orphan omap and extent
// records and leaves a clean store; the onode cache stays under its cap; a deferred record's pooled buffer is
// not reused while its in-place writes are held back (a later group's record would overwrite what reads and
// those writes see).

import assert from 'node:assert/strict';
import { MemDevice, type BlockDevice } from '../../common/blockdev/index.js';
import { rejectsCeph } from '../support/ceph-error.js';
import { KVBatch, type KVStore } from '../../common/kv/types.js';
import { BlockStore, deviceKVFactory, readBlockStoreSuperblock, type KVFactory } from '../../osd/blockstore/index.js';
import { omapKey, onodeKey, shardKey } from '../../osd/blockstore/core/keys.js';
import { makeObject, pgCollection, Transaction } from '../../osd/objectstore/types.js';

const MiB = 1024 * 1024;
const PG = pgCollection(1, 0);

/** Forwards to a device; while `drop` is set, data-region writes never complete (the crash comes first). */
class DropWrites implements BlockDevice {
  drop = false;
  constructor(readonly inner: MemDevice, readonly dropFrom: number) {}
  get size(): number {
    return this.inner.size;
  }
  get name(): string {
    return 'drop';
  }
  read(o: number, n: number): Promise<Buffer> {
    return this.inner.read(o, n);
  }
  readInto(o: number, b: Buffer): Promise<void> {
    return this.inner.readInto(o, b);
  }
  async write(o: number, d: readonly Buffer[]): Promise<void> {
    if (this.drop && o >= this.dropFrom) return new Promise<void>(() => {});
    return this.inner.write(o, d);
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Forwards to a device; while `hold` is set, data-region writes wait (their buffers unread) until release(). */
class HoldWrites implements BlockDevice {
  hold = false;
  private held: (() => void)[] = [];
  constructor(readonly inner: MemDevice, readonly holdFrom: number) {}
  get size(): number {
    return this.inner.size;
  }
  get name(): string {
    return 'hold';
  }
  get heldCount(): number {
    return this.held.length;
  }
  read(o: number, n: number): Promise<Buffer> {
    return this.inner.read(o, n);
  }
  readInto(o: number, b: Buffer): Promise<void> {
    return this.inner.readInto(o, b);
  }
  write(o: number, d: readonly Buffer[]): Promise<void> {
    if (!this.hold || o < this.holdFrom) return this.inner.write(o, d);
    // The device reads the caller's bytes only when the write is let go, as a slow disk's DMA would.
    return new Promise<void>((resolve, reject) => this.held.push(() => void this.inner.write(o, d).then(resolve, reject)));
  }
  release(): void {
    this.hold = false;
    for (const go of this.held.splice(0)) go();
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A store made on `mem`, then mounted through `wrap(mem, offset of the data region)`: a device wrapper
 * that treats data-region writes (the in-place writes of deferred records) specially.
 */
async function storeBehind<D extends BlockDevice>(mem: MemDevice, wrap: (mem: MemDevice, dataOffset: number) => D, log?: Logged): Promise<{ dev: D; s: BlockStore }> {
  await new BlockStore(mem).mkfs();
  const dev = wrap(mem, (await readBlockStoreSuperblock(mem)).data.offset);
  const s = new BlockStore(dev, log ? { logger: log } : {});
  await s.mount();
  return { dev, s };
}

interface Logged {
  errors: string[];
  error(m: string): void;
  warn(m: string): void;
}

function logger(): Logged {
  const errors: string[] = [];
  return { errors, error: (m) => void errors.push(m), warn: () => {} };
}

/** A KV factory that hands the test the engine it opened. */
function capturing(): { factory: KVFactory; kv: () => KVStore } {
  const inner = deviceKVFactory();
  let kv: KVStore | undefined;
  return {
    factory: { format: inner.format, open: async (d, r) => (kv = await inner.open(d, r)) },
    kv: () => kv!,
  };
}

async function fresh(dev: BlockDevice, opts: ConstructorParameters<typeof BlockStore>[1] = {}): Promise<BlockStore> {
  const s = new BlockStore(dev, { logger: logger(), ...opts });
  await s.mkfs();
  await s.mount();
  await s.queueTransaction(new Transaction().createCollection(PG, 0));
  return s;
}

describe('BlockStore', function () {
  it('a device that is not a BlockStore does not mount: EINVAL bad magic; the superblock reads back after mkfs', async function () {
    const dev = new MemDevice(32 * MiB);
    await rejectsCeph(new BlockStore(dev).mount(), 'EINVAL', /not a tsceph BlockStore \(bad magic\)/);
    await rejectsCeph(readBlockStoreSuperblock(dev), 'EINVAL', /bad magic/);
    const s = new BlockStore(dev, { uuid: '00112233-4455-6677-8899-aabbccddeeff' });
    await s.mkfs();
    const sb = await readBlockStoreSuperblock(dev);
    assert.equal(sb.uuid, '00112233-4455-6677-8899-aabbccddeeff');
    assert.equal(sb.deviceBytes, 32 * MiB);
    assert.ok(sb.data.offset >= sb.kv.offset + sb.kv.length);
    await s.mount();
    await rejectsCeph(s.mount(), 'EBUSY');
    await s.umount();
  });

  it('a full device rejects the transaction whole with ENOSPC; freed space is reusable after the remove commits', async function () {
    const dev = new MemDevice(24 * MiB);
    const s = await fresh(dev);
    const total = (await s.statfs()).total;
    const a = makeObject(1, 'a', 1);
    const b = makeObject(1, 'b', 2);
    const big = Buffer.alloc(Math.floor((total * 0.6) / 4096) * 4096, 0x5a);
    await s.queueTransaction(new Transaction().write(PG, a, 0, big));
    const before = await s.statfs();
    await rejectsCeph(s.queueTransaction(new Transaction().setattr(PG, b, 'x', Buffer.from('y')).write(PG, b, 0, big)), 'ENOSPC');
    assert.equal(await s.exists(PG, b), false, 'nothing of the rejected transaction applied');
    assert.deepEqual(await s.statfs(), before);
    await s.queueTransaction(new Transaction().remove(PG, a));
    await s.queueTransaction(new Transaction().write(PG, b, 0, big));
    assert.ok((await s.read(PG, b, 0, 0)).equals(big));
    assert.equal((await s.fsck()).errors, 0);
    await s.umount();
  });

  it('a journaled overwrite whose in-place write was lost is replayed at mount', async function () {
    const mem = new MemDevice(32 * MiB);
    const { dev, s } = await storeBehind(mem, (m, data) => new DropWrites(m, data));
    await s.queueTransaction(new Transaction().createCollection(PG, 0));
    const o = makeObject(1, 'obj', 3);
    const base = Buffer.alloc(64 * 1024, 1);
    await s.queueTransaction(new Transaction().write(PG, o, 0, base));
    dev.drop = true;
    const patch = Buffer.alloc(5000, 2);
    await s.queueTransaction(new Transaction().write(PG, o, 3000, patch));
    const want = Buffer.from(base);
    patch.copy(want, 3000);
    assert.ok((await s.read(PG, o, 0, 0)).equals(want), 'reads see the overwrite before it is in place');
    // "Crash": abandon the store; mount a copy of the device as it is.
    const after = new BlockStore(MemDevice.fromImage(mem.bytes));
    await after.mount();
    assert.ok((await after.read(PG, o, 0, 0)).equals(want), 'the replayed overwrite is there');
    assert.equal((await after.fsck()).errors, 0);
    await after.umount();
  });

  it('a flipped data bit reads as EIO naming the object, is logged, and deep fsck reports it', async function () {
    const dev = new MemDevice(32 * MiB);
    const log = logger();
    const s = await fresh(dev, { logger: log });
    const o = makeObject(1, 'victim', 0xabc);
    await s.queueTransaction(new Transaction().write(PG, o, 0, Buffer.alloc(3 * 4096, 9)));
    await s.umount();
    const sb = await readBlockStoreSuperblock(dev);
    dev.bytes[sb.data.offset + 4096 + 17]! ^= 0x10; // the object's second block (the first allocation of the region)
    const t = new BlockStore(dev, { logger: log });
    await t.mount();
    await rejectsCeph(t.read(PG, o, 4096, 10), 'EIO', /victim/);
    assert.ok(log.errors.some((m) => /checksum mismatch/.test(m) && /victim/.test(m)), log.errors.join('\n'));
    assert.ok((await t.read(PG, o, 0, 4096)).equals(Buffer.alloc(4096, 9)), 'the good block still reads');
    // A partial overwrite of the bad block needs its old bytes: refused, not built on garbage.
    await rejectsCeph(t.queueTransaction(new Transaction().write(PG, o, 4096 + 5, Buffer.from('x'))), 'EIO');
    const r = await t.fsck();
    assert.ok(r.problems.some((p) => p.kind === 'checksum' && /victim/.test(p.message)), JSON.stringify(r.problems));
    // A whole-block overwrite replaces it; the object reads clean again.
    await t.queueTransaction(new Transaction().write(PG, o, 4096, Buffer.alloc(4096, 8)));
    assert.equal((await t.fsck()).errors, 0);
    await t.umount();
  });

  it('fsck repair drops orphan omap and extent records; a corrupt onode is EIO and reported', async function () {
    const dev = new MemDevice(32 * MiB);
    const cap = capturing();
    const s = await fresh(dev, { kv: cap.factory });
    const o = makeObject(1, 'o', 5);
    await s.queueTransaction(new Transaction().write(PG, o, 0, Buffer.alloc(100, 1)).omapSetKeys(PG, o, new Map([['k', Buffer.from('v')]])));
    assert.equal((await s.fsck()).errors, 0);
    await cap.kv().submit(new KVBatch().set(omapKey(999_999, 'lost'), Buffer.from('x')).set(shardKey(999_999, 0), Buffer.from('junk')));
    const r = await s.fsck();
    assert.equal(r.errors, 2, JSON.stringify(r.problems));
    assert.ok(r.problems.every((p) => p.kind === 'orphan' && p.repairable));
    const fixed = await s.fsck(true);
    assert.equal(fixed.repaired, 2);
    assert.equal((await s.fsck()).errors, 0);
    assert.deepEqual(await s.omapGetValues(PG, o, ['k']), new Map([['k', Buffer.from('v')]]));
    // Corrupt the onode record itself.
    const key = onodeKey(PG, o);
    const v = Buffer.from((await cap.kv().get(key))!);
    v[v.length - 6]! ^= 1;
    await cap.kv().submit(new KVBatch().set(key, v));
    await s.umount();
    const t = new BlockStore(dev, { logger: logger() });
    await rejectsCeph(t.mount(), 'EIO', /onode/);
  });

  it('the onode cache stays under its cap; evicted onodes reload correctly', async function () {
    const dev = new MemDevice(64 * MiB);
    const s = await fresh(dev, { cacheBytesMax: 16 * 1024 });
    const n = 200;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      pending.push(s.queueTransaction(new Transaction().write(PG, makeObject(1, `o${i}`, i), 0, Buffer.alloc(4096 + i, i & 0xff)).setattr(PG, makeObject(1, `o${i}`, i), 'a', Buffer.alloc(100, 1))));
    }
    await Promise.all(pending);
    const m = s.memory();
    assert.ok(m.cacheBytes <= m.cacheBytesMax, JSON.stringify(m));
    assert.ok(m.cachedObjects > 0 && m.cachedObjects < n && m.bytesPerObject > 0, JSON.stringify(m));
    for (let i = 0; i < n; i += 17) assert.ok((await s.read(PG, makeObject(1, `o${i}`, i), 0, 0)).equals(Buffer.alloc(4096 + i, i & 0xff)));
    assert.ok(s.memory().cacheBytes <= 16 * 1024);
    await s.umount();
  });

  it('a deferred record buffer is reused only after its in-place writes have landed', async function () {
    const mem = new MemDevice(64 * MiB);
    const { dev, s } = await storeBehind(mem, (m, data) => new HoldWrites(m, data), logger());
    await s.queueTransaction(new Transaction().createCollection(PG, 0));
    const o = makeObject(1, 'pool', 5);
    const blocks = 48;
    await s.queueTransaction(new Transaction().write(PG, o, 0, Buffer.alloc(blocks * 4096, 0xee)));
    const want = Buffer.alloc(blocks * 4096, 0xee);
    /** One group of 16 concurrent 4 KiB overwrites (one deferred record) of blocks [first, first + 16). */
    const group = async (first: number, fill: number): Promise<void> => {
      const ps: Promise<void>[] = [];
      for (let i = first; i < first + 16; i++) {
        const data = Buffer.alloc(4096, fill + i);
        data.copy(want, i * 4096);
        ps.push(s.queueTransaction(new Transaction().write(PG, o, i * 4096, data)));
      }
      await Promise.all(ps);
    };
    // The first group's record is given back once its blocks are in place (fsck waits for that); the
    // next group takes it again.
    await group(0, 0x10);
    assert.equal((await s.fsck()).errors, 0);
    dev.hold = true;
    await group(0, 0x40);
    assert.equal(s.recordPool.reused, 1, 'the landed record\'s buffer was handed out again');
    // Let the in-place writes of that group start (and hang), then commit two more groups: each takes a
    // record buffer of the same class. Were the held group's given back early, one of them would be it.
    for (let i = 0; i < 4 && dev.heldCount === 0; i++) await new Promise<void>((r) => setImmediate(r));
    assert.ok(dev.heldCount > 0, 'the in-place writes are held');
    await group(16, 0x60);
    await group(32, 0x80);
    assert.ok((await s.read(PG, o, 0, 0)).equals(want), 'reads of blocks not yet in place see their own bytes');
    dev.release();
    await s.umount();
    const t = new BlockStore(mem);
    await t.mount();
    assert.ok((await t.read(PG, o, 0, 0)).equals(want), 'the held writes put their own bytes on the device');
    assert.equal((await t.fsck()).errors, 0);
    await t.umount();
  });

  it('a lone transaction flushes the KV on the calling thread (flushSync), also after failed ones; concurrent ones do not', async function () {
    const mem = new MemDevice(32 * MiB);
    let inline = 0;
    let pooled = 0;
    const dev: BlockDevice = {
      get size() { return mem.size; },
      get name() { return 'count-flushes'; },
      read: (o, n) => mem.read(o, n),
      readInto: (o, b) => mem.readInto(o, b),
      write: (o, d) => mem.write(o, d),
      flush: () => (pooled++, mem.flush()),
      flushSync: () => (inline++, mem.flushSync()),
      close: () => mem.close(),
    };
    const s = new BlockStore(dev, { logger: logger() });
    await s.mkfs();
    await s.mount();
    await s.queueTransaction(new Transaction().createCollection(PG, 0));
    // Failures in prepare (no such collection) must not leave the store counting them as in flight.
    for (let i = 0; i < 3; i++) await rejectsCeph(s.queueTransaction(new Transaction().touch(pgCollection(9, 9), makeObject(9, 'x', 1))), 'ENOENT');
    const o = makeObject(1, 'lone', 1);
    let before = inline;
    await s.queueTransaction(new Transaction().write(PG, o, 0, Buffer.alloc(4096, 1)));
    assert.ok(inline > before, 'a lone transaction after failed ones flushed inline');
    before = pooled;
    const inlineBefore = inline;
    await Promise.all(Array.from({ length: 8 }, (_, i) => s.queueTransaction(new Transaction().write(PG, makeObject(1, `c${i}`, i), 0, Buffer.alloc(4096, i)))));
    assert.ok(pooled > before && inline === inlineBefore, 'eight at once flushed through the thread pool');
    await s.umount();
  });

  it('queued transactions share KV flushes (group commit) and all land', async function () {
    const dev = new MemDevice(64 * MiB);
    const cap = capturing();
    const s = await fresh(dev, { kv: cap.factory });
    const o = makeObject(1, 'hot', 9);
    await s.queueTransaction(new Transaction().write(PG, o, 0, Buffer.alloc(256 * 1024)));
    const before = cap.kv().stats();
    const ps: Promise<void>[] = [];
    for (let i = 0; i < 64; i++) ps.push(s.queueTransaction(new Transaction().write(PG, o, i * 4096, Buffer.alloc(4096, i + 1))));
    await Promise.all(ps);
    const after = cap.kv().stats();
    // The store merges a group's batches into one KV batch (submitMerged): count transactions, not batches.
    const flushes = after.flushes - before.flushes;
    const batches = after.batches - before.batches;
    assert.ok(flushes < 64 && batches < 64, `flushes ${flushes} and KV batches ${batches} for 64 transactions`);
    const data = await s.read(PG, o, 0, 64 * 4096);
    for (let i = 0; i < 64; i++) assert.equal(data[i * 4096], i + 1);
    await s.umount();
    const t = new BlockStore(dev);
    await t.mount();
    assert.ok((await t.read(PG, o, 0, 64 * 4096)).equals(data));
    assert.equal((await t.fsck()).errors, 0);
    await t.umount();
  });
});
