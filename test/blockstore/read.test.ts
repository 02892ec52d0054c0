// Proves BlockStore's read path: the per-run crc32c check (blocks' crcs combined, core/blockcrc.ts) equals crc32c over the bytes for seeded random runs; seeded random writes and reads (unaligned, sparse, past the end, length 0, cold after a remount and warm) return the model's bytes, and a whole-object read's noted crc32c(-1) is its bytes'; a flipped bit anywhere in a long run is EIO naming that block's offset while ranges around it still read; read results are buffers of their own. Pooled reads (readPooled, for replies): read()'s bytes, only for >= 1 MiB, Buffers reused by concurrent reads of other data with every byte checked, a release runs once, a failed (EIO) read never gives its Buffer back.

import assert from 'node:assert/strict';
import { MemDevice } from '../../common/blockdev/index.js';
import { cephCrc32cOfAll, cephCrc32cTable, crc32c } from '../../common/crc32c.js';
import { BlockStore, memKVFactory, readBlockStoreSuperblock } from '../../osd/blockstore/index.js';
import { combineBlockCrc, shiftBlock } from '../../osd/blockstore/core/blockcrc.js';
import { makeObject, Transaction, type GHObject } from '../../osd/objectstore/types.js';
import { rejectsCeph } from '../support/ceph-error.js';
import { Rng, caseSeed } from '../support/rng.js';
import { PG, fresh, quietLogger, randomBytes } from './fixture.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 4096;
const RUN_SEED = Number(process.env.READ_TEST_SEED ?? 0x4ead5);
const CASES = Number(process.env.READ_TEST_CASES ?? 12);

