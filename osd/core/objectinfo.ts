// object_info_t and the head's SnapSet as Ceph 16 keeps them in an object's "_" and "snapset" xattrs
// (src/osd/osd_types.{h,cc}: object_info_t::encode v17 compat 8, SnapSet::encode v3 compat 2), so an
// object written by a tsceph OSD carries the metadata a Ceph OSD would write and reads back what a
// Ceph OSD wrote. User xattrs live beside them under a leading "_" ("_name"), as in Ceph.
//
// Fields kept as bytes (watchers, manifest) are carried opaquely: tsceph has no watch/notify or
// tiering yet, but an object_info_t decoded from a Ceph OSD re-encodes to the same bytes.

import { Decoder, Encoder } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';
import type { UTime } from '../../common/osdmap/index.js';
import { decodeUTime, encodeUTime } from '../../msg/messages/common.js';
import {
  CEPH_NOSNAP, decodeEVersion, decodeHObject, decodeObjectLocator, decodeReqId, emptyReqId, encodeEVersion, encodeHObject,
  encodeObjectLocator, encodeReqId, zeroEVersion, type EVersion, type HObject, type OsdReqId,
} from '../../msg/messages/osdop.js';

/** The xattr that holds the encoded object_info_t (Ceph's OI_ATTR). */
export const OI_ATTR = '_';
/** The xattr that holds a head object's encoded SnapSet (Ceph's SS_ATTR). */
export const SS_ATTR = 'snapset';
/** The store name of user xattr `name` (Ceph prefixes user xattrs with "_"). */
export function userAttrName(name: string): string {
  return '_' + name;
}
/** The user's name of a store xattr, or undefined when it is not a user xattr ("_" and "snapset" are not). */
export function userAttrFromStore(stored: string): string | undefined {
  return stored.length > 1 && stored.startsWith('_') ? stored.slice(1) : undefined;
}

/** object_info_t::flag_t bits. */
export const ObjectInfoFlag = {
  LOST: 1 << 0,
  WHITEOUT: 1 << 1,
  DIRTY: 1 << 2,
  OMAP: 1 << 3,
  DATA_DIGEST: 1 << 4,
  OMAP_DIGEST: 1 << 5,
  CACHE_PIN: 1 << 6,
  MANIFEST: 1 << 7,
  USES_TMAP: 1 << 8,
  REDIRECT_HAS_REFERENCE: 1 << 9,
} as const;

const OI_STRUCT_V = 17;
const OI_COMPAT_V = 8;
/** The digest value Ceph stores when a digest is absent (-1 as u32). */
export const DIGEST_NONE = 0xffffffff;
/** Watchers kept in one object_info_t before we call it corrupt. */
export const watchersPerObjectMax = 65536;

export interface ObjectInfo {
  soid: HObject;
  version: EVersion;
  priorVersion: EVersion;
  lastReqid: OsdReqId;
  size: number;
  mtime: UTime;
  localMtime: UTime;
  truncateSeq: number;
  truncateSize: number;
  userVersion: number;
  /** ObjectInfoFlag bits. */
  flags: number;
  dataDigest: number;
  omapDigest: number;
  expectedObjectSize: number;
  expectedWriteSize: number;
  allocHintFlags: number;
  /** map<entity_name_t, watch_info_t> and map<pair<u64, entity_name_t>, watch_info_t>, count included. */
  oldWatchersRaw: Buffer;
  watchersRaw: Buffer;
  /** The encoded object_manifest_t when flags has MANIFEST. */
  manifestRaw: Buffer | null;
}

const EMPTY_MAP = Buffer.from([0, 0, 0, 0]);

/** A fresh object's info as Ceph's object_info_t(soid) + new_object() leave it (digests absent). */
export function newObjectInfo(soid: HObject): ObjectInfo {
  return {
    soid: { ...soid },
    version: zeroEVersion(),
    priorVersion: zeroEVersion(),
    lastReqid: emptyReqId(),
    size: 0,
    mtime: { sec: 0, nsec: 0 },
    localMtime: { sec: 0, nsec: 0 },
    truncateSeq: 0,
    truncateSize: 0,
    userVersion: 0,
    flags: 0,
    dataDigest: DIGEST_NONE,
    omapDigest: DIGEST_NONE,
    expectedObjectSize: 0,
    expectedWriteSize: 0,
    allocHintFlags: 0,
    oldWatchersRaw: EMPTY_MAP,
    watchersRaw: EMPTY_MAP,
    manifestRaw: null,
  };
}

export function cloneObjectInfo(oi: ObjectInfo): ObjectInfo {
  return {
    ...oi,
    soid: { ...oi.soid },
    version: { ...oi.version },
    priorVersion: { ...oi.priorVersion },
    lastReqid: { ...oi.lastReqid, name: { ...oi.lastReqid.name } },
    mtime: { ...oi.mtime },
    localMtime: { ...oi.localMtime },
  };
}

