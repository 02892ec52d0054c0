// Proves msg/messages/osdop.ts speaks Ceph 16's OSD op messages: MOSDOp, MOSDOpReply, MOSDRepOp, MOSDRepOpReply and MOSDBackoff are registered under Ceph's numbers and versions, round-trip with every op builder, encode to byte vectors written by hand from src/messages/*.h and src/include/rados.h (Buffer writes, not our Encoder) and decode them; the per-op payload helpers read and write what the OSD expects; truncated, inconsistent (payload_len past the data segment) and seeded garbage payloads give CephError EBADMSG through decodeMessage; and the payloads real Ceph 16.2.15 wrote (test/golden/osdop: the `rados` CLI's MOSDOps for put/get/stat/append/truncate/xattrs/omap/create/rm the real ceph-osd's MOSDOpReplies, and the MOSDRepOp / MOSDRepOpReply two real ceph-osds exchange for a size-2 pool, captured by scripts/gen-osdop-golden.mjs) decode to the expected ops and re-encode to Ceph's exact bytes. Against a real Ceph 16 mon + ceph-osd (memstore, auth none, ports 17720-17729; skipped when not installed), our messenger's MOSDOps write, read, stat, set and get xattrs and omap, and the real OSD's MOSDOpReplies say what Ceph would. OSDOP_SEED=<n> replays one garbage case; OSDOP_KEEP=1 keeps the real cluster's directory (logs) after the run.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CephError } from '../../common/errors.js';
import { cephStableMod, cephStrHashRjenkins, PACIFIC_FEATURES } from '../../common/osdmap/index.js';
import { decodeMessage, EntityType, isRegisteredMessage, type Message, type RawMessage } from '../../msg/message.js';
import {
  BackoffOp,
  CEPH_NOSNAP,
  CmpXattrMode,
  CmpXattrOp,
  MESSAGE_CLASSES,
  MOSDBackoff,
  MOSDOp,
  MOSDOpReply,
  MOSDRepOp,
  MOSDRepOpReply,
  NO_SHARD,
  OsdFlag,
  OsdOpCode,
  OsdOpFlag,
  allocHintArgs,
  assertVerArg,
  callParts,
  decodeOmapGetArgs,
  decodeOmapKeySet,
  decodeOmapKeysReply,
  decodeOmapMap,
  decodeOmapValsReply,
  decodeStatReply,
  decodeXattrsReply,
  emptyHObject,
  encodeOmapKeysReply,
  encodeOmapValsReply,
  encodeStatReply,
  extentArgs,
  opAppend,
  opAssertExists,
  opAssertVersion,
  opCall,
  opCmpExt,
  opCmpXattr,
  opCreate,
  opDelete,
  opGetXattr,
  opGetXattrs,
  opOmapClear,
  opOmapGetHeader,
  opOmapGetKeys,
  opOmapGetVals,
  opOmapGetValsByKeys,
  opOmapRmKeys,
  opOmapSetHeader,
  opOmapSetVals,
  opRead,
  opRmXattr,
  opSetAllocHint,
  opSetXattr,
  opSparseRead,
  opStat,
  opTruncate,
  opWrite,
  opWriteFull,
  opWriteSame,
  opZero,
  osdOpName,
  writeSameArgs,
  xattrArgs,
  xattrNameValue,
  type OSDOp,
} from '../../msg/messages/index.js';
import { makeEntityAddr } from '../../common/entityaddr.js';
import { createMessenger } from '../../msg/messenger.js';
import { AuthNoneClient } from '../../msg/core/protocol.js';
import { EntityAddrType } from '../../msg/types.js';
import { s32, str, struct, u16, u32, u64, u8 } from '../support/le-bytes.js';
import { caseSeed, Rng } from '../support/rng.js';
import { realCephAvailable, startRealCephMon, type RealCephMon } from '../support/real-ceph-mon.js';

const F = PACIFIC_FEATURES;

function raw(m: Message): RawMessage {
  const r = m.toRaw(F);
  return { header: { ...r.header }, front: [...r.front], middle: [...r.middle], data: [...r.data] };
}
const cat = (b: readonly Buffer[]): Buffer => Buffer.concat(b);
function roundTrip<T extends Message>(m: T): T {
  return decodeMessage(raw(m), F) as T;
}
function isEbadmsg(e: unknown): boolean {
  return e instanceof CephError && e.code === 'EBADMSG';
}
function envelope(type: number, version: number, front: Buffer, data: Buffer[] = []): RawMessage {
  return { header: { seq: 1, tid: 0, type, priority: 127, version, compatVersion: 0, dataOff: 0, ackSeq: 0, flags: 0 }, front: [front], middle: [], data };
}

// ---- hand-made vectors: test/support/le-bytes' writers (deliberately not common/encoding) ---------
const pgT = (pool: number, seed: number): Buffer => Buffer.concat([u8(1), u64(pool), u32(seed), s32(-1)]);
const spgT = (pool: number, seed: number, shard: number): Buffer => struct(1, 1, pgT(pool, seed), u8(shard));
const reqidT = (type: number, num: number, tid: number, inc: number): Buffer => struct(2, 2, u8(type), u64(num), u64(tid), s32(inc));
const traceZero = Buffer.alloc(24);
const ever = (version: number, epoch: number): Buffer => Buffer.concat([u64(version), u32(epoch)]);
/** ceph_osd_op with an extent union. */
const rawExtentOp = (op: number, flags: number, off: number, len: number, payloadLen: number): Buffer =>
  Buffer.concat([u16(op), u32(flags), u64(off), u64(len), u64(0), u32(0), u32(payloadLen)]);
const hobj = (key: string, oid: string, snap: bigint, hash: number, nspace: string, pool: bigint): Buffer =>
  struct(4, 3, str(key), str(oid), u64(snap), u32(hash), u8(0), str(nspace), u64(pool));

// ---- samples -------------------------------------------------------------------------------------

