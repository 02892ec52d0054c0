// Ceph's binary OSDMap encoding, full maps and incrementals, both ways, as Ceph 16.2 "Pacific" writes
// them (OSDMap::encode / decode, OSDMap::Incremental::encode / decode, pg_pool_t, osd_info_t,
// osd_xinfo_t, entity_addr_t / entity_addrvec_t, pool_opts_t, HitSet::Params, pg_merge_meta_t).
//
// Layout of a full map (every struct is Ceph's versioned header: u8 v, u8 compat, u32 len):
//   wrapper v8 compat 7
//     client data v9 compat 1: fsid, epoch, created, modified, pools, pool names, pool_max, flags,
//       max_osd, osd_state, osd_weight, client addrvecs, pg_temp, primary_temp, primary affinity,
//       CRUSH map (u32 length + crush encoding), erasure code profiles, pg_upmap, pg_upmap_items,
//       crush_version, new_removed_snaps, new_purged_snaps, last_up_change, last_in_change
//     osd-only data v9 compat 1 (v10 with stretch mode, v11 with range blocklist entries):
//       hb_back addrvecs, osd_info, blocklist, cluster addrvecs, cluster snapshot, osd uuids, xinfo,
//       hb_front addrvecs, ratios, require_min_compat_client, require_osd_release,
//       removed_snaps_queue, crush_node_flags, device_class_flags, stretch fields, range blocklist
//     u32 crc: crc32c (Ceph's raw register, seed -1) of everything before the crc and after it
// An incremental has the same wrapper, client data v8, osd-only data v9 (+10/11 as above), then
// inc_crc (over the incremental's bytes, as for a map) and full_crc (the crc of the resulting map).
//
// Decoding follows Ceph's decoders for every struct version since the current wrapper (v7; the
// "classic" pre-luminous layouts are refused with a clear error). Encoding writes what Pacific
// writes with all of its features. Strings are byte strings (one char per byte, latin1), so names
// with any bytes round-trip unchanged; pool names, profile keys and values, application metadata.
//
// Errors: a truncated map raises CephError EIO, bytes that make no sense EINVAL; the message says
// what was being read and where ("osdmap: truncated reading pool 3 erasure_code_profile ...").

import { CrushWrapper, decodeCrushMapFrom, encodeCrushMapInto, CRUSH_ENCODE_FEATURES_ALL } from '../../crush/index.js';
import { cephCrc32c } from '../crc32c.js';
import { Decoder, Encoder } from '../encoding.js';
import { CephError } from '../errors.js';
import { calcPgMasks, compareByteStrings, comparePgId, newIncremental, newOsdInfo, newOsdXinfo, newPgPool, addrKey, OSDMap } from './osdmap.js';
import {
  AF_INET,
  AF_INET6,
  CephRelease,
  CEPH_OSDMAP_PGLOG_HARDLIMIT,
  CEPH_OSDMAP_RECOVERY_DELETES,
  CEPH_OSDMAP_REQUIRE_JEWEL,
  CEPH_OSDMAP_REQUIRE_KRAKEN,
  CEPH_OSDMAP_REQUIRE_LUMINOUS,
  ENTITY_ADDR_TYPE_LEGACY,
  ENTITY_ADDR_TYPE_NONE,
  PgMap,
  POOL_FLAG_POOL_SNAPS,
  POOL_FLAG_SELFMANAGED_SNAPS,
  type EntityAddr,
  type EntityAddrVec,
  type HitSetParams,
  type OSDMapIncremental,
  type OsdInfo,
  type OsdXinfo,
  type PgId,
  type PgMergeMeta,
  type PgPool,
  type PoolOptValue,
  type PoolSnapInfo,
  type SnapIntervalSet,
  type UpmapItem,
  type UTime,
} from './types.js';

const LABEL = 'osdmap';
const INC_LABEL = 'osdmap incremental';

/** The struct versions Pacific writes. */
export const OSDMAP_WRAPPER_V = 8;
export const OSDMAP_CLIENT_V = 9;
export const OSDMAP_OSD_V = 9;
export const INCREMENTAL_CLIENT_V = 8;
export const INCREMENTAL_OSD_V = 9;
export const PG_POOL_V = 29;

/**
 * The feature bits an incremental records as `encode_features` (what the monitor encoded with):
 * Pacific's CEPH_FEATURES_SUPPORTED_DEFAULT, as osdmaptool and a Pacific monitor of Pacific peers use.
 */
export const PACIFIC_FEATURES = 0x3f01cfbffffdffffn;

const CEPH_OSDMAP_LEGACY_REQUIRE_FLAGS = CEPH_OSDMAP_REQUIRE_JEWEL | CEPH_OSDMAP_REQUIRE_KRAKEN | CEPH_OSDMAP_REQUIRE_LUMINOUS;

// ---------------------------------------------------------------------------------------------------
// Small shared pieces

function decodeUTime(d: Decoder, what: string): UTime {
  const sec = d.u32(what);
  const nsec = d.u32(what);
  return { sec, nsec };
}

function encodeUTime(e: Encoder, t: UTime): void {
  e.u32(t.sec).u32(t.nsec);
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** uuid_d: 16 raw bytes, shown as lower-case 8-4-4-4-12 text. */
export function uuidFromBytes(b: Uint8Array, at = 0): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[at + i]!];
  }
  return s;
}

/** The 16 bytes of a uuid's text form (hyphens optional); EINVAL for anything else. */
export function uuidToBytes(s: string): Buffer {
  const hex = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new CephError('EINVAL', `'${s}' is not a uuid`);
  return Buffer.from(hex, 'hex');
}

function decodeUuid(d: Decoder, what: string): string {
  return uuidFromBytes(d.raw(16, what));
}

function encodeUuid(e: Encoder, s: string): void {
  e.raw(uuidToBytes(s));
}

/** pg_t: u8 version, u64 pool, u32 seed, s32 preferred (always -1 now). 17 bytes. */
export function decodePgId(d: Decoder, what = 'pg_t'): PgId {
  d.u8(what);
  const pool = d.u64(what);
  const seed = d.u32(what);
  d.s32(what);
  return { pool, seed };
}

export function encodePgId(e: Encoder, pg: PgId): void {
  e.u8(1).u64(pg.pool).u32(pg.seed).s32(-1);
}

const PG_ID_BYTES = 17;

function sortedUniquePgIds(list: readonly PgId[]): PgId[] {
  const out = [...list].sort(comparePgId);
  return out.filter((pg, i) => i === 0 || comparePgId(out[i - 1]!, pg) !== 0);
}

function decodePgMap<V>(d: Decoder, what: string, minValueBytes: number, value: (d: Decoder) => V): PgMap<V> {
  const n = d.count(what, PG_ID_BYTES + minValueBytes);
  const m = new PgMap<V>();
  for (let i = 0; i < n; i++) {
    const pg = decodePgId(d, what);
    m.set(pg.pool, pg.seed, value(d));
  }
  return m;
}

function encodePgMap<V>(e: Encoder, m: PgMap<V>, value: (e: Encoder, v: V) => void): void {
  const entries = m.sortedEntries();
  e.u32(entries.length);
  for (const [pg, v] of entries) {
    encodePgId(e, pg);
    value(e, v);
  }
}

function decodeS32Vector(d: Decoder, what: string): number[] {
  return d.list(what, 4, (x) => x.s32(what));
}

function encodeS32Vector(e: Encoder, v: readonly number[]): void {
  e.u32(v.length);
  for (const x of v) e.s32(x);
}

