// Proves the pure core's pieces on their own, with seeded random inputs: node and header codecs round-trip and reject any changed byte, journal records round-trip and reject torn or changed bytes, separators and node splits keep their bounds, and the page allocator never hands out a page twice. Env: KV_SEED=<n> replays one seed.
import { strict as assert } from 'node:assert';
import { KVBatch } from '../../common/kv/index.js';
import { PageAllocator } from '../../common/kv/core/alloc.js';
import { partition, shortestSeparator } from '../../common/kv/core/btree.js';
import { PAGE_BYTES } from '../../common/kv/core/limits.js';
import { Node, PageRef, ValueExtent, decodeHeader, decodeNode, encodeHeader, encodeNode, type KVHeader } from '../../common/kv/core/pages.js';
import { decodeBatch, decodeRecordHeader, encodeBatch, encodeRecord, recordBatches } from '../../common/kv/core/wal.js';
import { Rng } from '../support/rng.js';

const seed = process.env.KV_SEED ? Number(process.env.KV_SEED) : 0x636f7265;

function bytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(0, 3) === 0 ? rng.int(0, 255) : 0x61 + rng.int(0, 2);
  return b;
}

function sortedKeys(rng: Rng, n: number, maxLen: number): Buffer[] {
  const set = new Map<string, Buffer>();
  while (set.size < n) {
    const k = bytes(rng, rng.int(0, maxLen));
    set.set(k.toString('hex'), k);
  }
  return [...set.values()].sort(Buffer.compare);
}