function everyOp(): OSDOp[] {
  const data = Buffer.from('0123456789abcdef');
  const ops = [
    opRead(4096, 8192), opSparseRead(0, 100), opWrite(10, data), opWriteFull(data), opAppend(data), opTruncate(77), opZero(5, 6),
    opWriteSame(0, 64, Buffer.from('ab')), opCmpExt(3, Buffer.from('xyz')), opStat(), opAssertExists(), opCreate(true), opCreate(false),
    opDelete(), opAssertVersion(12345), opSetAllocHint(4 << 20, 4096, 3), opGetXattr('user.a'), opSetXattr('user.b', Buffer.from('v')),
    opRmXattr('user.c'), opGetXattrs(), opCmpXattr('user.d', CmpXattrOp.GTE, CmpXattrMode.U64, Buffer.from('42')),
    opOmapGetKeys('k0', 100), opOmapGetVals('', 50, 'pre'), opOmapGetValsByKeys(['b', 'a', 'b']),
    opOmapSetVals(new Map([['z', Buffer.from('1')], ['a', Buffer.from('22')]])), opOmapRmKeys(['q']), opOmapSetHeader(Buffer.from('hdr')),
    opOmapGetHeader(), opOmapClear(), opCall('lock', 'lock', Buffer.from([1, 2, 3])),
  ];
  return ops;
}

function sampleOp(): MOSDOp {
  const m = new MOSDOp();
  m.header.tid = 77;
  m.pgid = { pgid: { pool: 3, seed: 5 }, shard: NO_SHARD };
  m.hobj = { ...emptyHObject(), oid: 'rbd_data.1234', key: 'loc', nspace: 'ns', hash: 0xdeadbeef, pool: 3, snap: CEPH_NOSNAP };
  m.osdmapEpoch = 42;
  m.flags = OsdFlag.WRITE | OsdFlag.ONDISK | OsdFlag.KNOWN_REDIR;
  m.clientInc = 1;
  m.mtime = { sec: 1700000000, nsec: 123 };
  m.ops = everyOp();
  m.snapSeq = 9n;
  m.snaps = [9n, 4n, 2n];
  m.retryAttempt = 2;
  m.features = F;
  m.reqid = { name: { type: EntityType.CLIENT, num: 4123 }, tid: 77, inc: 1 };
  return m;
}

function sampleReply(): MOSDOpReply {
  const r = MOSDOpReply.replyTo(sampleOp(), -2, 43);
  r.ops[0]!.outdata = Buffer.from('read bytes');
  r.ops[0]!.rval = 10;
  r.ops[9]!.outdata = encodeStatReply(20, { sec: 5, nsec: 6 });
  r.ops[14]!.rval = -75;
  r.setReplyVersions({ epoch: 43, version: 17 }, 16);
  r.redirect = { locator: { pool: 9, key: '', nspace: 'n', hash: 1234 }, object: 'other' };
  return r;
}

function sampleRepOp(): MOSDRepOp {
  const m = new MOSDRepOp();
  m.header.tid = 5;
  m.mapEpoch = 50;
  m.minEpoch = 48;
  m.reqid = { name: { type: EntityType.CLIENT, num: 7 }, tid: 3, inc: 0 };
  m.pgid = { pgid: { pool: 2, seed: 1 }, shard: NO_SHARD };
  m.poid = { oid: 'o', key: '', nspace: '', hash: 0x1234, pool: 2, snap: CEPH_NOSNAP, max: false };
  m.acksWanted = OsdFlag.ONDISK;
  m.version = { epoch: 50, version: 9 };
  m.logbl = Buffer.from('pg log entries');
  m.pgStats = struct(26, 22, Buffer.from('opaque pg_stat_t body'));
  m.pgTrimTo = { epoch: 40, version: 3 };
  m.from = { osd: 0, shard: NO_SHARD };
  m.updatedHitSetHistory = struct(1, 1, Buffer.from('hs'));
  m.minLastCompleteOndisk = { epoch: 50, version: 8 };
  m.transaction = Buffer.from('encoded ObjectStore::Transaction');
  return m;
}

function sampleRepOpReply(): MOSDRepOpReply {
  const m = new MOSDRepOpReply();
  m.mapEpoch = 50;
  m.minEpoch = 48;
  m.reqid = { name: { type: EntityType.CLIENT, num: 7 }, tid: 3, inc: 0 };
  m.pgid = { pgid: { pool: 2, seed: 1 }, shard: NO_SHARD };
  m.ackType = OsdFlag.ONDISK;
  m.result = 0;
  m.lastCompleteOndisk = { epoch: 50, version: 9 };
  m.from = { osd: 1, shard: NO_SHARD };
  return m;
}

function sampleBackoff(): MOSDBackoff {
  const m = new MOSDBackoff();
  m.pgid = { pgid: { pool: 1, seed: 7 }, shard: 2 };
  m.mapEpoch = 12;
  m.op = BackoffOp.BLOCK;
  m.id = 99;
  m.begin = { oid: 'a', key: '', nspace: '', hash: 1, pool: 1, snap: 0n, max: false };
  m.end = { oid: 'b', key: '', nspace: '', hash: 2, pool: 1, snap: CEPH_NOSNAP, max: false };
  return m;
}

const samples = (): Message[] => [sampleOp(), sampleReply(), sampleRepOp(), sampleRepOpReply(), sampleBackoff()];

// ---- tests ----------------------------------------------------------------------------------------