function decodeU32Vector(d: Decoder, what: string): number[] {
  return d.list(what, 4, (x) => x.u32(what));
}

function encodeU32Vector(e: Encoder, v: readonly number[]): void {
  e.u32(v.length);
  for (const x of v) e.u32(x);
}

function decodeUpmapItems(d: Decoder, what: string): UpmapItem[] {
  return d.list(what, 8, (x) => [x.s32(what), x.s32(what)] as UpmapItem);
}

function encodeUpmapItems(e: Encoder, v: readonly UpmapItem[]): void {
  e.u32(v.length);
  for (const [from, to] of v) e.s32(from).s32(to);
}

function decodeStringMap(d: Decoder, what: string): Map<string, string> {
  return d.map(what, 8, (x) => x.binaryString(what), (x) => x.binaryString(what));
}

function encodeStringMap(e: Encoder, m: ReadonlyMap<string, string>): void {
  e.map(m, (x, k) => x.binaryString(k), (x, v) => x.binaryString(v), compareByteStrings);
}

function decodeProfiles(d: Decoder, what: string): Map<string, Map<string, string>> {
  return d.map(what, 8, (x) => x.binaryString(what), (x) => decodeStringMap(x, what));
}

function encodeProfiles(e: Encoder, m: ReadonlyMap<string, ReadonlyMap<string, string>>): void {
  e.map(m, (x, k) => x.binaryString(k), (x, v) => encodeStringMap(x, v), compareByteStrings);
}

/** interval_set<snapid_t>: u32 count then (start, len) u64 pairs, sorted and disjoint. */
function decodeSnapSet(d: Decoder, what: string): SnapIntervalSet {
  return d.list(what, 16, (x) => ({ start: x.u64Big(what), len: x.u64Big(what) }));
}

function encodeSnapSet(e: Encoder, s: SnapIntervalSet): void {
  e.u32(s.length);
  for (const r of s) e.u64Big(r.start).u64Big(r.len);
}

function decodeSnapSetMap(d: Decoder, what: string): Map<number, SnapIntervalSet> {
  return d.map(what, 12, (x) => x.s64(what), (x) => decodeSnapSet(x, what));
}

function encodeSnapSetMap(e: Encoder, m: ReadonlyMap<number, SnapIntervalSet>): void {
  e.map(m, (x, k) => x.s64(k), (x, v) => encodeSnapSet(x, v));
}

function decodeS32U32Map(d: Decoder, what: string): Map<number, number> {
  return d.map(what, 8, (x) => x.s32(what), (x) => x.u32(what));
}

function encodeS32U32Map(e: Encoder, m: ReadonlyMap<number, number>): void {
  e.map(m, (x, k) => x.s32(k), (x, v) => x.u32(v));
}

// ---------------------------------------------------------------------------------------------------
// Addresses (msg/msg_types.h)

/** sizeof(sockaddr_in) and sizeof(sockaddr_in6); any other family uses the whole union (28 bytes). */
function sockaddrLen(family: number): number {
  if (family === AF_INET) return 16;
  if (family === AF_INET6) return 28;
  return 28;
}

/**
 * The legacy entity_addr_t after its first byte: 3 more bytes of the old type field, u32 nonce, then a
 * 128-byte sockaddr_storage whose family is big-endian.
 */
function decodeLegacyAddrAfterMarker(d: Decoder, what: string): EntityAddr {
  d.skip(3, what);
  const nonce = d.u32(what);
  const ss = d.raw(128, what);
  const family = (ss[0]! << 8) | ss[1]!;
  const len = family === AF_INET || family === AF_INET6 ? sockaddrLen(family) - 2 : 0;
  return {
    type: family === 0 ? ENTITY_ADDR_TYPE_NONE : ENTITY_ADDR_TYPE_LEGACY,
    nonce,
    family,
    sockaddr: Buffer.from(ss.subarray(2, 2 + len)),
  };
}

/** The body of a marker-1 entity_addr_t (after the marker byte). */
function decodeAddrBody(d: Decoder, what: string, checkShort: boolean): EntityAddr {
  d.decodeStart(1, what);
  const type = d.u32(what);
  const nonce = d.u32(what);
  const elen = d.u32(what);
  let family = 0;
  let sockaddr: Buffer = Buffer.alloc(0);
  if (elen) {
    if (checkShort && elen < 2) d.malformed(what, 'elen smaller than family len');
    family = d.u16(what);
    const rest = elen - 2;
    if (rest > sockaddrLen(family) - 2) d.malformed(what, `elen ${elen} exceeds sockaddr len`);
    sockaddr = Buffer.from(d.raw(rest, what));
  }
  d.decodeFinish(what);
  return { type, nonce, family, sockaddr };
}

/** entity_addr_t::decode. */
export function decodeEntityAddr(d: Decoder, what = 'entity_addr_t'): EntityAddr {
  const marker = d.u8(what);
  if (marker === 0) return decodeLegacyAddrAfterMarker(d, what);
  if (marker !== 1) d.malformed(what, `entity_addr_t marker ${marker} != 1`);
  return decodeAddrBody(d, what, false);
}

/** entity_addr_t::encode with MSG_ADDR2 and SERVER_NAUTILUS. */
export function encodeEntityAddr(e: Encoder, a: EntityAddr): void {
  e.u8(1).startStruct(1, 1);
  e.u32(a.type).u32(a.nonce);
  if (a.family === 0 && a.sockaddr.length === 0) {
    e.u32(0);
  } else {
    e.u32(2 + a.sockaddr.length).u16(a.family).raw(a.sockaddr);
  }
  e.finishStruct();
}

/** entity_addrvec_t::decode: marker 0 (legacy addr), 1 (one addr), 2 (a vector). */
export function decodeAddrVec(d: Decoder, what = 'entity_addrvec_t'): EntityAddrVec {
  const marker = d.u8(what);
  if (marker === 0) return [decodeLegacyAddrAfterMarker(d, what)];
  if (marker === 1) return [decodeAddrBody(d, what, true)];
  if (marker > 2) d.malformed(what, `entity_addrvec marker ${marker} > 2`);
  return d.list(what, 7, (x) => decodeEntityAddr(x, what));
}

export function encodeAddrVec(e: Encoder, v: EntityAddrVec): void {
  e.u8(2).u32(v.length);
  for (const a of v) encodeEntityAddr(e, a);
}

/**
 * The order of std::map<entity_addr_t, ...>: Ceph compares the in-memory struct with memcmp (u32 type
 * and u32 nonce in host, little-endian, order, then the sockaddr union with its u16 family first).
 */
export function compareEntityAddr(a: EntityAddr, b: EntityAddr): number {
  const ia = addrImage(a);
  const ib = addrImage(b);
  return Buffer.compare(ia, ib);
}

function addrImage(a: EntityAddr): Buffer {
  const img = Buffer.alloc(36);
  img.writeUInt32LE(a.type >>> 0, 0);
  img.writeUInt32LE(a.nonce >>> 0, 4);
  img.writeUInt16LE(a.family & 0xffff, 8);
  a.sockaddr.copy(img, 10, 0, Math.min(a.sockaddr.length, 26));
  return img;
}

type AddrTimeMap = Map<string, { addr: EntityAddr; until: UTime }>;

function decodeAddrTimeMap(d: Decoder, what: string): AddrTimeMap {
  const n = d.count(what, 15);
  const m: AddrTimeMap = new Map();
  for (let i = 0; i < n; i++) {
    const addr = decodeEntityAddr(d, what);
    const until = decodeUTime(d, what);
    m.set(addrKey(addr), { addr, until });
  }
  return m;
}

