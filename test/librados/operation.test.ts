// Proves the pieces of librados' compound operations and stats that need no cluster: WriteOp / ReadOp
// build Ceph's op codes, flags and payloads (omap_cmp's map<string, pair<bl, int>>, cmpxattr's u64 mode),
// slots fill from a reply (values only on success, rvals always), failed results map to errnos and
// cmpext mismatches to their offset, and librados' pool_stat_t conversion. (MStatfs / MStatfsReply
// bytes are test/msg/statfs.test.ts's.)
import { strict as assert } from 'node:assert';
import { Decoder, Encoder } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';
import {
  CmpXattrMode, CmpXattrOp, OsdOpCode, OsdOpFlag, emptyObjectStatSum, emptyPoolStat, encodeStatReply, osdOpIsWrite,
} from '../../msg/index.js';
import { CmpExtMismatch, MAX_ERRNO, ReadOp, WriteOp, poolStatsFrom } from '../../librados/index.js';
import { operationError } from '../../librados/operation.js';

describe('librados WriteOp / ReadOp (no cluster)', () => {
  it('a WriteOp lists Ceph\'s op codes in order, failOk flags the last op', () => {
    const w = new WriteOp().create(true).writeFull(Buffer.from('abc')).setxattr('user.k', Buffer.from('v')).failOk().omapSet({ b: Buffer.from('2'), a: Buffer.from('1') }).remove();
    assert.deepEqual(w.ops.map((o) => o.op), [OsdOpCode.CREATE, OsdOpCode.WRITEFULL, OsdOpCode.SETXATTR, OsdOpCode.OMAPSETVALS, OsdOpCode.DELETE]);
    assert.equal(w.ops[0]!.flags, OsdOpFlag.EXCL);
    assert.equal(w.ops[2]!.flags, OsdOpFlag.FAILOK);
    assert.ok(w.ops.every((o) => osdOpIsWrite(o.op)));
    assert.throws(() => new WriteOp().failOk(), (e: unknown) => e instanceof CephError && e.code === 'EINVAL');
    assert.throws(() => new WriteOp().writeSame(Buffer.from('ab'), 5), (e: unknown) => e instanceof CephError && e.code === 'EINVAL');
  });

  it('cmpxattr with a number compares as u64; omapCmp encodes key -> (value, op) sorted by key', () => {
    const w = new WriteOp().cmpxattr('user.n', 'gte', 40).omapCmp(new Map([['z', { value: Buffer.from('Z'), op: 'eq' }], ['a', { value: Buffer.from('A'), op: 'lt' }]]));
    const cx = w.ops[0]!;
    assert.equal(cx.op, OsdOpCode.CMPXATTR);
    assert.equal(cx.args[8], CmpXattrOp.GTE);
    assert.equal(cx.args[9], CmpXattrMode.U64);
    assert.deepEqual(cx.indata, Buffer.concat([Buffer.from('user.n'), new Encoder(8).u64(40).toBuffer()]));
    const oc = w.ops[1]!;
    assert.equal(oc.op, OsdOpCode.OMAP_CMP);
    const d = new Decoder(oc.indata, 'omap_cmp');
    assert.equal(d.u32('n'), 2);
    assert.deepEqual([d.string('k'), Buffer.from(d.bytes('v')).toString(), d.s32('op')], ['a', 'A', CmpXattrOp.LT]);
    assert.deepEqual([d.string('k'), Buffer.from(d.bytes('v')).toString(), d.s32('op')], ['z', 'Z', CmpXattrOp.EQ]);
    assert.ok(d.atEnd());
  });

  it('ReadOp slots: values on success, only rvals when the operation failed', () => {
    const r = new ReadOp();
    const st = r.stat();
    const x = r.getxattr('user.none');
    r.failOk();
    const reply = r.ops.map((o) => ({ ...o }));
    reply[0]!.outdata = encodeStatReply(12, { sec: 1700000000, nsec: 0 });
    reply[1]!.rval = -61;
    r.fill(reply, 0);
    assert.equal(st.get().size, 12);
    assert.equal(x.rval, -61);
    assert.throws(() => x.get(), (e: unknown) => e instanceof CephError && e.code === 'ENODATA');
    const r2 = new ReadOp();
    const st2 = r2.stat();
    r2.fill(r2.ops.map((o) => ({ ...o })), -2);
    assert.equal(st2.value, undefined, 'no value from a failed operation');
    assert.equal(st2.done, true);
    assert.throws(() => new ReadOp().stat().get(), (e: unknown) => e instanceof CephError && e.code === 'EINVAL');
  });

  it('failed results: errno names, and cmpext mismatches carry their offset', () => {
    const e = operationError(-2, 'o', 3);
    assert.equal(e.code, 'ENOENT');
    assert.match(e.message, /osd\.3/);
    const m = operationError(-(MAX_ERRNO + 17), 'o', 0);
    assert.ok(m instanceof CmpExtMismatch);
    assert.equal(m.code, 'ECANCELED');
    assert.equal(m.offset, 17);
  });

  it('pool_stat_t as librados converts it, per-pool store stats or not', () => {
    const p = emptyPoolStat();
    p.stats = { ...emptyObjectStatSum(), numBytes: 5000, numObjects: 3, numObjectCopies: 3, numRd: 7, numRdKb: 2, numWr: 9, numWrKb: 4, numOmapBytes: 10 };
    p.storeStats = { ...p.storeStats, allocated: 12288, dataStored: 5000, omapAllocated: 100, dataCompressedOriginal: 1, dataCompressed: 2, dataCompressedAllocated: 3 };
    const legacy = poolStatsFrom(p, false);
    assert.equal(legacy.numBytes, 5000);
    assert.equal(legacy.numKb, 5);
    assert.equal(legacy.numUserBytes, 5010);
    const per = poolStatsFrom(p, true);
    assert.equal(per.numBytes, 12388);
    assert.equal(per.numKb, 13);
    assert.deepEqual([per.numObjects, per.numRd, per.numRdKb, per.numWr, per.numWrKb], [3, 7, 2, 9, 4]);
    assert.deepEqual([per.compressedBytesOrig, per.compressedBytes, per.compressedBytesAlloc], [1, 2, 3]);
  });
});