describe('msg/messages/osdop: registry and round trips', () => {
  it('each class is registered under its Ceph type number, with Ceph 16\'s versions', () => {
    const want: Array<[string, number, number, number, string]> = [
      ['MOSDOp', 42, 8, 3, 'osd_op'], ['MOSDOpReply', 43, 8, 2, 'osd_op_reply'], ['MOSDBackoff', 61, 1, 1, 'osd_backoff'],
      ['MOSDRepOp', 112, 3, 1, 'osd_repop'], ['MOSDRepOpReply', 113, 2, 1, 'osd_repop_reply'],
    ];
    for (const [name, type, head, compat, tn] of want) {
      const c = MESSAGE_CLASSES.find((k) => k.name === name);
      assert.ok(c, name);
      assert.equal(c.TYPE, type, name);
      assert.ok(isRegisteredMessage(type), name);
      const m = new c();
      assert.equal(m.header.version, head, `${name} HEAD_VERSION`);
      assert.equal(m.header.compatVersion, compat, `${name} COMPAT_VERSION`);
      assert.equal(m.typeName(), tn);
    }
  });

  for (const m of samples()) {
    it(`${m.constructor.name} round-trips`, () => {
      const r1 = raw(m);
      const back = decodeMessage(r1, F);
      assert.equal(back.constructor, m.constructor);
      const r2 = raw(back);
      assert.deepEqual(cat(r2.front), cat(r1.front));
      assert.deepEqual(cat(r2.data), cat(r1.data));
    });
  }

  it('MOSDOp keeps every field and each op\'s indata through the data segment', () => {
    const m = sampleOp();
    const back = roundTrip(m);
    assert.deepEqual(back.pgid, m.pgid);
    assert.deepEqual(back.hobj, m.hobj);
    assert.equal(back.osdmapEpoch, 42);
    assert.equal(back.flags, m.flags);
    assert.deepEqual(back.reqid, m.reqid);
    assert.deepEqual(back.snaps, [9n, 4n, 2n]);
    assert.equal(back.snapSeq, 9n);
    assert.equal(back.retryAttempt, 2);
    assert.equal(back.features, F);
    assert.equal(back.ops.length, m.ops.length);
    for (let i = 0; i < m.ops.length; i++) {
      assert.equal(back.ops[i]!.op, m.ops[i]!.op, `op ${i}`);
      assert.equal(back.ops[i]!.flags, m.ops[i]!.flags, `op ${i} flags`);
      assert.deepEqual(back.ops[i]!.args, m.ops[i]!.args, `op ${i} union`);
      assert.deepEqual(back.ops[i]!.indata, m.ops[i]!.indata, `op ${i} indata`);
    }
    assert.equal(cat(raw(m).data).length, m.ops.reduce((n, o) => n + o.indata.length, 0));
  });

  it('MOSDOpReply keeps result, versions, rvals, outdata and the redirect', () => {
    const r = sampleReply();
    const back = roundTrip(r);
    assert.equal(back.header.tid, 77);
    assert.equal(back.result, -2);
    assert.equal(back.flags, OsdFlag.WRITE | OsdFlag.KNOWN_REDIR | OsdFlag.ONDISK);
    assert.deepEqual(back.replayVersion, { epoch: 43, version: 17 });
    assert.deepEqual(back.badReplayVersion, { epoch: 43, version: 16 });
    assert.equal(back.userVersion, 16);
    assert.equal(back.retryAttempt, 2);
    assert.deepEqual(back.redirect, r.redirect);
    assert.equal(back.ops[0]!.outdata.toString(), 'read bytes');
    assert.equal(back.ops[0]!.rval, 10);
    assert.equal(back.ops[14]!.rval, -75);
    assert.deepEqual(decodeStatReply(back.ops[9]!.outdata), { size: 20, mtime: { sec: 5, nsec: 6 } });
    for (const o of back.ops) assert.equal(o.indata.length, 0);
  });

  it('MOSDRepOp, MOSDRepOpReply and MOSDBackoff keep their fields', () => {
    const a = sampleRepOp();
    const b = roundTrip(a);
    for (const k of ['mapEpoch', 'minEpoch', 'reqid', 'pgid', 'poid', 'acksWanted', 'version', 'logbl', 'pgStats', 'pgTrimTo', 'newTempOid',
      'discardTempOid', 'from', 'updatedHitSetHistory', 'minLastCompleteOndisk', 'transaction'] as const) {
      assert.deepEqual(b[k], a[k], k);
    }
    const c = sampleRepOpReply();
    assert.deepEqual({ ...roundTrip(c), header: null, front: null, data: null }, { ...c, header: null, front: null, data: null });
    const d = sampleBackoff();
    const e = roundTrip(d);
    assert.deepEqual([e.pgid, e.mapEpoch, e.op, e.id, e.begin, e.end], [d.pgid, d.mapEpoch, d.op, d.id, d.begin, d.end]);
  });
});

