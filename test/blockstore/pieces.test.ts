// Proves BlockStore writes a data list without joining it: PieceCursor's views and copies equal the joined bytes for seeded random splits (empty pieces too); writes whose pieces split at odd places (1, 4095, 4096, 4097, 65536+3 bytes, seeded random) at aligned and unaligned offsets, over old data and into holes, large (direct) and small (journaled), read back byte for byte warm and after a remount, with a clean fsck; whole blocks inside one piece are stored as views of it (no copy), and a straddling block is a copy.

import assert from 'node:assert/strict';
import { MemDevice } from '../../common/blockdev/index.js';
import { BlockStore, memKVFactory } from '../../osd/blockstore/index.js';
import { PieceCursor } from '../../osd/blockstore/core/pieces.js';
import { makeObject, Transaction, type GHObject } from '../../osd/objectstore/types.js';
import { Rng, caseSeed } from '../support/rng.js';
import { PG, fresh, quietLogger, randomBytes } from './fixture.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 4096;
const RUN_SEED = Number(process.env.PIECES_TEST_SEED ?? 0x91ece5);
const CASES = Number(process.env.PIECES_TEST_CASES ?? 10);

/**
 * `data` cut into pieces of the given lengths, repeated until it is all cut, each piece a view at an odd
 * offset of a chunk of its own, as the messenger's read chunks hold a data segment.
 */
function cut(data: Buffer, lens: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = Math.min(lens[i % lens.length]!, data.length - at);
    const skew = 5 + (i % 3);
    const chunk = Buffer.alloc(n + skew + 2);
    data.copy(chunk, skew, at, at + n);
    out.push(chunk.subarray(skew, skew + n));
    at += n;
  }
  return out;
}

function randomLens(rng: Rng, total: number): number[] {
  const lens: number[] = [];
  let sum = 0;
  while (sum < total) {
    const n = rng.chance(0.1) ? 0 : rng.chance(0.3) ? rng.int(1, 9) : rng.int(1, 70 * KiB);
    lens.push(n);
    sum += n;
  }
  return lens;
}

describe('BlockStore writes of a data list', function () {
  it('PieceCursor views and copies equal the joined bytes (seeded random splits, empty pieces)', function () {
    for (let c = 0; c < 50 * CASES; c++) {
      const seed = caseSeed(RUN_SEED, c);
      const rng = new Rng(seed);
      const all = randomBytes(rng, rng.int(1, 200 * KiB));
      const pieces = cut(all, randomLens(rng, all.length));
      const cursor = new PieceCursor(pieces);
      let pos = 0;
      while (pos < all.length) {
        const end = Math.min(all.length, pos + rng.int(1, 20 * KiB));
        const v = cursor.view(pos, end);
        if (v) assert.ok(v.equals(all.subarray(pos, end)), `view ${pos}~${end - pos} seed=${seed}`);
        const at = rng.int(0, 3);
        const out = Buffer.alloc(end - pos + at);
        cursor.copy(pos, end, out, at);
        assert.ok(out.subarray(at).equals(all.subarray(pos, end)), `copy ${pos}~${end - pos} seed=${seed}`);
        pos = rng.chance(0.3) ? end : pos + rng.int(0, end - pos);
      }
    }
  });

  it('writes split at odd boundaries read back byte for byte, warm and after a remount, fsck clean', async function () {
    this.timeout(120_000);
    const splits: number[][] = [[1, 65536], [4095], [4096], [4097], [65536 + 3], [1, 4095, 4097, 2], [3, 0, 8191, 65536 + 3, 1]];
    const offsets = [0, 1, 4095, 4096, 3 * BLOCK + 7];
    const dev = new MemDevice(128 * MiB);
    let s = await fresh(dev);
    const objs: { o: GHObject; model: Buffer }[] = [];
    let n = 0;
    const put = async (x: { o: GHObject; model: Buffer }, off: number, data: Buffer, lens: readonly number[]): Promise<void> => {
      await s.queueTransaction(new Transaction().write(PG, x.o, off, cut(data, lens)));
      const m = Buffer.alloc(Math.max(x.model.length, off + data.length));
      x.model.copy(m);
      data.copy(m, off);
      x.model = m;
    };
    const rng = new Rng(caseSeed(RUN_SEED, 1000));
    for (const lens of splits) {
      for (const off of offsets) {
        const x = { o: makeObject(1, `obj${n++}`, n), model: Buffer.alloc(0) };
        objs.push(x);
        // A large write (direct to new blocks), then a large and a small overwrite of part of it, split the same way.
        await put(x, off, randomBytes(rng, 300 * KiB + 5), lens);
        await put(x, off + 2 * BLOCK + 3, randomBytes(rng, 100 * KiB), lens);
        await put(x, rng.int(0, 280 * KiB), randomBytes(rng, rng.int(2, 9 * KiB)), lens);
      }
    }
    for (let c = 0; c < CASES; c++) {
      const seed = caseSeed(RUN_SEED, 2000 + c);
      const r = new Rng(seed);
      const x = { o: makeObject(1, `rnd${c}`, c), model: Buffer.alloc(0) };
      objs.push(x);
      for (let w = 0; w < 6; w++) {
        const data = randomBytes(r, r.chance(0.5) ? r.int(1, 16 * KiB) : r.int(64 * KiB, 1 * MiB));
        const off = r.chance(0.5) ? r.int(0, 64) * BLOCK : r.int(0, 600 * KiB);
        await put(x, off, data, randomLens(r, data.length));
      }
    }
    const check = async (what: string): Promise<void> => {
      for (const x of objs) {
        const got = await s.read(PG, x.o, 0, 0);
        assert.ok(got.equals(x.model), `${what} read of ${x.o.oid}: ${got.length} bytes, want ${x.model.length}`);
      }
    };
    await check('warm');
    assert.equal((await s.fsck()).errors, 0, 'fsck after the writes');
    await s.umount();
    s = new BlockStore(dev, { logger: quietLogger(), kv: memKVFactory });
    await s.mount();
    await check('cold');
    assert.equal((await s.fsck()).errors, 0, 'fsck after a remount');
    await s.umount();
  });

  it('whole blocks inside one piece are written as views of it; a block straddling two pieces is a copy', function () {
    const a = Buffer.alloc(3 * BLOCK + 100, 1);
    const b = Buffer.alloc(2 * BLOCK, 2);
    const cursor = new PieceCursor([a, b]);
    const v0 = cursor.view(0, BLOCK)!;
    assert.equal(v0.buffer, a.buffer, 'a block inside the first piece is a view of it');
    assert.equal(cursor.view(3 * BLOCK, 4 * BLOCK), undefined, 'a straddling block has no view');
    const v4 = cursor.view(4 * BLOCK, 5 * BLOCK)!;
    assert.ok(v4.buffer === b.buffer && v4.byteOffset === b.byteOffset + BLOCK - 100, 'a block inside the second piece is a view of it');
  });
});
