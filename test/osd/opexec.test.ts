// Proves osd/core/opexec.ts runs client ops as Ceph 16's PrimaryLogPG::do_osd_ops does, on a MemStore through objectStorePort: every op's success and error results (create/EEXIST, write, writefull, append, writesame, read past the end, sparse-read, stat/ENOENT, delete/ENOENT, truncate, zero and its munging into truncate, cmpext's -MAX_ERRNO - offset, assert-version ERANGE/EOVERFLOW, xattrs with ENODATA and cmpxattr ECANCELED in string and u64 modes, omap get/set/rm/clear/header, paging with start_after / filter_prefix / max_return and "more", omap-cmp, set-alloc-hint, FAILOK, EOPNOTSUPP, EFBIG), reads after writes in one request seeing the store as it was before the request (as Ceph's replicated backend; EIO/ENOENT where Ceph would leave an object unfound or abort), all-or-nothing failure, object_info_t kept in "_" as a Ceph OSD keeps it (versions, user_version, size, mtime, reqid, DIRTY/OMAP/digest flags), stats deltas; a seeded model check: random op vectors against a plain in-memory model of object data, xattrs and omap; and a differential check against a real Ceph 16 ceph-osd (memstore, ports 18900-18929, skipped when Ceph is not installed): ~90 scripted requests, 26 read-after-write requests (each also with a failing tail, so the outdata is compared) and 200 seeded write requests with reads between the writes give the same results, rvals, outdata, user versions and object_info_t facts on both. OPEXEC_SEED=<n> replays one seeded case (model and differential); OPEXEC_KEEP=1 keeps the real cluster's directory.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cephCrc32c } from '../../common/crc32c.js';
import { Encoder } from '../../common/encoding.js';
import { Errno } from '../../common/errors.js';
import {
  CEPH_NOSNAP, CmpXattrMode, CmpXattrOp, OsdOpCode, OsdOpFlag, decodeOmapKeysReply, decodeOmapMap, decodeOmapValsReply, decodeStatReply,
  decodeXattrsReply, newOSDOp, opAppend, opAssertVersion, opCmpExt, opCmpXattr, opCreate, opDelete, opGetXattr, opGetXattrs,
  opOmapClear, opOmapGetHeader, opOmapGetKeys, opOmapGetVals, opOmapGetValsByKeys, opOmapRmKeys, opOmapSetHeader, opOmapSetVals,
  opRead, opRmXattr, opSetAllocHint, opSetXattr, opSparseRead, opStat, opTruncate, opWrite, opWriteFull, opWriteSame, opZero,
  type HObject, type OSDOp,
} from '../../msg/messages/osdop.js';
import { PgLogOp } from '../../msg/messages/pgtypes.js';
import { PACIFIC_FEATURES } from '../../common/osdmap/index.js';
import { decodeMessage, type RawMessage } from '../../msg/message.js';
import { MOSDOp, OsdFlag } from '../../msg/messages/osdop.js';
import { decodeCephTransaction, encodeCephTransaction, encodeTransaction } from '../../osd/core/txcodec.js';
import { DIGEST_NONE, OI_ATTR, ObjectInfoFlag, SS_ATTR, decodeObjectInfo, encodeEmptySnapSet } from '../../osd/core/objectinfo.js';
import { MAX_ERRNO, objectBytesMax, executeOps, objectStorePort, omapEntriesPerRequestMax } from '../../osd/core/opexec.js';
import type { OpExecResult } from '../../osd/core/opexec-api.js';
import { MemStore } from '../../osd/index.js';
import { Transaction, makeObject, pgCollection, type GHObject } from '../../osd/objectstore/types.js';
import { caseSeed, Rng } from '../support/rng.js';

const E = (name: keyof typeof Errno): number => -Errno[name];
const CID = pgCollection(3, 0);

/** A PG-sized harness: one MemStore collection, a PG log version counter and last_user_version. */
class Harness {
  readonly store = new MemStore();
  epoch = 5;
  head = 0;
  lastUserVersion = 0;
  tid = 0;
  /** The OSD clock handed to the executor (osdNow), if any. */
  osdNow: { sec: number; nsec: number } | undefined;
  async init(): Promise<this> {
    await this.store.mkfs();
    await this.store.mount();
    await this.store.queueTransaction(new Transaction().createCollection(CID, 0));
    return this;
  }
  soid(name: string): HObject {
    return { oid: name, key: '', nspace: '', hash: 0x1234, pool: 3, snap: CEPH_NOSNAP, max: false };
  }
  obj(name: string): GHObject {
    return makeObject(3, name, 0x1234);
  }
  async run(name: string, ops: OSDOp[], mtime = { sec: 1700000000 + this.tid, nsec: 7 }, flags = 0): Promise<OpExecResult> {
    const version = { epoch: this.epoch, version: this.head + 1 };
    const r = await executeOps(
      {
        soid: this.soid(name), obj: this.obj(name), cid: CID, ops, flags,
        reqid: { name: { type: 8, num: 4100 }, tid: ++this.tid, inc: 0 }, version, lastUserVersion: this.lastUserVersion, mtime,
        ...(this.osdNow ? { osdNow: this.osdNow } : {}),
      },
      objectStorePort(this.store, CID, this.obj(name)),
    );
    // a write request takes a PG log version even when it fails (Ceph logs an ERROR entry)
    if (ops.some((o) => o.op & 0x2000)) this.head = version.version;
    if (r.transaction) {
      await this.store.queueTransaction(r.transaction);
      this.lastUserVersion = r.userVersion;
    }
    return r;
  }
  async oi(name: string) {
    return decodeObjectInfo(await this.store.getattr(CID, this.obj(name), OI_ATTR));
  }
}

const B = (s: string): Buffer => Buffer.from(s);