describe('msg/messages/osdop: byte vectors written by hand from Ceph\'s headers', () => {
  it('MOSDOp v8: a read of obj1 in pool 1', () => {
    const want = Buffer.concat([
      spgT(1, 7, 0xff), u32(0x086cf8de), u32(8), u32(OsdFlag.READ | OsdFlag.KNOWN_REDIR),
      reqidT(0, 0, 0, 3), traceZero, u32(3), u32(100), u32(200), // an unset reqid carries client_inc
      struct(6, 3, u64(1), s32(-1), str(''), str(''), u64(-1n)), str('obj1'),
      u16(1), rawExtentOp(0x1201, OsdOpFlag.FADVISE_SEQUENTIAL, 0, 4194304, 0),
      u64(CEPH_NOSNAP), u64(0), u32(0), s32(0), u64(F),
    ]);
    const m = new MOSDOp();
    m.pgid = { pgid: { pool: 1, seed: 7 }, shard: NO_SHARD };
    m.hobj = { ...emptyHObject(), oid: 'obj1', hash: 0x086cf8de, pool: 1, snap: CEPH_NOSNAP };
    m.osdmapEpoch = 8;
    m.flags = OsdFlag.READ | OsdFlag.KNOWN_REDIR;
    m.clientInc = 3;
    m.mtime = { sec: 100, nsec: 200 };
    const op = opRead(0, 4194304);
    op.flags = OsdOpFlag.FADVISE_SEQUENTIAL;
    m.ops = [op];
    m.retryAttempt = 0;
    m.features = F;
    const r = raw(m);
    assert.deepEqual(cat(r.front), want);
    assert.equal(r.data.length, 0);
    const back = decodeMessage(envelope(42, 8, want), F) as MOSDOp;
    assert.equal(back.hobj.oid, 'obj1');
    assert.equal(back.hobj.hash, 0x086cf8de);
    assert.equal(back.clientInc, 3);
    assert.deepEqual(extentArgs(back.ops[0]!), { offset: 0, length: 4194304, truncateSize: 0, truncateSeq: 0 });
  });

  it('MOSDOp v8: an object located by hash (no name) and a setxattr with its payload', () => {
    const want = Buffer.concat([
      spgT(2, 0, 0xff), u32(0xabcd), u32(1), u32(OsdFlag.WRITE),
      reqidT(EntityType.CLIENT, 9, 4, 1), traceZero, u32(0), u32(0), u32(0),
      struct(6, 6, u64(2), s32(-1), str(''), str('n'), u64(0xabcd)), str(''),
      u16(1), u16(0x2301), u32(0), u32(3), u32(2), u8(0), u8(0), Buffer.alloc(18), u32(5),
      u64(CEPH_NOSNAP), u64(0), u32(0), s32(-1), u64(0),
    ]);
    const m = new MOSDOp();
    m.pgid = { pgid: { pool: 2, seed: 0 }, shard: NO_SHARD };
    m.hobj = { ...emptyHObject(), nspace: 'n', hash: 0xabcd, pool: 2, snap: CEPH_NOSNAP };
    m.osdmapEpoch = 1;
    m.flags = OsdFlag.WRITE;
    m.reqid = { name: { type: EntityType.CLIENT, num: 9 }, tid: 4, inc: 1 };
    m.ops = [opSetXattr('abc', Buffer.from('vv'))];
    const r = raw(m);
    assert.deepEqual(cat(r.front), want);
    assert.deepEqual(cat(r.data), Buffer.from('abcvv'));
    const back = decodeMessage(envelope(42, 8, want, [Buffer.from('abc'), Buffer.from('vv')]), F) as MOSDOp;
    assert.deepEqual(xattrNameValue(back.ops[0]!), { name: 'abc', value: Buffer.from('vv') });
    assert.equal(back.hobj.nspace, 'n');
    assert.equal(back.objectLocator().hash, 0xabcd);
  });

  it('MOSDOpReply v8: a read reply with outdata, rval and no redirect', () => {
    const want = Buffer.concat([
      str('obj1'), pgT(1, 7), u64(OsdFlag.READ | OsdFlag.ACK | OsdFlag.ONDISK), s32(0), ever(3, 8), u32(8), u32(1),
      rawExtentOp(0x1201, 0, 0, 4, 4), s32(-1), s32(4), ever(0, 0), u64(3), u8(0), traceZero,
    ]);
    const r = new MOSDOpReply();
    r.oid = 'obj1';
    r.pgid = { pool: 1, seed: 7 };
    r.flags = OsdFlag.READ | OsdFlag.ACK | OsdFlag.ONDISK;
    r.badReplayVersion = { epoch: 8, version: 3 };
    r.osdmapEpoch = 8;
    const op = opRead(0, 4);
    op.outdata = Buffer.from('data');
    op.rval = 4;
    r.ops = [op];
    r.userVersion = 3;
    const x = raw(r);
    assert.deepEqual(cat(x.front), want);
    assert.deepEqual(cat(x.data), Buffer.from('data'));
    const back = decodeMessage(envelope(43, 8, want, [Buffer.from('data')]), F) as MOSDOpReply;
    assert.equal(back.ops[0]!.outdata.toString(), 'data');
    assert.equal(back.userVersion, 3);
    assert.equal(back.redirect, null);
  });

  it('MOSDOpReply v10 (a later Ceph) with qos phase and temperature still reads', () => {
    const f = Buffer.concat([
      str('o'), pgT(1, 0), u64(OsdFlag.ONDISK), s32(-2), ever(0, 0), u32(3), u32(0), s32(0), ever(0, 0), u64(0), u8(0), u32(1), traceZero, u32(0),
    ]);
    const back = decodeMessage(envelope(43, 10, f), F) as MOSDOpReply;
    assert.equal(back.result, -2);
    assert.equal(back.osdmapEpoch, 3);
  });

  it('MOSDRepOpReply v2 and MOSDBackoff v1', () => {
    const rr = Buffer.concat([
      u32(50), u32(48), traceZero, reqidT(EntityType.CLIENT, 7, 3, 0), spgT(2, 1, 0xff), u8(OsdFlag.ONDISK), s32(0), ever(9, 50),
      struct(1, 1, s32(1), u8(0xff)),
    ]);
    assert.deepEqual(cat(raw(sampleRepOpReply()).front), rr);
    const bo = Buffer.concat([
      spgT(1, 7, 2), u32(12), u8(BackoffOp.BLOCK), u64(99), hobj('', 'a', 0n, 1, '', 1n), hobj('', 'b', CEPH_NOSNAP, 2, '', 1n),
    ]);
    assert.deepEqual(cat(raw(sampleBackoff()).front), bo);
    const back = decodeMessage(envelope(61, 1, bo), F) as MOSDBackoff;
    assert.equal(back.pgid.shard, 2);
    assert.equal(back.end.oid, 'b');
  });

  it('MOSDRepOp v3: front as Ceph 16 lays it out, the transaction in the data segment', () => {
    const m = sampleRepOp();
    const noPool = -(2n ** 63n);
    const want = Buffer.concat([
      u32(50), u32(48), traceZero, reqidT(EntityType.CLIENT, 7, 3, 0), spgT(2, 1, 0xff), hobj('', 'o', CEPH_NOSNAP, 0x1234, '', 2n),
      u8(OsdFlag.ONDISK), ever(9, 50), str('pg log entries'), m.pgStats, ever(3, 40),
      hobj('', '', 0n, 0, '', noPool), hobj('', '', 0n, 0, '', noPool), struct(1, 1, s32(0), u8(0xff)),
      u8(1), m.updatedHitSetHistory!, ever(8, 50),
    ]);
    const r = raw(m);
    assert.deepEqual(cat(r.front), want);
    assert.deepEqual(cat(r.data), Buffer.from('encoded ObjectStore::Transaction'));
  });
});