describe('kv core (pure)', () => {
  it(`seed=${seed}: nodes round-trip and every changed byte is EIO`, () => {
    const rng = new Rng(seed);
    for (let round = 0; round < 30; round++) {
      const leaf = rng.chance(0.5);
      const keys = sortedKeys(rng, rng.int(1, 20), 60);
      const n = new Node(leaf, keys);
      if (leaf) n.vals = keys.map(() => (rng.chance(0.3) ? new ValueExtent([new PageRef(rng.int(0, 1000), 1), new PageRef(rng.int(0, 1000), 1)], 5000, rng.u32()) : bytes(rng, rng.int(0, 100))));
      else {
        n.kids = [...keys, keys[0]!].map(() => new PageRef(rng.int(0, 1000), rng.int(1, 3)));
      }
      const buf = encodeNode(n, 42, 0xabcdef01, 7, 1024);
      assert.equal(buf.length % PAGE_BYTES, 0);
      const back = decodeNode(buf, new PageRef(42, buf.length / PAGE_BYTES), 0xabcdef01, 'test', 7);
      assert.deepEqual(back.keys.map((k) => k.toString('hex')), keys.map((k) => k.toString('hex')));
      assert.equal(JSON.stringify(back.vals.map((v) => (v instanceof ValueExtent ? v : v.toString('hex')))), JSON.stringify(n.vals.map((v) => (v instanceof ValueExtent ? v : v.toString('hex')))));
      assert.equal(JSON.stringify(back.kids), JSON.stringify(n.kids));
      const ref = new PageRef(42, buf.length / PAGE_BYTES);
      const at = rng.int(0, buf.length - 1);
      const bad = Buffer.from(buf);
      bad[at]! ^= 1 << rng.int(0, 7);
      assert.throws(() => decodeNode(bad, ref, 0xabcdef01, 'test', 7), (e: Error & { code?: string }) => e.code === 'EIO', `byte ${at}`);
      assert.throws(() => decodeNode(buf, new PageRef(43, ref.pages), 0xabcdef01, 'test', 7), /claims slot/);
      assert.throws(() => decodeNode(buf, ref, 0xabcdef02, 'test', 7), /uuid/);
      assert.throws(() => decodeNode(buf, ref, 0xabcdef01, 'test', 6), /checkpoint 7/);
    }
  });

  it('headers round-trip; one bad copy falls back to the other; a block without magic is foreign', () => {
    const h: KVHeader = {
      uuid: Buffer.alloc(16, 3), generation: 9, regionOffset: 4096, regionLength: 1 << 22, journalBytes: 1 << 18, pageCount: 900,
      root: new PageRef(5, 2), checkpointSeq: 1234, journalStartLsn: 99 * 512, keys: 77,
    };
    const block = encodeHeader(h);
    const r = decodeHeader(block);
    assert.equal(r.kind, 'ok');
    if (r.kind === 'ok') assert.equal(JSON.stringify(r.header), JSON.stringify(h));
    const half = Buffer.from(block);
    half[100]! ^= 4;
    assert.equal(decodeHeader(half).kind, 'ok');
    half[2048 + 100]! ^= 4;
    assert.equal(decodeHeader(half).kind, 'corrupt');
    assert.equal(decodeHeader(Buffer.alloc(4096)).kind, 'foreign');
  });

  it(`seed=${seed}: records round-trip; a torn or changed record is refused`, () => {
    const rng = new Rng(seed + 1);
    for (let round = 0; round < 30; round++) {
      const batches: Buffer[] = [];
      const want: string[] = [];
      for (let i = 0; i < rng.int(1, 5); i++) {
        const b = new KVBatch().set(bytes(rng, rng.int(0, 30)), bytes(rng, rng.int(0, 3000))).rm(bytes(rng, 5)).rmRange(Buffer.from('a'), Buffer.from('b'));
        batches.push(encodeBatch(b));
        want.push(JSON.stringify(b.ops.map((o) => Object.values(o).map((x) => (Buffer.isBuffer(x) ? x.toString('hex') : x)))));
      }
      const lsn = rng.int(0, 1000) * 512;
      const rec = Buffer.concat(encodeRecord(0x1234, lsn, 77, batches));
      assert.equal(rec.length % 512, 0);
      const h = decodeRecordHeader(rec, 0x1234, lsn)!;
      assert.ok(h && h.firstSeq === 77 && h.batchCount === batches.length);
      const got = recordBatches(rec, h)!.map((b) => JSON.stringify(decodeBatch(b).map((o) => Object.values(o).map((x) => (Buffer.isBuffer(x) ? x.toString('hex') : x)))));
      assert.deepEqual(got, want);
      assert.equal(decodeRecordHeader(rec, 0x1234, lsn + 512), null, 'another position');
      assert.equal(decodeRecordHeader(rec, 0x1235, lsn), null, 'another store');
      // Torn at a sector: the tail sectors hold old bytes.
      if (rec.length > 512) {
        const torn = Buffer.from(rec);
        const cut = rng.int(1, rec.length / 512 - 1) * 512;
        torn.fill(0x5a, cut);
        const th = decodeRecordHeader(torn, 0x1234, lsn);
        assert.ok(!th || recordBatches(torn, th) === null || cut >= 64 + h.payloadBytes, 'torn record accepted');
      }
      const flipped = Buffer.from(rec);
      const at = rng.int(0, 64 + h.payloadBytes - 1);
      flipped[at]! ^= 1 << rng.int(0, 7);
      const fh = decodeRecordHeader(flipped, 0x1234, lsn);
      assert.ok(!fh || recordBatches(flipped, fh) === null, `flip at ${at} accepted`);
    }
  });

  it(`seed=${seed}: separators lie between their keys; partitions stay within a page unless one item is larger`, () => {
    const rng = new Rng(seed + 2);
    for (let i = 0; i < 500; i++) {
      const [a, b] = sortedKeys(rng, 2, 20);
      const s = shortestSeparator(a!, b!);
      assert.ok(Buffer.compare(a!, s) < 0 && Buffer.compare(s, b!) <= 0, `${a!.toString('hex')} < ${s.toString('hex')} <= ${b!.toString('hex')}`);
      const sizes = Array.from({ length: rng.int(1, 60) }, () => (rng.chance(0.05) ? rng.int(4000, 17000) : rng.int(5, 1100)));
      const cuts = partition(sizes, 4060);
      const bounds = [0, ...cuts, sizes.length];
      for (let p = 0; p + 1 < bounds.length; p++) {
        assert.ok(bounds[p + 1]! > bounds[p]!, 'empty piece');
        const sum = sizes.slice(bounds[p], bounds[p + 1]).reduce((x, y) => x + y, 0);
        assert.ok(sum <= 4060 || bounds[p + 1]! - bounds[p]! === 1, `piece of ${sum} bytes`);
      }
    }
  });

  it(`seed=${seed}: the allocator hands out each page once and finds runs`, () => {
    const rng = new Rng(seed + 3);
    const a = new PageAllocator(1000);
    const held: PageRef[] = [];
    const owner = new Int32Array(1000).fill(-1);
    for (let i = 0; i < 5000; i++) {
      if (held.length && rng.chance(0.45)) {
        const r = held.splice(rng.int(0, held.length - 1), 1)[0]!;
        a.release(r.slot, r.pages);
        for (let p = r.slot; p < r.slot + r.pages; p++) owner[p] = -1;
      } else {
        const n = rng.int(1, 12);
        const s = a.alloc(n);
        if (s < 0) continue;
        for (let p = s; p < s + n; p++) {
          assert.equal(owner[p], -1, `page ${p} handed out twice`);
          owner[p] = i;
        }
        held.push(new PageRef(s, n));
      }
      assert.equal(a.free, owner.filter((o) => o === -1).length);
    }
    const r = held[0]!;
    a.release(r.slot, r.pages);
    assert.throws(() => a.release(r.slot, r.pages), /freed twice/);
  });
});