describe('osd/core/opexec: data ops', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().init();
  });

  it('write creates the object; read returns it; read past the end is short, at the end empty, length 0 whole', async () => {
    const w = await h.run('a', [opWrite(0, B('hello world'))]);
    assert.equal(w.result, 0);
    assert.ok(w.transaction);
    assert.equal(w.logOp, PgLogOp.MODIFY);
    assert.equal(w.deltaObjects, 1);
    assert.equal(w.deltaBytes, 11);
    assert.equal(w.numWr, 1);
    assert.equal(w.numWrKb, 1);
    const r = await h.run('a', [opRead(6, 100), opRead(11, 5), opRead(0, 0), opRead(2, 3)]);
    assert.equal(r.result, 0);
    assert.equal(r.transaction, null);
    assert.deepEqual(r.ops.map((o) => o.outdata.toString()), ['world', '', 'hello world', 'llo']);
    assert.equal(r.ops[0]!.args.readUInt32LE(8), 5, 'the reply carries the trimmed length');
    assert.equal(r.replyVersion, 1);
    assert.equal(r.numRd, 4);
  });

  it('a read-only request on a missing object is ENOENT as a whole; stat and delete of a missing object are ENOENT', async () => {
    const r = await h.run('nope', [opRead(0, 10)]);
    assert.equal(r.result, E('ENOENT'));
    assert.equal(r.transaction, null);
    assert.equal((await h.run('nope', [opStat()])).result, E('ENOENT'));
    assert.equal((await h.run('nope', [opDelete()])).result, E('ENOENT'));
    assert.equal(await h.store.exists(CID, h.obj('nope')), false);
  });

  it('create: exclusive on an existing object is EEXIST, non-exclusive succeeds and bumps the version', async () => {
    assert.equal((await h.run('c', [opCreate(true)])).result, 0);
    assert.equal((await h.store.stat(CID, h.obj('c'))).size, 0);
    assert.equal((await h.run('c', [opCreate(true)])).result, E('EEXIST'));
    const r = await h.run('c', [opCreate(false)]);
    assert.equal(r.result, 0);
    assert.equal(r.userVersion, 3, 'lower-bounded by the PG log version, which the failed create also took');
    assert.deepEqual((await h.oi('c')).priorVersion, { epoch: 5, version: 1 });
  });

  it('writefull replaces (and shrinks), append adds at the size, writesame repeats its pattern', async () => {
    await h.run('f', [opWrite(0, B('0123456789'))]);
    await h.run('f', [opWriteFull(B('abc'))]);
    assert.equal((await h.store.read(CID, h.obj('f'), 0, 0)).toString(), 'abc');
    await h.run('f', [opAppend(B('de'))]);
    assert.equal((await h.store.read(CID, h.obj('f'), 0, 0)).toString(), 'abcde');
    await h.run('f', [opWriteSame(2, 6, B('xy'))]);
    assert.equal((await h.store.read(CID, h.obj('f'), 0, 0)).toString(), 'abxyxyxy');
    assert.equal((await h.run('f', [opWriteSame(0, 5, B('xy'))])).result, E('EINVAL'), 'length not a multiple of the pattern');
    const oi = await h.oi('f');
    assert.equal(oi.size, 8);
  });

  it('stat returns size and mtime; truncate shrinks and grows; zero inside clears, zero to the end truncates, past the end does nothing', async () => {
    await h.run('t', [opWrite(0, B('abcdefghij'))], { sec: 1234, nsec: 5 });
    const s = await h.run('t', [opStat()]);
    assert.deepEqual(decodeStatReply(s.ops[0]!.outdata), { size: 10, mtime: { sec: 1234, nsec: 5 } });
    await h.run('t', [opZero(2, 3)]);
    assert.deepEqual(await h.store.read(CID, h.obj('t'), 0, 0), Buffer.from('ab\0\0\0fghij'));
    await h.run('t', [opZero(8, 100)]);
    assert.equal((await h.oi('t')).size, 8, 'ZERO reaching the end became TRUNCATE');
    const past = await h.run('t', [opZero(50, 10)]);
    assert.equal(past.transaction, null, 'ZERO past the end is a no-op');
    await h.run('t', [opTruncate(3)]);
    await h.run('t', [opTruncate(6)]);
    assert.deepEqual(await h.store.read(CID, h.obj('t'), 0, 0), Buffer.from('ab\0\0\0\0'));
    const miss = await h.run('missing', [opTruncate(5)]);
    assert.equal(miss.result, 0);
    assert.equal(miss.transaction, null, 'truncate of a missing object does nothing');
  });

  it('delete removes the object and its xattrs and omap; stats go back down', async () => {
    await h.run('d', [opWrite(0, B('12345')), opSetXattr('x', B('1')), opOmapSetVals(new Map([['k', B('v')]]))]);
    const r = await h.run('d', [opDelete()]);
    assert.equal(r.logOp, PgLogOp.DELETE);
    assert.equal(r.deltaObjects, -1);
    assert.equal(r.deltaBytes, -5);
    assert.equal(await h.store.exists(CID, h.obj('d')), false);
  });

  it('sparse-read: one extent and the data, as Ceph encodes map<u64,u64> then the bufferlist', async () => {
    await h.run('s', [opWrite(0, B('0123456789'))]);
    const r = await h.run('s', [opSparseRead(4, 100), opSparseRead(20, 5)]);
    const want = new Encoder().u32(1).u64(4).u64(6).bytes(B('456789')).toBuffer();
    assert.deepEqual(r.ops[0]!.outdata, want);
    assert.deepEqual(r.ops[1]!.outdata, new Encoder().u32(0).u32(0).toBuffer());
  });

  it('cmpext: equal is 0, a mismatch at i is -MAX_ERRNO - i, bytes past the end compare with zeros', async () => {
    await h.run('x', [opWrite(0, B('abcdef'))]);
    assert.equal((await h.run('x', [opCmpExt(1, B('bcd'))])).result, 0);
    const r = await h.run('x', [opCmpExt(1, B('bcX'))]);
    assert.equal(r.result, -MAX_ERRNO - 2);
    assert.equal(r.ops[0]!.rval, -MAX_ERRNO - 2);
    assert.equal((await h.run('x', [opCmpExt(4, Buffer.from('ef\0\0'))])).result, 0);
    assert.equal((await h.run('x', [opCmpExt(4, B('efg'))])).result, -MAX_ERRNO - 2);
  });

  it('assert-version: equal passes, older is ERANGE, newer is EOVERFLOW, zero is EINVAL', async () => {
    await h.run('v', [opWrite(0, B('1'))]);
    await h.run('v', [opWrite(0, B('2'))]);
    assert.equal((await h.run('v', [opAssertVersion(2)])).result, 0);
    assert.equal((await h.run('v', [opAssertVersion(1)])).result, E('ERANGE'));
    assert.equal((await h.run('v', [opAssertVersion(3)])).result, E('EOVERFLOW'));
    assert.equal((await h.run('v', [opAssertVersion(0)])).result, E('EINVAL'));
  });

  it('offsets and lengths past osd_max_object_size are EFBIG; a write whose length is not its data is EINVAL', async () => {
    assert.equal((await h.run('big', [opWrite(objectBytesMax, B('x'))])).result, E('EFBIG'));
    assert.equal((await h.run('big', [opWrite(objectBytesMax - 1, B('xy'))])).result, E('EFBIG'));
    await h.run('big', [opWrite(0, B('x'))]);
    assert.equal((await h.run('big', [opTruncate(objectBytesMax)])).result, E('EFBIG'));
    const bad = opWrite(0, B('abc'));
    bad.indata = B('ab');
    assert.equal((await h.run('big', [bad])).result, E('EINVAL'));
  });

  it('set-alloc-hint succeeds, creates the object and is kept in object_info_t; an unknown op is EOPNOTSUPP', async () => {
    const r = await h.run('h', [opSetAllocHint(4194304, 65536, 2)]);
    assert.equal(r.result, 0);
    const oi = await h.oi('h');
    assert.deepEqual([oi.expectedObjectSize, oi.expectedWriteSize, oi.allocHintFlags], [4194304, 65536, 2]);
    assert.equal((await h.run('h', [newOSDOp(OsdOpCode.CALL)])).result, E('EOPNOTSUPP'));
    assert.equal((await h.run('h', [newOSDOp(0x1234)])).result, E('EOPNOTSUPP'));
  });
});

