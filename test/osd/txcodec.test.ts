// Proves osd/core/txcodec.ts writes Ceph 16's ObjectStore::Transaction encoding (whole, or as parts that share large write data, and read back from any split into segments with the largest write kept as views of them): the three transactions two real ceph-osds sent each other in MOSDRepOp (test/golden/osdop, scripts/gen-osdop-golden.mjs) decode to the ops Ceph built and re-encode to the same bytes; a transaction written byte by byte from src/os/Transaction.h (plain Buffer writes) equals our encoding; seeded random transactions of every op round-trip and convert back to the same Transaction ops; truncated and corrupt inputs are CephErrors. TXCODEC_SEED=<n> replays one seeded case.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CephError } from '../../common/errors.js';
import {
  decodeCephTransaction, decodeTransaction, decodeTransactionSegments, encodeCephTransaction, encodeTransaction, encodeTransactionParts,
  fromCephTransaction, toCephTransaction, txShareBytesMin, type CephTransaction,
} from '../../osd/core/txcodec.js';
import { NO_GEN, NO_SHARD, SNAP_HEAD, Transaction, makeObject, pgCollection, type GHObject } from '../../osd/objectstore/types.js';
import { str, u32, u64 } from '../support/le-bytes.js';
import { caseSeed, Rng } from '../support/rng.js';

const GOLD = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'test/golden/osdop');
const gold = (name: string): Buffer => readFileSync(join(GOLD, `${name}-MOSDRepOp-0.data.bin`));

describe('osd/core/txcodec: transactions two real Ceph 16.2.15 OSDs exchanged', () => {
  it('a put (create, setattrs of "_" and "snapset", write) decodes and re-encodes byte for byte', () => {
    const b = gold('repop-put');
    const ct = decodeCephTransaction(b);
    assert.deepEqual(ct.ops.map((o) => o.op), ['create', 'setattrs', 'write']);
    const w = ct.ops[2]!;
    assert.ok(w.op === 'write');
    assert.equal(w.cid, '2.0_head');
    assert.equal(w.oid.oid, 'robj1');
    assert.equal(w.oid.snap, SNAP_HEAD);
    assert.equal(w.oid.generation, NO_GEN);
    assert.equal(w.oid.shard, NO_SHARD);
    assert.equal(Buffer.concat(w.data).toString(), 'hello golden object\n');
    const sa = ct.ops[1]!;
    assert.ok(sa.op === 'setattrs');
    assert.deepEqual([...sa.attrs.keys()], ['_', 'snapset']);
    assert.deepEqual(encodeCephTransaction(ct), b);
  });

  it('an omap set (setattrs, omap_setkeys) and a remove re-encode byte for byte', () => {
    for (const [name, kinds] of [['repop-omap', ['setattrs', 'omapSetKeys']], ['repop-rm', ['remove']]] as const) {
      const b = gold(name);
      const ct = decodeCephTransaction(b);
      assert.deepEqual(ct.ops.map((o) => o.op), kinds, name);
      assert.deepEqual(encodeCephTransaction(ct), b, name);
    }
  });

  it('converted to our Transaction (create -> touch) and back, the put still applies the same ops', () => {
    const t = decodeTransaction(gold('repop-put'));
    assert.deepEqual(t.ops.map((o) => o.op), ['touch', 'setattrs', 'write']);
    const again = decodeTransaction(encodeTransaction(t));
    assert.deepEqual(again.ops, t.ops);
  });
});

// ---- a vector written from src/os/Transaction.h with plain Buffer writes ----------------------------

function op(code: number, cid: number, oid: number, off = 0n, len = 0n, destOid = 0): Buffer {
  return Buffer.concat([u32(code), u32(cid), u32(oid), u64(off), u64(len), u32(0), u32(destOid), u64(0n), u32(0), u64(0n), u64(0n), u32(0), u32(0)]);
}