function encodeAddrTimeMap(e: Encoder, m: AddrTimeMap): void {
  const entries = [...m.values()].sort((x, y) => compareEntityAddr(x.addr, y.addr));
  e.u32(entries.length);
  for (const { addr, until } of entries) {
    encodeEntityAddr(e, addr);
    encodeUTime(e, until);
  }
}

function decodeAddrVecList(d: Decoder, what: string): EntityAddrVec[] {
  return d.list(what, 5, (x) => decodeAddrVec(x, what));
}

function encodeAddrVecList(e: Encoder, list: readonly EntityAddrVec[]): void {
  e.u32(list.length);
  for (const v of list) encodeAddrVec(e, v);
}

function decodeAddrVecMap(d: Decoder, what: string): Map<number, EntityAddrVec> {
  return d.map(what, 9, (x) => x.s32(what), (x) => decodeAddrVec(x, what));
}

function encodeAddrVecMap(e: Encoder, m: ReadonlyMap<number, EntityAddrVec>): void {
  e.map(m, (x, k) => x.s32(k), (x, v) => encodeAddrVec(x, v));
}

// ---------------------------------------------------------------------------------------------------
// Per-OSD records

function decodeOsdInfo(d: Decoder): OsdInfo {
  d.u8('osd_info struct_v');
  return {
    lastCleanBegin: d.u32('osd_info last_clean_begin'),
    lastCleanEnd: d.u32('osd_info last_clean_end'),
    upFrom: d.u32('osd_info up_from'),
    upThru: d.u32('osd_info up_thru'),
    downAt: d.u32('osd_info down_at'),
    lostAt: d.u32('osd_info lost_at'),
  };
}

function encodeOsdInfo(e: Encoder, i: OsdInfo): void {
  e.u8(1).u32(i.lastCleanBegin).u32(i.lastCleanEnd).u32(i.upFrom).u32(i.upThru).u32(i.downAt).u32(i.lostAt);
}

const TWO_POW_32 = 4294967296;

/** osd_xinfo_t's laggy_probability: u32 fixed point on the wire, a float in memory. */
function laggyFromWire(lp: number): number {
  return Math.fround(lp) / TWO_POW_32;
}