describe('osd/core/opexec: compound requests', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().init();
  });

  it('reads after writes in one request see the object as the store had it before the request (Ceph\'s replicated backend); size, existence and flags are the request\'s', async () => {
    await h.run('c', [opWriteFull(B('abcdef')), opSetXattr('n', B('old')), opOmapSetVals(new Map([['k1', B('a')]]))]);
    const ops = (): OSDOp[] => [
      opWrite(0, B('XY')), opRead(1, 3), opSetXattr('n', B('new')), opGetXattr('n'), opOmapSetVals(new Map([['k2', B('b')]])),
      opOmapRmKeys(['k1']), opOmapGetVals('', 10), opTruncate(2), opRead(0, 0), opStat(),
    ];
    const r = await h.run('c', ops(), undefined, OsdFlag.RETURNVEC);
    assert.equal(r.result, 0);
    assert.equal(r.ops[1]!.outdata.toString(), 'bcd', 'the stored bytes, not the request\'s XY');
    assert.equal(r.ops[3]!.outdata.toString(), 'old');
    assert.deepEqual([...decodeOmapValsReply(r.ops[6]!.outdata).entries.keys()], ['k1']);
    assert.equal(r.ops[8]!.outdata.toString(), 'ab', 'the stored bytes up to the request\'s new size');
    assert.equal(decodeStatReply(r.ops[9]!.outdata).size, 2);
    assert.deepEqual(await h.store.read(CID, h.obj('c'), 0, 0), Buffer.from('XY'));
    // without RETURNVEC a successful write's reply keeps the rvals and drops the outdata, as Ceph's
    const plain = await h.run('c', ops());
    assert.ok(plain.ops.every((o) => o.outdata.length === 0));
  });

  it('reads of an object the request creates are ENOENT (the store has none); reads after a delete see the stored object', async () => {
    assert.equal((await h.run('n1', [opWrite(0, B('abc')), opRead(1, 1)])).result, E('ENOENT'));
    assert.equal((await h.run('n2', [opSetXattr('a', B('1')), opGetXattrs()])).result, E('ENOENT'));
    assert.equal((await h.run('n3', [opOmapSetVals(new Map([['a', B('1')]])), opOmapGetVals('', 10)])).result, E('ENOENT'));
    // a real Ceph 16 OSD aborts on this one (get-keys asserts it has a store iterator): a clean ENOENT here
    assert.equal((await h.run('n4', [opOmapSetVals(new Map([['a', B('1')]])), opOmapGetKeys('', 10)])).result, E('ENOENT'));
    const c = await h.run('n5', [opWrite(0, B('abc')), opCmpExt(0, B('abc')), opStat()]);
    assert.equal(c.ops[1]!.rval, -MAX_ERRNO, 'cmpext of an object missing before the request compares with zeros');
    assert.equal(c.result, -MAX_ERRNO);
    await h.run('d', [opWriteFull(B('stored')), opSetXattr('x', B('1'))]);
    const d = await h.run('d', [opDelete(), opRead(0, 4), opGetXattr('x')], undefined, OsdFlag.RETURNVEC);
    assert.equal(d.result, 0);
    assert.deepEqual([d.ops[1]!.outdata.toString(), d.ops[2]!.outdata.toString()], ['', '1'], 'size 0, but the stored xattr');
    assert.equal(await h.store.exists(CID, h.obj('d')), false);
  });

  it('a full read after a write that changed the digest is EIO and nothing is written (Ceph would mark the object unfound)', async () => {
    await h.run('u', [opWriteFull(B('old'))]);
    const r = await h.run('u', [opWriteFull(B('NEW')), opRead(0, 0)]);
    assert.equal(r.result, E('EIO'));
    assert.equal(r.transaction, null);
    assert.equal((await h.run('u', [opWriteFull(B('old')), opRead(0, 0)], undefined, OsdFlag.RETURNVEC)).ops[1]!.outdata.toString(), 'old', 'same bytes: the digest holds');
    assert.equal((await h.run('u', [opWriteFull(B('xyz')), opSparseRead(0, 3)])).result, E('EIO'));
  });

  it('all or nothing: a failing op after writes leaves the object as it was and returns no transaction', async () => {
    await h.run('a', [opWrite(0, B('keep'))]);
    const r = await h.run('a', [opWriteFull(B('gone')), opSetXattr('x', B('1')), opCmpXattr('x', CmpXattrOp.EQ, CmpXattrMode.STRING, B('2'))]);
    assert.equal(r.result, E('ECANCELED'));
    assert.equal(r.transaction, null);
    assert.equal((await h.store.read(CID, h.obj('a'), 0, 0)).toString(), 'keep');
    assert.equal(h.lastUserVersion, 1);
  });

  it('FAILOK: the op keeps its errno as rval, the request goes on and succeeds', async () => {
    await h.run('f', [opWrite(0, B('x'))]);
    const g = opGetXattr('absent');
    g.flags |= OsdOpFlag.FAILOK;
    const r = await h.run('f', [g, opSetXattr('y', B('2'))]);
    assert.equal(r.result, 0);
    assert.equal(r.ops[0]!.rval, E('ENODATA'));
    assert.ok(r.transaction);
  });

  it('delete then write in one request recreates the object with only the new data', async () => {
    await h.run('r', [opWrite(0, B('old data')), opSetXattr('a', B('1'))]);
    const r = await h.run('r', [opDelete(), opWrite(0, B('new'))]);
    assert.equal(r.result, 0);
    assert.equal(r.deltaObjects, 0);
    assert.equal(r.deltaBytes, 3 - 8);
    assert.equal((await h.store.read(CID, h.obj('r'), 0, 0)).toString(), 'new');
    const x = await h.run('r', [opGetXattrs()]);
    assert.deepEqual([...decodeXattrsReply(x.ops[0]!.outdata).keys()], []);
  });
});

describe('osd/core/opexec: xattrs', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().init();
    await h.run('o', [opWrite(0, B('x')), opSetXattr('s', B('abc')), opSetXattr('n', B('42'))]);
  });

  it('user xattrs are stored as "_name"; getxattrs lists only them; rmxattr removes; a missing one is ENODATA', async () => {
    assert.deepEqual(await h.store.getattr(CID, h.obj('o'), '_s'), B('abc'));
    const all = await h.run('o', [opGetXattrs()]);
    assert.deepEqual(decodeXattrsReply(all.ops[0]!.outdata), new Map([['n', B('42')], ['s', B('abc')]]));
    await h.run('o', [opRmXattr('s')]);
    assert.equal((await h.run('o', [opGetXattr('s')])).result, E('ENODATA'));
    assert.equal((await h.run('nothere', [opRmXattr('s')])).result, E('ENOENT'));
    assert.equal((await h.run('o', [opSetXattr('x'.repeat(101), B('1'))])).result, E('ENAMETOOLONG'));
  });

  it('cmpxattr in string mode compares bytes; in u64 mode parses the stored decimal; false is ECANCELED, true leaves rval 1', async () => {
    const s = await h.run('o', [opCmpXattr('s', CmpXattrOp.EQ, CmpXattrMode.STRING, B('abc'))]);
    assert.equal(s.result, 0);
    assert.equal(s.ops[0]!.rval, 1);
    assert.equal((await h.run('o', [opCmpXattr('s', CmpXattrOp.GT, CmpXattrMode.STRING, B('abd'))])).result, 0);
    assert.equal((await h.run('o', [opCmpXattr('s', CmpXattrOp.LT, CmpXattrMode.STRING, B('abd'))])).result, E('ECANCELED'));
    const u64 = (n: number): Buffer => new Encoder().u64(n).toBuffer();
    assert.equal((await h.run('o', [opCmpXattr('n', CmpXattrOp.EQ, CmpXattrMode.U64, u64(42))])).result, 0);
    assert.equal((await h.run('o', [opCmpXattr('n', CmpXattrOp.LT, CmpXattrMode.U64, u64(41))])).result, 0);
    assert.equal((await h.run('o', [opCmpXattr('n', CmpXattrOp.GTE, CmpXattrMode.U64, u64(41))])).result, E('ECANCELED'));
    assert.equal((await h.run('o', [opCmpXattr('none', CmpXattrOp.EQ, CmpXattrMode.U64, u64(0))])).result, 0, 'a missing xattr is 0');
    assert.equal((await h.run('o', [opCmpXattr('n', 99, CmpXattrMode.U64, u64(1))])).result, E('EINVAL'));
    assert.equal((await h.run('o', [opCmpXattr('n', CmpXattrOp.EQ, 9, u64(1))])).result, E('EINVAL'));
  });
});