describe('osd/core/txcodec: a hand-written vector', () => {
  it('touch, setattr-by-setattrs, write and clone in pool 3 pg 0x1f equal the bytes laid out from Transaction.h', () => {
    const cid = pgCollection(3, 0x1f);
    const a = makeObject(3, 'b', 0x9e);
    const b = makeObject(3, 'a', 0x1f, { nspace: 'ns' });
    const t = new Transaction().touch(cid, a).setattrs(cid, a, new Map([['_x', Buffer.from('1')]])).write(cid, a, 8, Buffer.from('xyz')).clone(cid, a, b);
    const dataBl = Buffer.concat([u32(1), str('_x'), u32(1), Buffer.from('1'), u32(3), Buffer.from('xyz')]);
    const opBl = Buffer.concat([op(9, 0, 0), op(15, 0, 0), op(10, 0, 0, 8n, 3n), op(17, 0, 0, 0n, 0n, 1)]);
    const coll = Buffer.concat([Buffer.from([2, 2]), Buffer.from([1, 1]), u32(18), Buffer.from([1]), u64(3n), u32(0x1f), u32(0xffffffff), Buffer.from([0xff]), u64(0xfffffffffffffffen)]);
    const gh = (o: GHObject): Buffer => {
      const body = Buffer.concat([str(o.key), str(o.oid), u64(0xfffffffffffffffen), u32(o.hash), Buffer.from([0]), str(o.nspace), u64(BigInt(o.pool)), u64(0xffffffffffffffffn), Buffer.from([0xff, 0])]);
      return Buffer.concat([Buffer.from([6, 3]), u32(body.length), body]);
    };
    // object_index is sorted by ghobject_t order: hash 0x9e reversed (0x79000000) sorts before 0x1f reversed (0xf8000000).
    const objIdx = Buffer.concat([u32(2), gh(a), u32(0), gh(b), u32(1)]);
    const tdata = Buffer.concat([u64(4n), u32(3), u32(8), u32(dataBl.length - 3), u32(0)]);
    const body = Buffer.concat([u32(dataBl.length), dataBl, u32(opBl.length), opBl, u32(1), coll, u32(0), objIdx, tdata]);
    const want = Buffer.concat([Buffer.from([9, 9]), u32(body.length), body]);
    assert.deepEqual(encodeTransaction(t), want);
    assert.deepEqual(decodeTransaction(want).ops, t.ops);
  });
});

// ---- seeded round trips -----------------------------------------------------------------------------

function randomTx(rng: Rng): Transaction {
  const cids = [pgCollection(1, rng.int(0, 255)), pgCollection(2, rng.int(0, 15), rng.chance(0.3) ? rng.int(0, 5) : NO_SHARD), 'meta', '4.3_TEMP'];
  const name = (): string => rng.pick(['a', 'b', 'obj', 'x\u00e9', '']) + String(rng.int(0, 9));
  const obj = (): GHObject => makeObject(rng.int(-3, 5), name(), rng.u32(), { nspace: rng.pick(['', 'n']), key: rng.pick(['', 'k']), snap: rng.pick([SNAP_HEAD, 3, 0]), generation: rng.pick([NO_GEN, 2]) });
  const buf = (): Buffer => Buffer.from(Array.from({ length: rng.int(0, 40) }, () => rng.int(0, 255)));
  const kv = (): Map<string, Buffer> => new Map(Array.from({ length: rng.int(0, 4) }, () => [name(), buf()] as [string, Buffer]));
  const t = new Transaction();
  const n = rng.int(0, 25);
  for (let i = 0; i < n; i++) {
    const c = rng.pick(cids);
    switch (rng.int(0, 17)) {
      case 0: t.touch(c, obj()); break;
      case 1: t.write(c, obj(), rng.int(0, 1 << 20), buf()); break;
      case 2: t.zero(c, obj(), rng.int(0, 5000), rng.int(0, 5000)); break;
      case 3: t.truncate(c, obj(), rng.int(0, 1 << 30)); break;
      case 4: t.remove(c, obj()); break;
      case 5: t.setattrs(c, obj(), kv()); break;
      case 6: t.rmattr(c, obj(), name()); break;
      case 7: t.rmattrs(c, obj()); break;
      case 8: t.clone(c, obj(), obj()); break;
      case 9: t.cloneRange(c, obj(), obj(), rng.int(0, 100), rng.int(0, 100), rng.int(0, 100)); break;
      case 10: t.omapClear(c, obj()); break;
      case 11: t.omapSetKeys(c, obj(), kv()); break;
      case 12: t.omapRmKeys(c, obj(), [...new Set([name(), name()])].sort()); break;
      case 13: t.omapRmKeyRange(c, obj(), name(), name()); break;
      case 14: t.omapSetHeader(c, obj(), buf()); break;
      case 15: t.createCollection(c, rng.int(0, 32)); break;
      case 16: t.collectionMoveRename(c, obj(), rng.pick(cids), obj()); break;
      case 17: t.splitCollection(c, rng.int(0, 32), rng.int(0, 7), rng.pick(cids)); break;
    }
  }
  return t;
}

