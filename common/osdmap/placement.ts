// Object placement, bit-exact with Ceph 16.2 "Pacific" (src/osd/OSDMap.cc, src/osd/osd_types.cc): object
// name -> placement seed -> PG -> raw OSDs through CRUSH -> pg_upmap / pg_upmap_items -> up set and up
// primary (primary affinity) -> pg_temp / primary_temp -> acting set and acting primary.
//
// Each Ceph step is one small function named after it (`_pg_to_raw_osds` -> pgToRawOsdsInto, ...).
// Results are written into caller-owned OsdVectors (a growable Int32Array with a size, Ceph's
// vector<int>) and a caller-owned PlacementWork carries the CRUSH workspace and the 16.16 osd_weight
// copy the mapper reads, so a lookup allocates nothing once the vectors have grown to the pool size.
// The allocating wrappers at the end (pgToUpActingOsds, ...) are for tools and tests.
//
// Pacific specifics kept here (the main branch differs): the CRUSH rule is found with
// crush_find_rule(pool.crush_rule, pool.type, pool.size) (a rule whose mask does not admit the pool's
// size maps nothing), and there is no pg_upmap_primaries and no primary-first pg_temp reordering.
//
// Pure: no I/O, clock or randomness.

import { crushDoRule, crushHash32_2Out, HASH_OUT, crushFindRule, CrushWork, DEFAULT_CHOOSE_ARGS, type CrushChooseArgMap } from '../../crush/index.js';
import { CephError, Errno } from '../errors.js';
import { canShiftOsds, osdExists, osdIsUp } from './osdmap.js';
import { cephStrHashBytesOut, currentHashScratch, hashScratch, STR_HASH_OUT, utf8IntoScratch, type ByteString } from './hash.js';
import {
  CEPH_OSD_DEFAULT_PRIMARY_AFFINITY,
  CEPH_OSD_MAX_PRIMARY_AFFINITY,
  CRUSH_ITEM_NONE,
  POOL_FLAG_HASHPSPOOL,
  type OSDMapData,
  type PgId,
  type PgPool,
} from './types.js';

// ---------------------------------------------------------------------------------------------------
// A vector<int> without per-call allocation

/** Ceph's vector<int> of OSD ids for one PG: `osds[0..size)`, CRUSH_ITEM_NONE marking holes. */
export class OsdVector {
  osds: Int32Array;
  size = 0;
  constructor(capacity = 8) {
    this.osds = new Int32Array(Math.max(capacity, 1));
  }
  clear(): void {
    this.size = 0;
  }
  /** Make room for n entries (keeping the current ones). */
  reserve(n: number): void {
    if (this.osds.length >= n) return;
    let cap = this.osds.length * 2;
    while (cap < n) cap *= 2;
    const next = new Int32Array(cap);
    next.set(this.osds.subarray(0, this.size));
    this.osds = next;
  }
  push(osd: number): void {
    if (this.size === this.osds.length) this.reserve(this.size + 1);
    this.osds[this.size++] = osd;
  }
  get(i: number): number {
    return this.osds[i]!;
  }
  /** Replace the contents with `src` (vector assignment). */
  assign(src: ArrayLike<number>, n = src.length): void {
    this.reserve(n);
    for (let i = 0; i < n; i++) this.osds[i] = src[i]!;
    this.size = n;
  }
  copyFrom(v: OsdVector): void {
    const n = v.size;
    this.reserve(n);
    const a = this.osds;
    const b = v.osds;
    for (let i = 0; i < n; i++) a[i] = b[i]!;
    this.size = n;
  }
  indexOf(osd: number): number {
    for (let i = 0; i < this.size; i++) if (this.osds[i] === osd) return i;
    return -1;
  }
  equals(other: ArrayLike<number>): boolean {
    if (other.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) if (this.osds[i] !== other[i]) return false;
    return true;
  }
  toArray(): number[] {
    return Array.from(this.osds.subarray(0, this.size));
  }
}

/** The four answers of _pg_to_up_acting_osds, reused across lookups. */
export class UpActing {
  readonly up = new OsdVector();
  upPrimary = -1;
  readonly acting = new OsdVector();
  actingPrimary = -1;
  /** The placement seed CRUSH was fed (raw_pg_to_pps), when the up set was computed. */
  pps = 0;
}