describe('osd/core/opexec: omap', () => {
  let h: Harness;
  const keys = ['a1', 'a2', 'b1', 'b2', 'b3', 'c'];
  beforeEach(async () => {
    h = await new Harness().init();
    await h.run('m', [opOmapSetVals(new Map(keys.map((k) => [k, B(`v-${k}`)]))), opOmapSetHeader(B('HDR'))]);
  });

  it('get-keys and get-vals page by start_after and max_return with "more"; filter_prefix limits them', async () => {
    const r = await h.run('m', [opOmapGetKeys('', 4), opOmapGetKeys('b2', 10), opOmapGetVals('a2', 2), opOmapGetVals('', 10, 'b'), opOmapGetVals('b1', 10, 'b'), opOmapGetVals('', 3, 'a')]);
    assert.deepEqual(decodeOmapKeysReply(r.ops[0]!.outdata), { keys: ['a1', 'a2', 'b1', 'b2'], more: true });
    assert.deepEqual(decodeOmapKeysReply(r.ops[1]!.outdata), { keys: ['b3', 'c'], more: false });
    const v2 = decodeOmapValsReply(r.ops[2]!.outdata);
    assert.deepEqual([...v2.entries.keys()], ['b1', 'b2']);
    assert.equal(v2.more, true);
    assert.deepEqual(v2.entries.get('b1'), B('v-b1'));
    assert.deepEqual([...decodeOmapValsReply(r.ops[3]!.outdata).entries.keys()], ['b1', 'b2', 'b3']);
    assert.equal(decodeOmapValsReply(r.ops[3]!.outdata).more, false);
    assert.deepEqual([...decodeOmapValsReply(r.ops[4]!.outdata).entries.keys()], ['b2', 'b3']);
    assert.deepEqual(decodeOmapValsReply(r.ops[5]!.outdata), { entries: new Map([['a1', B('v-a1')], ['a2', B('v-a2')]]), more: false });
  });

  it('max_return is capped at osd_max_omap_entries_per_request', async () => {
    const many = new Map(Array.from({ length: omapEntriesPerRequestMax + 10 }, (_, i) => [`k${String(i).padStart(5, '0')}`, B('v')] as [string, Buffer]));
    await h.run('big', [opOmapSetVals(many)]);
    const r = await h.run('big', [opOmapGetKeys('', 1e9)]);
    const got = decodeOmapKeysReply(r.ops[0]!.outdata);
    assert.equal(got.keys.length, omapEntriesPerRequestMax);
    assert.equal(got.more, true);
  });

  it('get-vals-by-keys returns those present; header set/get; rm-keys; clear drops keys, header and the OMAP flag', async () => {
    const r = await h.run('m', [opOmapGetValsByKeys(['c', 'zz', 'a1']), opOmapGetHeader()]);
    assert.deepEqual(decodeOmapMap(r.ops[0]!.outdata), new Map([['a1', B('v-a1')], ['c', B('v-c')]]));
    assert.deepEqual(r.ops[1]!.outdata, B('HDR'));
    assert.ok((await h.oi('m')).flags & ObjectInfoFlag.OMAP);
    await h.run('m', [opOmapRmKeys(['a1', 'c'])]);
    const k = await h.run('m', [opOmapGetKeys('', 100)]);
    assert.deepEqual(decodeOmapKeysReply(k.ops[0]!.outdata).keys, ['a2', 'b1', 'b2', 'b3']);
    await h.run('m', [opOmapClear()]);
    const after = await h.run('m', [opOmapGetKeys('', 100), opOmapGetHeader()]);
    assert.deepEqual(decodeOmapKeysReply(after.ops[0]!.outdata).keys, []);
    assert.equal(after.ops[1]!.outdata.length, 0);
    assert.equal((await h.oi('m')).flags & ObjectInfoFlag.OMAP, 0);
    assert.equal((await h.run('nothere', [opOmapClear()])).result, E('ENOENT'));
    assert.equal((await h.run('nothere', [opOmapRmKeys(['a'])])).result, E('ENOENT'));
  });

  it('omap-cmp: EQ / LT / GT against stored values (absent = empty), false is ECANCELED', async () => {
    const cmp = (m: Array<[string, string, number]>): OSDOp => {
      const o = newOSDOp(OsdOpCode.OMAP_CMP);
      const e = new Encoder().u32(m.length);
      for (const [k, v, op] of m.sort((a, b) => (a[0] < b[0] ? -1 : 1))) e.string(k).bytes(B(v)).s32(op);
      o.indata = e.toBuffer();
      return o;
    };
    assert.equal((await h.run('m', [cmp([['a1', 'v-a1', CmpXattrOp.EQ], ['c', 'v-d', CmpXattrOp.LT]])])).result, 0);
    assert.equal((await h.run('m', [cmp([['a1', 'v-a0', CmpXattrOp.EQ]])])).result, E('ECANCELED'));
    assert.equal((await h.run('m', [cmp([['zz', '', CmpXattrOp.EQ]])])).result, 0);
    assert.equal((await h.run('m', [cmp([['a1', 'v-a1', CmpXattrOp.GT]])])).result, E('ECANCELED'));
    assert.equal((await h.run('m', [cmp([['a1', 'x', 7]])])).result, E('EINVAL'));
  });
});

describe('osd/core/opexec: object_info_t as a Ceph OSD keeps it', () => {
  it('a put: version, prior_version, user_version, size, mtime, last_reqid, DIRTY|DATA_DIGEST with the crc of the data, an empty SnapSet', async () => {
    const h = await new Harness().init();
    h.head = 40;
    h.lastUserVersion = 90;
    const data = B('hello golden object\n');
    const r = await h.run('p', [opWriteFull(data)], { sec: 1796069740, nsec: 1 });
    assert.equal(r.userVersion, 91);
    const oi = await h.oi('p');
    assert.deepEqual(oi.version, { epoch: 5, version: 41 });
    assert.deepEqual(oi.priorVersion, { epoch: 0, version: 0 });
    assert.equal(oi.userVersion, 91);
    assert.equal(oi.size, data.length);
    assert.deepEqual(oi.mtime, { sec: 1796069740, nsec: 1 });
    assert.deepEqual(oi.localMtime, { sec: 1796069740, nsec: 1 }, 'no OSD clock given: the client mtime stands in');
    assert.deepEqual(oi.lastReqid, { name: { type: 8, num: 4100 }, tid: 1, inc: 0 });
    assert.equal(oi.flags, ObjectInfoFlag.DIRTY | ObjectInfoFlag.DATA_DIGEST);
    assert.equal(oi.dataDigest, 0x9aa03a45); // what the real ceph-osd stored for these bytes (test/golden/osdop)
    assert.equal(oi.omapDigest, DIGEST_NONE);
    assert.deepEqual(await h.store.getattr(CID, h.obj('p'), SS_ATTR), encodeEmptySnapSet());
    // then an omap write: OMAP flag, version chain; then an append keeps the digest by continuing the crc
    await h.run('p', [opOmapSetVals(new Map([['k', B('v')]]))]);
    const oi2 = await h.oi('p');
    assert.equal(oi2.flags, ObjectInfoFlag.DIRTY | ObjectInfoFlag.OMAP | ObjectInfoFlag.DATA_DIGEST);
    assert.deepEqual(oi2.priorVersion, { epoch: 5, version: 41 });
    await h.run('p', [opAppend(B('more'))]);
    const oi3 = await h.oi('p');
    assert.equal(oi3.dataDigest, cephCrc32c(0xffffffff, Buffer.concat([data, B('more')])));
    await h.run('p', [opWrite(1, B('X'))]);
    assert.equal((await h.oi('p')).flags & ObjectInfoFlag.DATA_DIGEST, 0, 'a write inside clears the digest');
  });

  it('write, writefull and append of a data segment in odd pieces: the transaction carries the pieces unjoined; data and digest as joined', async () => {
    const h = await new Harness().init();
    const rng = new Rng(caseSeed(0x9ece5, 0));
    const mk = (n: number): Buffer => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = rng.int(0, 255);
      return b;
    };
    // The ops decoded from a MOSDOp whose data segment arrives as chunks of `piece` bytes (views).
    const viaPieces = (ops: OSDOp[], piece: number): OSDOp[] => {
      const m = new MOSDOp();
      m.pgid = { pgid: { pool: 3, seed: 0 }, shard: -1 };
      m.ops = ops;
      const r = m.toRaw(PACIFIC_FEATURES);
      const all = Buffer.concat(r.data);
      const data: Buffer[] = [];
      for (let at = 0; at < all.length; at += piece) data.push(Buffer.from(all.subarray(at, Math.min(all.length, at + piece))));
      const raw: RawMessage = { header: { ...r.header }, front: [...r.front], middle: [...r.middle], data };
      return (decodeMessage(raw, PACIFIC_FEATURES) as MOSDOp).ops;
    };
    let model = mk(70_000);
    const full = await h.run('pc', viaPieces([opWriteFull(model)], 4097));
    assert.equal(full.result, 0);
    const w = full.transaction!.ops.find((o) => o.op === 'write');
    assert.ok(w && w.op === 'write' && w.data.length > 1, 'the write op keeps the pieces');
    const more = mk(9000);
    assert.equal((await h.run('pc', viaPieces([opAppend(more)], 4095))).result, 0);
    model = Buffer.concat([model, more]);
    assert.equal((await h.oi('pc')).dataDigest, cephCrc32c(0xffffffff, model), 'the digest continues across pieces');
    const mid = mk(20_000);
    assert.equal((await h.run('pc', viaPieces([opWrite(3, mid)], 1 << 12))).result, 0);
    mid.copy(model, 3);
    assert.ok((await h.store.read(CID, h.obj('pc'), 0, 0)).equals(model), 'the object reads back as the bytes sent');
  });

  it('local_mtime is the OSD clock (osdNow) when the client gives an mtime; a zero client mtime leaves both as they were', async () => {
    const h = await new Harness().init();
    h.osdNow = { sec: 1800000000, nsec: 5 };
    await h.run('t', [opWrite(0, B('x'))], { sec: 1700000000, nsec: 9 });
    let oi = await h.oi('t');
    assert.deepEqual([oi.mtime, oi.localMtime], [{ sec: 1700000000, nsec: 9 }, { sec: 1800000000, nsec: 5 }]);
    h.osdNow = { sec: 1800000100, nsec: 0 };
    await h.run('t', [opWrite(1, B('y'))], { sec: 0, nsec: 0 });
    oi = await h.oi('t');
    assert.deepEqual([oi.mtime, oi.localMtime], [{ sec: 1700000000, nsec: 9 }, { sec: 1800000000, nsec: 5 }]);
  });

  it('a full read whose bytes no longer match the data digest is EIO', async () => {
    const h = await new Harness().init();
    await h.run('e', [opWriteFull(B('abcdef'))]);
    await h.store.queueTransaction(new Transaction().write(CID, h.obj('e'), 0, B('X'))); // a bit flip below the OSD
    assert.equal((await h.run('e', [opRead(0, 0)])).result, E('EIO'));
    assert.equal((await h.run('e', [opRead(1, 3)])).result, 0, 'a partial read cannot be checked');
  });
});