describe('msg/messages/osdop: per-op payloads', () => {
  it('union readers give back what the builders wrote', () => {
    assert.deepEqual(extentArgs(opWrite(10, Buffer.from('abc'))), { offset: 10, length: 3, truncateSize: 0, truncateSeq: 0 });
    assert.equal(extentArgs(opTruncate(77)).offset, 77);
    assert.deepEqual(writeSameArgs(opWriteSame(0, 64, Buffer.from('ab'))), { offset: 0, length: 64, dataLength: 2 });
    assert.equal(assertVerArg(opAssertVersion(12345)), 12345);
    assert.deepEqual(allocHintArgs(opSetAllocHint(4 << 20, 4096, 3)), { expectedObjectSize: 4 << 20, expectedWriteSize: 4096, flags: 3 });
    assert.deepEqual(xattrArgs(opCmpXattr('user.d', CmpXattrOp.GTE, CmpXattrMode.U64, Buffer.from('42'))), { nameLen: 6, valueLen: 2, cmpOp: 4, cmpMode: 2 });
    assert.deepEqual(callParts(opCall('lock', 'unlock', Buffer.from([9]))), { cls: 'lock', method: 'unlock', input: Buffer.from([9]) });
    assert.equal(opCreate(true).flags, OsdOpFlag.EXCL);
    assert.equal(opAssertExists().op, OsdOpCode.STAT);
  });

  it('omap inputs and outputs in the OSD\'s encodings (std::set / std::map sorted by bytes)', () => {
    assert.deepEqual(opOmapGetValsByKeys(['b', 'a', 'b']).indata, Buffer.concat([u32(2), str('a'), str('b')]));
    assert.deepEqual(decodeOmapKeySet(opOmapRmKeys(['x', 'w']).indata), ['w', 'x']);
    const set = opOmapSetVals(new Map([['z', Buffer.from('1')], ['a', Buffer.from('22')]]));
    assert.deepEqual(set.indata, Buffer.concat([u32(2), str('a'), u32(2), Buffer.from('22'), str('z'), u32(1), Buffer.from('1')]));
    assert.deepEqual([...decodeOmapMap(set.indata).keys()], ['a', 'z']);
    assert.deepEqual(opOmapGetVals('s', 50, 'p').indata, Buffer.concat([str('s'), u64(50), str('p')]));
    assert.deepEqual(decodeOmapGetArgs(opOmapGetVals('s', 50, 'p')), { startAfter: 's', maxReturn: 50, filterPrefix: 'p' });
    assert.deepEqual(decodeOmapGetArgs(opOmapGetKeys('k', 7)), { startAfter: 'k', maxReturn: 7, filterPrefix: '' });
    assert.deepEqual(decodeOmapKeysReply(encodeOmapKeysReply(['b', 'a'], true)), { keys: ['a', 'b'], more: true });
    const vals = decodeOmapValsReply(encodeOmapValsReply(new Map([['k', Buffer.from('v')]]), false));
    assert.deepEqual([...vals.entries], [['k', Buffer.from('v')]]);
    assert.equal(vals.more, false);
    assert.deepEqual(opOmapSetHeader(Buffer.from('h')).indata, Buffer.from('h'));
    assert.equal(opOmapGetHeader().indata.length + opOmapClear().indata.length + opGetXattrs().indata.length + opDelete().indata.length, 0);
    assert.deepEqual(xattrNameValue(opGetXattr('user.q')), { name: 'user.q', value: Buffer.alloc(0) });
    assert.deepEqual(xattrNameValue(opRmXattr('user.r')).name, 'user.r');
  });

  it('op names as Ceph prints them', () => {
    assert.equal(osdOpName(OsdOpCode.WRITEFULL), 'writefull');
    assert.equal(osdOpName(OsdOpCode.OMAPGETVALSBYKEYS), 'omap-get-vals-by-keys');
    assert.equal(osdOpName(OsdOpCode.SPARSE_READ), 'sparse-read');
    assert.equal(osdOpName(OsdOpCode.ASSERT_VER), 'assert-version');
    assert.equal(osdOpName(OsdOpCode.SETALLOCHINT), 'set-alloc-hint');
    assert.equal(osdOpName(0x2fff), '???');
    assert.equal(OsdOpCode.CMPEXT, 0x1220);
    assert.equal(OsdOpCode.CALL, 0x1401);
    assert.equal(OsdOpCode.PGNLS, 0x1505);
  });
});

describe('msg/messages/osdop: malformed payloads are EBADMSG', () => {
  const all = samples();

  it('every truncation of every sample', () => {
    for (const m of all) {
      const r = raw(m);
      const bytes = cat(r.front);
      for (let n = 0; n < bytes.length; n++) {
        assert.throws(() => decodeMessage({ ...r, front: [bytes.subarray(0, n)] }, F), isEbadmsg, `${m.constructor.name} truncated to ${n}`);
      }
    }
  });

  it('ops whose payload_len runs past the data segment, and versions we do not read', () => {
    const r = raw(sampleOp());
    const d = cat(r.data);
    assert.throws(() => decodeMessage({ ...r, data: [d.subarray(0, d.length - 1)] }, F), isEbadmsg);
    const q = raw(sampleReply());
    assert.throws(() => decodeMessage({ ...q, data: [] }, F), isEbadmsg);
    assert.throws(() => decodeMessage({ ...r, header: { ...r.header, version: 7 } }, F), isEbadmsg);
    assert.throws(() => decodeMessage({ ...q, header: { ...q.header, version: 6 } }, F), isEbadmsg);
    const p = raw(sampleRepOp());
    assert.throws(() => decodeMessage({ ...p, header: { ...p.header, version: 2 } }, F), isEbadmsg);
  });

  it('seeded garbage: decodes or EBADMSG, never anything else', () => {
    const runSeed = Number(process.env.OSDOP_SEED ?? 0x6f70);
    const only = process.env.OSDOP_SEED !== undefined;
    const n = only ? 1 : 3000;
    for (let i = 0; i < n; i++) {
      const seed = only ? runSeed : caseSeed(runSeed, i);
      const rng = new Rng(seed);
      const m = rng.pick(all);
      const r = raw(m);
      const body = Buffer.from(cat(r.front));
      const flips = rng.int(1, 6);
      for (let k = 0; k < flips; k++) body[rng.int(0, body.length - 1)] = rng.int(0, 255);
      const data = rng.chance(0.2) ? [] : r.data;
      try {
        decodeMessage({ ...r, front: [body], data }, F).toRaw(F);
      } catch (e) {
        if (!(e instanceof CephError) || !['EBADMSG', 'ERANGE', 'EINVAL'].includes(e.code)) {
          assert.fail(`seed=${seed}: ${m.constructor.name}: ${e instanceof CephError ? e.code : ''} ${String(e)}`);
        }
      }
    }
  });
});

