// Proves FaultyDevice models a volatile write cache as the durability rule says: after a crash every
// write covered by a completed flush is there, and every sector holds either its last durable bytes
// or the bytes of one unflushed write to it (never a mix within a sector); a seed replays the same
// crash; bit flips persist; injected errors are EIO. Seeded: FAULTY_SEED=<n> replays one case,
// FAULTY_ITERATIONS=<n> runs more cases (default 300).
import assert from 'node:assert/strict';
import { BLOCK_BYTES, FaultyDevice, MemDevice, SECTOR_BYTES } from '../../common/blockdev/index.js';
import { rejectsCeph } from '../support/ceph-error.js';
import { Rng, caseSeed } from '../support/rng.js';

const SECTORS = 64;
const DEVICE_BYTES = SECTORS * SECTOR_BYTES;

/** A sector's bytes that say which write made it: the write's id in every 4-byte word, plus the sector. */
function sectorBytes(writeId: number, sector: number): Buffer {
  const b = Buffer.alloc(SECTOR_BYTES);
  for (let i = 0; i < SECTOR_BYTES; i += 8) {
    b.writeUInt32LE(writeId, i);
    b.writeUInt32LE(sector, i + 4);
  }
  return b;
}

/** Which write id a sector holds (0 for the zeroed start), or -1 for bytes no single write made. */
function sectorWriter(image: Buffer, sector: number): number {
  const s = image.subarray(sector * SECTOR_BYTES, (sector + 1) * SECTOR_BYTES);
  const id = s.readUInt32LE(0);
  if (id === 0 && s.every((x) => x === 0)) return 0;
  return s.equals(sectorBytes(id, sector)) ? id : -1;
}

/**
 * One case: random writes (some in parallel with flushes), a crash at a random op, then the check.
 * The model: durable[s] = the write id that the last completed flush made durable for sector s;
 * volatile[s] = ids written to s since (not covered by a completed flush).
 */
async function runCase(seed: number): Promise<void> {
  const rng = new Rng(seed);
  const dev = new FaultyDevice(DEVICE_BYTES, new Rng(seed ^ 0x5eed));
  const durable = new Array<number>(SECTORS).fill(0);
  const written = new Array<number[]>(SECTORS); // ids of all writes to s, in call order, with seq
  for (let s = 0; s < SECTORS; s++) written[s] = [];
  const writeSeq = new Map<number, number>(); // id -> position in call order
  let nextId = 1;
  let seq = 0;
  const crashAt = rng.int(1, 60);
  const crashed = dev.crashAfter(crashAt);
  const inflight: Promise<unknown>[] = [];

  const doWrite = (): void => {
    const first = rng.int(0, SECTORS - 1);
    const count = rng.int(1, Math.min(8, SECTORS - first));
    const id = nextId++;
    const bufs: Buffer[] = [];
    for (let s = first; s < first + count; s++) bufs.push(sectorBytes(id, s));
    writeSeq.set(id, ++seq);
    if (!dev.crashed) for (let s = first; s < first + count; s++) written[s]!.push(id);
    inflight.push(dev.write(first * SECTOR_BYTES, bufs));
  };
  const doFlush = (): void => {
    // Snapshot now: the flush covers what was written before its call.
    const snapshot = written.map((ids) => (ids.length ? ids[ids.length - 1]! : -1));
    inflight.push(
      dev.flush().then(() => {
        for (let s = 0; s < SECTORS; s++) {
          const last = snapshot[s]!;
          if (last !== -1 && writeSeq.get(last)! > (durable[s] === 0 ? 0 : writeSeq.get(durable[s]!)!)) durable[s] = last;
        }
      }),
    );
  };

  for (let op = 0; op < 80 && !dev.crashed; op++) {
    const r = rng.next();
    if (r < 0.7) doWrite();
    else doFlush();
    if (rng.chance(0.5)) {
      // let some of what is in flight finish
      await new Promise<void>((res) => setImmediate(res));
    }
  }
  if (!dev.crashed) dev.crash();
  const image = await crashed;
  await new Promise<void>((res) => setImmediate(res));

  for (let s = 0; s < SECTORS; s++) {
    const got = sectorWriter(image, s);
    assert.notEqual(got, -1, `seed=${seed}: sector ${s} holds bytes no single write made (torn inside a sector)`);
    const d = durable[s]!;
    const dSeq = d === 0 ? 0 : writeSeq.get(d)!;
    if (got === d) continue;
    // Anything else must be a write to s newer than the durable one (an unflushed write that landed).
    assert.ok(got !== 0 && written[s]!.includes(got), `seed=${seed}: sector ${s} holds write ${got}, never written there`);
    assert.ok(writeSeq.get(got)! > dSeq, `seed=${seed}: sector ${s} lost flushed write ${d} (holds older ${got})`);
  }
}