/** What x86-64 Ceph writes: (u32)(float * 2^32), the conversion keeping the low 32 bits. */
function laggyToWire(p: number): number {
  const v = Math.trunc(Math.fround(Math.fround(p) * TWO_POW_32));
  if (!Number.isFinite(v)) return 0;
  return ((v % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
}

function decodeOsdXinfo(d: Decoder): OsdXinfo {
  const what = 'osd_xinfo';
  const v = d.decodeStart(4, what);
  const x = newOsdXinfo();
  x.downStamp = decodeUTime(d, what);
  x.laggyProbability = laggyFromWire(d.u32(what));
  x.laggyInterval = d.u32(what);
  if (v >= 2) x.features = d.u64Big(what);
  if (v >= 3) x.oldWeight = d.u32(what);
  if (v >= 4) {
    x.lastPurgedSnapsScrub = decodeUTime(d, what);
    x.deadEpoch = d.u32(what);
  }
  d.decodeFinish(what);
  return x;
}

function encodeOsdXinfo(e: Encoder, x: OsdXinfo): void {
  e.startStruct(4, 1);
  encodeUTime(e, x.downStamp);
  e.u32(laggyToWire(x.laggyProbability)).u32(x.laggyInterval).u64Big(x.features).u32(x.oldWeight);
  encodeUTime(e, x.lastPurgedSnapsScrub);
  e.u32(x.deadEpoch);
  e.finishStruct();
}

// ---------------------------------------------------------------------------------------------------
// pg_pool_t and its parts (osd/osd_types.cc)

function decodePoolSnapInfo(d: Decoder): PoolSnapInfo {
  const what = 'pool_snap_info';
  d.decodeStartLegacyCompatLen(2, 2, 2, what);
  const snapid = d.u64Big(what);
  const stamp = decodeUTime(d, what);
  const name = d.binaryString(what);
  d.decodeFinish(what);
  return { snapid, stamp, name };
}

function encodePoolSnapInfo(e: Encoder, s: PoolSnapInfo): void {
  e.startStruct(2, 2).u64Big(s.snapid);
  encodeUTime(e, s.stamp);
  e.binaryString(s.name).finishStruct();
}

/** pool_opts_t value types. */
const POOL_OPT_STR = 0;
const POOL_OPT_INT = 1;
const POOL_OPT_DOUBLE = 2;

function decodePoolOpts(d: Decoder): Map<number, PoolOptValue> {
  const what = 'pool_opts';
  const v = d.decodeStart(2, what);
  const n = d.count(what, 8);
  const opts = new Map<number, PoolOptValue>();
  for (let i = 0; i < n; i++) {
    const key = d.s32(what);
    const t = d.s32(what);
    if (t === POOL_OPT_STR) opts.set(key, { type: 'str', value: d.binaryString(what) });
    else if (t === POOL_OPT_INT) opts.set(key, { type: 'int', value: v >= 2 ? d.s64(what) : d.s32(what) });
    else if (t === POOL_OPT_DOUBLE) opts.set(key, { type: 'double', value: d.f64(what) });
    else d.malformed(what, `option ${key} has an invalid value type ${t}`);
  }
  d.decodeFinish(what);
  return opts;
}

function encodePoolOpts(e: Encoder, opts: ReadonlyMap<number, PoolOptValue>): void {
  e.startStruct(2, 1);
  const keys = [...opts.keys()].sort((a, b) => a - b);
  e.u32(keys.length);
  for (const k of keys) {
    const o = opts.get(k)!;
    e.s32(k);
    if (o.type === 'str') e.s32(POOL_OPT_STR).binaryString(o.value);
    else if (o.type === 'int') e.s32(POOL_OPT_INT).s64(o.value);
    else e.s32(POOL_OPT_DOUBLE).f64(o.value);
  }
  e.finishStruct();
}

function decodeHitSetParams(d: Decoder): HitSetParams {
  const what = 'hit_set_params';
  d.decodeStart(1, what);
  const type = d.u8(what);
  // The implementation's parameters run to the end of the struct; keep their bytes as they are.
  const rest = d.raw(Math.max(0, d.structRemaining), what);
  d.decodeFinish(what);
  return { type, impl: Buffer.from(rest) };
}

function encodeHitSetParams(e: Encoder, h: HitSetParams): void {
  e.startStruct(1, 1).u8(h.type).raw(h.impl).finishStruct();
}

/** eversion_t: u64 version then u32 epoch. */
function decodeEversion(d: Decoder, what: string): { epoch: number; version: bigint } {
  const version = d.u64Big(what);
  const epoch = d.u32(what);
  return { epoch, version };
}

function encodeEversion(e: Encoder, v: { epoch: number; version: bigint }): void {
  e.u64Big(v.version).u32(v.epoch);
}

function decodeMergeMeta(d: Decoder): PgMergeMeta {
  const what = 'last_pg_merge_meta';
  d.decodeStart(1, what);
  const m: PgMergeMeta = {
    sourcePgid: decodePgId(d, what),
    readyEpoch: d.u32(what),
    lastEpochStarted: d.u32(what),
    lastEpochClean: d.u32(what),
    sourceVersion: decodeEversion(d, what),
    targetVersion: decodeEversion(d, what),
  };
  d.decodeFinish(what);
  return m;
}

function encodeMergeMeta(e: Encoder, m: PgMergeMeta): void {
  e.startStruct(1, 1);
  encodePgId(e, m.sourcePgid);
  e.u32(m.readyEpoch).u32(m.lastEpochStarted).u32(m.lastEpochClean);
  encodeEversion(e, m.sourceVersion);
  encodeEversion(e, m.targetVersion);
  e.finishStruct();
}

/** pg_pool_t::decode (struct versions 5 and later). */
export function decodePgPool(d: Decoder): PgPool {
  const what = 'pg_pool';
  const v = d.decodeStartLegacyCompatLen(32, 5, 5, what);
  const p = newPgPool();
  p.type = d.u8(what);
  p.size = d.u8(what);
  p.crushRule = d.u8(what);
  p.objectHash = d.u8(what);
  p.pgNum = d.u32(what);
  p.pgpNum = d.u32(what);
  d.u32(what); // lpg_num
  d.u32(what); // lpgp_num
  p.lastChange = d.u32(what);
  p.snapSeq = d.u64Big(what);
  p.snapEpoch = d.u32(what);
  if (v >= 3) {
    p.snaps = d.map(what, 8, (x) => x.u64Big(what), (x) => decodePoolSnapInfo(x));
    p.removedSnaps = decodeSnapSet(d, what);
    p.auid = d.u64Big(what);
  } else {
    d.malformed(what, `struct_v ${v} predates the supported encodings`);
  }
  if (v >= 4) {
    p.flags = d.u64(what);
    p.crashReplayInterval = d.u32(what);
  }
  if (p.snapSeq > 0n && (p.flags & (POOL_FLAG_SELFMANAGED_SNAPS | POOL_FLAG_POOL_SNAPS)) === 0) {
    p.flags |= p.removedSnaps.length ? POOL_FLAG_SELFMANAGED_SNAPS : POOL_FLAG_POOL_SNAPS;
  }
  p.minSize = v >= 7 ? d.u8(what) : p.size - (p.size >> 1);
  if (v >= 8) {
    p.quotaMaxBytes = d.u64Big(what);
    p.quotaMaxObjects = d.u64Big(what);
  }
  if (v >= 9) {
    p.tiers = d.list(what, 8, (x) => x.u64Big(what));
    p.tierOf = d.s64(what);
    p.cacheMode = d.u8(what);
    p.readTier = d.s64(what);
    p.writeTier = d.s64(what);
  }
  if (v >= 10) p.properties = decodeStringMap(d, what);
  if (v >= 11) {
    p.hitSetParams = decodeHitSetParams(d);
    p.hitSetPeriod = d.u32(what);
    p.hitSetCount = d.u32(what);
  }
  if (v >= 12) p.stripeWidth = d.u32(what);
  if (v >= 13) {
    p.targetMaxBytes = d.u64Big(what);
    p.targetMaxObjects = d.u64Big(what);
    p.cacheTargetDirtyRatioMicro = d.u32(what);
    p.cacheTargetFullRatioMicro = d.u32(what);
    p.cacheMinFlushAge = d.u32(what);
    p.cacheMinEvictAge = d.u32(what);
  }
  if (v >= 14) p.erasureCodeProfile = d.binaryString(what);
  if (v >= 15) p.lastForceOpResendPreluminous = d.u32(what);
  p.minReadRecencyForPromote = v >= 16 ? d.s32(what) : 1;
  if (v >= 17) p.expectedNumObjects = d.u64Big(what);
  p.cacheTargetDirtyHighRatioMicro = v >= 19 ? d.u32(what) : p.cacheTargetDirtyRatioMicro;
  p.minWriteRecencyForPromote = v >= 20 ? d.s32(what) : 1;
  p.useGmtHitset = v >= 21 ? d.bool(what) : false;
  p.fastRead = v >= 22 ? d.bool(what) : false;
  if (v >= 23) {
    p.hitSetGradeDecayRate = d.u32(what);
    p.hitSetSearchLastN = d.u32(what);
  } else {
    p.hitSetGradeDecayRate = 0;
    p.hitSetSearchLastN = 1;
  }
  if (v >= 24) p.opts = decodePoolOpts(d);
  p.lastForceOpResendPrenautilus = v >= 25 ? d.u32(what) : p.lastForceOpResendPreluminous;
  if (v >= 26) p.applicationMetadata = decodeProfiles(d, what);
  if (v >= 27) p.createTime = decodeUTime(d, what);
  if (v >= 28) {
    p.pgNumTarget = d.u32(what);
    p.pgpNumTarget = d.u32(what);
    p.pgNumPending = d.u32(what);
    const oldMergeLastEpochStarted = d.u32(what);
    const oldMergeLastEpochClean = d.u32(what);
    p.lastForceOpResend = d.u32(what);
    p.pgAutoscaleMode = d.u8(what);
    if (v >= 29) {
      p.lastPgMergeMeta = decodeMergeMeta(d);
    } else {
      p.lastPgMergeMeta.lastEpochClean = oldMergeLastEpochClean;
      p.lastPgMergeMeta.lastEpochStarted = oldMergeLastEpochStarted;
    }
  } else {
    p.pgNumTarget = p.pgNum;
    p.pgpNumTarget = p.pgpNum;
    p.pgNumPending = p.pgNum;
    p.lastForceOpResend = p.lastForceOpResendPrenautilus;
    p.pgAutoscaleMode = 1; // warn, on upgrade
  }
  if (v === 30) {
    p.peeringCrushBucketCount = d.u32(what);
    p.peeringCrushBucketTarget = d.u32(what);
    p.peeringCrushBucketBarrier = d.u32(what);
    p.peeringCrushMandatoryMember = d.s32(what);
  }
  if (v >= 31) {
    // std::optional<tuple<u32,u32,u32,u32>>: a presence byte then the four values.
    if (d.bool(what)) {
      p.peeringCrushBucketCount = d.u32(what);
      p.peeringCrushBucketTarget = d.u32(what);
      p.peeringCrushBucketBarrier = d.u32(what);
      p.peeringCrushMandatoryMember = d.s32(what);
    }
  }
  d.decodeFinish(what);
  calcPgMasks(p);
  return p;
}

/** pg_pool_t::is_stretch_pool: a stretch pool is encoded as v30. */
export function isStretchPool(p: PgPool): boolean {
  return p.peeringCrushBucketCount !== 0;
}

/** pg_pool_t::encode as Pacific writes it for Pacific peers (v29, or v30 for a stretch pool). */
export function encodePgPool(e: Encoder, p: PgPool): void {
  const v = isStretchPool(p) ? 30 : PG_POOL_V;
  e.startStruct(v, 5);
  e.u8(p.type).u8(p.size).u8(p.crushRule).u8(p.objectHash).u32(p.pgNum).u32(p.pgpNum);
  e.u32(0).u32(0); // lpg_num, lpgp_num
  e.u32(p.lastChange).u64Big(p.snapSeq).u32(p.snapEpoch);
  const snapIds = [...p.snaps.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  e.u32(snapIds.length);
  for (const id of snapIds) {
    e.u64Big(id);
    encodePoolSnapInfo(e, p.snaps.get(id)!);
  }
  encodeSnapSet(e, p.removedSnaps);
  e.u64Big(p.auid).u64(p.flags).u32(0); // crash_replay_interval
  e.u8(p.minSize).u64Big(p.quotaMaxBytes).u64Big(p.quotaMaxObjects);
  const tiers = [...new Set(p.tiers)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  e.u32(tiers.length);
  for (const t of tiers) e.u64Big(t);
  e.s64(p.tierOf).u8(p.cacheMode).s64(p.readTier).s64(p.writeTier);
  encodeStringMap(e, p.properties);
  encodeHitSetParams(e, p.hitSetParams);
  e.u32(p.hitSetPeriod).u32(p.hitSetCount).u32(p.stripeWidth);
  e.u64Big(p.targetMaxBytes).u64Big(p.targetMaxObjects);
  e.u32(p.cacheTargetDirtyRatioMicro).u32(p.cacheTargetFullRatioMicro);
  e.u32(p.cacheMinFlushAge).u32(p.cacheMinEvictAge);
  e.binaryString(p.erasureCodeProfile);
  e.u32(p.lastForceOpResendPreluminous).s32(p.minReadRecencyForPromote).u64Big(p.expectedNumObjects);
  e.u32(p.cacheTargetDirtyHighRatioMicro).s32(p.minWriteRecencyForPromote);
  e.bool(p.useGmtHitset).bool(p.fastRead);
  e.u32(p.hitSetGradeDecayRate).u32(p.hitSetSearchLastN);
  encodePoolOpts(e, p.opts);
  e.u32(p.lastForceOpResendPrenautilus);
  encodeProfiles(e, p.applicationMetadata);
  encodeUTime(e, p.createTime);
  e.u32(p.pgNumTarget).u32(p.pgpNumTarget).u32(p.pgNumPending);
  e.u32(0).u32(0); // pg_num_dec_last_epoch_started / _clean from 14.1.[01]
  e.u32(p.lastForceOpResend).u8(p.pgAutoscaleMode);
  encodeMergeMeta(e, p.lastPgMergeMeta);
  if (v === 30) {
    e.u32(p.peeringCrushBucketCount).u32(p.peeringCrushBucketTarget).u32(p.peeringCrushBucketBarrier);
    e.s32(p.peeringCrushMandatoryMember);
  }
  e.finishStruct();
}

function decodePools(d: Decoder, what: string): Map<number, PgPool> {
  const n = d.count(what, 14);
  const pools = new Map<number, PgPool>();
  for (let i = 0; i < n; i++) {
    const id = d.s64(what);
    d.setContext('pool', id);
    pools.set(id, decodePgPool(d));
  }
  d.setContext('');
  return pools;
}

function encodePools(e: Encoder, pools: ReadonlyMap<number, PgPool>): void {
  e.map(pools, (x, k) => x.s64(k), (x, p) => encodePgPool(x, p));
}

function decodePoolNames(d: Decoder, what: string): Map<number, string> {
  return d.map(what, 12, (x) => x.s64(what), (x) => x.binaryString(what));
}

function encodePoolNames(e: Encoder, m: ReadonlyMap<number, string>): void {
  e.map(m, (x, k) => x.s64(k), (x, v) => x.binaryString(v));
}

// ---------------------------------------------------------------------------------------------------
// Full maps

/** Options for decodeOSDMap. */
export interface OSDMapDecodeOptions {
  /** Check the map's crc (default true), as Ceph does; a mismatch is EINVAL. */
  verifyCrc?: boolean;
}

/** Decode a whole encoded OSDMap. */
export function decodeOSDMap(buf: Uint8Array, opts: OSDMapDecodeOptions = {}): OSDMap {
  const d = new Decoder(buf, LABEL);
  const m = decodeOSDMapFrom(d, opts);
  return m;
}

/** OSDMap::decode from a Decoder positioned at the map. */
export function decodeOSDMapFrom(d: Decoder, opts: OSDMapDecodeOptions = {}): OSDMap {
  const start = d.pos;
  const m = new OSDMap();
  const wrapperV = d.decodeStartLegacyCompatLen(8, 7, 7, 'wrapper');
  if (wrapperV < 7) {
    d.malformed('wrapper', `classic (pre-luminous) encoding version ${wrapperV} is not supported`);
  }
  // client-usable data
  {
    const what = 'client data';
    const v = d.decodeStart(9, what);
    m.fsid = decodeUuid(d, 'fsid');
    m.epoch = d.u32('epoch');
    d.setContext('epoch', m.epoch);
    m.created = decodeUTime(d, 'created');
    m.modified = decodeUTime(d, 'modified');
    m.pools = decodePools(d, 'pools');
    m.poolName = decodePoolNames(d, 'pool_name');
    m.poolMax = d.s32('pool_max');
    m.flags = d.u32('flags');
    m.maxOsd = d.s32('max_osd');
    if (m.maxOsd < 0) d.malformed('max_osd', `negative max_osd ${m.maxOsd}`);
    if (v >= 5) m.osdState = decodeU32Vector(d, 'osd_state');
    else m.osdState = d.list('osd_state', 1, (x) => x.u8('osd_state'));
    m.osdWeight = decodeU32Vector(d, 'osd_weight');
    m.clientAddrs = decodeAddrVecList(d, 'client_addrs');
    m.pgTemp = decodePgMap(d, 'pg_temp', 4, (x) => decodeS32Vector(x, 'pg_temp'));
    m.primaryTemp = decodePgMap(d, 'primary_temp', 4, (x) => x.s32('primary_temp'));
    if (v >= 2) {
      const aff = decodeU32Vector(d, 'osd_primary_affinity');
      m.osdPrimaryAffinity = aff.length ? aff : null;
    }
    const crushLen = d.u32('crush map length');
    const cd = d.sub(crushLen, 'crush map', 'osdmap crush map');
    m.crush = CrushWrapper.from(decodeCrushMapFrom(cd));
    if (v >= 3) m.erasureCodeProfiles = decodeProfiles(d, 'erasure_code_profiles');
    if (v >= 4) {
      m.pgUpmap = decodePgMap(d, 'pg_upmap', 4, (x) => decodeS32Vector(x, 'pg_upmap'));
      m.pgUpmapItems = decodePgMap(d, 'pg_upmap_items', 4, (x) => decodeUpmapItems(x, 'pg_upmap_items'));
    }
    if (v >= 6) m.crushVersion = d.u32('crush_version');
    if (v >= 7) {
      m.newRemovedSnaps = decodeSnapSetMap(d, 'new_removed_snaps');
      m.newPurgedSnaps = decodeSnapSetMap(d, 'new_purged_snaps');
    }
    if (v >= 9) {
      m.lastUpChange = decodeUTime(d, 'last_up_change');
      m.lastInChange = decodeUTime(d, 'last_in_change');
    }
    d.decodeFinish(what);
  }
  // extended, osd-only data
  {
    const what = 'osd-only data';
    const v = d.decodeStart(11, what);
    m.hbBackAddrs = decodeAddrVecList(d, 'hb_back_addrs');
    m.osdInfo = d.list('osd_info', 25, (x) => decodeOsdInfo(x));
    m.blocklist = decodeAddrTimeMap(d, 'blocklist');
    m.clusterAddrs = decodeAddrVecList(d, 'cluster_addrs');
    m.clusterSnapshotEpoch = d.u32('cluster_snapshot_epoch');
    m.clusterSnapshot = d.binaryString('cluster_snapshot');
    m.osdUuid = d.list('osd_uuid', 16, (x) => decodeUuid(x, 'osd_uuid'));
    m.osdXinfo = d.list('osd_xinfo', 6, (x) => decodeOsdXinfo(x));
    m.hbFrontAddrs = decodeAddrVecList(d, 'hb_front_addrs');
    if (v >= 2) {
      m.nearfullRatio = d.f32('nearfull_ratio');
      m.fullRatio = d.f32('full_ratio');
    }
    if (v >= 3) m.backfillfullRatio = d.f32('backfillfull_ratio');
    if (v === 4) {
      const r = d.binaryString('require_min_compat_client');
      if (r.length) m.requireMinCompatClient = releaseFromName(r);
    }
    if (v >= 5) {
      m.requireMinCompatClient = d.u8('require_min_compat_client');
      m.requireOsdRelease = d.u8('require_osd_release');
      if (m.requireOsdRelease >= CephRelease.nautilus) m.flags = (m.flags | CEPH_OSDMAP_PGLOG_HARDLIMIT) >>> 0;
      if (m.requireOsdRelease >= CephRelease.luminous) {
        m.flags = ((m.flags & ~CEPH_OSDMAP_LEGACY_REQUIRE_FLAGS) | CEPH_OSDMAP_RECOVERY_DELETES) >>> 0;
      }
    } else if (m.flags & CEPH_OSDMAP_REQUIRE_LUMINOUS) {
      m.requireOsdRelease = CephRelease.luminous;
      m.flags = ((m.flags & ~CEPH_OSDMAP_LEGACY_REQUIRE_FLAGS) | CEPH_OSDMAP_RECOVERY_DELETES) >>> 0;
    } else if (m.flags & CEPH_OSDMAP_REQUIRE_KRAKEN) {
      m.requireOsdRelease = CephRelease.kraken;
    } else if (m.flags & CEPH_OSDMAP_REQUIRE_JEWEL) {
      m.requireOsdRelease = CephRelease.jewel;
    } else {
      m.requireOsdRelease = CephRelease.unknown;
    }
    if (v >= 6) m.removedSnapsQueue = decodeSnapSetMap(d, 'removed_snaps_queue');
    if (v >= 8) m.crushNodeFlags = decodeS32U32Map(d, 'crush_node_flags');
    if (v >= 9) m.deviceClassFlags = decodeS32U32Map(d, 'device_class_flags');
    if (v >= 10) {
      m.stretchModeEnabled = d.bool('stretch_mode_enabled');
      m.stretchBucketCount = d.u32('stretch_bucket_count');
      m.degradedStretchMode = d.u32('degraded_stretch_mode');
      m.recoveringStretchMode = d.u32('recovering_stretch_mode');
      m.stretchModeBucket = d.s32('stretch_mode_bucket');
    }
    if (v >= 11) m.rangeBlocklist = decodeAddrTimeMap(d, 'range_blocklist');
    d.decodeFinish(what);
  }
  let crcAt = -1;
  let tailAt = -1;
  let crc = 0;
  if (wrapperV >= 8) {
    crcAt = d.pos;
    crc = d.u32('crc');
    tailAt = d.pos;
  }
  d.decodeFinish('wrapper');
  if (crcAt >= 0 && opts.verifyCrc !== false) {
    const buf = d.buffer;
    let actual = cephCrc32c(0xffffffff, buf, start, crcAt);
    if (tailAt < d.pos) actual = cephCrc32c(actual, buf, tailAt, d.pos);
    if (actual !== crc) {
      throw new CephError('EINVAL', `${LABEL} epoch ${m.epoch}: bad crc, actual ${actual} != expected ${crc}`);
    }
  }
  checkPerOsdLengths(m);
  return m;
}

/** Ceph resizes every per-OSD vector with max_osd; a map whose vectors disagree is corrupt. */
function checkPerOsdLengths(m: OSDMap): void {
  const check = (what: string, n: number): void => {
    if (n !== m.maxOsd) {
      throw new CephError('EINVAL', `${LABEL} epoch ${m.epoch}: ${what} has ${n} entries but max_osd is ${m.maxOsd}`);
    }
  };
  check('osd_state', m.osdState.length);
  check('osd_weight', m.osdWeight.length);
  check('client_addrs', m.clientAddrs.length);
  check('hb_back_addrs', m.hbBackAddrs.length);
  check('osd_info', m.osdInfo.length);
  check('cluster_addrs', m.clusterAddrs.length);
  check('osd_uuid', m.osdUuid.length);
  check('osd_xinfo', m.osdXinfo.length);
  check('hb_front_addrs', m.hbFrontAddrs.length);
  if (m.osdPrimaryAffinity) check('osd_primary_affinity', m.osdPrimaryAffinity.length);
}

const RELEASE_NAMES = Object.keys(CephRelease) as Array<keyof typeof CephRelease>;

/** ceph_release_from_name: the release number of a name, 0 (unknown) for anything else. */
export function releaseFromName(s: string): number {
  for (const name of RELEASE_NAMES) if (name === s) return CephRelease[name];
  return 0;
}

const mapEncoder = new Encoder(64 * 1024);

/** Encode a whole map as Pacific's OSDMap::encode does with all of its features; returns a copy. */
export function encodeOSDMap(m: OSDMap): Buffer {
  const e = mapEncoder.reset();
  encodeOSDMapInto(e, m);
  return e.toBuffer();
}

/** Append a map's encoding to `e`; returns the crc written. */
export function encodeOSDMapInto(e: Encoder, m: OSDMap): number {
  checkPerOsdLengths(m);
  const start = e.length;
  e.startStruct(OSDMAP_WRAPPER_V, 7);
  // client-usable data
  e.startStruct(OSDMAP_CLIENT_V, 1);
  encodeUuid(e, m.fsid);
  e.u32(m.epoch);
  encodeUTime(e, m.created);
  encodeUTime(e, m.modified);
  encodePools(e, m.pools);
  encodePoolNames(e, m.poolName);
  e.s32(m.poolMax).u32(m.flags).s32(m.maxOsd);
  encodeU32Vector(e, m.osdState);
  encodeU32Vector(e, m.osdWeight);
  encodeAddrVecList(e, m.clientAddrs);
  encodePgMap(e, m.pgTemp, encodeS32Vector);
  encodePgMap(e, m.primaryTemp, (x, v) => x.s32(v));
  encodeU32Vector(e, m.osdPrimaryAffinity ?? []);
  const crushLenAt = e.length;
  e.u32(0);
  encodeCrushMapInto(e, m.crush, CRUSH_ENCODE_FEATURES_ALL);
  e.patchU32(crushLenAt, e.length - crushLenAt - 4);
  encodeProfiles(e, m.erasureCodeProfiles);
  encodePgMap(e, m.pgUpmap, encodeS32Vector);
  encodePgMap(e, m.pgUpmapItems, encodeUpmapItems);
  e.u32(m.crushVersion);
  encodeSnapSetMap(e, m.newRemovedSnaps);
  encodeSnapSetMap(e, m.newPurgedSnaps);
  encodeUTime(e, m.lastUpChange);
  encodeUTime(e, m.lastInChange);
  e.finishStruct();
  // extended, osd-only data
  let osdV = OSDMAP_OSD_V;
  if (m.stretchModeEnabled) osdV = Math.max(osdV, 10);
  if (m.rangeBlocklist.size) osdV = Math.max(osdV, 11);
  e.startStruct(osdV, 1);
  encodeAddrVecList(e, m.hbBackAddrs);
  e.u32(m.osdInfo.length);
  for (const i of m.osdInfo) encodeOsdInfo(e, i);
  encodeAddrTimeMap(e, m.blocklist);
  encodeAddrVecList(e, m.clusterAddrs);
  e.u32(m.clusterSnapshotEpoch).binaryString(m.clusterSnapshot);
  e.u32(m.osdUuid.length);
  for (const u of m.osdUuid) encodeUuid(e, u);
  e.u32(m.osdXinfo.length);
  for (const x of m.osdXinfo) encodeOsdXinfo(e, x);
  encodeAddrVecList(e, m.hbFrontAddrs);
  e.f32(m.nearfullRatio).f32(m.fullRatio).f32(m.backfillfullRatio);
  e.u8(m.requireMinCompatClient).u8(m.requireOsdRelease);
  encodeSnapSetMap(e, m.removedSnapsQueue);
  encodeS32U32Map(e, m.crushNodeFlags);
  encodeS32U32Map(e, m.deviceClassFlags);
  if (osdV >= 10) {
    e.bool(m.stretchModeEnabled).u32(m.stretchBucketCount).u32(m.degradedStretchMode);
    e.u32(m.recoveringStretchMode).s32(m.stretchModeBucket);
  }
  if (osdV >= 11) encodeAddrTimeMap(e, m.rangeBlocklist);
  e.finishStruct();
  const crcAt = e.length;
  e.u32(0);
  e.finishStruct();
  const buf = e.view();
  // No tail: the crc is the last thing inside the wrapper.
  const crc = cephCrc32c(0xffffffff, buf, start, crcAt);
  e.patchU32(crcAt, crc);
  return crc;
}

/** The crc Ceph stores in an encoded full map (the u32 before the end of the wrapper). */
export function osdmapCrc(buf: Uint8Array): number {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUInt32LE(buf.byteLength - 4);
}

// ---------------------------------------------------------------------------------------------------
// Incrementals

/** Decode an OSDMap::Incremental. */
export function decodeIncremental(buf: Uint8Array, opts: OSDMapDecodeOptions = {}): OSDMapIncremental {
  const d = new Decoder(buf, INC_LABEL);
  const start = d.pos;
  const inc = newIncremental();
  const wrapperV = d.decodeStartLegacyCompatLen(8, 7, 7, 'wrapper');
  if (wrapperV < 7) {
    d.malformed('wrapper', `classic (pre-luminous) encoding version ${wrapperV} is not supported`);
  }
  {
    const what = 'client data';
    const v = d.decodeStart(8, what);
    inc.fsid = decodeUuid(d, 'fsid');
    inc.epoch = d.u32('epoch');
    d.setContext('epoch', inc.epoch);
    inc.modified = decodeUTime(d, 'modified');
    inc.newPoolMax = d.s64('new_pool_max');
    inc.newFlags = d.s32('new_flags');
    const full = d.bytes('fullmap');
    inc.fullmap = full.length ? Buffer.from(full) : null;
    const crush = d.bytes('crush');
    inc.crush = crush.length ? Buffer.from(crush) : null;
    inc.newMaxOsd = d.s32('new_max_osd');
    inc.newPools = decodePools(d, 'new_pools');
    inc.newPoolNames = decodePoolNames(d, 'new_pool_names');
    inc.oldPools = [...new Set(d.list('old_pools', 8, (x) => x.s64('old_pools')))].sort((a, b) => a - b);
    inc.newUpClient = decodeAddrVecMap(d, 'new_up_client');
    if (v >= 5) inc.newState = decodeS32U32Map(d, 'new_state');
    else inc.newState = d.map('new_state', 5, (x) => x.s32('new_state'), (x) => x.u8('new_state'));
    inc.newWeight = decodeS32U32Map(d, 'new_weight');
    inc.newPgTemp = decodePgMap(d, 'new_pg_temp', 4, (x) => decodeS32Vector(x, 'new_pg_temp'));
    inc.newPrimaryTemp = decodePgMap(d, 'new_primary_temp', 4, (x) => x.s32('new_primary_temp'));
    if (v >= 2) inc.newPrimaryAffinity = decodeS32U32Map(d, 'new_primary_affinity');
    if (v >= 3) {
      inc.newErasureCodeProfiles = decodeProfiles(d, 'new_erasure_code_profiles');
      inc.oldErasureCodeProfiles = d.list('old_erasure_code_profiles', 4, (x) => x.binaryString('old_erasure_code_profiles'));
    }
    if (v >= 4) {
      inc.newPgUpmap = decodePgMap(d, 'new_pg_upmap', 4, (x) => decodeS32Vector(x, 'new_pg_upmap'));
      inc.oldPgUpmap = sortedUniquePgIds(d.list('old_pg_upmap', PG_ID_BYTES, (x) => decodePgId(x, 'old_pg_upmap')));
      inc.newPgUpmapItems = decodePgMap(d, 'new_pg_upmap_items', 4, (x) => decodeUpmapItems(x, 'new_pg_upmap_items'));
      inc.oldPgUpmapItems = sortedUniquePgIds(
        d.list('old_pg_upmap_items', PG_ID_BYTES, (x) => decodePgId(x, 'old_pg_upmap_items')),
      );
    }
    if (v >= 6) {
      inc.newRemovedSnaps = decodeSnapSetMap(d, 'new_removed_snaps');
      inc.newPurgedSnaps = decodeSnapSetMap(d, 'new_purged_snaps');
    }
    if (v >= 8) {
      inc.newLastUpChange = decodeUTime(d, 'new_last_up_change');
      inc.newLastInChange = decodeUTime(d, 'new_last_in_change');
    }
    d.decodeFinish(what);
  }
  {
    const what = 'osd-only data';
    const v = d.decodeStart(11, what);
    inc.newHbBackUp = decodeAddrVecMap(d, 'new_hb_back_up');
    inc.newUpThru = d.map('new_up_thru', 8, (x) => x.s32('new_up_thru'), (x) => x.u32('new_up_thru'));
    inc.newLastCleanInterval = d.map(
      'new_last_clean_interval',
      12,
      (x) => x.s32('new_last_clean_interval'),
      (x) => [x.u32('new_last_clean_interval'), x.u32('new_last_clean_interval')] as [number, number],
    );
    inc.newLost = d.map('new_lost', 8, (x) => x.s32('new_lost'), (x) => x.u32('new_lost'));
    inc.newBlocklist = decodeAddrTimeMap(d, 'new_blocklist');
    inc.oldBlocklist = d.list('old_blocklist', 7, (x) => decodeEntityAddr(x, 'old_blocklist'));
    inc.newUpCluster = decodeAddrVecMap(d, 'new_up_cluster');
    inc.clusterSnapshot = d.binaryString('cluster_snapshot');
    inc.newUuid = d.map('new_uuid', 20, (x) => x.s32('new_uuid'), (x) => decodeUuid(x, 'new_uuid'));
    inc.newXinfo = d.map('new_xinfo', 10, (x) => x.s32('new_xinfo'), (x) => decodeOsdXinfo(x));
    inc.newHbFrontUp = decodeAddrVecMap(d, 'new_hb_front_up');
    inc.encodeFeatures = v >= 2 ? d.u64Big('encode_features') : 0n;
    if (v >= 3) {
      inc.newNearfullRatio = d.f32('new_nearfull_ratio');
      inc.newFullRatio = d.f32('new_full_ratio');
    }
    if (v >= 4) inc.newBackfillfullRatio = d.f32('new_backfillfull_ratio');
    if (v === 5) {
      const r = d.binaryString('new_require_min_compat_client');
      if (r.length) inc.newRequireMinCompatClient = releaseFromName(r);
    }
    if (v >= 6) {
      inc.newRequireMinCompatClient = d.u8('new_require_min_compat_client');
      inc.newRequireOsdRelease = d.u8('new_require_osd_release');
    }
    if (v >= 8) inc.newCrushNodeFlags = decodeS32U32Map(d, 'new_crush_node_flags');
    if (v >= 9) inc.newDeviceClassFlags = decodeS32U32Map(d, 'new_device_class_flags');
    if (v >= 10) {
      inc.changeStretchMode = d.bool('change_stretch_mode');
      inc.newStretchBucketCount = d.u32('new_stretch_bucket_count');
      inc.newDegradedStretchMode = d.u32('new_degraded_stretch_mode');
      inc.newRecoveringStretchMode = d.u32('new_recovering_stretch_mode');
      inc.newStretchModeBucket = d.s32('new_stretch_mode_bucket');
      inc.stretchModeEnabled = d.bool('stretch_mode_enabled');
    }
    if (v >= 11) {
      inc.newRangeBlocklist = decodeAddrTimeMap(d, 'new_range_blocklist');
      inc.oldRangeBlocklist = d.list('old_range_blocklist', 7, (x) => decodeEntityAddr(x, 'old_range_blocklist'));
    }
    d.decodeFinish(what);
  }
  let crcAt = -1;
  let tailAt = -1;
  if (wrapperV >= 8) {
    inc.haveCrc = true;
    crcAt = d.pos;
    inc.incCrc = d.u32('inc_crc');
    tailAt = d.pos;
    inc.fullCrc = d.u32('full_crc');
  }
  d.decodeFinish('wrapper');
  if (crcAt >= 0 && opts.verifyCrc !== false) {
    const buf = d.buffer;
    let actual = cephCrc32c(0xffffffff, buf, start, crcAt);
    if (tailAt < d.pos) actual = cephCrc32c(actual, buf, tailAt, d.pos);
    if (actual !== inc.incCrc) {
      throw new CephError('EINVAL', `${INC_LABEL} epoch ${inc.epoch}: bad crc, actual ${actual} != expected ${inc.incCrc}`);
    }
  }
  return inc;
}

const incEncoder = new Encoder(16 * 1024);

/**
 * Encode an incremental as Pacific's OSDMap::Incremental::encode does for Pacific peers; fills in
 * inc.incCrc (and sets haveCrc) as Ceph does. `features` is what the encoding records as
 * encode_features (Ceph writes the features argument, not the member).
 */
export function encodeIncremental(inc: OSDMapIncremental, features: bigint = PACIFIC_FEATURES): Buffer {
  const e = incEncoder.reset();
  e.startStruct(OSDMAP_WRAPPER_V, 7);
  e.startStruct(INCREMENTAL_CLIENT_V, 1);
  encodeUuid(e, inc.fsid);
  e.u32(inc.epoch);
  encodeUTime(e, inc.modified);
  e.s64(inc.newPoolMax).s32(inc.newFlags);
  e.bytes(inc.fullmap ?? Buffer.alloc(0));
  e.bytes(inc.crush ?? Buffer.alloc(0));
  e.s32(inc.newMaxOsd);
  encodePools(e, inc.newPools);
  encodePoolNames(e, inc.newPoolNames);
  const oldPools = [...new Set(inc.oldPools)].sort((a, b) => a - b);
  e.u32(oldPools.length);
  for (const p of oldPools) e.s64(p);
  encodeAddrVecMap(e, inc.newUpClient);
  encodeS32U32Map(e, inc.newState);
  encodeS32U32Map(e, inc.newWeight);
  encodePgMap(e, inc.newPgTemp, encodeS32Vector);
  encodePgMap(e, inc.newPrimaryTemp, (x, v) => x.s32(v));
  encodeS32U32Map(e, inc.newPrimaryAffinity);
  encodeProfiles(e, inc.newErasureCodeProfiles);
  e.u32(inc.oldErasureCodeProfiles.length);
  for (const p of inc.oldErasureCodeProfiles) e.binaryString(p);
  encodePgMap(e, inc.newPgUpmap, encodeS32Vector);
  encodePgIdSet(e, inc.oldPgUpmap);
  encodePgMap(e, inc.newPgUpmapItems, encodeUpmapItems);
  encodePgIdSet(e, inc.oldPgUpmapItems);
  encodeSnapSetMap(e, inc.newRemovedSnaps);
  encodeSnapSetMap(e, inc.newPurgedSnaps);
  encodeUTime(e, inc.newLastUpChange);
  encodeUTime(e, inc.newLastInChange);
  e.finishStruct();

  let osdV = INCREMENTAL_OSD_V;
  if (inc.changeStretchMode) osdV = Math.max(osdV, 10);
  if (inc.newRangeBlocklist.size || inc.oldRangeBlocklist.length) osdV = Math.max(osdV, 11);
  e.startStruct(osdV, 1);
  encodeAddrVecMap(e, inc.newHbBackUp);
  e.map(inc.newUpThru, (x, k) => x.s32(k), (x, v) => x.u32(v));
  e.map(inc.newLastCleanInterval, (x, k) => x.s32(k), (x, v) => x.u32(v[0]).u32(v[1]));
  e.map(inc.newLost, (x, k) => x.s32(k), (x, v) => x.u32(v));
  encodeAddrTimeMap(e, inc.newBlocklist);
  e.u32(inc.oldBlocklist.length);
  for (const a of inc.oldBlocklist) encodeEntityAddr(e, a);
  encodeAddrVecMap(e, inc.newUpCluster);
  e.binaryString(inc.clusterSnapshot);
  e.map(inc.newUuid, (x, k) => x.s32(k), (x, v) => encodeUuid(x, v));
  e.map(inc.newXinfo, (x, k) => x.s32(k), (x, v) => encodeOsdXinfo(x, v));
  encodeAddrVecMap(e, inc.newHbFrontUp);
  e.u64Big(features);
  e.f32(inc.newNearfullRatio).f32(inc.newFullRatio).f32(inc.newBackfillfullRatio);
  e.u8(inc.newRequireMinCompatClient).u8(inc.newRequireOsdRelease);
  encodeS32U32Map(e, inc.newCrushNodeFlags);
  encodeS32U32Map(e, inc.newDeviceClassFlags);
  if (osdV >= 10) {
    e.bool(inc.changeStretchMode).u32(inc.newStretchBucketCount).u32(inc.newDegradedStretchMode);
    e.u32(inc.newRecoveringStretchMode).s32(inc.newStretchModeBucket).bool(inc.stretchModeEnabled);
  }
  if (osdV >= 11) {
    encodeAddrTimeMap(e, inc.newRangeBlocklist);
    e.u32(inc.oldRangeBlocklist.length);
    for (const a of inc.oldRangeBlocklist) encodeEntityAddr(e, a);
  }
  e.finishStruct();
  const crcAt = e.length;
  e.u32(0);
  const tailAt = e.length;
  e.u32(inc.fullCrc);
  e.finishStruct();
  const buf = e.view();
  let crc = cephCrc32c(0xffffffff, buf, 0, crcAt);
  crc = cephCrc32c(crc, buf, tailAt, buf.length);
  e.patchU32(crcAt, crc);
  inc.incCrc = crc;
  inc.haveCrc = true;
  return e.toBuffer();
}

function encodePgIdSet(e: Encoder, list: readonly PgId[]): void {
  const s = sortedUniquePgIds(list);
  e.u32(s.length);
  for (const pg of s) encodePgId(e, pg);
}

// Re-exported for tests and tools that build records by hand.
export { newOsdInfo };