// ---- seeded model check -----------------------------------------------------------------------------

interface Model {
  exists: boolean;
  data: Buffer;
  xattrs: Map<string, Buffer>;
  omap: Map<string, Buffer>;
}

describe('osd/core/opexec: seeded op vectors against an in-memory model', () => {
  const runSeed = Number(process.env.OPEXEC_SEED ?? 0x0e4ec);
  const cases = process.env.OPEXEC_SEED ? 1 : 60;
  it(`${cases} random requests of up to 6 ops keep data, xattrs and omap equal to the model, atomically`, async () => {
    for (let i = 0; i < cases; i++) {
      const seed = process.env.OPEXEC_SEED ? runSeed : caseSeed(runSeed, i);
      const rng = new Rng(seed);
      const h = await new Harness().init();
      const m: Model = { exists: false, data: Buffer.alloc(0), xattrs: new Map(), omap: new Map() };
      for (let req = 0; req < 12; req++) {
        const ops: OSDOp[] = [];
        const next: Model = { exists: m.exists, data: Buffer.from(m.data), xattrs: new Map(m.xattrs), omap: new Map(m.omap) };
        let fails = false;
        const n = rng.int(1, 6);
        for (let k = 0; k < n; k++) {
          const buf = Buffer.from(Array.from({ length: rng.int(1, 12) }, () => rng.int(97, 100)));
          const off = rng.int(0, 20);
          const key = rng.pick(['a', 'b', 'c']);
          switch (rng.int(0, 8)) {
            case 0: {
              ops.push(opWrite(off, buf));
              const d = Buffer.alloc(Math.max(next.exists ? next.data.length : 0, off + buf.length));
              if (next.exists) next.data.copy(d);
              buf.copy(d, off);
              next.data = d;
              next.exists = true;
              break;
            }
            case 1:
              ops.push(opWriteFull(buf));
              next.data = Buffer.from(buf);
              next.exists = true;
              break;
            case 2:
              ops.push(opTruncate(off));
              if (next.exists) {
                const d = Buffer.alloc(off);
                next.data.copy(d, 0, 0, Math.min(off, next.data.length));
                next.data = d;
              }
              break;
            case 3:
              ops.push(opSetXattr(key, buf));
              next.exists = true;
              next.xattrs.set(key, buf);
              break;
            case 4:
              ops.push(opOmapSetVals(new Map([[key, buf]])));
              next.exists = true;
              next.omap.set(key, buf);
              break;
            case 5:
              ops.push(opOmapRmKeys([key]));
              if (!next.exists) fails = true;
              next.omap.delete(key);
              break;
            case 6:
              ops.push(opDelete());
              if (!next.exists) fails = true;
              next.exists = false;
              next.data = Buffer.alloc(0);
              next.xattrs.clear();
              next.omap.clear();
              break;
            case 7:
              ops.push(opRmXattr(key));
              if (!next.exists) fails = true;
              next.xattrs.delete(key);
              break;
            case 8: {
              ops.push(opZero(off, rng.int(1, 8)));
              break; // checked against the store below, not modelled
            }
          }
          if (fails) break;
        }
        if (ops.some((o) => o.op === OsdOpCode.ZERO)) {
          // ZERO's munging is covered above; keep the model exact by dropping them
          const kept = ops.filter((o) => o.op !== OsdOpCode.ZERO);
          ops.length = 0;
          ops.push(...kept);
          if (ops.length === 0) continue;
        }
        const r = await h.run('obj', ops);
        if (fails) {
          assert.equal(r.result, E('ENOENT'), `seed=${seed} req ${req}: expected ENOENT`);
          assert.equal(r.transaction, null, `seed=${seed}`);
        } else {
          assert.equal(r.result, 0, `seed=${seed} req ${req}: result ${r.result}`);
          Object.assign(m, next);
        }
        const exists = await h.store.exists(CID, h.obj('obj'));
        assert.equal(exists, m.exists, `seed=${seed} req ${req}: exists`);
        if (!exists) continue;
        const got = await h.run('obj', [opRead(0, 0), opGetXattrs(), opOmapGetVals('', 100), opStat()]);
        assert.deepEqual(got.ops[0]!.outdata, m.data, `seed=${seed} req ${req}: data`);
        assert.deepEqual(decodeXattrsReply(got.ops[1]!.outdata), new Map([...m.xattrs].sort()), `seed=${seed} req ${req}: xattrs`);
        assert.deepEqual(decodeOmapValsReply(got.ops[2]!.outdata).entries, new Map([...m.omap].sort()), `seed=${seed} req ${req}: omap`);
        assert.equal(decodeStatReply(got.ops[3]!.outdata).size, m.data.length, `seed=${seed} req ${req}: size`);
        assert.equal((await h.store.stat(CID, h.obj('obj'))).size, m.data.length, `seed=${seed} req ${req}: store size`);
      }
    }
  });
});

// ---- the same requests against a real Ceph 16 ceph-osd (the oracle) --------------------------------

/** One request of the differential script: the ops and which object. */
interface Req {
  oid: string;
  ops: () => OSDOp[];
}

/** A reply in comparable form: result, each op's rval and outdata (stat's mtime cut off: the clocks differ). */
function shape(result: number, ops: OSDOp[]): unknown {
  return { result: result > 0 ? 0 : result, ops: ops.map((o) => ({ rval: o.rval, out: (o.op === OsdOpCode.STAT ? o.outdata.subarray(0, 8) : o.outdata).toString('hex') })) };
}

const u64b = (n: number): Buffer => new Encoder().u64(n).toBuffer();
const failok = (o: OSDOp): OSDOp => {
  o.flags |= OsdOpFlag.FAILOK;
  return o;
};
const omapCmp = (m: Array<[string, string, number]>): OSDOp => {
  const o = newOSDOp(OsdOpCode.OMAP_CMP);
  const e = new Encoder().u32(m.length);
  for (const [k, v, op] of m) e.string(k).bytes(B(v)).s32(op);
  o.indata = e.toBuffer();
  return o;
};