describe('common/blockdev FaultyDevice', () => {
  it('keeps the durability rule over random writes, flushes and crashes', async function () {
    const only = process.env.FAULTY_SEED;
    if (only !== undefined) {
      await runCase(Number(only));
      return;
    }
    const n = Number(process.env.FAULTY_ITERATIONS ?? 300);
    for (let i = 0; i < n; i++) await runCase(caseSeed(0xfa17, i));
  });

  it('reads see unflushed writes; a crash may lose them; flushed ones survive', async () => {
    const dev = new FaultyDevice(BLOCK_BYTES, new Rng(1));
    await dev.write(0, [Buffer.alloc(SECTOR_BYTES, 1)]);
    await dev.flush();
    await dev.write(0, [Buffer.alloc(SECTOR_BYTES, 2)]);
    assert.ok((await dev.read(0, SECTOR_BYTES)).every((x) => x === 2));
    assert.equal(dev.pendingWrites, 1);
    assert.ok(dev.durableImage().subarray(0, SECTOR_BYTES).every((x) => x === 1));
    const img = dev.crash();
    const first = img[0];
    assert.ok(first === 1 || first === 2);
    assert.ok(img.subarray(0, SECTOR_BYTES).every((x) => x === first));
    assert.equal(dev.lastCrash!.kept + dev.lastCrash!.dropped, 1);
  });

  it('a flush covers only writes called before it, and only once it completes', async () => {
    // Crash while a flush is in progress: its writes are not yet durable.
    let keptSomewhere = false;
    let lostSomewhere = false;
    for (let seed = 0; seed < 40; seed++) {
      const dev = new FaultyDevice(BLOCK_BYTES, new Rng(seed));
      await dev.write(0, [Buffer.alloc(SECTOR_BYTES, 7)]);
      void dev.flush(); // called, not completed
      const img = dev.crash();
      if (img[0] === 7) keptSomewhere = true;
      else lostSomewhere = true;
    }
    assert.ok(keptSomewhere && lostSomewhere, 'an uncompleted flush guarantees nothing');
    // A write called after the flush's call is not covered even though the flush completes later.
    for (let seed = 0; seed < 20; seed++) {
      const dev = new FaultyDevice(BLOCK_BYTES, new Rng(seed));
      await dev.write(0, [Buffer.alloc(SECTOR_BYTES, 1)]);
      const f = dev.flush();
      await dev.write(SECTOR_BYTES, [Buffer.alloc(SECTOR_BYTES, 2)]);
      await f;
      assert.equal(dev.pendingWrites, 1);
      const img = dev.crash();
      assert.equal(img[0], 1);
    }
  });

  it('tears multi-sector writes only at sector boundaries, prefix and subset alike', async () => {
    const fates = { kept: 0, dropped: 0, prefix: 0, torn: 0 };
    for (let seed = 0; seed < 200; seed++) {
      const dev = new FaultyDevice(BLOCK_BYTES, new Rng(seed));
      const bufs = [];
      for (let s = 0; s < 8; s++) bufs.push(Buffer.alloc(SECTOR_BYTES, s + 1));
      await dev.write(0, bufs);
      const img = dev.crash();
      for (let s = 0; s < 8; s++) {
        const sec = img.subarray(s * SECTOR_BYTES, (s + 1) * SECTOR_BYTES);
        assert.ok(sec.every((x) => x === 0) || sec.every((x) => x === s + 1), `seed=${seed} sector ${s}`);
      }
      const landed = [...Array(8).keys()].map((s) => img[s * SECTOR_BYTES] !== 0);
      if (dev.lastCrash!.prefix === 1) {
        const k = landed.indexOf(false);
        assert.ok(k > 0 && landed.slice(k).every((x) => !x), `seed=${seed}: prefix fate landed ${landed}`);
      }
      for (const k of Object.keys(fates) as (keyof typeof fates)[]) fates[k] += dev.lastCrash![k];
    }
    assert.ok(fates.kept > 20 && fates.dropped > 20 && fates.prefix > 20 && fates.torn > 20, JSON.stringify(fates));
  });

  it('is deterministic for a seed', async () => {
    const run = async (): Promise<Buffer> => {
      const dev = new FaultyDevice(16 * BLOCK_BYTES, new Rng(99));
      const rng = new Rng(5);
      for (let i = 0; i < 50; i++) {
        const off = rng.int(0, 15 * 8) * SECTOR_BYTES;
        await dev.write(off, [Buffer.alloc(SECTOR_BYTES * rng.int(1, 8), i + 1)]);
        if (rng.chance(0.2)) await dev.flush();
      }
      return dev.crash();
    };
    assert.ok((await run()).equals(await run()));
  });

  it('crashAfter stops the device at the chosen op; later calls never settle', async () => {
    const dev = new FaultyDevice(BLOCK_BYTES, new Rng(3));
    const crashed = dev.crashAfter(3);
    await dev.write(0, [Buffer.alloc(SECTOR_BYTES, 1)]);
    await dev.flush();
    let settled = false;
    void dev.write(SECTOR_BYTES, [Buffer.alloc(SECTOR_BYTES, 2)]).finally(() => (settled = true));
    const img = await crashed;
    assert.ok(dev.crashed);
    assert.equal(img[0], 1);
    assert.equal(img[SECTOR_BYTES], 0, 'the crashing write never ran');
    void dev.read(0, SECTOR_BYTES).finally(() => (settled = true));
    for (let i = 0; i < 5; i++) await new Promise<void>((res) => setImmediate(res));
    assert.equal(settled, false);
    assert.ok(dev.crash().equals(img), 'a second crash() returns the same image');
    assert.deepEqual(dev.stats, { reads: 0, writes: 1, flushes: 1, bytesRead: 0, bytesWritten: SECTOR_BYTES });
    const fresh = FaultyDevice.fromImage(img, new Rng(4));
    assert.equal((await fresh.read(0, SECTOR_BYTES))[0], 1);
    const mem = MemDevice.fromImage(img);
    assert.equal((await mem.read(0, SECTOR_BYTES))[0], 1);
  });

  it('flipBits persists flips in reads, pending writes and crash images', async () => {
    const dev = new FaultyDevice(BLOCK_BYTES, new Rng(11));
    await dev.write(0, [Buffer.alloc(BLOCK_BYTES, 0x55)]);
    await dev.flush();
    await dev.write(0, [Buffer.alloc(SECTOR_BYTES, 0x55)]); // pending over the same bytes
    const at = dev.flipBits(1, SECTOR_BYTES * 0, SECTOR_BYTES);
    assert.equal(at.length, 1);
    const cur = await dev.read(0, BLOCK_BYTES);
    assert.notEqual(cur[at[0]!], 0x55);
    let diff = 0;
    for (const x of cur) diff += x === 0x55 ? 0 : 1;
    assert.equal(diff, 1);
    const img = dev.crash();
    assert.notEqual(img[at[0]!], 0x55, 'the flip survives whatever the pending write\'s fate');
  });

  it('injects EIO on reads, writes and flushes, and counts operations', async () => {
    const dev = new FaultyDevice(BLOCK_BYTES, new Rng(2), { asyncFlush: false, jitter: true });
    dev.failReads = (off) => off === 0;
    dev.failWrites = (off, len) => off + len > 2 * SECTOR_BYTES;
    await rejectsCeph(dev.read(0, SECTOR_BYTES), 'EIO');
    await dev.read(SECTOR_BYTES, SECTOR_BYTES);
    await rejectsCeph(dev.write(SECTOR_BYTES, [Buffer.alloc(2 * SECTOR_BYTES, 1)]), 'EIO');
    assert.ok((await dev.read(SECTOR_BYTES, SECTOR_BYTES)).every((x) => x === 0), 'a failed write changes nothing');
    await dev.write(0, [Buffer.alloc(SECTOR_BYTES, 1)]);
    dev.failFlushes = true;
    await rejectsCeph(dev.flush(), 'EIO');
    assert.equal(dev.pendingWrites, 1);
    dev.failFlushes = false;
    await dev.flush();
    assert.equal(dev.pendingWrites, 0);
    assert.deepEqual(dev.stats, { reads: 2, writes: 1, flushes: 1, bytesRead: 2 * SECTOR_BYTES, bytesWritten: SECTOR_BYTES });
    await rejectsCeph(dev.read(BLOCK_BYTES, SECTOR_BYTES), 'EINVAL');
  });
});