/**
 * The caller-owned workspace of placement: Ceph's crush_work plus the osd_weight vector as the mapper
 * reads it (a Uint32Array copy of map.osdWeight) and scratch vectors. One per thread of use.
 *
 * The weight copy is refreshed when the map object, its epoch, max_osd or its osdWeight array changes.
 * A caller that edits map.osdWeight in place without changing the epoch (osdmaptool's --mark-out does
 * set_weight on the loaded map) must call invalidate() before the next lookup.
 */
export class PlacementWork {
  crushWork: CrushWork | null = null;
  weights: Uint32Array = new Uint32Array(0);
  weightMax = 0;
  /** Scratch: the raw CRUSH output of _pg_to_up_acting_osds. */
  readonly raw = new OsdVector();
  /** Scratch for callers of the step functions (check_pg_upmaps, clean_temps). */
  readonly tmp = new OsdVector();
  private srcMap: OSDMapData | null = null;
  private srcWeights: readonly number[] | null = null;
  private srcEpoch = -1;
  private srcMaxOsd = -1;

  /** Forget the cached osd_weight copy. */
  invalidate(): void {
    this.srcMap = null;
    this.srcWeights = null;
  }

  /** Bring the weight copy in line with `map` (cheap when nothing changed). */
  sync(map: OSDMapData): void {
    if (
      this.srcMap === map &&
      this.srcWeights === map.osdWeight &&
      this.srcEpoch === map.epoch &&
      this.srcMaxOsd === map.maxOsd
    ) {
      return;
    }
    const n = map.osdWeight.length;
    if (this.weights.length < n) this.weights = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.weights[i] = map.osdWeight[i]! >>> 0;
    this.weightMax = n;
    this.srcMap = map;
    this.srcWeights = map.osdWeight;
    this.srcEpoch = map.epoch;
    this.srcMaxOsd = map.maxOsd;
  }
}

// ---------------------------------------------------------------------------------------------------
// OSD state as OSDMap.h's inline queries read it

/** The "target marked out" test of _apply_upmap / check_pg_upmaps: a valid id whose weight is 0. */
function isMarkedOutTarget(map: OSDMapData, osd: number): boolean {
  return osd !== CRUSH_ITEM_NONE && osd < map.maxOsd && osd >= 0 && map.osdWeight[osd] === 0;
}

/** Where hash2Out leaves its u32 (read unboxed by the caller). */
const HASH2_OUT = new Uint32Array(1);

/**
 * crush_hash32_2(CRUSH_HASH_RJENKINS1, a, b) into HASH2_OUT[0], through crush's out-slot variant so that
 * the two per-lookup hashes of placement (the pps and the primary-affinity draw) are not boxed as heap
 * numbers on return; copied into a slot of placement's own because the mapper reuses crush's.
 */
function hash2Out(a: number, b: number): void {
  crushHash32_2Out(a, b);
  HASH2_OUT[0] = HASH_OUT[0]!;
}

/** crush_hash32_2(RJENKINS1, a, b) (for tests: the placement-local copy must equal crush's). */
export function placementHash32_2(a: number, b: number): number {
  hash2Out(a, b);
  return HASH2_OUT[0]!;
}

// ---------------------------------------------------------------------------------------------------
// pg_pool_t helpers (osd_types.cc)

/** ceph_stable_mod (include/rados.h): x mod b, stable as b grows towards bmask + 1. */
export function cephStableMod(x: number, b: number, bmask: number): number {
  const m = (x & bmask) >>> 0;
  if (m < b >>> 0) return m;
  return (x & (bmask >>> 1)) >>> 0;
}

/** Encode ns + '\037' + key (or key alone when ns is empty) into the hash scratch; returns its length. */
function buildHashKey(key: ByteString, ns: ByteString): number {
  let n = 0;
  if (ns.length > 0) {
    n = putBytes(ns, 0);
    hashScratch(n + 1, n)[n] = 0x1f;
    n += 1;
  }
  return n + putBytes(key, n);
}