/** Requests whose every result Ceph defines; reads never follow a write in the same request. */
const SCRIPT: Req[] = [
  { oid: 'a', ops: () => [opRead(0, 10)] },
  { oid: 'a', ops: () => [opStat()] },
  { oid: 'a', ops: () => [opDelete()] },
  { oid: 'a', ops: () => [opRmXattr('x')] },
  { oid: 'a', ops: () => [opOmapClear()] },
  { oid: 'a', ops: () => [opTruncate(5)] },
  { oid: 'a', ops: () => [opStat()] },
  { oid: 'a', ops: () => [opZero(0, 5)] },
  { oid: 'a', ops: () => [opStat()] },
  { oid: 'a', ops: () => [opWrite(0, B('hello world, this is object a'))] },
  { oid: 'a', ops: () => [opRead(0, 0), opRead(6, 5), opRead(25, 100), opRead(40, 5), opStat()] },
  { oid: 'a', ops: () => [opSparseRead(3, 10), opSparseRead(100, 5), opSparseRead(0, 0)] },
  { oid: 'a', ops: () => [opCmpExt(0, B('hello'))] },
  { oid: 'a', ops: () => [opCmpExt(2, B('llo wXrld'))] },
  { oid: 'a', ops: () => [opCmpExt(27, Buffer.from('t a\0\0'))] },
  { oid: 'a', ops: () => [opCmpExt(27, B('t ab'))] },
  { oid: 'a', ops: () => [opAssertVersion(1)] },
  { oid: 'a', ops: () => [opAssertVersion(9)] },
  { oid: 'a', ops: () => [opAssertVersion(0)] },
  { oid: 'a', ops: () => [opCreate(true)] },
  { oid: 'a', ops: () => [opCreate(false)] },
  { oid: 'a', ops: () => [opAssertVersion(1)] },
  { oid: 'a', ops: () => [opZero(5, 3)] },
  { oid: 'a', ops: () => [opRead(0, 0)] },
  { oid: 'a', ops: () => [opZero(20, 100)] },
  { oid: 'a', ops: () => [opStat(), opRead(0, 0)] },
  { oid: 'a', ops: () => [opZero(50, 10)] },
  { oid: 'a', ops: () => [opStat()] },
  { oid: 'a', ops: () => [opAppend(B('+tail'))] },
  { oid: 'a', ops: () => [opWriteSame(3, 8, B('ab'))] },
  { oid: 'a', ops: () => [opWriteSame(3, 7, B('ab'))] },
  { oid: 'a', ops: () => [opRead(0, 0)] },
  { oid: 'a', ops: () => [opTruncate(4)] },
  { oid: 'a', ops: () => [opTruncate(12)] },
  { oid: 'a', ops: () => [opRead(0, 0), opStat()] },
  { oid: 'a', ops: () => [opWrite(objectBytesMax - 1, B('xy'))] },
  { oid: 'a', ops: () => [opTruncate(objectBytesMax)] },
  { oid: 'a', ops: () => [opWriteFull(B('short'))] },
  { oid: 'a', ops: () => [opRead(0, 0), opStat()] },
  { oid: 'a', ops: () => [opSetXattr('s', B('abc')), opSetXattr('n', B('42')), opSetXattr('e', B(''))] },
  { oid: 'a', ops: () => [opGetXattr('s'), opGetXattr('e'), opGetXattrs()] },
  { oid: 'a', ops: () => [opGetXattr('none')] },
  { oid: 'a', ops: () => [opCmpXattr('s', CmpXattrOp.EQ, CmpXattrMode.STRING, B('abc'))] },
  { oid: 'a', ops: () => [opCmpXattr('s', CmpXattrOp.GT, CmpXattrMode.STRING, B('abd')), opCmpXattr('s', CmpXattrOp.LTE, CmpXattrMode.STRING, B('abc'))] },
  { oid: 'a', ops: () => [opCmpXattr('s', CmpXattrOp.LT, CmpXattrMode.STRING, B('abd'))] },
  { oid: 'a', ops: () => [opCmpXattr('s', CmpXattrOp.NE, CmpXattrMode.STRING, B('abc'))] },
  { oid: 'a', ops: () => [opCmpXattr('n', CmpXattrOp.EQ, CmpXattrMode.U64, u64b(42)), opCmpXattr('n', CmpXattrOp.LT, CmpXattrMode.U64, u64b(41))] },
  { oid: 'a', ops: () => [opCmpXattr('n', CmpXattrOp.GTE, CmpXattrMode.U64, u64b(41))] },
  { oid: 'a', ops: () => [opCmpXattr('none', CmpXattrOp.EQ, CmpXattrMode.U64, u64b(0)), opCmpXattr('none', CmpXattrOp.EQ, CmpXattrMode.STRING, B(''))] },
  { oid: 'a', ops: () => [opCmpXattr('n', 77, CmpXattrMode.U64, u64b(1))] },
  { oid: 'a', ops: () => [opCmpXattr('n', CmpXattrOp.EQ, 9, u64b(1))] },
  { oid: 'a', ops: () => [opRmXattr('s')] },
  { oid: 'a', ops: () => [opRmXattr('s')] },
  { oid: 'a', ops: () => [opGetXattrs()] },
  { oid: 'a', ops: () => [failok(opGetXattr('gone')), opGetXattr('n')] },
  { oid: 'a', ops: () => [failok(opCmpXattr('n', CmpXattrOp.EQ, CmpXattrMode.STRING, B('x'))), opSetXattr('after', B('1'))] },
  { oid: 'a', ops: () => [opSetXattr('x'.repeat(101), B('1'))] },
  { oid: 'a', ops: () => [opOmapGetKeys('', 10), opOmapGetVals('', 10), opOmapGetHeader(), opOmapGetValsByKeys(['k'])] },
  { oid: 'a', ops: () => [opOmapSetVals(new Map(['a1', 'a2', 'b1', 'b2', 'b3', 'c'].map((k) => [k, B(`v-${k}`)]))), opOmapSetHeader(B('HDR'))] },
  { oid: 'a', ops: () => [opOmapGetKeys('', 4), opOmapGetKeys('b2', 10), opOmapGetVals('a2', 2), opOmapGetVals('', 10, 'b'), opOmapGetVals('b1', 10, 'b'), opOmapGetVals('', 3, 'a'), opOmapGetVals('zz', 3, 'a')] },
  { oid: 'a', ops: () => [opOmapGetValsByKeys(['c', 'zz', 'a1']), opOmapGetHeader(), opOmapGetKeys('', 0)] },
  { oid: 'a', ops: () => [omapCmp([['a1', 'v-a1', CmpXattrOp.EQ], ['c', 'v-d', CmpXattrOp.LT]])] },
  { oid: 'a', ops: () => [omapCmp([['a1', 'v-a0', CmpXattrOp.EQ]])] },
  { oid: 'a', ops: () => [omapCmp([['zz', '', CmpXattrOp.EQ]])] },
  { oid: 'a', ops: () => [omapCmp([['a1', 'v-a1', CmpXattrOp.GT]])] },
  { oid: 'a', ops: () => [omapCmp([['a1', 'x', 7]])] },
  { oid: 'a', ops: () => [opOmapRmKeys(['a1', 'c', 'nope'])] },
  { oid: 'a', ops: () => [opOmapGetVals('', 100)] },
  { oid: 'a', ops: () => [opOmapClear()] },
  { oid: 'a', ops: () => [opOmapGetVals('', 100), opOmapGetHeader()] },
  { oid: 'a', ops: () => [opOmapClear()] },
  { oid: 'a', ops: () => [newOSDOp(0x1234)] },
  { oid: 'a', ops: () => [opWrite(0, B('kept')), opCmpXattr('n', CmpXattrOp.EQ, CmpXattrMode.STRING, B('0'))] },
  { oid: 'a', ops: () => [opRead(0, 0)] },
  { oid: 'a', ops: () => [opWrite(0, B('NEW')), opSetXattr('x', B('NEW')), opStat(), opCmpXattr('n', CmpXattrOp.EQ, CmpXattrMode.STRING, B('42')), opAppend(B('!'))] },
  { oid: 'a', ops: () => [opTruncate(0), opGetXattr('nope')] },
  { oid: 'zz', ops: () => [opTruncate(3), opCmpExt(0, B(''))] },
  { oid: 'a', ops: () => [opDelete(), opWrite(2, B('new'))] },
  { oid: 'a', ops: () => [opRead(0, 0), opGetXattrs(), opOmapGetKeys('', 10)] },
  { oid: 'h', ops: () => [opSetAllocHint(4194304, 65536, 0)] },
  { oid: 'h', ops: () => [opStat()] },
  { oid: 'e', ops: () => [opWrite(3, B(''))] },
  { oid: 'e', ops: () => [opStat()] },
  { oid: 'f', ops: () => [opWriteFull(B(''))] },
  { oid: 'f', ops: () => [opStat()] },
  { oid: 'a', ops: () => [opDelete()] },
  { oid: 'a', ops: () => [opStat()] },
];