/** Ops as comparable data: a write's buffer list joined (the decoder returns one buffer). */
function norm(t: Transaction): unknown[] {
  return t.ops.map((o) => (o.op === 'write' ? { ...o, data: [Buffer.concat([...o.data])] } : o));
}

describe('osd/core/txcodec: seeded round trips', () => {
  const runSeed = Number(process.env.TXCODEC_SEED ?? 0x7c0dec);
  const cases = process.env.TXCODEC_SEED ? 1 : 400;
  it(`${cases} random transactions of every op encode, decode and re-encode to the same bytes and ops`, () => {
    for (let i = 0; i < cases; i++) {
      const seed = process.env.TXCODEC_SEED ? runSeed : caseSeed(runSeed, i);
      const t = randomTx(new Rng(seed));
      const b = encodeTransaction(t);
      const ct = decodeCephTransaction(b);
      assert.deepEqual(encodeCephTransaction(ct), b, `seed=${seed}: re-encode differs`);
      assert.deepEqual(norm(fromCephTransaction(ct)), norm(t), `seed=${seed}: ops differ`);
    }
  });

  it('every truncation and 500 seeded byte flips of a real transaction give a CephError or a decodable transaction, never another exception', () => {
    const b = gold('repop-put');
    for (let n = 0; n < b.length; n++) assert.throws(() => decodeCephTransaction(b.subarray(0, n)), CephError, `truncated at ${n}`);
    const rng = new Rng(runSeed);
    for (let i = 0; i < 500; i++) {
      const c = Buffer.from(b);
      c[rng.int(0, c.length - 1)] ^= 1 << rng.int(0, 7);
      try {
        decodeCephTransaction(c);
      } catch (e) {
        assert.ok(e instanceof CephError, `flip case ${i}: ${String(e)}`);
      }
    }
  });

  it("an op_bl u64 past 2^53 (the write's offset) is EINVAL, as every Decoder.u64", () => {
    const c = Buffer.from(gold('repop-put'));
    const opBl = 10 + c.readUInt32LE(6) + 4; // header, data_bl, op_bl's length
    const writeOff = opBl + 2 * 72 + 12; // the third op (the write), its off
    c.writeUInt32LE(0x200000, writeOff + 4);
    assert.throws(() => decodeCephTransaction(c), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && /op_bl: off: u64 .* exceeds 2\^53/.test(e.message));
    c.writeUInt32LE(0x1fffff, writeOff + 4); // 2^53 - 2^32 still decodes
    assert.equal(decodeCephTransaction(c).ops.length, 3);
  });

  it('Ceph-only ops (nop, create, setattr, set-alloc-hint, coll hint) round-trip and fold into ours', () => {
    const cid = pgCollection(1, 2);
    const o = makeObject(1, 'z', 2);
    const ct: CephTransaction = {
      fadviseFlags: 0x20,
      ops: [
        { op: 'nop' },
        { op: 'create', cid, oid: o },
        { op: 'setattr', cid, oid: o, name: 'n', value: Buffer.from('v') },
        { op: 'setAllocHint', cid, oid: o, expectedObjectSize: 4194304, expectedWriteSize: 4096, flags: 3 },
        { op: 'collHint', cid, type: 1, hint: Buffer.from([1, 2]) },
      ],
    };
    const b = encodeCephTransaction(ct);
    assert.deepEqual(decodeCephTransaction(b), ct);
    assert.deepEqual(fromCephTransaction(ct).ops, [{ op: 'touch', cid, oid: o }, { op: 'setattrs', cid, oid: o, attrs: new Map([['n', Buffer.from('v')]]) }]);
    assert.deepEqual(toCephTransaction(fromCephTransaction(ct)).ops.length, 2);
  });
});