function putBytes(s: ByteString, offset: number): number {
  if (typeof s === 'string') return utf8IntoScratch(s, offset);
  const buf = hashScratch(offset + s.length, offset);
  buf.set(s, offset);
  return s.length;
}

/** pg_pool_t::hash_key: the object hash of `key` in namespace `ns` (ns + '\037' + key). */
export function poolHashKey(pool: PgPool, key: ByteString, ns: ByteString): number {
  poolHashKeyOut(pool, key, ns);
  return STR_HASH_OUT[0]!;
}

/** pg_pool_t::hash_key into STR_HASH_OUT[0] (hash.ts). */
export function poolHashKeyOut(pool: PgPool, key: ByteString, ns: ByteString): void {
  if (ns.length === 0 && typeof key !== 'string') {
    cephStrHashBytesOut(pool.objectHash, key, 0, key.length);
    return;
  }
  const n = buildHashKey(key, ns);
  cephStrHashBytesOut(pool.objectHash, currentHashScratch(), 0, n);
}

/** pg_pool_t::raw_hash_to_pg: fold a 32-bit hash into [0, pg_num). */
export function poolRawHashToPg(pool: PgPool, v: number): number {
  return cephStableMod(v, pool.pgNum, pool.pgNumMask);
}

/** pg_pool_t::raw_pg_to_pg on a seed: the actual PG seed of a raw one. */
export function poolRawSeedToPg(pool: PgPool, seed: number): number {
  return cephStableMod(seed, pool.pgNum, pool.pgNumMask);
}

/** pg_pool_t::raw_pg_to_pg. */
export function poolRawPgToPg(pool: PgPool, pg: PgId): PgId {
  return { pool: pg.pool, seed: poolRawSeedToPg(pool, pg.seed) };
}

/**
 * pg_pool_t::raw_pg_to_pps: the placement seed CRUSH is fed. With hashpspool the pgp_num-folded seed
 * is hashed with the pool id (crush_hash32_2, so pools do not overlap); without it the pool id is added.
 */
export function poolRawPgToPps(pool: PgPool, poolId: number, seed: number): number {
  ppsOut(pool, poolId, seed);
  return HASH2_OUT[0]!;
}

/** raw_pg_to_pps into HASH2_OUT[0]. */
function ppsOut(pool: PgPool, poolId: number, seed: number): void {
  const ps = cephStableMod(seed, pool.pgpNum, pool.pgpNumMask);
  if ((pool.flags & POOL_FLAG_HASHPSPOOL) !== 0) hash2Out(ps, poolId);
  else HASH2_OUT[0] = ps + poolId;
}

/**
 * pg_pool_t::get_pg_num_divisor: how many equal bins the hash space is cut into for this PG's share
 * (pg_num for a power of two; otherwise PGs already split cover the finer bins of pg_num_mask + 1).
 */
export function poolPgNumDivisor(pool: PgPool, seed: number): number {
  if (pool.pgNum === pool.pgNumMask + 1) return pool.pgNum;
  const mask = pool.pgNumMask >>> 1;
  if ((seed & mask) >>> 0 < (pool.pgNum & mask) >>> 0) return pool.pgNumMask + 1;
  return (pool.pgNumMask + 1) >>> 1;
}

// ---------------------------------------------------------------------------------------------------
// object -> pg

/** object_locator_t as the Objecter fills it. `hash` >= 0 places the object at that seed directly. */
export interface ObjectLocator {
  pool: number;
  key?: ByteString;
  nspace?: ByteString;
  hash?: number;
}

/**
 * OSDMap::map_to_pg: the raw placement seed (u32, not yet folded by pg_num) of an object, hashing the
 * locator key when it is set, else the name; -ENOENT when the pool does not exist.
 */
export function mapToPg(map: OSDMapData, poolId: number, name: ByteString, key: ByteString, nspace: ByteString): number {
  const pool = map.pools.get(poolId);
  if (pool === undefined) return -Errno.ENOENT;
  return poolHashKey(pool, key.length > 0 ? key : name, nspace);
}

/**
 * map_to_pg then raw_pg_to_pg: the PG seed (folded by pg_num) of an object, or -ENOENT. The hot path of
 * a client: the 32-bit hash never leaves this function, so nothing is boxed.
 */