/**
 * Reads after writes in one request. Left out on purpose: a full read (or a sparse read as long as
 * the object) after a write that changed the data digest (Ceph fails the digest check on the stored
 * bytes and marks its only copy unfound; EIO here), and get-keys of an object the request creates
 * with omap (a Ceph 16 OSD aborts on it; ENOENT here). Both are pinned in the compound-request tests.
 */
const RAW_SCRIPT: Req[] = [
  { oid: 'w', ops: () => [opWrite(0, B('NEW')), opRead(1, 2), opSparseRead(0, 5), opCmpExt(0, B('old')), opStat()] },
  { oid: 'w', ops: () => [opTruncate(4), opRead(0, 0), opSparseRead(0, 0), opStat()] },
  { oid: 'w', ops: () => [opAppend(B('++')), opRead(10, 10), opStat()] },
  { oid: 'w', ops: () => [opSetXattr('x', B('X1')), opGetXattr('x'), opGetXattrs(), opCmpXattr('x', CmpXattrOp.EQ, CmpXattrMode.STRING, B('X0'))] },
  { oid: 'w', ops: () => [opRmXattr('x'), opGetXattr('x')] },
  { oid: 'w', ops: () => [opOmapSetVals(new Map([['k3', B('v3')]])), opOmapRmKeys(['k1']), opOmapGetKeys('', 10), opOmapGetVals('', 10), opOmapGetValsByKeys(['k1', 'k3']), opOmapSetHeader(B('H1')), opOmapGetHeader(), omapCmp([['k1', 'v1', CmpXattrOp.EQ]])] },
  { oid: 'w', ops: () => [opOmapClear(), opOmapGetVals('', 10), opOmapGetHeader(), opOmapGetValsByKeys(['k2'])] },
  { oid: 'w', ops: () => [opDelete(), opRead(0, 4), opGetXattr('x'), opGetXattrs(), opOmapGetVals('', 10), opOmapGetHeader(), opCmpExt(0, B('o'))] },
  { oid: 'w', ops: () => [opDelete(), opStat()] },
  { oid: 'w', ops: () => [opDelete(), omapCmp([['k1', 'v1', CmpXattrOp.EQ]])] },
  { oid: 'w', ops: () => [opDelete(), opWrite(0, B('re')), opRead(1, 1), opGetXattr('x')] },
  { oid: 'w', ops: () => [opWriteFull(B('brand new')), opRead(2, 3), opAssertVersion(1)] },
  { oid: 'w', ops: () => [opWriteFull(B('old data here')), opRead(0, 0), opSparseRead(0, 0)] },
  { oid: 'w', ops: () => [opZero(2, 3), opRead(0, 0), opCmpExt(0, B('old'))] },
  { oid: 'n1', ops: () => [opWrite(0, B('abc')), opRead(1, 1)] },
  { oid: 'n2', ops: () => [opWrite(0, B('abc')), opStat(), opRead(5, 1)] },
  { oid: 'n3', ops: () => [opSetXattr('a', B('1')), opGetXattr('a')] },
  { oid: 'n4', ops: () => [opSetXattr('a', B('1')), opGetXattrs()] },
  { oid: 'n5', ops: () => [opSetXattr('a', B('1')), failok(opCmpXattr('a', CmpXattrOp.EQ, CmpXattrMode.STRING, B('1')))] },
  { oid: 'n6', ops: () => [opOmapSetVals(new Map([['a', B('1')]])), opOmapGetVals('', 10)] },
  { oid: 'n7', ops: () => [opOmapSetVals(new Map([['a', B('1')]])), opOmapGetHeader(), opOmapGetValsByKeys(['a'])] },
  { oid: 'n8', ops: () => [opOmapSetVals(new Map([['a', B('1')]])), omapCmp([['a', '1', CmpXattrOp.EQ]])] },
  { oid: 'n9', ops: () => [opCreate(false), opCmpExt(0, B('xy')), opRead(0, 0), opOmapGetKeys('', 10), opOmapGetVals('', 10)] },
  { oid: 'n10', ops: () => [opWrite(0, B('abc')), opCmpExt(0, B('abc'))] },
  { oid: 'n11', ops: () => [opWrite(0, B('abc')), opSparseRead(0, 3)] },
  { oid: 'n12', ops: () => [opWrite(0, B('abc')), failok(opGetXattr('')), opAssertVersion(1)] },
];

/** The object_info_t fields that do not depend on the clock or the PG's history. */
function oiFacts(b: Buffer): unknown {
  const oi = decodeObjectInfo(b);
  return { size: oi.size, flags: oi.flags, dataDigest: oi.dataDigest, omapDigest: oi.omapDigest, expected: [oi.expectedObjectSize, oi.expectedWriteSize, oi.allocHintFlags], truncate: [oi.truncateSeq, oi.truncateSize] };
}

