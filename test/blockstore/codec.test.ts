// Proves BlockStore's on-device records round-trip (superblock, onode, extent shard, collection, deferred
// record) and that a flipped bit or a cut record anywhere in one is refused as EIO (EINVAL "bad magic" for a
// device that is not a BlockStore), never decoded into something else; a deferred record encoded into a reused
// buffer is byte for byte the one encoded fresh.

import assert from 'node:assert/strict';
import { CephError } from '../../common/errors.js';
import { decodeSuperblock, encodeSuperblock, planLayout, FORMAT_VERSION } from '../../osd/blockstore/core/layout.js';
import {
  decodeCollection, decodeDeferred, decodeOnode, decodeShard, encodeCollection, encodeDeferred, encodeOnode, encodeShard,
  newShard, type Onode,
} from '../../osd/blockstore/core/onode.js';
import { BLOCK_BYTES, SHARD_BLOCKS } from '../../osd/blockstore/core/limits.js';

function isCode(code: string): (e: unknown) => boolean {
  return (e: unknown) => e instanceof CephError && e.code === code;
}

/** Every single-bit flip of `value` must make `decode` throw EIO. */
function everyFlipIsEIO(value: Buffer, decode: (b: Buffer) => unknown, step = 1): void {
  for (let bit = 0; bit < value.length * 8; bit += step) {
    const b = Buffer.from(value);
    b[bit >> 3]! ^= 1 << (bit & 7);
    assert.throws(() => decode(b), isCode('EIO'), `flip of bit ${bit}`);
  }
  for (const n of [0, 3, value.length - 1]) assert.throws(() => decode(value.subarray(0, n)), isCode('EIO'), `cut at ${n}`);
}

describe('blockstore records', function () {
  it('superblock round-trips; any flip is EIO; a foreign device is EINVAL bad magic', function () {
    const { kv, data } = planLayout(1024 * 1024 * 1024);
    const sb = { formatVersion: FORMAT_VERSION, uuid: '0123abcd-0000-4000-8000-00000000beef', deviceBytes: 1024 * 1024 * 1024, blockBytes: BLOCK_BYTES, kv, data };
    const block = encodeSuperblock(sb);
    assert.equal(block.length, BLOCK_BYTES);
    assert.deepEqual(decodeSuperblock(block), sb);
    const used = 16 + 6 + 64 + 4; // magic, struct header, body, crc
    for (let bit = 16 * 8; bit < used * 8; bit++) {
      const b = Buffer.from(block);
      b[bit >> 3]! ^= 1 << (bit & 7);
      assert.throws(() => decodeSuperblock(b), (e: unknown) => e instanceof CephError && (e.code === 'EIO' || e.code === 'EINVAL'), `flip ${bit}`);
    }
    assert.throws(() => decodeSuperblock(Buffer.alloc(BLOCK_BYTES)), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && /not a tsceph BlockStore \(bad magic\)/.test(e.message));
    const magicFlip = Buffer.from(block);
    magicFlip[0]! ^= 1;
    assert.throws(() => decodeSuperblock(magicFlip), isCode('EINVAL'));
  });

  it('layout: the KV region is 1/16 of the device within bounds; regions do not overlap; tiny devices are EINVAL', function () {
    for (const size of [32 * 1024 * 1024, 1024 * 1024 * 1024, 256 * 1024 * 1024 * 1024]) {
      const { kv, data } = planLayout(size);
      assert.ok(kv.offset >= BLOCK_BYTES && kv.offset + kv.length <= data.offset && data.offset + data.length <= size);
      assert.equal(data.offset % BLOCK_BYTES, 0);
      assert.equal(data.length % BLOCK_BYTES, 0);
    }
    assert.throws(() => planLayout(8 * 1024 * 1024), isCode('EINVAL'));
  });

  it('onode round-trips; every flip and cut is EIO', function () {
    const o: Onode = { nid: 2 ** 40 + 5, size: 123456789, attrs: new Map([['_', Buffer.from('abc')], ['', Buffer.alloc(0)], ['é', Buffer.alloc(300, 7)]]), shards: new Map() };
    const v = encodeOnode(o);
    const d = decodeOnode(v, 'test onode');
    assert.equal(d.nid, o.nid);
    assert.equal(d.size, o.size);
    assert.deepEqual([...d.attrs].sort(), [...o.attrs].sort());
    everyFlipIsEIO(v, (b) => decodeOnode(b, 'test onode'));
    assert.throws(() => decodeOnode(v.subarray(0, 5), 'obj X'), (e: unknown) => e instanceof CephError && /obj X/.test(e.message));
  });

  it('extent shard round-trips runs and holes; every flip is EIO', function () {
    const s = newShard();
    for (let i = 0; i < SHARD_BLOCKS; i++) {
      if (i % 7 === 3) continue;
      s.pblocks[i] = i < 20 ? 1000 + i : 5000 + i * 3;
      s.crcs[i] = (i * 2654435761) >>> 0;
    }
    const v = encodeShard(s);
    const d = decodeShard(v, 'shard');
    assert.deepEqual([...d.pblocks], [...s.pblocks]);
    assert.deepEqual([...d.crcs], [...s.crcs]);
    everyFlipIsEIO(v, (b) => decodeShard(b, 'shard'), 3);
  });

  it('collection and deferred records round-trip; flips are EIO', function () {
    const c = encodeCollection({ bits: 7 });
    assert.deepEqual(decodeCollection(c, 'c'), { bits: 7 });
    everyFlipIsEIO(c, (b) => decodeCollection(b, 'c'));
    const blocks = [{ pblock: 77, data: Buffer.alloc(BLOCK_BYTES, 1) }, { pblock: 78, data: Buffer.alloc(BLOCK_BYTES, 2) }];
    const d = encodeDeferred(blocks);
    assert.deepEqual(decodeDeferred(d, 'd'), blocks);
    everyFlipIsEIO(d, (b) => decodeDeferred(b, 'd'), 997);
    // Into a reused (dirty, larger) buffer: the same bytes, as a view of its start.
    const reused = Buffer.alloc(3 * BLOCK_BYTES, 0xcc);
    const into = encodeDeferred(blocks, reused);
    assert.ok(into.equals(d) && into.buffer === reused.buffer && into.byteOffset === reused.byteOffset);
    assert.ok(encodeDeferred([], reused).equals(encodeDeferred([])));
    assert.throws(() => encodeDeferred(blocks, Buffer.alloc(d.length - 1)), /fits the buffer given/);
  });
});