export function encodeObjectInfo(oi: ObjectInfo): Buffer {
  const e = scratchOi.reset();
  e.startStruct(OI_STRUCT_V, OI_COMPAT_V);
  encodeHObject(e, oi.soid);
  // The locator Ceph derives from soid and keeps for old decoders.
  encodeObjectLocator(e, { pool: oi.soid.pool, key: oi.soid.key, nspace: oi.soid.nspace, hash: -1 });
  e.u32(0); // the retired category string
  encodeEVersion(e, oi.version);
  encodeEVersion(e, oi.priorVersion);
  encodeReqId(e, oi.lastReqid);
  e.u64(oi.size);
  encodeUTime(e, oi.mtime);
  if (oi.soid.snap === CEPH_NOSNAP) encodeReqId(e, emptyReqId()); // the retired wrlock_by
  else e.u32(0); // the retired legacy snaps vector
  e.u64(oi.truncateSeq).u64(oi.truncateSize);
  e.bool((oi.flags & ObjectInfoFlag.LOST) !== 0);
  e.raw(oi.oldWatchersRaw);
  encodeEVersion(e, { epoch: 0, version: oi.userVersion });
  e.bool((oi.flags & ObjectInfoFlag.USES_TMAP) !== 0);
  e.raw(oi.watchersRaw);
  e.u32(oi.flags >>> 0);
  encodeUTime(e, oi.localMtime);
  e.u32(oi.dataDigest >>> 0).u32(oi.omapDigest >>> 0);
  e.u64(oi.expectedObjectSize).u64(oi.expectedWriteSize).u32(oi.allocHintFlags >>> 0);
  if (oi.flags & ObjectInfoFlag.MANIFEST) {
    if (!oi.manifestRaw) throw new CephError('EINVAL', 'object_info_t: MANIFEST flag without a manifest');
    e.raw(oi.manifestRaw);
  }
  e.finishStruct();
  return e.toBuffer();
}

const scratchOi = new Encoder(512);

/** A watcher map (count, then key bytes and a watch_info_t each), consumed and returned as bytes. */
function watcherMap(d: Decoder, keyBytes: number, what: string): Buffer {
  const start = d.pos;
  const n = d.u32(what);
  if (n > watchersPerObjectMax) throw new CephError('EBADMSG', `${what}: ${n} watchers`);
  for (let i = 0; i < n; i++) {
    d.skip(keyBytes, what);
    d.decodeStart(255, 'watch_info_t'); // carried opaquely: skipped whole
    d.decodeFinish('watch_info_t');
  }
  return Buffer.from(d.buffer.subarray(start, d.pos));
}

export function decodeObjectInfo(b: Uint8Array, what = 'object_info_t'): ObjectInfo {
  const d = new Decoder(b, what);
  const v = d.decodeStart(OI_STRUCT_V, what);
  if (v < 15) throw new CephError('EBADMSG', `${what}: struct_v ${v} predates Jewel; not read`);
  const soid = decodeHObject(d, 'soid');
  decodeObjectLocator(d, 'oloc');
  d.string('category');
  const version = decodeEVersion(d, 'version');
  const priorVersion = decodeEVersion(d, 'prior_version');
  const lastReqid = decodeReqId(d, 'last_reqid');
  const size = d.u64('size');
  const mtime = decodeUTime(d, 'mtime');
  if (soid.snap === CEPH_NOSNAP) decodeReqId(d, 'wrlock_by');
  else d.list('legacy_snaps', 8, (x) => x.u64Big('snap'));
  const truncateSeq = d.u64('truncate_seq');
  const truncateSize = d.u64('truncate_size');
  d.u8('lost');
  const oldWatchersRaw = watcherMap(d, 9, 'old_watchers');
  const userVersion = decodeEVersion(d, 'user_version').version;
  d.bool('uses_tmap');
  const watchersRaw = watcherMap(d, 17, 'watchers');
  const flags = d.u32('flags');
  const localMtime = decodeUTime(d, 'local_mtime');
  const dataDigest = d.u32('data_digest');
  const omapDigest = d.u32('omap_digest');
  let expectedObjectSize = 0;
  let expectedWriteSize = 0;
  let allocHintFlags = 0;
  if (v >= 16) {
    expectedObjectSize = d.u64('expected_object_size');
    expectedWriteSize = d.u64('expected_write_size');
    allocHintFlags = d.u32('alloc_hint_flags');
  }
  const manifestRaw = v >= 17 && flags & ObjectInfoFlag.MANIFEST ? d.structBytes('object_manifest_t') : null;
  d.decodeFinish(what);
  return {
    soid, version, priorVersion, lastReqid, size, mtime, localMtime, truncateSeq, truncateSize, userVersion, flags,
    dataDigest, omapDigest, expectedObjectSize, expectedWriteSize, allocHintFlags, oldWatchersRaw, watchersRaw, manifestRaw,
  };
}

// ---- SnapSet ----------------------------------------------------------------------------------------

/** A head's SnapSet with no snapshots (what Ceph writes for every head of a pool without snaps). */
export function encodeEmptySnapSet(seq = 0n): Buffer {
  if (seq === 0n) return EMPTY_SNAPSET;
  return buildEmptySnapSet(seq);
}

function buildEmptySnapSet(seq: bigint): Buffer {
  const e = new Encoder(40);
  e.startStruct(3, 2);
  e.u64Big(seq);
  e.bool(true); // head_exists, always true since Luminous
  e.u32(0); // snaps
  e.u32(0); // clones
  e.u32(0); // clone_overlap
  e.u32(0); // clone_size
  e.u32(0); // clone_snaps
  e.finishStruct();
  return e.toBuffer();
}

/** Shared by every head write: never modified. */
const EMPTY_SNAPSET = buildEmptySnapSet(0n);

/** The seq and clone count of an encoded SnapSet (enough to tell an empty one). */
export function decodeSnapSetSummary(b: Uint8Array): { seq: bigint; clones: number } {
  const what = 'SnapSet';
  const d = new Decoder(b, what);
  const v = d.decodeStart(3, what);
  if (v < 2) throw new CephError('EBADMSG', `${what}: struct_v ${v} not read`);
  const seq = d.u64Big('seq');
  d.bool('head_exists');
  d.list('snaps', 8, (x) => x.u64Big('snap'));
  const clones = d.list('clones', 8, (x) => x.u64Big('clone')).length;
  d.skip(d.structRemaining, what);
  d.decodeFinish(what);
  return { seq, clones };
}