// ---- payloads written by real Ceph (test/golden/osdop, scripts/gen-osdop-golden.mjs) ------------

interface GoldenEntry {
  name: string;
  direction: string;
  type: number;
  version: number;
  compatVersion: number;
  tid: number;
  dataOff: number;
  flags: number;
  frontBytes: number;
  dataBytes: number;
}

const GOLD = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'test/golden/osdop');

function golden(): Array<{ e: GoldenEntry; raw: RawMessage }> {
  const man = JSON.parse(readFileSync(join(GOLD, 'manifest.json'), 'utf8')) as GoldenEntry[];
  return man.map((e) => {
    const front = readFileSync(join(GOLD, `${e.name}.front.bin`));
    const dataFile = join(GOLD, `${e.name}.data.bin`);
    const data = existsSync(dataFile) ? [readFileSync(dataFile)] : [];
    const header = { seq: 1, tid: e.tid, type: e.type, priority: 127, version: e.version, compatVersion: e.compatVersion, dataOff: e.dataOff, ackSeq: 0, flags: e.flags };
    return { e, raw: { header, front: [front], middle: [], data } };
  });
}

describe('msg/messages/osdop: payloads from real Ceph 16.2.15 (rados CLI and ceph-osd to ceph-osd)', () => {
  const all = golden();
  const find = (name: string): Message => decodeMessage(all.find((g) => g.e.name === name)!.raw, F);
  const op = (name: string): MOSDOp => find(`${name}-MOSDOp-0`) as MOSDOp;
  const reply = (name: string): MOSDOpReply => find(`${name}-MOSDOpReply-0`) as MOSDOpReply;
  const object = Buffer.from('hello golden object\n');

  it('has the captures it was made with', () => {
    assert.ok(all.length >= 30, `${all.length} captures`);
    for (const n of ['put', 'get', 'setxattr', 'setomapval', 'repop-put', 'repop-omap']) {
      assert.ok(all.some((g) => g.e.name === `${n}-MOSDOp-0`), n);
      assert.ok(all.some((g) => g.e.name === `${n}-MOSDOpReply-0`), n);
    }
  });

  for (const g of all) {
    it(`${g.e.name} decodes and re-encodes to Ceph's bytes`, () => {
      const m = decodeMessage(g.raw, F);
      const want: Record<number, unknown> = { 42: MOSDOp, 43: MOSDOpReply, 112: MOSDRepOp, 113: MOSDRepOpReply };
      assert.equal(m.constructor, want[g.e.type]);
      const r = m.toRaw(F);
      assert.deepEqual(cat(r.front), cat(g.raw.front));
      assert.deepEqual(cat(r.data), cat(g.raw.data));
      assert.equal(r.header.version, g.e.version);
    });
  }

  it('the put: a writefull of the file, placed where Ceph\'s rjenkins hash and stable_mod say', () => {
    const m = op('put');
    assert.equal(m.ops.length, 1);
    assert.equal(m.ops[0]!.op, OsdOpCode.WRITEFULL);
    assert.deepEqual(m.ops[0]!.indata, object);
    assert.deepEqual(extentArgs(m.ops[0]!), { offset: 0, length: object.length, truncateSize: 0, truncateSeq: 0 });
    assert.equal(m.hobj.oid, 'obj1');
    assert.equal(m.hobj.hash, cephStrHashRjenkins('obj1'));
    assert.equal(m.pgid.pgid.pool, 1);
    assert.equal(m.pgid.pgid.seed, cephStableMod(m.hobj.hash, 8, 7));
    assert.equal(m.pgid.shard, NO_SHARD);
    assert.equal(m.hobj.snap, CEPH_NOSNAP);
    assert.equal(m.flags & OsdFlag.WRITE, OsdFlag.WRITE);
    assert.equal(m.retryAttempt, 0);
    assert.deepEqual(m.effectiveReqId({ type: EntityType.CLIENT, num: 4100 }), { name: { type: EntityType.CLIENT, num: 4100 }, tid: m.header.tid, inc: 0 });
    const own = sampleOp();
    assert.deepEqual(own.effectiveReqId({ type: EntityType.CLIENT, num: 1 }), own.reqid);
    const r = reply('put');
    assert.equal(r.result, 0);
    assert.equal(r.oid, 'obj1');
    assert.ok(r.replayVersion.version > 0 && r.userVersion === r.replayVersion.version);
  });

  it('the get: a read whose reply carries the object', () => {
    assert.equal(op('get').ops[0]!.op, OsdOpCode.READ);
    const r = reply('get');
    assert.deepEqual(r.ops[0]!.outdata, object);
    assert.equal(r.ops[0]!.rval, 0);
  });

  it('xattrs: setxattr name/value, getxattr and listxattr replies', () => {
    assert.deepEqual(xattrNameValue(op('setxattr').ops[0]!), { name: 'user.color', value: Buffer.from('blue') });
    assert.deepEqual(xattrNameValue(op('getxattr').ops[0]!).name, 'user.color');
    assert.deepEqual(reply('getxattr').ops[0]!.outdata, Buffer.from('blue'));
    assert.equal(op('listxattr').ops[0]!.op, OsdOpCode.GETXATTRS);
    assert.deepEqual([...decodeXattrsReply(reply('listxattr').ops[0]!.outdata)], [['user.color', Buffer.from('blue')]]);
  });

  it('omap: setomapval, getomapval (by keys), listomapvals, setomapheader and rmomapkey', () => {
    const s = op('setomapval').ops[0]!;
    assert.equal(s.op, OsdOpCode.OMAPSETVALS);
    assert.deepEqual([...decodeOmapMap(s.indata)], [['key1', Buffer.from('val1')]]);
    assert.deepEqual(s.indata, opOmapSetVals(new Map([['key1', Buffer.from('val1')]])).indata);
    const g = op('getomapval').ops[0]!;
    assert.equal(g.op, OsdOpCode.OMAPGETVALSBYKEYS);
    assert.deepEqual(g.indata, opOmapGetValsByKeys(['key1']).indata);
    assert.deepEqual([...decodeOmapMap(reply('getomapval').ops[0]!.outdata)], [['key1', Buffer.from('val1')]]);
    const l = op('listomapvals').ops[0]!;
    assert.equal(l.op, OsdOpCode.OMAPGETVALS);
    assert.deepEqual(decodeOmapGetArgs(l).startAfter, '');
    const lv = decodeOmapValsReply(reply('listomapvals').ops[0]!.outdata);
    assert.deepEqual([...lv.entries], [['key1', Buffer.from('val1')]]);
    assert.equal(lv.more, false);
    assert.deepEqual(op('setomapheader').ops[0]!.indata, Buffer.from('hdr'));
    assert.deepEqual(decodeOmapKeySet(op('rmomapkey').ops[0]!.indata), ['key1']);
  });

  it('stat, stat of a missing object, append, truncate, create, rm, a namespace and a locator key', () => {
    assert.equal(decodeStatReply(reply('stat').ops[0]!.outdata).size, object.length);
    assert.equal(reply('stat-missing').result, -2);
    assert.equal(op('append').ops[0]!.op, OsdOpCode.APPEND);
    assert.deepEqual(op('append').ops[0]!.indata, object);
    assert.equal(extentArgs(op('truncate').ops[0]!).offset, 7);
    assert.equal(op('create').ops[0]!.op, OsdOpCode.CREATE);
    assert.equal(op('rm').ops[0]!.op, OsdOpCode.DELETE);
    assert.equal(op('put-ns').hobj.nspace, 'ns1');
    assert.equal(op('put-locator').hobj.key, 'loc1');
    assert.equal(op('put-locator').hobj.hash, cephStrHashRjenkins('loc1'));
  });

  it('replication: the primary\'s MOSDRepOp and the replica\'s MOSDRepOpReply for a size-2 pool', () => {
    const repops = all.filter((g) => g.e.type === 112).map((g) => decodeMessage(g.raw, F) as MOSDRepOp);
    const replies = all.filter((g) => g.e.type === 113).map((g) => decodeMessage(g.raw, F) as MOSDRepOpReply);
    assert.ok(repops.length >= 3 && replies.length >= 3, `${repops.length} repops, ${replies.length} replies`);
    for (const m of repops) {
      assert.equal(m.header.version, 3);
      assert.equal(m.poid.oid, 'robj1');
      assert.equal(m.poid.hash, cephStrHashRjenkins('robj1'));
      assert.equal(m.poid.pool, m.pgid.pgid.pool);
      assert.equal(m.poid.snap, CEPH_NOSNAP);
      assert.equal(m.newTempOid.pool, emptyHObject().pool);
      assert.equal(m.reqid.name.type, EntityType.CLIENT);
      assert.ok(m.version.version >= 1 && m.version.epoch >= m.minEpoch && m.mapEpoch >= m.minEpoch);
      assert.ok(m.logbl.length > 0 && m.pgStats.length > 6 && m.transaction.length > 0);
      assert.ok(m.from.osd === 0 || m.from.osd === 1);
      assert.equal(m.from.shard, NO_SHARD);
    }
    for (const r of replies) {
      assert.equal(r.result, 0);
      assert.equal(r.ackType & OsdFlag.ONDISK, OsdFlag.ONDISK);
      assert.ok(repops.some((m) => m.reqid.tid === r.reqid.tid && m.reqid.name.num === r.reqid.name.num));
    }
  });

  it('our own MOSDOp for the put encodes to the rados CLI\'s bytes', () => {
    const c = op('put');
    const m = new MOSDOp();
    m.header.tid = c.header.tid;
    m.pgid = { pgid: { pool: 1, seed: cephStableMod(cephStrHashRjenkins('obj1'), 8, 7) }, shard: NO_SHARD };
    m.hobj = { ...emptyHObject(), oid: 'obj1', hash: cephStrHashRjenkins('obj1'), pool: 1, snap: CEPH_NOSNAP };
    m.osdmapEpoch = c.osdmapEpoch;
    m.flags = OsdFlag.WRITE | OsdFlag.ONDISK | OsdFlag.KNOWN_REDIR;
    m.mtime = c.mtime;
    m.ops = [opWriteFull(object)];
    m.retryAttempt = 0;
    m.features = c.features;
    const r = raw(m);
    assert.deepEqual(cat(r.front), cat(all.find((g) => g.e.name === 'put-MOSDOp-0')!.raw.front));
    assert.deepEqual(cat(r.data), object);
  });
});