describe('osd/core/opexec: the same requests on a real Ceph 16 ceph-osd (memstore, ports 18900-18929)', function () {
  this.timeout(420000);
  let cluster: import('../support/real-ceph-cluster.js').RealCephCluster | undefined;
  let rados: import('../../librados/index.js').Rados | undefined;
  let pool = -1;

  before(async function () {
    const support = await import('../support/real-ceph-cluster.js');
    if (!support.realCephClusterAvailable()) return this.skip();
    cluster = await support.startRealCephCluster({ name: 'ha', monPort: 18900, osdPortMin: 18910, osdPortMax: 18929, osds: 1, objectstore: 'memstore', startTimeoutMs: 180000 });
    pool = await cluster.createPool('opx', { pgNum: 1, size: 1, minSize: 1 });
    const { Rados } = await import('../../librados/index.js');
    rados = await Rados.connect({ conf: cluster.conf });
  });
  after(async () => {
    await rados?.shutdown();
    await cluster?.stop(process.env.OPEXEC_KEEP === '1');
  });

  const real = async (oid: string, ops: OSDOp[]): Promise<{ result: number; ops: OSDOp[]; userVersion: number }> => {
    const r = await rados!.objecter.submit({ pool, nspace: '', key: '', oid }, ops, { allowError: true });
    return { result: r.reply.result, ops: r.ops, userVersion: r.reply.userVersion };
  };

  it('each scripted request gives the real OSD\'s result, rvals, outdata and user version; object_info_t facts agree', async () => {
    const h = await new Harness().init();
    for (const [i, q] of SCRIPT.entries()) {
      const theirs = await real(q.oid, q.ops());
      const ours = await h.run(q.oid, q.ops());
      const what = `request ${i} on ${q.oid}: ${q.ops().map((o) => o.op.toString(16)).join(',')}`;
      assert.deepEqual(shape(ours.result, ours.ops), shape(theirs.result, theirs.ops), what);
      if (theirs.result >= 0) assert.equal(ours.replyVersion, theirs.userVersion, `${what}: user version`);
      if (theirs.result >= 0) {
        const a = await real(q.oid, [failok(opGetXattr(''))]);
        const b = await h.run(q.oid, [failok(opGetXattr(''))]);
        assert.deepEqual([b.result, b.ops[0]!.rval], [a.result, a.ops[0]!.rval], `${what}: getxattr ''`);
        if (a.result === 0 && a.ops[0]!.rval === 0) assert.deepEqual(oiFacts(b.ops[0]!.outdata), oiFacts(a.ops[0]!.outdata), `${what}: object_info_t`);
      }
    }
  });

  it('reads after writes in one request give the real OSD\'s answers (the store as it was before the request)', async () => {
    const h = await new Harness().init();
    pool = await cluster!.createPool('opx3', { pgNum: 1, size: 1, minSize: 1 }); // a fresh PG: versions from 0 again
    const id = pool;
    await rados!.waitForMap((m) => m.pools.has(id), 30000, 'pool opx3');
    const both = async (oid: string, ops: () => OSDOp[], what: string): Promise<void> => {
      const theirs = await real(oid, ops());
      const ours = await h.run(oid, ops());
      assert.deepEqual(shape(ours.result, ours.ops), shape(theirs.result, theirs.ops), what);
      if (theirs.result >= 0) assert.equal(ours.replyVersion, theirs.userVersion, `${what}: user version`);
    };
    const setup = (): OSDOp[] => [opWriteFull(B('old data here')), opSetXattr('x', B('X0')), opOmapSetVals(new Map([['k1', B('v1')], ['k2', B('v2')]])), opOmapSetHeader(B('H0'))];
    await both('w', setup, 'setup');
    for (const [i, q] of RAW_SCRIPT.entries()) {
      // with a failing tail the reply keeps every op's outdata and nothing is written
      await both(q.oid, () => [...q.ops(), opCmpXattr('nope', CmpXattrOp.EQ, CmpXattrMode.STRING, B('x'))], `read-after-write ${i} with a failing tail`);
      await both(q.oid, q.ops, `read-after-write ${i}`);
      if (q.oid === 'w') await both('w', setup, `read-after-write ${i}: setup again`);
    }
  });

  it('200 seeded write requests (with reads between the writes) and the reads after each agree with the real OSD', async () => {
    const h = await new Harness().init();
    pool = await cluster!.createPool('opx2', { pgNum: 1, size: 1, minSize: 1 }); // a fresh PG: versions from 0 again
    const id = pool;
    await rados!.waitForMap((m) => m.pools.has(id), 30000, 'pool opx2');
    const seed = Number(process.env.OPEXEC_SEED ?? 0x0e4ec);
    const rng = new Rng(seed);
    const name = 'r';
    for (let i = 0; i < 200; i++) {
      const build = (): OSDOp[] => {
        const r2 = new Rng(caseSeed(seed, i));
        const out: OSDOp[] = [];
        const n = r2.int(1, 4);
        for (let k = 0; k < n; k++) {
          const data = B('0123456789abcdefghij'.slice(0, r2.int(0, 20)));
          const off = r2.int(0, 40);
          const key = r2.pick(['a', 'b', 'c']);
          switch (r2.int(0, 14)) {
            case 0: out.push(opWrite(off, data)); break;
            case 1: out.push(opWriteFull(data)); break;
            case 2: out.push(opAppend(data)); break;
            case 3: out.push(opTruncate(off)); break;
            case 4: out.push(opZero(off, r2.int(1, 30))); break; // length 0 aborts a real Ceph 16 OSD (ceph_assert(op.extent.length))
            case 5: out.push(opSetXattr(key, data)); break;
            case 6: out.push(r2.chance(0.5) ? failok(opRmXattr(key)) : opRmXattr(key)); break;
            case 7: out.push(opOmapSetVals(new Map([[key, data]]))); break;
            case 8: out.push(opOmapRmKeys([key])); break;
            case 9: out.push(r2.chance(0.3) ? opDelete() : opCreate(r2.chance(0.5))); break;
            case 10: out.push(opOmapSetHeader(data)); break;
            case 11: out.push(opWriteSame(off, data.length * 2, data)); break;
            // reads between the writes (never a full read at 0, which could trip Ceph's digest check
            // on the stored bytes and leave its only copy unfound; never get-keys, which aborts a real
            // OSD on an object the request creates)
            case 12: out.push(opRead(off + 1, r2.int(0, 20))); break;
            case 13: out.push(failok(opGetXattr(key))); break;
            case 14: out.push(r2.chance(0.5) ? opOmapGetVals('', 10) : opOmapGetValsByKeys([key])); break;
          }
        }
        return out;
      };
      const theirs = await real(name, build());
      const ours = await h.run(name, build());
      assert.deepEqual(shape(ours.result, ours.ops), shape(theirs.result, theirs.ops), `seed=${seed} request ${i}`);
      const reads = (): OSDOp[] => [opStat(), opRead(0, 0), opGetXattrs(), opOmapGetVals('', 100), opOmapGetHeader(), opGetXattr('')];
      const a = await real(name, reads());
      const b = await h.run(name, reads());
      assert.equal(b.result, a.result, `seed=${seed} request ${i}: reads`);
      if (a.result >= 0) {
        assert.deepEqual(shape(b.result, b.ops.slice(0, 5)), shape(a.result, a.ops.slice(0, 5)), `seed=${seed} request ${i}: state`);
        assert.deepEqual(oiFacts(b.ops[5]!.outdata), oiFacts(a.ops[5]!.outdata), `seed=${seed} request ${i}: object_info_t`);
        assert.equal(b.replyVersion, a.userVersion, `seed=${seed} request ${i}: user version`);
      }
      void rng;
    }
  });
});

// ---- the transaction Ceph built for the same client request (test/golden/osdop) ---------------------

describe('osd/core/opexec: the transaction a real ceph-osd replicated for the same client request', () => {
  const GOLD = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'test/golden/osdop');
  const golden = (name: string, type: number): RawMessage => {
    const man = JSON.parse(readFileSync(join(GOLD, 'manifest.json'), 'utf8')) as Array<{ name: string; tid: number; version: number; compatVersion: number; dataOff: number; flags: number }>;
    const e = man.find((x) => x.name === name)!;
    const dataFile = join(GOLD, `${name}.data.bin`);
    return {
      header: { seq: 1, tid: e.tid, type, priority: 127, version: e.version, compatVersion: e.compatVersion, dataOff: e.dataOff, ackSeq: 0, flags: e.flags },
      front: [readFileSync(join(GOLD, `${name}.front.bin`))], middle: [], data: existsSync(dataFile) ? [readFileSync(dataFile)] : [],
    };
  };

  it('the put and the omap set give Ceph\'s transaction bytes, with its OSD clock as osdNow (but create -> touch: our Transaction has no create)', async () => {
    const h = await new Harness().init();
    for (const name of ['repop-put', 'repop-omap']) {
      const m = decodeMessage(golden(`${name}-MOSDOp-0`, 42), PACIFIC_FEATURES) as MOSDOp;
      const want = decodeCephTransaction(readFileSync(join(GOLD, `${name}-MOSDRepOp-0.data.bin`)));
      const sa = want.ops.find((o) => o.op === 'setattrs');
      assert.ok(sa && sa.op === 'setattrs');
      const wantOi = decodeObjectInfo(sa.attrs.get(OI_ATTR)!);
      // our store and the PG as the real one had them: pool 2, PG 2.0, the same versions and reqid
      const cid = pgCollection(2, 0);
      if (!(await h.store.collectionExists(cid))) await h.store.queueTransaction(new Transaction().createCollection(cid, 0));
      const soid: HObject = { ...m.hobj, pool: 2 };
      const obj = makeObject(2, soid.oid, soid.hash);
      const r = await executeOps(
        { soid, obj, cid, ops: m.ops, flags: m.flags, reqid: wantOi.lastReqid, version: wantOi.version, lastUserVersion: wantOi.userVersion - 1, mtime: m.mtime, osdNow: wantOi.localMtime },
        objectStorePort(h.store, cid, obj),
      );
      assert.equal(r.result, 0, name);
      assert.equal(r.userVersion, wantOi.userVersion, name);
      await h.store.queueTransaction(r.transaction!);
      assert.notDeepEqual(wantOi.localMtime, m.mtime, `${name}: the real OSD's clock is not the client's`);
      // Ceph's, with create as our touch (the ObjectStore Transaction has no create; both make the object)
      const expect = {
        fadviseFlags: want.fadviseFlags,
        ops: want.ops.map((o) => (o.op === 'create' ? { op: 'touch' as const, cid: o.cid, oid: o.oid } : o)),
      };
      assert.deepEqual(encodeTransaction(r.transaction!), encodeCephTransaction(expect), name);
    }
  });
});