describe('BlockStore reads', function () {
  it('a run\'s combined block crcs equal crc32c over its bytes (seeded random runs)', function () {
    const zeros = new Uint8Array(BLOCK);
    for (let c = 0; c < CASES; c++) {
      const seed = caseSeed(RUN_SEED, c);
      const rng = new Rng(seed);
      const v = rng.u32();
      assert.equal(shiftBlock(v), cephCrc32cTable(v, zeros), `shiftBlock seed=${seed}`);
      const blocks = rng.int(1, 40);
      const run = randomBytes(rng, blocks * BLOCK);
      if (rng.chance(0.3)) run.fill(0, 0, BLOCK * rng.int(0, blocks)); // holes read as zeros
      let acc = 0;
      for (let i = 0; i < blocks; i++) acc = combineBlockCrc(acc, crc32c(run.subarray(i * BLOCK, (i + 1) * BLOCK)));
      assert.equal(acc, crc32c(run), `combined crc of ${blocks} blocks seed=${seed}`);
    }
  });

  it('seeded random writes and reads return the model\'s bytes, warm and cold after a remount', async function () {
    this.timeout(60_000);
    for (let c = 0; c < CASES; c++) {
      const seed = caseSeed(RUN_SEED, 100 + c);
      const rng = new Rng(seed);
      const dev = new MemDevice(64 * MiB);
      const s = await fresh(dev);
      const objs: { o: GHObject; model: Buffer }[] = [];
      for (let i = 0; i < 4; i++) objs.push({ o: makeObject(1, `obj${i}`, i), model: Buffer.alloc(0) });
      for (let w = 0; w < 16; w++) {
        const x = w < objs.length ? objs[w]! : rng.pick(objs);
        // Writes at block-aligned and unaligned offsets, some past the end (leaving holes), up to 300 KiB.
        const off = rng.chance(0.5) ? rng.int(0, 80) * BLOCK : rng.int(0, 400 * KiB);
        const data = randomBytes(rng, rng.chance(0.2) ? 300 * KiB : rng.int(1, 40 * KiB) & ~3 || 4);
        await s.queueTransaction(new Transaction().write(PG, x.o, off, data));
        const end = Math.max(x.model.length, off + data.length);
        const m = Buffer.alloc(end);
        x.model.copy(m);
        data.copy(m, off);
        x.model = m;
      }
      const check = async (store: BlockStore, what: string): Promise<void> => {
        for (let r = 0; r < 40; r++) {
          const x = rng.pick(objs);
          const size = x.model.length;
          const whole = rng.chance(0.2);
          const off = whole ? 0 : rng.chance(0.2) ? rng.int(0, 8) * BLOCK : rng.int(0, size + 2 * BLOCK);
          const len = whole ? (rng.chance(0.5) ? 0 : size) : rng.chance(0.15) ? 0 : rng.int(1, 128 * KiB);
          const got = await store.read(PG, x.o, off, len);
          const end = off >= size ? off : len === 0 ? size : Math.min(size, off + len);
          const want = x.model.subarray(Math.min(off, size), end);
          assert.ok(got.equals(want), `${what} read ${x.o.oid} ${off}~${len} (size ${size}): ${got.length} bytes, want ${want.length}; seed=${seed}`);
          // A whole-object read may carry its crc32c(-1) from the store's check: it must be the bytes'.
          assert.equal(cephCrc32cOfAll(got), cephCrc32cTable(0xffffffff, got), `digest of ${what} read ${x.o.oid} ${off}~${len}; seed=${seed}`);
        }
      };
      await check(s, 'warm');
      await s.umount();
      const t = new BlockStore(dev, { logger: quietLogger(), kv: memKVFactory });
      await t.mount();
      await check(t, 'cold');
      await t.umount();
    }
  });

  it('a flipped bit in a long run is EIO naming its block; ranges around it still read; results are buffers of their own', async function () {
    const rng = new Rng(caseSeed(RUN_SEED, 999));
    const dev = new MemDevice(32 * MiB);
    const log = quietLogger();
    const s = await fresh(dev, log);
    const o = makeObject(1, 'victim', 0x5);
    const data = randomBytes(rng, 64 * BLOCK);
    await s.queueTransaction(new Transaction().write(PG, o, 0, data));
    const a = await s.read(PG, o, 0, 0);
    const b = await s.read(PG, o, 0, 0);
    a.fill(0);
    assert.ok(b.equals(data) && (await s.read(PG, o, 0, 0)).equals(data), 'changing one read result changes no other');
    await s.umount();
    const sb = await readBlockStoreSuperblock(dev);
    const bad = rng.int(1, 62);
    // The object is the data region's first allocation: its blocks lie in order from there.
    dev.bytes[sb.data.offset + bad * BLOCK + rng.int(0, BLOCK - 1)]! ^= 1 << rng.int(0, 7);
    const t = new BlockStore(dev, { logger: log, kv: memKVFactory });
    await t.mount();
    await rejectsCeph(t.read(PG, o, 0, 0), 'EIO', new RegExp(`victim:head# at offset ${bad * BLOCK} `));
    await rejectsCeph(t.read(PG, o, bad * BLOCK + 100, 10), 'EIO', /victim/);
    assert.ok((await t.read(PG, o, 0, bad * BLOCK)).equals(data.subarray(0, bad * BLOCK)), 'the blocks before read');
    assert.ok((await t.read(PG, o, (bad + 1) * BLOCK, 0)).equals(data.subarray((bad + 1) * BLOCK)), 'the blocks after read');
    assert.ok(log.errors.some((m) => m.includes(`offset ${bad * BLOCK} `)), log.errors.join('\n'));
    await t.umount();
  });

  it('pooled reads: the same bytes as read(); only >= 1 MiB reads are pooled; released Buffers are reused by concurrent reads of other data, every byte checked; a release runs once', async function () {
    const s = await fresh(new MemDevice(64 * MiB));
    const rng = new Rng(RUN_SEED ^ 0x9001);
    const objs: Array<{ o: GHObject; data: Buffer }> = [];
    for (let i = 0; i < 6; i++) {
      const data = randomBytes(rng, 4 * MiB - (i % 2) * 3 * BLOCK);
      const o = makeObject(1, `pooled${i}`, i);
      await s.queueTransaction(new Transaction().write(PG, o, 0, data));
      objs.push({ o, data });
    }
    // small reads are not pooled
    const small = await s.readPooled(PG, objs[0]!.o, 4096, 64 * KiB);
    assert.equal(small.release, null);
    assert.ok(small.data.equals(objs[0]!.data.subarray(4096, 4096 + 64 * KiB)));
    // many concurrent pooled reads of different objects and ranges, released in random order while
    // others run; each result is checked when it lands (a Buffer handed out twice would show here)
    const pool = s.readPool;
    const held: Array<() => void> = [];
    let bad = 0;
    for (let round = 0; round < 8; round++) {
      const jobs: Promise<void>[] = [];
      for (let j = 0; j < 12; j++) {
        const x = objs[rng.int(0, objs.length - 1)]!;
        const off = rng.chance(0.5) ? 0 : rng.int(0, x.data.length - MiB - 1);
        const len = rng.chance(0.5) ? 0 : rng.int(MiB, x.data.length - off);
        jobs.push(s.readPooled(PG, x.o, off, len).then((r) => {
          const want = x.data.subarray(off, len === 0 ? x.data.length : off + len);
          if (!r.data.equals(want)) bad++;
          assert.notEqual(r.release, null, 'a >= 1 MiB read is pooled');
          if (len === 0 && off === 0) assert.equal(cephCrc32cOfAll(r.data), cephCrc32cTable(0xffffffff, want), 'the noted crc is the bytes\'');
          held.push(r.release!);
        }));
        // release some earlier results now, with reads still in flight
        while (held.length > 0 && rng.chance(0.6)) held.splice(rng.int(0, held.length - 1), 1)[0]!();
      }
      await Promise.all(jobs);
    }
    for (const f of held.splice(0)) {
      f();
      f(); // a second call is a no-op, never a second release
    }
    assert.equal(bad, 0);
    assert.ok(pool.reused > 0, 'released Buffers were reused');
    assert.ok(pool.freeCount * pool.bufferBytes <= pool.bytesMax);
    await s.umount();
  });

  it('a pooled read that fails (a flipped bit: EIO) takes a pooled Buffer and never gives it back', async function () {
    const dev = new MemDevice(32 * MiB);
    const log = quietLogger();
    const s = await fresh(dev, log);
    const o = makeObject(1, 'victim2', 0x6);
    const rng = new Rng(caseSeed(RUN_SEED, 998));
    const data = randomBytes(rng, 2 * MiB);
    await s.queueTransaction(new Transaction().write(PG, o, 0, data));
    await s.umount();
    const sb = await readBlockStoreSuperblock(dev);
    dev.bytes[sb.data.offset + 7 * BLOCK + 5]! ^= 1;
    const t = new BlockStore(dev, { logger: log, kv: memKVFactory });
    await t.mount();
    await rejectsCeph(t.readPooled(PG, o, 0, 0), 'EIO', /victim2/);
    assert.equal(t.readPool.acquired, 1);
    assert.equal(t.readPool.released, 0);
    assert.equal(t.readPool.freeCount, 0);
    await t.umount();
  });
});