// ---- a real ceph-osd executes our MOSDOps ----------------------------------------------------------

describe('msg/messages/osdop: a real Ceph 16 OSD executes our MOSDOps', function () {
  this.timeout(90_000);
  const monPort = 17720;
  const osdPort = 17721;
  const osdUuid = '33333333-4444-5555-6666-777777777777';
  let mon: RealCephMon | null = null;
  let osd: ChildProcess | null = null;

  before(async function () {
    if (!realCephAvailable() || !existsSync('/usr/bin/ceph-osd')) this.skip();
    mon = await startRealCephMon({ port: monPort, options: {
      osd_pool_default_size: '1', osd_pool_default_min_size: '1', mon_allow_pool_size_one: 'true',
      osd_pool_default_pg_autoscale_mode: 'off', osd_crush_chooseleaf_type: '0', ms_bind_msgr1: 'false',
      osd_objectstore: 'memstore', memstore_device_bytes: '134217728', osd_data: '$run_dir/osd.$id',
    } });
    const must = (r: { status: number; stderr: string }, what: string): void => assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    must(mon.ceph(['osd', 'new', osdUuid, '0']), 'osd new');
    mkdirSync(join(mon.dir, 'osd.0'), { recursive: true });
    const osdArgs = ['-c', mon.conf, '-i', '0', '--public-addr', `v2:127.0.0.1:${osdPort}`, '--cluster-addr', `v2:127.0.0.1:${osdPort + 1}`];
    const mk = spawnSync('/usr/bin/ceph-osd', [...osdArgs, '--mkfs', '--osd-uuid', osdUuid], { encoding: 'utf8' });
    assert.equal(mk.status, 0, `ceph-osd --mkfs: ${mk.stderr}`);
    osd = spawn('/usr/bin/ceph-osd', [...osdArgs, '-f'], { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      if (mon.ceph(['osd', 'dump']).stdout.toString().includes('osd.0 up')) break;
      if (i > 150) throw new Error('the real ceph-osd did not come up');
      await new Promise((r) => setTimeout(r, 200));
    }
    must(mon.ceph(['osd', 'pool', 'create', 'p1', '8', '8']), 'pool create');
  });

  after(async () => {
    if (osd && osd.exitCode === null && osd.signalCode === null) {
      const p = osd;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    if (mon) await mon.stop(process.env.OSDOP_KEEP !== undefined);
  });

  it('writefull, read, stat, setxattr/getxattr, omap set/get and a missing object', async () => {
    const dump = JSON.parse(mon!.ceph(['osd', 'dump', '-f', 'json']).stdout.toString()) as {
      epoch: number;
      pools: Array<{ pool: number; pool_name: string }>;
      osds: Array<{ public_addrs: { addrvec: Array<{ nonce: number }> } }>;
    };
    const pool = dump.pools.find((p) => p.pool_name === 'p1')!.pool;
    // msgr2 refuses a client whose target address (nonce included) is not the OSD's own.
    const nonce = dump.osds[0]!.public_addrs.addrvec[0]!.nonce;
    const replies = new Map<number, MOSDOpReply>();
    const msgr = createMessenger({ entity: { type: EntityType.CLIENT, num: 4720 }, nonce: 0x6f7364, authClient: new AuthNoneClient({ type: EntityType.CLIENT, id: 'admin' }) });
    msgr.addDispatcher({ dispatch(_c, m) { if (m instanceof MOSDOpReply) replies.set(m.header.tid, m); } });
    msgr.start();
    let tid = 0;
    const conn = msgr.connectTo(EntityType.OSD, [makeEntityAddr(EntityAddrType.MSGR2, '127.0.0.1', osdPort, nonce)]);
    const submit = async (oid: string, flags: number, ops: OSDOp[]): Promise<MOSDOpReply> => {
      const m = new MOSDOp();
      m.header.tid = ++tid;
      const hash = cephStrHashRjenkins(oid);
      m.pgid = { pgid: { pool, seed: cephStableMod(hash, 8, 7) }, shard: NO_SHARD };
      m.hobj = { ...emptyHObject(), oid, hash, pool, snap: CEPH_NOSNAP };
      m.osdmapEpoch = dump.epoch;
      m.flags = flags | OsdFlag.KNOWN_REDIR | (flags & OsdFlag.WRITE ? OsdFlag.ONDISK : 0);
      m.clientInc = 1;
      m.mtime = { sec: 1700000000, nsec: 0 };
      m.ops = ops;
      m.retryAttempt = 0;
      m.features = PACIFIC_FEATURES;
      conn.send(m);
      const end = Date.now() + 45_000; // the first op waits for the new pool's PG to peer
      while (!replies.has(m.header.tid)) {
        if (Date.now() > end) throw new Error(`no reply to tid ${m.header.tid} (cluster in ${mon!.dir})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return replies.get(m.header.tid)!;
    };
    try {
      const body = Buffer.from('written by tsceph\n');
      const w = await submit('tsobj', OsdFlag.WRITE, [opWriteFull(body), opSetXattr('user.k', Buffer.from('xv')), opOmapSetVals(new Map([['a', Buffer.from('1')], ['b', Buffer.from('22')]]))]);
      assert.equal(w.result, 0);
      assert.equal(w.oid, 'tsobj');
      assert.ok(w.replayVersion.version >= 1);
      const r = await submit('tsobj', OsdFlag.READ, [opRead(0, 0), opStat(), opGetXattr('user.k'), opOmapGetVals('', 10), opOmapGetValsByKeys(['b'])]);
      assert.equal(r.result, 0);
      assert.deepEqual(r.ops[0]!.outdata, body);
      assert.equal(decodeStatReply(r.ops[1]!.outdata).size, body.length);
      assert.deepEqual(r.ops[2]!.outdata, Buffer.from('xv'));
      const vals = decodeOmapValsReply(r.ops[3]!.outdata);
      assert.deepEqual([...vals.entries], [['a', Buffer.from('1')], ['b', Buffer.from('22')]]);
      assert.equal(vals.more, false);
      assert.deepEqual([...decodeOmapMap(r.ops[4]!.outdata)], [['b', Buffer.from('22')]]);
      const missing = await submit('nosuch', OsdFlag.READ, [opStat()]);
      assert.equal(missing.result, -2);
      const excl = await submit('tsobj', OsdFlag.WRITE, [opCreate(true)]);
      assert.equal(excl.result, -17);
      const gone = await submit('tsobj', OsdFlag.WRITE, [opDelete()]);
      assert.equal(gone.result, 0);
    } finally {
      await msgr.shutdown();
    }
  });
});
