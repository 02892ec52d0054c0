// Proves osd/core/objectinfo.ts reads and writes object_info_t (v17) and the head SnapSet exactly as Ceph 16 does: the "_" and "snapset" xattrs a real ceph-osd wrote (inside the MOSDRepOp transactions of test/golden/osdop) decode to the versions, size, reqid, flags and data digest Ceph computed and re-encode to the same bytes; an object_info_t laid out byte by byte from osd_types.cc with plain Buffer writes equals our encoding (head and snapshot forms); truncated input is a CephError.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cephCrc32c } from '../../common/crc32c.js';
import { CephError } from '../../common/errors.js';
import { CEPH_NOSNAP } from '../../msg/messages/osdop.js';
import {
  DIGEST_NONE, OI_ATTR, ObjectInfoFlag, SS_ATTR, decodeObjectInfo, decodeSnapSetSummary, encodeEmptySnapSet, encodeObjectInfo,
  newObjectInfo, userAttrFromStore, userAttrName,
} from '../../osd/core/objectinfo.js';
import { decodeCephTransaction } from '../../osd/core/txcodec.js';
import { str, struct, u32, u64, u8 } from '../support/le-bytes.js';

const GOLD = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'test/golden/osdop');

function goldAttrs(name: string): Map<string, Buffer> {
  const ct = decodeCephTransaction(readFileSync(join(GOLD, `${name}-MOSDRepOp-0.data.bin`)));
  for (const o of ct.ops) if (o.op === 'setattrs') return new Map(o.attrs);
  throw new Error(`${name}: no setattrs`);
}

describe('osd/core/objectinfo: what a real Ceph 16.2.15 OSD wrote', () => {
  it('the put\'s object_info_t: 17\'1, user_version 1, 20 bytes, client.4201 tid 1, DIRTY|DATA_DIGEST with crc32c(-1, data)', () => {
    const raw = goldAttrs('repop-put').get(OI_ATTR)!;
    const oi = decodeObjectInfo(raw);
    assert.equal(oi.soid.oid, 'robj1');
    assert.equal(oi.soid.pool, 2);
    assert.equal(oi.soid.snap, CEPH_NOSNAP);
    assert.deepEqual(oi.version, { epoch: 17, version: 1 });
    assert.deepEqual(oi.priorVersion, { epoch: 0, version: 0 });
    assert.equal(oi.userVersion, 1);
    assert.equal(oi.size, 20);
    assert.deepEqual(oi.lastReqid, { name: { type: 8, num: 4201 }, tid: 1, inc: 0 });
    assert.equal(oi.flags, ObjectInfoFlag.DIRTY | ObjectInfoFlag.DATA_DIGEST);
    assert.equal(oi.dataDigest, cephCrc32c(0xffffffff, Buffer.from('hello golden object\n')));
    assert.equal(oi.omapDigest, DIGEST_NONE);
    assert.deepEqual(encodeObjectInfo(oi), raw);
  });

  it('the omap write after it: 17\'2 over 17\'1, user_version 2, OMAP flag added, the data digest kept', () => {
    const raw = goldAttrs('repop-omap').get(OI_ATTR)!;
    const oi = decodeObjectInfo(raw);
    assert.deepEqual(oi.version, { epoch: 17, version: 2 });
    assert.deepEqual(oi.priorVersion, { epoch: 17, version: 1 });
    assert.equal(oi.userVersion, 2);
    assert.equal(oi.flags, ObjectInfoFlag.DIRTY | ObjectInfoFlag.OMAP | ObjectInfoFlag.DATA_DIGEST);
    assert.deepEqual(encodeObjectInfo(oi), raw);
  });

  it('the head\'s SnapSet is the empty one we write', () => {
    for (const n of ['repop-put', 'repop-omap']) {
      const ss = goldAttrs(n).get(SS_ATTR)!;
      assert.deepEqual(encodeEmptySnapSet(), ss);
      assert.deepEqual(decodeSnapSetSummary(ss), { seq: 0n, clones: 0 });
    }
  });
});

// ---- byte by byte from osd_types.cc -------------------------------------------------------------

const ev = (epoch: number, version: number): Buffer => Buffer.concat([u64(BigInt(version)), u32(epoch)]);
const reqid = (type: number, num: number, tid: number, inc: number): Buffer => struct(2, 2, Buffer.concat([u8(type), u64(BigInt(num)), u64(BigInt(tid)), u32(inc)]));

