// pg_upmap cleanup, as Ceph 16.2 "Pacific" does it (src/osd/OSDMap.cc get_upmap_pgs, check_pg_upmaps,
// clean_pg_upmaps; used by the monitor and by `osdmaptool --upmap-cleanup`): every PG with a pg_upmap
// or pg_upmap_items entry is checked against the current map, and entries that no longer make sense are
// cancelled (old_pg_upmap / old_pg_upmap_items in the pending Incremental) or simplified (a shorter
// new_pg_upmap_items list).
//
// An entry is cancelled when its pool is gone or the PG is past pg_num_pending (a merge source) or is
// pending a merge; when the upmapped set breaks the pool's CRUSH rule (crush/upmap.ts verifyUpmap:
// failure domains, bucket counts, take roots); when an upmapped OSD is not under the rule's roots or
// has zero effective weight (reweight x CRUSH weight share); when a pg_upmap equals CRUSH's raw set or
// its length is not the pool size. pg_upmap_items pairs whose source is not in the raw set or whose
// target is marked out are dropped; an emptied list is cancelled, a shortened one is re-set.
//
// Pure; the optional log receives the messages Ceph logs at levels <= 1.

import { verifyUpmap, type CrushLog } from '../../crush/index.js';
import { CEPH_OSD_IN, CRUSH_ITEM_NONE, PgMap, type OSDMapData, type OSDMapIncremental, type PgId, type PgPool, type UpmapItem } from './types.js';
import { insertPgSorted, pgidToString } from './osdmap.js';
import { OsdVector, PlacementWork, pgToRawUpmapInto } from './placement.js';

export type UpmapLog = CrushLog;

/** pg_t::get_parent: the PG this one split from (its seed with the top bit cleared). */
export function pgParentSeed(seed: number): number {
  const bits = 32 - Math.clz32(seed);
  if (bits === 0) return seed; // Ceph asserts: seed 0 has no parent
  return (seed & ~(-1 << (bits - 1))) >>> 0;
}

/**
 * pg_pool_t::is_pending_merge: while pg_num_pending < pg_num, a PG at or past pg_num_pending is a merge
 * source and the parent of any such PG is a merge target.
 */
export function poolIsPendingMerge(pool: PgPool, seed: number): boolean {
  if (pool.pgNumPending >= pool.pgNum) return false;
  if (seed >= pool.pgNumPending && seed < pool.pgNum) return true;
  for (let ps = pool.pgNumPending; ps < pool.pgNum; ps++) if (pgParentSeed(ps) === seed) return true;
  return false;
}

/** OSDMap::get_upmap_pgs: the PGs of pg_upmap, then those of pg_upmap_items (a PG may appear twice). */
export function getUpmapPgs(map: OSDMapData): PgId[] {
  const out: PgId[] = [];
  for (const [pg] of map.pgUpmap.sortedEntries()) out.push(pg);
  for (const [pg] of map.pgUpmapItems.sortedEntries()) out.push(pg);
  return out;
}

export interface UpmapCheck {
  /** PGs whose entries are to be removed, in Ceph's order (duplicates kept, as Ceph's vector). */
  toCancel: PgId[];
  /** PGs whose pg_upmap_items shrink, with the new list. */
  toRemap: PgMap<UpmapItem[]>;
  anyChange: boolean;
}