export function mapObjectToPgSeed(map: OSDMapData, poolId: number, name: ByteString, key: ByteString, nspace: ByteString): number {
  const pool = map.pools.get(poolId);
  if (pool === undefined) return -Errno.ENOENT;
  poolHashKeyOut(pool, key.length > 0 ? key : name, nspace);
  return cephStableMod(STR_HASH_OUT[0]!, pool.pgNum, pool.pgNumMask);
}

/** OSDMap::object_locator_to_pg: the raw seed of `oid` under `loc`, or -ENOENT. */
export function objectLocatorToPg(map: OSDMapData, oid: ByteString, loc: ObjectLocator): number {
  if (loc.hash !== undefined && loc.hash >= 0) {
    if (!map.pools.has(loc.pool)) return -Errno.ENOENT;
    return loc.hash >>> 0;
  }
  return mapToPg(map, loc.pool, oid, loc.key ?? '', loc.nspace ?? '');
}

// ---------------------------------------------------------------------------------------------------
// pg -> raw -> up -> acting: the steps of _pg_to_up_acting_osds

/** OSDMap::_remove_nonexistent_osds: replicated pools close the gaps, erasure pools keep NONE holes. */
export function removeNonexistentOsds(map: OSDMapData, pool: PgPool, osds: OsdVector): void {
  const a = osds.osds;
  if (canShiftOsds(pool)) {
    let removed = 0;
    for (let i = 0; i < osds.size; i++) {
      if (!osdExists(map, a[i]!)) {
        removed++;
        continue;
      }
      if (removed) a[i - removed] = a[i]!;
    }
    osds.size -= removed;
  } else {
    for (let i = 0; i < osds.size; i++) if (!osdExists(map, a[i]!)) a[i] = CRUSH_ITEM_NONE;
  }
}

/** CrushWrapper::choose_args_get_with_fallback: the pool's weight set, else the default one, else none. */
export function chooseArgsForPool(map: OSDMapData, poolId: number): CrushChooseArgMap | null {
  const sets = map.crush.names.chooseArgs;
  if (sets.size === 0) return null;
  return sets.get(poolId) ?? sets.get(DEFAULT_CHOOSE_ARGS) ?? null;
}

/**
 * OSDMap::_pg_to_raw_osds: CRUSH's answer for the PG (rule found by crush_find_rule on the pool's
 * crush_rule, type and size; result capped at the pool size; 16.16 osd weights; the pool's choose_args)
 * with nonexistent OSDs removed. Writes `out` and returns the pps.
 */
export function pgToRawOsdsInto(map: OSDMapData, pool: PgPool, poolId: number, seed: number, work: PlacementWork, out: OsdVector): number {
  work.sync(map);
  ppsOut(pool, poolId, seed);
  const pps = HASH2_OUT[0]!;
  const size = pool.size;
  const crush = map.crush.crush;
  out.clear();
  const ruleno = crushFindRule(crush, pool.crushRule, pool.type, size);
  if (ruleno >= 0) {
    out.reserve(size);
    let cw = work.crushWork;
    if (cw === null) {
      cw = new CrushWork(crush, size);
      work.crushWork = cw;
    }
    const n = crushDoRule(crush, ruleno, pps, out.osds, size, work.weights, work.weightMax, cw, chooseArgsForPool(map, poolId));
    out.size = n < 0 ? 0 : n;
  }
  removeNonexistentOsds(map, pool, out);
  return pps;
}

/** OSDMap::_pick_primary: the first entry that is not a hole, or -1. */
export function pickPrimary(osds: OsdVector): number {
  for (let i = 0; i < osds.size; i++) {
    const o = osds.osds[i]!;
    if (o !== CRUSH_ITEM_NONE) return o;
  }
  return -1;
}

/**
 * OSDMap::_apply_upmap on the raw set of (raw) PG `seed`:
 *  - pg_upmap replaces the whole set, unless one of its targets is a valid OSD marked out (weight 0),
 *    in which case the explicit mapping is ignored entirely (items are not applied either);
 *  - then each pg_upmap_items pair (from, to) replaces the first `from` with `to`, unless `to` is
 *    already in the set or is a valid OSD marked out. Pairs apply in order, so a swap [[1,2],[2,1]]
 *    does not swap.
 */
