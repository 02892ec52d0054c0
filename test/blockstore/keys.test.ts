// Proves BlockStore's KV key encoding keeps Ceph's object order: onode keys of thousands of seeded random
// objects sort by bytes exactly as compareObjects sorts the objects, and decode back to them; the other
// key kinds round-trip. Replay one seed alone with BLOCKSTORE_SEED=<n>.

import assert from 'node:assert/strict';
import {
  decodeDeferredKey, decodeOmapKey, decodeOnodeKey, decodeShardKey, deferredKey, omapEntriesRange, omapHeaderKey, omapKey,
  onodeKey, onodePrefix, onodePrefixEnd, shardKey, shardRange,
} from '../../osd/blockstore/core/keys.js';
import { compareObjects, NO_GEN, NO_SHARD, SNAP_DIR, SNAP_HEAD, type GHObject } from '../../osd/objectstore/types.js';
import { caseSeed, Rng } from '../support/rng.js';

const only = process.env.BLOCKSTORE_SEED === undefined ? undefined : Number(process.env.BLOCKSTORE_SEED);
const seeds = only !== undefined ? [only] : [0, 1, 2].map((i) => caseSeed(0x4b455953, i));

const STRINGS = ['', 'a', 'a\u0000', 'a\u0001', 'a\u0001b', '\u0000', '\u0001', '\u0002', 'ab', 'b', 'é', '\u{1F600}', '\uffff', 'rbd_data.1', 'zz', 'a\u0000b'];

function str(rng: Rng): string {
  if (rng.chance(0.7)) return rng.pick(STRINGS);
  let s = '';
  const n = rng.int(0, 6);
  for (let i = 0; i < n; i++) s += rng.pick(['a', 'b', '\u0000', '\u0001', '\u00ff', 'é', '.', '_']);
  return s;
}

function randomObject(rng: Rng): GHObject {
  const pools = [-1, -2, -3, 0, 1, 2, 1000, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  const snaps = [SNAP_HEAD, SNAP_DIR, 0, 1, 2, 2 ** 32, 2 ** 40 + 7];
  const gens = [NO_GEN, 0, 5, 2 ** 33];
  const oid = str(rng);
  let key = rng.chance(0.3) ? str(rng) : '';
  if (key === oid) key = '';
  return {
    pool: rng.pick(pools),
    nspace: str(rng),
    oid,
    key,
    hash: rng.chance(0.3) ? rng.pick([0, 1, 0x80000000, 0xffffffff]) : rng.u32(),
    snap: rng.pick(snaps),
    generation: rng.pick(gens),
    shard: rng.pick([NO_SHARD, 0, 1, 2, 127]),
  };
}

describe('blockstore keys', function () {
  for (const seed of seeds) {
    it(`seed=${seed}: onode key byte order is compareObjects order on 4000 random objects, and keys decode back`, function () {
      const rng = new Rng(seed);
      const objs = Array.from({ length: 4000 }, () => randomObject(rng));
      const cid = rng.pick(['1.0_head', 'meta', '2.7s1_head']);
      const keyed = objs.map((o) => ({ o, k: onodeKey(cid, o) }));
      for (let i = 1; i < keyed.length; i++) {
        const a = keyed[i - 1]!;
        const b = keyed[i]!;
        const byKey = Math.sign(Buffer.compare(a.k, b.k));
        const byObj = Math.sign(compareObjects(a.o, b.o));
        assert.equal(byKey, byObj, `seed=${seed}: ${JSON.stringify(a.o)} vs ${JSON.stringify(b.o)}: key order ${byKey}, compareObjects ${byObj}`);
      }
      const sortedByKey = [...keyed].sort((a, b) => Buffer.compare(a.k, b.k)).map((x) => x.o);
      const sortedByObj = [...objs].sort(compareObjects);
      for (let i = 0; i < objs.length; i++) assert.equal(compareObjects(sortedByKey[i]!, sortedByObj[i]!), 0, `seed=${seed}: position ${i}`);
      const lo = onodePrefix(cid);
      const hi = onodePrefixEnd(cid);
      for (const { o, k } of keyed) {
        const d = decodeOnodeKey(k);
        assert.equal(d.cid, cid);
        assert.deepEqual(d.oid, o, `seed=${seed}: decode of ${JSON.stringify(o)}`);
        assert.ok(Buffer.compare(k, lo) >= 0 && Buffer.compare(k, hi) < 0, `seed=${seed}: key inside its collection's range`);
      }
    });
  }

  it('collections whose names are prefixes of each other have disjoint key ranges', function () {
    const o = randomObject(new Rng(7));
    for (const [a, b] of [['1.1_head', '1.1_head2'], ['meta', 'meta\u0000'], ['x', 'x\u0001']]) {
      const ka = onodeKey(a!, o);
      assert.ok(Buffer.compare(ka, onodePrefix(b!)) < 0 || Buffer.compare(ka, onodePrefixEnd(b!)) >= 0, `${a} key outside ${b}`);
    }
  });

  it('a locator key equal to the name is the same object (Ceph clears it)', function () {
    const a: GHObject = { pool: 1, nspace: '', oid: 'x', key: '', hash: 5, snap: SNAP_HEAD, generation: NO_GEN, shard: NO_SHARD };
    assert.ok(onodeKey('1.0_head', a).equals(onodeKey('1.0_head', { ...a, key: 'x' })));
  });

  it('shard, omap and deferred keys round-trip and nest in their ranges', function () {
    for (const nid of [1, 255, 2 ** 32 + 3, Number.MAX_SAFE_INTEGER - 1]) {
      for (const shard of [0, 1, 0xffff]) {
        const k = shardKey(nid, shard);
        assert.deepEqual(decodeShardKey(k), { nid, shard });
        const [a, b] = shardRange(nid);
        assert.ok(Buffer.compare(a, k) <= 0 && Buffer.compare(k, b) < 0);
      }
      assert.deepEqual(decodeOmapKey(omapHeaderKey(nid)), { nid, key: undefined });
      for (const key of ['', 'a', '\u0000', '\uffff', 'é']) {
        const k = omapKey(nid, key);
        assert.deepEqual(decodeOmapKey(k), { nid, key });
        const [a, b] = omapEntriesRange(nid);
        assert.ok(Buffer.compare(a, k) <= 0 && Buffer.compare(k, b) < 0);
        assert.ok(Buffer.compare(omapHeaderKey(nid), k) < 0, 'the header sorts before the entries');
      }
      assert.equal(decodeDeferredKey(deferredKey(nid)), nid);
    }
    assert.ok(Buffer.compare(omapKey(1, 'a'), omapKey(1, 'a\u0000')) < 0 && Buffer.compare(omapKey(1, 'a\u0000'), omapKey(1, 'b')) < 0);
  });
});