function sameItems(a: readonly UpmapItem[], b: readonly UpmapItem[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false;
  return true;
}

/** OSDMap::check_pg_upmaps over `toCheck`. */
export function checkPgUpmaps(map: OSDMapData, toCheck: readonly PgId[], work: PlacementWork = new PlacementWork(), log?: UpmapLog): UpmapCheck {
  const toCancel: PgId[] = [];
  const toRemap = new PgMap<UpmapItem[]>();
  let anyChange = false;
  const ruleWeightMaps = new Map<number, Map<number, number>>();
  const raw = new OsdVector();
  const up = new OsdVector();
  work.invalidate();
  for (const pg of toCheck) {
    const pool = map.pools.get(pg.pool);
    if (pool === undefined || pg.seed >= pool.pgNumPending) {
      log?.(0, `check_pg_upmaps pg ${pgidToString(pg)} is gone or merge source`);
      toCancel.push(pg);
      continue;
    }
    if (poolIsPendingMerge(pool, pg.seed)) {
      log?.(0, `check_pg_upmaps pg ${pgidToString(pg)} is pending merge`);
      toCancel.push(pg);
      continue;
    }
    pgToRawUpmapInto(map, pg.pool, pg.seed, work, raw, up);
    const upOsds = up.toArray();
    const crushRule = pool.crushRule;
    const r = verifyUpmap(map.crush, crushRule, pool.size, upOsds, log);
    if (r < 0) {
      log?.(0, `check_pg_upmaps verify_upmap of pg ${pgidToString(pg)} returning ${r}`);
      toCancel.push(pg);
      continue;
    }
    // the upmapped OSDs must still be under the rule's roots, with a non-zero effective weight
    let weightMap = ruleWeightMaps.get(crushRule);
    if (weightMap === undefined) {
      const wm = map.crush.getRuleWeightOsdMap(crushRule);
      if (typeof wm === 'number') {
        log?.(-1, `check_pg_upmaps unable to get crush weight_map for crush_rule ${crushRule}`);
        continue;
      }
      weightMap = wm;
      ruleWeightMaps.set(crushRule, weightMap);
    }
    let cancelled = false;
    for (const osd of upOsds) {
      const share = weightMap.get(osd);
      if (share === undefined) {
        cancelled = true;
        break;
      }
      // get_weightf(osd) * share, in floats; an OSD past max_osd (Ceph reads out of bounds) counts as 0
      const reweight = osd >= 0 && osd < map.maxOsd ? Math.fround(map.osdWeight[osd]! / CEPH_OSD_IN) : 0;
      if (Math.fround(reweight * share) === 0) {
        cancelled = true;
        break;
      }
    }
    if (cancelled) toCancel.push(pg);
    const last = toCancel[toCancel.length - 1];
    if (last !== undefined && last.pool === pg.pool && last.seed === pg.seed) continue;

    // valid; is it still needed?
    const explicit = map.pgUpmap.get(pg.pool, pg.seed);
    if (explicit !== undefined) {
      if (raw.equals(explicit)) {
        toCancel.push(pg);
        continue;
      }
      if (explicit.length !== pool.size) {
        toCancel.push(pg);
        continue;
      }
    }
    const items = map.pgUpmapItems.get(pg.pool, pg.seed);
    if (items !== undefined) {
      const kept: UpmapItem[] = [];
      for (const item of items) {
        const [from, to] = item;
        if (raw.indexOf(from) < 0) continue; // the source is no longer in CRUSH's set
        if (to !== CRUSH_ITEM_NONE && to < map.maxOsd && to >= 0 && map.osdWeight[to] === 0) continue; // target out
        kept.push([from, to]);
      }
      if (kept.length === 0) {
        toCancel.push(pg);
      } else if (!sameItems(kept, items)) {
        if (!toRemap.has(pg.pool, pg.seed)) toRemap.set(pg.pool, pg.seed, kept); // std::map::insert keeps the first
        anyChange = true;
      }
    }
  }
  anyChange = anyChange || toCancel.length > 0;
  return { toCancel, toRemap, anyChange };
}

/**
 * OSDMap::clean_pg_upmaps(cct, pending_inc, to_cancel, to_remap): drop cancelled PGs from the pending
 * new_pg_upmap(_items) and mark the map's entries old (old_pg_upmap / old_pg_upmap_items, kept sorted and
 * unique as Ceph's sets); then set each remapped PG's new pg_upmap_items.
 */
export function applyUpmapCleanup(map: OSDMapData, inc: OSDMapIncremental, toCancel: readonly PgId[], toRemap: PgMap<UpmapItem[]>): void {
  for (const pg of toCancel) {
    inc.newPgUpmap.delete(pg.pool, pg.seed);
    if (map.pgUpmap.has(pg.pool, pg.seed)) insertPgSorted(inc.oldPgUpmap, pg.pool, pg.seed);
    inc.newPgUpmapItems.delete(pg.pool, pg.seed);
    if (map.pgUpmapItems.has(pg.pool, pg.seed)) insertPgSorted(inc.oldPgUpmapItems, pg.pool, pg.seed);
  }
  for (const [pg, items] of toRemap.sortedEntries()) {
    inc.newPgUpmapItems.set(pg.pool, pg.seed, items.map(([a, b]): UpmapItem => [a, b]));
  }
}

/**
 * OSDMap::clean_pg_upmaps(cct, pending_inc): check every upmapped PG and record the cancellations and
 * simplifications in `inc`. Returns whether anything changed.
 */
export function cleanPgUpmaps(map: OSDMapData, inc: OSDMapIncremental, work?: PlacementWork, log?: UpmapLog): boolean {
  const check = checkPgUpmaps(map, getUpmapPgs(map), work, log);
  applyUpmapCleanup(map, inc, check.toCancel, check.toRemap);
  return check.anyChange;
}

/** The `ceph osd ...` commands osdmaptool's print_inc_upmaps writes for an incremental's upmap changes. */
export function incUpmapCommands(inc: OSDMapIncremental): string {
  let s = '';
  const sorted = (a: PgId[]): PgId[] => [...a].sort((x, y) => x.pool - y.pool || x.seed - y.seed);
  for (const pg of sorted(inc.oldPgUpmap)) s += `ceph osd rm-pg-upmap ${pgidToString(pg)}\n`;
  for (const [pg, osds] of inc.newPgUpmap.sortedEntries()) s += `ceph osd pg-upmap ${pgidToString(pg)}${osds.map((o) => ` ${o}`).join('')}\n`;
  for (const pg of sorted(inc.oldPgUpmapItems)) s += `ceph osd rm-pg-upmap-items ${pgidToString(pg)}\n`;
  for (const [pg, items] of inc.newPgUpmapItems.sortedEntries()) {
    s += `ceph osd pg-upmap-items ${pgidToString(pg)}${items.map(([a, b]) => ` ${a} ${b}`).join('')}\n`;
  }
  return s;
}