export function applyUpmap(map: OSDMapData, pool: PgPool, poolId: number, seed: number, raw: OsdVector): void {
  if (map.pgUpmap.size === 0 && map.pgUpmapItems.size === 0) return;
  const ps = poolRawSeedToPg(pool, seed);
  const explicit = map.pgUpmap.get(poolId, ps);
  if (explicit !== undefined) {
    for (let i = 0; i < explicit.length; i++) if (isMarkedOutTarget(map, explicit[i]!)) return;
    raw.assign(explicit);
  }
  const items = map.pgUpmapItems.get(poolId, ps);
  if (items === undefined) return;
  const a = raw.osds;
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!;
    const from = item[0];
    const to = item[1];
    let exists = false;
    let pos = -1;
    for (let i = 0; i < raw.size; i++) {
      const osd = a[i]!;
      if (osd === to) {
        exists = true;
        break;
      }
      if (osd === from && pos < 0 && !isMarkedOutTarget(map, to)) pos = i;
    }
    if (!exists && pos >= 0) a[pos] = to;
  }
}

/** OSDMap::_raw_to_up_osds: drop nonexistent and down OSDs (replicated: shift left; erasure: NONE). */
export function rawToUpOsds(map: OSDMapData, pool: PgPool, raw: OsdVector, up: OsdVector): void {
  up.clear();
  up.reserve(raw.size);
  const r = raw.osds;
  const u = up.osds;
  if (canShiftOsds(pool)) {
    let n = 0;
    for (let i = 0; i < raw.size; i++) {
      const o = r[i]!;
      if (osdIsUp(map, o)) u[n++] = o;
    }
    up.size = n;
  } else {
    for (let i = 0; i < raw.size; i++) {
      const o = r[i]!;
      u[i] = osdIsUp(map, o) ? o : CRUSH_ITEM_NONE;
    }
    up.size = raw.size;
  }
}

/**
 * OSDMap::_apply_primary_affinity: when some member has a non-default primary affinity, walk the set
 * and take the first OSD that passes its affinity draw ((crush_hash32_2(pps, osd) >> 16) < affinity;
 * affinity 1.0 always passes); if none passes, the first one that was tried. Replicated pools move the
 * chosen primary to the front. Returns the primary (unchanged when nothing applies).
 */
export function applyPrimaryAffinity(map: OSDMapData, pps: number, pool: PgPool, osds: OsdVector, primary: number): number {
  const aff = map.osdPrimaryAffinity;
  if (aff === null) return primary;
  const a = osds.osds;
  let any = false;
  for (let i = 0; i < osds.size; i++) {
    const o = a[i]!;
    if (o !== CRUSH_ITEM_NONE && aff[o] !== CEPH_OSD_DEFAULT_PRIMARY_AFFINITY) {
      any = true;
      break;
    }
  }
  if (!any) return primary;
  let pos = -1;
  for (let i = 0; i < osds.size; i++) {
    const o = a[i]!;
    if (o === CRUSH_ITEM_NONE) continue;
    const af = aff[o]! >>> 0;
    let rejected = false;
    if (af < CEPH_OSD_MAX_PRIMARY_AFFINITY) {
      hash2Out(pps, o);
      rejected = HASH2_OUT[0]! >>> 16 >= af;
    }
    if (rejected) {
      // not this one; remembered as the fallback if nobody else passes
      if (pos < 0) pos = i;
    } else {
      pos = i;
      break;
    }
  }
  if (pos < 0) return primary;
  const chosen = a[pos]!;
  if (canShiftOsds(pool) && pos > 0) {
    for (let i = pos; i > 0; i--) a[i] = a[i - 1]!;
    a[0] = chosen;
  }
  return chosen;
}

/**
 * OSDMap::_get_temp_osds: the pg_temp of the (folded) PG without nonexistent or down OSDs (replicated:
 * dropped; erasure: NONE holes), written to `temp`; returns the temp primary: primary_temp when set,
 * else the first non-hole of the filtered pg_temp, else -1.
 */