/** `b` cut at seeded points into 1..8 segments (a message's data segment as the transport delivers it). */
function chop(rng: Rng, b: Buffer): Buffer[] {
  const cuts = Array.from({ length: rng.int(0, 7) }, () => rng.int(0, b.length)).sort((x, y) => x - y);
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, b.length]) {
    if (c > at) out.push(b.subarray(at, c));
    at = c;
  }
  return out.length ? out : [b];
}

describe('osd/core/txcodec: parts and segments (large write data by reference, never copied)', () => {
  const runSeed = Number(process.env.TXCODEC_SEED ?? 0x5e6);
  const cases = process.env.TXCODEC_SEED ? 1 : 150;
  it(`${cases} random transactions with large writes: the parts join to encodeTransaction's bytes and any segmenting decodes to the same ops`, () => {
    for (let i = 0; i < cases; i++) {
      const seed = process.env.TXCODEC_SEED ? runSeed : caseSeed(runSeed, i);
      const rng = new Rng(seed);
      const t = randomTx(rng);
      const big: Buffer[] = [];
      for (let n = rng.int(0, 3); n > 0; n--) {
        const data = Buffer.alloc(rng.pick([txShareBytesMin - 1, txShareBytesMin, txShareBytesMin + 17, 3 * txShareBytesMin]), rng.int(0, 255));
        big.push(data);
        t.write(pgCollection(1, 3), makeObject(1, `big${n}`, 3), rng.int(0, 1 << 22), data);
        if (rng.chance(0.5)) t.setattrs(pgCollection(1, 3), makeObject(1, 'a', 3), new Map([['_', Buffer.from([n])]]));
      }
      const whole = encodeTransaction(t);
      const parts = encodeTransactionParts(t);
      assert.deepEqual(Buffer.concat(parts), whole, `seed=${seed}: parts differ from the whole encoding`);
      for (const d of big) {
        if (d.length >= txShareBytesMin) assert.ok(parts.includes(d), `seed=${seed}: a ${d.length}-byte write was copied`);
      }
      const want = norm(decodeTransaction(whole));
      for (const segs of [[whole], chop(rng, whole), parts]) {
        const got = decodeTransactionSegments(segs);
        assert.deepEqual(norm(got), want, `seed=${seed}: ${segs.length} segments decode to other ops`);
        // the largest write's data stay in the segments' memory (views, no copy)
        const largest = got.ops.reduce((m, o) => (o.op === 'write' && o.length > m ? o.length : m), 0);
        if (largest >= txShareBytesMin) {
          const w = got.ops.find((o) => o.op === 'write' && o.length === largest);
          assert.ok(w?.op === 'write' && w.data.every((v) => segs.some((s) => s.buffer === v.buffer)), `seed=${seed}: the largest write was copied`);
        }
      }
    }
  });

  it('a transaction whose TransactionData misplaces its largest write decodes the same from segments as whole, or fails the same', () => {
    const cid = pgCollection(1, 3);
    const o = makeObject(1, 'x', 3);
    const data = Buffer.alloc(2 * txShareBytesMin, 7);
    const t = new Transaction().setattrs(cid, o, new Map([['_', Buffer.from('oi')]])).write(cid, o, 0, data).write(cid, o, 9, Buffer.from('tail'));
    const good = encodeTransaction(t);
    const at = good.length - 24;
    for (const [len, off] of [[data.length, good.readUInt32LE(at + 16) - 1], [data.length, 4], [4, good.readUInt32LE(at + 16)], [data.length - 1, good.readUInt32LE(at + 16)], [0xffffffff, 0xfffffff0]] as const) {
      const b = Buffer.from(good);
      b.writeUInt32LE(len, at + 8);
      b.writeUInt32LE(off, at + 16);
      const segs = [b.subarray(0, 100), b.subarray(100, 70000), b.subarray(70000)];
      assert.deepEqual(norm(decodeTransactionSegments(segs)), norm(decodeTransaction(b)), `len ${len} off ${off}`);
    }
    const cut = good.subarray(0, good.length - 1);
    assert.throws(() => decodeTransactionSegments([cut.subarray(0, 50), cut.subarray(50)]), CephError);
  });
});