describe('osd/core/objectinfo: a vector laid out from object_info_t::encode', () => {
  for (const snap of [CEPH_NOSNAP, 5n]) {
    it(`${snap === CEPH_NOSNAP ? 'a head' : 'a snapshot'} in a namespace with a locator key, truncate fields, alloc hint and both digests`, () => {
      const oi = newObjectInfo({ oid: 'obj', key: 'lk', nspace: 'ns', hash: 0xdeadbeef, pool: 7, snap, max: false });
      Object.assign(oi, {
        version: { epoch: 9, version: 33 }, priorVersion: { epoch: 8, version: 30 }, lastReqid: { name: { type: 8, num: 77 }, tid: 12, inc: 3 },
        size: 123456, mtime: { sec: 1700000000, nsec: 5 }, localMtime: { sec: 1700000001, nsec: 6 }, truncateSeq: 2, truncateSize: 99,
        userVersion: 41, flags: ObjectInfoFlag.DIRTY | ObjectInfoFlag.DATA_DIGEST | ObjectInfoFlag.OMAP_DIGEST | ObjectInfoFlag.OMAP,
        dataDigest: 0x11223344, omapDigest: 0x55667788, expectedObjectSize: 4194304, expectedWriteSize: 65536, allocHintFlags: 0x30,
      });
      const hobj = struct(4, 3, Buffer.concat([str('lk'), str('obj'), u64(snap), u32(0xdeadbeef), u8(0), str('ns'), u64(7n)]));
      const oloc = struct(6, 3, Buffer.concat([u64(7n), u32(0xffffffff), str('lk'), str('ns'), u64(-1n)]));
      const body = Buffer.concat([
        hobj, oloc, u32(0), ev(9, 33), ev(8, 30), reqid(8, 77, 12, 3), u64(123456n), u32(1700000000), u32(5),
        snap === CEPH_NOSNAP ? reqid(0, 0, 0, 0) : u32(0),
        u64(2n), u64(99n), u8(0), u32(0), ev(0, 41), u8(0), u32(0), u32(oi.flags), u32(1700000001), u32(6),
        u32(0x11223344), u32(0x55667788), u64(4194304n), u64(65536n), u32(0x30),
      ]);
      const want = struct(17, 8, body);
      assert.deepEqual(encodeObjectInfo(oi), want);
      assert.deepEqual(decodeObjectInfo(want), oi);
      for (let n = 0; n < want.length; n++) assert.throws(() => decodeObjectInfo(want.subarray(0, n)), CephError, `truncated at ${n}`);
    });
  }

  it('watchers (both maps) and a manifest are carried as the bytes they came in', () => {
    const oi = newObjectInfo({ oid: 'w', key: '', nspace: '', hash: 1, pool: 2, snap: CEPH_NOSNAP, max: false });
    const watch = struct(4, 3, Buffer.from('opaque watch_info_t'));
    const oldWatchers = Buffer.concat([u32(1), u8(8), u64(4100n), watch]); // entity_name_t -> watch_info_t
    const watchers = Buffer.concat([u32(2), u64(9n), u8(8), u64(4100n), watch, u64(10n), u8(8), u64(4101n), watch]); // (cookie, entity) -> ...
    const manifest = struct(1, 1, Buffer.from('opaque object_manifest_t'));
    const hobj = struct(4, 3, Buffer.concat([str(''), str('w'), u64(CEPH_NOSNAP), u32(1), u8(0), str(''), u64(2n)]));
    const oloc = struct(6, 3, Buffer.concat([u64(2n), u32(0xffffffff), str(''), str(''), u64(-1n)]));
    const flags = ObjectInfoFlag.MANIFEST;
    const want = struct(17, 8, Buffer.concat([
      hobj, oloc, u32(0), ev(0, 0), ev(0, 0), reqid(0, 0, 0, 0), u64(0n), u32(0), u32(0), reqid(0, 0, 0, 0),
      u64(0n), u64(0n), u8(0), oldWatchers, ev(0, 0), u8(0), watchers, u32(flags), u32(0), u32(0),
      u32(DIGEST_NONE), u32(DIGEST_NONE), u64(0n), u64(0n), u32(0), manifest,
    ]));
    const got = decodeObjectInfo(want);
    assert.deepEqual(got.oldWatchersRaw, oldWatchers);
    assert.deepEqual(got.watchersRaw, watchers);
    assert.deepEqual(got.manifestRaw, manifest);
    assert.deepEqual(encodeObjectInfo(got), want);
    assert.deepEqual(encodeObjectInfo({ ...oi, flags, oldWatchersRaw: oldWatchers, watchersRaw: watchers, manifestRaw: manifest }), want);
  });

  it('user xattrs are stored under a leading "_"; "_" and "snapset" are not user xattrs', () => {
    assert.equal(userAttrName('color'), '_color');
    assert.equal(userAttrFromStore('_color'), 'color');
    assert.equal(userAttrFromStore('_'), undefined);
    assert.equal(userAttrFromStore('snapset'), undefined);
  });
});