export function getTempOsds(map: OSDMapData, pool: PgPool, poolId: number, seed: number, temp: OsdVector): number {
  temp.clear();
  if (map.pgTemp.size === 0 && map.primaryTemp.size === 0) return -1;
  const ps = poolRawSeedToPg(pool, seed);
  const pt = map.pgTemp.get(poolId, ps);
  if (pt !== undefined) {
    const shift = canShiftOsds(pool);
    temp.reserve(pt.length);
    for (let i = 0; i < pt.length; i++) {
      const o = pt[i]!;
      if (!osdIsUp(map, o)) {
        if (!shift) temp.push(CRUSH_ITEM_NONE);
      } else {
        temp.push(o);
      }
    }
  }
  const prim = map.primaryTemp.get(poolId, ps);
  if (prim !== undefined) return prim;
  return pickPrimary(temp);
}

/**
 * OSDMap::_pg_to_up_acting_osds for PG (poolId, seed) into `out`. With rawPgToPg false a seed at or
 * past pg_num maps to nothing (OSDMapMapping's use); with true (pg_to_up_acting_osds) a raw seed is
 * folded where Ceph folds it. With wantUp false and a pg_temp present, the up set is not computed
 * (out.up is then empty and out.upPrimary -1), as Ceph skips it when only the acting set is asked for.
 * A missing pool gives empty sets and -1 primaries.
 */
export function pgToUpActingOsdsInto(
  map: OSDMapData,
  poolId: number,
  seed: number,
  work: PlacementWork,
  out: UpActing,
  rawPgToPg = true,
  wantUp = true,
): void {
  const pool = map.pools.get(poolId);
  out.up.clear();
  out.acting.clear();
  out.upPrimary = -1;
  out.actingPrimary = -1;
  out.pps = 0;
  if (pool === undefined || (!rawPgToPg && seed >>> 0 >= pool.pgNum)) return;
  let actingPrimary = getTempOsds(map, pool, poolId, seed, out.acting);
  if (out.acting.size === 0 || wantUp) {
    const raw = work.raw;
    const pps = pgToRawOsdsInto(map, pool, poolId, seed, work, raw);
    applyUpmap(map, pool, poolId, seed, raw);
    rawToUpOsds(map, pool, raw, out.up);
    let upPrimary = pickPrimary(out.up);
    upPrimary = applyPrimaryAffinity(map, pps, pool, out.up, upPrimary);
    out.pps = pps;
    if (out.acting.size === 0) {
      out.acting.copyFrom(out.up);
      if (actingPrimary === -1) actingPrimary = upPrimary;
    }
    out.upPrimary = upPrimary;
  }
  out.actingPrimary = actingPrimary;
}

/** The acting primary of a PG (the librados hot path: where to send an op), or -1. */
export function pgToActingPrimary(map: OSDMapData, poolId: number, seed: number, work: PlacementWork, out: UpActing): number {
  pgToUpActingOsdsInto(map, poolId, seed, work, out, true, false);
  return out.actingPrimary;
}

/**
 * OSDMap::pg_to_raw_upmap: CRUSH's raw set into `raw` and the set after upmaps into `rawUpmap`.
 * Returns false (rawUpmap emptied, raw untouched) when the pool does not exist.
 */
export function pgToRawUpmapInto(map: OSDMapData, poolId: number, seed: number, work: PlacementWork, raw: OsdVector, rawUpmap: OsdVector): boolean {
  const pool = map.pools.get(poolId);
  if (pool === undefined) {
    rawUpmap.clear();
    return false;
  }
  pgToRawOsdsInto(map, pool, poolId, seed, work, raw);
  rawUpmap.copyFrom(raw);
  applyUpmap(map, pool, poolId, seed, rawUpmap);
  return true;
}

/**
 * OSDMap::pg_to_raw_up: the up set without pg_temp into `up`; returns its primary. Note Ceph picks this
 * primary from the raw set (after upmaps, before down OSDs are dropped) and then applies affinity.
 */
