// Proves msg/messages/statfs.ts speaks Ceph 16's MStatfs (v2: PaxosServiceMessage header, fsid, boost::optional<int64_t> data_pool; v1 without it) and MStatfsReply (struct ceph_mon_statfs_reply: fsid, version, kb, kb_used, kb_avail, num_objects, all little-endian u64): byte vectors written by hand from src/messages/MStatfs.h, MStatfsReply.h and include/ceph_fs.h (Buffer writes, not our Encoder) decode to the fields and our encoder reproduces them; a truncated reply is EBADMSG.
import assert from 'node:assert/strict';
import { CephError } from '../../common/errors.js';
import { PACIFIC_FEATURES } from '../../common/osdmap/index.js';
import { decodeMessage, type Message, type RawMessage } from '../../msg/message.js';
import { MStatfs, MStatfsReply, StatfsMsgType } from '../../msg/messages/index.js';

const FSID = '0b6bd5a4-61f4-4e57-8a0c-2f0a9d4e8c11';
const FSID_BYTES = Buffer.from(FSID.replace(/-/g, ''), 'hex');

const u8 = (v: number): Buffer => Buffer.from([v]);
const u16 = (v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u64 = (v: number | bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
const s64 = (v: number): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); return b; };
const cat = (...b: Buffer[]): Buffer => Buffer.concat(b);
/** PaxosServiceMessage header: version, deprecated session mon -1, deprecated session mon tid 0. */
const paxos = (version: number): Buffer => cat(u64(version), u16(0xffff), u64(0));

function envelope(type: number, version: number, front: Buffer): RawMessage {
  return { header: { seq: 1, tid: 9, type, priority: 127, version, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, front: [front], middle: [], data: [] };
}

function frontOf(m: Message): Buffer {
  return Buffer.concat(m.toRaw(PACIFIC_FEATURES).front);
}

describe('msg/messages/statfs: Ceph 16 MStatfs / MStatfsReply', () => {
  it('MStatfs v2 without a data pool: paxos header, fsid, optional absent', () => {
    const want = cat(paxos(7), FSID_BYTES, u8(0));
    const m = decodeMessage(envelope(StatfsMsgType.CEPH_MSG_STATFS, 2, want), PACIFIC_FEATURES) as MStatfs;
    assert.equal(m.fsid, FSID);
    assert.equal(m.version, 7);
    assert.equal(m.dataPool, null);
    const ours = new MStatfs(FSID);
    ours.version = 7;
    assert.deepEqual(frontOf(ours), want);
  });

  it('MStatfs v2 with a data pool: the optional is a bool then an s64', () => {
    const want = cat(paxos(0), FSID_BYTES, u8(1), s64(3));
    const m = decodeMessage(envelope(StatfsMsgType.CEPH_MSG_STATFS, 2, want), PACIFIC_FEATURES) as MStatfs;
    assert.equal(m.dataPool, 3);
    assert.deepEqual(frontOf(new MStatfs(FSID, 3)), want);
  });

  it('MStatfs v1 has no data pool field', () => {
    const m = decodeMessage(envelope(StatfsMsgType.CEPH_MSG_STATFS, 1, cat(paxos(2), FSID_BYTES)), PACIFIC_FEATURES) as MStatfs;
    assert.equal(m.fsid, FSID);
    assert.equal(m.dataPool, null);
  });

  it('MStatfsReply is ceph_mon_statfs_reply: fsid, version, then ceph_statfs as four u64', () => {
    const want = cat(FSID_BYTES, u64(42), u64(3 * 2 ** 32 + 5), u64(1024), u64(3 * 2 ** 32 + 4), u64(17));
    const st = { kb: 3 * 2 ** 32 + 5, kbUsed: 1024, kbAvail: 3 * 2 ** 32 + 4, numObjects: 17 };
    assert.deepEqual(frontOf(new MStatfsReply(FSID, 42, st)), want);
    const m = decodeMessage(envelope(StatfsMsgType.CEPH_MSG_STATFS_REPLY, 1, want), PACIFIC_FEATURES) as MStatfsReply;
    assert.equal(m.fsid, FSID);
    assert.equal(m.version, 42);
    assert.deepEqual(m.st, st);
    assert.throws(() => decodeMessage(envelope(StatfsMsgType.CEPH_MSG_STATFS_REPLY, 1, want.subarray(0, want.length - 1)), PACIFIC_FEATURES),
      (e: unknown) => e instanceof CephError && e.code === 'EBADMSG');
  });
});
