// Proves a MOSDOp whose data segment arrives in pieces cut at odd places (1 byte, 4095, 4097, 65536+3, seeded random, empty pieces) decodes every op's indata to the bytes sent: a write / writefull / append payload spanning pieces is kept as views of them (osdOpIndataParts, no copy) and joins to the same bytes only when read; other ops' payloads are joined; a payload inside one piece is a view; assigning indata replaces the pieces.

import assert from 'node:assert/strict';
import { PACIFIC_FEATURES } from '../../common/osdmap/index.js';
import {
  CEPH_NOSNAP, MOSDOp, NO_SHARD, OsdOpCode, emptyHObject, opAppend, opSetXattr, opWrite, opWriteFull, osdOpIndataLength, osdOpIndataParts, type OSDOp,
} from '../../msg/messages/osdop.js';
import { Rng, caseSeed } from '../support/rng.js';

const F = PACIFIC_FEATURES;
const RUN_SEED = Number(process.env.INDATA_TEST_SEED ?? 0x1d47a);
const CASES = Number(process.env.INDATA_TEST_CASES ?? 40);
const PARTS_OPS = new Set<number>([OsdOpCode.WRITE, OsdOpCode.WRITEFULL, OsdOpCode.APPEND]);

function bytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(0, 255);
  return b;
}

/** `all` cut into pieces of the lengths given (repeated), each a view of a chunk of its own. */
function cut(all: Buffer, lens: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < all.length; i++) {
    const n = Math.min(lens[i % lens.length]!, all.length - at);
    const chunk = Buffer.alloc(n + 3);
    all.copy(chunk, 1, at, at + n);
    out.push(chunk.subarray(1, 1 + n));
    at += n;
  }
  return out;
}

function message(ops: OSDOp[]): MOSDOp {
  const m = new MOSDOp();
  m.pgid = { pgid: { pool: 1, seed: 7 }, shard: NO_SHARD };
  m.hobj = { ...emptyHObject(), oid: 'obj1', hash: 0x086cf8de, pool: 1, snap: CEPH_NOSNAP };
  m.osdmapEpoch = 8;
  m.ops = ops;
  return m;
}

describe('MOSDOp data segment in pieces', function () {
  it('every op\'s indata is the bytes sent; write payloads stay views of the pieces until read', function () {
    const fixed: number[][] = [[1], [4095], [4097], [65536 + 3], [3, 0, 8191, 1]];
    for (let c = 0; c < CASES; c++) {
      const seed = caseSeed(RUN_SEED, c);
      const rng = new Rng(seed);
      const sent = [
        opWrite(rng.int(0, 9999), bytes(rng, rng.int(1, 200_000))),
        opSetXattr('user.k', bytes(rng, rng.int(1, 9000))),
        opWriteFull(bytes(rng, rng.int(0, 70_000))),
        opAppend(bytes(rng, rng.int(1, 5000))),
      ];
      const want = sent.map((o) => Buffer.from(o.indata));
      const r = message(sent).toRaw(F);
      const all = Buffer.concat(r.data);
      let lens: number[];
      if (c < fixed.length) lens = fixed[c]!;
      else {
        lens = [];
        for (let k = 0; k < 8; k++) lens.push(rng.chance(0.1) ? 0 : rng.int(1, 70_000));
        lens.push(rng.int(1, 70_000));
      }
      const pieces = cut(all, lens);
      const got = MOSDOp.decode({ header: { ...r.header }, front: [...r.front], middle: [...r.middle], data: pieces }, F);
      const owners = new Set(pieces.map((p) => p.buffer));
      for (let i = 0; i < sent.length; i++) {
        const o = got.ops[i]!;
        const parts = osdOpIndataParts(o);
        assert.equal(osdOpIndataLength(o), want[i]!.length, `op ${i} length seed=${seed}`);
        assert.ok(Buffer.concat(parts as Buffer[]).equals(want[i]!), `op ${i} pieces seed=${seed}`);
        if (parts.length > 1) {
          assert.ok(PARTS_OPS.has(o.op), `only data writes keep pieces (op ${i}) seed=${seed}`);
          for (const p of parts) assert.ok(owners.has(p.buffer), `op ${i}'s pieces are views of the segment's seed=${seed}`);
        }
        assert.ok(o.indata.equals(want[i]!), `op ${i} indata seed=${seed}`);
      }
    }
  });

  it('assigning indata replaces the pieces', function () {
    const data = Buffer.alloc(10_000, 7);
    const r = message([opWrite(0, data)]).toRaw(F);
    const got = MOSDOp.decode({ header: { ...r.header }, front: [...r.front], middle: [...r.middle], data: cut(Buffer.concat(r.data), [4097]) }, F);
    const o = got.ops[0]!;
    assert.equal(osdOpIndataParts(o).length, 3);
    const other = Buffer.from('replaced');
    o.indata = other;
    assert.equal(o.indata, other);
    assert.deepEqual(osdOpIndataParts(o), [other]);
    assert.equal(osdOpIndataLength(o), other.length);
  });
});