export function pgToRawUpInto(map: OSDMapData, poolId: number, seed: number, work: PlacementWork, up: OsdVector): number {
  const pool = map.pools.get(poolId);
  up.clear();
  if (pool === undefined) return -1;
  const raw = work.raw;
  const pps = pgToRawOsdsInto(map, pool, poolId, seed, work, raw);
  applyUpmap(map, pool, poolId, seed, raw);
  rawToUpOsds(map, pool, raw, up);
  const primary = pickPrimary(raw);
  return applyPrimaryAffinity(map, pps, pool, up, primary);
}

// ---------------------------------------------------------------------------------------------------
// Allocating wrappers for tools and tests

export interface UpActingResult {
  up: number[];
  upPrimary: number;
  acting: number[];
  actingPrimary: number;
}

let sharedWork: PlacementWork | null = null;
function freshWork(map: OSDMapData): PlacementWork {
  if (sharedWork === null) sharedWork = new PlacementWork();
  sharedWork.invalidate();
  sharedWork.sync(map);
  return sharedWork;
}

/** OSDMap::pg_to_up_acting_osds (raw_pg_to_pg = true). */
export function pgToUpActingOsds(map: OSDMapData, pg: PgId, rawPgToPg = true): UpActingResult {
  const out = new UpActing();
  pgToUpActingOsdsInto(map, pg.pool, pg.seed, freshWork(map), out, rawPgToPg, true);
  return { up: out.up.toArray(), upPrimary: out.upPrimary, acting: out.acting.toArray(), actingPrimary: out.actingPrimary };
}

/** OSDMap::pg_to_acting_osds: the acting set and primary only (the up set is skipped under pg_temp). */
export function pgToActingOsds(map: OSDMapData, pg: PgId): { acting: number[]; actingPrimary: number } {
  const out = new UpActing();
  pgToUpActingOsdsInto(map, pg.pool, pg.seed, freshWork(map), out, true, false);
  return { acting: out.acting.toArray(), actingPrimary: out.actingPrimary };
}

/** OSDMap::pg_to_raw_osds: CRUSH's set (nonexistent OSDs removed) and its first non-hole. */
export function pgToRawOsds(map: OSDMapData, pg: PgId): { raw: number[]; primary: number } {
  const pool = map.pools.get(pg.pool);
  if (pool === undefined) return { raw: [], primary: -1 };
  const v = new OsdVector();
  pgToRawOsdsInto(map, pool, pg.pool, pg.seed, freshWork(map), v);
  return { raw: v.toArray(), primary: pickPrimary(v) };
}

/** OSDMap::pg_to_raw_upmap. */
export function pgToRawUpmap(map: OSDMapData, pg: PgId): { raw: number[]; rawUpmap: number[] } {
  const raw = new OsdVector();
  const rawUpmap = new OsdVector();
  pgToRawUpmapInto(map, pg.pool, pg.seed, freshWork(map), raw, rawUpmap);
  return { raw: raw.toArray(), rawUpmap: rawUpmap.toArray() };
}

/** OSDMap::pg_to_raw_up. */
export function pgToRawUp(map: OSDMapData, pg: PgId): { up: number[]; primary: number } {
  const up = new OsdVector();
  const primary = pgToRawUpInto(map, pg.pool, pg.seed, freshWork(map), up);
  return { up: up.toArray(), primary };
}

/**
 * OSDMap::object_locator_to_pg returning the raw pg_t (seed not folded by pg_num). Throws CephError
 * ENOENT when the pool does not exist (Ceph's int-returning form gives -ENOENT).
 */
export function objectLocatorToPgId(map: OSDMapData, oid: ByteString, loc: ObjectLocator): PgId {
  const r = objectLocatorToPg(map, oid, loc);
  if (r < 0) throw CephError.fromErrno(r, `pool ${loc.pool} does not exist`);
  return { pool: loc.pool, seed: r };
}

/** OSDMap::raw_pg_to_pg: fold a raw pg_t with its pool's pg_num (unchanged when the pool is missing). */
export function rawPgToPg(map: OSDMapData, pg: PgId): PgId {
  const pool = map.pools.get(pg.pool);
  return pool === undefined ? { pool: pg.pool, seed: pg.seed } : poolRawPgToPg(pool, pg);
}
